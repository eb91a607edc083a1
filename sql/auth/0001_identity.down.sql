DROP TABLE auth.user_roles;
DROP TABLE auth.role_permissions;
DROP TABLE auth.roles;
DROP TABLE auth.permissions;
DROP TABLE auth.users;
DROP TABLE auth.organizations;
DROP SCHEMA auth;
