//! Sync with terminals: ops pushed up, reference data pulled down, and the
//! conflicts offline work left for headquarters.

pub mod approvals;
pub mod feed;
pub mod incoming;
pub mod ingest;
pub mod parked;
pub mod trust;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Result;

/// Something offline work made possible and the rules forbid, as recorded
/// when the op arrived.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Conflict {
    pub id: Uuid,
    pub device_id: Uuid,
    pub seq: i64,
    /// `cashier_session_elsewhere`, `register_in_use`, `employee_inactive`,
    /// `session_closed`, `session_not_owned`, `session_already_closed`,
    /// `session_unbalanced`, `sale_already_cancelled`, `layaway_overpaid`,
    /// `stale_edit`, `pin_collision`, `register_number_taken`,
    /// `audit_chain_break`, `audit_entry_altered`, `audit_entry_unreadable`,
    /// `op_refused` (a till's reference-data op central re-checked and
    /// refused: `detail.code` and `detail.reason` say why).
    pub kind: String,
    pub detail: Value,
    pub created_at: DateTime<Utc>,
}

/// Records what became of an op after its push: `applied`, `held` or
/// `rejected` with its reason (a parked op replayed, an approval decided).
pub(crate) async fn set_op_status(
    conn: &mut sqlx::PgConnection,
    device_id: Uuid,
    seq: i64,
    status: &str,
    reason: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE sync_ops SET status = $3, reason = $4 WHERE device_id = $1 AND seq = $2")
        .bind(device_id)
        .bind(seq)
        .bind(status)
        .bind(reason)
        .execute(conn)
        .await?;
    Ok(())
}

/// The tenant's conflicts, newest first.
pub async fn conflicts(db: &PgPool, limit: i64) -> Result<Vec<Conflict>> {
    Ok(sqlx::query_as(
        "SELECT id, device_id, seq, kind, detail, created_at FROM sync_conflicts ORDER BY created_at DESC, seq DESC LIMIT $1",
    )
    .bind(limit.clamp(1, 1000))
    .fetch_all(db)
    .await?)
}
