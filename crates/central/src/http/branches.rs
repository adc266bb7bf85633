//! `/v1/branches`.

use axum::Json;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, Can, EditConfig};
use crate::auth::Caller;
use crate::branches::{self, Branch, BranchChanges, NewBranch};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(update)).routes(routes!(deactivate))
}

/// Every branch of the caller's tenant.
#[utoipa::path(get, path = "/v1/branches", tag = "config", security(("bearer" = [])),
    responses((status = 200, body = Vec<Branch>), (status = 401, body = ErrorBody)))]
async fn list(caller: Caller) -> ApiResult<Json<Vec<Branch>>> {
    Ok(Json(branches::list(&caller).await?))
}

/// Creates a branch (`config.edit`).
#[utoipa::path(post, path = "/v1/branches", tag = "config", request_body = NewBranch, security(("bearer" = [])),
    responses((status = 201, body = Branch), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    Can(caller, _): Can<EditConfig>,
    ApiJson(new): ApiJson<NewBranch>,
) -> ApiResult<(StatusCode, Json<Branch>)> {
    Ok((StatusCode::CREATED, Json(branches::create(&caller, &new).await?)))
}

/// Changes a branch (`config.edit`).
#[utoipa::path(patch, path = "/v1/branches/{id}", tag = "config", request_body = BranchChanges, security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Branch), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(
    Can(caller, _): Can<EditConfig>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(changes): ApiJson<BranchChanges>,
) -> ApiResult<Json<Branch>> {
    Ok(Json(branches::update(&caller, id, &changes).await?))
}

/// Deactivates a branch (`config.edit`); the last active one cannot be.
#[utoipa::path(post, path = "/v1/branches/{id}/deactivate", tag = "config", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Branch), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn deactivate(Can(caller, _): Can<EditConfig>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Branch>> {
    Ok(Json(branches::deactivate(&caller, id).await?))
}
