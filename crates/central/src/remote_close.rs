//! Remote close: the tenant's owner asks, from headquarters, to close a
//! till's abandoned OPEN cash session (seed 004's
//! `sp_close_cash_session_secure`, owner only).
//!
//! Central never closes the session itself: the till owns it and may have
//! closed it offline with a count central has not seen. The request is
//! recorded (who, when, why) and travels down the change feed; the till
//! closes the session "by the owner, not counted" as a local action and
//! pushes that close, which settles the request as `applied`
//! (`sync::ingest`). A close the till made itself with its count settles a
//! pending request as `superseded`: the count stands, and a session is
//! never closed twice.

use chrono::{DateTime, Utc};
use nexus_domain::error::required_text;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::hq::HqCaller;
use crate::{Error, Result};

/// The longest reason a request may give.
pub const MAX_REASON_CHARS: usize = 500;

/// `POST /v1/sessions/{id}/remote-close`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteCloseRequest {
    /// Why the session is closed from headquarters; required.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        example = "La cajera se fue sin cerrar la caja"
    )]
    pub reason: String,
}

/// A request to close a session, and what became of it.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct RemoteClose {
    pub id: Uuid,
    pub cash_session_id: Uuid,
    /// The till that owns the session.
    pub device_id: String,
    /// The HQ account that asked.
    pub requested_by_account: Uuid,
    /// The owner, as the employee they are.
    pub requested_by: Option<Uuid>,
    pub reason: String,
    /// `pending` (on its way to the till), `applied` (the till closed the
    /// session, not counted) or `superseded` (the till had closed it with
    /// its count, which stands).
    pub status: String,
    pub requested_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
    /// The till's op that settled it.
    pub settled_seq: Option<i64>,
}

const SELECT: &str =
    "SELECT id, cash_session_id, device_id, requested_by_account, requested_by, reason, status,
        requested_at, settled_at, settled_seq FROM remote_close_requests";

fn session_not_found() -> Error {
    Error::not_found("session_not_found", "Sesión de caja no encontrada")
}

/// Asks the till that owns `session_id` to close it (the owner only).
pub async fn request(caller: &HqCaller, session_id: Uuid, input: &RemoteCloseRequest) -> Result<RemoteClose> {
    caller.require_owner()?;
    let reason = required_text("reason", &input.reason, MAX_REASON_CHARS)?;
    let mut tx = caller.db.begin().await?;
    let session: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT status, device_id FROM cash_sessions WHERE id = $1 FOR UPDATE")
            .bind(session_id)
            .fetch_optional(&mut *tx)
            .await?;
    let (status, device_id) = session.ok_or_else(session_not_found)?;
    if status != "OPEN" {
        return Err(Error::conflict("session_not_open", "La sesión de caja ya está cerrada"));
    }
    let Some(device_id) = device_id else {
        return Err(Error::conflict("session_not_open", "La sesión de caja no pertenece a ninguna caja"));
    };
    let pending: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM remote_close_requests WHERE cash_session_id = $1 AND status = 'pending')",
    )
    .bind(session_id)
    .fetch_one(&mut *tx)
    .await?;
    if pending {
        return Err(Error::conflict(
            "remote_close_pending",
            "Ya se pidió cerrar esta sesión; la caja la cerrará en su próxima sincronización",
        ));
    }
    let made: RemoteClose = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH made AS (
            INSERT INTO remote_close_requests (cash_session_id, device_id, requested_by_account, requested_by, reason)
            VALUES ($1, $2, $3, $4, $5) RETURNING *)
         {} ",
        SELECT.replace("remote_close_requests", "made")
    )))
    .bind(session_id)
    .bind(&device_id)
    .bind(caller.account_id)
    .bind(caller.employee_id.map(|e| e.0))
    .bind(&reason)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &caller.origin(),
        Change {
            action: "CASH_SESSION_REMOTE_CLOSE_REQUEST",
            entity_type: "cash_session",
            entity_id: Some(session_id.to_string()),
            old_value: Some(json!({ "status": "OPEN" })),
            new_value: Some(
                json!({ "request_id": made.id, "reason": made.reason, "device_id": made.device_id,
                                    "status": made.status }),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(made)
}

/// The tenant's requests, pending first, then the newest.
pub async fn list(db: &PgPool) -> Result<Vec<RemoteClose>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} ORDER BY status <> 'pending', requested_at DESC, id LIMIT 500"
    )))
    .fetch_all(db)
    .await?)
}
