//! `/console/registers`: cash registers and who may use them, managed from
//! the browser with `registers::*` — the JSON API's functions and the rules
//! and messages the terminal's admin screen shares (`nexus_domain::register`).
//! Changes reach the tills through the change feed.

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use nexus_domain::register::{NewAssignment, NewRegister, RegisterChanges};
use nexus_domain::{BranchId, DomainError, EmployeeId, Permission};
use serde::Deserialize;
use uuid::Uuid;

use super::devices::BranchOption;
use super::sessions::CashierOption;
use super::{Console, ConsoleForm, Nav, NoFields, PageError, Tab, page, see_other};
use crate::http::AppState;
use crate::registers::{self, AssignmentFilter, RegisterFilter};
use crate::{Error, branches, employees};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/registers", get(list).post(create))
        .route("/console/registers/{id}/{action}", post(set_register_active))
        .route("/console/registers/assignments", post(assign))
        .route("/console/registers/assignments/{id}/{action}", post(set_assignment_active))
}

pub struct RegisterRow {
    pub id: String,
    pub branch: String,
    pub name: String,
    pub number: i64,
    pub is_active: bool,
    pub in_use: bool,
}

pub struct AssignmentRow {
    pub id: String,
    pub cashier: String,
    pub register: String,
    pub branch: String,
    pub is_active: bool,
    pub note: String,
}

#[derive(Template)]
#[template(path = "console/registers.html")]
struct RegistersPage {
    nav: Nav,
    registers: Vec<RegisterRow>,
    assignments: Vec<AssignmentRow>,
    branches: Vec<BranchOption>,
    employees: Vec<CashierOption>,
    can_manage: bool,
    can_assign: bool,
    error: Option<String>,
}

async fn render(console: &Console, error: Option<String>) -> Result<Response, PageError> {
    console.require(&[Permission::CashView])?;
    let db = &console.caller.db;
    let registers = registers::list(db, &RegisterFilter::default())
        .await?
        .into_iter()
        .map(|r| RegisterRow {
            id: r.id.to_string(),
            branch: r.branch_name,
            name: r.name,
            number: r.register_number,
            is_active: r.is_active,
            in_use: r.open_session_id.is_some(),
        })
        .collect();
    let assignments = registers::assignments(db, &AssignmentFilter::default())
        .await?
        .into_iter()
        .map(|a| AssignmentRow {
            id: a.id.to_string(),
            cashier: a.user_name,
            register: a.cash_register_name,
            branch: a.location_name,
            is_active: a.is_active,
            note: a.note.unwrap_or_default(),
        })
        .collect();
    let branches = branches::list(db)
        .await?
        .into_iter()
        .filter(|b| b.is_active)
        .map(|b| BranchOption { id: b.id.0.to_string(), name: b.name })
        .collect();
    let employees = employees::list(db, false)
        .await?
        .into_iter()
        .map(|e| CashierOption { id: e.id.0.to_string(), name: e.name })
        .collect();
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let grants = &console.caller.grants;
    let mut response = page(&RegistersPage {
        nav: console.nav(Tab::Registers),
        registers,
        assignments,
        branches,
        employees,
        can_manage: grants.allows(Permission::CashRegisterManage),
        can_assign: grants.allows(Permission::CashAssign),
        error,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

async fn list(console: Console) -> Result<Response, PageError> {
    render(&console, None).await
}

/// A broken rule is said on the page; anything else is an error page.
async fn outcome<T>(console: &Console, result: Result<T, Error>) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(see_other("/console/registers")),
        Err(e @ (Error::Rule(_) | Error::Conflict { .. })) => {
            let e = PageError::from(e);
            // Another tenant's or an unknown register is not found, not a form mistake.
            if e.status() == axum::http::StatusCode::NOT_FOUND {
                return Err(e);
            }
            render(console, Some(e.message().to_owned())).await
        }
        Err(e) => Err(e.into()),
    }
}

fn uuid(field: &'static str, text: &str) -> Result<Uuid, Error> {
    text.trim().parse().map_err(|_| DomainError::Invalid { field, reason: "no existe" }.into())
}

#[derive(Deserialize)]
struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    register_number: String,
    #[serde(default)]
    branch_id: String,
}

async fn create(ConsoleForm { console, form }: ConsoleForm<RegisterForm>) -> Result<Response, PageError> {
    console.require(&[Permission::CashRegisterManage])?;
    let made = async {
        let new = NewRegister {
            name: form.name.clone(),
            register_number: form.register_number.trim().parse().map_err(|_| -> Error {
                DomainError::Invalid { field: "register_number", reason: "debe ser un número de 1 a 999" }
                    .into()
            })?,
            branch_id: Some(BranchId(uuid("branch_id", &form.branch_id)?)),
        };
        registers::create(&console.caller, &new).await
    }
    .await;
    outcome(&console, made).await
}

async fn set_register_active(
    Path((id, action)): Path<(String, String)>,
    ConsoleForm { console, form: NoFields {} }: ConsoleForm<NoFields>,
) -> Result<Response, PageError> {
    console.require(&[Permission::CashRegisterManage])?;
    let id: Uuid = id.parse().map_err(|_| PageError::not_found())?;
    let active = match action.as_str() {
        "activate" => true,
        "deactivate" => false,
        _ => return Err(PageError::not_found()),
    };
    let changes = RegisterChanges { is_active: Some(active), ..RegisterChanges::default() };
    let changed = registers::update(&console.caller, id, &changes).await;
    if let Err(e @ Error::NotFound { .. }) = changed {
        return Err(e.into());
    }
    outcome(&console, changed).await
}

#[derive(Deserialize)]
struct AssignForm {
    #[serde(default)]
    cash_register_id: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    note: String,
}

async fn assign(ConsoleForm { console, form }: ConsoleForm<AssignForm>) -> Result<Response, PageError> {
    console.require(&[Permission::CashAssign])?;
    let made = async {
        let new = NewAssignment {
            cash_register_id: uuid("cash_register_id", &form.cash_register_id)?,
            user_id: EmployeeId(uuid("user_id", &form.user_id)?),
            note: Some(form.note.trim().to_owned()).filter(|n| !n.is_empty()),
        };
        registers::assign(&console.caller, &new).await
    }
    .await;
    match made {
        Ok(_) => Ok(see_other("/console/registers")),
        // A register or an employee the form named and cannot be used: said on the page.
        Err(e @ (Error::Rule(_) | Error::Conflict { .. } | Error::NotFound { .. })) => {
            let message = PageError::from(e).message().to_owned();
            render(&console, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_assignment_active(
    Path((id, action)): Path<(String, String)>,
    ConsoleForm { console, form: NoFields {} }: ConsoleForm<NoFields>,
) -> Result<Response, PageError> {
    console.require(&[Permission::CashAssign])?;
    let id: Uuid = id.parse().map_err(|_| PageError::not_found())?;
    let active = match action.as_str() {
        "activate" => true,
        "deactivate" => false,
        _ => return Err(PageError::not_found()),
    };
    let changed = registers::set_assignment_active(&console.caller, id, active).await;
    if let Err(e @ Error::NotFound { .. }) = changed {
        return Err(e.into());
    }
    outcome(&console, changed).await
}
