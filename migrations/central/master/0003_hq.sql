-- Headquarters accounts: people who manage a tenant from the office with an
-- email and a password, distinct from the PINs typed at a counter. Emails are
-- unique across the platform, so a login needs no tenant.
CREATE TABLE hq_accounts (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email VARCHAR(254) NOT NULL,
    name VARCHAR(200) NOT NULL,
    role VARCHAR(20) NOT NULL CHECK (role IN ('owner', 'admin', 'accountant', 'auditor')),
    -- The tenant employee this person also is (the owner's account names the
    -- owner employee), so rules about "yourself" hold for them.
    employee_id UUID,
    password_hash TEXT NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT hq_accounts_email_key UNIQUE (email),
    CONSTRAINT hq_accounts_email_lowercase CHECK (email = lower(email))
);
CREATE INDEX idx_hq_accounts_tenant ON hq_accounts(tenant_id);

-- A session is a row; the client holds `nxh.<id>.<secret>` and only the
-- SHA-256 of the secret is kept. It ends at logout, after `idle` without use,
-- or at `expires_at`, whichever comes first.
CREATE TABLE hq_sessions (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES hq_accounts(id) ON DELETE CASCADE,
    secret_hash BYTEA NOT NULL CHECK (length(secret_hash) = 32),
    ip_address VARCHAR(45),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    expires_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ
);
CREATE INDEX idx_hq_sessions_live ON hq_sessions(account_id) WHERE ended_at IS NULL;

-- Every HQ login attempt, for the per-email and per-address throttles.
CREATE TABLE hq_login_attempts (
    id BIGSERIAL PRIMARY KEY,
    email VARCHAR(254) NOT NULL,
    ip_address VARCHAR(45),
    succeeded BOOLEAN NOT NULL,
    account_id UUID,
    attempted_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_hq_login_attempts_email ON hq_login_attempts(email, attempted_at);
CREATE INDEX idx_hq_login_attempts_ip ON hq_login_attempts(ip_address, attempted_at);
CREATE INDEX idx_hq_login_attempts_age ON hq_login_attempts(attempted_at);

-- Counter PIN logins now come from enrolled devices only and are throttled
-- per device, per source address and per tenant: each needs its index, and
-- pruning needs one by age.
CREATE INDEX idx_login_attempts_ip ON login_attempts(ip_address, attempted_at);
CREATE INDEX idx_login_attempts_tenant ON login_attempts(tenant_id, attempted_at);
CREATE INDEX idx_login_attempts_age ON login_attempts(attempted_at);

-- Locks of every throttle (a device, an address, a tenant, an HQ email),
-- keyed by what is locked; replaces the per-device table.
DROP TABLE device_lockouts;
CREATE TABLE login_lockouts (
    scope VARCHAR(20) NOT NULL,
    subject VARCHAR(300) NOT NULL,
    locked_until TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, subject)
);
