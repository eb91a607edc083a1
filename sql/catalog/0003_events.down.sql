DROP TABLE catalog.processed_events;
DROP TABLE catalog.outbox;
