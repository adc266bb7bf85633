//! `/v1/alerts`: what headquarters should look at, counted on every page,
//! acknowledged with a note; and the tenant's thresholds.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, EditConfig, HqCan, ViewConfig};
use crate::alerts::{self, AckRequest, Alert, AlertCount, AlertSettings};
use crate::hq::HqCaller;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(count))
        .routes(routes!(acknowledge))
        .routes(routes!(get_settings, put_settings))
}

#[derive(Deserialize, IntoParams)]
struct ListQuery {
    /// Acknowledged alerts too, not only the open ones.
    #[serde(default)]
    all: bool,
}

/// The tenant's alerts as of now, newest first: open ones, or all with
/// `all=true` (`CASH.VIEW` or `reports.view`).
#[utoipa::path(get, path = "/v1/alerts", tag = "alerts", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<Alert>),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or neither `CASH.VIEW` nor `reports.view` (`forbidden`, with `missing`)", body = ErrorBody)))]
async fn list(
    State(central): State<AppState>,
    caller: HqCaller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<Alert>>> {
    Ok(Json(alerts::list(&central, &caller, q.all).await?))
}

/// How many alerts are open now (`CASH.VIEW` or `reports.view`).
#[utoipa::path(get, path = "/v1/alerts/count", tag = "alerts", security(("bearer" = [])),
    responses((status = 200, body = AlertCount),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or neither `CASH.VIEW` nor `reports.view` (`forbidden`, with `missing`)", body = ErrorBody)))]
async fn count(State(central): State<AppState>, caller: HqCaller) -> ApiResult<Json<AlertCount>> {
    Ok(Json(alerts::count(&central, &caller).await?))
}

/// Acknowledges an open alert with a note (the owner or an admin); audited.
#[utoipa::path(post, path = "/v1/alerts/{id}/ack", tag = "alerts", params(("id" = Uuid, Path)),
    request_body = AckRequest, security(("bearer" = [])),
    responses((status = 200, body = Alert),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or neither the owner nor an admin (`alert_ack_forbidden`)", body = ErrorBody),
        (status = 404, description = "No such alert in this tenant (`alert_not_found`)", body = ErrorBody),
        (status = 409, description = "Already acknowledged (`alert_acknowledged`)", body = ErrorBody),
        (status = 422, description = "A missing, blank or too long note", body = ErrorBody)))]
async fn acknowledge(
    State(central): State<AppState>,
    caller: HqCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<AckRequest>,
) -> ApiResult<Json<Alert>> {
    Ok(Json(alerts::acknowledge(&central, &caller, id, &req).await?))
}

/// The tenant's alert thresholds (`config.view`).
#[utoipa::path(get, path = "/v1/alerts/settings", tag = "alerts", security(("bearer" = [])),
    responses((status = 200, body = AlertSettings),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody)))]
async fn get_settings(HqCan(caller, _): HqCan<ViewConfig>) -> ApiResult<Json<AlertSettings>> {
    Ok(Json(alerts::current_settings(&caller).await?))
}

/// Replaces the tenant's alert thresholds (`config.edit`); audited.
#[utoipa::path(put, path = "/v1/alerts/settings", tag = "alerts", request_body = AlertSettings,
    security(("bearer" = [])),
    responses((status = 200, body = AlertSettings),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody),
        (status = 422, description = "A threshold out of range", body = ErrorBody)))]
async fn put_settings(
    HqCan(caller, _): HqCan<EditConfig>,
    ApiJson(new): ApiJson<AlertSettings>,
) -> ApiResult<Json<AlertSettings>> {
    Ok(Json(alerts::update_settings(&caller, &new).await?))
}
