//! Who is at the counter.

use nexus_domain::employee::PinChange;
use nexus_terminal::access::LoggedIn;
use tauri::State;

use super::Reply;
use crate::Engine;

#[tauri::command]
pub async fn login(engine: State<'_, Engine>, pin: String) -> Reply<LoggedIn> {
    engine.run(move |t| t.login(&pin)).await
}

#[tauri::command]
pub async fn lock(engine: State<'_, Engine>) -> Reply<()> {
    engine.run(move |t| t.lock()).await
}

#[tauri::command]
pub async fn logout(engine: State<'_, Engine>) -> Reply<()> {
    engine.run(move |t| t.logout()).await
}

#[tauri::command]
pub async fn current(engine: State<'_, Engine>) -> Reply<Option<LoggedIn>> {
    engine.run(move |t| t.current()).await
}

#[tauri::command]
pub async fn set_auto_lock(engine: State<'_, Engine>, secs: i64) -> Reply<()> {
    engine.run(move |t| t.set_auto_lock_secs(secs)).await
}

#[tauri::command]
pub async fn set_pin_length(engine: State<'_, Engine>, length: Option<u8>) -> Reply<()> {
    engine.run(move |t| t.set_pin_length(length)).await
}

/// The logged-in employee replaces their own PIN (current PIN, new PIN).
#[tauri::command]
pub async fn change_own_pin(engine: State<'_, Engine>, input: PinChange) -> Reply<()> {
    engine.run(move |t| t.change_own_pin(&input)).await
}
