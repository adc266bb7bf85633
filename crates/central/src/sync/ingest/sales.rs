//! Sales completed and cancelled at a till, with their items, payments
//! and stock moves.

use chrono::{DateTime, Utc};
use nexus_domain::sync::{Op, payload};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::cash::insert_movements;
use super::planner::{Failure, Planner, Reject, parse};

impl Planner {
    /// A sale completed at a till: checked here, buffered for one insert
    /// per table.
    pub(super) async fn sale_completed(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        let sale: payload::SaleCompleted = parse(op)?;
        self.actor(tx, op.seq, sale.employee_id.0).await?;
        self.operable(tx, op.seq, sale.cash_session_id, sale.employee_id.0).await?;
        for item in &sale.items {
            if !self.product(tx, item.inventory_id).await? {
                return Err(Reject(format!("producto desconocido {}", item.inventory_id)).into());
            }
        }
        if let Some(c) = sale.customer_id
            && !self.customer(tx, c).await?
        {
            return Err(Reject(format!("cliente desconocido {c}")).into());
        }
        if sale.items.is_empty() {
            return Err(Reject("venta sin partidas".into()).into());
        }
        self.sales.insert(sale.sale_id, Some(false));
        self.buf.sales.push(sale);
        Ok(())
    }

    /// A sale cancelled at a till: its refund, its stock back, its status.
    pub(super) async fn sale_cancelled(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        let c: payload::SaleCancelled = parse(op)?;
        self.actor(tx, op.seq, c.cancelled_by.0).await?;
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM sales WHERE id = $1")
            .bind(c.sale_id)
            .fetch_optional(&mut *tx)
            .await?;
        match status.as_deref() {
            None => return Err(Reject(format!("venta desconocida {}", c.sale_id)).into()),
            Some("completed") => {}
            Some(_) => {
                self.conflict(op.seq, "sale_already_cancelled", json!({ "sale_id": c.sale_id }));
                return Ok(());
            }
        }
        if let Some(refund) = &c.refund {
            self.operable(tx, op.seq, refund.cash_session_id, c.cancelled_by.0).await?;
            insert_movements(tx, std::slice::from_ref(refund)).await?;
        }
        let stock: Vec<StockRow<'_>> =
            StockRow::of(&c.stock, c.sale_id, c.cancelled_by.0, c.cancelled_at).collect();
        insert_stock(tx, self.device_id, &stock).await?;
        crate::reports::summary::record_cancellation(tx, c.sale_id).await?;
        sqlx::query(
            "UPDATE sales SET status = 'cancelled', cancelled_at = $2, cancelled_by = $3 WHERE id = $1",
        )
        .bind(c.sale_id)
        .bind(c.cancelled_at)
        .bind(c.cancelled_by.0)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

pub(super) async fn insert_sales(
    tx: &mut PgConnection,
    device: Uuid,
    branch: Uuid,
    sales: &[payload::SaleCompleted],
) -> Result<(), sqlx::Error> {
    if sales.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&payload::SaleCompleted) -> i64| sales.iter().map(f).collect::<Vec<i64>>();
    sqlx::query(
        "INSERT INTO sales (id, branch_id, customer_id, employee_id, register_id, cash_session_id, sale_type, payment_method,
                            price_tier, subtotal, discount_total, tax_total, total, amount_paid, change_given,
                            metodo_pago_sat, forma_pago_sat, status, device_id, created_at)
         SELECT id, coalesce(branch, $1), customer, employee, register, session, 'cash', method, tier, subtotal / 100.0,
                discount / 100.0, tax / 100.0, total / 100.0, paid / 100.0, change / 100.0, 'PUE', forma, 'completed', $2, created
         FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::uuid[], $8::uuid[], $9::text[], $10::int2[],
                     $11::int8[], $12::int8[], $13::int8[], $14::int8[], $15::int8[], $16::int8[], $17::text[], $18::timestamptz[])
              AS t(id, branch, customer, employee, register, session, method, tier, subtotal, discount, tax, total, paid,
                   change, forma, created)",
    )
    .bind(branch)
    .bind(device.to_string())
    .bind(sales.iter().map(|s| s.sale_id).collect::<Vec<_>>())
    .bind(sales.iter().map(|s| Some(s.branch_id.0)).collect::<Vec<_>>())
    .bind(sales.iter().map(|s| s.customer_id).collect::<Vec<_>>())
    .bind(sales.iter().map(|s| s.employee_id.0).collect::<Vec<_>>())
    .bind(sales.iter().map(|s| s.register_id).collect::<Vec<_>>())
    .bind(sales.iter().map(|s| s.cash_session_id).collect::<Vec<_>>())
    .bind(sales.iter().map(|s| s.payment_method.code()).collect::<Vec<_>>())
    .bind(sales.iter().map(|s| i16::from(s.price_tier)).collect::<Vec<_>>())
    .bind(col(|s| s.totals.subtotal.cents()))
    .bind(col(|s| s.totals.discount_total.cents()))
    .bind(col(|s| s.totals.tax_total.cents()))
    .bind(col(|s| s.totals.total.cents()))
    .bind(col(|s| s.amount_paid_cents))
    .bind(col(|s| s.change_cents))
    .bind(sales.iter().map(|s| s.payment_method.forma_pago_sat()).collect::<Vec<_>>())
    .bind(sales.iter().map(|s| s.created_at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;

    let items: Vec<(Uuid, &payload::SaleItem)> =
        sales.iter().flat_map(|s| s.items.iter().map(move |i| (s.sale_id, i))).collect();
    sqlx::query(
        "INSERT INTO sale_items (id, sale_id, inventory_id, part_number, name, quantity, unit_price, unit_cost, discount_pct,
                                 discount_amount, tax_rate, tax_amount, subtotal)
         SELECT id, sale, product, part, name, qty, price / 100.0, cost / 100.0, disc_bp / 100.0, disc / 100.0,
                rate_bp / 10000.0, tax / 100.0, sub / 100.0
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::int4[], $7::int8[], $8::int8[],
                     $9::int4[], $10::int8[], $11::int4[], $12::int8[], $13::int8[])
              AS t(id, sale, product, part, name, qty, price, cost, disc_bp, disc, rate_bp, tax, sub)",
    )
    .bind(items.iter().map(|(_, i)| i.id).collect::<Vec<_>>())
    .bind(items.iter().map(|(s, _)| *s).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.inventory_id).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.part_number.as_str()).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.name.as_str()).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.quantity as i32).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.unit_price_cents).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.unit_cost_cents).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i32::from(i.discount_bp.hundredths())).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.discount_cents).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i32::from(i.tax_rate_bp.hundredths())).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.tax_cents).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.subtotal_cents).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;

    let payments: Vec<(Uuid, &payload::SalePayment)> =
        sales.iter().flat_map(|s| s.payments.iter().map(move |p| (s.sale_id, p))).collect();
    if !payments.is_empty() {
        sqlx::query(
            "INSERT INTO sale_payments (id, sale_id, method, amount, tendered)
             SELECT id, sale, method, amount / 100.0, tendered / 100.0
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int8[], $5::int8[]) AS t(id, sale, method, amount, tendered)",
        )
        .bind(payments.iter().map(|(_, p)| p.id).collect::<Vec<_>>())
        .bind(payments.iter().map(|(s, _)| *s).collect::<Vec<_>>())
        .bind(payments.iter().map(|(_, p)| p.method.code()).collect::<Vec<_>>())
        .bind(payments.iter().map(|(_, p)| p.amount_cents).collect::<Vec<_>>())
        .bind(payments.iter().map(|(_, p)| p.tendered_cents).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    let ids: Vec<Uuid> = sales.iter().map(|s| s.sale_id).collect();
    crate::reports::summary::record_sales(tx, &ids).await?;
    let stock: Vec<StockRow<'_>> =
        sales.iter().flat_map(|s| StockRow::of(&s.stock, s.sale_id, s.employee_id.0, s.created_at)).collect();
    insert_stock(tx, device, &stock).await
}

/// A stock move and what it belongs to.
struct StockRow<'a> {
    moved: &'a payload::StockMove,
    sale: Uuid,
    employee: Uuid,
    at: DateTime<Utc>,
}

impl<'a> StockRow<'a> {
    fn of(
        moves: &'a [payload::StockMove],
        sale: Uuid,
        employee: Uuid,
        at: DateTime<Utc>,
    ) -> impl Iterator<Item = StockRow<'a>> {
        moves.iter().map(move |moved| StockRow { moved, sale, employee, at })
    }
}

/// Every stock move given, in one statement.
async fn insert_stock(tx: &mut PgConnection, device: Uuid, rows: &[StockRow<'_>]) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO inventory_operations (id, inventory_id, branch_id, operation_type, quantity, reference_id, reference_type,
                                           cost_at_time, employee_id, device_id, created_at)
         SELECT id, product, branch, kind, qty, sale, 'sale', cost / 100.0, employee, $1, created
         FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::int4[], $7::int8[], $8::uuid[], $9::uuid[],
                     $10::timestamptz[])
              AS t(id, product, branch, kind, qty, cost, sale, employee, created)",
    )
    .bind(device.to_string())
    .bind(rows.iter().map(|r| r.moved.id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.moved.inventory_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.moved.branch_id.0).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.moved.operation_type.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.moved.quantity as i32).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.moved.cost_cents).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.sale).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.employee).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
