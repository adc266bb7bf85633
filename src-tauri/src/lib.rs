//! The desktop shell of Nexus POS: a Tauri window over the terminal engine.
//!
//! Thin by design: each command is one line into `nexus_terminal`, grouped
//! per area in `commands`; errors cross to the UI as `{code, message}`. The
//! terminal's data lives in the OS app-data directory (or
//! `NEXUS_TERMINAL_DIR`, or `--data-dir`), its secrets in the OS secret
//! store (under `--keyring-service`, default `nexus-pos`). Only one
//! instance runs: a second launch focuses the first window.
//!
//! An enrolled terminal syncs with central from a background task on the
//! shell's async runtime: woken after every committed action, pulling on
//! an interval, backing off while offline; the counter never waits on it.
#![forbid(unsafe_code)]

pub mod commands;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use nexus_terminal::sync::{Pacing, SyncClient};
use nexus_terminal::{ErrorBody, Options, Terminal};
use tauri::Manager;
use tauri::webview::PageLoadEvent;

/// The engine, or why it could not open (the UI shows the reason).
pub struct Engine(Result<Arc<Terminal>, ErrorBody>);

impl Engine {
    pub fn get(&self) -> Result<&Arc<Terminal>, ErrorBody> {
        self.0.as_ref().map_err(Clone::clone)
    }

    /// Runs one engine call off the async threads ([`commands::blocking`]).
    pub async fn run<T, F>(&self, work: F) -> commands::Reply<T>
    where
        F: FnOnce(&Terminal) -> nexus_terminal::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let terminal = self.get()?.clone();
        commands::blocking(move || work(&terminal).map_err(|e| e.to_body())).await
    }
}

/// The background sync of an enrolled terminal, once started.
#[derive(Default)]
pub struct Syncer(Mutex<Option<Arc<SyncClient>>>);

impl Syncer {
    /// Starts syncing if the terminal is enrolled and it has not started.
    pub fn start(&self, terminal: &Arc<Terminal>) -> Result<(), ErrorBody> {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() {
            return Ok(());
        }
        let Some(client) = SyncClient::new(terminal.clone(), Pacing::default()).map_err(|e| e.to_body())?
        else {
            return Ok(());
        };
        let waker = client.clone();
        terminal.set_commit_listener(Arc::new(move || waker.wake()));
        tauri::async_runtime::spawn(client.clone().run());
        *slot = Some(client);
        Ok(())
    }

    /// Asks for a round now; false when the terminal does not sync.
    pub fn wake(&self) -> bool {
        let slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        slot.as_ref().map(|c| c.wake()).is_some()
    }
}

/// When the process started, for measuring the start-up.
pub struct Started(pub Instant);

/// The value of `--name value` on the command line.
fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == name {
            return args.next();
        }
    }
    None
}

/// `--data-dir`, else `NEXUS_TERMINAL_DIR`, else the OS app-data directory.
fn data_dir(app: &tauri::App) -> Result<PathBuf, ErrorBody> {
    match arg("--data-dir")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("NEXUS_TERMINAL_DIR").map(PathBuf::from))
    {
        Some(dir) => Ok(dir),
        None => app.path().app_data_dir().map_err(|e| ErrorBody {
            code: "data_dir_unavailable".into(),
            message: format!("No se encontró el directorio de datos de la aplicación: {e}"),
            retry_after_secs: None,
        }),
    }
}

pub fn run() {
    let started = Instant::now();
    // A bare webview, for measuring what the platform itself costs to start.
    let probe_blank = std::env::var_os("NEXUS_PROBE_BLANK").is_some();
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .setup(move |app| {
            let keyring_service =
                arg("--keyring-service").unwrap_or_else(|| Options::default().keyring_service);
            let engine = data_dir(app).and_then(|dir| {
                Terminal::open(&dir, Options { keyring_service, ..Options::default() })
                    .map(Arc::new)
                    .map_err(|e| e.to_body())
            });
            let syncer = Syncer::default();
            if let Ok(terminal) = &engine
                && !probe_blank
            {
                // A failure here shows in the status bar; the counter works on.
                let _ = syncer.start(terminal);
            }
            app.manage(Engine(engine));
            app.manage(syncer);
            app.manage(Started(started));
            if probe_blank && let Some(window) = app.get_webview_window("main") {
                window.navigate("about:blank".parse().expect("a valid URL"))?;
            }
            Ok(())
        })
        .on_page_load(move |_, payload| {
            if probe_blank
                && payload.event() == PageLoadEvent::Finished
                && payload.url().as_str() == "about:blank"
            {
                commands::system::report_ready(started);
            }
        })
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!())
        .expect("the desktop shell could not start");
}
