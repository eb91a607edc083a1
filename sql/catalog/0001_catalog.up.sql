-- Products, suppliers, DDMRP buffer profiles and their links. organization_id
-- is the tenant from the token; it has no foreign key because the catalog may
-- live in another database than auth. Soft deletes free the natural key.
CREATE SCHEMA catalog;

CREATE TABLE catalog.buffer_profiles (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL,
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description         text NOT NULL DEFAULT '',
    adu_method          text NOT NULL CHECK (adu_method IN ('average', 'exponential', 'weighted')),
    -- DDMRP factors: a share of the decoupled lead time / of the red base.
    lead_time_factor    numeric(6, 4) NOT NULL CHECK (lead_time_factor > 0 AND lead_time_factor <= 1),
    variability_factor  numeric(6, 4) NOT NULL CHECK (variability_factor >= 0 AND variability_factor <= 1),
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    version             bigint NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz
);
CREATE UNIQUE INDEX buffer_profiles_name_live_key ON catalog.buffer_profiles (organization_id, name)
    WHERE deleted_at IS NULL;

CREATE TABLE catalog.products (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id    uuid NOT NULL,
    sku                text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description        text NOT NULL DEFAULT '',
    category           text NOT NULL DEFAULT '',
    unit_of_measure    text NOT NULL DEFAULT 'unit',
    standard_cost      numeric(18, 4) NOT NULL DEFAULT 0 CHECK (standard_cost >= 0),
    status             text NOT NULL DEFAULT 'active'
                       CHECK (status IN ('active', 'inactive', 'discontinued')),
    buffer_profile_id  uuid REFERENCES catalog.buffer_profiles (id),
    version            bigint NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz
);
CREATE UNIQUE INDEX products_sku_live_key ON catalog.products (organization_id, sku)
    WHERE deleted_at IS NULL;
CREATE INDEX products_list_idx ON catalog.products (organization_id, created_at, id)
    WHERE deleted_at IS NULL;
CREATE INDEX products_status_idx ON catalog.products (organization_id, status, category)
    WHERE deleted_at IS NULL;
CREATE INDEX products_buffer_profile_idx ON catalog.products (buffer_profile_id)
    WHERE buffer_profile_id IS NOT NULL;

CREATE TABLE catalog.suppliers (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL,
    code                    text NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
    name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    contact_name            text NOT NULL DEFAULT '',
    contact_email           text NOT NULL DEFAULT '',
    contact_phone           text NOT NULL DEFAULT '',
    default_lead_time_days  integer NOT NULL DEFAULT 0 CHECK (default_lead_time_days >= 0),
    status                  text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    version                 bigint NOT NULL DEFAULT 1,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    deleted_at              timestamptz
);
CREATE UNIQUE INDEX suppliers_code_live_key ON catalog.suppliers (organization_id, code)
    WHERE deleted_at IS NULL;
CREATE INDEX suppliers_list_idx ON catalog.suppliers (organization_id, created_at, id)
    WHERE deleted_at IS NULL;

-- Who supplies a product, and the lead time that supplier quotes for it.
CREATE TABLE catalog.product_suppliers (
    product_id       uuid NOT NULL REFERENCES catalog.products (id) ON DELETE CASCADE,
    supplier_id      uuid NOT NULL REFERENCES catalog.suppliers (id) ON DELETE CASCADE,
    organization_id  uuid NOT NULL,
    lead_time_days   integer NOT NULL CHECK (lead_time_days >= 0),
    is_primary       boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, supplier_id)
);
CREATE INDEX product_suppliers_supplier_idx ON catalog.product_suppliers (supplier_id);
