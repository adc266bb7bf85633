//! Customers, layaways (apartados) and their payments on an open session.

use chrono::NaiveDate;
use nexus_domain::error::{optional_text, required_text};
use nexus_domain::money::Money;
use nexus_domain::sale::{PaymentMethod, PriceTier};
use nexus_domain::sync::{OpKind, payload};
use nexus_domain::tenant::normalize_rfc;
use nexus_domain::{DomainError, Permission};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::Terminal;
use crate::cash_session::operable_session;
use crate::error::{Error, Result};
use crate::journal::{self, Entry};
use crate::store::{RowExt, ts};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Customer {
    pub id: Uuid,
    pub name: String,
    pub phone: Option<String>,
    pub rfc: Option<String>,
    pub price_tier: PriceTier,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub rfc: Option<String>,
    #[serde(default)]
    pub price_tier: PriceTier,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Layaway {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub total_cents: i64,
    pub amount_paid_cents: i64,
    pub remaining_cents: i64,
    pub status: String,
    pub expires_at: Option<NaiveDate>,
    pub notes: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewLayaway {
    pub customer_id: Uuid,
    /// As typed.
    pub total: String,
    #[serde(default)]
    pub expires_at: Option<NaiveDate>,
    #[serde(default)]
    pub notes: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewLayawayPayment {
    pub cash_session_id: Uuid,
    pub layaway_id: Uuid,
    /// As typed.
    pub amount: String,
    pub method: PaymentMethod,
}

const LAYAWAY_SELECT: &str =
    "SELECT l.id, l.customer_id, c.name, l.total, l.amount_paid, l.status, l.expires_at, l.notes
    FROM layaways l JOIN customers c ON c.id = l.customer_id";

fn read_layaway(r: &rusqlite::Row<'_>) -> rusqlite::Result<Layaway> {
    let total: i64 = r.get(3)?;
    let paid: i64 = r.get(4)?;
    Ok(Layaway {
        id: r.uuid(0)?,
        customer_id: r.uuid(1)?,
        customer_name: r.get(2)?,
        total_cents: total,
        amount_paid_cents: paid,
        remaining_cents: total - paid,
        status: r.get(5)?,
        expires_at: r.get::<_, Option<String>>(6)?.and_then(|d| d.parse().ok()),
        notes: r.get(7)?,
    })
}

fn load_layaway(conn: &Connection, id: Uuid) -> Result<Option<Layaway>> {
    Ok(conn
        .prepare_cached(&format!("{LAYAWAY_SELECT} WHERE l.id = ?1"))?
        .query_row([id.to_string()], read_layaway)
        .optional()?)
}

impl Terminal {
    /// Registers a customer (`customers.create`).
    pub fn create_customer(&self, new: &NewCustomer) -> Result<Customer> {
        let name = required_text("name", &new.name, 300)?;
        let phone = optional_text("phone", new.phone.as_deref(), 20)?;
        let rfc =
            new.rfc.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(normalize_rfc).transpose()?;
        self.act(|tx, ctx| {
            ctx.actor.require(&[Permission::CustomersCreate])?;
            let id = Uuid::now_v7();
            tx.execute(
                "INSERT INTO customers (id, branch_id, name, rfc, phone, price_tier, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id.to_string(), ctx.device.branch_id.to_string(), name, rfc, phone, u8::from(new.price_tier), ts(ctx.now)],
            )?;
            journal::record(
                tx,
                ctx.device.device_id,
                ctx.now,
                Entry {
                    kind: OpKind::CustomerSaved,
                    employee_id: Some(ctx.actor.id),
                    branch_id: Some(ctx.device.branch_id.0),
                    action: "CUSTOMER_CREATE",
                    entity_type: "customer",
                    entity_id: Some(id.to_string()),
                    old_value: None,
                    new_value: Some(json!({ "name": name, "phone": phone, "rfc": rfc })),
                },
                &payload::CustomerSaved {
                    id,
                    branch_id: Some(ctx.device.branch_id),
                    name: name.clone(),
                    phone: phone.clone(),
                    rfc: rfc.clone(),
                    price_tier: u8::from(new.price_tier),
                    created_at: ctx.now,
                },
            )?;
            Ok(Customer { id, name, phone, rfc, price_tier: new.price_tier })
        })
    }

    /// Opens a layaway for a customer (`pos.sell`).
    pub fn create_layaway(&self, new: &NewLayaway) -> Result<Layaway> {
        let total = Money::parse_amount(&new.total)?;
        if total.is_zero() {
            return Err(DomainError::Invalid { field: "total", reason: "debe ser mayor que cero" }.into());
        }
        let notes = optional_text("notes", new.notes.as_deref(), 500)?;
        self.act(|tx, ctx| {
            ctx.actor.require(&[Permission::PosSell])?;
            let exists: Option<i64> = tx
                .query_row("SELECT is_active FROM customers WHERE id = ?1", [new.customer_id.to_string()], |r| r.get(0))
                .optional()?;
            if exists != Some(1) {
                return Err(Error::not_found("customer_not_found", "Cliente no encontrado"));
            }
            let id = Uuid::now_v7();
            tx.execute(
                "INSERT INTO layaways (id, branch_id, customer_id, employee_id, total, expires_at, notes, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    id.to_string(),
                    ctx.device.branch_id.to_string(),
                    new.customer_id.to_string(),
                    ctx.actor.id.to_string(),
                    total.cents(),
                    new.expires_at.map(|d| d.to_string()),
                    notes,
                    ts(ctx.now)
                ],
            )?;
            journal::record(
                tx,
                ctx.device.device_id,
                ctx.now,
                Entry {
                    kind: OpKind::LayawayCreated,
                    employee_id: Some(ctx.actor.id),
                    branch_id: Some(ctx.device.branch_id.0),
                    action: "LAYAWAY_CREATE",
                    entity_type: "layaway",
                    entity_id: Some(id.to_string()),
                    old_value: None,
                    new_value: Some(json!({ "customer_id": new.customer_id, "total_cents": total.cents() })),
                },
                &payload::LayawayCreated {
                    layaway_id: id,
                    branch_id: ctx.device.branch_id,
                    customer_id: new.customer_id,
                    employee_id: ctx.actor.id,
                    total_cents: total.cents(),
                    expires_at: new.expires_at,
                    notes: notes.clone(),
                    created_at: ctx.now,
                },
            )?;
            load_layaway(tx, id)?.ok_or_else(|| Error::Internal("layaway vanished".into()))
        })
    }

    /// Takes a layaway payment on the actor's open session (`pos.sell`);
    /// never more than what remains.
    pub fn pay_layaway(&self, input: &NewLayawayPayment) -> Result<Layaway> {
        let amount = Money::parse_amount(&input.amount)?;
        if amount.is_zero() {
            return Err(DomainError::Invalid { field: "amount", reason: "debe ser mayor que cero" }.into());
        }
        if input.method == PaymentMethod::Mixto {
            return Err(DomainError::Invalid {
                field: "method",
                reason: "un abono se paga con un solo método",
            }
            .into());
        }
        self.act(|tx, ctx| {
            ctx.actor.require(&[Permission::PosSell])?;
            let session = operable_session(tx, input.cash_session_id, ctx.actor.id)?;
            let layaway = load_layaway(tx, input.layaway_id)?
                .ok_or_else(|| Error::not_found("layaway_not_found", "Apartado no encontrado"))?;
            if layaway.status != "active" {
                return Err(Error::conflict("layaway_not_active", "El apartado no está activo"));
            }
            if amount.cents() > layaway.remaining_cents {
                return Err(Error::conflict(
                    "layaway_overpaid",
                    format!("El abono excede el saldo de {}", Money::from_cents(layaway.remaining_cents).to_mxn_string()),
                ));
            }
            let id = Uuid::now_v7();
            tx.execute(
                "INSERT INTO layaway_payments (id, layaway_id, cash_session_id, amount, payment_method, employee_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id.to_string(), layaway.id.to_string(), session.id.to_string(), amount.cents(), input.method.code(), ctx.actor.id.to_string(), ts(ctx.now)],
            )?;
            let paid = layaway.amount_paid_cents + amount.cents();
            let status = if paid == layaway.total_cents { "completed" } else { "active" };
            tx.execute(
                "UPDATE layaways SET amount_paid = ?2, status = ?3 WHERE id = ?1",
                params![layaway.id.to_string(), paid, status],
            )?;
            journal::record(
                tx,
                ctx.device.device_id,
                ctx.now,
                Entry {
                    kind: OpKind::LayawayPaid,
                    employee_id: Some(ctx.actor.id),
                    branch_id: Some(ctx.device.branch_id.0),
                    action: "LAYAWAY_PAYMENT",
                    entity_type: "layaway",
                    entity_id: Some(layaway.id.to_string()),
                    old_value: Some(json!({ "amount_paid_cents": layaway.amount_paid_cents })),
                    new_value: Some(json!({ "amount_paid_cents": paid, "payment_cents": amount.cents(), "method": input.method })),
                },
                &payload::LayawayPaid {
                    payment_id: id,
                    layaway_id: layaway.id,
                    cash_session_id: session.id,
                    amount_cents: amount.cents(),
                    payment_method: input.method,
                    employee_id: ctx.actor.id,
                    created_at: ctx.now,
                },
            )?;
            load_layaway(tx, layaway.id)?.ok_or_else(|| Error::Internal("layaway vanished".into()))
        })
    }

    /// Active layaways, newest first (`pos.sell`).
    pub fn layaways(&self) -> Result<Vec<Layaway>> {
        self.view(|conn, ctx| {
            ctx.actor.require(&[Permission::PosSell])?;
            let mut stmt = conn.prepare_cached(&format!(
                "{LAYAWAY_SELECT} WHERE l.status = 'active' ORDER BY l.created_at DESC"
            ))?;
            Ok(stmt.query_map([], read_layaway)?.collect::<rusqlite::Result<_>>()?)
        })
    }
}
