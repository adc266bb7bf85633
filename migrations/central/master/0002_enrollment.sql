-- One-time codes an admin makes for a terminal to enroll with. Only the
-- SHA-256 of a code is kept; a code works once and expires.
CREATE TABLE enrollment_codes (
    code_hash BYTEA PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    branch_id UUID NOT NULL,
    created_by UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    device_id UUID
);
CREATE INDEX idx_enrollment_codes_tenant ON enrollment_codes(tenant_id);
