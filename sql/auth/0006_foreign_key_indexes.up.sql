-- Every foreign key that a delete of a user follows gets an index of its
-- own. Without one, deleting a user scanned all of auth.user_roles (for
-- assigned_by, ON DELETE SET NULL) and all of auth.refresh_tokens (the index
-- on user_id was partial, live tokens only, so ON DELETE CASCADE could not use
-- it): deleting N users of an organization cost N full scans (30,500 users
-- took over 30 s).
CREATE INDEX user_roles_assigned_by_idx ON auth.user_roles (assigned_by);
CREATE INDEX refresh_tokens_user_idx ON auth.refresh_tokens (user_id);
DROP INDEX auth.refresh_tokens_user_live_idx;
