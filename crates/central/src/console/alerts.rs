//! `/console/alerts`: what needs attention — listed, acknowledged with a
//! note, and the tenant's thresholds — through `alerts::*`, as `/v1/alerts`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use nexus_domain::{DomainError, Money, Permission};
use serde::Deserialize;
use uuid::Uuid;

use super::devices::when;
use super::{Console, ConsoleForm, Nav, PageError, Tab, page, see_other};
use crate::alerts::{self, AckRequest, AlertSettings};
use crate::hq::HqRole;
use crate::http::AppState;
use crate::{Central, Error};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/alerts", get(list))
        .route("/console/alerts/settings", post(save_settings))
        .route("/console/alerts/{id}/ack", post(ack))
}

pub struct AlertRow {
    pub id: String,
    pub kind: &'static str,
    pub summary: String,
    pub raised_at: String,
    pub occurrences: i32,
    pub detail: String,
    pub open: bool,
    pub ack: String,
}

pub struct SettingsForm {
    pub session_open_hours: i32,
    pub close_difference: String,
    pub device_silent_minutes: i32,
    pub outbox_max_age_hours: i32,
}

#[derive(Template)]
#[template(path = "console/alerts.html")]
struct AlertsPage {
    nav: Nav,
    alerts: Vec<AlertRow>,
    all: bool,
    can_ack: bool,
    can_edit: bool,
    settings: SettingsForm,
    error: Option<String>,
}

pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "session_open_too_long" => "Turno abierto demasiado tiempo",
        "close_difference" => "Diferencia al cerrar",
        "device_silent" => "Caja sin comunicarse",
        "outbox_stale" => "Operaciones atrasadas",
        "sync_conflict" => "Conflicto de sincronización",
        "audit_chain_broken" => "Cadena de auditoría rota",
        "pin_lockout" => "PIN bloqueado en tienda",
        "revoked_device" => "Caja revocada intentando",
        _ => "Alerta",
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    all: Option<String>,
}

async fn render(
    central: &Central,
    console: &Console,
    all: bool,
    error: Option<String>,
) -> Result<Response, PageError> {
    let c = &console.caller;
    let rows = alerts::list(central, c, all)
        .await?
        .into_iter()
        .map(|a| AlertRow {
            id: a.id.to_string(),
            kind: kind_label(&a.kind),
            summary: a.summary,
            raised_at: when(a.raised_at),
            occurrences: a.occurrences,
            detail: serde_json::to_string_pretty(&a.detail).unwrap_or_default(),
            open: a.acknowledged_at.is_none(),
            ack: match (a.acknowledged_at, a.ack_note) {
                (Some(at), Some(note)) => format!("{}: {note}", when(at)),
                _ => String::new(),
            },
        })
        .collect();
    let s = alerts::current_settings(c).await?;
    let settings = SettingsForm {
        session_open_hours: s.session_open_hours,
        close_difference: Money::from_cents(s.close_difference_threshold_cents).to_decimal_string(),
        device_silent_minutes: s.device_silent_minutes,
        outbox_max_age_hours: s.outbox_max_age_hours,
    };
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let mut response = page(&AlertsPage {
        nav: console.nav(Tab::Alerts),
        alerts: rows,
        all,
        can_ack: matches!(c.role, HqRole::Owner | HqRole::Admin),
        can_edit: c.grants.allows(Permission::ConfigEdit),
        settings,
        error,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

async fn list(
    State(central): State<AppState>,
    console: Console,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    render(&central, &console, q.all.is_some(), None).await
}

#[derive(Deserialize)]
struct AckForm {
    #[serde(default)]
    note: String,
}

fn shown(e: Error) -> Result<String, PageError> {
    match e {
        Error::Rule(_) | Error::Conflict { .. } => Ok(PageError::from(e).message().to_owned()),
        other => Err(other.into()),
    }
}

async fn ack(
    State(central): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, form }: ConsoleForm<AckForm>,
) -> Result<Response, PageError> {
    let id: Uuid = id.parse().map_err(|_| PageError::not_found())?;
    match alerts::acknowledge(&central, &console.caller, id, &AckRequest { note: form.note }).await {
        Ok(_) => Ok(see_other("/console/alerts")),
        Err(e) => render(&central, &console, false, Some(shown(e)?)).await,
    }
}

#[derive(Deserialize)]
struct SettingsFields {
    #[serde(default)]
    session_open_hours: String,
    #[serde(default)]
    close_difference: String,
    #[serde(default)]
    device_silent_minutes: String,
    #[serde(default)]
    outbox_max_age_hours: String,
}

fn whole(field: &'static str, text: &str) -> Result<i32, Error> {
    text.trim()
        .parse()
        .map_err(|_| DomainError::Invalid { field, reason: "debe ser un número entero" }.into())
}

async fn save_settings(
    State(central): State<AppState>,
    ConsoleForm { console, form }: ConsoleForm<SettingsFields>,
) -> Result<Response, PageError> {
    console.require(&[Permission::ConfigEdit])?;
    let parsed = (|| -> Result<AlertSettings, Error> {
        Ok(AlertSettings {
            session_open_hours: whole("session_open_hours", &form.session_open_hours)?,
            close_difference_threshold_cents: Money::parse_amount(&form.close_difference)
                .map_err(|_| DomainError::Invalid {
                    field: "close_difference",
                    reason: "debe ser una cantidad como 100 o 100.50",
                })?
                .cents(),
            device_silent_minutes: whole("device_silent_minutes", &form.device_silent_minutes)?,
            outbox_max_age_hours: whole("outbox_max_age_hours", &form.outbox_max_age_hours)?,
        })
    })();
    let saved = match parsed {
        Ok(new) => alerts::update_settings(&console.caller, &new).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(see_other("/console/alerts")),
        Err(e) => render(&central, &console, false, Some(shown(e)?)).await,
    }
}
