//! `/console/approvals`: what a till asked for that raises privileges, held
//! until the owner approves or refuses it (`sync::approvals`, as the JSON API).

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use uuid::Uuid;

use super::devices::when;
use super::{Console, ConsoleForm, Nav, NoFields, PageError, Tab, page, see_other};
use crate::http::AppState;
use crate::sync::approvals;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/approvals", get(list))
        .route("/console/approvals/{id}/{decision}", post(decide))
}

pub struct ApprovalRow {
    pub id: String,
    pub device_id: String,
    pub seq: i64,
    pub created_at: String,
    pub before: String,
    pub after: String,
    pub status: &'static str,
    pub pending: bool,
    pub outcome: String,
}

#[derive(Template)]
#[template(path = "console/approvals.html")]
struct ApprovalsPage {
    nav: Nav,
    approvals: Vec<ApprovalRow>,
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

async fn list(console: Console) -> Result<Response, PageError> {
    console.caller.require_owner()?;
    let approvals = approvals::list(&console.caller.db)
        .await?
        .into_iter()
        .map(|a| ApprovalRow {
            id: a.id.to_string(),
            device_id: a.device_id.to_string(),
            seq: a.seq,
            created_at: when(a.created_at),
            before: a.before.as_ref().map_or_else(|| "(nuevo)".to_owned(), pretty),
            after: pretty(&a.after),
            pending: a.status == "pending",
            status: match a.status.as_str() {
                "pending" => "Pendiente",
                "approved" => "Aprobada",
                _ => "Rechazada",
            },
            outcome: match a.outcome.as_deref() {
                Some("stale") => "no aplicada: llegó un cambio más reciente".to_owned(),
                Some("applied") => "aplicada".to_owned(),
                _ => String::new(),
            },
        })
        .collect();
    page(&ApprovalsPage { nav: console.nav(Tab::Approvals), approvals })
}

async fn decide(
    axum::extract::State(central): axum::extract::State<AppState>,
    Path((id, decision)): Path<(String, String)>,
    ConsoleForm { console, form: NoFields {} }: ConsoleForm<NoFields>,
) -> Result<Response, PageError> {
    let id: Uuid = id.parse().map_err(|_| PageError::not_found())?;
    match decision.as_str() {
        "approve" => approvals::approve(&console.caller, id, central.clock.now()).await?,
        "refuse" => approvals::refuse(&console.caller, id).await?,
        _ => return Err(PageError::not_found()),
    };
    Ok(see_other("/console/approvals"))
}
