//! `/v1/theme`.

use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, Can, EditConfig};
use crate::auth::Caller;
use crate::theme::{self, Theme, ThemeUpdate};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get, put))
}

/// The tenant's CSS variables.
#[utoipa::path(get, path = "/v1/theme", tag = "config", security(("bearer" = [])),
    responses((status = 200, body = Theme), (status = 401, body = ErrorBody)))]
async fn get(caller: Caller) -> ApiResult<Json<Theme>> {
    Ok(Json(theme::get(&caller).await?))
}

/// Replaces the tenant's overrides (`config.edit`).
#[utoipa::path(put, path = "/v1/theme", tag = "config", request_body = ThemeUpdate, security(("bearer" = [])),
    responses((status = 200, body = Theme), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put(
    Can(caller, _): Can<EditConfig>,
    ApiJson(update): ApiJson<ThemeUpdate>,
) -> ApiResult<Json<Theme>> {
    Ok(Json(theme::put(&caller, &update).await?))
}
