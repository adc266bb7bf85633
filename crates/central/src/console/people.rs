//! `/console/people`: who works at headquarters — accounts and invitations
//! (the owner's page) — and `/console/invite/<code>`, where an invited
//! person chooses their password.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use secrecy::SecretString;
use serde::Deserialize;
use uuid::Uuid;

use super::devices::when;
use super::session::{self, LOGIN_COOKIE, role_label};
use super::{Console, ConsoleForm, Nav, NoFields, PageError, Tab, page, see_other};
use crate::hq::{self, HqRole};
use crate::http::AppState;
use crate::http::extract::ClientIp;
use crate::invitations::{self, AcceptInvitation, NewInvitation};
use crate::{Central, Error};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/people", get(list))
        .route("/console/people/invitations", post(invite))
        .route("/console/people/invitations/{id}/revoke", post(revoke))
        .route("/console/people/{id}/{action}", post(set_active))
        .route("/console/invite/{code}", get(accept_form).post(accept))
}

pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub is_active: bool,
    pub is_me: bool,
}

pub struct InvitationRow {
    pub id: String,
    pub email: String,
    pub role: &'static str,
    pub expires_at: String,
    pub status: &'static str,
    pub open: bool,
}

pub struct NewLink {
    pub email: String,
    pub link: String,
}

pub struct RoleOption {
    pub code: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "console/people.html")]
struct PeoplePage {
    nav: Nav,
    accounts: Vec<AccountRow>,
    invitations: Vec<InvitationRow>,
    roles: Vec<RoleOption>,
    new_link: Option<NewLink>,
    error: Option<String>,
}

fn status_label(status: &str) -> &'static str {
    match status {
        "open" => "Pendiente",
        "accepted" => "Aceptada",
        "expired" => "Vencida",
        _ => "Retirada",
    }
}

/// The address people reach this console at, for the links it prints.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let host: String = host.chars().filter(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(*c)).collect();
    let scheme =
        if host.starts_with("127.0.0.1") || host.starts_with("localhost") || host.starts_with("[::1]") {
            "http"
        } else {
            "https"
        };
    format!("{scheme}://{host}")
}

async fn render(
    central: &Central,
    console: &Console,
    new_link: Option<NewLink>,
    error: Option<String>,
) -> Result<Response, PageError> {
    console.caller.require_owner()?;
    let c = &console.caller;
    let accounts = hq::accounts(central, c.tenant.id)
        .await?
        .into_iter()
        .map(|a| AccountRow {
            id: a.id.to_string(),
            is_me: a.id == c.account_id,
            role: HqRole::parse(&a.role).map(role_label).unwrap_or("?"),
            name: a.name,
            email: a.email,
            is_active: a.is_active,
        })
        .collect();
    let invitations = invitations::list(central, c.tenant.id)
        .await?
        .into_iter()
        .map(|i| InvitationRow {
            id: i.id.to_string(),
            email: i.email,
            role: role_label(i.role),
            expires_at: when(i.expires_at),
            status: status_label(i.status),
            open: i.status == "open",
        })
        .collect();
    let roles =
        HqRole::ALL.into_iter().map(|r| RoleOption { code: r.code(), label: role_label(r) }).collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut response =
        page(&PeoplePage { nav: console.nav(Tab::People), accounts, invitations, roles, new_link, error })?;
    *response.status_mut() = status;
    Ok(response)
}

async fn list(State(central): State<AppState>, console: Console) -> Result<Response, PageError> {
    render(&central, &console, None, None).await
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

async fn invite(
    State(central): State<AppState>,
    headers: HeaderMap,
    ConsoleForm { console, form }: ConsoleForm<InviteForm>,
) -> Result<Response, PageError> {
    console.caller.require_owner()?;
    let created = async {
        let role = HqRole::parse(&form.role)?;
        invitations::create(
            &central,
            console.caller.tenant.id,
            Some(&console.caller),
            &NewInvitation { email: form.email.clone(), role },
        )
        .await
    }
    .await;
    match created {
        Ok(created) => {
            let link = format!("{}/console/invite/{}", base_url(&headers), created.code.expose());
            render(&central, &console, Some(NewLink { email: created.invitation.email, link }), None).await
        }
        Err(e @ (Error::Rule(_) | Error::Conflict { .. })) => {
            let message = PageError::from(e).message().to_owned();
            render(&central, &console, None, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke(
    State(central): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, form: NoFields {} }: ConsoleForm<NoFields>,
) -> Result<Response, PageError> {
    let id: Uuid = id.parse().map_err(|_| PageError::not_found())?;
    invitations::revoke(&central, &console.caller, id).await?;
    Ok(see_other("/console/people"))
}

async fn set_active(
    State(central): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    ConsoleForm { console, form: NoFields {} }: ConsoleForm<NoFields>,
) -> Result<Response, PageError> {
    let id: Uuid = id.parse().map_err(|_| PageError::not_found())?;
    let active = match action.as_str() {
        "deactivate" => false,
        "reactivate" => true,
        _ => return Err(PageError::not_found()),
    };
    match hq::set_active(&central, &console.caller, id, active).await {
        Ok(_) => Ok(see_other("/console/people")),
        Err(e @ Error::Rule(_)) => {
            let message = PageError::from(e).message().to_owned();
            render(&central, &console, None, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "console/invite.html")]
struct InvitePage {
    csrf: String,
    code: String,
    tenant_name: String,
    email: String,
    role: &'static str,
    name: String,
    error: Option<String>,
}

/// The accept form, guarded like the login form (its own token cookie).
async fn invite_page(
    central: &Central,
    headers: &HeaderMap,
    code: &str,
    name: &str,
    error: Option<(StatusCode, String)>,
) -> Result<Response, PageError> {
    let preview = invitations::preview(central, code).await?;
    let csrf = super::login::random_hex()?;
    let cookie = session::set_cookie(headers, LOGIN_COOKIE, &csrf, 3600);
    let (status, error) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    let mut response = page(&InvitePage {
        csrf,
        code: code.to_owned(),
        tenant_name: preview.tenant_name,
        email: preview.email,
        role: role_label(preview.role),
        name: name.to_owned(),
        error,
    })?;
    *response.status_mut() = status;
    response.headers_mut().append(axum::http::header::SET_COOKIE, cookie);
    Ok(response)
}

async fn accept_form(
    State(central): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    invite_page(&central, &headers, &code, "", None).await
}

#[derive(Deserialize)]
struct AcceptForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

async fn accept(
    State(central): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<AcceptForm>,
) -> Result<Response, PageError> {
    session::check_same_origin(&headers)?;
    let expected = session::cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !session::same(&f.csrf, &expected) {
        return Err(PageError::csrf());
    }
    if f.password != f.password_again {
        let message = "Las dos contraseñas no coinciden".to_owned();
        return invite_page(
            &central,
            &headers,
            &code,
            &f.name,
            Some((StatusCode::UNPROCESSABLE_ENTITY, message)),
        )
        .await;
    }
    let req = AcceptInvitation {
        code: code.clone(),
        name: f.name.clone(),
        password: SecretString::from(f.password),
    };
    match invitations::accept(&central, &req, ip).await {
        Ok(_) => Ok(see_other("/console/login?next=%2Fconsole")),
        Err(e @ Error::Rule(_)) => {
            let e = PageError::from(e);
            invite_page(&central, &headers, &code, &f.name, Some((e.status(), e.message().to_owned()))).await
        }
        Err(e) => Err(e.into()),
    }
}
