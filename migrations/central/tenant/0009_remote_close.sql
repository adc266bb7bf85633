-- Remote close: the owner asks, from headquarters, to close a till's
-- abandoned OPEN cash session. The request travels down the change feed to
-- the till that owns the session, which closes it "by the owner, not
-- counted" and pushes that close back. A till that had closed the session
-- itself (with its count) wins: the request is then `superseded`. Never two
-- closes of one session.
CREATE TABLE remote_close_requests (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    cash_session_id UUID NOT NULL REFERENCES cash_sessions(id),
    -- The till that opened the session and alone may close it.
    device_id VARCHAR(200) NOT NULL,
    -- The HQ account that asked (master database) and the employee it is.
    requested_by_account UUID NOT NULL,
    requested_by UUID REFERENCES employees(id),
    reason TEXT NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 500),
    status VARCHAR(12) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'superseded')),
    requested_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    -- When and by which op of the till the request was settled.
    settled_at TIMESTAMPTZ,
    settled_seq BIGINT,
    CHECK ((status = 'pending') = (settled_at IS NULL))
);
-- One live request per session, and at most one that closed it.
CREATE UNIQUE INDEX ux_remote_close_one_pending ON remote_close_requests(cash_session_id) WHERE status = 'pending';
CREATE UNIQUE INDEX ux_remote_close_one_applied ON remote_close_requests(cash_session_id) WHERE status = 'applied';
CREATE INDEX idx_remote_close_requested_at ON remote_close_requests(requested_at DESC);

CREATE TRIGGER remote_close_feed AFTER INSERT OR UPDATE ON remote_close_requests
    FOR EACH ROW EXECUTE FUNCTION feed_change('remote_close');
