#pragma once

namespace giia::cli {

// The whole giia process: process-wide setup, the command line, and the exit
// code. Reads the environment once, here, and passes it down.
int Main(int argc, char** argv);

}  // namespace giia::cli
