//! Ops of kinds this central did not know when they arrived.
//!
//! They were settled (the device moved on) and kept byte for byte in
//! `sync_parked`; their audit entries joined the device's chain then. A
//! central that knows the kind applies them when it starts or migrates,
//! device by device in seq order, re-checked as if they arrived now; each
//! is marked with what became of it, and the op log follows.

use chrono::{DateTime, Utc};
use nexus_domain::sync::Op;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use super::incoming::known_kind;
use super::ingest::{self, Replayed};
use crate::{Central, Result};

/// A parked op, as headquarters sees it.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ParkedOp {
    pub device_id: Uuid,
    pub seq: i64,
    pub kind: String,
    /// The op exactly as the device sent it (JSON text).
    pub op: String,
    pub received_at: DateTime<Utc>,
    /// When a central that knew the kind applied it; absent while parked.
    pub applied_at: Option<DateTime<Utc>>,
    /// `applied`, `held` (waiting for approval) or `rejected: <reason>`.
    pub outcome: Option<String>,
}

/// Parked ops, those still waiting first.
pub async fn list(db: &PgPool) -> Result<Vec<ParkedOp>> {
    Ok(sqlx::query_as(
        "SELECT device_id, seq, kind, op, received_at, applied_at, outcome FROM sync_parked
         ORDER BY applied_at IS NOT NULL, received_at DESC, device_id, seq LIMIT 500",
    )
    .fetch_all(db)
    .await?)
}

/// Applies every parked op whose kind this build knows, device by device in
/// seq order, at `now` by central's clock; the number applied, held or refused.
pub async fn replay(db: &PgPool, now: DateTime<Utc>) -> Result<usize> {
    let waiting: Vec<(Uuid, i64, String)> = sqlx::query_as(
        "SELECT device_id, seq, kind FROM sync_parked WHERE applied_at IS NULL ORDER BY device_id, seq",
    )
    .fetch_all(db)
    .await?;
    let mut done = 0;
    for (device_id, seq, _) in waiting.iter().filter(|(_, _, kind)| known_kind(kind)) {
        if replay_one(db, *device_id, *seq, now).await? {
            done += 1;
        }
    }
    Ok(done)
}

/// One parked op, in its own transaction, serialised with the device's
/// pushes; whether it was settled here.
async fn replay_one(db: &PgPool, device_id: Uuid, seq: i64, now: DateTime<Utc>) -> Result<bool> {
    let mut tx = db.begin().await?;
    sqlx::query("SELECT 1 FROM sync_devices WHERE device_id = $1 FOR UPDATE")
        .bind(device_id)
        .execute(&mut *tx)
        .await?;
    let row: Option<(Uuid, String)> = sqlx::query_as(
        "SELECT branch_id, op FROM sync_parked WHERE device_id = $1 AND seq = $2 AND applied_at IS NULL FOR UPDATE",
    )
    .bind(device_id)
    .bind(seq)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((branch_id, text)) = row else {
        return Ok(false);
    };
    let replayed = match serde_json::from_str::<Op>(&text) {
        Ok(op) => ingest::replay(&mut tx, device_id, branch_id, &op, now).await?,
        Err(e) => Replayed::Rejected(format!("contenido inválido: {e}")),
    };
    let (op_status, outcome, reason) = match &replayed {
        Replayed::Applied => ("applied", "applied".to_owned(), None),
        Replayed::Held => ("held", "held".to_owned(), None),
        Replayed::Rejected(r) => ("rejected", format!("rejected: {r}"), Some(r.clone())),
    };
    sqlx::query(
        "UPDATE sync_parked SET applied_at = clock_timestamp(), outcome = $3 WHERE device_id = $1 AND seq = $2",
    )
    .bind(device_id)
    .bind(seq)
    .bind(outcome)
    .execute(&mut *tx)
    .await?;
    super::set_op_status(&mut tx, device_id, seq, op_status, reason.as_deref()).await?;
    tx.commit().await?;
    Ok(true)
}

/// Replays the parked ops of every ready tenant whose schema has them; a
/// tenant that fails is logged and the others still go.
pub async fn replay_all(central: &Central) -> Result<usize> {
    let tenants: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM tenants WHERE status = 'ready' AND is_active AND schema_version >= 4 ORDER BY created_at",
    )
    .fetch_all(&central.dbs.master)
    .await?;
    let mut done = 0;
    for id in tenants {
        let replayed = async {
            let (_, db) = central.tenant(id).await?;
            replay(&db, central.clock.now()).await
        }
        .await;
        match replayed {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(tenant = %id, ops = n, "parked ops applied");
                    central.live.notify(id).await;
                }
                done += n;
            }
            Err(e) => tracing::warn!(tenant = %id, error = %e, "parked ops not replayed"),
        }
    }
    Ok(done)
}
