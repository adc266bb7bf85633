//! `/console/staff`: employees managed from the browser with the rules and
//! messages of `employees::*` (the JSON API's), PINs made by the system and
//! shown once.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use nexus_domain::{BranchId, DomainError, Percent, Permission, Role};
use serde::Deserialize;
use uuid::Uuid;

use super::devices::BranchOption;
use super::{Console, ConsoleForm, Nav, NoFields, PageError, Tab, page};
use crate::employees::{self, EmployeeChanges, NewEmployee};
use crate::http::AppState;
use crate::{Central, Error, branches};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/staff", get(list).post(create))
        .route("/console/staff/{id}", get(edit).post(update))
        .route("/console/staff/{id}/deactivate", post(deactivate))
        .route("/console/staff/{id}/reset-pin", post(reset_pin))
}

pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Owner => "Dueño",
        Role::Admin => "Administrador",
        Role::Cashier => "Cajero",
        Role::Warehouse => "Almacén",
        Role::Accountant => "Contador",
    }
}

pub struct RoleOption {
    pub code: &'static str,
    pub label: &'static str,
}

fn role_options() -> Vec<RoleOption> {
    [Role::Cashier, Role::Warehouse, Role::Accountant, Role::Admin]
        .into_iter()
        .map(|r| RoleOption { code: r.code(), label: role_label(r) })
        .collect()
}

pub struct EmployeeRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub role: &'static str,
    pub role_code: &'static str,
    pub branch: String,
    pub branch_id: String,
    pub max_discount: String,
    pub is_active: bool,
    pub is_owner: bool,
}

/// A PIN just made, shown this once.
pub struct ShownPin {
    pub name: String,
    pub pin: String,
}

#[derive(Template)]
#[template(path = "console/staff.html")]
struct StaffPage {
    nav: Nav,
    employees: Vec<EmployeeRow>,
    branches: Vec<BranchOption>,
    roles: Vec<RoleOption>,
    can_manage: bool,
    error: Option<String>,
    shown_pin: Option<ShownPin>,
}

#[derive(Template)]
#[template(path = "console/staff_edit.html")]
struct EditPage {
    nav: Nav,
    employee: EmployeeRow,
    branches: Vec<BranchOption>,
    roles: Vec<RoleOption>,
    error: Option<String>,
}

async fn rows(console: &Console) -> Result<(Vec<EmployeeRow>, Vec<BranchOption>), PageError> {
    let db = &console.caller.db;
    let branches = branches::list(db).await?;
    let name_of = |id: Option<BranchId>| match id {
        None => "Todas".to_owned(),
        Some(id) => branches.iter().find(|b| b.id == id).map_or_else(|| id.0.to_string(), |b| b.name.clone()),
    };
    let employees = employees::list(db, true)
        .await?
        .into_iter()
        .map(|e| EmployeeRow {
            id: e.id.0.to_string(),
            email: e.email.clone().unwrap_or_default(),
            phone: e.phone.clone().unwrap_or_default(),
            role: role_label(e.role),
            role_code: e.role.code(),
            branch: name_of(e.branch_id),
            branch_id: e.branch_id.map(|b| b.0.to_string()).unwrap_or_default(),
            max_discount: e.max_discount_bp.to_decimal_string(),
            is_active: e.is_active,
            is_owner: e.role == Role::Owner,
            name: e.name,
        })
        .collect();
    let options = branches
        .iter()
        .filter(|b| b.is_active)
        .map(|b| BranchOption { id: b.id.0.to_string(), name: b.name.clone() })
        .collect();
    Ok((employees, options))
}

async fn render(
    console: &Console,
    error: Option<String>,
    shown_pin: Option<ShownPin>,
) -> Result<Response, PageError> {
    console.require(&[Permission::ConfigView])?;
    let (employees, branches) = rows(console).await?;
    let mut response = page(&StaffPage {
        nav: console.nav(Tab::Staff),
        employees,
        branches,
        roles: role_options(),
        can_manage: console.caller.grants.allows(Permission::SecurityUsersManage),
        error: error.clone(),
        shown_pin,
    })?;
    if error.is_some() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

async fn list(console: Console) -> Result<Response, PageError> {
    render(&console, None, None).await
}

/// A form field as HTML sends it: empty means absent.
fn optional(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn branch(text: &str) -> Result<Option<BranchId>, Error> {
    optional(text)
        .map(|t| {
            t.parse::<Uuid>().map(BranchId).map_err(|_| {
                DomainError::Invalid { field: "branch_id", reason: "la sucursal no existe" }.into()
            })
        })
        .transpose()
}

/// "12.5" (percent, as people write it) → hundredths.
fn discount(text: &str) -> Result<Option<u16>, Error> {
    optional(text)
        .map(|t| {
            Percent::parse(t.trim_end_matches('%').trim()).map(u16::from).map_err(|_| {
                DomainError::Invalid {
                    field: "max_discount",
                    reason: "debe ser un porcentaje entre 0 y 100 con a lo más dos decimales",
                }
                .into()
            })
        })
        .transpose()
}

#[derive(Deserialize)]
struct EmployeeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    branch_id: String,
    #[serde(default)]
    max_discount: String,
}

/// A rule broken by a form is shown on the page it came from; anything
/// else is an error page.
fn shown(e: Error) -> Result<String, PageError> {
    match e {
        Error::Rule(_) | Error::Conflict { .. } => Ok(PageError::from(e).message().to_owned()),
        other => Err(other.into()),
    }
}

async fn create(
    State(central): State<AppState>,
    ConsoleForm { console, form }: ConsoleForm<EmployeeForm>,
) -> Result<Response, PageError> {
    console.require(&[Permission::SecurityUsersManage])?;
    let created = async {
        let new = NewEmployee {
            name: form.name.clone(),
            email: optional(&form.email),
            phone: optional(&form.phone),
            role: form.role.clone(),
            branch_id: branch(&form.branch_id)?,
            max_discount_bp: discount(&form.max_discount)?,
            permissions: None,
        };
        employees::create(&central, &console.caller, &new).await
    }
    .await;
    match created {
        Ok(c) => {
            let shown_pin = ShownPin { name: c.employee.name.clone(), pin: c.pin.expose().to_owned() };
            render(&console, None, Some(shown_pin)).await
        }
        Err(e) => render(&console, Some(shown(e)?), None).await,
    }
}

async fn find(console: &Console, id: &str) -> Result<(EmployeeRow, Vec<BranchOption>), PageError> {
    let (employees, branches) = rows(console).await?;
    let employee = employees.into_iter().find(|e| e.id == id).ok_or_else(PageError::not_found)?;
    Ok((employee, branches))
}

async fn render_edit(console: &Console, id: &str, error: Option<String>) -> Result<Response, PageError> {
    console.require(&[Permission::SecurityUsersManage])?;
    let (employee, branches) = find(console, id).await?;
    let mut response = page(&EditPage {
        nav: console.nav(Tab::Staff),
        employee,
        branches,
        roles: role_options(),
        error: error.clone(),
    })?;
    if error.is_some() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

async fn edit(console: Console, Path(id): Path<String>) -> Result<Response, PageError> {
    render_edit(&console, &id, None).await
}

async fn update(
    Path(id): Path<String>,
    ConsoleForm { console, form }: ConsoleForm<EmployeeForm>,
) -> Result<Response, PageError> {
    console.require(&[Permission::SecurityUsersManage])?;
    let uuid: Uuid = id.parse().map_err(|_| PageError::not_found())?;
    let updated = async {
        let changes = EmployeeChanges {
            name: Some(form.name.clone()),
            email: Some(form.email.trim().to_owned()),
            phone: Some(form.phone.trim().to_owned()),
            role: optional(&form.role),
            branch_id: branch(&form.branch_id)?,
            max_discount_bp: discount(&form.max_discount)?,
            ..EmployeeChanges::default()
        };
        employees::update(&console.caller, uuid, &changes).await
    }
    .await;
    match updated {
        Ok(_) => Ok(super::see_other("/console/staff")),
        Err(e @ Error::NotFound { .. }) => Err(e.into()),
        Err(e) => render_edit(&console, &id, Some(shown(e)?)).await,
    }
}

async fn deactivate(
    Path(id): Path<String>,
    ConsoleForm { console, form: NoFields {} }: ConsoleForm<NoFields>,
) -> Result<Response, PageError> {
    console.require(&[Permission::SecurityUsersManage])?;
    let id: Uuid = id.parse().map_err(|_| PageError::not_found())?;
    match employees::deactivate(&console.caller, id).await {
        Ok(_) => Ok(super::see_other("/console/staff")),
        Err(e @ Error::NotFound { .. }) => Err(e.into()),
        Err(e) => render(&console, Some(shown(e)?), None).await,
    }
}

async fn reset_pin(
    State(central): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, form: NoFields {} }: ConsoleForm<NoFields>,
) -> Result<Response, PageError> {
    console.require(&[Permission::SecurityUsersManage])?;
    let uuid: Uuid = id.parse().map_err(|_| PageError::not_found())?;
    reset(&central, &console, uuid).await
}

async fn reset(central: &Central, console: &Console, id: Uuid) -> Result<Response, PageError> {
    match employees::reset_pin(central, &console.caller, id).await {
        Ok(issued) => {
            let name = employees::get(&console.caller.db, id).await?.name;
            render(console, None, Some(ShownPin { name, pin: issued.pin.expose().to_owned() })).await
        }
        Err(e @ Error::NotFound { .. }) => Err(e.into()),
        Err(e) => render(console, Some(shown(e)?), None).await,
    }
}
