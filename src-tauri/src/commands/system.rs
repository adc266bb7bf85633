//! The store, the terminal and its health.

use std::collections::BTreeMap;
use std::time::Instant;

use nexus_terminal::audit::AuditVerification;
use nexus_terminal::outbox::OutboxStatus;
use nexus_terminal::status::TerminalStatus;
use tauri::State;

use super::Reply;
use crate::{Engine, Started};

#[tauri::command]
pub async fn status(engine: State<'_, Engine>) -> Reply<TerminalStatus> {
    engine.run(move |t| t.status()).await
}

#[tauri::command]
pub async fn theme(engine: State<'_, Engine>) -> Reply<BTreeMap<String, String>> {
    engine.run(move |t| t.theme()).await
}

#[tauri::command]
pub async fn verify_audit(engine: State<'_, Engine>) -> Reply<AuditVerification> {
    engine.run(move |t| t.verify_audit()).await
}

#[tauri::command]
pub async fn outbox_status(engine: State<'_, Engine>) -> Reply<OutboxStatus> {
    engine.run(move |t| t.outbox_status()).await
}

/// The UI calls this once the PIN pad (or the first-run screen) can take
/// keys; the answer is the time since the process started, in milliseconds.
#[tauri::command]
pub fn ui_ready(started: State<'_, Started>) -> u64 {
    report_ready(started.0)
}

/// Prints the start-up time for `NEXUS_READY_EXIT` runs (the start-up
/// benchmark) and, in those runs, ends the process.
pub fn report_ready(started: Instant) -> u64 {
    let ms = started.elapsed().as_millis() as u64;
    if std::env::var_os("NEXUS_READY_EXIT").is_some() {
        println!("ready_ms={ms}");
        std::process::exit(0);
    }
    ms
}
