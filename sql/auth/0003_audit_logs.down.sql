DROP TABLE auth.audit_logs;
