// The giia executable: everything lives in the libraries; see cli/main.cpp.
#include "cli/main.hpp"

int main(int argc, char** argv) { return giia::cli::Main(argc, argv); }
