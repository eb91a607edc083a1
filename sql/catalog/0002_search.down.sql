DROP INDEX catalog.products_name_trgm_idx;
DROP INDEX catalog.products_sku_trgm_idx;
