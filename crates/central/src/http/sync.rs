//! `/v1/sync`: a device pushes its ops and pulls reference data; HQ reads
//! conflicts and parked ops.

use axum::Json;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery, HqCan, ViewReports};
use crate::devices::DeviceCaller;
use crate::sync::incoming::{self, Arrived, PushBody};
use crate::sync::parked::{self, ParkedOp};
use crate::sync::{self, Conflict, feed, ingest};
use nexus_domain::sync::{PullPage, PushResponse};

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
    request_body(content = Object, description = "`{ops: [Op]}` in the wire format of nexus_domain::sync"),
    responses(
        (status = 200, description = "What was settled", body = Object),
        (status = 401, description = "Unknown or revoked device", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
async fn push(device: DeviceCaller, ApiJson(body): ApiJson<PushBody>) -> ApiResult<Json<PushResponse>> {
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
    Ok(Json(ingest::push(&device, ops).await?))
}

#[derive(Deserialize, IntoParams)]
struct PullQuery {
    /// The cursor of the previous pull; 0 for everything.
    #[serde(default)]
    after: i64,
    /// At most this many changes (1 to 2,000).
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    500
}

/// Reference data changed after the cursor, with tombstones (device credential).
#[utoipa::path(get, path = "/v1/sync/pull", tag = "sync", params(PullQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of changes and the next cursor", body = Object),
        (status = 401, body = ErrorBody)))]
async fn pull(device: DeviceCaller, ApiQuery(q): ApiQuery<PullQuery>) -> ApiResult<Json<PullPage>> {
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
