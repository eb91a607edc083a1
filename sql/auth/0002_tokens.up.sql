-- Refresh tokens and e-mail verification tokens. Only hashes are stored.

-- Every login starts a family; each rotation adds the next generation. Reuse of
-- a rotated token revokes the family (after a short grace for the immediate
-- predecessor); the order is the generation counter, never a timestamp.
CREATE TABLE auth.refresh_tokens (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    organization_id  uuid NOT NULL REFERENCES auth.organizations (id) ON DELETE CASCADE,
    token_hash       bytea NOT NULL UNIQUE,
    family_id        uuid NOT NULL,
    generation       integer NOT NULL CHECK (generation >= 0),
    issued_at        timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    rotated_at       timestamptz,
    revoked_at       timestamptz,
    revoked_reason   text,
    user_agent       text,
    ip_address       text,
    UNIQUE (family_id, generation)
);
CREATE INDEX refresh_tokens_user_live_idx ON auth.refresh_tokens (user_id)
    WHERE revoked_at IS NULL;
CREATE INDEX refresh_tokens_expires_idx ON auth.refresh_tokens (expires_at);

CREATE TABLE auth.email_verification_tokens (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_verification_tokens_user_idx ON auth.email_verification_tokens (user_id);
