//! `/v1/theme`.

use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, EditConfig, HqCan, TenantReader};
use crate::theme::{self, Theme, ThemeUpdate};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get, put))
}

/// The tenant's CSS variables (a counter token or an HQ session).
#[utoipa::path(get, path = "/v1/theme", tag = "config", security(("bearer" = [])),
    responses((status = 200, body = Theme)))]
async fn get(reader: TenantReader) -> ApiResult<Json<Theme>> {
    Ok(Json(theme::get(&reader.db).await?))
}

/// Replaces the tenant's overrides (`config.edit`).
#[utoipa::path(put, path = "/v1/theme", tag = "config", request_body = ThemeUpdate, security(("bearer" = [])),
    responses((status = 200, body = Theme), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put(
    HqCan(caller, _): HqCan<EditConfig>,
    ApiJson(update): ApiJson<ThemeUpdate>,
) -> ApiResult<Json<Theme>> {
    Ok(Json(theme::put(&caller, &update).await?))
}
