-- The relay is woken in-process by the service that wrote the events, and
-- polls for rows written elsewhere. A NOTIFY in the writing transaction takes
-- a database-wide lock that is held through the commit's WAL flush, so every
-- transaction that wrote an event committed alone (no group commit).
DROP TRIGGER outbox_notify ON catalog.outbox;
DROP FUNCTION catalog.outbox_notify();
