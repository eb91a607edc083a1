-- The transactional outbox (events written with the change they describe) and
-- the consumer inbox (event ids already handled, for idempotent handlers).
CREATE TABLE catalog.outbox (
    seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         uuid NOT NULL UNIQUE,
    subject          text NOT NULL,
    event_type       text NOT NULL,
    aggregate_type   text NOT NULL,
    aggregate_id     text NOT NULL,
    organization_id  uuid,
    payload          jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text,
    published_at     timestamptz
);
CREATE INDEX outbox_pending_idx ON catalog.outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_published_idx ON catalog.outbox (published_at) WHERE published_at IS NOT NULL;

CREATE TABLE catalog.processed_events (
    consumer      text NOT NULL,
    event_id      uuid NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Wake relays at once: one NOTIFY per inserting statement, delivered at commit.
CREATE FUNCTION catalog.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('giia_outbox_catalog', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON catalog.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION catalog.outbox_notify();
