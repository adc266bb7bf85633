-- Version 2: what sync needs in a tenant database.

-- How each sale was paid, one row per method (as the terminal keeps it).
CREATE TABLE sale_payments (
    id UUID PRIMARY KEY,
    sale_id UUID NOT NULL REFERENCES sales(id),
    method VARCHAR(20) NOT NULL CHECK (method IN ('efectivo', 'tarjeta', 'transferencia')),
    amount NUMERIC(12,2) NOT NULL CHECK (amount >= 0),
    tendered NUMERIC(12,2) NOT NULL CHECK (tendered >= amount)
);
CREATE INDEX idx_sale_payments_sale ON sale_payments(sale_id);

ALTER TABLE sales
    ADD COLUMN price_tier SMALLINT NOT NULL DEFAULT 1 CHECK (price_tier IN (1, 2, 3)),
    ADD COLUMN cancelled_at TIMESTAMPTZ,
    ADD COLUMN cancelled_by UUID REFERENCES employees(id);

-- A session that offline work made impossible (the same cashier, or the same
-- register, open on two terminals) is kept — the cash moved — but marked, and
-- does not count against the one-OPEN-session rules.
ALTER TABLE cash_sessions ADD COLUMN conflicted BOOLEAN NOT NULL DEFAULT FALSE;
DROP INDEX ux_cash_sessions_one_open_per_user;
DROP INDEX ux_cash_sessions_one_open_per_register;
CREATE UNIQUE INDEX ux_cash_sessions_one_open_per_user ON cash_sessions(opened_by)
    WHERE status = 'OPEN' AND NOT conflicted;
CREATE UNIQUE INDEX ux_cash_sessions_one_open_per_register ON cash_sessions(cash_register_id)
    WHERE status = 'OPEN' AND NOT conflicted;

-- Last writer wins on reference rows: the hybrid logical clock of the last
-- write and who made it (a device id, or 'central').
ALTER TABLE branches ADD COLUMN hlc BIGINT NOT NULL DEFAULT 0, ADD COLUMN origin VARCHAR(200) NOT NULL DEFAULT 'central';
ALTER TABLE employees ADD COLUMN hlc BIGINT NOT NULL DEFAULT 0, ADD COLUMN origin VARCHAR(200) NOT NULL DEFAULT 'central';
ALTER TABLE cash_registers ADD COLUMN hlc BIGINT NOT NULL DEFAULT 0, ADD COLUMN origin VARCHAR(200) NOT NULL DEFAULT 'central';
ALTER TABLE cash_register_assignments ADD COLUMN hlc BIGINT NOT NULL DEFAULT 0, ADD COLUMN origin VARCHAR(200) NOT NULL DEFAULT 'central';
ALTER TABLE inventory ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW();

-- Per device: the last seq applied (in the same transaction as the effects)
-- and the head of its audit chain as received.
CREATE TABLE sync_devices (
    device_id UUID PRIMARY KEY,
    last_seq BIGINT NOT NULL DEFAULT 0,
    chain_seq BIGINT NOT NULL DEFAULT 0,
    chain_head BYTEA NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000',
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- Every op received, once: applied or rejected with the reason.
CREATE TABLE sync_ops (
    device_id UUID NOT NULL,
    seq BIGINT NOT NULL,
    op_id UUID NOT NULL,
    kind VARCHAR(40) NOT NULL,
    status VARCHAR(10) NOT NULL CHECK (status IN ('applied', 'rejected')),
    reason TEXT,
    employee_id UUID,
    device_time TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (device_id, seq)
);

-- What offline work made possible and the rules forbid: applied anyway,
-- recorded with both sides for headquarters.
CREATE TABLE sync_conflicts (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    device_id UUID NOT NULL,
    seq BIGINT NOT NULL,
    kind VARCHAR(40) NOT NULL,
    detail JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_sync_conflicts_device ON sync_conflicts(device_id, seq);

-- The change feed terminals pull reference data from. Triggers append to it
-- whoever changes a row; the transaction lock makes feed order commit order,
-- so a reader never skips a change that commits late.
CREATE TABLE change_feed (
    seq BIGSERIAL PRIMARY KEY,
    entity_type VARCHAR(20) NOT NULL,
    entity_id VARCHAR(64) NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_change_feed_entity ON change_feed(entity_type, entity_id);

CREATE FUNCTION feed_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_id TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock(7454823104823411);
    IF TG_ARGV[0] = 'theme' THEN
        row_id := 'theme';
    ELSIF TG_ARGV[0] = 'employee_permission' THEN
        row_id := COALESCE(NEW.employee_id, OLD.employee_id)::text;
    ELSE
        row_id := COALESCE(NEW.id, OLD.id)::text;
    END IF;
    INSERT INTO change_feed (entity_type, entity_id)
        VALUES (CASE WHEN TG_ARGV[0] = 'employee_permission' THEN 'employee' ELSE TG_ARGV[0] END, row_id);
    RETURN NULL;
END;
$$;
CREATE TRIGGER branches_feed AFTER INSERT OR UPDATE OR DELETE ON branches
    FOR EACH ROW EXECUTE FUNCTION feed_change('branch');
CREATE TRIGGER employees_feed AFTER INSERT OR UPDATE OR DELETE ON employees
    FOR EACH ROW EXECUTE FUNCTION feed_change('employee');
CREATE TRIGGER employee_permissions_feed AFTER INSERT OR UPDATE OR DELETE ON employee_permissions
    FOR EACH ROW EXECUTE FUNCTION feed_change('employee_permission');
CREATE TRIGGER cash_registers_feed AFTER INSERT OR UPDATE OR DELETE ON cash_registers
    FOR EACH ROW EXECUTE FUNCTION feed_change('register');
CREATE TRIGGER assignments_feed AFTER INSERT OR UPDATE OR DELETE ON cash_register_assignments
    FOR EACH ROW EXECUTE FUNCTION feed_change('assignment');
CREATE TRIGGER inventory_feed AFTER INSERT OR UPDATE OR DELETE ON inventory
    FOR EACH ROW EXECUTE FUNCTION feed_change('product');
CREATE TRIGGER theme_feed AFTER INSERT OR UPDATE OR DELETE ON theme_settings
    FOR EACH ROW EXECUTE FUNCTION feed_change('theme');

-- Rows that existed before the feed: one entry each, so a first pull sees them.
INSERT INTO change_feed (entity_type, entity_id) SELECT 'branch', id::text FROM branches;
INSERT INTO change_feed (entity_type, entity_id) SELECT 'employee', id::text FROM employees;
INSERT INTO change_feed (entity_type, entity_id) SELECT 'register', id::text FROM cash_registers;
INSERT INTO change_feed (entity_type, entity_id) SELECT 'assignment', id::text FROM cash_register_assignments;
INSERT INTO change_feed (entity_type, entity_id) SELECT 'product', id::text FROM inventory;
INSERT INTO change_feed (entity_type, entity_id) SELECT 'theme', 'theme' WHERE EXISTS (SELECT 1 FROM theme_settings);
