DROP TABLE auth.processed_events;
DROP TABLE auth.outbox;
