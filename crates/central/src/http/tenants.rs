//! `/v1/tenants`: provisioning, for the platform administrator.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, PlatformAdmin};
use crate::provision::{self, NewTenant, Provisioned};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create, list)).routes(routes!(overview))
}

/// Every tenant with its database cluster, migration version, devices and last sync.
#[utoipa::path(get, path = "/v1/tenants/overview", tag = "tenants", security(("bearer" = [])),
    responses((status = 200, body = Vec<crate::operator::TenantOverview>),
        (status = 403, description = "Platform administration disabled", body = ErrorBody)))]
async fn overview(
    State(central): State<AppState>,
    _: PlatformAdmin,
) -> ApiResult<Json<Vec<crate::operator::TenantOverview>>> {
    Ok(Json(crate::operator::tenants(&central).await?))
}

/// Creates a tenant with its database, its branch "Principal" and its owner.
#[utoipa::path(post, path = "/v1/tenants", tag = "tenants", request_body = NewTenant, security(("bearer" = [])),
    responses(
        (status = 201, body = Provisioned),
        (status = 403, description = "Platform administration disabled", body = ErrorBody),
        (status = 409, description = "The owner's email already has an HQ account", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
async fn create(
    State(central): State<AppState>,
    _: PlatformAdmin,
    ApiJson(new): ApiJson<NewTenant>,
) -> ApiResult<(StatusCode, Json<Provisioned>)> {
    Ok((StatusCode::CREATED, Json(provision::provision(&central, &new).await?)))
}

#[derive(Serialize, ToSchema)]
struct TenantSummary {
    id: Uuid,
    name: String,
    slug: String,
    rfc: Option<String>,
    plan: String,
    is_active: bool,
    status: String,
    schema_version: i32,
    created_at: DateTime<Utc>,
}

/// Every tenant.
#[utoipa::path(get, path = "/v1/tenants", tag = "tenants", security(("bearer" = [])),
    responses((status = 200, body = Vec<TenantSummary>),
        (status = 403, description = "Platform administration disabled", body = ErrorBody)))]
async fn list(State(central): State<AppState>, _: PlatformAdmin) -> ApiResult<Json<Vec<TenantSummary>>> {
    let tenants = provision::list(&central).await?;
    Ok(Json(
        tenants
            .into_iter()
            .map(|t| TenantSummary {
                id: t.id,
                name: t.name,
                slug: t.slug,
                rfc: t.rfc,
                plan: t.plan,
                is_active: t.is_active,
                status: t.status,
                schema_version: t.schema_version,
                created_at: t.created_at,
            })
            .collect(),
    ))
}
