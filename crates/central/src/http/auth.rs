//! `/v1/auth`: PIN login, the current employee, logout.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ClientIp};
use crate::auth::{self, Caller, LoginRequest, LoginResponse, Me};
use crate::devices::DeviceCaller;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(me)).routes(routes!(logout))
}

/// Logs in with a PIN at an enrolled device (its credential is the bearer)
/// and returns an 8-hour counter token.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "Wrong PIN, or no live device credential", body = ErrorBody),
        (status = 422, description = "Malformed PIN", body = ErrorBody),
        (status = 429, description = "Too many attempts from this device, address or tenant; see retry_after_secs", body = ErrorBody),
    ))]
async fn login(
    State(central): State<AppState>,
    device: DeviceCaller,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    Ok(Json(auth::login(&central, &device, &req, ip).await?))
}

/// The employee the token belongs to, as the database has them now.
#[utoipa::path(get, path = "/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me)))]
async fn me(caller: Caller) -> Json<Me> {
    Json(auth::me(&caller))
}

/// Ends the session of this token.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204)))]
async fn logout(caller: Caller) -> ApiResult<StatusCode> {
    auth::logout(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}
