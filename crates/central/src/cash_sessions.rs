//! Closed cash sessions as headquarters looks them up, and the Z report of
//! one: what the drawer opened with, what was sold and how it was paid,
//! what was cancelled, the cash moved and why, the count against what was
//! expected, and the head of the audit chain of the device that held it.
//!
//! Dates are local dates in [`crate::reports::TIME_ZONE`], like the reports.

use chrono::{DateTime, NaiveDate, Utc};
use nexus_domain::Money;
use nexus_domain::cash::DenominationCount;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::reports::{Scope, TIME_ZONE};
use crate::{Error, Result};

/// The most sessions one page lists.
pub const MAX_PER_PAGE: i64 = 100;

/// What to look for: sessions closed between two local dates, optionally
/// of one branch, register or cashier.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SessionSearch {
    /// First local date of closing (`YYYY-MM-DD`).
    #[param(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// Last local date of closing, included.
    #[param(value_type = String, format = Date)]
    pub to: NaiveDate,
    pub branch: Option<Uuid>,
    pub register: Option<Uuid>,
    pub cashier: Option<Uuid>,
    /// From 1.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

/// A closed session as a search lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClosedSession {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub branch_name: String,
    pub register_id: Uuid,
    pub register_name: String,
    pub register_number: i16,
    pub cashier_id: Uuid,
    pub cashier_name: String,
    pub opened_at: DateTime<Utc>,
    pub closed_at: DateTime<Utc>,
    #[schema(value_type = i64)]
    pub opening_cents: Money,
    #[schema(value_type = i64)]
    pub expected_cents: Money,
    #[schema(value_type = i64)]
    pub counted_cents: Money,
    /// Counted minus expected: negative is a shortage.
    #[schema(value_type = i64)]
    pub difference_cents: Money,
    /// Offline work left it overlapping another session of its cashier or register.
    pub conflicted: bool,
    pub device_id: Option<String>,
}

/// One page of a search, the latest closed first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SessionPage {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub sessions: Vec<ClosedSession>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: Uuid,
    branch_id: Uuid,
    branch_name: String,
    register_id: Uuid,
    register_name: String,
    register_number: i16,
    cashier_id: Uuid,
    cashier_name: String,
    opened_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    opening: i64,
    expected: Option<i64>,
    counted: Option<i64>,
    difference: Option<i64>,
    conflicted: bool,
    device_id: Option<String>,
    closed_by_name: Option<String>,
    denominations: Option<serde_json::Value>,
    total: i64,
}

impl SessionRow {
    fn summary(&self) -> ClosedSession {
        let m = |c: Option<i64>| Money::from_cents(c.unwrap_or(0));
        ClosedSession {
            id: self.id,
            branch_id: self.branch_id,
            branch_name: self.branch_name.clone(),
            register_id: self.register_id,
            register_name: self.register_name.clone(),
            register_number: self.register_number,
            cashier_id: self.cashier_id,
            cashier_name: self.cashier_name.clone(),
            opened_at: self.opened_at,
            closed_at: self.closed_at.unwrap_or(self.opened_at),
            opening_cents: Money::from_cents(self.opening),
            expected_cents: m(self.expected),
            counted_cents: m(self.counted),
            difference_cents: m(self.difference),
            conflicted: self.conflicted,
            device_id: self.device_id.clone(),
        }
    }
}

const SESSION_COLUMNS: &str = "s.id, c.branch_id, coalesce(b.name, '') AS branch_name, c.id AS register_id,
    c.name AS register_name, c.register_number, s.opened_by AS cashier_id, coalesce(e.name, '') AS cashier_name,
    s.opened_at, s.closed_at, (s.opening_amount * 100)::int8 AS opening, (s.expected_amount * 100)::int8 AS expected,
    (s.counted_amount * 100)::int8 AS counted, (s.difference * 100)::int8 AS difference, s.conflicted, s.device_id,
    k.name AS closed_by_name, s.denominations, count(*) OVER () AS total
    FROM cash_sessions s
    JOIN cash_registers c ON c.id = s.cash_register_id
    LEFT JOIN branches b ON b.id = c.branch_id
    LEFT JOIN employees e ON e.id = s.opened_by
    LEFT JOIN employees k ON k.id = s.closed_by";

/// Closed sessions matching `q`, a page at a time.
pub async fn search(db: &PgPool, q: &SessionSearch) -> Result<SessionPage> {
    let scope = Scope::new(q.from, q.to, q.branch)?;
    let page = q.page.unwrap_or(1);
    let per_page = q.per_page.unwrap_or(50);
    if page < 1 || !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(nexus_domain::DomainError::Invalid {
            field: "page",
            reason: "la página empieza en 1 y lista de 1 a 100 sesiones",
        }
        .into());
    }
    let rows: Vec<SessionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SESSION_COLUMNS}
         WHERE s.status = 'CLOSED'
           AND s.closed_at >= ($1::date::timestamp AT TIME ZONE $3)
           AND s.closed_at < (($2::date + 1)::timestamp AT TIME ZONE $3)
           AND ($4::uuid IS NULL OR c.branch_id = $4)
           AND ($5::uuid IS NULL OR s.cash_register_id = $5)
           AND ($6::uuid IS NULL OR s.opened_by = $6)
         ORDER BY s.closed_at DESC, s.id
         LIMIT $7 OFFSET $8"
    )))
    .bind(scope.from)
    .bind(scope.to)
    .bind(TIME_ZONE)
    .bind(scope.branch_id)
    .bind(q.register)
    .bind(q.cashier)
    .bind(per_page)
    .bind((page - 1).saturating_mul(per_page))
    .fetch_all(db)
    .await?;
    let total = match rows.first() {
        Some(r) => r.total,
        // Past the last page the window counts nothing: count apart.
        None if page > 1 => {
            sqlx::query_scalar(
                "SELECT count(*) FROM cash_sessions s JOIN cash_registers c ON c.id = s.cash_register_id
                 WHERE s.status = 'CLOSED'
                   AND s.closed_at >= ($1::date::timestamp AT TIME ZONE $3)
                   AND s.closed_at < (($2::date + 1)::timestamp AT TIME ZONE $3)
                   AND ($4::uuid IS NULL OR c.branch_id = $4)
                   AND ($5::uuid IS NULL OR s.cash_register_id = $5)
                   AND ($6::uuid IS NULL OR s.opened_by = $6)",
            )
            .bind(scope.from)
            .bind(scope.to)
            .bind(TIME_ZONE)
            .bind(scope.branch_id)
            .bind(q.register)
            .bind(q.cashier)
            .fetch_one(db)
            .await?
        }
        None => 0,
    };
    Ok(SessionPage { total, page, per_page, sessions: rows.iter().map(SessionRow::summary).collect() })
}

/// What one payment method brought in during the session (sales not cancelled).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SessionPayment {
    pub method: String,
    pub payments: i64,
    #[schema(value_type = i64)]
    pub amount_cents: Money,
}

/// A sale of the session that was cancelled (its cash refund, if any, is
/// among the movements).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SessionReturn {
    pub sale_id: Uuid,
    #[schema(value_type = i64)]
    pub total_cents: Money,
    pub sold_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancelled_by_name: Option<String>,
}

/// Cash put in or taken out during the session, with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SessionMovement {
    pub id: Uuid,
    /// `in`, `out` or `expense`.
    pub kind: String,
    #[schema(value_type = i64)]
    pub amount_cents: Money,
    pub reason: String,
    pub employee_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Pieces of one denomination in the count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct DenominationLine {
    /// As the till names it: `B500`, `C10`, `C050`…
    pub denomination: String,
    /// As a cashier reads it: `Billete de $500`.
    pub label: String,
    #[schema(value_type = i64)]
    pub value_cents: Money,
    pub pieces: i64,
    #[schema(value_type = i64)]
    pub subtotal_cents: Money,
}

/// The device that held the session and its audit chain as central last
/// received it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct DeviceHead {
    pub device_id: Uuid,
    /// The seq of the last entry of the device's audit chain.
    pub chain_seq: i64,
    /// That entry's hash, hex.
    pub chain_head: String,
    pub last_synced_at: DateTime<Utc>,
}

/// The Z report of a closed session.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ZReport {
    pub session: ClosedSession,
    pub closed_by_name: Option<String>,
    /// Sales of the session not cancelled, and their total.
    pub sales: i64,
    #[schema(value_type = i64)]
    pub sales_total_cents: Money,
    pub payments: Vec<SessionPayment>,
    pub returns: Vec<SessionReturn>,
    pub movements: Vec<SessionMovement>,
    /// The count by denomination, largest first; empty when the cashier
    /// counted a total only.
    pub denominations: Vec<DenominationLine>,
    #[schema(value_type = i64)]
    pub denominations_total_cents: Money,
    pub device: Option<DeviceHead>,
}

fn session_not_found() -> Error {
    Error::not_found("session_not_found", "Sesión de caja no encontrada")
}

/// The Z report of session `id`; an unknown id (another tenant's too) is
/// not found, a session still open has no Z report yet.
#[allow(clippy::type_complexity)]
pub async fn z_report(db: &PgPool, id: Uuid) -> Result<ZReport> {
    let row: SessionRow =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SESSION_COLUMNS} WHERE s.id = $1")))
            .bind(id)
            .fetch_optional(db)
            .await?
            .ok_or_else(session_not_found)?;
    if row.closed_at.is_none() {
        return Err(Error::conflict(
            "session_open",
            "La sesión sigue abierta: su corte Z se hace al cerrarla",
        ));
    }
    let (sales, sales_total): (i64, i64) = sqlx::query_as(
        "SELECT count(*)::int8, (coalesce(sum(total), 0) * 100)::int8 FROM sales
         WHERE cash_session_id = $1 AND status = 'completed'",
    )
    .bind(id)
    .fetch_one(db)
    .await?;
    let payments: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT p.method, count(*)::int8, (sum(p.amount) * 100)::int8
         FROM sale_payments p JOIN sales v ON v.id = p.sale_id
         WHERE v.cash_session_id = $1 AND v.status = 'completed'
         GROUP BY 1 ORDER BY 1",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let returns: Vec<(Uuid, i64, DateTime<Utc>, Option<DateTime<Utc>>, Option<String>)> = sqlx::query_as(
        "SELECT v.id, (v.total * 100)::int8, v.created_at, v.cancelled_at, e.name
         FROM sales v LEFT JOIN employees e ON e.id = v.cancelled_by
         WHERE v.cash_session_id = $1 AND v.status <> 'completed'
         ORDER BY v.cancelled_at, v.id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let movements: Vec<(Uuid, String, i64, String, Option<String>, DateTime<Utc>)> = sqlx::query_as(
        "SELECT m.id, m.type, (m.amount * 100)::int8, m.reason, e.name, m.created_at
         FROM cash_movements m LEFT JOIN employees e ON e.id = m.employee_id
         WHERE m.cash_session_id = $1 ORDER BY m.created_at, m.id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let device: Option<(Uuid, i64, Vec<u8>, DateTime<Utc>)> =
        match row.device_id.as_deref().map(str::parse::<Uuid>) {
            Some(Ok(device)) => sqlx::query_as(
                "SELECT device_id, chain_seq, chain_head, updated_at FROM sync_devices WHERE device_id = $1",
            )
            .bind(device)
            .fetch_optional(db)
            .await?,
            _ => None,
        };
    let denominations = denomination_lines(row.denominations.as_ref());
    let denominations_total =
        Money::from_cents(denominations.iter().map(|d| d.subtotal_cents.cents()).sum::<i64>());
    Ok(ZReport {
        session: row.summary(),
        closed_by_name: row.closed_by_name.clone(),
        sales,
        sales_total_cents: Money::from_cents(sales_total),
        payments: payments
            .into_iter()
            .map(|(method, payments, amount)| SessionPayment {
                method,
                payments,
                amount_cents: Money::from_cents(amount),
            })
            .collect(),
        returns: returns
            .into_iter()
            .map(|(sale_id, total, sold_at, cancelled_at, cancelled_by_name)| SessionReturn {
                sale_id,
                total_cents: Money::from_cents(total),
                sold_at,
                cancelled_at,
                cancelled_by_name,
            })
            .collect(),
        movements: movements
            .into_iter()
            .map(|(id, kind, amount, reason, employee_name, created_at)| SessionMovement {
                id,
                kind,
                amount_cents: Money::from_cents(amount),
                reason,
                employee_name,
                created_at,
            })
            .collect(),
        denominations,
        denominations_total_cents: denominations_total,
        device: device.map(|(device_id, chain_seq, head, last_synced_at)| DeviceHead {
            device_id,
            chain_seq,
            chain_head: hex::encode(head),
            last_synced_at,
        }),
    })
}

/// The count as the till sent it, largest denomination first; what does
/// not read as a count is left out.
fn denomination_lines(count: Option<&serde_json::Value>) -> Vec<DenominationLine> {
    let Some(count) = count.and_then(|c| serde_json::from_value::<DenominationCount>(c.clone()).ok()) else {
        return Vec::new();
    };
    count
        .into_iter()
        .map(|(d, pieces)| DenominationLine {
            denomination: serde_json::to_value(d)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            label: d.label(),
            value_cents: d.value(),
            pieces: i64::from(pieces),
            subtotal_cents: Money::from_cents(d.value().cents().saturating_mul(i64::from(pieces))),
        })
        .collect()
}
