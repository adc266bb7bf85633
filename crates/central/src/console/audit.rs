//! `/console/audit`: the audit log with filters, and a "verify" per chain
//! (central's and each device's) naming the first broken link — the same
//! `audit::*` functions and `reports.view` permission as `/v1/audit`.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use nexus_domain::Permission;
use serde::Deserialize;

use super::devices::when;
use super::{Console, Nav, PageError, Tab, page};
use crate::audit::{self, AuditFilter, ChainVerdict};
use crate::http::AppState;
use crate::{Central, Error, devices};

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/audit", get(show)).route("/console/audit/verify", get(verify))
}

pub struct EntryRow {
    pub at: String,
    pub chain: String,
    pub seq: i64,
    pub who: String,
    pub action: String,
    pub entity: String,
    pub change: String,
    pub ip: String,
}

pub struct ChainRow {
    pub chain: String,
    pub label: String,
    pub entries: i64,
    pub last_at: String,
}

/// The filter as the form holds it (strings, empty meaning absent).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct FilterForm {
    #[serde(default)]
    pub employee_id: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub entity_type: String,
    #[serde(default)]
    pub entity_id: String,
    #[serde(default)]
    pub chain: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    nav: Nav,
    form: FilterForm,
    entries: Vec<EntryRow>,
    chains: Vec<ChainRow>,
    verdict: Option<ChainVerdict>,
    error: Option<String>,
}

fn some(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

fn invalid(field: &'static str, reason: &'static str) -> Error {
    nexus_domain::DomainError::Invalid { field, reason }.into()
}

fn parse(form: &FilterForm) -> Result<AuditFilter, Error> {
    let date = |field: &'static str, text: &str| {
        some(text)
            .map(|t| t.parse::<chrono::NaiveDate>().map_err(|_| invalid(field, "no es una fecha AAAA-MM-DD")))
            .transpose()
    };
    Ok(AuditFilter {
        employee_id: some(&form.employee_id)
            .map(|t| t.parse().map_err(|_| invalid("employee_id", "no es un identificador")))
            .transpose()?,
        action: some(&form.action),
        entity_type: some(&form.entity_type),
        entity_id: some(&form.entity_id),
        chain: some(&form.chain),
        from: date("from", &form.from)?,
        to: date("to", &form.to)?,
        limit: Some(200),
    })
}

async fn render(
    central: &Central,
    console: &Console,
    form: FilterForm,
    verdict: Option<ChainVerdict>,
) -> Result<Response, PageError> {
    console.require(&[Permission::ReportsView])?;
    let db = &console.caller.db;
    let device_names: Vec<(String, String)> = devices::list(central, console.caller.tenant.id)
        .await?
        .into_iter()
        .map(|d| (d.id.to_string(), d.name))
        .collect();
    let label = |chain: &str| {
        if chain == nexus_domain::audit::CENTRAL_CHAIN {
            "Oficina central".to_owned()
        } else {
            device_names
                .iter()
                .find(|(id, _)| id == chain)
                .map_or_else(|| chain.to_owned(), |(_, n)| n.clone())
        }
    };
    let (entries, error) = match parse(&form) {
        Ok(filter) => match audit::search(db, &filter).await {
            Ok(found) => (found, None),
            Err(e @ Error::Rule(_)) => (Vec::new(), Some(PageError::from(e).message().to_owned())),
            Err(e) => return Err(e.into()),
        },
        Err(e) => (Vec::new(), Some(PageError::from(e).message().to_owned())),
    };
    let entries = entries
        .into_iter()
        .map(|e| EntryRow {
            at: when(e.created_at),
            chain: label(&e.chain),
            seq: e.seq,
            who: e.employee_name.clone().or(e.device_id.clone()).unwrap_or_default(),
            entity: [e.entity_type.clone().unwrap_or_default(), e.entity_id.clone().unwrap_or_default()]
                .join(" ")
                .trim()
                .to_owned(),
            change: match (&e.old_value, &e.new_value) {
                (Some(old), Some(new)) => format!("{old} → {new}"),
                (None, Some(new)) => new.to_string(),
                (Some(old), None) => format!("{old} →"),
                (None, None) => String::new(),
            },
            ip: e.ip_address.unwrap_or_default(),
            action: e.action,
        })
        .collect();
    let chains = audit::chains(db)
        .await?
        .into_iter()
        .map(|c| ChainRow {
            label: label(&c.chain),
            chain: c.chain,
            entries: c.entries,
            last_at: when(c.last_at),
        })
        .collect();
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let mut response =
        page(&AuditPage { nav: console.nav(Tab::Audit), form, entries, chains, verdict, error })?;
    *response.status_mut() = status;
    Ok(response)
}

async fn show(
    State(central): State<AppState>,
    console: Console,
    Query(form): Query<FilterForm>,
) -> Result<Response, PageError> {
    render(&central, &console, form, None).await
}

#[derive(Deserialize)]
struct VerifyQuery {
    #[serde(default)]
    chain: String,
}

async fn verify(
    State(central): State<AppState>,
    console: Console,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, PageError> {
    console.require(&[Permission::ReportsView])?;
    let verdict = audit::verify(&console.caller.db, q.chain.trim()).await?;
    render(&central, &console, FilterForm::default(), Some(verdict)).await
}
