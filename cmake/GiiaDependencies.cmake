# Every third-party library giia uses is found here, once, and only here.
# Each one is exposed as an imported target; nothing else in the build cares
# where a dependency came from. All of them are Debian bookworm packages.
find_package(Threads REQUIRED)
find_package(tl-expected CONFIG REQUIRED)          # tl::expected (libexpected-dev)
find_package(Protobuf REQUIRED)                    # protobuf::libprotobuf, protobuf::protoc
# gRPC through its CMake config, not pkg-config (which omits absl_synchronization).
find_package(gRPC CONFIG REQUIRED)                 # gRPC::grpc++, grpc++_reflection, grpc_cpp_plugin
find_package(CLI11 CONFIG REQUIRED)                # CLI11::CLI11
find_package(nlohmann_json CONFIG REQUIRED)        # nlohmann_json::nlohmann_json
find_package(spdlog CONFIG REQUIRED)               # spdlog::spdlog (brings fmt::fmt)
find_package(PostgreSQL REQUIRED)                  # PostgreSQL::PostgreSQL (libpq)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)   # PkgConfig::SODIUM
# Not find_package(cnats): its config names libnats_static.a, which Debian does not ship.
pkg_check_modules(NATS REQUIRED IMPORTED_TARGET libnats)       # PkgConfig::NATS
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)       # PkgConfig::CURL
# hiredis 0.14 ships no CMake target (its config sets variables only).
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)    # PkgConfig::HIREDIS
# The HTTP server: Boost.Beast on Asio, header-only (libboost-dev), with
# OpenSSL for HTTPS (libssl-dev, which libgrpc-dev already depends on).
find_package(Boost 1.74 REQUIRED)                  # Boost::headers
find_package(OpenSSL REQUIRED)                     # OpenSSL::SSL
if(GIIA_BUILD_TESTS)
  # The tests' HTTP client (the server is Beast's). Debian's httplib.h is
  # split: the implementation is libcpp-httplib.so, built with OpenSSL, zlib
  # and brotli support; the pkg-config target carries the matching defines.
  pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)  # PkgConfig::HTTPLIB
  find_package(Catch2 2 CONFIG REQUIRED)           # Catch2::Catch2WithMain (v2)
  include(Catch)
endif()
