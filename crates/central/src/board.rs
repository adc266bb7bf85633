//! The live board: every open cash session of a tenant, in every branch, as
//! headquarters watches it — who, at which register, since when, how much
//! was sold and how much cash the drawer should hold — with what central
//! last heard from the till's device.
//!
//! Central knows a session from the ops its terminal pushed, and a store
//! without network keeps selling unseen. So each session carries its
//! device's last word: when it was last heard (any push or pull), and what
//! it last reported about itself (ops it holds that central has not settled,
//! the oldest one's time, the app's version). A device not heard for longer
//! than the threshold is `offline`; its sessions stay on the board with
//! their last known state, never hidden. A report is shown and trusted for
//! nothing else.
//!
//! Time is passed in: the same rule answers for a test's clock and the
//! wall's.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use nexus_domain::sync::DeviceReport;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{Central, Result};

/// A device not heard from for longer than this is offline, unless the
/// tenant says otherwise.
pub const DEFAULT_OFFLINE_AFTER: Duration = Duration::minutes(2);

/// A device heard again after this long may have been shown offline:
/// watchers of the board look again. Terminals call at least every 30 s.
const QUIET: Duration = Duration::minutes(1);

/// Every open session of the tenant at one moment.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Board {
    /// The moment the figures are for.
    pub generated_at: DateTime<Utc>,
    /// A device not heard from for longer than this many seconds is offline.
    pub offline_after_secs: i64,
    /// Branch by branch, register by register.
    pub sessions: Vec<BoardSession>,
}

/// An open cash session as the board shows it. Money in cents.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct BoardSession {
    pub session_id: Uuid,
    pub branch_id: Uuid,
    pub branch_name: String,
    pub register_id: Uuid,
    pub register_name: String,
    pub register_number: i64,
    pub cashier_id: Uuid,
    pub cashier_name: String,
    /// By the device's clock.
    pub opened_at: DateTime<Utc>,
    /// How long it has been open.
    pub open_secs: i64,
    /// Completed sales so far (cancelled ones are not counted).
    pub sales_count: i64,
    pub sales_total_cents: i64,
    pub opening_cents: i64,
    /// What the drawer should hold: opening + cash received − change + cash
    /// in − cash out, as the close computes it.
    pub expected_cash_cents: i64,
    /// Opened while another session of its cashier or register was open
    /// (see the sync conflicts).
    pub conflicted: bool,
    /// The device the session was opened on, if central knows it.
    pub device: Option<BoardDevice>,
    /// Its device has not been heard from for longer than the threshold
    /// (or never): the figures are the last ones central received.
    pub offline: bool,
}

/// What central last heard from a device.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct BoardDevice {
    pub id: Uuid,
    pub name: Option<String>,
    pub last_heard_at: Option<DateTime<Utc>>,
    pub heard_secs_ago: Option<i64>,
    /// Ops it held that central had not settled, as it last reported.
    pub pending_ops: Option<i64>,
    /// The oldest of them, by the device's clock.
    pub oldest_pending_at: Option<DateTime<Utc>>,
    pub app_version: Option<String>,
    /// When it last reported.
    pub reported_at: Option<DateTime<Utc>>,
}

/// Whether a device counts as offline at `now`: never heard, or not for
/// longer than `offline_after`.
pub fn is_offline(last_heard: Option<DateTime<Utc>>, now: DateTime<Utc>, offline_after: Duration) -> bool {
    last_heard.is_none_or(|heard| now - heard > offline_after)
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: Uuid,
    branch_id: Uuid,
    branch_name: String,
    register_id: Uuid,
    register_name: String,
    register_number: i64,
    cashier_id: Uuid,
    cashier_name: String,
    opened_at: DateTime<Utc>,
    conflicted: bool,
    sales_count: i64,
    sales_total_cents: i64,
    device_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct DeviceRow {
    device_id: Uuid,
    last_heard_at: Option<DateTime<Utc>>,
    pending_ops: Option<i64>,
    oldest_pending_at: Option<DateTime<Utc>>,
    app_version: Option<String>,
    reported_at: Option<DateTime<Utc>>,
}

/// The board of `tenant` (whose database is `db`) at `now`: every OPEN
/// session of every branch.
pub async fn read(
    central: &Central,
    tenant: Uuid,
    db: &PgPool,
    now: DateTime<Utc>,
    offline_after: Duration,
) -> Result<Board> {
    let mut conn = db.acquire().await?;
    let rows: Vec<SessionRow> = sqlx::query_as(
        "SELECT s.id, b.id AS branch_id, b.name AS branch_name, r.id AS register_id, r.name AS register_name,
                r.register_number::int8 AS register_number, e.id AS cashier_id, e.name AS cashier_name,
                s.opened_at, s.conflicted, s.device_id,
                coalesce(v.sales, 0) AS sales_count, (coalesce(v.total, 0) * 100)::int8 AS sales_total_cents
         FROM cash_sessions s
         JOIN cash_registers r ON r.id = s.cash_register_id
         JOIN branches b ON b.id = r.branch_id
         JOIN employees e ON e.id = s.opened_by
         LEFT JOIN LATERAL (SELECT count(*) AS sales, sum(total) AS total FROM sales
                            WHERE cash_session_id = s.id AND status = 'completed') v ON TRUE
         WHERE s.status = 'OPEN'
         ORDER BY b.name, b.id, r.register_number, s.opened_at, s.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let drawers = crate::cash::drawers(&mut conn, &ids).await?;
    let device_ids: Vec<Uuid> =
        rows.iter().filter_map(|r| r.device_id.as_deref().and_then(|d| d.parse().ok())).collect();
    let heard: HashMap<Uuid, DeviceRow> = sqlx::query_as(
        "SELECT device_id, last_heard_at, pending_ops, oldest_pending_at, app_version, reported_at
         FROM sync_devices WHERE device_id = ANY($1)",
    )
    .bind(&device_ids)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|d: DeviceRow| (d.device_id, d))
    .collect();
    drop(conn);
    let names: HashMap<Uuid, String> =
        sqlx::query_as("SELECT id, name FROM devices WHERE tenant_id = $1 AND id = ANY($2)")
            .bind(tenant)
            .bind(&device_ids)
            .fetch_all(&central.dbs.master)
            .await?
            .into_iter()
            .collect();
    let mut sessions = Vec::with_capacity(rows.len());
    for row in rows {
        let drawer = drawers.get(&row.id).copied().unwrap_or_default();
        let device = row.device_id.as_deref().and_then(|d| d.parse::<Uuid>().ok()).map(|id| {
            let known = heard.get(&id);
            let last_heard_at = known.and_then(|d| d.last_heard_at);
            BoardDevice {
                id,
                name: names.get(&id).cloned(),
                last_heard_at,
                heard_secs_ago: last_heard_at.map(|t| (now - t).num_seconds().max(0)),
                pending_ops: known.and_then(|d| d.pending_ops),
                oldest_pending_at: known.and_then(|d| d.oldest_pending_at),
                app_version: known.and_then(|d| d.app_version.clone()),
                reported_at: known.and_then(|d| d.reported_at),
            }
        });
        let offline = is_offline(device.as_ref().and_then(|d| d.last_heard_at), now, offline_after);
        sessions.push(BoardSession {
            session_id: row.id,
            branch_id: row.branch_id,
            branch_name: row.branch_name,
            register_id: row.register_id,
            register_name: row.register_name,
            register_number: row.register_number,
            cashier_id: row.cashier_id,
            cashier_name: row.cashier_name,
            opened_at: row.opened_at,
            open_secs: (now - row.opened_at).num_seconds().max(0),
            sales_count: row.sales_count,
            sales_total_cents: row.sales_total_cents,
            opening_cents: drawer.opening.cents(),
            expected_cash_cents: drawer.expected()?.cents(),
            conflicted: row.conflicted,
            device,
            offline,
        });
    }
    Ok(Board { generated_at: now, offline_after_secs: offline_after.num_seconds(), sessions })
}

/// What central last heard from a device, before a new word.
#[derive(Default, sqlx::FromRow)]
struct LastWord {
    last_heard_at: Option<DateTime<Utc>>,
    pending_ops: Option<i64>,
    oldest_pending_at: Option<DateTime<Utc>>,
    app_version: Option<String>,
}

/// Records that a device was heard at `now`, with its report if it sent
/// one. Whether the board should look again: the device was not heard
/// recently (it may have been shown offline) or its report changed.
pub async fn heard(
    db: &PgPool,
    device: Uuid,
    report: Option<&DeviceReport>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut tx = db.begin().await?;
    let before: Option<LastWord> = sqlx::query_as(
        "SELECT last_heard_at, pending_ops, oldest_pending_at, app_version FROM sync_devices
             WHERE device_id = $1 FOR UPDATE",
    )
    .bind(device)
    .fetch_optional(&mut *tx)
    .await?;
    if before.is_none() {
        sqlx::query("INSERT INTO sync_devices (device_id) VALUES ($1) ON CONFLICT (device_id) DO NOTHING")
            .bind(device)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "UPDATE sync_devices SET last_heard_at = greatest(last_heard_at, $2),
                pending_ops = CASE WHEN $3 THEN $4 ELSE pending_ops END,
                oldest_pending_at = CASE WHEN $3 THEN $5 ELSE oldest_pending_at END,
                app_version = CASE WHEN $3 THEN $6 ELSE app_version END,
                reported_at = CASE WHEN $3 THEN $2 ELSE reported_at END
         WHERE device_id = $1",
    )
    .bind(device)
    .bind(now)
    .bind(report.is_some())
    .bind(report.map(|r| r.pending_ops))
    .bind(report.and_then(|r| r.oldest_pending_at))
    .bind(report.map(|r| r.app_version.as_str()))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let before = before.unwrap_or_default();
    let quiet = is_offline(before.last_heard_at, now, QUIET);
    let changed = report.is_some_and(|r| {
        (Some(r.pending_ops), r.oldest_pending_at, Some(r.app_version.as_str()))
            != (before.pending_ops, before.oldest_pending_at, before.app_version.as_deref())
    });
    Ok(quiet || changed)
}

/// What every device of the tenant last said about itself, by device id
/// (names are the master's; `heard_secs_ago` is from `now`).
pub async fn devices_heard(db: &PgPool, now: DateTime<Utc>) -> Result<HashMap<Uuid, BoardDevice>> {
    let rows: Vec<DeviceRow> = sqlx::query_as(
        "SELECT device_id, last_heard_at, pending_ops, oldest_pending_at, app_version, reported_at FROM sync_devices",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|d| {
            let device = BoardDevice {
                id: d.device_id,
                name: None,
                last_heard_at: d.last_heard_at,
                heard_secs_ago: d.last_heard_at.map(|t| (now - t).num_seconds().max(0)),
                pending_ops: d.pending_ops,
                oldest_pending_at: d.oldest_pending_at,
                app_version: d.app_version,
                reported_at: d.reported_at,
            };
            (d.device_id, device)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_offline_only_after_the_threshold_and_when_never_heard() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let two = Duration::minutes(2);
        assert!(!is_offline(Some(now), now, two));
        assert!(!is_offline(Some(now - two), now, two), "exactly at the threshold is still online");
        assert!(is_offline(Some(now - two - Duration::seconds(1)), now, two));
        assert!(is_offline(None, now, two));
        assert!(!is_offline(Some(now + Duration::seconds(5)), now, two), "a clock ahead is not offline");
    }
}
