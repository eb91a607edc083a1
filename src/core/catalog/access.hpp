#pragma once
// What each catalog use case requires of its caller, by use-case name (the
// RPC's name; the REST route of the same use case shares the row).

#include "core/authz/guard.hpp"

namespace giia::catalog {

const authz::AccessMatrix& Access();

}  // namespace giia::catalog
