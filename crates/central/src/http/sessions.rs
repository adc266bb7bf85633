//! `/v1/sessions`: closed cash sessions searched from headquarters, and the
//! Z report of one (`CASH.VIEW`).

use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiPath, ApiQuery, HqCan, ViewCash};
use crate::cash_sessions::{self, SessionPage, SessionSearch, ZReport};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search)).routes(routes!(z_report))
}

/// Closed sessions by local date of closing, branch, register and cashier,
/// the latest first, a page at a time (`CASH.VIEW`).
#[utoipa::path(get, path = "/v1/sessions", tag = "cash", params(SessionSearch), security(("bearer" = [])),
    responses((status = 200, body = SessionPage),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or `CASH.VIEW` is missing (`forbidden`)", body = ErrorBody),
        (status = 422, description = "`from` after `to` (`report_range_inverted`), more than 366 days (`report_range_too_long`), or a page out of range (`field_invalid`)", body = ErrorBody)))]
async fn search(
    HqCan(caller, _): HqCan<ViewCash>,
    ApiQuery(q): ApiQuery<SessionSearch>,
) -> ApiResult<Json<SessionPage>> {
    Ok(Json(cash_sessions::search(&caller.db, &q).await?))
}

/// The Z report of a closed session (`CASH.VIEW`).
#[utoipa::path(get, path = "/v1/sessions/{id}", tag = "cash", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = ZReport),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or `CASH.VIEW` is missing (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such session in this tenant (`session_not_found`)", body = ErrorBody),
        (status = 409, description = "The session is still open (`session_open`)", body = ErrorBody)))]
async fn z_report(HqCan(caller, _): HqCan<ViewCash>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<ZReport>> {
    Ok(Json(cash_sessions::z_report(&caller.db, id).await?))
}
