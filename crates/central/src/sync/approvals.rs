//! Employee changes made at a till that raise privileges, waiting for an
//! owner at headquarters.
//!
//! A new admin, or a `SECURITY.*` or `accounting.*` permission someone did
//! not hold, takes effect at central only once the tenant's owner approves
//! it from an HQ session: until then the op is kept verbatim with the
//! employee as central had it and as the op would leave them, and the
//! employee keeps what central knew (a new one does not exist there, so
//! their PIN opens nothing). Approving writes the op then, by
//! last-writer-wins like any edit; refusing leaves everything as it was.
//! Both are audited in the tenant's `central` chain.

use chrono::{DateTime, Utc};
use nexus_domain::sync::Op;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use super::ingest;
use crate::audit::{self, Change};
use crate::hq::HqCaller;
use crate::{Error, Result};

/// A held op and its two sides.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Approval {
    pub id: Uuid,
    /// The till that sent it, and the op's place in its log.
    pub device_id: Uuid,
    pub seq: i64,
    /// `employee_saved`.
    pub kind: String,
    /// Who the till says acted.
    pub acting_employee_id: Option<Uuid>,
    /// The employee changed (or created).
    pub entity_id: Uuid,
    /// The employee as central had them; absent for a new one.
    pub before: Option<Value>,
    /// The employee as the op would leave them (never the PIN).
    pub after: Value,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    /// After approval: `applied`, or `stale` when a newer edit had arrived.
    pub outcome: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The HQ account that decided.
    pub decided_by: Option<Uuid>,
}

const SELECT: &str =
    "SELECT id, device_id, seq, kind, acting_employee_id, entity_id, before, after, status, outcome,
        created_at, decided_at, decided_by FROM sync_approvals";

/// Held ops, pending first, then the latest decided.
pub async fn list(db: &PgPool) -> Result<Vec<Approval>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} ORDER BY status <> 'pending', created_at DESC, id LIMIT 500"
    )))
    .fetch_all(db)
    .await?)
}

fn not_found() -> Error {
    Error::not_found("approval_not_found", "Aprobación no encontrada")
}

fn decided() -> Error {
    Error::conflict("approval_decided", "Esa solicitud ya fue aprobada o rechazada")
}

/// Approves a held op and writes it (the owner only), at `now` by central's clock.
pub async fn approve(caller: &HqCaller, id: Uuid, now: DateTime<Utc>) -> Result<Approval> {
    decide(caller, id, Some(now)).await
}

/// Refuses a held op; nothing of it is written (the owner only).
pub async fn refuse(caller: &HqCaller, id: Uuid) -> Result<Approval> {
    decide(caller, id, None).await
}

/// Approves (at the time given) or refuses (with none).
async fn decide(caller: &HqCaller, id: Uuid, approve_at: Option<DateTime<Utc>>) -> Result<Approval> {
    caller.require_owner()?;
    let mut tx = caller.db.begin().await?;
    let row: Option<(Uuid, Uuid, i64, String, Value)> = sqlx::query_as(
        "SELECT device_id, branch_id, seq, status, op FROM sync_approvals WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let (device_id, branch_id, seq, status, op) = row.ok_or_else(not_found)?;
    if status != "pending" {
        return Err(decided());
    }
    let approve = approve_at.is_some();
    let outcome = if let Some(now) = approve_at {
        let op: Op = serde_json::from_value(op).map_err(|e| anyhow::anyhow!("held op unreadable: {e}"))?;
        let written = ingest::apply_approved(&mut tx, device_id, branch_id, &op, now).await?;
        Some(if written { "applied" } else { "stale" })
    } else {
        None
    };
    let (status, op_status, reason) = if approve {
        ("approved", "applied", None)
    } else {
        ("refused", "rejected", Some("rechazada por el dueño en la oficina central"))
    };
    sqlx::query(
        "UPDATE sync_approvals SET status = $2, outcome = $3, decided_at = clock_timestamp(), decided_by = $4
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(outcome)
    .bind(caller.account_id)
    .execute(&mut *tx)
    .await?;
    super::set_op_status(&mut tx, device_id, seq, op_status, reason).await?;
    let decided: Approval = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        &caller.origin(),
        Change {
            action: if approve { "SYNC_APPROVAL_APPROVE" } else { "SYNC_APPROVAL_REFUSE" },
            entity_type: "sync_approval",
            entity_id: Some(id.to_string()),
            old_value: decided.before.clone(),
            new_value: Some(json!({ "employee_id": decided.entity_id, "after": decided.after,
                                    "device_id": device_id, "seq": seq, "outcome": outcome })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(decided)
}
