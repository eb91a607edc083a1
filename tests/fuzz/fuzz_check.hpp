#pragma once
// What every harness shares: a property that does not hold is a crash that
// libFuzzer reports (and saves the input of), with the property named.

#include <cstdio>
#include <cstdlib>

#define GIIA_FUZZ_CHECK(cond)                                                          \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)
