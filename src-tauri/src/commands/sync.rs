//! Enrollment with central and "sincronizar ahora".

use nexus_terminal::status::TerminalStatus;
use nexus_terminal::sync::Enrollment;
use tauri::State;

use super::Reply;
use crate::{Engine, Syncer};

/// Enrolls this blank terminal with a one-time code, takes the first
/// snapshot and starts syncing. If only the snapshot failed, the terminal
/// is enrolled all the same and the background sync fetches it.
#[tauri::command]
pub async fn enroll(
    engine: State<'_, Engine>,
    syncer: State<'_, Syncer>,
    input: Enrollment,
) -> Reply<TerminalStatus> {
    let terminal = engine.get()?.clone();
    let enrolled =
        nexus_terminal::sync::enroll(terminal.clone(), &input.central_url, &input.code, &input.device_name)
            .await;
    if let Err(e) = enrolled
        && !terminal.is_set_up()
    {
        return Err(e.to_body());
    }
    syncer.start(&terminal)?;
    engine.run(|t| t.status()).await
}

/// Asks the background sync for a round now; the status bar shows how it went.
#[tauri::command]
pub async fn sync_now(engine: State<'_, Engine>, syncer: State<'_, Syncer>) -> Reply<TerminalStatus> {
    engine.get()?;
    syncer.wake();
    engine.run(|t| t.status()).await
}
