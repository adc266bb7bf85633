//! The summary tables behind the reports, kept in the transaction that
//! writes a sale or its cancellation, so a report never scans `sales`.
//!
//! Rows are upserted in key order: two pushes that touch the same rows
//! lock them in the same order and wait for each other instead of
//! deadlocking.

use sqlx::PgConnection;
use uuid::Uuid;

/// Adds sales just written (status `completed`) to the summaries.
pub async fn record_sales(tx: &mut PgConnection, sales: &[Uuid]) -> Result<(), sqlx::Error> {
    if sales.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO report_sales_hourly (hour, branch_id, register_id, employee_id, sales, total)
         SELECT date_trunc('hour', created_at, 'UTC') AS hour, branch_id, register_id, employee_id, count(*), sum(total)
         FROM sales
         WHERE id = ANY($1) AND status = 'completed'
           AND branch_id IS NOT NULL AND register_id IS NOT NULL AND employee_id IS NOT NULL
         GROUP BY 1, 2, 3, 4
         ORDER BY 1, 2, 3, 4
         ON CONFLICT (hour, branch_id, register_id, employee_id) DO UPDATE
             SET sales = report_sales_hourly.sales + EXCLUDED.sales,
                 total = report_sales_hourly.total + EXCLUDED.total",
    )
    .bind(sales)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO report_payments_hourly (hour, branch_id, register_id, employee_id, method, payments, amount)
         SELECT date_trunc('hour', s.created_at, 'UTC'), s.branch_id, s.register_id, s.employee_id, p.method,
                count(*), sum(p.amount)
         FROM sale_payments p JOIN sales s ON s.id = p.sale_id
         WHERE s.id = ANY($1) AND s.status = 'completed'
           AND s.branch_id IS NOT NULL AND s.register_id IS NOT NULL AND s.employee_id IS NOT NULL
         GROUP BY 1, 2, 3, 4, 5
         ORDER BY 1, 2, 3, 4, 5
         ON CONFLICT (hour, branch_id, register_id, employee_id, method) DO UPDATE
             SET payments = report_payments_hourly.payments + EXCLUDED.payments,
                 amount = report_payments_hourly.amount + EXCLUDED.amount",
    )
    .bind(sales)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Moves a sale that is being cancelled (still `completed` when called)
/// from the sold figures to the cancelled ones, in the hour it was sold.
pub async fn record_cancellation(tx: &mut PgConnection, sale: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE report_sales_hourly r
         SET sales = r.sales - 1, total = r.total - s.total,
             cancelled = r.cancelled + 1, cancelled_total = r.cancelled_total + s.total
         FROM sales s
         WHERE s.id = $1 AND s.status = 'completed'
           AND r.hour = date_trunc('hour', s.created_at, 'UTC') AND r.branch_id = s.branch_id
           AND r.register_id = s.register_id AND r.employee_id = s.employee_id",
    )
    .bind(sale)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE report_payments_hourly r
         SET payments = r.payments - p.payments, amount = r.amount - p.amount
         FROM (SELECT date_trunc('hour', s.created_at, 'UTC') AS hour, s.branch_id, s.register_id, s.employee_id,
                      p.method, count(*) AS payments, sum(p.amount) AS amount
               FROM sale_payments p JOIN sales s ON s.id = p.sale_id
               WHERE s.id = $1 AND s.status = 'completed'
               GROUP BY 1, 2, 3, 4, 5) p
         WHERE r.hour = p.hour AND r.branch_id = p.branch_id AND r.register_id = p.register_id
           AND r.employee_id = p.employee_id AND r.method = p.method",
    )
    .bind(sale)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
