//! `/v1/branches`.

use axum::Json;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, EditConfig, HqCan, TenantReader};
use crate::branches::{self, Branch, BranchChanges, NewBranch};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(update)).routes(routes!(deactivate))
}

/// Every branch of the caller's tenant (a counter token or an HQ session).
#[utoipa::path(get, path = "/v1/branches", tag = "config", security(("bearer" = [])),
    responses((status = 200, body = Vec<Branch>)))]
async fn list(reader: TenantReader) -> ApiResult<Json<Vec<Branch>>> {
    Ok(Json(branches::list(&reader.db).await?))
}

/// Creates a branch (`config.edit`).
#[utoipa::path(post, path = "/v1/branches", tag = "config", request_body = NewBranch, security(("bearer" = [])),
    responses((status = 201, body = Branch), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    HqCan(caller, _): HqCan<EditConfig>,
    ApiJson(new): ApiJson<NewBranch>,
) -> ApiResult<(StatusCode, Json<Branch>)> {
    Ok((StatusCode::CREATED, Json(branches::create(&caller, &new).await?)))
}

/// Changes a branch (`config.edit`).
#[utoipa::path(patch, path = "/v1/branches/{id}", tag = "config", request_body = BranchChanges, security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Branch), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update(
    HqCan(caller, _): HqCan<EditConfig>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(changes): ApiJson<BranchChanges>,
) -> ApiResult<Json<Branch>> {
    Ok(Json(branches::update(&caller, id, &changes).await?))
}

/// Deactivates a branch (`config.edit`); the last active one cannot be.
#[utoipa::path(post, path = "/v1/branches/{id}/deactivate", tag = "config", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Branch), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "The last active branch", body = ErrorBody)))]
async fn deactivate(
    HqCan(caller, _): HqCan<EditConfig>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Branch>> {
    Ok(Json(branches::deactivate(&caller, id).await?))
}
