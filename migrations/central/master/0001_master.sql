-- Master database: the platform's own tables. One row per tenant names the
-- PostgreSQL cluster and database that hold that tenant's data.

CREATE TABLE tenants (
    id UUID PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    slug VARCHAR(64) NOT NULL,
    rfc VARCHAR(13),
    plan VARCHAR(50) NOT NULL DEFAULT 'basic',
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    -- 'provisioning' while its database is being made; only 'ready' tenants serve requests.
    status VARCHAR(20) NOT NULL DEFAULT 'provisioning' CHECK (status IN ('provisioning', 'ready')),
    cluster_url TEXT NOT NULL,
    db_name VARCHAR(63) NOT NULL,
    schema_version INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT tenants_slug_key UNIQUE (slug),
    CONSTRAINT tenants_db_key UNIQUE (cluster_url, db_name)
);

CREATE TABLE subscriptions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    plan VARCHAR(50) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'active',
    started_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    expires_at TIMESTAMPTZ,
    stripe_id VARCHAR(100)
);
CREATE INDEX idx_subscriptions_tenant ON subscriptions(tenant_id);

-- Terminals enrolled against central; their credential is kept as a hash.
CREATE TABLE devices (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    branch_id UUID NOT NULL,
    name VARCHAR(200) NOT NULL,
    credential_hash BYTEA NOT NULL,
    enrolled_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    revoked_at TIMESTAMPTZ,
    last_seen_at TIMESTAMPTZ
);
CREATE INDEX idx_devices_tenant ON devices(tenant_id);

-- Every PIN attempt, for the per-device rate limit and lockout. Kept here so
-- every central instance, and a restarted one, sees the same count.
CREATE TABLE login_attempts (
    id BIGSERIAL PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    device_id VARCHAR(200) NOT NULL,
    succeeded BOOLEAN NOT NULL,
    employee_id UUID,
    ip_address VARCHAR(45),
    attempted_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_login_attempts_device ON login_attempts(tenant_id, device_id, attempted_at);

CREATE TABLE device_lockouts (
    tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    device_id VARCHAR(200) NOT NULL,
    locked_until TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, device_id)
);
