-- Search by sku or name, case-insensitive substring (ILIKE '%q%'), served by
-- trigram indexes instead of a scan. pg_trgm is a trusted extension (PG 13+),
-- so the database owner can create it; it stays in place on `down`, since
-- other schemas of the database may use it too.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX products_sku_trgm_idx ON catalog.products USING gin (sku gin_trgm_ops)
    WHERE deleted_at IS NULL;
CREATE INDEX products_name_trgm_idx ON catalog.products USING gin (name gin_trgm_ops)
    WHERE deleted_at IS NULL;
