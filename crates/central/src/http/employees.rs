//! `/v1/employees`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, HqCan, ManageUsers, ViewConfig};
use crate::employees::{self, CreatedEmployee, Employee, EmployeeChanges, IssuedPin, NewEmployee};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update))
        .routes(routes!(deactivate))
        .routes(routes!(reset_pin))
}

#[derive(Deserialize, IntoParams)]
struct ListQuery {
    /// Include deactivated employees.
    #[serde(default)]
    include_inactive: bool,
}

/// Employees of the caller's tenant (`config.view`).
#[utoipa::path(get, path = "/v1/employees", tag = "config", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<Employee>), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody)))]
async fn list(
    HqCan(caller, _): HqCan<ViewConfig>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<Employee>>> {
    Ok(Json(employees::list(&caller.db, q.include_inactive).await?))
}

/// One employee (`config.view`).
#[utoipa::path(get, path = "/v1/employees/{id}", tag = "config", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Employee), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get(HqCan(caller, _): HqCan<ViewConfig>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Employee>> {
    Ok(Json(employees::get(&caller.db, id).await?))
}

/// Creates an employee (`SECURITY.USERS.MANAGE`); never an owner. The
/// answer carries the PIN made for them, shown this once.
#[utoipa::path(post, path = "/v1/employees", tag = "config", request_body = NewEmployee, security(("bearer" = [])),
    responses(
        (status = 201, body = CreatedEmployee),
        (status = 403, description = "Not an HQ session, a missing permission, or granting what the caller lacks", body = ErrorBody),
        (status = 409, description = "The PIN made collided with one given at the same moment; try again", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
async fn create(
    State(central): State<AppState>,
    HqCan(caller, _): HqCan<ManageUsers>,
    ApiJson(new): ApiJson<NewEmployee>,
) -> ApiResult<(StatusCode, Json<CreatedEmployee>)> {
    Ok((StatusCode::CREATED, Json(employees::create(&central, &caller, &new).await?)))
}

/// Changes an employee (`SECURITY.USERS.MANAGE`).
#[utoipa::path(patch, path = "/v1/employees/{id}", tag = "config", request_body = EmployeeChanges,
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Employee), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Reactivating someone whose PIN was given away meanwhile (`pin_taken`)", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update(
    HqCan(caller, _): HqCan<ManageUsers>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(changes): ApiJson<EmployeeChanges>,
) -> ApiResult<Json<Employee>> {
    Ok(Json(employees::update(&caller, id, &changes).await?))
}

/// Deactivates an employee (`SECURITY.USERS.MANAGE`); their tokens stop working at once.
#[utoipa::path(post, path = "/v1/employees/{id}/deactivate", tag = "config", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Employee), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "Deactivating oneself", body = ErrorBody)))]
async fn deactivate(
    HqCan(caller, _): HqCan<ManageUsers>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Employee>> {
    Ok(Json(employees::deactivate(&caller, id).await?))
}

/// Gives an employee a new PIN made by the system (`SECURITY.USERS.MANAGE`),
/// shown this once.
#[utoipa::path(post, path = "/v1/employees/{id}/reset-pin", tag = "config",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = IssuedPin), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn reset_pin(
    State(central): State<AppState>,
    HqCan(caller, _): HqCan<ManageUsers>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<IssuedPin>> {
    Ok(Json(employees::reset_pin(&central, &caller, id).await?))
}
