//! `/v1/registers` and `/v1/register-assignments`.
//!
//! Reading needs `CASH.VIEW`, so an accountant or an auditor sees who uses
//! which register; a terminal's assignment screen asks `CASH.ASSIGN` even to
//! read, because there reading is only the first step of assigning.

use axum::Json;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, AssignRegisters, HqCan, ManageRegisters, ViewCash};
use crate::registers::{
    self, Assignment, AssignmentFilter, NewAssignment, NewRegister, Register, RegisterChanges, RegisterFilter,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update))
        .routes(routes!(assignments, assign))
        .routes(routes!(activate_assignment))
        .routes(routes!(deactivate_assignment))
}

/// The tenant's registers, active or not (`CASH.VIEW`).
#[utoipa::path(get, path = "/v1/registers", tag = "config", params(RegisterFilter), security(("bearer" = [])),
    responses((status = 200, body = Vec<Register>), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody)))]
async fn list(
    HqCan(caller, _): HqCan<ViewCash>,
    ApiQuery(filter): ApiQuery<RegisterFilter>,
) -> ApiResult<Json<Vec<Register>>> {
    Ok(Json(registers::list(&caller.db, &filter).await?))
}

/// One register (`CASH.VIEW`).
#[utoipa::path(get, path = "/v1/registers/{id}", tag = "config", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Register), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody),
        (status = 404, description = "No such register in the tenant (`register_not_found`)", body = ErrorBody)))]
async fn get(HqCan(caller, _): HqCan<ViewCash>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Register>> {
    Ok(Json(registers::get(&caller.db, id).await?))
}

/// Creates a register in a branch (`CASH.REGISTER.MANAGE`); `branch_id` is
/// required here.
#[utoipa::path(post, path = "/v1/registers", tag = "config", request_body = NewRegister, security(("bearer" = [])),
    responses(
        (status = 201, body = Register),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody),
        (status = 409, description = "The branch has a register with that number (`register_number_taken`)", body = ErrorBody),
        (status = 422, description = "A field is missing or invalid, or the branch does not exist (`field_invalid` on `branch_id`)", body = ErrorBody),
    ))]
async fn create(
    HqCan(caller, _): HqCan<ManageRegisters>,
    ApiJson(new): ApiJson<NewRegister>,
) -> ApiResult<(StatusCode, Json<Register>)> {
    Ok((StatusCode::CREATED, Json(registers::create(&caller, &new).await?)))
}

/// Renames, renumbers, activates or deactivates a register
/// (`CASH.REGISTER.MANAGE`); one with an OPEN session stays active.
#[utoipa::path(patch, path = "/v1/registers/{id}", tag = "config", request_body = RegisterChanges,
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Register), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody),
        (status = 404, description = "No such register in the tenant (`register_not_found`)", body = ErrorBody),
        (status = 409, description = "The number is taken in the branch (`register_number_taken`), or deactivating a register with an OPEN session (`register_in_use`)", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update(
    HqCan(caller, _): HqCan<ManageRegisters>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(changes): ApiJson<RegisterChanges>,
) -> ApiResult<Json<Register>> {
    Ok(Json(registers::update(&caller, id, &changes).await?))
}

/// Who is assigned to which register, filtered by employee, branch and
/// state (`CASH.VIEW`).
#[utoipa::path(get, path = "/v1/register-assignments", tag = "config", params(AssignmentFilter), security(("bearer" = [])),
    responses((status = 200, body = Vec<Assignment>), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody)))]
async fn assignments(
    HqCan(caller, _): HqCan<ViewCash>,
    ApiQuery(filter): ApiQuery<AssignmentFilter>,
) -> ApiResult<Json<Vec<Assignment>>> {
    Ok(Json(registers::assignments(&caller.db, &filter).await?))
}

/// Assigns a register to an employee (`CASH.ASSIGN`); assigning a pair
/// again reactivates its assignment and replaces the note.
#[utoipa::path(post, path = "/v1/register-assignments", tag = "config", request_body = NewAssignment, security(("bearer" = [])),
    responses(
        (status = 200, body = Assignment),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody),
        (status = 404, description = "No such register (`register_not_found`), or no such active employee (`employee_not_found`)", body = ErrorBody),
        (status = 422, description = "A field is invalid, or the register is deactivated (`register_inactive`)", body = ErrorBody),
    ))]
async fn assign(
    HqCan(caller, _): HqCan<AssignRegisters>,
    ApiJson(new): ApiJson<NewAssignment>,
) -> ApiResult<Json<Assignment>> {
    Ok(Json(registers::assign(&caller, &new).await?))
}

/// Switches an assignment back on (`CASH.ASSIGN`).
#[utoipa::path(post, path = "/v1/register-assignments/{id}/activate", tag = "config", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Assignment), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody),
        (status = 404, description = "No such assignment in the tenant (`assignment_not_found`)", body = ErrorBody)))]
async fn activate_assignment(
    HqCan(caller, _): HqCan<AssignRegisters>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Assignment>> {
    Ok(Json(registers::set_assignment_active(&caller, id, true).await?))
}

/// Unassigns: switches an assignment off, keeping it for the record (`CASH.ASSIGN`).
#[utoipa::path(post, path = "/v1/register-assignments/{id}/deactivate", tag = "config", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Assignment), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody),
        (status = 404, description = "No such assignment in the tenant (`assignment_not_found`)", body = ErrorBody)))]
async fn deactivate_assignment(
    HqCan(caller, _): HqCan<AssignRegisters>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Assignment>> {
    Ok(Json(registers::set_assignment_active(&caller, id, false).await?))
}
