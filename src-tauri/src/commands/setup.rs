//! The first run.

use nexus_terminal::setup::{SetupSummary, StandaloneSetup};
use tauri::State;

use super::Reply;
use crate::Engine;

#[tauri::command]
pub async fn setup_standalone(engine: State<'_, Engine>, input: StandaloneSetup) -> Reply<SetupSummary> {
    engine.run(move |t| t.setup_standalone(&input)).await
}

#[tauri::command]
pub async fn setup_demo(engine: State<'_, Engine>) -> Reply<SetupSummary> {
    engine.run(move |t| t.setup_demo()).await
}
