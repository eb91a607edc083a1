#pragma once
// Waiting for a state that has nothing to wait on from outside the process
// (a server that went away and came back, a cache entry that expires): poll
// with a deadline. Prefer an EventCounter whenever code under test can say
// when something happened.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace giia::testing {

// True once `done` holds; false when `timeout` passes first.
inline bool Eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10),
                       std::chrono::milliseconds every = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(every);
  }
  return true;
}

// The status of `method` called with `payload` as the request's bytes (any
// bytes, a message or not) and `token` as the bearer (none when empty).
inline grpc::StatusCode CallWithPayload(grpc::GenericStub& stub, const std::string& method,
                                        const std::string& token, const std::string& payload) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  grpc::CompletionQueue cq;
  grpc::Slice slice(payload.data(), payload.size());
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  auto rpc = stub.PrepareUnaryCall(&ctx, method, request, &cq);
  rpc->StartCall();
  rpc->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  REQUIRE(cq.Next(&tag, &ok));
  return status.error_code();
}

// The status of `method` called with an empty request (every field at its
// default) and `token` as the bearer (none when empty): what the permission
// matrix answers before the request is read.
inline grpc::StatusCode CallWithEmptyRequest(grpc::GenericStub& stub, const std::string& method,
                                             const std::string& token) {
  return CallWithPayload(stub, method, token, "");
}

}  // namespace giia::testing
