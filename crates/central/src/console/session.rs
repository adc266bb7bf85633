//! Browser sessions of the console: the cookie, the caller it authenticates,
//! CSRF tokens and the forms they guard.
//!
//! The cookie holds the same HQ session token the JSON API takes as a bearer
//! token (`hq::authenticate` checks it: ended, idle, expired, deactivated).
//! It is `HttpOnly; SameSite=Strict; Path=/console` and `Secure`, except when
//! the page was asked for at a loopback address (127.0.0.1, ::1, localhost),
//! where browsers may reach central without TLS. Every form carries a CSRF
//! token bound to the session (an HMAC of its id under the server's secret);
//! a form posted without it, or from another site, writes nothing.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use cookie::{Cookie, SameSite};
use hmac::{KeyInit, Mac};
use nexus_domain::Permission;
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::PageError;
use crate::hq::{self, HqCaller, HqRole};
use crate::http::AppState;
use crate::http::extract::ClientIp;
use crate::{Central, Error};

/// The cookie that holds the session token.
pub const SESSION_COOKIE: &str = "nexus_console";
/// The cookie that guards the login form before there is a session.
pub const LOGIN_COOKIE: &str = "nexus_console_login";

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The sections of the console, for the navigation bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Home,
    Staff,
    Devices,
    Approvals,
    People,
    Account,
    Audit,
    Alerts,
    Reports,
    Sessions,
    Registers,
}

/// What every page's frame shows: who is logged in, where, the CSRF token
/// of their forms and the sections they may open.
#[derive(Clone, Debug)]
pub struct Nav {
    pub tenant_name: String,
    pub account_name: String,
    pub email: String,
    pub role: &'static str,
    pub csrf: String,
    pub tab: Tab,
    pub can_staff: bool,
    pub can_devices: bool,
    pub can_approve: bool,
    pub can_people: bool,
    pub can_audit: bool,
    pub can_reports: bool,
    pub can_sessions: bool,
    /// Open alerts, for whoever may see them.
    pub alerts: Option<i64>,
}

impl Nav {
    pub fn is(&self, tab: Tab) -> bool {
        self.tab == tab
    }
}

/// Someone with a live console session.
pub struct Console {
    pub caller: HqCaller,
    pub csrf: String,
    /// Open alerts (counted on every page), when the caller may see them.
    pub alerts: Option<i64>,
}

impl Console {
    /// The frame of a page in section `tab`.
    pub fn nav(&self, tab: Tab) -> Nav {
        let c = &self.caller;
        let has = |p: Permission| c.grants.allows(p);
        Nav {
            tenant_name: c.tenant.name.clone(),
            account_name: c.name.clone(),
            email: c.email.clone(),
            role: role_label(c.role),
            csrf: self.csrf.clone(),
            tab,
            can_staff: has(Permission::SecurityUsersManage) || has(Permission::ConfigView),
            can_devices: has(Permission::ConfigView),
            can_approve: c.role == HqRole::Owner,
            can_people: c.role == HqRole::Owner,
            can_audit: has(Permission::ReportsView),
            can_reports: has(Permission::ReportsView),
            can_sessions: has(Permission::CashView),
            alerts: self.alerts,
        }
    }

    /// Refuses with the permissions the caller lacks.
    pub fn require(&self, required: &[Permission]) -> Result<(), PageError> {
        Ok(self.caller.require(required)?)
    }
}

pub fn role_label(role: HqRole) -> &'static str {
    match role {
        HqRole::Owner => "Dueño",
        HqRole::Admin => "Administrador",
        HqRole::Accountant => "Contador",
        HqRole::Auditor => "Auditor",
    }
}

/// The CSRF token of a session: an HMAC of its id under the server's secret,
/// so it needs no storage and dies with the session.
pub fn csrf_token(central: &Central, session_id: Uuid) -> String {
    let mut mac = HmacSha256::new_from_slice(central.settings.jwt_secret.expose_secret().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(b"nexus-console-csrf:");
    mac.update(session_id.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// Whether the page was asked for at a loopback address, where a cookie may
/// go without `Secure` (a browser there talks to central without TLS).
fn at_loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else { return false };
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    matches!(name, "127.0.0.1" | "localhost" | "::1")
}

/// A `Set-Cookie` value for the console's cookies.
pub fn set_cookie(headers: &HeaderMap, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    let mut cookie = Cookie::build((name.to_owned(), value.to_owned()))
        .path(super::ROOT)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(!at_loopback(headers))
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build();
    if value.is_empty() {
        cookie.make_removal();
    }
    HeaderValue::from_str(&cookie.to_string()).expect("cookie text is a valid header value")
}

/// Refuses a form posted from another site: `Sec-Fetch-Site` when the
/// browser sends it, and `Origin` against `Host` otherwise. (The cookie is
/// `SameSite=Strict` as well; this holds when it is not honoured.)
pub fn check_same_origin(headers: &HeaderMap) -> Result<(), PageError> {
    let cross = || PageError::csrf();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Err(cross());
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest);
        if origin == "null" || origin_host != host {
            return Err(cross());
        }
    }
    Ok(())
}

impl FromRequestParts<AppState> for Console {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let path = parts.uri.path_and_query().map(|p| p.as_str().to_owned());
        let login = || PageError::login(path.as_deref());
        let token = cookie_value(&parts.headers, SESSION_COOKIE).ok_or_else(login)?;
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await.unwrap_or(ClientIp(None));
        let caller = match hq::authenticate(state, &token, ip).await {
            Ok(caller) => caller,
            Err(Error::Unauthorized { .. }) => return Err(login()),
            Err(other) => return Err(other.into()),
        };
        let enrolling =
            path.as_deref().is_some_and(|p| p.starts_with("/console/account") || p == "/console/logout");
        if caller.needs_totp && !enrolling {
            return Err(PageError::redirect("/console/account"));
        }
        let csrf = csrf_token(state, caller.session_id);
        let alerts = match crate::alerts::count(state, &caller).await {
            Ok(count) => Some(count.open),
            Err(Error::MissingPermissions { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(Console { caller, csrf, alerts })
    }
}

/// The form of a button that only carries its CSRF token.
#[derive(serde::Deserialize)]
pub struct NoFields {}

/// A form posted by someone with a console session, its CSRF token checked
/// before anything is read from it.
pub struct ConsoleForm<T> {
    pub console: Console,
    pub form: T,
}

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned> FromRequest<AppState> for ConsoleForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        check_same_origin(&parts.headers)?;
        let console = Console::from_request_parts(&mut parts, state).await?;
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(PageError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Se espera un formulario",
            ));
        }
        let bytes = axum::body::to_bytes(body, state.settings.max_body_bytes).await.map_err(|_| {
            PageError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "El formulario es demasiado grande",
            )
        })?;
        let CsrfField { csrf } = serde_urlencoded::from_bytes(&bytes).map_err(|_| PageError::csrf())?;
        if !same(&csrf, &console.csrf) {
            return Err(PageError::csrf());
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_form",
                format!("Formulario inválido: {e}"),
            )
        })?;
        Ok(ConsoleForm { console, form })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn cookies_go_without_secure_only_at_a_loopback_address() {
        for loopback in ["127.0.0.1:8080", "localhost:3000", "[::1]:8080", "127.0.0.1"] {
            assert!(at_loopback(&host(loopback)), "{loopback}");
        }
        for remote in ["hq.example.mx", "10.0.0.5:8080", "127.0.0.1.evil.mx", "localhost.evil.mx:80"] {
            assert!(!at_loopback(&host(remote)), "{remote}");
        }
        let cookie = set_cookie(&host("hq.example.mx"), SESSION_COOKIE, "x", 60);
        let text = cookie.to_str().unwrap();
        assert!(
            text.contains("Secure") && text.contains("HttpOnly") && text.contains("SameSite=Strict"),
            "{text}"
        );
    }

    #[test]
    fn a_form_from_another_site_is_refused() {
        let mut h = host("hq.example.mx");
        h.insert(header::ORIGIN, HeaderValue::from_static("https://hq.example.mx"));
        assert!(check_same_origin(&h).is_ok());
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(check_same_origin(&h).is_err());
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(check_same_origin(&h).is_err());
        let mut h = host("hq.example.mx");
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(check_same_origin(&h).is_err());
    }
}
