CREATE FUNCTION catalog.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('giia_outbox_catalog', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON catalog.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION catalog.outbox_notify();
