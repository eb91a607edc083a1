-- Append-only audit trail. No foreign keys: entries outlive the users and
-- organizations they mention, and a failed login may name no known user.
CREATE TABLE auth.audit_logs (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  uuid,
    user_id          uuid,
    action           varchar(100) NOT NULL,
    resource         varchar(200) NOT NULL,
    resource_id      text,
    result           varchar(50) NOT NULL,
    ip_address       varchar(45),
    user_agent       text,
    request_id       varchar(100),
    metadata         jsonb,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_audit_logs_org_user ON auth.audit_logs (organization_id, user_id);
CREATE INDEX idx_audit_logs_action ON auth.audit_logs (action);
CREATE INDEX idx_audit_logs_created_at ON auth.audit_logs (created_at DESC);
CREATE INDEX idx_audit_logs_request_id ON auth.audit_logs (request_id)
    WHERE request_id IS NOT NULL;
