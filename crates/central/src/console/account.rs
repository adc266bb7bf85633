//! `/console/account`: the logged-in person's own account — two-factor
//! login (set up with a QR code, turned on with a code, turned off) and, for
//! the owner, the tenant's setting that makes it mandatory.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::devices::qr_svg;
use super::{Console, ConsoleForm, Nav, NoFields, PageError, Tab, page, see_other};
use crate::hq::HqRole;
use crate::http::AppState;
use crate::totp::{self, HqSettings};
use crate::{Central, Error};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/account", get(show))
        .route("/console/account/totp/setup", post(setup))
        .route("/console/account/totp/enable", post(enable))
        .route("/console/account/totp/disable", post(disable))
        .route("/console/account/settings", post(set_settings))
}

pub struct Setup {
    pub secret: String,
    pub qr_svg: String,
}

#[derive(Template)]
#[template(path = "console/account.html")]
struct AccountPage {
    nav: Nav,
    enabled: bool,
    required: bool,
    must_enroll: bool,
    is_owner: bool,
    setup: Option<Setup>,
    error: Option<String>,
}

async fn render(
    central: &Central,
    console: &Console,
    setup: Option<Setup>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let status = totp::status(central, &console.caller).await?;
    let code = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut response = page(&AccountPage {
        nav: console.nav(Tab::Account),
        enabled: status.enabled,
        required: status.required_by_tenant,
        must_enroll: console.caller.needs_totp,
        is_owner: console.caller.role == HqRole::Owner,
        setup,
        error,
    })?;
    *response.status_mut() = code;
    Ok(response)
}

async fn show(State(central): State<AppState>, console: Console) -> Result<Response, PageError> {
    render(&central, &console, None, None).await
}

async fn setup(
    State(central): State<AppState>,
    ConsoleForm { console, form: NoFields {} }: ConsoleForm<NoFields>,
) -> Result<Response, PageError> {
    let made = totp::setup(&central, &console.caller).await?;
    let shown = Setup { qr_svg: qr_svg(made.otpauth_url.expose())?, secret: made.secret.expose().to_owned() };
    render(&central, &console, Some(shown), None).await
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

/// A wrong code is said on the page; anything else is an error page.
fn shown(e: Error) -> Result<String, PageError> {
    match e {
        Error::Unauthorized { .. } | Error::Conflict { .. } | Error::Rule(_) => {
            Ok(PageError::from(e).message().to_owned())
        }
        other => Err(other.into()),
    }
}

async fn enable(
    State(central): State<AppState>,
    ConsoleForm { console, form }: ConsoleForm<CodeForm>,
) -> Result<Response, PageError> {
    match totp::enable(&central, &console.caller, &form.code).await {
        Ok(_) => Ok(see_other("/console/account")),
        Err(e) => render(&central, &console, None, Some(shown(e)?)).await,
    }
}

async fn disable(
    State(central): State<AppState>,
    ConsoleForm { console, form }: ConsoleForm<CodeForm>,
) -> Result<Response, PageError> {
    match totp::disable(&central, &console.caller, &form.code).await {
        Ok(_) => Ok(see_other("/console/account")),
        Err(e) => render(&central, &console, None, Some(shown(e)?)).await,
    }
}

#[derive(Deserialize)]
struct SettingsForm {
    #[serde(default)]
    totp_required: Option<String>,
}

async fn set_settings(
    State(central): State<AppState>,
    ConsoleForm { console, form }: ConsoleForm<SettingsForm>,
) -> Result<Response, PageError> {
    let new = HqSettings { totp_required: form.totp_required.is_some() };
    totp::set_settings(&central, &console.caller, &new).await?;
    Ok(see_other("/console/account"))
}
