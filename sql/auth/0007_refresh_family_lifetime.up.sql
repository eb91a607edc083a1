-- A refresh family (one login's session) ends at an absolute time, however
-- often it is rotated: every generation carries its family's deadline.
-- Families from before this migration have none (NULL): their tokens still
-- expire by expires_at.
ALTER TABLE auth.refresh_tokens ADD COLUMN family_expires_at timestamptz;
