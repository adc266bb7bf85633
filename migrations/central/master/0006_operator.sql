-- Sessions of the platform operator's console login (the operator proves
-- who they are with the configured platform token, once; the browser then
-- holds `nxo.<id>.<secret>` in a cookie, and only the secret's SHA-256 is
-- kept). Attempts are throttled with HQ logins', under the pseudo-email
-- `platform-operator` (no real email lacks an @).
CREATE TABLE platform_sessions (
    id UUID PRIMARY KEY,
    secret_hash BYTEA NOT NULL CHECK (length(secret_hash) = 32),
    ip_address VARCHAR(45),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    expires_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ
);
