//! The first run.

use nexus_terminal::setup::{SetupSummary, StandaloneSetup};
use tauri::State;

use super::{IntoReply, Reply};
use crate::Engine;

#[tauri::command(async)]
pub fn setup_standalone(engine: State<'_, Engine>, input: StandaloneSetup) -> Reply<SetupSummary> {
    engine.get()?.setup_standalone(&input).reply()
}

#[tauri::command(async)]
pub fn setup_demo(engine: State<'_, Engine>) -> Reply<SetupSummary> {
    engine.get()?.setup_demo().reply()
}
