-- Version 4: what a till asks for and central does not take on its word.

-- An op's place in the log may now also be: held for an owner's approval
-- (`held`) or kept unread because this central does not know its kind yet
-- (`parked`).
ALTER TABLE sync_ops DROP CONSTRAINT sync_ops_status_check;
ALTER TABLE sync_ops ADD CONSTRAINT sync_ops_status_check
    CHECK (status IN ('applied', 'rejected', 'held', 'parked'));
-- A kind this central does not know may be longer than the ones it does.
ALTER TABLE sync_ops ALTER COLUMN kind TYPE VARCHAR(80);

-- A reference-data op that raises privileges (a new admin, a SECURITY.* or
-- accounting.* grant) waits here, verbatim, with the employee as central had
-- it and as the op would leave it, until an owner approves or refuses it at
-- headquarters.
CREATE TABLE sync_approvals (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    device_id UUID NOT NULL,
    branch_id UUID NOT NULL,
    seq BIGINT NOT NULL,
    kind VARCHAR(40) NOT NULL,
    acting_employee_id UUID,
    entity_id UUID NOT NULL,
    op JSONB NOT NULL,
    before JSONB,
    after JSONB NOT NULL,
    status VARCHAR(10) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'refused')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    decided_at TIMESTAMPTZ,
    -- The HQ account that decided, and what approving did: `applied`, or
    -- `stale` when a newer edit of the employee had arrived meanwhile.
    decided_by UUID,
    outcome VARCHAR(10) CHECK (outcome IN ('applied', 'stale')),
    UNIQUE (device_id, seq),
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE INDEX idx_sync_approvals_pending ON sync_approvals(created_at) WHERE status = 'pending';

-- An op of a kind this central does not know, kept as it arrived (the text,
-- byte for byte) so a central that knows the kind applies it later.
CREATE TABLE sync_parked (
    device_id UUID NOT NULL,
    seq BIGINT NOT NULL,
    branch_id UUID NOT NULL,
    kind VARCHAR(80) NOT NULL,
    op TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    applied_at TIMESTAMPTZ,
    outcome TEXT,
    PRIMARY KEY (device_id, seq)
);
CREATE INDEX idx_sync_parked_waiting ON sync_parked(device_id, seq) WHERE applied_at IS NULL;
