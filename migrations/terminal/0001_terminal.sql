-- Terminal database, version 1: the local replica of the tenant schema a
-- counter needs to work offline, plus the outbox, the sync state and the
-- login throttle. Table and column names follow the tenant schema where they
-- overlap, with two storage rules of SQLite:
--   * money columns hold integer cents; percentages hold hundredths of a
--     percent (16 % IVA is 1600; a 12.5 % discount is 1250);
--   * ids are UUID text, times are UTC RFC 3339 text with microseconds.
-- Tables written on every sale are WITHOUT ROWID: their time-ordered UUID
-- key is the only b-tree, so a sale's commit writes fewer pages.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE branches (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT,
    phone TEXT,
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE employees (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    pin_hash TEXT,
    pin_lookup BLOB,
    password_hash TEXT,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'cashier', 'warehouse', 'accountant')),
    branch_id TEXT REFERENCES branches(id),
    max_discount_pct INTEGER NOT NULL DEFAULT 0 CHECK (max_discount_pct BETWEEN 0 AND 10000),
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX employees_pin_lookup_key ON employees(pin_lookup) WHERE is_active = 1;

CREATE TABLE employee_permissions (
    employee_id TEXT NOT NULL REFERENCES employees(id),
    permission TEXT NOT NULL,
    PRIMARY KEY (employee_id, permission)
) STRICT;

CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    branch_id TEXT REFERENCES branches(id),
    name TEXT NOT NULL,
    rfc TEXT,
    phone TEXT,
    email TEXT,
    price_tier INTEGER NOT NULL DEFAULT 1 CHECK (price_tier IN (1, 2, 3)),
    credit_limit INTEGER NOT NULL DEFAULT 0,
    credit_balance INTEGER NOT NULL DEFAULT 0,
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX idx_customers_name ON customers(name);

CREATE TABLE inventory (
    id TEXT PRIMARY KEY,
    branch_id TEXT REFERENCES branches(id),
    part_number TEXT NOT NULL,
    barcode TEXT,
    name TEXT NOT NULL,
    description TEXT,
    brand TEXT,
    unit TEXT NOT NULL DEFAULT 'PZA',
    cost INTEGER NOT NULL DEFAULT 0 CHECK (cost >= 0),
    price_1 INTEGER NOT NULL DEFAULT 0 CHECK (price_1 >= 0),
    price_2 INTEGER NOT NULL DEFAULT 0 CHECK (price_2 >= 0),
    price_3 INTEGER NOT NULL DEFAULT 0 CHECK (price_3 >= 0),
    tax_rate INTEGER NOT NULL DEFAULT 1600 CHECK (tax_rate BETWEEN 0 AND 10000),
    min_stock INTEGER NOT NULL DEFAULT 0,
    max_stock INTEGER NOT NULL DEFAULT 0,
    location TEXT,
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX idx_inventory_branch_part ON inventory(branch_id, part_number);
CREATE INDEX idx_inventory_barcode ON inventory(barcode);
CREATE INDEX idx_inventory_part ON inventory(part_number COLLATE NOCASE);

CREATE TABLE inventory_operations (
    id TEXT PRIMARY KEY,
    inventory_id TEXT NOT NULL REFERENCES inventory(id),
    branch_id TEXT REFERENCES branches(id),
    operation_type TEXT NOT NULL
        CHECK (operation_type IN ('SALE', 'PURCHASE', 'RETURN', 'ADJUST', 'TRANSFER', 'INITIAL', 'CANCEL')),
    quantity INTEGER NOT NULL,
    reference_id TEXT,
    reference_type TEXT,
    cost_at_time INTEGER,
    employee_id TEXT REFERENCES employees(id),
    device_id TEXT,
    notes TEXT,
    created_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
-- Stock is the sum of a product's operations at a branch; this index covers
-- the sum, so it never visits the rows.
CREATE INDEX idx_inv_ops_stock ON inventory_operations(inventory_id, branch_id, quantity);

CREATE TABLE cash_registers (
    id TEXT PRIMARY KEY,
    branch_id TEXT NOT NULL REFERENCES branches(id),
    name TEXT NOT NULL,
    register_number INTEGER NOT NULL CHECK (register_number > 0),
    device_id TEXT,
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (branch_id, register_number)
) STRICT;

CREATE TABLE cash_register_assignments (
    id TEXT PRIMARY KEY,
    cash_register_id TEXT NOT NULL REFERENCES cash_registers(id),
    user_id TEXT NOT NULL REFERENCES employees(id),
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    assigned_at TEXT NOT NULL,
    assigned_by TEXT REFERENCES employees(id),
    note TEXT,
    UNIQUE (cash_register_id, user_id)
) STRICT;
CREATE INDEX idx_assignments_user ON cash_register_assignments(user_id);

CREATE TABLE cash_sessions (
    id TEXT PRIMARY KEY,
    cash_register_id TEXT NOT NULL REFERENCES cash_registers(id),
    opened_by TEXT NOT NULL REFERENCES employees(id),
    opening_amount INTEGER NOT NULL CHECK (opening_amount >= 0),
    counted_amount INTEGER,
    expected_amount INTEGER,
    difference INTEGER,
    denominations TEXT,
    status TEXT NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CLOSED')),
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    closed_by TEXT REFERENCES employees(id),
    device_id TEXT,
    CHECK ((status = 'OPEN') = (closed_at IS NULL))
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX ux_cash_sessions_one_open_per_user ON cash_sessions(opened_by) WHERE status = 'OPEN';
CREATE UNIQUE INDEX ux_cash_sessions_one_open_per_register ON cash_sessions(cash_register_id) WHERE status = 'OPEN';

CREATE TABLE cash_movements (
    id TEXT PRIMARY KEY,
    cash_session_id TEXT NOT NULL REFERENCES cash_sessions(id),
    type TEXT NOT NULL CHECK (type IN ('in', 'out', 'expense')),
    amount INTEGER NOT NULL CHECK (amount > 0),
    reason TEXT NOT NULL,
    employee_id TEXT REFERENCES employees(id),
    created_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX idx_cash_movements_session ON cash_movements(cash_session_id);

CREATE TABLE sales (
    id TEXT PRIMARY KEY,
    branch_id TEXT REFERENCES branches(id),
    customer_id TEXT REFERENCES customers(id),
    employee_id TEXT REFERENCES employees(id),
    register_id TEXT REFERENCES cash_registers(id),
    cash_session_id TEXT REFERENCES cash_sessions(id),
    sale_type TEXT NOT NULL,
    payment_method TEXT,
    price_tier INTEGER NOT NULL DEFAULT 1 CHECK (price_tier IN (1, 2, 3)),
    subtotal INTEGER NOT NULL,
    discount_total INTEGER NOT NULL DEFAULT 0,
    tax_total INTEGER NOT NULL,
    total INTEGER NOT NULL,
    amount_paid INTEGER NOT NULL DEFAULT 0,
    change_given INTEGER NOT NULL DEFAULT 0,
    metodo_pago_sat TEXT,
    forma_pago_sat TEXT,
    status TEXT NOT NULL DEFAULT 'completed' CHECK (status IN ('completed', 'cancelled', 'returned')),
    device_id TEXT,
    notes TEXT,
    created_at TEXT NOT NULL,
    cancelled_at TEXT,
    cancelled_by TEXT REFERENCES employees(id)
) STRICT, WITHOUT ROWID;
CREATE INDEX idx_sales_cash_session ON sales(cash_session_id);
CREATE INDEX idx_sales_created ON sales(created_at);

CREATE TABLE sale_items (
    id TEXT PRIMARY KEY,
    sale_id TEXT NOT NULL REFERENCES sales(id),
    inventory_id TEXT REFERENCES inventory(id),
    part_number TEXT,
    name TEXT,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price INTEGER NOT NULL,
    unit_cost INTEGER,
    discount_pct INTEGER NOT NULL DEFAULT 0,
    discount_amount INTEGER NOT NULL DEFAULT 0,
    tax_rate INTEGER NOT NULL DEFAULT 1600,
    tax_amount INTEGER NOT NULL DEFAULT 0,
    subtotal INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX idx_sale_items_sale ON sale_items(sale_id);

-- How a sale was paid: one row per method used. `amount` is what it paid of
-- the total; for cash, `tendered` is what was handed over (the difference
-- is the change).
CREATE TABLE sale_payments (
    id TEXT PRIMARY KEY,
    sale_id TEXT NOT NULL REFERENCES sales(id),
    method TEXT NOT NULL CHECK (method IN ('efectivo', 'tarjeta', 'transferencia')),
    amount INTEGER NOT NULL CHECK (amount >= 0),
    tendered INTEGER NOT NULL CHECK (tendered >= amount)
) STRICT, WITHOUT ROWID;
CREATE INDEX idx_sale_payments_sale ON sale_payments(sale_id);

CREATE TABLE layaways (
    id TEXT PRIMARY KEY,
    branch_id TEXT REFERENCES branches(id),
    customer_id TEXT NOT NULL REFERENCES customers(id),
    employee_id TEXT REFERENCES employees(id),
    total INTEGER NOT NULL CHECK (total > 0),
    amount_paid INTEGER NOT NULL DEFAULT 0 CHECK (amount_paid BETWEEN 0 AND total),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'cancelled')),
    expires_at TEXT,
    notes TEXT,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE layaway_payments (
    id TEXT PRIMARY KEY,
    layaway_id TEXT NOT NULL REFERENCES layaways(id),
    cash_session_id TEXT REFERENCES cash_sessions(id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    payment_method TEXT,
    reference TEXT,
    employee_id TEXT REFERENCES employees(id),
    created_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX idx_layaway_payments_session ON layaway_payments(cash_session_id);

CREATE TABLE theme_settings (
    variable TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT
) STRICT;

-- Insert-only, hash-chained per device (see nexus_domain::audit).
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    chain TEXT NOT NULL,
    seq INTEGER NOT NULL CHECK (seq > 0),
    device_id TEXT,
    employee_id TEXT,
    action TEXT NOT NULL,
    entity_type TEXT,
    entity_id TEXT,
    old_value TEXT,
    new_value TEXT,
    ip_address TEXT,
    branch_id TEXT,
    created_at TEXT NOT NULL,
    prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash BLOB NOT NULL CHECK (length(hash) = 32),
    UNIQUE (chain, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX idx_audit_log_entity ON audit_log(entity_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is insert-only: UPDATE refused');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is insert-only: DELETE refused');
END;

-- One op per action, pushed to central in seq order. `seq` equals the op's
-- audit entry's place on this device's chain.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY,
    op_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    employee_id TEXT,
    device_time TEXT NOT NULL,
    payload TEXT NOT NULL
) STRICT;

-- The single row of sync bookkeeping.
CREATE TABLE sync_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- The seq and hash of the newest entry on this device's chain.
    head_seq INTEGER NOT NULL DEFAULT 0,
    head_hash BLOB NOT NULL DEFAULT (zeroblob(32)),
    -- Central has settled every op up to here.
    acked_seq INTEGER NOT NULL DEFAULT 0,
    pull_cursor TEXT,
    last_sync_at TEXT,
    last_error TEXT
) STRICT;
INSERT INTO sync_state (id) VALUES (1);

CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    succeeded INTEGER NOT NULL CHECK (succeeded IN (0, 1)),
    employee_id TEXT,
    attempted_at TEXT NOT NULL
) STRICT;
CREATE INDEX idx_login_attempts_time ON login_attempts(attempted_at);

CREATE TABLE device_lockouts (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    locked_until TEXT NOT NULL
) STRICT;

CREATE VIEW vw_user_cash_registers AS
SELECT
    a.user_id,
    e.name AS user_name,
    a.cash_register_id,
    r.name AS cash_register_name,
    r.branch_id AS location_id,
    b.name AS location_name,
    a.is_active,
    a.assigned_at,
    a.assigned_by,
    a.note
FROM cash_register_assignments a
JOIN employees e ON e.id = a.user_id
JOIN cash_registers r ON r.id = a.cash_register_id
JOIN branches b ON b.id = r.branch_id;
