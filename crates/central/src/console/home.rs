//! `/console`: the first page after login — the tenant at a glance.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use super::{Console, Nav, PageError, Tab, page};
use crate::http::AppState;
use crate::{branches, devices, sync};

pub fn routes() -> Router<AppState> {
    Router::new().route("/console", get(home)).route("/console/", get(home))
}

#[derive(Template)]
#[template(path = "console/home.html")]
struct HomePage {
    nav: Nav,
    branches: usize,
    devices_active: usize,
    devices_revoked: usize,
    approvals_pending: usize,
}

async fn home(State(central): State<AppState>, console: Console) -> Result<Response, PageError> {
    let c = &console.caller;
    let branches = branches::list(&c.db).await?.into_iter().filter(|b| b.is_active).count();
    let devices = devices::list(&central, c.tenant.id).await?;
    let revoked = devices.iter().filter(|d| d.revoked_at.is_some()).count();
    let approvals_pending = if console.nav(Tab::Home).can_approve {
        sync::approvals::list(&c.db).await?.iter().filter(|a| a.status == "pending").count()
    } else {
        0
    };
    page(&HomePage {
        nav: console.nav(Tab::Home),
        branches,
        devices_active: devices.len() - revoked,
        devices_revoked: revoked,
        approvals_pending,
    })
}
