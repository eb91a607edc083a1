CREATE FUNCTION auth.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('giia_outbox_auth', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON auth.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION auth.outbox_notify();
