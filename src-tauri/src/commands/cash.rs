//! Cash sessions and the drawer.

use nexus_terminal::cash_session::{CloseSession, HomeContext, OpenSession, SessionView, ZReport};
use nexus_terminal::movements::{Movement, NewMovement};
use tauri::State;
use uuid::Uuid;

use super::Reply;
use crate::Engine;

#[tauri::command]
pub async fn home(engine: State<'_, Engine>) -> Reply<HomeContext> {
    engine.run(move |t| t.home()).await
}

#[tauri::command]
pub async fn open_session(engine: State<'_, Engine>, input: OpenSession) -> Reply<SessionView> {
    engine.run(move |t| t.open_session(&input)).await
}

#[tauri::command]
pub async fn close_session(engine: State<'_, Engine>, input: CloseSession) -> Reply<ZReport> {
    engine.run(move |t| t.close_session(&input)).await
}

#[tauri::command]
pub async fn session_report(engine: State<'_, Engine>, session_id: Uuid) -> Reply<ZReport> {
    engine.run(move |t| t.session_report(session_id)).await
}

#[tauri::command]
pub async fn move_cash(engine: State<'_, Engine>, input: NewMovement) -> Reply<Movement> {
    engine.run(move |t| t.move_cash(&input)).await
}
