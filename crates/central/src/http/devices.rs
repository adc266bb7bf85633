//! `/v1/devices`: enrollment codes, enrollment, the tenant's devices, revocation.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use nexus_domain::sync::EnrollRequest;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, EditConfig, HqCan, ViewConfig};
use crate::devices::{self, Device, Enrolled, EnrollmentCode, NewEnrollmentCode};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_code))
        .routes(routes!(enroll))
        .routes(routes!(list))
        .routes(routes!(revoke))
}

/// Makes a one-time enrollment code for a branch (`config.edit`).
#[utoipa::path(post, path = "/v1/devices/enrollment-codes", tag = "devices", request_body = NewEnrollmentCode,
    security(("bearer" = [])),
    responses((status = 201, body = EnrollmentCode), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_code(
    State(central): State<AppState>,
    HqCan(caller, _): HqCan<EditConfig>,
    ApiJson(new): ApiJson<NewEnrollmentCode>,
) -> ApiResult<(StatusCode, Json<EnrollmentCode>)> {
    let code =
        devices::create_code(&central, &caller.tenant, &caller.db, Some(caller.account_id), &new).await?;
    Ok((StatusCode::CREATED, Json(code)))
}

/// Exchanges an enrollment code for a device credential (no token: the code is the credential).
#[utoipa::path(post, path = "/v1/devices/enroll", tag = "devices", request_body = EnrollRequest,
    responses((status = 200, body = Enrolled), (status = 401, description = "Invalid or expired code", body = ErrorBody),
        (status = 422, description = "A missing or too long device name", body = ErrorBody)))]
async fn enroll(
    State(central): State<AppState>,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> ApiResult<Json<Enrolled>> {
    Ok(Json(devices::enroll(&central, &req).await?))
}

/// The tenant's enrolled devices (`config.view`).
#[utoipa::path(get, path = "/v1/devices", tag = "devices", security(("bearer" = [])),
    responses((status = 200, body = Vec<Device>), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody)))]
async fn list(
    State(central): State<AppState>,
    HqCan(caller, _): HqCan<ViewConfig>,
) -> ApiResult<Json<Vec<Device>>> {
    Ok(Json(devices::list(&central, caller.tenant.id).await?))
}

/// Revokes a device (`config.edit`): its pushes and pulls are refused from now on.
#[utoipa::path(post, path = "/v1/devices/{id}/revoke", tag = "devices", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Device), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke(
    State(central): State<AppState>,
    HqCan(caller, _): HqCan<EditConfig>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Device>> {
    Ok(Json(devices::revoke(&central, caller.tenant.id, id, Some(&caller)).await?))
}
