//! What a page answers when something goes wrong: the same codes and
//! Spanish messages as the JSON API, as an HTML page — or, for a visitor
//! without a session, a redirect to the login form.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::Error;
use crate::http::error::ApiError;

#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    code: String,
    message: String,
    /// Where to send a visitor without a session (the login form).
    login_then: Option<Option<String>>,
    /// Somewhere else the visitor must go first.
    redirect: Option<String>,
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    status: u16,
    code: &'a str,
    message: &'a str,
}

impl PageError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> PageError {
        PageError { status, code: code.to_owned(), message: message.into(), login_then: None, redirect: None }
    }

    /// To the login form, and back to `then` (a console path) afterwards.
    pub fn login(then: Option<&str>) -> PageError {
        let mut e = PageError::new(StatusCode::SEE_OTHER, "login_required", "Inicia sesión");
        e.login_then = Some(then.filter(|p| super::login::is_console_path(p)).map(str::to_owned));
        e
    }

    /// To a console page the visitor must see first.
    pub fn redirect(to: &str) -> PageError {
        let mut e = PageError::new(StatusCode::SEE_OTHER, "redirect", "Continúa");
        e.redirect = Some(to.to_owned());
        e
    }

    pub fn csrf() -> PageError {
        PageError::new(
            StatusCode::FORBIDDEN,
            "csrf_invalid",
            "El formulario venció o no salió de esta consola; recarga la página e intenta de nuevo",
        )
    }

    pub fn not_found() -> PageError {
        PageError::new(StatusCode::NOT_FOUND, "not_found", "Página no encontrada")
    }

    pub fn internal(detail: &dyn std::fmt::Display) -> PageError {
        tracing::error!(error = %detail, "console page failed");
        PageError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Error interno; intenta de nuevo")
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<Error> for PageError {
    fn from(e: Error) -> PageError {
        let api = ApiError::from(e);
        PageError::new(api.status(), api.code(), api.message())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let Some(to) = self.redirect {
            return super::see_other(&to);
        }
        if let Some(then) = self.login_then {
            let location = match then {
                Some(path) => format!("{}/login?next={}", super::ROOT, urlencode(&path)),
                None => format!("{}/login", super::ROOT),
            };
            return super::see_other(&location);
        }
        let page = ErrorPage { status: self.status.as_u16(), code: &self.code, message: &self.message };
        match page.render() {
            Ok(html) => (self.status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
            Err(_) => (self.status, self.message).into_response(),
        }
    }
}

/// Percent-encodes a path for a query parameter.
pub fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("v", text)]).map(|s| s[2..].to_owned()).unwrap_or_default()
}
