//! Alerts for headquarters: what someone at the office should look at, with
//! the tenant's thresholds, listed, counted and acknowledged with a note.
//!
//! An alert is a materialised row (tenant migration 0007), not computed on
//! each read: it needs a stable id to be acknowledged, and once acknowledged
//! it must stay so. Every situation has a key — the session, the conflict,
//! the device and the moment it went silent, the device and the day a
//! revoked device knocked — unique for ever: raising the same situation
//! again is a no-op (or bumps its `occurrences`), a new situation (another
//! session, another conflict, another silence) is a new row.
//!
//! Rows are raised in two ways:
//! - when central learns of the situation, in the same transaction: a close
//!   whose difference exceeds the threshold, a sync conflict, a broken audit
//!   chain (both while a push is ingested, `crate::sync::ingest`), a PIN
//!   lockout (a till's pushed `login_failed` access ops, judged by the same
//!   throttle policy the till applies, or central's own counter login
//!   throttle), a revoked device presenting its credential
//!   (`crate::devices::authenticate`);
//! - by [`sweep`], over central's clock (`crate::clock`): a session open too
//!   long, a device silent with pending ops, an outbox too old. The sweep
//!   runs before every list and count, so what headquarters sees is as of
//!   now; it reads only open sessions and the tenant's devices, and writes
//!   only what is new.
//!
//! The rules themselves are small pure functions over values, with the time
//! passed in.

use chrono::{DateTime, Duration, Utc};
use nexus_domain::DomainError;
use nexus_domain::error::required_text;
use nexus_domain::throttle::ThrottlePolicy;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::hq::{HqCaller, HqRole};
use crate::{Central, Error, Result};

/// The longest note an acknowledgement may carry.
pub const MAX_NOTE_CHARS: usize = 500;

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertKind {
    /// A cash session open longer than `session_open_hours`.
    SessionOpenTooLong,
    /// A close whose difference, either way, exceeds the threshold.
    CloseDifference,
    /// A device with pending ops not heard from for `device_silent_minutes`.
    DeviceSilent,
    /// A device whose oldest pending op is older than `outbox_max_age_hours`.
    OutboxStale,
    /// A sync conflict (`sync_conflicts`, both sides in `detail`).
    SyncConflict,
    /// A device's audit chain arrived broken, altered or unreadable.
    AuditChainBroken,
    /// A counter locked after too many wrong PINs.
    PinLockout,
    /// A revoked device still presenting its credential.
    RevokedDevice,
}

impl AlertKind {
    pub const fn code(self) -> &'static str {
        match self {
            AlertKind::SessionOpenTooLong => "session_open_too_long",
            AlertKind::CloseDifference => "close_difference",
            AlertKind::DeviceSilent => "device_silent",
            AlertKind::OutboxStale => "outbox_stale",
            AlertKind::SyncConflict => "sync_conflict",
            AlertKind::AuditChainBroken => "audit_chain_broken",
            AlertKind::PinLockout => "pin_lockout",
            AlertKind::RevokedDevice => "revoked_device",
        }
    }
}

/// The tenant's thresholds. `PUT` replaces them all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    /// A session open longer than this many hours (1 to 168); 8 by default.
    #[schema(minimum = 1, maximum = 168, example = 8)]
    pub session_open_hours: i32,
    /// A close whose difference exceeds this, in cents (0 to 999,999,999,999); $100.00 by default.
    #[schema(minimum = 0, maximum = 999_999_999_999_i64, example = 10000)]
    pub close_difference_threshold_cents: i64,
    /// A device with pending ops silent this many minutes (1 to 10,080); 30 by default.
    #[schema(minimum = 1, maximum = 10080, example = 30)]
    pub device_silent_minutes: i32,
    /// A device whose oldest pending op is this many hours old (1 to 720); 4 by default.
    #[schema(minimum = 1, maximum = 720, example = 4)]
    pub outbox_max_age_hours: i32,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            session_open_hours: 8,
            close_difference_threshold_cents: 10_000,
            device_silent_minutes: 30,
            outbox_max_age_hours: 4,
        }
    }
}

impl AlertSettings {
    /// Checks every threshold's range; the first out of range is named.
    pub fn validate(&self) -> Result<(), DomainError> {
        let within = |field: &'static str, value: i64, min: i64, max: i64, reason: &'static str| {
            if (min..=max).contains(&value) { Ok(()) } else { Err(DomainError::Invalid { field, reason }) }
        };
        within("session_open_hours", self.session_open_hours.into(), 1, 168, "debe ser de 1 a 168 horas")?;
        within(
            "close_difference_threshold_cents",
            self.close_difference_threshold_cents,
            0,
            999_999_999_999,
            "debe ser de $0.00 a $9,999,999,999.99 (en centavos)",
        )?;
        within(
            "device_silent_minutes",
            self.device_silent_minutes.into(),
            1,
            10_080,
            "debe ser de 1 a 10,080 minutos",
        )?;
        within("outbox_max_age_hours", self.outbox_max_age_hours.into(), 1, 720, "debe ser de 1 a 720 horas")
    }
}

/// An alert as headquarters sees it.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Alert {
    pub id: Uuid,
    /// `session_open_too_long`, `close_difference`, `device_silent`,
    /// `outbox_stale`, `sync_conflict`, `audit_chain_broken`, `pin_lockout`,
    /// `revoked_device`.
    pub kind: String,
    /// In Spanish, for people.
    pub summary: String,
    pub branch_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub cash_session_id: Option<Uuid>,
    /// The `sync_conflicts` row of a `sync_conflict` or `audit_chain_broken`.
    pub conflict_id: Option<Uuid>,
    /// The figures: thresholds and values, a conflict's both sides.
    pub detail: Value,
    pub raised_at: DateTime<Utc>,
    /// When the situation was last seen (a revoked device knocking again).
    pub last_seen_at: DateTime<Utc>,
    pub occurrences: i32,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// The HQ account that acknowledged it.
    pub acknowledged_by: Option<Uuid>,
    pub ack_note: Option<String>,
}

/// `GET /v1/alerts/count`.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
pub struct AlertCount {
    /// Alerts not acknowledged yet.
    pub open: i64,
}

/// `POST /v1/alerts/{id}/ack`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckRequest {
    /// What was done about it (required, up to 500 characters, not blank).
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        example = "Hablé con la cajera; cerró su turno."
    )]
    pub note: String,
}

/// A situation to raise an alert for, once per `key`.
#[derive(Clone, Debug)]
pub struct NewAlert {
    pub kind: AlertKind,
    /// What makes this situation this one and not another (≤ 200 chars).
    pub key: String,
    pub summary: String,
    pub branch_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub cash_session_id: Option<Uuid>,
    pub conflict_id: Option<Uuid>,
    pub detail: Value,
}

impl NewAlert {
    fn new(kind: AlertKind, key: String, summary: String, detail: Value) -> NewAlert {
        NewAlert {
            kind,
            key,
            summary,
            branch_id: None,
            device_id: None,
            cash_session_id: None,
            conflict_id: None,
            detail,
        }
    }
}

// ---------------------------------------------------------------- the rules

/// Whether a session opened at `opened_at` has been open too long at `now`.
pub fn session_open_too_long(opened_at: DateTime<Utc>, now: DateTime<Utc>, s: &AlertSettings) -> bool {
    now - opened_at > Duration::hours(s.session_open_hours.into())
}

/// Whether a close's difference (counted − expected, either sign) exceeds
/// the threshold.
pub fn close_difference_exceeds(difference_cents: i64, s: &AlertSettings) -> bool {
    difference_cents.unsigned_abs() > s.close_difference_threshold_cents.unsigned_abs()
}

/// What central knows of a device's sync: when it was last heard from and
/// what its outbox held, as last reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceReport {
    pub device_id: Uuid,
    pub branch_id: Option<Uuid>,
    pub name: String,
    pub last_heard_at: DateTime<Utc>,
    pub pending_ops: i64,
    pub oldest_pending_at: Option<DateTime<Utc>>,
}

/// Whether a device with pending ops has been silent too long.
pub fn device_silent(r: &DeviceReport, now: DateTime<Utc>, s: &AlertSettings) -> bool {
    r.pending_ops > 0 && now - r.last_heard_at >= Duration::minutes(s.device_silent_minutes.into())
}

/// Whether a device's oldest pending op has waited too long.
pub fn outbox_stale(r: &DeviceReport, now: DateTime<Utc>, s: &AlertSettings) -> bool {
    r.pending_ops > 0
        && r.oldest_pending_at.is_some_and(|t| now - t >= Duration::hours(s.outbox_max_age_hours.into()))
}

/// The kind of alert a sync conflict of `kind` raises.
pub fn conflict_alert_kind(kind: &str) -> AlertKind {
    match kind {
        "audit_chain_break" | "audit_entry_altered" | "audit_entry_unreadable" => AlertKind::AuditChainBroken,
        _ => AlertKind::SyncConflict,
    }
}

fn conflict_summary(kind: &str) -> &'static str {
    match kind {
        "cashier_session_elsewhere" => "El mismo cajero tuvo dos sesiones abiertas a la vez",
        "register_in_use" => "La misma caja tuvo dos sesiones abiertas a la vez",
        "employee_inactive" => "Un empleado desactivado siguió operando",
        "session_closed" => "Se operó sobre una sesión ya cerrada",
        "session_not_owned" => "Se operó sobre la sesión de otro cajero",
        "session_already_closed" => "Una sesión se cerró dos veces",
        "session_unbalanced" => "El esperado del cierre no coincide con el de la central",
        "sale_already_cancelled" => "Una venta se canceló dos veces",
        "layaway_overpaid" => "Un apartado se pagó de más",
        "stale_edit" => "Una edición llegó después de otra más reciente",
        "pin_collision" => "Dos empleados quedaron con el mismo PIN",
        "register_number_taken" => "Dos cajas quedaron con el mismo número",
        "audit_chain_break" => "La cadena de auditoría de un dispositivo llegó rota",
        "audit_entry_altered" => "Una entrada de auditoría de un dispositivo fue alterada",
        "audit_entry_unreadable" => "Una entrada de auditoría de un dispositivo no se pudo leer",
        "op_refused" => "La central rechazó un cambio hecho en una terminal",
        _ => "Conflicto de sincronización",
    }
}

// ---------------------------------------------------------------- raising

/// Raises `alert` at `at` unless its situation was raised before; whether
/// it was new.
pub async fn raise(conn: &mut PgConnection, alert: &NewAlert, at: DateTime<Utc>) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO alerts (id, kind, dedupe_key, summary, branch_id, device_id, cash_session_id, conflict_id,
                             detail, raised_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(alert.kind.code())
    .bind(&alert.key)
    .bind(&alert.summary)
    .bind(alert.branch_id)
    .bind(alert.device_id)
    .bind(alert.cash_session_id)
    .bind(alert.conflict_id)
    .bind(&alert.detail)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Raises `alert`, or counts one more occurrence of its situation.
pub async fn raise_or_repeat(
    conn: &mut PgConnection,
    alert: &NewAlert,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO alerts (id, kind, dedupe_key, summary, branch_id, device_id, cash_session_id, conflict_id,
                             detail, raised_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
         ON CONFLICT (dedupe_key) DO UPDATE
         SET occurrences = alerts.occurrences + 1, last_seen_at = GREATEST(alerts.last_seen_at, EXCLUDED.last_seen_at)",
    )
    .bind(Uuid::now_v7())
    .bind(alert.kind.code())
    .bind(&alert.key)
    .bind(&alert.summary)
    .bind(alert.branch_id)
    .bind(alert.device_id)
    .bind(alert.cash_session_id)
    .bind(alert.conflict_id)
    .bind(&alert.detail)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The tenant's thresholds, read in a transaction of the caller's.
pub async fn settings(conn: &mut PgConnection) -> sqlx::Result<AlertSettings> {
    sqlx::query_as(
        "SELECT session_open_hours, (close_difference_threshold * 100)::bigint AS close_difference_threshold_cents,
                device_silent_minutes, outbox_max_age_hours
         FROM alert_settings",
    )
    .fetch_one(&mut *conn)
    .await
}

/// Sync conflicts just recorded: one alert each (a broken chain is its own kind).
pub async fn conflicts_recorded(
    conn: &mut PgConnection,
    branch_id: Uuid,
    device_id: Uuid,
    conflicts: &[(Uuid, String, Value)],
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    for (id, kind, detail) in conflicts {
        let alert = NewAlert {
            branch_id: Some(branch_id),
            device_id: Some(device_id),
            conflict_id: Some(*id),
            ..NewAlert::new(
                conflict_alert_kind(kind),
                format!("conflict:{id}"),
                conflict_summary(kind).to_owned(),
                json!({ "conflict_kind": kind, "conflict": detail }),
            )
        };
        raise(conn, &alert, at).await?;
    }
    Ok(())
}

/// A session closed at a till: an alert if its difference exceeds the
/// tenant's threshold.
pub async fn session_closed(
    conn: &mut PgConnection,
    branch_id: Uuid,
    device_id: Uuid,
    session_id: Uuid,
    difference_cents: i64,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    let s = settings(conn).await?;
    if !close_difference_exceeds(difference_cents, &s) {
        return Ok(());
    }
    let word = if difference_cents < 0 { "faltante" } else { "sobrante" };
    let alert = NewAlert {
        branch_id: Some(branch_id),
        device_id: Some(device_id),
        cash_session_id: Some(session_id),
        ..NewAlert::new(
            AlertKind::CloseDifference,
            format!("close_difference:{session_id}"),
            format!(
                "Cierre con {word} de {} (umbral {})",
                pesos(difference_cents.unsigned_abs()),
                pesos(s.close_difference_threshold_cents.unsigned_abs())
            ),
            json!({ "difference_cents": difference_cents,
                    "threshold_cents": s.close_difference_threshold_cents }),
        )
    };
    raise(conn, &alert, at).await?;
    Ok(())
}

/// `$1,234.50` from cents.
fn pesos(cents: u64) -> String {
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("${grouped}.{:02}", cents % 100)
}

/// A counter PIN lockout, from a till's pushed failures (`source`
/// `terminal`) or central's own counter login throttle (`central`). One
/// alert per lock: a lock already raised that still holds at `at` is the
/// same situation.
pub async fn pin_lockout(
    conn: &mut PgConnection,
    branch_id: Option<Uuid>,
    device_id: Uuid,
    source: &'static str,
    at: DateTime<Utc>,
    locked_until: DateTime<Utc>,
    raised_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    let held: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM alerts WHERE kind = 'pin_lockout' AND device_id = $1
                        AND detail->>'source' = $2 AND (detail->>'locked_until')::timestamptz > $3)",
    )
    .bind(device_id)
    .bind(source)
    .bind(at)
    .fetch_one(&mut *conn)
    .await?;
    if held {
        return Ok(());
    }
    let alert = NewAlert {
        branch_id,
        device_id: Some(device_id),
        ..NewAlert::new(
            AlertKind::PinLockout,
            format!("pin_lockout:{source}:{device_id}:{}", at.timestamp_millis()),
            "Un mostrador se bloqueó por demasiados PIN incorrectos".to_owned(),
            json!({ "source": source, "locked_at": at, "locked_until": locked_until }),
        )
    };
    raise(conn, &alert, raised_at).await?;
    Ok(())
}

/// Whether the `failures_in_window` wrong PINs of a till (this one at `at`
/// included) locked it, by the policy the till itself applies; until when.
pub fn till_locked_after(at: DateTime<Utc>, failures_in_window: usize) -> Option<DateTime<Utc>> {
    ThrottlePolicy::default().lock_after_failure(at, failures_in_window)
}

/// How far back the failures that lock a till reach.
pub fn till_lockout_window() -> Duration {
    ThrottlePolicy::default().lockout_window
}

/// A revoked device presented its valid credential: one alert per device
/// and day of central's clock, counting the attempts.
pub async fn revoked_device_knocked(
    conn: &mut PgConnection,
    device_id: Uuid,
    branch_id: Uuid,
    name: &str,
    revoked_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    let alert = NewAlert {
        branch_id: Some(branch_id),
        device_id: Some(device_id),
        ..NewAlert::new(
            AlertKind::RevokedDevice,
            format!("revoked_device:{device_id}:{}", at.date_naive()),
            format!("El dispositivo revocado «{name}» sigue intentando sincronizar"),
            json!({ "name": name, "revoked_at": revoked_at }),
        )
    };
    raise_or_repeat(conn, &alert, at).await
}

// ---------------------------------------------------------------- the sweep

#[derive(sqlx::FromRow)]
struct OpenSession {
    id: Uuid,
    opened_at: DateTime<Utc>,
    opened_by: Uuid,
    cashier: Option<String>,
    register: String,
    branch_id: Uuid,
    device_id: Option<String>,
}

/// Raises what central's clock makes true now: sessions open too long,
/// devices silent or with stale outboxes. Returns how many were new.
pub async fn sweep(central: &Central, tenant_id: Uuid, db: &PgPool) -> Result<usize> {
    let now = central.clock.now();
    let reports = device_reports(central, tenant_id, db).await?;
    let mut tx = db.begin().await?;
    let s = settings(&mut tx).await?;
    let mut raised = sessions_open_too_long(&mut tx, &s, now).await?;
    raised += check_devices(&mut tx, &s, now, &reports).await?;
    tx.commit().await?;
    Ok(raised)
}

async fn sessions_open_too_long(
    conn: &mut PgConnection,
    s: &AlertSettings,
    now: DateTime<Utc>,
) -> sqlx::Result<usize> {
    let open: Vec<OpenSession> = sqlx::query_as(
        "SELECT s.id, s.opened_at, s.opened_by, e.name AS cashier, r.name AS register, r.branch_id, s.device_id
         FROM cash_sessions s JOIN cash_registers r ON r.id = s.cash_register_id
         LEFT JOIN employees e ON e.id = s.opened_by
         WHERE s.status = 'OPEN'",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut raised = 0;
    for o in open.iter().filter(|o| session_open_too_long(o.opened_at, now, s)) {
        let hours = (now - o.opened_at).num_hours();
        let alert = NewAlert {
            branch_id: Some(o.branch_id),
            device_id: o.device_id.as_deref().and_then(|d| d.parse().ok()),
            cash_session_id: Some(o.id),
            ..NewAlert::new(
                AlertKind::SessionOpenTooLong,
                format!("session_open_too_long:{}", o.id),
                format!(
                    "{}: la sesión de {} lleva {hours} h abierta (límite {} h)",
                    o.register,
                    o.cashier.as_deref().unwrap_or("un cajero"),
                    s.session_open_hours
                ),
                json!({ "opened_at": o.opened_at, "opened_by": o.opened_by,
                        "limit_hours": s.session_open_hours }),
            )
        };
        if raise(conn, &alert, now).await? {
            raised += 1;
        }
    }
    Ok(raised)
}

/// Raises the device alerts `reports` call for at `now`; how many were new.
/// A silence is keyed by when the device was last heard from, a stale
/// outbox by its oldest pending op: once heard from again (or once that op
/// arrived), the next one is a new situation.
pub async fn check_devices(
    conn: &mut PgConnection,
    s: &AlertSettings,
    now: DateTime<Utc>,
    reports: &[DeviceReport],
) -> sqlx::Result<usize> {
    let mut raised = 0;
    for r in reports {
        if device_silent(r, now, s) {
            let minutes = (now - r.last_heard_at).num_minutes();
            let alert = NewAlert {
                branch_id: r.branch_id,
                device_id: Some(r.device_id),
                ..NewAlert::new(
                    AlertKind::DeviceSilent,
                    format!("device_silent:{}:{}", r.device_id, r.last_heard_at.timestamp_millis()),
                    format!(
                        "«{}» no se reporta desde hace {minutes} min y tiene {} operaciones pendientes",
                        r.name, r.pending_ops
                    ),
                    json!({ "last_heard_at": r.last_heard_at, "pending_ops": r.pending_ops,
                            "limit_minutes": s.device_silent_minutes }),
                )
            };
            if raise(conn, &alert, now).await? {
                raised += 1;
            }
        }
        if let Some(oldest) = r.oldest_pending_at.filter(|_| outbox_stale(r, now, s)) {
            let alert = NewAlert {
                branch_id: r.branch_id,
                device_id: Some(r.device_id),
                ..NewAlert::new(
                    AlertKind::OutboxStale,
                    format!("outbox_stale:{}:{}", r.device_id, oldest.timestamp_millis()),
                    format!(
                        "«{}» tiene operaciones sin enviar desde hace {} h",
                        r.name,
                        (now - oldest).num_hours()
                    ),
                    json!({ "oldest_pending_at": oldest, "pending_ops": r.pending_ops,
                            "limit_hours": s.outbox_max_age_hours }),
                )
            };
            if raise(conn, &alert, now).await? {
                raised += 1;
            }
        }
    }
    Ok(raised)
}

/// What central knows of each active device of the tenant. Central learns
/// when a device was last heard from (`devices.last_seen_at`) but not yet
/// what its outbox holds, so pending ops read as none and the device rules
/// have nothing to fire on until devices report their outbox.
async fn device_reports(central: &Central, tenant_id: Uuid, db: &PgPool) -> Result<Vec<DeviceReport>> {
    let devices: Vec<(Uuid, Uuid, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, branch_id, name, coalesce(last_seen_at, enrolled_at) FROM devices
         WHERE tenant_id = $1 AND revoked_at IS NULL",
    )
    .bind(tenant_id)
    .fetch_all(&central.dbs.master)
    .await?;
    // What each device last said about itself (`board::heard`), in the tenant's database.
    type Reported = (Uuid, Option<DateTime<Utc>>, Option<i64>, Option<DateTime<Utc>>);
    let reported: Vec<Reported> =
        sqlx::query_as("SELECT device_id, last_heard_at, pending_ops, oldest_pending_at FROM sync_devices")
            .fetch_all(db)
            .await?;
    Ok(devices
        .into_iter()
        .map(|(device_id, branch_id, name, seen)| {
            let report = reported.iter().find(|r| r.0 == device_id);
            DeviceReport {
                device_id,
                branch_id: Some(branch_id),
                name,
                last_heard_at: report.and_then(|r| r.1).map_or(seen, |heard| heard.max(seen)),
                pending_ops: report.and_then(|r| r.2).unwrap_or(0),
                oldest_pending_at: report.and_then(|r| r.3),
            }
        })
        .collect())
}

// ---------------------------------------------------------------- reading and acknowledging

const SELECT: &str = "SELECT id, kind, summary, branch_id, device_id, cash_session_id, conflict_id, detail,
                             raised_at, last_seen_at, occurrences, acknowledged_at, acknowledged_by, ack_note
                      FROM alerts";

/// The tenant's alerts as of central's clock, newest first: the open ones,
/// or (`all`) acknowledged ones too; at most 500.
pub async fn list(central: &Central, caller: &HqCaller, all: bool) -> Result<Vec<Alert>> {
    can_view(caller)?;
    sweep(central, caller.tenant.id, &caller.db).await?;
    let filter = if all { "" } else { " WHERE acknowledged_at IS NULL" };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT}{filter} ORDER BY raised_at DESC, id DESC LIMIT 500"
    )))
    .fetch_all(&caller.db)
    .await?)
}

/// How many alerts are open, as of central's clock.
pub async fn count(central: &Central, caller: &HqCaller) -> Result<AlertCount> {
    can_view(caller)?;
    sweep(central, caller.tenant.id, &caller.db).await?;
    let open: i64 = sqlx::query_scalar("SELECT count(*) FROM alerts WHERE acknowledged_at IS NULL")
        .fetch_one(&caller.db)
        .await?;
    Ok(AlertCount { open })
}

/// Alerts are cash and reports: either permission reads them.
fn can_view(caller: &HqCaller) -> Result<()> {
    use nexus_domain::Permission::{CashView, ReportsView};
    if caller.grants.allows(CashView) || caller.grants.allows(ReportsView) {
        Ok(())
    } else {
        Err(Error::MissingPermissions { missing: vec![CashView, ReportsView] })
    }
}

/// Acknowledges an open alert with a note (the owner or an admin), audited.
pub async fn acknowledge(central: &Central, caller: &HqCaller, id: Uuid, req: &AckRequest) -> Result<Alert> {
    if !matches!(caller.role, HqRole::Owner | HqRole::Admin) {
        return Err(Error::forbidden(
            "alert_ack_forbidden",
            "Solo el dueño o un administrador pueden atender alertas",
        ));
    }
    let note = required_text("note", &req.note, MAX_NOTE_CHARS)?;
    let now = central.clock.now();
    let mut tx = caller.db.begin().await?;
    let found: Option<(String, Option<DateTime<Utc>>)> =
        sqlx::query_as("SELECT kind, acknowledged_at FROM alerts WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let (kind, acknowledged) =
        found.ok_or_else(|| Error::not_found("alert_not_found", "Alerta no encontrada"))?;
    if acknowledged.is_some() {
        return Err(Error::conflict("alert_acknowledged", "Esa alerta ya fue atendida"));
    }
    sqlx::query("UPDATE alerts SET acknowledged_at = $2, acknowledged_by = $3, ack_note = $4 WHERE id = $1")
        .bind(id)
        .bind(now)
        .bind(caller.account_id)
        .bind(&note)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        &caller.origin(),
        Change {
            action: "ALERT_ACK",
            entity_type: "alert",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: Some(json!({ "kind": kind, "note": note })),
        },
    )
    .await?;
    let alert = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(alert)
}

/// The tenant's thresholds (`config.view`).
pub async fn current_settings(caller: &HqCaller) -> Result<AlertSettings> {
    let mut conn = caller.db.acquire().await?;
    Ok(settings(&mut conn).await?)
}

/// Replaces the tenant's thresholds, audited with the old and new values.
pub async fn update_settings(caller: &HqCaller, new: &AlertSettings) -> Result<AlertSettings> {
    new.validate()?;
    let mut tx = caller.db.begin().await?;
    sqlx::query("SELECT 1 FROM alert_settings FOR UPDATE").execute(&mut *tx).await?;
    let old = settings(&mut tx).await?;
    sqlx::query(
        "UPDATE alert_settings SET session_open_hours = $1, close_difference_threshold = $2::numeric / 100,
                device_silent_minutes = $3, outbox_max_age_hours = $4, updated_at = NOW()",
    )
    .bind(new.session_open_hours)
    .bind(new.close_difference_threshold_cents)
    .bind(new.device_silent_minutes)
    .bind(new.outbox_max_age_hours)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &caller.origin(),
        Change {
            action: "ALERT_SETTINGS_UPDATE",
            entity_type: "alert_settings",
            entity_id: None,
            old_value: Some(json!(old)),
            new_value: Some(json!(new)),
        },
    )
    .await?;
    let saved = settings(&mut tx).await?;
    tx.commit().await?;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    #[test]
    fn a_session_is_open_too_long_only_past_the_limit() {
        let s = AlertSettings::default();
        assert!(!session_open_too_long(t(0), t(8 * 60), &s));
        assert!(session_open_too_long(t(0), t(8 * 60 + 1), &s));
    }

    #[test]
    fn a_difference_counts_either_way_and_only_above_the_threshold() {
        let s = AlertSettings::default();
        assert!(!close_difference_exceeds(10_000, &s));
        assert!(!close_difference_exceeds(-10_000, &s));
        assert!(close_difference_exceeds(10_001, &s));
        assert!(close_difference_exceeds(-10_001, &s));
        assert!(close_difference_exceeds(i64::MIN, &s));
    }

    #[test]
    fn a_device_is_silent_or_stale_only_with_pending_ops() {
        let s = AlertSettings::default();
        let quiet = DeviceReport {
            device_id: Uuid::nil(),
            branch_id: None,
            name: "Caja 1".into(),
            last_heard_at: t(0),
            pending_ops: 0,
            oldest_pending_at: Some(t(0)),
        };
        assert!(!device_silent(&quiet, t(24 * 60), &s));
        assert!(!outbox_stale(&quiet, t(24 * 60), &s));
        let waiting = DeviceReport { pending_ops: 3, ..quiet };
        assert!(!device_silent(&waiting, t(29), &s));
        assert!(device_silent(&waiting, t(30), &s));
        assert!(!outbox_stale(&waiting, t(4 * 60 - 1), &s));
        assert!(outbox_stale(&waiting, t(4 * 60), &s));
    }

    #[test]
    fn thresholds_out_of_range_are_named() {
        assert!(AlertSettings::default().validate().is_ok());
        let cases = [
            (AlertSettings { session_open_hours: 0, ..Default::default() }, "session_open_hours"),
            (
                AlertSettings { close_difference_threshold_cents: -1, ..Default::default() },
                "close_difference_threshold_cents",
            ),
            (AlertSettings { device_silent_minutes: 10_081, ..Default::default() }, "device_silent_minutes"),
            (AlertSettings { outbox_max_age_hours: 0, ..Default::default() }, "outbox_max_age_hours"),
        ];
        for (s, field) in cases {
            assert!(
                matches!(s.validate(), Err(DomainError::Invalid { field: f, .. }) if f == field),
                "{field}"
            );
        }
    }

    #[test]
    fn amounts_read_as_pesos() {
        assert_eq!(pesos(0), "$0.00");
        assert_eq!(pesos(10_050), "$100.50");
        assert_eq!(pesos(123_456_789), "$1,234,567.89");
    }
}
