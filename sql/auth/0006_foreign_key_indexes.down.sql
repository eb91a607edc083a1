CREATE INDEX refresh_tokens_user_live_idx ON auth.refresh_tokens (user_id)
    WHERE revoked_at IS NULL;
DROP INDEX auth.refresh_tokens_user_idx;
DROP INDEX auth.user_roles_assigned_by_idx;
