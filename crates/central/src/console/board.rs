//! `/console` (the first page): the live board — every open cash session of
//! every branch, offline stores included — refreshed by server-sent events
//! (`/console/board/events`) within moments of a till's push, whichever
//! central instance took it (`live::Hub`). The figures are `board::read`'s,
//! as `GET /v1/board`; the owner asks a remote close from here
//! (`remote_close::request`, as `POST /v1/sessions/{id}/remote-close`).

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use nexus_domain::Permission;
use serde::Deserialize;
use uuid::Uuid;

use super::devices::when;
use super::reports::pesos;
use super::session::{SESSION_COOKIE, cookie_value};
use super::{Console, ConsoleForm, Nav, PageError, Tab, page, see_other};
use crate::board::{self, Board};
use crate::hq::{self, HqRole};
use crate::http::AppState;
use crate::live::Watch;
use crate::remote_close::{self, RemoteCloseRequest};
use crate::{Central, Error, branches, devices, sync};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(home))
        .route("/console/", get(home))
        .route("/console/board/events", get(events))
        .route("/console/sessions/{id}/remote-close", post(remote_close))
}

pub struct Row {
    pub session_id: String,
    pub branch: String,
    pub register: String,
    pub cashier: String,
    pub opened_at: String,
    pub open_for: String,
    pub sales_count: i64,
    pub sales_total: String,
    pub expected: String,
    pub device: String,
    pub heard: String,
    pub pending: String,
    pub offline: bool,
    pub conflicted: bool,
}

/// The part of the page the events replace.
#[derive(Template)]
#[template(path = "console/board_fragment.html")]
pub struct BoardFragment {
    pub rows: Vec<Row>,
    pub generated_at: String,
    pub offline_count: usize,
    pub can_close: bool,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "console/home.html")]
struct HomePage {
    nav: Nav,
    board: Option<BoardFragment>,
    branches: usize,
    devices_active: usize,
    devices_revoked: usize,
    approvals_pending: usize,
    error: Option<String>,
}

fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    match (secs / 3600, (secs % 3600) / 60) {
        (0, m) => format!("{m} min"),
        (h, m) => format!("{h} h {m:02} min"),
    }
}

pub fn fragment(board: &Board, can_close: bool, csrf: &str) -> BoardFragment {
    let rows: Vec<Row> = board
        .sessions
        .iter()
        .map(|s| Row {
            session_id: s.session_id.to_string(),
            branch: s.branch_name.clone(),
            register: s.register_name.clone(),
            cashier: s.cashier_name.clone(),
            opened_at: when(s.opened_at),
            open_for: duration(s.open_secs),
            sales_count: s.sales_count,
            sales_total: pesos(nexus_domain::Money::from_cents(s.sales_total_cents)),
            expected: pesos(nexus_domain::Money::from_cents(s.expected_cash_cents)),
            device: s
                .device
                .as_ref()
                .map(|d| d.name.clone().unwrap_or_else(|| d.id.to_string()))
                .unwrap_or_default(),
            heard: s
                .device
                .as_ref()
                .and_then(|d| d.heard_secs_ago)
                .map_or_else(|| "nunca".to_owned(), |secs| format!("hace {}", duration(secs))),
            pending: s
                .device
                .as_ref()
                .and_then(|d| d.pending_ops)
                .map_or_else(|| "?".to_owned(), |n| n.to_string()),
            offline: s.offline,
            conflicted: s.conflicted,
        })
        .collect();
    BoardFragment {
        offline_count: rows.iter().filter(|r| r.offline).count(),
        rows,
        generated_at: when(board.generated_at),
        can_close,
        csrf: csrf.to_owned(),
    }
}

async fn read(central: &Central, console: &Console) -> Result<Board, Error> {
    let c = &console.caller;
    board::read(central, c.tenant.id, &c.db, central.clock.now(), board::DEFAULT_OFFLINE_AFTER).await
}

async fn render(central: &Central, console: &Console, error: Option<String>) -> Result<Response, PageError> {
    let c = &console.caller;
    let board = if c.grants.allows(Permission::CashView) {
        Some(fragment(&read(central, console).await?, c.role == HqRole::Owner, &console.csrf))
    } else {
        None
    };
    let branches = branches::list(&c.db).await?.into_iter().filter(|b| b.is_active).count();
    let devices = devices::list(central, c.tenant.id).await?;
    let revoked = devices.iter().filter(|d| d.revoked_at.is_some()).count();
    let approvals_pending = if c.role == HqRole::Owner {
        sync::approvals::list(&c.db).await?.iter().filter(|a| a.status == "pending").count()
    } else {
        0
    };
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let mut response = page(&HomePage {
        nav: console.nav(Tab::Home),
        board,
        branches,
        devices_active: devices.len() - revoked,
        devices_revoked: revoked,
        approvals_pending,
        error,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

async fn home(State(central): State<AppState>, console: Console) -> Result<Response, PageError> {
    render(&central, &console, None).await
}

/// A comment line this often keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The board's fragment as server-sent `update` events: at once, after
/// every change of the tenant's board, and at least every
/// `board_refresh_secs`; the stream ends with the session.
async fn events(
    State(central): State<AppState>,
    console: Console,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    console.require(&[Permission::CashView])?;
    let token = cookie_value(&headers, SESSION_COOKIE).unwrap_or_default();
    let watch = central.live.watch(console.caller.tenant.id).await;
    let state = Watching {
        central,
        token,
        ip: console.caller.ip_address.clone(),
        csrf: console.csrf,
        watch,
        first: true,
    };
    let stream = futures::stream::unfold(state, |mut w| async move {
        let event = w.next().await?;
        Some((Ok::<_, Infallible>(event), w))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response())
}

struct Watching {
    central: AppState,
    token: String,
    ip: Option<String>,
    csrf: String,
    watch: Watch,
    first: bool,
}

impl Watching {
    async fn next(&mut self) -> Option<Event> {
        if !std::mem::take(&mut self.first) {
            self.watch.changed().await;
        }
        // The session may have ended, or lost `CASH.VIEW`, since the stream began.
        let caller = hq::authenticate(&self.central, &self.token, self.ip.clone())
            .await
            .ok()
            .filter(|c| c.grants.allows(Permission::CashView) && !c.needs_totp)?;
        let now = self.central.clock.now();
        let board = match board::read(
            &self.central,
            caller.tenant.id,
            &caller.db,
            now,
            board::DEFAULT_OFFLINE_AFTER,
        )
        .await
        {
            Ok(board) => board,
            Err(e) => {
                tracing::error!(tenant = %caller.tenant.id, error = %e, "the live board could not be read");
                return None;
            }
        };
        let html =
            askama::Template::render(&fragment(&board, caller.role == HqRole::Owner, &self.csrf)).ok()?;
        // An event's data may not hold raw line breaks.
        Some(Event::default().event("update").data(html.replace(['\n', '\r'], " ")))
    }
}

#[derive(Deserialize)]
struct CloseForm {
    #[serde(default)]
    reason: String,
}

async fn remote_close(
    State(central): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { console, form }: ConsoleForm<CloseForm>,
) -> Result<Response, PageError> {
    let id: Uuid = id.parse().map_err(|_| PageError::not_found())?;
    match remote_close::request(&console.caller, id, &RemoteCloseRequest { reason: form.reason }).await {
        Ok(_) => {
            central.live.notify(console.caller.tenant.id).await;
            Ok(see_other("/console"))
        }
        Err(e @ (Error::Rule(_) | Error::Conflict { .. })) => {
            let message = PageError::from(e).message().to_owned();
            render(&central, &console, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}
