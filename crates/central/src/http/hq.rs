//! `/v1/hq`: headquarters login, the current account, logout.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery, ClientIp};
use crate::hq::{self, HqAccount, HqCaller, HqLoginRequest, HqLoginResponse};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(me)).routes(routes!(logout))
}

/// Logs in with an HQ account's email and password; returns a session token.
#[utoipa::path(post, path = "/v1/hq/login", tag = "hq", request_body = HqLoginRequest,
    responses(
        (status = 200, body = HqLoginResponse),
        (status = 401, description = "Wrong email or password, or an inactive account or tenant", body = ErrorBody),
        (status = 422, description = "A malformed email or an empty password", body = ErrorBody),
        (status = 429, description = "Too many attempts for this email or from this address; see retry_after_secs", body = ErrorBody),
    ))]
async fn login(
    State(central): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<HqLoginRequest>,
) -> ApiResult<Json<HqLoginResponse>> {
    Ok(Json(hq::login(&central, &req, ip).await?))
}

/// The account of this session, as the database has it now.
#[utoipa::path(get, path = "/v1/hq/me", tag = "hq", security(("bearer" = [])),
    responses((status = 200, body = HqAccount),
        (status = 403, description = "Not an HQ session (`hq_login_required`)", body = ErrorBody)))]
async fn me(caller: HqCaller) -> Json<HqAccount> {
    Json(caller.account())
}

#[derive(Deserialize, IntoParams)]
struct LogoutQuery {
    /// End every session of this account, not only this one.
    #[serde(default)]
    everywhere: bool,
}

/// Ends this session (or, with `everywhere=true`, every session of the account).
#[utoipa::path(post, path = "/v1/hq/logout", tag = "hq", params(LogoutQuery), security(("bearer" = [])),
    responses((status = 204),
        (status = 403, description = "Not an HQ session (`hq_login_required`)", body = ErrorBody)))]
async fn logout(
    State(central): State<AppState>,
    caller: HqCaller,
    ApiQuery(q): ApiQuery<LogoutQuery>,
) -> ApiResult<StatusCode> {
    hq::logout(&central, &caller, q.everywhere).await?;
    Ok(StatusCode::NO_CONTENT)
}
