//! `/console/operator`: the platform operator's login and their page of
//! every tenant — cluster, migration version, devices, last sync.

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use secrecy::SecretString;
use serde::Deserialize;

use super::devices::when;
use super::session::{self, LOGIN_COOKIE};
use super::{PageError, page, see_other};
use crate::http::AppState;
use crate::http::extract::ClientIp;
use crate::operator::{self, OperatorSession, TenantOverview};
use crate::{Central, Error};

/// The operator's cookie, seen only by the operator's pages.
const OPERATOR_COOKIE: &str = "nexus_operator";
const PATH: &str = "/console/operator";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/operator", get(tenants))
        .route("/console/operator/login", get(form).post(login))
        .route("/console/operator/logout", post(logout))
}

/// A live operator session and the CSRF token of its forms.
struct Operator {
    session: OperatorSession,
    csrf: String,
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = session::cookie_value(&parts.headers, OPERATOR_COOKIE)
            .ok_or_else(|| PageError::redirect("/console/operator/login"))?;
        match operator::authenticate(state, &token).await {
            Ok(session) => Ok(Operator { csrf: session::csrf_token(state, session.id), session }),
            Err(Error::Unauthorized { .. }) => Err(PageError::redirect("/console/operator/login")),
            Err(e) => Err(e.into()),
        }
    }
}

#[derive(Template)]
#[template(path = "console/operator_login.html")]
struct LoginPage {
    csrf: String,
    error: Option<String>,
}

fn login_page(headers: &HeaderMap, status: StatusCode, error: Option<String>) -> Result<Response, PageError> {
    let csrf = super::login::random_hex()?;
    let cookie = session::set_cookie(headers, LOGIN_COOKIE, &csrf, 3600);
    let mut response = page(&LoginPage { csrf, error })?;
    *response.status_mut() = status;
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

async fn form(headers: HeaderMap) -> Result<Response, PageError> {
    login_page(&headers, StatusCode::OK, None)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
}

fn operator_cookie(headers: &HeaderMap, value: &str, max_age: i64) -> header::HeaderValue {
    let text = session::set_cookie(headers, OPERATOR_COOKIE, value, max_age);
    let text = text.to_str().unwrap_or_default().replace("Path=/console", &format!("Path={PATH}"));
    header::HeaderValue::from_str(&text).expect("a cookie is a valid header value")
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
        return login_page(&headers, StatusCode::FORBIDDEN, Some(message));
    }
    match operator::login(&central, &SecretString::from(f.token), ip).await {
        Ok(token) => {
            let max_age = i64::from(central.settings.hq_session_hours) * 3600;
            let mut response = see_other(PATH);
            response.headers_mut().append(header::SET_COOKIE, operator_cookie(&headers, &token, max_age));
            Ok(response)
        }
        Err(e @ (Error::Unauthorized { .. } | Error::Throttled { .. } | Error::Forbidden { .. })) => {
            let e = PageError::from(e);
            login_page(&headers, e.status(), Some(e.message().to_owned()))
        }
        Err(e) => Err(e.into()),
    }
}

pub struct TenantRow {
    pub t: TenantOverview,
    pub last_sync: String,
    pub behind: bool,
}

#[derive(Template)]
#[template(path = "console/operator.html")]
struct TenantsPage {
    csrf: String,
    tenants: Vec<TenantRow>,
}

async fn tenants(State(central): State<AppState>, operator: Operator) -> Result<Response, PageError> {
    let tenants = operator::tenants(&central)
        .await?
        .into_iter()
        .map(|t| TenantRow {
            last_sync: t.last_sync_at.map_or_else(|| "nunca".to_owned(), when),
            behind: t.schema_version < t.latest_version,
            t,
        })
        .collect();
    page(&TenantsPage { csrf: operator.csrf, tenants })
}

#[derive(Deserialize)]
struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(central): State<AppState>,
    headers: HeaderMap,
    operator: Operator,
    axum::Form(f): axum::Form<LogoutForm>,
) -> Result<Response, PageError> {
    session::check_same_origin(&headers)?;
    if !session::same(&f.csrf, &operator.csrf) {
        return Err(PageError::csrf());
    }
    logout_session(&central, &operator.session).await?;
    let mut response = see_other("/console/operator/login");
    response.headers_mut().append(header::SET_COOKIE, operator_cookie(&headers, "", 0));
    Ok(response)
}

async fn logout_session(central: &Central, session: &OperatorSession) -> Result<(), PageError> {
    Ok(operator::logout(central, session).await?)
}
