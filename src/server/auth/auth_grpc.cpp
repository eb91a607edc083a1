#include "server/auth/auth_grpc.hpp"

#include "core/auth/access.hpp"
#include "giia/auth/v1/auth.grpc.pb.h"
#include "server/grpc/call.hpp"

namespace giia::server {
namespace {

namespace pb = ::giia::auth::v1;
using grpc::Status;

pb::UserStatus ToProto(auth::UserStatus s) {
  switch (s) {
    case auth::UserStatus::kPending: return pb::USER_STATUS_PENDING;
    case auth::UserStatus::kActive: return pb::USER_STATUS_ACTIVE;
    case auth::UserStatus::kInactive: return pb::USER_STATUS_INACTIVE;
    case auth::UserStatus::kSuspended: return pb::USER_STATUS_SUSPENDED;
  }
  return pb::USER_STATUS_UNSPECIFIED;
}

void ToProto(const auth::UserRecord& u, pb::User* out) {
  out->set_id(u.id.value());
  out->set_organization_id(u.organization.value());
  out->set_email(u.email);
  out->set_first_name(u.first_name);
  out->set_last_name(u.last_name);
  out->set_status(ToProto(u.status));
  out->set_email_verified(u.email_verified);
  for (const std::string& r : u.roles) out->add_roles(r);
  if (u.created_at) SetTime(out->mutable_created_at(), *u.created_at);
  if (u.last_login_at) SetTime(out->mutable_last_login_at(), *u.last_login_at);
}

void ToProto(const auth::TokenPair& t, pb::TokenPair* out) {
  out->set_access_token(t.access_token);
  out->set_refresh_token(t.refresh_token);
  out->set_token_type("Bearer");
  SetTime(out->mutable_access_token_expires_at(), t.access_expires_at);
  SetTime(out->mutable_refresh_token_expires_at(), t.refresh_expires_at);
}

void ToProto(const authz::Decision& d, pb::PermissionDecision* out) {
  out->set_permission(d.permission);
  out->set_allowed(d.allowed);
  out->set_reason(d.reason);
}

class AuthGrpc final : public pb::AuthService::CallbackService {
 public:
  AuthGrpc(auth::AuthService& service, metrics::Registry& registry, spdlog::logger& log,
           const TrustedProxies& trusted_proxies)
      : svc_(service), env_{auth::Access(), service, registry, log, pool_, trusted_proxies} {}

#define GIIA_RPC(Name)                                                                           \
  grpc::ServerUnaryReactor* Name(grpc::CallbackServerContext* ctx, const pb::Name##Request* req, \
                                 [[maybe_unused]] pb::Name##Response* res) override
#define GIIA_SERVE(Name) ServeAsync(env_, ctx, "/giia.auth.v1.AuthService/" #Name, [=, this]([[maybe_unused]] const Call& call) -> Status
// A method that answers from memory when it can (see ServeAsync).
#define GIIA_SERVE_ATTEMPT(Name) ServeAsync(env_, ctx, "/giia.auth.v1.AuthService/" #Name, [=, this]([[maybe_unused]] const Call& call) -> Attempt<Status>

  GIIA_RPC(Register) {
    return GIIA_SERVE(Register) {
      auth::RegisterInput in{req->email(),     req->password(),          req->first_name(),
                             req->last_name(), req->organization_name(), req->organization_slug()};
      return Reply(svc_.Register(in, call.request), [&](const auth::Registration& r) {
        ToProto(r.user, res->mutable_user());
        res->mutable_organization()->set_id(r.organization.id.value());
        res->mutable_organization()->set_name(r.organization.name);
        res->mutable_organization()->set_slug(r.organization.slug);
      });
    });
  }

  GIIA_RPC(VerifyEmail) {
    return GIIA_SERVE(VerifyEmail) {
      return Reply(svc_.VerifyEmail(req->token(), call.request),
                   [&](const auth::UserRecord& u) { ToProto(u, res->mutable_user()); });
    });
  }

  GIIA_RPC(Login) {
    return GIIA_SERVE(Login) {
      return Reply(svc_.Login(req->email(), req->password(), call.request),
                   [&](const auth::LoginResult& r) {
                     ToProto(r.tokens, res->mutable_tokens());
                     ToProto(r.user, res->mutable_user());
                   });
    });
  }

  // Starts its transaction on gRPC's thread (AuthService::Refresh).
  GIIA_RPC(RefreshToken) {
    return GIIA_SERVE_ATTEMPT(RefreshToken) {
      return Reply(svc_.Refresh(req->refresh_token(), call.request),
                   [res](const auth::TokenPair& t) { ToProto(t, res->mutable_tokens()); });
    });
  }

  GIIA_RPC(Logout) {
    return GIIA_SERVE(Logout) {
      return Reply(svc_.Logout(call.who(), req->refresh_token(), call.request));
    });
  }

  GIIA_RPC(ChangePassword) {
    return GIIA_SERVE(ChangePassword) {
      return Reply(svc_.ChangePassword(call.who(), req->current_password(), req->new_password(),
                                       call.request));
    });
  }

  // These four answer from memory when they can (no hop to the pool): the
  // Reply of an Attempt, whose fill holds copies, never references.
  GIIA_RPC(ValidateToken) {
    return GIIA_SERVE_ATTEMPT(ValidateToken) {
      return Reply(svc_.ValidateToken(req->token()), [res](const auth::TokenValidation& v) {
        res->set_valid(v.valid);
        res->set_error(v.error);
        if (!v.valid) return;
        ToProto(v.user, res->mutable_user());
        res->mutable_organization()->set_id(v.organization.id.value());
        for (const std::string& r : v.user.roles) res->add_roles(r);
        SetTime(res->mutable_expires_at(), v.caller.expires_at);
      });
    });
  }

  GIIA_RPC(CheckPermission) {
    return GIIA_SERVE_ATTEMPT(CheckPermission) {
      return Reply(
          svc_.CheckPermission(call.who(), req->permission(), req->user_id(), call.request),
          [res](const authz::Decision& d) {
            res->set_allowed(d.allowed);
            res->set_reason(d.reason);
          });
    });
  }

  GIIA_RPC(BatchCheckPermissions) {
    return GIIA_SERVE_ATTEMPT(BatchCheckPermissions) {
      std::vector<std::string> permissions(req->permissions().begin(), req->permissions().end());
      return Reply(
          svc_.BatchCheckPermissions(call.who(), permissions, req->user_id(), call.request),
          [res](const std::vector<authz::Decision>& ds) {
            for (const authz::Decision& d : ds) ToProto(d, res->add_results());
          });
    });
  }

  GIIA_RPC(GetUserPermissions) {
    return GIIA_SERVE_ATTEMPT(GetUserPermissions) {
      std::string subject = req->user_id().empty() ? call.who().user.value() : req->user_id();
      return Reply(svc_.GetUserPermissions(call.who(), req->user_id()),
                   [res, subject](const auth::ResolvedPermissions& p) {
                     res->set_user_id(subject);
                     for (const std::string& r : p.roles) res->add_roles(r);
                     for (const std::string& x : p.permissions) res->add_permissions(x);
                   });
    });
  }

  GIIA_RPC(GetUser) {
    return GIIA_SERVE(GetUser) {
      if (req->user_id().empty()) {
        return ToGrpcStatus(Error{ErrorCode::kInvalidArgument, "user_id is required", "user_id"});
      }
      return Reply(svc_.GetUser(call.who(), req->user_id()),
                   [&](const auth::UserRecord& u) { ToProto(u, res->mutable_user()); });
    });
  }

  GIIA_RPC(GetCurrentUser) {
    return GIIA_SERVE(GetCurrentUser) {
      (void)req;
      return Reply(svc_.GetUser(call.who(), ""),
                   [&](const auth::UserRecord& u) { ToProto(u, res->mutable_user()); });
    });
  }

  GIIA_RPC(GetUsersByIds) {
    return GIIA_SERVE(GetUsersByIds) {
      std::vector<std::string> ids(req->user_ids().begin(), req->user_ids().end());
      return Reply(svc_.GetUsersByIds(call.who(), ids),
                   [&](const std::vector<auth::UserRecord>& us) {
                     for (const auth::UserRecord& u : us) ToProto(u, res->add_users());
                   });
    });
  }

  GIIA_RPC(GetUserByEmail) {
    return GIIA_SERVE(GetUserByEmail) {
      return Reply(svc_.GetUserByEmail(call.who(), req->email()),
                   [&](const auth::UserRecord& u) { ToProto(u, res->mutable_user()); });
    });
  }

  GIIA_RPC(CheckUserExists) {
    return GIIA_SERVE(CheckUserExists) {
      return Reply(svc_.CheckUserExists(call.who(), req->user_id()),
                   [&](bool exists) { res->set_exists(exists); });
    });
  }

  GIIA_RPC(ListUsers) {
    return GIIA_SERVE(ListUsers) {
      std::optional<auth::UserStatus> status;
      switch (req->status()) {
        case pb::USER_STATUS_PENDING: status = auth::UserStatus::kPending; break;
        case pb::USER_STATUS_ACTIVE: status = auth::UserStatus::kActive; break;
        case pb::USER_STATUS_INACTIVE: status = auth::UserStatus::kInactive; break;
        case pb::USER_STATUS_SUSPENDED: status = auth::UserStatus::kSuspended; break;
        default: break;
      }
      return Reply(svc_.ListUsers(call.who(), req->page(), req->page_size(), status),
                   [&](const auth::UserPage& page) {
                     for (const auth::UserRecord& u : page.users) ToProto(u, res->add_users());
                     res->set_total(page.total);
                     res->set_page(req->page() == 0 ? 1 : req->page());
                     res->set_page_size(req->page_size() == 0 ? 20 : req->page_size());
                   });
    });
  }

  GIIA_RPC(CreateUser) {
    return GIIA_SERVE(CreateUser) {
      auth::CreateUserInput in{req->email(), req->password(), req->first_name(), req->last_name(),
                               std::vector<std::string>(req->roles().begin(), req->roles().end())};
      return Reply(svc_.CreateUser(call.who(), in, call.request),
                   [&](const auth::UserRecord& u) { ToProto(u, res->mutable_user()); });
    });
  }

  GIIA_RPC(AssignRole) {
    return GIIA_SERVE(AssignRole) {
      return Reply(svc_.AssignRole(call.who(), req->user_id(), req->role(), call.request),
                   [&](const auth::UserRecord& u) { ToProto(u, res->mutable_user()); });
    });
  }

  GIIA_RPC(RevokeRole) {
    return GIIA_SERVE(RevokeRole) {
      return Reply(svc_.RevokeRole(call.who(), req->user_id(), req->role(), call.request),
                   [&](const auth::UserRecord& u) { ToProto(u, res->mutable_user()); });
    });
  }

  GIIA_RPC(UnlockUser) {
    return GIIA_SERVE(UnlockUser) {
      (void)res;
      return Reply(svc_.UnlockUser(call.who(), req->user_id(), call.request));
    });
  }

#undef GIIA_SERVE_ATTEMPT
#undef GIIA_SERVE
#undef GIIA_RPC

 private:
  auth::AuthService& svc_;
  CallEnv env_;
  // Last: destroyed first, running what is queued while env_ is still there.
  HandlerPool pool_{DefaultHandlerThreads()};
};

}  // namespace

std::unique_ptr<grpc::Service> MakeAuthGrpcService(auth::AuthService& service,
                                                   metrics::Registry& registry, spdlog::logger& log,
                                                   const TrustedProxies& trusted_proxies) {
  return std::make_unique<AuthGrpc>(service, registry, log, trusted_proxies);
}

}  // namespace giia::server
