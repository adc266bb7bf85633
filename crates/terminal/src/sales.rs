//! Sales on an open session: lines from the local product table, price
//! tiers, discounts, IVA per line, payment with change, stock moves; and
//! cancelling a sale with its reversal.

use chrono::{DateTime, Utc};
use nexus_domain::money::Money;
use nexus_domain::sale::{self, Line, PaymentMethod, PriceTier, SaleTotals, Tender};
use nexus_domain::sync::{OpKind, payload};
use nexus_domain::{DomainError, Percent, Permission};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::cash_session::{drawer, operable_session};
use crate::error::{Error, Result};
use crate::journal::{self, Entry};
use crate::products::load_for_sale;
use crate::store::{RowExt, ts};
use crate::{Ctx, Terminal};

/// The most lines one sale may have.
pub const MAX_LINES: usize = 200;

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewSale {
    pub cash_session_id: Uuid,
    #[serde(default)]
    pub customer_id: Option<Uuid>,
    #[serde(default)]
    pub price_tier: PriceTier,
    pub lines: Vec<NewSaleLine>,
    pub payment: PaymentInput,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewSaleLine {
    pub product_id: Uuid,
    pub quantity: i64,
    /// Hundredths of a percent.
    #[serde(default)]
    pub discount_bp: u16,
}

/// Amounts as typed; absent means none.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    #[serde(default)]
    pub cash: Option<String>,
    #[serde(default)]
    pub card: Option<String>,
    #[serde(default)]
    pub transfer: Option<String>,
}

impl PaymentInput {
    pub fn tender(&self) -> Result<Tender> {
        let parse = |t: &Option<String>| -> Result<Money> {
            match t.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                Some(t) => Ok(Money::parse_amount(t)?),
                None => Ok(Money::ZERO),
            }
        };
        Ok(Tender { cash: parse(&self.cash)?, card: parse(&self.card)?, transfer: parse(&self.transfer)? })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReceiptLine {
    pub product_id: Uuid,
    pub part_number: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
    pub discount_bp: Percent,
    pub discount_cents: i64,
    pub subtotal_cents: i64,
    pub tax_cents: i64,
    pub total_cents: i64,
}

/// What the receipt shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Receipt {
    pub sale_id: Uuid,
    pub store_name: String,
    pub cashier_name: String,
    pub cash_session_id: Uuid,
    pub register_name: String,
    pub price_tier: PriceTier,
    pub lines: Vec<ReceiptLine>,
    pub totals: SaleTotals,
    pub payment_method: PaymentMethod,
    pub cash_tendered_cents: i64,
    pub card_cents: i64,
    pub transfer_cents: i64,
    pub change_cents: i64,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct CancelSale {
    pub sale_id: Uuid,
    pub reason: String,
    /// The canceller's open session the cash refund leaves; defaults to
    /// their open session.
    #[serde(default)]
    pub cash_session_id: Option<Uuid>,
}

fn insert_stock_move(
    tx: &Transaction<'_>,
    ctx: &Ctx<'_>,
    m: &payload::StockMove,
    reference: Uuid,
    note: &str,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO inventory_operations (id, inventory_id, branch_id, operation_type, quantity, reference_id, reference_type,
                                           cost_at_time, employee_id, device_id, notes, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'sale', ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        m.id.to_string(),
        m.inventory_id.to_string(),
        m.branch_id.to_string(),
        m.operation_type,
        m.quantity,
        reference.to_string(),
        m.cost_cents,
        ctx.actor.id.to_string(),
        ctx.device.device_id.to_string(),
        note,
        ts(ctx.now),
    ])?;
    Ok(())
}

impl Terminal {
    /// Rings up a sale on the actor's open session (`pos.sell`; discounts
    /// need `pos.discount` within the actor's maximum).
    pub fn sell(&self, input: &NewSale) -> Result<Receipt> {
        if input.lines.is_empty() {
            return Err(DomainError::EmptySale.into());
        }
        if input.lines.len() > MAX_LINES {
            return Err(DomainError::Invalid {
                field: "lines",
                reason: "una venta admite a lo más 200 partidas",
            }
            .into());
        }
        let tender = input.payment.tender()?;
        self.act(|tx, ctx| {
            ctx.actor.require(&[Permission::PosSell])?;
            let session = operable_session(tx, input.cash_session_id, ctx.actor.id)?;
            if let Some(customer) = input.customer_id {
                let active: Option<i64> = tx
                    .query_row("SELECT is_active FROM customers WHERE id = ?1", [customer.to_string()], |r| r.get(0))
                    .optional()?;
                if active != Some(1) {
                    return Err(Error::not_found("customer_not_found", "Cliente no encontrado"));
                }
            }
            let branch = ctx.device.branch_id;
            let mut lines = Vec::with_capacity(input.lines.len());
            let mut priced = Vec::with_capacity(input.lines.len());
            for l in &input.lines {
                let product = load_for_sale(tx, branch, l.product_id)?
                    .ok_or_else(|| Error::not_found("product_not_found", "Producto no encontrado o inactivo"))?;
                let discount = Percent::from_hundredths(l.discount_bp).map_err(DomainError::from)?;
                sale::check_discount(&ctx.actor.grants, ctx.actor.max_discount, discount)?;
                let unit = product.prices[usize::from(u8::from(input.price_tier)) - 1];
                let p = sale::price_line(&Line {
                    unit_price: Money::from_cents(unit),
                    quantity: l.quantity,
                    discount,
                    tax_rate: product.tax_rate_bp,
                })?;
                priced.push(p);
                lines.push((product, l.quantity, discount, unit, p));
            }
            let totals = sale::totals(&priced)?;
            let settlement = sale::settle(totals.total, tender)?;

            let sale_id = Uuid::now_v7();
            let now = ts(ctx.now);
            tx.prepare_cached(
                "INSERT INTO sales (id, branch_id, customer_id, employee_id, register_id, cash_session_id, sale_type, payment_method,
                                    price_tier, subtotal, discount_total, tax_total, total, amount_paid, change_given,
                                    metodo_pago_sat, forma_pago_sat, device_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'cash', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 'PUE', ?15, ?16, ?17)",
            )?
            .execute(params![
                    sale_id.to_string(),
                    branch.to_string(),
                    input.customer_id.map(|c| c.to_string()),
                    ctx.actor.id.to_string(),
                    session.cash_register_id.to_string(),
                    session.id.to_string(),
                    settlement.method.code(),
                    u8::from(input.price_tier),
                    totals.subtotal.cents(),
                    totals.discount_total.cents(),
                    totals.tax_total.cents(),
                    totals.total.cents(),
                    settlement.amount_paid().cents(),
                    settlement.change.cents(),
                    settlement.method.forma_pago_sat(),
                    ctx.device.device_id.to_string(),
                    now,
                ])?;
            let mut items = Vec::with_capacity(lines.len());
            let mut stock = Vec::with_capacity(lines.len());
            let mut receipt_lines = Vec::with_capacity(lines.len());
            for (product, quantity, discount, unit, p) in &lines {
                let item = payload::SaleItem {
                    id: Uuid::now_v7(),
                    inventory_id: product.id,
                    part_number: product.part_number.clone(),
                    name: product.name.clone(),
                    quantity: *quantity,
                    unit_price_cents: *unit,
                    unit_cost_cents: product.cost_cents,
                    discount_bp: *discount,
                    discount_cents: p.discount.cents(),
                    tax_rate_bp: product.tax_rate_bp,
                    tax_cents: p.tax.cents(),
                    subtotal_cents: p.subtotal.cents(),
                };
                tx.prepare_cached(
                    "INSERT INTO sale_items (id, sale_id, inventory_id, part_number, name, quantity, unit_price, unit_cost,
                                             discount_pct, discount_amount, tax_rate, tax_amount, subtotal)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )?
                .execute(params![
                    item.id.to_string(),
                    sale_id.to_string(),
                    item.inventory_id.to_string(),
                    item.part_number,
                    item.name,
                    item.quantity,
                    item.unit_price_cents,
                    item.unit_cost_cents,
                    item.discount_bp.hundredths(),
                    item.discount_cents,
                    item.tax_rate_bp.hundredths(),
                    item.tax_cents,
                    item.subtotal_cents,
                ])?;
                let m = payload::StockMove {
                    id: Uuid::now_v7(),
                    inventory_id: product.id,
                    branch_id: branch,
                    operation_type: "SALE".into(),
                    quantity: -quantity,
                    cost_cents: product.cost_cents,
                };
                insert_stock_move(tx, ctx, &m, sale_id, "Venta")?;
                receipt_lines.push(ReceiptLine {
                    product_id: product.id,
                    part_number: product.part_number.clone(),
                    name: product.name.clone(),
                    quantity: *quantity,
                    unit_price_cents: *unit,
                    discount_bp: *discount,
                    discount_cents: p.discount.cents(),
                    subtotal_cents: p.subtotal.cents(),
                    tax_cents: p.tax.cents(),
                    total_cents: p.total.cents(),
                });
                items.push(item);
                stock.push(m);
            }
            let mut payments = Vec::new();
            for (method, amount, tendered) in [
                (PaymentMethod::Efectivo, settlement.cash_applied, settlement.cash_tendered),
                (PaymentMethod::Tarjeta, settlement.card, settlement.card),
                (PaymentMethod::Transferencia, settlement.transfer, settlement.transfer),
            ] {
                if tendered.is_zero() {
                    continue;
                }
                let p = payload::SalePayment { id: Uuid::now_v7(), method, amount_cents: amount.cents(), tendered_cents: tendered.cents() };
                tx.prepare_cached("INSERT INTO sale_payments (id, sale_id, method, amount, tendered) VALUES (?1, ?2, ?3, ?4, ?5)")?
                    .execute(params![p.id.to_string(), sale_id.to_string(), method.code(), p.amount_cents, p.tendered_cents])?;
                payments.push(p);
            }
            journal::record(
                tx,
                ctx.device.device_id,
                ctx.now,
                Entry {
                    kind: OpKind::SaleCompleted,
                    employee_id: Some(ctx.actor.id),
                    branch_id: Some(branch.0),
                    action: "SALE",
                    entity_type: "sale",
                    entity_id: Some(sale_id.to_string()),
                    old_value: None,
                    new_value: Some(json!({
                        "cash_session_id": session.id,
                        "lines": items.len(),
                        "total_cents": totals.total.cents(),
                        "payment_method": settlement.method,
                        "change_cents": settlement.change.cents(),
                    })),
                },
                &payload::SaleCompleted {
                    sale_id,
                    branch_id: branch,
                    customer_id: input.customer_id,
                    employee_id: ctx.actor.id,
                    register_id: session.cash_register_id,
                    cash_session_id: session.id,
                    price_tier: u8::from(input.price_tier),
                    payment_method: settlement.method,
                    totals,
                    amount_paid_cents: settlement.amount_paid().cents(),
                    change_cents: settlement.change.cents(),
                    items,
                    payments,
                    stock,
                    created_at: ctx.now,
                },
            )?;
            Ok(Receipt {
                sale_id,
                store_name: ctx.device.store_name.clone(),
                cashier_name: ctx.actor.name.clone(),
                cash_session_id: session.id,
                register_name: session.register_name.clone(),
                price_tier: input.price_tier,
                lines: receipt_lines,
                totals,
                payment_method: settlement.method,
                cash_tendered_cents: settlement.cash_tendered.cents(),
                card_cents: settlement.card.cents(),
                transfer_cents: settlement.transfer.cents(),
                change_cents: settlement.change.cents(),
                status: "completed".into(),
                created_at: ctx.now,
            })
        })
    }

    /// Cancels a completed sale (`pos.cancel`): its stock comes back and the
    /// cash it kept leaves its session as a refund. Seed 004 lets only the
    /// owner operate on a session, and only while it is OPEN, so the sale
    /// must belong to the canceller's own open session; anyone else's sale,
    /// or one of a closed session, is refused with the seed's message.
    pub fn cancel_sale(&self, input: &CancelSale) -> Result<Receipt> {
        let reason = nexus_domain::error::required_text("reason", &input.reason, 300)?;
        self.act(|tx, ctx| {
            ctx.actor.require(&[Permission::PosCancel])?;
            let receipt = load_receipt(tx, &ctx.device.store_name, input.sale_id)?
                .ok_or_else(|| Error::not_found("sale_not_found", "Venta no encontrada"))?;
            let session = operable_session(tx, receipt.cash_session_id, ctx.actor.id)?;
            if input.cash_session_id.is_some_and(|id| id != session.id) {
                return Err(Error::Rule(DomainError::InvalidSession));
            }
            if receipt.status != "completed" {
                return Err(Error::conflict("sale_not_cancellable", "La venta ya fue cancelada"));
            }
            let cash_kept = receipt.cash_tendered_cents - receipt.change_cents;
            let refund = if cash_kept > 0 {
                let available = drawer(tx, &session)?.expected()?;
                if available.cents() < cash_kept {
                    return Err(insufficient_cash());
                }
                let m = payload::CashMoved {
                    movement_id: Uuid::now_v7(),
                    cash_session_id: session.id,
                    kind: "out".into(),
                    amount_cents: cash_kept,
                    reason: format!("Cancelación de venta {}: {reason}", short(input.sale_id)),
                    employee_id: ctx.actor.id,
                    created_at: ctx.now,
                };
                insert_movement(tx, &m)?;
                Some(m)
            } else {
                None
            };
            let mut stock = Vec::new();
            for line in &receipt.lines {
                let cost: i64 = tx.query_row(
                    "SELECT coalesce(unit_cost, 0) FROM sale_items WHERE sale_id = ?1 AND inventory_id = ?2",
                    params![input.sale_id.to_string(), line.product_id.to_string()],
                    |r| r.get(0),
                )?;
                let m = payload::StockMove {
                    id: Uuid::now_v7(),
                    inventory_id: line.product_id,
                    branch_id: ctx.device.branch_id,
                    operation_type: "CANCEL".into(),
                    quantity: line.quantity,
                    cost_cents: cost,
                };
                insert_stock_move(tx, ctx, &m, input.sale_id, "Cancelación de venta")?;
                stock.push(m);
            }
            tx.execute(
                "UPDATE sales SET status = 'cancelled', cancelled_at = ?2, cancelled_by = ?3 WHERE id = ?1 AND status = 'completed'",
                params![input.sale_id.to_string(), ts(ctx.now), ctx.actor.id.to_string()],
            )?;
            journal::record(
                tx,
                ctx.device.device_id,
                ctx.now,
                Entry {
                    kind: OpKind::SaleCancelled,
                    employee_id: Some(ctx.actor.id),
                    branch_id: Some(ctx.device.branch_id.0),
                    action: "SALE_CANCEL",
                    entity_type: "sale",
                    entity_id: Some(input.sale_id.to_string()),
                    old_value: Some(json!({ "status": "completed" })),
                    new_value: Some(json!({ "status": "cancelled", "reason": reason, "refund_cents": cash_kept.max(0) })),
                },
                &payload::SaleCancelled {
                    sale_id: input.sale_id,
                    cancelled_by: ctx.actor.id,
                    reason: reason.clone(),
                    refund,
                    stock,
                    cancelled_at: ctx.now,
                },
            )?;
            load_receipt(tx, &ctx.device.store_name, input.sale_id)?.ok_or_else(|| Error::Internal("sale vanished".into()))
        })
    }

    /// A sale's receipt (`pos.sell`).
    pub fn receipt(&self, sale_id: Uuid) -> Result<Receipt> {
        self.view(|conn, ctx| {
            ctx.actor.require(&[Permission::PosSell])?;
            load_receipt(conn, &ctx.device.store_name, sale_id)?
                .ok_or_else(|| Error::not_found("sale_not_found", "Venta no encontrada"))
        })
    }
}

pub(crate) fn insufficient_cash() -> Error {
    Error::conflict("insufficient_cash", "No hay suficiente efectivo en la caja")
}

pub(crate) fn short(id: Uuid) -> String {
    id.simple().to_string()[24..].to_uppercase()
}

pub(crate) fn insert_movement(tx: &Transaction<'_>, m: &payload::CashMoved) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO cash_movements (id, cash_session_id, type, amount, reason, employee_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        m.movement_id.to_string(),
        m.cash_session_id.to_string(),
        m.kind,
        m.amount_cents,
        m.reason,
        m.employee_id.to_string(),
        ts(m.created_at),
    ])?;
    Ok(())
}

fn load_receipt(conn: &Connection, store_name: &str, sale_id: Uuid) -> Result<Option<Receipt>> {
    let head = conn
        .prepare_cached(
            "SELECT v.id, e.name, v.cash_session_id, r.name, v.price_tier, v.subtotal, v.discount_total, v.tax_total, v.total,
                    v.payment_method, v.change_given, v.status, v.created_at
             FROM sales v JOIN employees e ON e.id = v.employee_id JOIN cash_registers r ON r.id = v.register_id
             WHERE v.id = ?1",
        )?
        .query_row([sale_id.to_string()], |r| {
            Ok((
                r.get::<_, String>(1)?,
                r.uuid(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, u8>(4)?,
                SaleTotals {
                    subtotal: Money::from_cents(r.get(5)?),
                    discount_total: Money::from_cents(r.get(6)?),
                    tax_total: Money::from_cents(r.get(7)?),
                    total: Money::from_cents(r.get(8)?),
                },
                r.get::<_, String>(9)?,
                r.get::<_, i64>(10)?,
                r.get::<_, String>(11)?,
                r.time(12)?,
            ))
        })
        .optional()?;
    let Some((cashier, session, register, tier, totals, method, change, status, created_at)) = head else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT inventory_id, part_number, name, quantity, unit_price, discount_pct, discount_amount, subtotal, tax_amount
         FROM sale_items WHERE sale_id = ?1 ORDER BY id",
    )?;
    let lines = stmt
        .query_map([sale_id.to_string()], |r| {
            let subtotal: i64 = r.get(7)?;
            let tax: i64 = r.get(8)?;
            Ok(ReceiptLine {
                product_id: r.uuid(0)?,
                part_number: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                name: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                quantity: r.get(3)?,
                unit_price_cents: r.get(4)?,
                discount_bp: Percent::from_hundredths(r.get::<_, u16>(5)?).unwrap_or(Percent::ZERO),
                discount_cents: r.get(6)?,
                subtotal_cents: subtotal,
                tax_cents: tax,
                total_cents: subtotal + tax,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let paid = |m: &str| -> Result<i64> {
        Ok(conn
            .prepare_cached(
                "SELECT coalesce(sum(tendered), 0) FROM sale_payments WHERE sale_id = ?1 AND method = ?2",
            )?
            .query_row(params![sale_id.to_string(), m], |r| r.get(0))?)
    };
    let method: PaymentMethod = serde_json::from_value(json!(method))?;
    Ok(Some(Receipt {
        sale_id,
        store_name: store_name.to_owned(),
        cashier_name: cashier,
        cash_session_id: session,
        register_name: register,
        price_tier: PriceTier::try_from(tier)?,
        lines,
        totals,
        payment_method: method,
        cash_tendered_cents: paid("efectivo")?,
        card_cents: paid("tarjeta")?,
        transfer_cents: paid("transferencia")?,
        change_cents: change,
        status,
        created_at,
    }))
}
