//! `/v1/board`: headquarters' live board of open cash sessions, as JSON and
//! as a stream of server-sent events.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ClientIp, HqCan, Requirement, ViewCash, bearer_token};
use crate::board::{self, Board};
use crate::hq;
use crate::live::Watch;

/// A comment line this often keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(read)).routes(routes!(events))
}

/// Every open cash session of every branch: cashier, register, sales so far,
/// expected cash, and its device's last known state — offline stores
/// included (`CASH.VIEW`).
#[utoipa::path(get, path = "/v1/board", tag = "board", security(("bearer" = [])),
    responses((status = 200, body = Board), (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody)))]
async fn read(State(central): State<AppState>, HqCan(caller, _): HqCan<ViewCash>) -> ApiResult<Json<Board>> {
    let now = central.clock.now();
    Ok(Json(board::read(&central, caller.tenant.id, &caller.db, now, board::DEFAULT_OFFLINE_AFTER).await?))
}

/// The board as server-sent events: a `board` event carrying the same JSON
/// as `GET /v1/board` at once, again after each change (bursts coalesced)
/// and at least every `board_refresh_secs`; comments keep the stream alive.
/// The stream ends when the HQ session does (`CASH.VIEW`).
#[utoipa::path(get, path = "/v1/board/events", tag = "board", security(("bearer" = [])),
    responses(
        (status = 200, description = "`event: board` with a Board as `data`, repeated", content_type = "text/event-stream", body = String),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or a permission is missing (`forbidden`, with `missing`)", body = ErrorBody)))]
async fn events(
    State(central): State<AppState>,
    HqCan(caller, _): HqCan<ViewCash>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let token = bearer_token(&headers)?.to_owned();
    let watch = central.live.watch(caller.tenant.id).await;
    let watching = Watching { central, token, ip, watch, first: true };
    let stream = futures::stream::unfold(watching, |mut w| async move {
        let event = w.next().await?;
        Some((Ok(event), w))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// One browser watching one tenant's board.
struct Watching {
    central: AppState,
    token: String,
    ip: Option<String>,
    watch: Watch,
    first: bool,
}

impl Watching {
    /// The next board, once it may have changed; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        if !std::mem::take(&mut self.first) {
            self.watch.changed().await;
        }
        // The session may have ended, or lost `CASH.VIEW`, since the stream began.
        let caller = hq::authenticate(&self.central, &self.token, self.ip.clone())
            .await
            .and_then(|c| c.require(ViewCash::PERMISSIONS).map(|()| c))
            .ok()?;
        let now = self.central.clock.now();
        match board::read(&self.central, caller.tenant.id, &caller.db, now, board::DEFAULT_OFFLINE_AFTER)
            .await
        {
            Ok(board) => Event::default().event("board").json_data(&board).ok(),
            Err(e) => {
                tracing::error!(tenant = %caller.tenant.id, error = %e, "the live board could not be read");
                None
            }
        }
    }
}
