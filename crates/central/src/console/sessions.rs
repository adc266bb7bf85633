//! `/console/sessions`: closed cash sessions searched by date, branch,
//! register and cashier, and each one's Z report — printable (the print
//! stylesheet drops the frame) — from `cash_sessions::*` (`CASH.VIEW`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use chrono::NaiveDate;
use nexus_domain::Permission;
use serde::Deserialize;
use uuid::Uuid;

use super::devices::{BranchOption, when};
use super::reports::pesos;
use super::{Console, Nav, PageError, Tab, page};
use crate::cash_sessions::{self, SessionSearch, ZReport};
use crate::http::AppState;
use crate::{Error, branches, employees};

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/sessions", get(search)).route("/console/sessions/{id}", get(z_report))
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub branch: String,
    #[serde(default)]
    pub register: String,
    #[serde(default)]
    pub cashier: String,
    #[serde(default)]
    pub page: String,
}

pub struct SessionRow {
    pub id: String,
    pub closed_at: String,
    pub branch: String,
    pub register: String,
    pub cashier: String,
    pub opening: String,
    pub expected: String,
    pub counted: String,
    pub difference: String,
    pub short: bool,
    pub conflicted: bool,
}

pub struct CashierOption {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "console/sessions.html")]
struct SessionsPage {
    nav: Nav,
    form: SearchForm,
    branches: Vec<BranchOption>,
    cashiers: Vec<CashierOption>,
    sessions: Vec<SessionRow>,
    total: i64,
    page: i64,
    pages: i64,
    prev_link: Option<String>,
    next_link: Option<String>,
    error: Option<String>,
}

fn invalid(field: &'static str, reason: &'static str) -> Error {
    nexus_domain::DomainError::Invalid { field, reason }.into()
}

fn id(field: &'static str, text: &str) -> Result<Option<Uuid>, Error> {
    Some(text.trim())
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().map_err(|_| invalid(field, "no existe")))
        .transpose()
}

fn query(form: &SearchForm) -> Result<SessionSearch, Error> {
    let date = |field: &'static str, text: &str| {
        text.trim().parse::<NaiveDate>().map_err(|_| invalid(field, "no es una fecha AAAA-MM-DD"))
    };
    Ok(SessionSearch {
        from: date("from", &form.from)?,
        to: date("to", &form.to)?,
        branch: id("branch", &form.branch)?,
        register: id("register", &form.register)?,
        cashier: id("cashier", &form.cashier)?,
        page: Some(form.page.trim().parse().unwrap_or(1).max(1)),
        per_page: Some(50),
    })
}

fn link(form: &SearchForm, page: i64) -> String {
    let page = page.to_string();
    format!(
        "/console/sessions?{}",
        serde_urlencoded::to_string([
            ("from", form.from.as_str()),
            ("to", form.to.as_str()),
            ("branch", form.branch.as_str()),
            ("register", form.register.as_str()),
            ("cashier", form.cashier.as_str()),
            ("page", page.as_str()),
        ])
        .unwrap_or_default()
    )
}

async fn search(
    State(central): State<AppState>,
    console: Console,
    Query(mut form): Query<SearchForm>,
) -> Result<Response, PageError> {
    console.require(&[Permission::CashView])?;
    let db = &console.caller.db;
    let today = super::reports::local_today(&central, db).await?;
    if form.to.trim().is_empty() {
        form.to = today.to_string();
    }
    if form.from.trim().is_empty() {
        form.from = (today - chrono::Duration::days(6)).to_string();
    }
    let found = match query(&form) {
        Ok(q) => cash_sessions::search(db, &q).await,
        Err(e) => Err(e),
    };
    let (page_of, error) = match found {
        Ok(p) => (Some(p), None),
        Err(e @ Error::Rule(_)) => (None, Some(PageError::from(e).message().to_owned())),
        Err(e) => return Err(e.into()),
    };
    let (sessions, total, page_no, per_page) = match page_of {
        Some(p) => (
            p.sessions
                .into_iter()
                .map(|s| SessionRow {
                    id: s.id.to_string(),
                    closed_at: when(s.closed_at),
                    branch: s.branch_name,
                    register: s.register_name,
                    cashier: s.cashier_name,
                    opening: pesos(s.opening_cents),
                    expected: pesos(s.expected_cents),
                    counted: pesos(s.counted_cents),
                    short: s.difference_cents.cents() < 0,
                    difference: pesos(s.difference_cents),
                    conflicted: s.conflicted,
                })
                .collect(),
            p.total,
            p.page,
            p.per_page,
        ),
        None => (Vec::new(), 0, 1, 50),
    };
    let pages = ((total + per_page - 1) / per_page).max(1);
    let branches = branches::list(db)
        .await?
        .into_iter()
        .map(|b| BranchOption { id: b.id.0.to_string(), name: b.name })
        .collect();
    let cashiers = employees::list(db, true)
        .await?
        .into_iter()
        .map(|e| CashierOption { id: e.id.0.to_string(), name: e.name })
        .collect();
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let mut response = page(&SessionsPage {
        nav: console.nav(Tab::Sessions),
        prev_link: (page_no > 1).then(|| link(&form, page_no - 1)),
        next_link: (page_no < pages).then(|| link(&form, page_no + 1)),
        form,
        branches,
        cashiers,
        sessions,
        total,
        page: page_no,
        pages,
        error,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

pub struct Line {
    pub label: String,
    pub count: String,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "console/z_report.html")]
struct ZPage {
    nav: Nav,
    z: ZReport,
    closed_at: String,
    opened_at: String,
    opening: String,
    expected: String,
    counted: String,
    difference: String,
    short: bool,
    sales_total: String,
    payments: Vec<Line>,
    returns: Vec<Line>,
    movements: Vec<(String, String, String, String, String)>,
    denominations: Vec<Line>,
    denominations_total: String,
    device: Option<(String, i64, String, String)>,
}

fn method_label(method: &str) -> String {
    match method {
        "efectivo" => "Efectivo".to_owned(),
        "tarjeta" => "Tarjeta".to_owned(),
        "transferencia" => "Transferencia".to_owned(),
        other => other.to_owned(),
    }
}

async fn z_report(console: Console, Path(id): Path<String>) -> Result<Response, PageError> {
    console.require(&[Permission::CashView])?;
    let id: Uuid = id.parse().map_err(|_| PageError::not_found())?;
    let z = cash_sessions::z_report(&console.caller.db, id).await?;
    let s = &z.session;
    page(&ZPage {
        nav: console.nav(Tab::Sessions),
        closed_at: when(s.closed_at),
        opened_at: when(s.opened_at),
        opening: pesos(s.opening_cents),
        expected: pesos(s.expected_cents),
        counted: pesos(s.counted_cents),
        difference: pesos(s.difference_cents),
        short: s.difference_cents.cents() < 0,
        sales_total: pesos(z.sales_total_cents),
        payments: z
            .payments
            .iter()
            .map(|p| Line {
                label: method_label(&p.method),
                count: p.payments.to_string(),
                amount: pesos(p.amount_cents),
            })
            .collect(),
        returns: z
            .returns
            .iter()
            .map(|r| Line {
                label: format!("{} ({})", when(r.sold_at), r.cancelled_by_name.clone().unwrap_or_default()),
                count: r.sale_id.to_string(),
                amount: pesos(r.total_cents),
            })
            .collect(),
        movements: z
            .movements
            .iter()
            .map(|m| {
                let kind = match m.kind.as_str() {
                    "in" => "Entrada",
                    "out" => "Salida",
                    _ => "Gasto",
                };
                (
                    when(m.created_at),
                    kind.to_owned(),
                    pesos(m.amount_cents),
                    m.reason.clone(),
                    m.employee_name.clone().unwrap_or_default(),
                )
            })
            .collect(),
        denominations: z
            .denominations
            .iter()
            .map(|d| Line {
                label: d.label.clone(),
                count: d.pieces.to_string(),
                amount: pesos(d.subtotal_cents),
            })
            .collect(),
        denominations_total: pesos(z.denominations_total_cents),
        device: z
            .device
            .as_ref()
            .map(|d| (d.device_id.to_string(), d.chain_seq, d.chain_head.clone(), when(d.last_synced_at))),
        z,
    })
}
