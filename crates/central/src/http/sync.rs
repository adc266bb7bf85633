//! `/v1/sync`: a device pushes its ops and pulls reference data; HQ reads
//! conflicts and parked ops.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use nexus_domain::DomainError;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery, HqCan, ViewReports};
use crate::board;
use crate::devices::DeviceCaller;
use crate::sync::incoming::{self, Arrived, PushBody};
use crate::sync::parked::{self, ParkedOp};
use crate::sync::{self, Conflict, feed, ingest};
use nexus_domain::sync::{DeviceReport, PullPage, PushResponse};

/// A day offline is thousands of ops; a push may carry up to a thousand.
const PUSH_BODY_LIMIT: usize = 32 * 1024 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(push))
        .layer(axum::extract::DefaultBodyLimit::max(PUSH_BODY_LIMIT))
        .routes(routes!(pull))
        .routes(routes!(conflicts))
        .routes(routes!(parked_ops))
}

/// Applies a device's ops in seq order, exactly once (device credential).
/// An op of a kind this central does not know is parked, not refused.
#[utoipa::path(post, path = "/v1/sync/push", tag = "sync", security(("bearer" = [])),
    request_body(content = Object, description = "`{ops: [Op], report?: DeviceReport}` in the wire format of nexus_domain::sync; the report (pending ops, the oldest one's time, the app's version) is shown on headquarters' board only"),
    responses(
        (status = 200, description = "What was settled", body = Object),
        (status = 401, description = "Unknown or revoked device", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
async fn push(
    State(central): State<AppState>,
    device: DeviceCaller,
    ApiJson(body): ApiJson<PushBody>,
) -> ApiResult<Json<PushResponse>> {
    if let Some(report) = &body.report {
        report.check().map_err(crate::Error::from)?;
    }
    let ops = body
        .ops
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            incoming::decode(raw).map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_body",
                    format!("Cuerpo inválido: ops[{i}]: {e}"),
                )
            })
        })
        .collect::<Result<Vec<Arrived>, ApiError>>()?;
    let heard = board::heard(&device.db, device.device_id, body.report.as_ref(), Utc::now()).await?;
    let settled = ingest::push(&device, ops).await?;
    let moved = settled.applied + settled.rejected.len() + settled.held + settled.parked + settled.conflicts;
    if heard || moved > 0 {
        central.live.notify(device.tenant.id).await;
    }
    Ok(Json(settled))
}

#[derive(Deserialize, IntoParams)]
struct PullQuery {
    /// The cursor of the previous pull; 0 for everything.
    #[serde(default)]
    after: i64,
    /// At most this many changes (1 to 2,000).
    #[serde(default = "default_limit")]
    limit: i64,
    /// The device's report, shown on headquarters' board only: ops it holds
    /// that central has not settled.
    #[param(minimum = 0)]
    pending_ops: Option<i64>,
    /// The oldest of them, by the device's clock (RFC 3339).
    oldest_pending_at: Option<DateTime<Utc>>,
    /// The app's version.
    #[param(max_length = 40, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    app_version: Option<String>,
}

impl PullQuery {
    /// The report the parameters carry, if any: `pending_ops` makes one.
    fn report(&self) -> Result<Option<DeviceReport>, DomainError> {
        let Some(pending_ops) = self.pending_ops else {
            if self.oldest_pending_at.is_some() || self.app_version.is_some() {
                return Err(DomainError::Required { field: "pending_ops" });
            }
            return Ok(None);
        };
        let report = DeviceReport {
            pending_ops,
            oldest_pending_at: self.oldest_pending_at,
            app_version: self.app_version.clone().unwrap_or_default(),
        };
        report.check()?;
        Ok(Some(report))
    }
}

fn default_limit() -> i64 {
    500
}

/// Reference data changed after the cursor, with tombstones (device credential).
#[utoipa::path(get, path = "/v1/sync/pull", tag = "sync", params(PullQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of changes and the next cursor", body = Object),
        (status = 401, body = ErrorBody)))]
async fn pull(
    State(central): State<AppState>,
    device: DeviceCaller,
    ApiQuery(q): ApiQuery<PullQuery>,
) -> ApiResult<Json<PullPage>> {
    let report = q.report().map_err(crate::Error::from)?;
    if board::heard(&device.db, device.device_id, report.as_ref(), Utc::now()).await? {
        central.live.notify(device.tenant.id).await;
    }
    Ok(Json(feed::pull(&device.db, q.after.max(0), q.limit).await?))
}

/// What offline work made possible and the rules forbid, newest first (`reports.view`).
#[utoipa::path(get, path = "/v1/sync/conflicts", tag = "sync", security(("bearer" = [])),
    responses((status = 200, body = Vec<Conflict>), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody)))]
async fn conflicts(HqCan(caller, _): HqCan<ViewReports>) -> ApiResult<Json<Vec<Conflict>>> {
    Ok(Json(sync::conflicts(&caller.db, 500).await?))
}

/// Ops of kinds this central did not know when they arrived, kept verbatim;
/// waiting ones first (`reports.view`).
#[utoipa::path(get, path = "/v1/sync/parked", tag = "sync", security(("bearer" = [])),
    responses((status = 200, body = Vec<ParkedOp>), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody)))]
async fn parked_ops(HqCan(caller, _): HqCan<ViewReports>) -> ApiResult<Json<Vec<ParkedOp>>> {
    Ok(Json(parked::list(&caller.db).await?))
}
