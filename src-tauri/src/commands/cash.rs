//! Cash sessions and the drawer.

use nexus_terminal::cash_session::{CloseSession, HomeContext, OpenSession, SessionView, ZReport};
use nexus_terminal::movements::{Movement, NewMovement};
use tauri::State;
use uuid::Uuid;

use super::{IntoReply, Reply};
use crate::Engine;

#[tauri::command(async)]
pub fn home(engine: State<'_, Engine>) -> Reply<HomeContext> {
    engine.get()?.home().reply()
}

#[tauri::command(async)]
pub fn open_session(engine: State<'_, Engine>, input: OpenSession) -> Reply<SessionView> {
    engine.get()?.open_session(&input).reply()
}

#[tauri::command(async)]
pub fn close_session(engine: State<'_, Engine>, input: CloseSession) -> Reply<ZReport> {
    engine.get()?.close_session(&input).reply()
}

#[tauri::command(async)]
pub fn session_report(engine: State<'_, Engine>, session_id: Uuid) -> Reply<ZReport> {
    engine.get()?.session_report(session_id).reply()
}

#[tauri::command(async)]
pub fn move_cash(engine: State<'_, Engine>, input: NewMovement) -> Reply<Movement> {
    engine.get()?.move_cash(&input).reply()
}
