# Warnings and sanitizers as one INTERFACE target that every giia target links.
add_library(giia_warnings INTERFACE)
target_compile_options(giia_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wimplicit-fallthrough
  # Designated initializers leave the other members at their defaults on purpose.
  -Wno-missing-field-initializers)
if(GIIA_WARNINGS_AS_ERRORS)
  target_compile_options(giia_warnings INTERFACE -Werror)
endif()
if(GIIA_SANITIZE)
  target_compile_options(giia_warnings INTERFACE
    -fsanitize=${GIIA_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(giia_warnings INTERFACE -fsanitize=${GIIA_SANITIZE})
endif()
if(GIIA_COVERAGE)
  # Atomic counters: gRPC's and the pools' threads run the same code at once
  # (without, gcov reads negative branch counts and gcovr stops).
  target_compile_options(giia_warnings INTERFACE --coverage -fprofile-update=atomic)
  target_link_options(giia_warnings INTERFACE --coverage)
endif()
# GIIA_FUZZ: every giia library with libFuzzer's coverage instrumentation and
# ASan + UBSan; the harnesses in tests/fuzz add libFuzzer itself at link time.
if(GIIA_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "GIIA_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14")
  endif()
  target_compile_options(giia_warnings INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(giia_warnings INTERFACE -fsanitize=address,undefined)
endif()
