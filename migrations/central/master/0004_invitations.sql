-- Invitations to headquarters: the owner names an email and a role; the
-- person gets a one-time code (a link to the console) and chooses their own
-- password when they accept. Only the SHA-256 of the code is kept.
CREATE TABLE hq_invitations (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email VARCHAR(254) NOT NULL CHECK (email = lower(email)),
    role VARCHAR(20) NOT NULL CHECK (role IN ('owner', 'admin', 'accountant', 'auditor')),
    code_hash BYTEA NOT NULL CHECK (length(code_hash) = 32),
    created_by UUID REFERENCES hq_accounts(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    expires_at TIMESTAMPTZ NOT NULL,
    accepted_at TIMESTAMPTZ,
    account_id UUID REFERENCES hq_accounts(id) ON DELETE SET NULL,
    revoked_at TIMESTAMPTZ,
    CONSTRAINT hq_invitations_code_key UNIQUE (code_hash)
);
CREATE INDEX idx_hq_invitations_tenant ON hq_invitations(tenant_id, created_at DESC);
-- One open invitation per email: a new one replaces the old.
CREATE UNIQUE INDEX ux_hq_invitations_open_email ON hq_invitations(email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
