-- Version 6: what headquarters' reports read instead of scanning `sales`.
--
-- Two summary tables, kept by the sync ingest in the same transaction that
-- writes a sale or its cancellation (`crate::reports::summary`), one row per
-- UTC hour × branch × register × cashier (× payment method). An hour of UTC
-- is one hour of local time wherever the offset is whole hours, as every
-- Mexican zone's is, so a report of local days and hours sums whole rows.
--
-- `sales` and `total` count what was sold and not cancelled; a cancelled
-- sale moves from there to `cancelled` and `cancelled_total` in the hour it
-- was sold. Payments follow the sale: a cancelled sale's payments leave
-- `payments` and `amount`. Sales without a branch, register or cashier
-- (none arrive through sync) are not summarised.

CREATE TABLE report_sales_hourly (
    hour TIMESTAMPTZ NOT NULL,
    branch_id UUID NOT NULL,
    register_id UUID NOT NULL,
    employee_id UUID NOT NULL,
    sales INTEGER NOT NULL DEFAULT 0,
    total NUMERIC(14,2) NOT NULL DEFAULT 0,
    cancelled INTEGER NOT NULL DEFAULT 0,
    cancelled_total NUMERIC(14,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, branch_id, register_id, employee_id)
);
CREATE INDEX idx_report_sales_branch_hour ON report_sales_hourly(branch_id, hour);

CREATE TABLE report_payments_hourly (
    hour TIMESTAMPTZ NOT NULL,
    branch_id UUID NOT NULL,
    register_id UUID NOT NULL,
    employee_id UUID NOT NULL,
    method VARCHAR(20) NOT NULL,
    payments INTEGER NOT NULL DEFAULT 0,
    amount NUMERIC(14,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, branch_id, register_id, employee_id, method)
);
CREATE INDEX idx_report_payments_branch_hour ON report_payments_hourly(branch_id, hour);

-- The sales already here.
INSERT INTO report_sales_hourly (hour, branch_id, register_id, employee_id, sales, total, cancelled, cancelled_total)
SELECT date_trunc('hour', created_at, 'UTC'), branch_id, register_id, employee_id,
       count(*) FILTER (WHERE status = 'completed'),
       coalesce(sum(total) FILTER (WHERE status = 'completed'), 0),
       count(*) FILTER (WHERE status <> 'completed'),
       coalesce(sum(total) FILTER (WHERE status <> 'completed'), 0)
FROM sales
WHERE branch_id IS NOT NULL AND register_id IS NOT NULL AND employee_id IS NOT NULL
GROUP BY 1, 2, 3, 4;

INSERT INTO report_payments_hourly (hour, branch_id, register_id, employee_id, method, payments, amount)
SELECT date_trunc('hour', s.created_at, 'UTC'), s.branch_id, s.register_id, s.employee_id, p.method,
       count(*), sum(p.amount)
FROM sale_payments p JOIN sales s ON s.id = p.sale_id
WHERE s.status = 'completed'
  AND s.branch_id IS NOT NULL AND s.register_id IS NOT NULL AND s.employee_id IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;

-- Closed sessions are searched by when they closed, and by where and who.
CREATE INDEX idx_cash_sessions_closed ON cash_sessions(closed_at) WHERE status = 'CLOSED';
CREATE INDEX idx_cash_sessions_register_closed ON cash_sessions(cash_register_id, closed_at);
CREATE INDEX idx_cash_sessions_cashier_closed ON cash_sessions(opened_by, closed_at);
CREATE INDEX idx_cash_sessions_opened ON cash_sessions(opened_at);
CREATE INDEX idx_cash_registers_branch ON cash_registers(branch_id);
