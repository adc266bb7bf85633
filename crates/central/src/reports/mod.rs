//! Headquarters' reports over a range of local dates and, optionally, one
//! branch: sales by day, by hour of day, by cashier, by payment method and
//! by register; cash differences per cashier; the register rotation.
//!
//! Sales figures come from the hourly summary tables that the sync ingest
//! keeps in the same transaction as the sale (`summary`), never from a scan
//! of `sales`; cash figures come from `cash_sessions`, indexed by when a
//! session opened and closed. Dates are the tenant's local dates: tenants
//! have no time zone of their own yet, so every one is read in
//! [`TIME_ZONE`]. Each function returns typed rows, for the JSON API, the
//! CSV export and the console's pages alike.

pub mod csv;
pub mod summary;

use chrono::{DateTime, NaiveDate, Utc};
use nexus_domain::Money;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{Error, Result};

/// The zone local dates and hours are read in (central Mexico, UTC−6 all
/// year since 2022).
pub const TIME_ZONE: &str = "America/Mexico_City";

/// The longest range one report covers, in days.
pub const MAX_DAYS: i64 = 366;

/// The local dates a report covers, both included, and the branch it is
/// limited to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Scope {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub branch_id: Option<Uuid>,
}

impl Scope {
    /// Checks a range: it starts no later than it ends and spans at most
    /// [`MAX_DAYS`] days.
    pub fn new(from: NaiveDate, to: NaiveDate, branch_id: Option<Uuid>) -> Result<Scope> {
        if from > to {
            return Err(Error::unprocessable(
                "report_range_inverted",
                "La fecha inicial («from») es posterior a la final («to»)",
            ));
        }
        if (to - from).num_days() + 1 > MAX_DAYS {
            return Err(Error::unprocessable(
                "report_range_too_long",
                format!("El periodo abarca más de {MAX_DAYS} días; elige uno más corto"),
            ));
        }
        Ok(Scope { from, to, branch_id })
    }
}

/// The sales of one local day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct DayRow {
    pub day: NaiveDate,
    /// Sales completed and not cancelled.
    pub sales: i64,
    #[schema(value_type = i64)]
    pub total_cents: Money,
    pub cancelled: i64,
    #[schema(value_type = i64)]
    pub cancelled_total_cents: Money,
}

/// The sales of one hour of the local day (0–23), over the whole range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct HourRow {
    pub hour: i32,
    pub sales: i64,
    #[schema(value_type = i64)]
    pub total_cents: Money,
}

/// The sales of one cashier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CashierRow {
    pub cashier_id: Uuid,
    pub cashier_name: String,
    pub sales: i64,
    #[schema(value_type = i64)]
    pub total_cents: Money,
    pub cancelled: i64,
    #[schema(value_type = i64)]
    pub cancelled_total_cents: Money,
}

/// What was paid with one method: a split sale counts once per method,
/// with the part paid that way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct MethodRow {
    /// `efectivo`, `tarjeta` or `transferencia`.
    pub method: String,
    pub payments: i64,
    #[schema(value_type = i64)]
    pub amount_cents: Money,
}

/// The sales of one register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RegisterRow {
    pub register_id: Uuid,
    pub register_name: String,
    pub register_number: i16,
    pub branch_id: Uuid,
    pub branch_name: String,
    pub sales: i64,
    #[schema(value_type = i64)]
    pub total_cents: Money,
}

/// One cashier's closed sessions of one local day (by when they closed):
/// counted minus expected, the shortages and the overages apart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct DifferenceRow {
    pub day: NaiveDate,
    pub cashier_id: Uuid,
    pub cashier_name: String,
    pub sessions: i64,
    #[schema(value_type = i64)]
    pub difference_cents: Money,
    /// The sum of the negative differences (≤ 0).
    #[schema(value_type = i64)]
    pub shortage_cents: Money,
    /// The sum of the positive differences (≥ 0).
    #[schema(value_type = i64)]
    pub overage_cents: Money,
}

/// Who used which register (seed 004's rotation report): the sessions a
/// cashier opened on a register in the range, and how long the closed
/// ones were open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RotationRow {
    pub cashier_id: Uuid,
    pub cashier_name: String,
    pub register_id: Uuid,
    pub register_name: String,
    pub branch_id: Uuid,
    pub branch_name: String,
    pub sessions: i64,
    /// Sessions still open; their time is not counted yet.
    pub open_sessions: i64,
    pub seconds_open: i64,
    pub first_opened_at: DateTime<Utc>,
    pub last_opened_at: DateTime<Utc>,
}

/// A report's rows with what they cover.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Report<T> {
    #[serde(flatten)]
    pub scope: Scope,
    pub time_zone: &'static str,
    pub rows: Vec<T>,
}

impl<T> Report<T> {
    fn of(scope: &Scope, rows: Vec<T>) -> Report<T> {
        Report { scope: *scope, time_zone: TIME_ZONE, rows }
    }
}

/// The hours of the summary tables inside the scope (`$1` from, `$2` to,
/// `$3` the zone, `$4` the branch or NULL), for the table aliased `r`.
const IN_SCOPE: &str = "r.hour >= ($1::date::timestamp AT TIME ZONE $3)
    AND r.hour < (($2::date + 1)::timestamp AT TIME ZONE $3)
    AND ($4::uuid IS NULL OR r.branch_id = $4)";

fn cents(c: i64) -> Money {
    Money::from_cents(c)
}

/// Sales per local day, every day of the range listed.
pub async fn sales_by_day(db: &PgPool, scope: &Scope) -> Result<Report<DayRow>> {
    let rows: Vec<(NaiveDate, i64, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT d::date, coalesce(t.sales, 0), coalesce(t.total, 0), coalesce(t.cancelled, 0),
                coalesce(t.cancelled_total, 0)
         FROM generate_series($1::date, $2::date, interval '1 day') AS d
         LEFT JOIN (SELECT (r.hour AT TIME ZONE $3)::date AS day, sum(r.sales)::int8 AS sales,
                           (sum(r.total) * 100)::int8 AS total, sum(r.cancelled)::int8 AS cancelled,
                           (sum(r.cancelled_total) * 100)::int8 AS cancelled_total
                    FROM report_sales_hourly r WHERE {IN_SCOPE} GROUP BY 1) t ON t.day = d::date
         ORDER BY 1"
    )))
    .bind(scope.from)
    .bind(scope.to)
    .bind(TIME_ZONE)
    .bind(scope.branch_id)
    .fetch_all(db)
    .await?;
    let rows = rows
        .into_iter()
        .map(|(day, sales, total, cancelled, cancelled_total)| DayRow {
            day,
            sales,
            total_cents: cents(total),
            cancelled,
            cancelled_total_cents: cents(cancelled_total),
        })
        .collect();
    Ok(Report::of(scope, rows))
}

/// Sales per local hour of the day (0–23), all 24 listed.
pub async fn sales_by_hour(db: &PgPool, scope: &Scope) -> Result<Report<HourRow>> {
    let rows: Vec<(i32, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT h, coalesce(t.sales, 0), coalesce(t.total, 0)
         FROM generate_series(0, 23) AS h
         LEFT JOIN (SELECT extract(hour FROM r.hour AT TIME ZONE $3)::int4 AS hour, sum(r.sales)::int8 AS sales,
                           (sum(r.total) * 100)::int8 AS total
                    FROM report_sales_hourly r WHERE {IN_SCOPE} GROUP BY 1) t ON t.hour = h
         ORDER BY 1"
    )))
    .bind(scope.from)
    .bind(scope.to)
    .bind(TIME_ZONE)
    .bind(scope.branch_id)
    .fetch_all(db)
    .await?;
    let rows = rows
        .into_iter()
        .map(|(hour, sales, total)| HourRow { hour, sales, total_cents: cents(total) })
        .collect();
    Ok(Report::of(scope, rows))
}

/// Sales per cashier, the largest total first.
pub async fn sales_by_cashier(db: &PgPool, scope: &Scope) -> Result<Report<CashierRow>> {
    let rows: Vec<(Uuid, String, i64, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT t.employee_id, coalesce(e.name, ''), t.sales, t.total, t.cancelled, t.cancelled_total
         FROM (SELECT r.employee_id, sum(r.sales)::int8 AS sales, (sum(r.total) * 100)::int8 AS total,
                      sum(r.cancelled)::int8 AS cancelled, (sum(r.cancelled_total) * 100)::int8 AS cancelled_total
               FROM report_sales_hourly r WHERE {IN_SCOPE} GROUP BY 1) t
         LEFT JOIN employees e ON e.id = t.employee_id
         WHERE t.sales > 0 OR t.cancelled > 0
         ORDER BY t.total DESC, 2, 1"
    )))
    .bind(scope.from)
    .bind(scope.to)
    .bind(TIME_ZONE)
    .bind(scope.branch_id)
    .fetch_all(db)
    .await?;
    let rows = rows
        .into_iter()
        .map(|(cashier_id, cashier_name, sales, total, cancelled, cancelled_total)| CashierRow {
            cashier_id,
            cashier_name,
            sales,
            total_cents: cents(total),
            cancelled,
            cancelled_total_cents: cents(cancelled_total),
        })
        .collect();
    Ok(Report::of(scope, rows))
}

/// What was paid with each method, the largest amount first.
pub async fn sales_by_payment_method(db: &PgPool, scope: &Scope) -> Result<Report<MethodRow>> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.method, sum(r.payments)::int8, (sum(r.amount) * 100)::int8
         FROM report_payments_hourly r WHERE {IN_SCOPE}
         GROUP BY 1 HAVING sum(r.payments) > 0
         ORDER BY 3 DESC, 1"
    )))
    .bind(scope.from)
    .bind(scope.to)
    .bind(TIME_ZONE)
    .bind(scope.branch_id)
    .fetch_all(db)
    .await?;
    let rows = rows
        .into_iter()
        .map(|(method, payments, amount)| MethodRow { method, payments, amount_cents: cents(amount) })
        .collect();
    Ok(Report::of(scope, rows))
}

/// Sales per register, by branch and register number.
pub async fn sales_by_register(db: &PgPool, scope: &Scope) -> Result<Report<RegisterRow>> {
    let rows: Vec<(Uuid, String, i16, Uuid, String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT t.register_id, coalesce(c.name, ''), coalesce(c.register_number, 0::int2), t.branch_id,
                coalesce(b.name, ''), t.sales, t.total
         FROM (SELECT r.register_id, r.branch_id, sum(r.sales)::int8 AS sales, (sum(r.total) * 100)::int8 AS total
               FROM report_sales_hourly r WHERE {IN_SCOPE} GROUP BY 1, 2) t
         LEFT JOIN cash_registers c ON c.id = t.register_id
         LEFT JOIN branches b ON b.id = t.branch_id
         WHERE t.sales > 0
         ORDER BY 5, 3, 1"
    )))
    .bind(scope.from)
    .bind(scope.to)
    .bind(TIME_ZONE)
    .bind(scope.branch_id)
    .fetch_all(db)
    .await?;
    let rows = rows
        .into_iter()
        .map(|(register_id, register_name, register_number, branch_id, branch_name, sales, total)| {
            RegisterRow {
                register_id,
                register_name,
                register_number,
                branch_id,
                branch_name,
                sales,
                total_cents: cents(total),
            }
        })
        .collect();
    Ok(Report::of(scope, rows))
}

/// The cash differences of closed sessions per local day of closing and
/// cashier, oldest day first.
pub async fn cash_differences(db: &PgPool, scope: &Scope) -> Result<Report<DifferenceRow>> {
    let rows: Vec<(NaiveDate, Uuid, String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT t.day, t.opened_by, coalesce(e.name, ''), t.sessions, t.difference, t.shortage, t.overage
         FROM (SELECT (s.closed_at AT TIME ZONE $3)::date AS day, s.opened_by, count(*)::int8 AS sessions,
                      (coalesce(sum(s.difference), 0) * 100)::int8 AS difference,
                      (coalesce(sum(s.difference) FILTER (WHERE s.difference < 0), 0) * 100)::int8 AS shortage,
                      (coalesce(sum(s.difference) FILTER (WHERE s.difference > 0), 0) * 100)::int8 AS overage
               FROM cash_sessions s
               JOIN cash_registers c ON c.id = s.cash_register_id
               WHERE s.status = 'CLOSED'
                 AND s.closed_at >= ($1::date::timestamp AT TIME ZONE $3)
                 AND s.closed_at < (($2::date + 1)::timestamp AT TIME ZONE $3)
                 AND ($4::uuid IS NULL OR c.branch_id = $4)
               GROUP BY 1, 2) t
         LEFT JOIN employees e ON e.id = t.opened_by
         ORDER BY 1, 3, 2",
    )
    .bind(scope.from)
    .bind(scope.to)
    .bind(TIME_ZONE)
    .bind(scope.branch_id)
    .fetch_all(db)
    .await?;
    let rows = rows
        .into_iter()
        .map(|(day, cashier_id, cashier_name, sessions, difference, shortage, overage)| DifferenceRow {
            day,
            cashier_id,
            cashier_name,
            sessions,
            difference_cents: cents(difference),
            shortage_cents: cents(shortage),
            overage_cents: cents(overage),
        })
        .collect();
    Ok(Report::of(scope, rows))
}

/// Sessions opened in the range, per cashier and register.
pub async fn register_rotation(db: &PgPool, scope: &Scope) -> Result<Report<RotationRow>> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(Uuid, String, Uuid, String, Uuid, String, i64, i64, i64, DateTime<Utc>, DateTime<Utc>)> =
        sqlx::query_as(
            "SELECT t.opened_by, coalesce(e.name, ''), t.cash_register_id, c.name, c.branch_id, coalesce(b.name, ''),
                    t.sessions, t.open_sessions, t.seconds_open, t.first_opened_at, t.last_opened_at
             FROM (SELECT s.opened_by, s.cash_register_id, count(*)::int8 AS sessions,
                          count(*) FILTER (WHERE s.status = 'OPEN')::int8 AS open_sessions,
                          coalesce(extract(epoch FROM sum(s.closed_at - s.opened_at)), 0)::int8 AS seconds_open,
                          min(s.opened_at) AS first_opened_at, max(s.opened_at) AS last_opened_at
                   FROM cash_sessions s
                   JOIN cash_registers c ON c.id = s.cash_register_id
                   WHERE s.opened_at >= ($1::date::timestamp AT TIME ZONE $3)
                     AND s.opened_at < (($2::date + 1)::timestamp AT TIME ZONE $3)
                     AND ($4::uuid IS NULL OR c.branch_id = $4)
                   GROUP BY 1, 2) t
             JOIN cash_registers c ON c.id = t.cash_register_id
             LEFT JOIN branches b ON b.id = c.branch_id
             LEFT JOIN employees e ON e.id = t.opened_by
             ORDER BY 2, 1, 6, 4, 3",
        )
        .bind(scope.from)
        .bind(scope.to)
        .bind(TIME_ZONE)
        .bind(scope.branch_id)
        .fetch_all(db)
        .await?;
    let rows = rows
        .into_iter()
        .map(
            |(
                cashier_id,
                cashier_name,
                register_id,
                register_name,
                branch_id,
                branch_name,
                sessions,
                open_sessions,
                seconds_open,
                first_opened_at,
                last_opened_at,
            )| RotationRow {
                cashier_id,
                cashier_name,
                register_id,
                register_name,
                branch_id,
                branch_name,
                sessions,
                open_sessions,
                seconds_open,
                first_opened_at,
                last_opened_at,
            },
        )
        .collect();
    Ok(Report::of(scope, rows))
}
