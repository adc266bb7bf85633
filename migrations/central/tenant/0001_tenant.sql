-- Tenant database, version 1: the foundation spec's 21 tables, with the cash
-- register split into till (cash_registers), shift (cash_sessions) and
-- assignment (cash_register_assignments) as the register spec has it.
--
-- Keys are UUIDs made where the row is born (v7 from the application; v4 from
-- PostgreSQL for rows only central creates), so terminals that work offline
-- never collide. Money is NUMERIC(12,2). There is no tenant_id column: the
-- whole database belongs to one tenant, so "one per tenant" is "one per table".

-- =====================
-- SUCURSALES
-- =====================
CREATE TABLE branches (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(200) NOT NULL,
    address TEXT,
    phone VARCHAR(20),
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- =====================
-- EMPLEADOS Y PERMISOS
-- =====================
CREATE TABLE employees (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(200) NOT NULL,
    email VARCHAR(200),
    phone VARCHAR(20),
    -- bcrypt of the PIN; the PIN itself is never stored.
    pin_hash VARCHAR(100),
    -- HMAC-SHA256(tenant PIN key, PIN): finds the one candidate at login.
    pin_lookup BYTEA,
    password_hash VARCHAR(200),
    role VARCHAR(20) NOT NULL CHECK (role IN ('owner', 'admin', 'cashier', 'warehouse', 'accountant')),
    branch_id UUID REFERENCES branches(id),
    max_discount_pct NUMERIC(5,2) NOT NULL DEFAULT 0 CHECK (max_discount_pct BETWEEN 0 AND 100),
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
-- A PIN identifies one active employee of the tenant.
CREATE UNIQUE INDEX employees_pin_lookup_key ON employees(pin_lookup) WHERE is_active;

CREATE TABLE employee_permissions (
    employee_id UUID NOT NULL REFERENCES employees(id),
    permission VARCHAR(100) NOT NULL,
    PRIMARY KEY (employee_id, permission)
);

-- One row per issued employee token; `token` holds the token's id (jti),
-- never the token. Deleting the row (logout) revokes the token.
CREATE TABLE employee_sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    employee_id UUID NOT NULL REFERENCES employees(id),
    device_id VARCHAR(200),
    token VARCHAR(500) NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- =====================
-- CLIENTES
-- =====================
CREATE TABLE customers (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    branch_id UUID REFERENCES branches(id),
    name VARCHAR(300) NOT NULL,
    rfc VARCHAR(13),
    razon_social VARCHAR(300),
    regimen_fiscal VARCHAR(10),
    uso_cfdi VARCHAR(10) DEFAULT 'G03',
    cp VARCHAR(5),
    email VARCHAR(200),
    phone VARCHAR(20),
    address TEXT,
    price_tier SMALLINT NOT NULL DEFAULT 1 CHECK (price_tier IN (1, 2, 3)),
    credit_limit NUMERIC(12,2) NOT NULL DEFAULT 0,
    credit_balance NUMERIC(12,2) NOT NULL DEFAULT 0,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    vehicle_info JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- =====================
-- INVENTARIO
-- =====================
CREATE TABLE inventory (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    branch_id UUID REFERENCES branches(id),
    part_number VARCHAR(100) NOT NULL,
    barcode VARCHAR(100),
    name VARCHAR(300) NOT NULL,
    description TEXT,
    category_id INTEGER,
    brand VARCHAR(100),
    vehicle_compatibility JSONB,
    unit VARCHAR(20) NOT NULL DEFAULT 'PZA',
    cost NUMERIC(12,2) NOT NULL DEFAULT 0,
    price_1 NUMERIC(12,2) NOT NULL DEFAULT 0,
    price_2 NUMERIC(12,2) NOT NULL DEFAULT 0,
    price_3 NUMERIC(12,2) NOT NULL DEFAULT 0,
    tax_rate NUMERIC(5,4) NOT NULL DEFAULT 0.16,
    min_stock INTEGER NOT NULL DEFAULT 0,
    max_stock INTEGER NOT NULL DEFAULT 0,
    location VARCHAR(50),
    image_url VARCHAR(500),
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    catalog_part_id INTEGER,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- Stock = SUM(quantity) per (inventory_id, branch_id).
CREATE TABLE inventory_operations (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    inventory_id UUID REFERENCES inventory(id),
    branch_id UUID REFERENCES branches(id),
    operation_type VARCHAR(20) NOT NULL
        CHECK (operation_type IN ('SALE', 'PURCHASE', 'RETURN', 'ADJUST', 'TRANSFER', 'INITIAL', 'CANCEL')),
    quantity INTEGER NOT NULL,
    reference_id UUID,
    reference_type VARCHAR(50),
    cost_at_time NUMERIC(12,2),
    employee_id UUID REFERENCES employees(id),
    device_id VARCHAR(200),
    notes TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- =====================
-- CAJA: caja física, asignaciones y sesiones (turnos)
-- =====================
CREATE TABLE cash_registers (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    branch_id UUID NOT NULL REFERENCES branches(id),
    name VARCHAR(100) NOT NULL,
    register_number SMALLINT NOT NULL CHECK (register_number > 0),
    -- The terminal this till is bound to, if any.
    device_id VARCHAR(200),
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT cash_registers_branch_number_key UNIQUE (branch_id, register_number)
);

CREATE TABLE cash_register_assignments (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    cash_register_id UUID NOT NULL REFERENCES cash_registers(id),
    user_id UUID NOT NULL REFERENCES employees(id),
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    assigned_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    assigned_by UUID REFERENCES employees(id),
    note TEXT,
    CONSTRAINT cash_register_assignments_register_user_key UNIQUE (cash_register_id, user_id)
);

CREATE TABLE cash_sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    cash_register_id UUID NOT NULL REFERENCES cash_registers(id),
    opened_by UUID NOT NULL REFERENCES employees(id),
    opening_amount NUMERIC(12,2) NOT NULL CHECK (opening_amount >= 0),
    counted_amount NUMERIC(12,2),
    expected_amount NUMERIC(12,2),
    difference NUMERIC(12,2),
    -- Count by denomination at close: {"100000": 2, "50": 3} (value in cents: pieces).
    denominations JSONB,
    status VARCHAR(10) NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CLOSED')),
    opened_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    closed_at TIMESTAMPTZ,
    closed_by UUID REFERENCES employees(id),
    device_id VARCHAR(200),
    CHECK ((status = 'OPEN') = (closed_at IS NULL))
);
CREATE UNIQUE INDEX ux_cash_sessions_one_open_per_user ON cash_sessions(opened_by) WHERE status = 'OPEN';
CREATE UNIQUE INDEX ux_cash_sessions_one_open_per_register ON cash_sessions(cash_register_id) WHERE status = 'OPEN';

CREATE TABLE cash_movements (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    cash_session_id UUID NOT NULL REFERENCES cash_sessions(id),
    type VARCHAR(10) NOT NULL CHECK (type IN ('in', 'out', 'expense')),
    amount NUMERIC(12,2) NOT NULL CHECK (amount > 0),
    reason VARCHAR(300) NOT NULL,
    employee_id UUID REFERENCES employees(id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- =====================
-- VENTAS
-- =====================
CREATE TABLE sales (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    branch_id UUID REFERENCES branches(id),
    customer_id UUID REFERENCES customers(id),
    employee_id UUID REFERENCES employees(id),
    register_id UUID REFERENCES cash_registers(id),
    cash_session_id UUID REFERENCES cash_sessions(id),
    sale_type VARCHAR(20) NOT NULL,
    payment_method VARCHAR(20),
    subtotal NUMERIC(12,2) NOT NULL,
    discount_total NUMERIC(12,2) NOT NULL DEFAULT 0,
    tax_total NUMERIC(12,2) NOT NULL,
    total NUMERIC(12,2) NOT NULL,
    amount_paid NUMERIC(12,2) NOT NULL DEFAULT 0,
    change_given NUMERIC(12,2) NOT NULL DEFAULT 0,
    metodo_pago_sat VARCHAR(3),
    forma_pago_sat VARCHAR(2),
    status VARCHAR(20) NOT NULL DEFAULT 'completed' CHECK (status IN ('completed', 'cancelled', 'returned')),
    device_id VARCHAR(200),
    notes TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE sale_items (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    sale_id UUID NOT NULL REFERENCES sales(id),
    inventory_id UUID REFERENCES inventory(id),
    part_number VARCHAR(100),
    name VARCHAR(300),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price NUMERIC(12,2) NOT NULL,
    unit_cost NUMERIC(12,2),
    discount_pct NUMERIC(5,2) NOT NULL DEFAULT 0,
    discount_amount NUMERIC(12,2) NOT NULL DEFAULT 0,
    tax_rate NUMERIC(5,4) NOT NULL DEFAULT 0.16,
    tax_amount NUMERIC(12,2) NOT NULL DEFAULT 0,
    subtotal NUMERIC(12,2) NOT NULL,
    clave_prod_serv VARCHAR(10),
    clave_unidad VARCHAR(10)
);

-- =====================
-- COTIZACIONES
-- =====================
CREATE TABLE quotations (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    branch_id UUID REFERENCES branches(id),
    customer_id UUID REFERENCES customers(id),
    employee_id UUID REFERENCES employees(id),
    subtotal NUMERIC(12,2) NOT NULL,
    tax_total NUMERIC(12,2) NOT NULL,
    total NUMERIC(12,2) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'converted', 'expired', 'cancelled')),
    valid_until DATE,
    converted_sale_id UUID REFERENCES sales(id),
    notes TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE quotation_items (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    quotation_id UUID NOT NULL REFERENCES quotations(id),
    inventory_id UUID REFERENCES inventory(id),
    part_number VARCHAR(100),
    name VARCHAR(300),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price NUMERIC(12,2) NOT NULL,
    discount_pct NUMERIC(5,2) NOT NULL DEFAULT 0,
    tax_rate NUMERIC(5,4) NOT NULL DEFAULT 0.16,
    subtotal NUMERIC(12,2) NOT NULL
);

-- =====================
-- APARTADOS (LAYAWAYS)
-- =====================
CREATE TABLE layaways (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    branch_id UUID REFERENCES branches(id),
    customer_id UUID NOT NULL REFERENCES customers(id),
    employee_id UUID REFERENCES employees(id),
    total NUMERIC(12,2) NOT NULL,
    amount_paid NUMERIC(12,2) NOT NULL DEFAULT 0,
    status VARCHAR(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'cancelled')),
    expires_at DATE,
    converted_sale_id UUID REFERENCES sales(id),
    notes TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE layaway_payments (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    layaway_id UUID NOT NULL REFERENCES layaways(id),
    cash_session_id UUID REFERENCES cash_sessions(id),
    amount NUMERIC(12,2) NOT NULL CHECK (amount > 0),
    payment_method VARCHAR(20),
    reference VARCHAR(100),
    employee_id UUID REFERENCES employees(id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- =====================
-- FACTURACION (CFDI QUEUE)
-- =====================
CREATE TABLE cfdi_queue (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    sale_id UUID REFERENCES sales(id),
    type VARCHAR(10) NOT NULL CHECK (type IN ('ingreso', 'egreso', 'pago')),
    xml_unsigned TEXT,
    xml_signed TEXT,
    uuid_fiscal VARCHAR(36),
    status VARCHAR(20) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'stamped', 'failed', 'cancelled')),
    retry_count SMALLINT NOT NULL DEFAULT 0,
    provisional_folio VARCHAR(20),
    error_message TEXT,
    cancel_motive VARCHAR(2),
    cancel_replacement_uuid VARCHAR(36),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    stamped_at TIMESTAMPTZ
);

-- =====================
-- CONTABILIDAD
-- =====================
CREATE TABLE accounts (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    code VARCHAR(20) NOT NULL UNIQUE,
    name VARCHAR(200) NOT NULL,
    parent_id UUID REFERENCES accounts(id),
    type VARCHAR(20) NOT NULL CHECK (type IN ('activo', 'pasivo', 'capital', 'ingreso', 'costo', 'gasto')),
    sat_code VARCHAR(20),
    is_system BOOLEAN NOT NULL DEFAULT FALSE,
    is_active BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE journal_entries (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    entry_number INTEGER NOT NULL,
    date DATE NOT NULL,
    type VARCHAR(20),
    description TEXT,
    reference_type VARCHAR(50),
    reference_id UUID,
    status VARCHAR(20) NOT NULL DEFAULT 'posted' CHECK (status IN ('draft', 'posted', 'cancelled')),
    created_by UUID REFERENCES employees(id),
    is_auto BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE journal_entry_lines (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    journal_entry_id UUID NOT NULL REFERENCES journal_entries(id),
    account_id UUID NOT NULL REFERENCES accounts(id),
    debit NUMERIC(14,2) NOT NULL DEFAULT 0,
    credit NUMERIC(14,2) NOT NULL DEFAULT 0,
    description TEXT
);

CREATE TABLE fiscal_periods (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    year SMALLINT NOT NULL,
    month SMALLINT NOT NULL CHECK (month BETWEEN 1 AND 12),
    status VARCHAR(10) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_by UUID REFERENCES employees(id),
    closed_at TIMESTAMPTZ,
    UNIQUE (year, month)
);

-- =====================
-- AUDITORIA
-- =====================
-- Insert-only and hash-chained: hash = SHA-256(prev_hash || canonical entry).
-- `chain` is the terminal that wrote the entry, or 'central'; `seq` is the
-- entry's place on that chain; `device_id` is where the action came from.
-- employee_id and branch_id carry no foreign key on purpose: an audit entry
-- must never be refused because of what it refers to.
CREATE TABLE audit_log (
    id UUID PRIMARY KEY,
    chain VARCHAR(200) NOT NULL,
    seq BIGINT NOT NULL CHECK (seq > 0),
    device_id VARCHAR(200),
    employee_id UUID,
    action VARCHAR(50) NOT NULL,
    entity_type VARCHAR(50),
    entity_id VARCHAR(64),
    old_value JSONB,
    new_value JSONB,
    ip_address VARCHAR(45),
    branch_id UUID,
    created_at TIMESTAMPTZ NOT NULL,
    prev_hash BYTEA NOT NULL CHECK (length(prev_hash) = 32),
    hash BYTEA NOT NULL CHECK (length(hash) = 32),
    CONSTRAINT audit_log_chain_seq_key UNIQUE (chain, seq)
);

CREATE FUNCTION audit_log_is_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is insert-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_insert_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_insert_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_insert_only();

-- =====================
-- TEMA (CSS custom properties overriding the defaults)
-- =====================
CREATE TABLE theme_settings (
    variable VARCHAR(64) PRIMARY KEY,
    value VARCHAR(120) NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_by UUID REFERENCES employees(id)
);

-- =====================
-- VISTAS
-- =====================
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

-- =====================
-- INDEXES (all of the foundation spec's, plus the cash model's)
-- =====================
CREATE INDEX idx_inv_ops_inventory ON inventory_operations(inventory_id);
CREATE INDEX idx_inv_ops_branch ON inventory_operations(branch_id);
CREATE INDEX idx_inv_ops_type ON inventory_operations(operation_type);
CREATE INDEX idx_inv_ops_created ON inventory_operations(created_at);
CREATE INDEX idx_sales_branch ON sales(branch_id);
CREATE INDEX idx_sales_customer ON sales(customer_id);
CREATE INDEX idx_sales_created ON sales(created_at);
CREATE INDEX idx_sales_status ON sales(status);
CREATE INDEX idx_sales_cash_session ON sales(cash_session_id);
CREATE INDEX idx_sale_items_sale ON sale_items(sale_id);
CREATE INDEX idx_inventory_part ON inventory(part_number);
CREATE INDEX idx_inventory_barcode ON inventory(barcode);
CREATE INDEX idx_inventory_branch ON inventory(branch_id);
CREATE INDEX idx_customers_rfc ON customers(rfc);
CREATE INDEX idx_customers_name ON customers(name);
CREATE INDEX idx_cfdi_queue_status ON cfdi_queue(status);
CREATE INDEX idx_cfdi_queue_sale ON cfdi_queue(sale_id);
CREATE INDEX idx_journal_entries_date ON journal_entries(date);
CREATE INDEX idx_journal_lines_entry ON journal_entry_lines(journal_entry_id);
CREATE INDEX idx_audit_log_action ON audit_log(action);
CREATE INDEX idx_audit_log_entity ON audit_log(entity_type, entity_id);
CREATE INDEX idx_audit_log_employee ON audit_log(employee_id);
CREATE INDEX idx_audit_log_created ON audit_log(created_at);
CREATE UNIQUE INDEX idx_inventory_branch_part ON inventory(branch_id, part_number);
CREATE INDEX idx_employee_sessions_token ON employee_sessions(token);
CREATE INDEX idx_cash_movements_session ON cash_movements(cash_session_id);
CREATE INDEX idx_layaway_payments_session ON layaway_payments(cash_session_id);
CREATE INDEX idx_assignments_user ON cash_register_assignments(user_id);
