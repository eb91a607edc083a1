DROP TABLE catalog.product_suppliers;
DROP TABLE catalog.suppliers;
DROP TABLE catalog.products;
DROP TABLE catalog.buffer_profiles;
DROP SCHEMA catalog;
