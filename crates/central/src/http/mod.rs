//! The HTTP API: routes, layers, and serving.

mod auth;
mod branches;
mod devices;
mod employees;
pub mod error;
pub mod extract;
mod meta;
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
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

use crate::Central;
use error::ApiError;

pub type AppState = Arc<Central>;

#[derive(OpenApi)]
#[openapi(
    info(title = "Nexus POS central", description = "Tenants, PIN login, configuration and sync of Nexus POS."),
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

/// The routes and the OpenAPI document they describe.
pub fn router(central: AppState) -> Router {
    let max_body = central.settings.max_body_bytes;
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(meta::routes())
        .merge(auth::routes())
        .merge(tenants::routes())
        .merge(branches::routes())
        .merge(employees::routes())
        .merge(theme::routes())
        .merge(devices::routes())
        .merge(sync::routes())
        .split_for_parts();
    let api = Arc::new(api);
    router
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
