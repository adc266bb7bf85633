//! Who is at the counter.

use nexus_terminal::access::LoggedIn;
use tauri::State;

use super::{IntoReply, Reply};
use crate::Engine;

#[tauri::command(async)]
pub fn login(engine: State<'_, Engine>, pin: String) -> Reply<LoggedIn> {
    engine.get()?.login(&pin).reply()
}

#[tauri::command(async)]
pub fn lock(engine: State<'_, Engine>) -> Reply<()> {
    engine.get()?.lock().reply()
}

#[tauri::command(async)]
pub fn logout(engine: State<'_, Engine>) -> Reply<()> {
    engine.get()?.logout().reply()
}

#[tauri::command(async)]
pub fn current(engine: State<'_, Engine>) -> Reply<Option<LoggedIn>> {
    engine.get()?.current().reply()
}

#[tauri::command(async)]
pub fn set_auto_lock(engine: State<'_, Engine>, secs: i64) -> Reply<()> {
    engine.get()?.set_auto_lock_secs(secs).reply()
}

#[tauri::command(async)]
pub fn set_pin_length(engine: State<'_, Engine>, length: Option<u8>) -> Reply<()> {
    engine.get()?.set_pin_length(length).reply()
}
