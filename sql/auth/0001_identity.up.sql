-- Organizations (tenants), users, and role-based access control.
CREATE SCHEMA auth;

CREATE TABLE auth.organizations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auth.users (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id        uuid NOT NULL REFERENCES auth.organizations (id),
    email                  text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
    password_hash          text NOT NULL,
    first_name             text NOT NULL DEFAULT '',
    last_name              text NOT NULL DEFAULT '',
    status                 text NOT NULL DEFAULT 'pending'
                           CHECK (status IN ('pending', 'active', 'inactive', 'suspended')),
    email_verified_at      timestamptz,
    failed_login_attempts  integer NOT NULL DEFAULT 0 CHECK (failed_login_attempts >= 0),
    locked_until           timestamptz,
    -- Bumped on password change and on revocation of every session: access
    -- tokens carry it, so older tokens stop validating at once.
    token_version          integer NOT NULL DEFAULT 0,
    last_login_at          timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    deleted_at             timestamptz
);
-- One live account per e-mail address; a deleted one frees the address.
CREATE UNIQUE INDEX users_email_live_key ON auth.users (email) WHERE deleted_at IS NULL;
CREATE INDEX users_organization_idx ON auth.users (organization_id, created_at)
    WHERE deleted_at IS NULL;

CREATE TABLE auth.permissions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL UNIQUE,
    resource     text NOT NULL,
    action       text NOT NULL,
    description  text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (name = resource || ':' || action)
);

-- organization_id NULL: a global (built-in) role, seeded by `giia seed-roles`.
CREATE TABLE auth.roles (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  uuid REFERENCES auth.organizations (id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description      text NOT NULL DEFAULT '',
    level            integer NOT NULL CHECK (level BETWEEN 1 AND 100),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX roles_global_name_key ON auth.roles (name) WHERE organization_id IS NULL;
CREATE UNIQUE INDEX roles_organization_name_key ON auth.roles (organization_id, name)
    WHERE organization_id IS NOT NULL;

CREATE TABLE auth.role_permissions (
    role_id        uuid NOT NULL REFERENCES auth.roles (id) ON DELETE CASCADE,
    permission_id  uuid NOT NULL REFERENCES auth.permissions (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (role_id, permission_id)
);
CREATE INDEX role_permissions_permission_idx ON auth.role_permissions (permission_id);

-- A user's roles, always within the user's organization.
CREATE TABLE auth.user_roles (
    user_id          uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    role_id          uuid NOT NULL REFERENCES auth.roles (id) ON DELETE CASCADE,
    organization_id  uuid NOT NULL REFERENCES auth.organizations (id) ON DELETE CASCADE,
    assigned_by      uuid REFERENCES auth.users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role_idx ON auth.user_roles (role_id);
