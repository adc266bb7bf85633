//! The desktop app under test: `tauri-driver` (with Debian's
//! `WebKitWebDriver`) on a private Xvfb display, one WebDriver session per
//! app instance, each over its own empty data directory.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::webdriver::{Client, Session, WebDriverError};
use crate::{TempDir, free_port, process, which, workspace};

/// Secrets of apps under test go under their own name in the secret store.
pub const KEYRING_SERVICE: &str = "nexus-pos-e2e";

/// `tauri-driver` on a private X display.
pub struct Driver {
    process: Child,
    pub client: Client,
}

impl Driver {
    /// Starts the driver; explains what to install when something is missing.
    pub fn start() -> Result<Driver, String> {
        let missing =
            |what: &str| format!("{what} is missing: run `bash scripts/test.sh`, which installs it");
        let tauri_driver = which("tauri-driver")
            .ok_or_else(|| missing("tauri-driver (cargo install tauri-driver --version 2.1.0)"))?;
        which("WebKitWebDriver")
            .ok_or_else(|| missing("WebKitWebDriver (Debian package webkit2gtk-driver)"))?;
        let xvfb_run =
            which("xvfb-run").ok_or_else(|| missing("xvfb-run (Debian packages xvfb and xauth)"))?;
        let (port, native) = (free_port(), free_port());
        let log = std::fs::File::create(workspace().join("target/e2e-tauri-driver.log"))
            .map_err(|e| e.to_string())?;
        let mut command = Command::new(xvfb_run);
        command
            .args(["-a", "-s", "-screen 0 1280x800x24"])
            .arg(tauri_driver)
            .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        let process = command.spawn().map_err(|e| format!("cannot start tauri-driver: {e}"))?;
        let client = Client::new(&format!("http://127.0.0.1:{port}"));
        let driver = Driver { process, client };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !driver.client.ready() {
            if Instant::now() > deadline {
                return Err(
                    "tauri-driver did not become ready in 30 s (see target/e2e-tauri-driver.log)".into()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(driver)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // xvfb-run and everything it started: Xvfb, tauri-driver, WebKitWebDriver.
        let pids: Vec<String> = process::tree(self.process.id()).iter().rev().map(u32::to_string).collect();
        if !pids.is_empty() {
            let _ = Command::new("kill").arg("-TERM").args(&pids).status();
        }
        let _ = self.process.wait();
    }
}

/// The app binary under test: `NEXUS_APP_BINARY`, or the debug build.
pub fn app_binary() -> Result<PathBuf, String> {
    let path = std::env::var_os("NEXUS_APP_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/debug/nexus-pos"));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{} is not built: cargo build -p nexus-desktop (after building ui/)", path.display()))
    }
}

/// One running instance of the app, over a fresh data directory.
pub struct App {
    pub session: Session,
    pub data_dir: TempDir,
    scenario: String,
    shots: Cell<u32>,
}

impl App {
    pub fn launch(driver: &Driver, scenario: &str) -> Result<App, String> {
        App::launch_binary(driver, scenario, &app_binary()?)
    }

    /// Launches a given build of the app.
    pub fn launch_binary(driver: &Driver, scenario: &str, binary: &Path) -> Result<App, String> {
        let data_dir = TempDir::new(&format!("e2e-{scenario}"));
        let session = Session::start(
            &driver.client,
            json!({
                "tauri:options": {
                    "application": binary,
                    "args": ["--data-dir", data_dir.0, "--keyring-service", KEYRING_SERVICE],
                }
            }),
        )
        .map_err(|e| e.to_string())?;
        Ok(App { session, data_dir, scenario: scenario.to_owned(), shots: Cell::new(0) })
    }

    /// Saves a screenshot as `target/e2e-screenshots/<scenario>-<n>-<name>.png`.
    pub fn screenshot(&self, name: &str) -> Result<PathBuf, WebDriverError> {
        let dir = workspace().join("target/e2e-screenshots");
        std::fs::create_dir_all(&dir).map_err(|e| WebDriverError(e.to_string()))?;
        let n = self.shots.get() + 1;
        self.shots.set(n);
        let path = dir.join(format!("{}-{n:02}-{name}.png", self.scenario));
        std::fs::write(&path, self.session.screenshot()?).map_err(|e| WebDriverError(e.to_string()))?;
        Ok(path)
    }

    /// The app's process, found by its data directory on the command line.
    pub fn pid(&self) -> Option<u32> {
        process::find_with_arg(&self.data_dir.0.to_string_lossy())
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir.0
    }
}
