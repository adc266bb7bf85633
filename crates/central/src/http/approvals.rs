//! `/v1/approvals`: employee changes made at a till that raise privileges,
//! waiting for the owner.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiPath, HqCan, ManageUsers};
use crate::hq::HqCaller;
use crate::sync::approvals::{self, Approval};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(approve)).routes(routes!(refuse))
}

/// Held changes with both sides, pending first (`SECURITY.USERS.MANAGE`).
#[utoipa::path(get, path = "/v1/approvals", tag = "sync", security(("bearer" = [])),
    responses((status = 200, body = Vec<Approval>), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody)))]
async fn list(HqCan(caller, _): HqCan<ManageUsers>) -> ApiResult<Json<Vec<Approval>>> {
    Ok(Json(approvals::list(&caller.db).await?))
}

/// Approves a held change and applies it by last-writer-wins (the owner only).
#[utoipa::path(post, path = "/v1/approvals/{id}/approve", tag = "sync", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Approval),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or not the owner (`hq_owner_required`)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Already decided (`approval_decided`)", body = ErrorBody)))]
async fn approve(
    State(central): State<AppState>,
    caller: HqCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Approval>> {
    let approved = approvals::approve(&caller, id, central.clock.now()).await?;
    // An employee the board names may have changed.
    central.live.notify(caller.tenant.id).await;
    Ok(Json(approved))
}

/// Refuses a held change; nothing of it is applied (the owner only).
#[utoipa::path(post, path = "/v1/approvals/{id}/refuse", tag = "sync", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Approval),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or not the owner (`hq_owner_required`)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Already decided (`approval_decided`)", body = ErrorBody)))]
async fn refuse(caller: HqCaller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Approval>> {
    Ok(Json(approvals::refuse(&caller, id).await?))
}
