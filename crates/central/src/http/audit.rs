//! `/v1/audit`: the tenant's audit log — searched, its chains listed and verified.

use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiPath, ApiQuery, HqCan, ViewReports};
use crate::audit::{self, AuditFilter, AuditRecord, ChainSummary, ChainVerdict};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search)).routes(routes!(chains)).routes(routes!(verify))
}

/// Audit entries, newest first, by person, action, entity, chain and date (`reports.view`).
#[utoipa::path(get, path = "/v1/audit", tag = "audit", params(AuditFilter), security(("bearer" = [])),
    responses((status = 200, body = Vec<AuditRecord>),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody),
        (status = 422, description = "A filter out of range", body = ErrorBody)))]
async fn search(
    HqCan(caller, _): HqCan<ViewReports>,
    ApiQuery(filter): ApiQuery<AuditFilter>,
) -> ApiResult<Json<Vec<AuditRecord>>> {
    Ok(Json(audit::search(&caller.db, &filter).await?))
}

/// The tenant's audit chains: central's own and one per device (`reports.view`).
#[utoipa::path(get, path = "/v1/audit/chains", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = Vec<ChainSummary>),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody)))]
async fn chains(HqCan(caller, _): HqCan<ViewReports>) -> ApiResult<Json<Vec<ChainSummary>>> {
    Ok(Json(audit::chains(&caller.db).await?))
}

/// Verifies a chain from its first entry; names the first broken link (`reports.view`).
#[utoipa::path(get, path = "/v1/audit/chains/{chain}/verify", tag = "audit", params(("chain" = String, Path, description = "A device id, or `central`")),
    security(("bearer" = [])),
    responses((status = 200, body = ChainVerdict),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody),
        (status = 404, description = "No such chain in this tenant (`chain_not_found`)", body = ErrorBody)))]
async fn verify(
    HqCan(caller, _): HqCan<ViewReports>,
    ApiPath(chain): ApiPath<String>,
) -> ApiResult<Json<ChainVerdict>> {
    Ok(Json(audit::verify(&caller.db, &chain).await?))
}
