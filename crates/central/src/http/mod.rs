//! The HTTP API: routes, layers, and serving.

mod alerts;
mod approvals;
mod audit;
mod auth;
mod board;
mod branches;
mod devices;
mod employees;
pub mod error;
pub mod extract;
mod hq;
mod meta;
mod registers;
mod remote_close;
mod reports;
mod sessions;
mod sync;
mod tenants;
mod theme;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::Central;
use error::ApiError;

pub type AppState = Arc<Central>;

#[derive(OpenApi)]
#[openapi(
    info(title = "Nexus POS central", description = "Tenants, headquarters and counter logins, configuration and sync of Nexus POS."),
    modifiers(&BearerAuth),
    components(schemas(error::ErrorBody)),
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build(),
            ),
        );
    }
}

/// Statuses a route answers because of how it is called, added to every
/// operation so the document lists each status the wire can carry. What a
/// route answers because of what it does (403, 404, 409, 429, rule
/// violations) is written at the route.
struct ErrorStatuses;

impl utoipa::Modify for ErrorStatuses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        for item in openapi.paths.paths.values_mut() {
            let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in ops.into_iter().flatten() {
                let located = |place: fn(&ParameterIn) -> bool| {
                    op.parameters.iter().flatten().any(|p| match p {
                        utoipa::openapi::RefOr::T(p) => place(&p.parameter_in),
                        utoipa::openapi::RefOr::Ref(_) => false,
                    })
                };
                let mut add: Vec<(&'static str, &'static str)> = Vec::new();
                if op.request_body.is_some() {
                    add.extend([
                        ("400", "The body is not JSON (`malformed_json`)"),
                        ("413", "The body is too large (`body_too_large`)"),
                        ("415", "The body is not `application/json` (`unsupported_media_type`)"),
                        ("422", "A field is missing, unknown, of the wrong type or out of range"),
                    ]);
                }
                if located(|p| matches!(p, ParameterIn::Path)) {
                    add.push(("400", "A path parameter does not parse (`invalid_path`)"));
                }
                if located(|p| matches!(p, ParameterIn::Query)) {
                    add.push(("400", "A query parameter does not parse (`invalid_query`)"));
                }
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    add.push(("401", "No token, or one that is invalid, expired or ended"));
                }
                add.push(("500", "Something inside failed; nothing about it is told (`internal`)"));
                let mut by_status: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
                for (status, description) in add {
                    by_status.entry(status).or_default().push(description);
                }
                for (status, descriptions) in by_status {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error_response(&descriptions.join("; ")));
                }
            }
        }
    }
}

fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    utoipa::openapi::ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            utoipa::openapi::ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

/// The routes and the OpenAPI document they describe.
pub fn router(central: AppState) -> Router {
    let max_body = central.settings.max_body_bytes;
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(meta::routes())
        .merge(auth::routes())
        .merge(hq::routes())
        .merge(tenants::routes())
        .merge(branches::routes())
        .merge(employees::routes())
        .merge(registers::routes())
        .merge(theme::routes())
        .merge(devices::routes())
        .merge(sync::routes())
        .merge(approvals::routes())
        .merge(audit::routes())
        .merge(alerts::routes())
        .merge(reports::routes())
        .merge(sessions::routes())
        .merge(board::routes())
        .merge(remote_close::routes())
        .split_for_parts();
    let mut api = api;
    ErrorStatuses.modify(&mut api);
    let api = Arc::new(api);
    router
        .merge(crate::console::router())
        .route("/v1/openapi.json", axum::routing::get(move || meta::openapi(api.clone())))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Error interno; intenta de nuevo")
                .into_response()
        }))
        .layer(TraceLayer::new_for_http())
        .with_state(central)
}

async fn not_found() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "Ruta no encontrada").into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "Método no permitido").into_response()
}

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(
    central: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(central).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
