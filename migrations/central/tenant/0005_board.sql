-- Version 5: what headquarters' live board shows about each device.
--
-- Central sees a device only when it calls: when it was last heard (any
-- push or pull), and what it last reported about itself — ops it holds that
-- central has not settled, the oldest one's time by the device's clock, the
-- app's version. Shown to headquarters, trusted for nothing else.
ALTER TABLE sync_devices
    ADD COLUMN last_heard_at TIMESTAMPTZ,
    ADD COLUMN pending_ops BIGINT CHECK (pending_ops >= 0),
    ADD COLUMN oldest_pending_at TIMESTAMPTZ,
    ADD COLUMN app_version VARCHAR(40),
    ADD COLUMN reported_at TIMESTAMPTZ;

-- The board reads every open session of the tenant on each change.
CREATE INDEX idx_cash_sessions_open ON cash_sessions(opened_at) WHERE status = 'OPEN';
