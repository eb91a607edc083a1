DROP TRIGGER outbox_notify ON catalog.outbox;
DROP FUNCTION catalog.outbox_notify();
DROP TABLE catalog.processed_events;
DROP TABLE catalog.outbox;
