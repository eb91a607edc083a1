DROP TRIGGER outbox_notify ON auth.outbox;
DROP FUNCTION auth.outbox_notify();
DROP TABLE auth.processed_events;
DROP TABLE auth.outbox;
