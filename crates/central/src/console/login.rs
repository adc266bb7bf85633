//! `/console/login` and logout: email and password through `hq::login` (its
//! throttles, locks and audit entries), the session token into a cookie.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use secrecy::SecretString;
use serde::Deserialize;

use super::session::{self, LOGIN_COOKIE, SESSION_COOKIE};
use super::{ConsoleForm, PageError, ROOT, page, see_other};
use crate::Error;
use crate::hq::{self, HqLoginRequest};
use crate::http::AppState;
use crate::http::extract::ClientIp;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/login", get(form).post(login)).route("/console/logout", post(logout))
}

/// A path inside the console that a login may return to (never another
/// site: no scheme, no `//host`, no backslash tricks).
pub fn is_console_path(path: &str) -> bool {
    (path == ROOT || path.starts_with("/console/") || path.starts_with("/console?"))
        && !path.contains("//")
        && !path.contains('\\')
        && !path.starts_with("/console/login")
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

pub fn random_hex() -> Result<String, PageError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| PageError::internal(&e))?;
    Ok(hex::encode(bytes))
}

/// The login form, with a fresh token in its own cookie (there is no session
/// to bind it to yet).
fn login_page(
    headers: &HeaderMap,
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let csrf = random_hex()?;
    let cookie = session::set_cookie(headers, LOGIN_COOKIE, &csrf, 3600);
    let next = if is_console_path(next) { next.to_owned() } else { ROOT.to_owned() };
    let mut response = page(&LoginPage { csrf, next, email: email.to_owned(), error })?;
    *response.status_mut() = status;
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

async fn form(headers: HeaderMap, Query(q): Query<NextQuery>) -> Result<Response, PageError> {
    login_page(&headers, StatusCode::OK, q.next.as_deref().unwrap_or(ROOT), "", None)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(central): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    axum::Form(f): axum::Form<LoginForm>,
) -> Result<Response, PageError> {
    session::check_same_origin(&headers)?;
    let expected = session::cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !session::same(&f.csrf, &expected) {
        let message = "La página de acceso venció; intenta de nuevo".to_owned();
        return login_page(&headers, StatusCode::FORBIDDEN, &f.next, &f.email, Some(message));
    }
    let totp = Some(f.totp.trim().to_owned()).filter(|c| !c.is_empty()).map(SecretString::from);
    let req = HqLoginRequest { email: f.email.clone(), password: SecretString::from(f.password), totp };
    match hq::login(&central, &req, ip).await {
        Ok(ok) => {
            let max_age = (ok.expires_at - chrono::Utc::now()).num_seconds().max(0);
            let mut response = see_other(if is_console_path(&f.next) { &f.next } else { ROOT });
            let cookies = response.headers_mut();
            cookies.append(
                header::SET_COOKIE,
                session::set_cookie(&headers, SESSION_COOKIE, ok.token.expose(), max_age),
            );
            cookies.append(header::SET_COOKIE, session::set_cookie(&headers, LOGIN_COOKIE, "", 0));
            Ok(response)
        }
        Err(e @ (Error::Unauthorized { .. } | Error::Throttled { .. } | Error::Rule(_))) => {
            let e = PageError::from(e);
            login_page(&headers, e.status(), &f.next, &f.email, Some(e.message().to_owned()))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    #[serde(default)]
    everywhere: Option<String>,
}

async fn logout(
    State(central): State<AppState>,
    headers: HeaderMap,
    ConsoleForm { console, form }: ConsoleForm<LogoutForm>,
) -> Result<Response, PageError> {
    hq::logout(&central, &console.caller, form.everywhere.is_some()).await?;
    let mut response = see_other(&format!("{ROOT}/login"));
    response.headers_mut().append(header::SET_COOKIE, session::set_cookie(&headers, SESSION_COOKIE, "", 0));
    Ok(response.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_returns_only_to_a_console_page() {
        for ok in ["/console", "/console/devices", "/console/sessions?branch=x"] {
            assert!(is_console_path(ok), "{ok}");
        }
        for bad in [
            "https://evil.mx",
            "//evil.mx",
            "/console//evil.mx",
            "/consolex",
            "/v1/hq/me",
            "/console/\\evil",
            "/console/login?next=x",
        ] {
            assert!(!is_console_path(bad), "{bad}");
        }
    }
}
