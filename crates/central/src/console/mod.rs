//! The headquarters console: server-rendered pages under `/console`, served
//! by central itself.
//!
//! Pages are HTML rendered from askama templates (escaped by default) and
//! call the same domain functions, with the same permission checks, as the
//! JSON API — never their own SQL rules. A page is reached with a browser
//! session: the HQ session token in an `HttpOnly; SameSite=Strict` cookie
//! (`session`), every form carrying a per-session CSRF token. Static assets
//! are embedded in the binary.

mod account;
mod alerts;
mod approvals;
mod audit;
mod board;
mod devices;
mod error;
mod login;
mod operator;
mod people;
mod registers;
mod reports;
mod session;
mod sessions;
mod staff;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::http::AppState;
pub use error::PageError;
pub use error::urlencode;
pub use session::{Console, ConsoleForm, Nav, NoFields, Tab};

/// Where the console lives.
pub const ROOT: &str = "/console";

const CSS: &str = include_str!("../../assets/console.css");
const JS: &str = include_str!("../../assets/console.js");

/// Every console route, with the headers that keep its pages to themselves.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(login::routes())
        .merge(account::routes())
        .merge(alerts::routes())
        .merge(board::routes())
        .merge(devices::routes())
        .merge(staff::routes())
        .merge(approvals::routes())
        .merge(audit::routes())
        .merge(people::routes())
        .merge(registers::routes())
        .merge(reports::routes())
        .merge(sessions::routes())
        .merge(operator::routes())
        .route("/console/assets/console.css", get(|| asset("text/css; charset=utf-8", CSS)))
        .route("/console/assets/console.js", get(|| asset("text/javascript; charset=utf-8", JS)))
        .layer(header_layer(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header_layer(header::REFERRER_POLICY, "same-origin"))
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=300")], body)
        .into_response()
}

/// A rendered page: never cached, since it shows one person's data.
pub fn page(template: &impl askama::Template) -> Result<Response, PageError> {
    let html = template.render().map_err(|e| PageError::internal(&e))?;
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::response::Html(html)).into_response())
}

/// After a form: back to a page (303, so a reload does not post again).
pub fn see_other(location: &str) -> Response {
    (axum::http::StatusCode::SEE_OTHER, [(header::LOCATION, location.to_owned())]).into_response()
}
