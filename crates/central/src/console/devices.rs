//! `/console/devices`: the tenant's enrolled devices, enrollment codes (as
//! text and as a QR code) and revocation — `devices::*`, as the JSON API.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use nexus_domain::{BranchId, Permission};
use serde::Deserialize;
use uuid::Uuid;

use super::{Console, ConsoleForm, Nav, NoFields, PageError, Tab, page, see_other};
use crate::devices::{self, NewEnrollmentCode};
use crate::http::AppState;
use crate::{Central, branches};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/devices", get(list))
        .route("/console/devices/codes", post(create_code))
        .route("/console/devices/{id}/revoke", post(revoke))
}

pub struct DeviceRow {
    pub id: Uuid,
    pub name: String,
    pub branch: String,
    pub enrolled_at: String,
    pub last_seen: String,
    pub revoked: bool,
    pub app_version: String,
    pub pending: String,
}

pub struct BranchOption {
    pub id: String,
    pub name: String,
}

pub struct NewCode {
    pub code: String,
    pub branch: String,
    pub expires_at: String,
    pub qr_svg: String,
}

#[derive(Template)]
#[template(path = "console/devices.html")]
struct DevicesPage {
    nav: Nav,
    devices: Vec<DeviceRow>,
    branches: Vec<BranchOption>,
    can_edit: bool,
    new_code: Option<NewCode>,
}

pub fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

async fn render(
    central: &Central,
    console: &Console,
    new_code: Option<NewCode>,
) -> Result<Response, PageError> {
    console.require(&[Permission::ConfigView])?;
    let c = &console.caller;
    let branches = branches::list(&c.db).await?;
    let branch_name =
        |id: Uuid| branches.iter().find(|b| b.id.0 == id).map_or_else(|| id.to_string(), |b| b.name.clone());
    let heard = crate::board::devices_heard(&c.db, central.clock.now()).await?;
    let devices = devices::list(central, c.tenant.id)
        .await?
        .into_iter()
        .map(|d| {
            let report = heard.get(&d.id);
            // The later of a login through it and a push or pull.
            let last = match (d.last_seen_at, report.and_then(|r| r.last_heard_at)) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            DeviceRow {
                id: d.id,
                branch: branch_name(d.branch_id),
                name: d.name,
                enrolled_at: when(d.enrolled_at),
                last_seen: last.map_or_else(|| "nunca".to_owned(), when),
                revoked: d.revoked_at.is_some(),
                app_version: report.and_then(|r| r.app_version.clone()).unwrap_or_default(),
                pending: report.and_then(|r| r.pending_ops).map_or_else(|| "?".to_owned(), |n| n.to_string()),
            }
        })
        .collect();
    page(&DevicesPage {
        nav: console.nav(Tab::Devices),
        devices,
        branches: branches
            .iter()
            .filter(|b| b.is_active)
            .map(|b| BranchOption { id: b.id.0.to_string(), name: b.name.clone() })
            .collect(),
        can_edit: c.grants.allows(Permission::ConfigEdit),
        new_code,
    })
}

async fn list(State(central): State<AppState>, console: Console) -> Result<Response, PageError> {
    render(&central, &console, None).await
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    branch_id: String,
}

/// The QR code of an enrollment code, as inline SVG.
pub fn qr_svg(text: &str) -> Result<String, PageError> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| PageError::internal(&e))?;
    Ok(code.render::<qrcode::render::svg::Color>().min_dimensions(180, 180).build())
}

async fn create_code(
    State(central): State<AppState>,
    ConsoleForm { console, form }: ConsoleForm<CodeForm>,
) -> Result<Response, PageError> {
    console.require(&[Permission::ConfigEdit])?;
    let branch_id: Uuid = form.branch_id.trim().parse().map_err(|_| {
        PageError::from(crate::Error::from(nexus_domain::DomainError::Invalid {
            field: "branch_id",
            reason: "elige una sucursal",
        }))
    })?;
    let c = &console.caller;
    let branch = branches::list(&c.db)
        .await?
        .into_iter()
        .find(|b| b.id.0 == branch_id)
        .map(|b| b.name)
        .unwrap_or_default();
    let new = NewEnrollmentCode { branch_id: BranchId(branch_id), ttl_minutes: None };
    let code = devices::create_code(&central, &c.tenant, &c.db, Some(c.account_id), &new).await?;
    let qr_svg = qr_svg(&code.code)?;
    let shown = NewCode { code: code.code, branch, expires_at: when(code.expires_at), qr_svg };
    render(&central, &console, Some(shown)).await
}

async fn revoke(
    State(central): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, form: NoFields {} }: ConsoleForm<NoFields>,
) -> Result<Response, PageError> {
    console.require(&[Permission::ConfigEdit])?;
    let id: Uuid = id.parse().map_err(|_| PageError::not_found())?;
    devices::revoke(&central, console.caller.tenant.id, id, Some(&console.caller)).await?;
    Ok(see_other("/console/devices"))
}
