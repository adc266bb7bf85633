//! `/v1/sessions/…/remote-close`: the owner asks a till to close an
//! abandoned cash session.

use axum::Json;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, HqCan, ViewCash};
use crate::hq::HqCaller;
use crate::remote_close::{self, RemoteClose, RemoteCloseRequest};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(request)).routes(routes!(list))
}

/// Asks the till that owns an OPEN session to close it, not counted, on its
/// next sync (the owner only). Audited.
#[utoipa::path(post, path = "/v1/sessions/{id}/remote-close", tag = "sync", request_body = RemoteCloseRequest,
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 201, body = RemoteClose),
        (status = 422, description = "No reason (`field_required`), one too long (`field_too_long`) or with control characters (`field_invalid`)", body = ErrorBody),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or not the owner (`hq_owner_required`)", body = ErrorBody),
        (status = 404, description = "No such session in the caller's tenant (`session_not_found`)", body = ErrorBody),
        (status = 409, description = "The session is not open (`session_not_open`) or a request is already pending (`remote_close_pending`)", body = ErrorBody)))]
async fn request(
    caller: HqCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<RemoteCloseRequest>,
) -> ApiResult<(StatusCode, Json<RemoteClose>)> {
    Ok((StatusCode::CREATED, Json(remote_close::request(&caller, id, &input).await?)))
}

/// The tenant's remote-close requests with their status, pending first
/// (`CASH.VIEW`).
#[utoipa::path(get, path = "/v1/sessions/remote-closes", tag = "sync", security(("bearer" = [])),
    responses((status = 200, body = Vec<RemoteClose>), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody)))]
async fn list(HqCan(caller, _): HqCan<ViewCash>) -> ApiResult<Json<Vec<RemoteClose>>> {
    Ok(Json(remote_close::list(&caller.db).await?))
}
