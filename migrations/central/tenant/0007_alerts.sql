-- Version 7: alerts for headquarters.
--
-- An alert is a row, raised when central learns of the situation (an op
-- arrives, a revoked device knocks) or when a sweep over central's clock
-- finds it (a session open too long, a device silent). Each situation has a
-- key (`dedupe_key`: the session, the conflict, the device and the moment it
-- went silent…), unique for ever, so an acknowledged alert does not come
-- back; the same situation again is the same row, a new one is a new row.

-- The tenant's thresholds: one row.
CREATE TABLE alert_settings (
    id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    -- A cash session open longer than this (seed 004: 8 hours).
    session_open_hours INTEGER NOT NULL DEFAULT 8 CHECK (session_open_hours BETWEEN 1 AND 168),
    -- A close whose difference, either way, exceeds this.
    close_difference_threshold NUMERIC(12,2) NOT NULL DEFAULT 100.00
        CHECK (close_difference_threshold BETWEEN 0 AND 9999999999.99),
    -- A device with pending ops not heard from for this long.
    device_silent_minutes INTEGER NOT NULL DEFAULT 30 CHECK (device_silent_minutes BETWEEN 1 AND 10080),
    -- A device whose oldest pending op is older than this.
    outbox_max_age_hours INTEGER NOT NULL DEFAULT 4 CHECK (outbox_max_age_hours BETWEEN 1 AND 720),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
INSERT INTO alert_settings DEFAULT VALUES;

CREATE TABLE alerts (
    id UUID PRIMARY KEY,
    kind VARCHAR(40) NOT NULL CHECK (kind IN (
        'session_open_too_long', 'close_difference', 'device_silent', 'outbox_stale',
        'sync_conflict', 'audit_chain_broken', 'pin_lockout', 'revoked_device')),
    dedupe_key VARCHAR(200) NOT NULL,
    -- In Spanish, for people; `detail` carries the figures.
    summary TEXT NOT NULL,
    branch_id UUID,
    device_id UUID,
    cash_session_id UUID,
    conflict_id UUID REFERENCES sync_conflicts(id),
    detail JSONB NOT NULL,
    raised_at TIMESTAMPTZ NOT NULL,
    -- The situation seen again (a revoked device knocking again the same day).
    last_seen_at TIMESTAMPTZ NOT NULL,
    occurrences INTEGER NOT NULL DEFAULT 1 CHECK (occurrences > 0),
    acknowledged_at TIMESTAMPTZ,
    -- The HQ account that acknowledged it, and why.
    acknowledged_by UUID,
    ack_note TEXT,
    CONSTRAINT alerts_dedupe_key_key UNIQUE (dedupe_key),
    CHECK ((acknowledged_at IS NULL) = (ack_note IS NULL))
);
-- The count on every console page, and the open list.
CREATE INDEX idx_alerts_open ON alerts(raised_at DESC) WHERE acknowledged_at IS NULL;
CREATE INDEX idx_alerts_raised ON alerts(raised_at DESC);

-- The sweep reads only the open sessions.
CREATE INDEX IF NOT EXISTS idx_cash_sessions_open ON cash_sessions(opened_at) WHERE status = 'OPEN';
