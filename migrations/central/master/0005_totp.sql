-- Two-factor login for headquarters (TOTP, RFC 6238): an account's secret,
-- sealed under a key derived from the server's secret (never in clear), the
-- last time step a code was used (a code works once), and a tenant setting
-- that makes it mandatory for every account of the tenant.
ALTER TABLE hq_accounts
    ADD COLUMN totp_secret BYTEA,
    ADD COLUMN totp_pending_secret BYTEA,
    ADD COLUMN totp_enabled_at TIMESTAMPTZ,
    ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0,
    ADD CONSTRAINT hq_accounts_totp_enabled CHECK ((totp_secret IS NULL) = (totp_enabled_at IS NULL));
ALTER TABLE tenants ADD COLUMN hq_totp_required BOOLEAN NOT NULL DEFAULT FALSE;
