//! Debian's Chromium, headless, driven over WebDriver through
//! `chromedriver`: the browser the headquarters console is tested in.
//!
//! One `chromedriver` per test on a free loopback port, stopped with it;
//! every browser it opens gets a profile directory of its own, so two
//! browsers of one test share no cookies. Helpers panic with what they
//! waited for, pointing at the test's line; waits are generous and only
//! guard against a hang, never measure anything.

use std::cell::Cell;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::webdriver::{Client, Element, Session};
use crate::{TempDir, free_port, process, workspace};

/// The longest anything is waited for: only a guard against a broken build.
pub const WAIT: Duration = Duration::from_secs(30);

/// Debian's Chromium (package `chromium`), or `NEXUS_CHROMIUM`.
pub fn chromium_binary() -> PathBuf {
    std::env::var_os("NEXUS_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Debian's ChromeDriver (package `chromium-driver`), or `NEXUS_CHROMEDRIVER`.
pub fn chromedriver_binary() -> PathBuf {
    std::env::var_os("NEXUS_CHROMEDRIVER")
        .map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from)
}

/// A running `chromedriver`.
pub struct Chromedriver {
    process: Child,
    pub client: Client,
}

impl Chromedriver {
    /// Starts the driver; explains what to install when something is missing.
    pub fn start() -> Result<Chromedriver, String> {
        for (path, package) in [(chromium_binary(), "chromium"), (chromedriver_binary(), "chromium-driver")] {
            if !path.is_file() {
                return Err(format!(
                    "{} is missing: run `bash scripts/test.sh`, which installs Debian's {package}",
                    path.display()
                ));
            }
        }
        let port = free_port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(workspace().join("target/e2e-chromedriver.log"))
            .map_err(|e| e.to_string())?;
        let process = Command::new(chromedriver_binary())
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start chromedriver: {e}"))?;
        let driver = Chromedriver { process, client: Client::new(&format!("http://127.0.0.1:{port}")) };
        let deadline = Instant::now() + WAIT;
        while !driver.client.ready() {
            if Instant::now() > deadline {
                return Err(format!(
                    "chromedriver did not become ready in {WAIT:?} (see target/e2e-chromedriver.log)"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(driver)
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The driver and any browser it still runs.
        let pids: Vec<String> = process::tree(self.process.id()).iter().rev().map(u32::to_string).collect();
        if !pids.is_empty() {
            let _ = Command::new("kill").arg("-TERM").args(&pids).status();
        }
        let _ = self.process.wait();
    }
}

/// One headless Chromium window on a site: a fresh profile (no cookies), its
/// screenshots under `target/e2e-screenshots/<folder>/<scenario>-<n>-<name>.png`.
pub struct Browser {
    pub session: Session,
    base: String,
    folder: String,
    scenario: String,
    shots: Cell<u32>,
    // Removed after the session (fields drop in order).
    _profile: TempDir,
}

impl Browser {
    /// Opens a new browser on the site at `base` (`http://127.0.0.1:<port>`).
    pub fn open(driver: &Chromedriver, base: &str, folder: &str, scenario: &str) -> Browser {
        let profile = TempDir::new("chromium-profile");
        let session = Session::start(
            &driver.client,
            json!({
                "browserName": "chrome",
                // A dialog nobody expected fails the next command instead of
                // being answered behind the test's back.
                "unhandledPromptBehavior": "ignore",
                "goog:chromeOptions": {
                    "binary": chromium_binary(),
                    "args": [
                        "--headless=new",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--disable-quic",
                        "--no-first-run",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--window-size=1366,900",
                        format!("--user-data-dir={}", profile.0.display()),
                    ],
                },
            }),
        )
        .unwrap_or_else(|e| panic!("Chromium did not start: {e} (see target/e2e-chromedriver.log)"));
        Browser {
            session,
            base: base.trim_end_matches('/').to_owned(),
            folder: folder.to_owned(),
            scenario: scenario.to_owned(),
            shots: Cell::new(0),
            _profile: profile,
        }
    }

    /// Goes to `path` on the site, as if typed into the address bar.
    #[track_caller]
    pub fn visit(&self, path: &str) {
        let url = if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) };
        self.session.goto(&url).unwrap_or_else(|e| panic!("{url}: {e}"));
    }

    /// The path (and query) of the page shown now.
    #[track_caller]
    pub fn path(&self) -> String {
        let url = self.session.current_url().unwrap_or_else(|e| panic!("{e}"));
        url.strip_prefix(&self.base).map(str::to_owned).unwrap_or(url)
    }

    /// Waits until the page shown is `path`.
    #[track_caller]
    pub fn wait_path(&self, path: &str) {
        let mut last = String::new();
        if self
            .session
            .wait_until(path, WAIT, || {
                last = self.path();
                last == path
            })
            .is_err()
        {
            panic!("waited for the page {path}; the browser shows {last}");
        }
    }

    /// Whether an element matches `css` now.
    pub fn has(&self, css: &str) -> bool {
        self.session.try_find(css).is_some()
    }

    /// Waits for an element matching `css`.
    #[track_caller]
    pub fn wait(&self, css: &str) -> Element {
        self.session
            .wait_for(css, WAIT)
            .unwrap_or_else(|e| panic!("{e} on {}: {}", self.path(), self.body_text()))
    }

    /// Waits until nothing matches `css`.
    #[track_caller]
    pub fn wait_gone(&self, css: &str) {
        self.session
            .wait_until(&format!("{css} to go"), WAIT, || !self.has(css))
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// The text of the element matching `css`, once there is one.
    #[track_caller]
    pub fn text(&self, css: &str) -> String {
        let element = self.wait(css);
        self.session.text(&element).unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    /// Waits until the element matching `css` shows `needle`; returns its text.
    #[track_caller]
    pub fn wait_text(&self, css: &str, needle: &str) -> String {
        let mut last = String::new();
        let found = self.session.wait_until(&format!("{css} to show {needle:?}"), WAIT, || {
            last = self.session.try_find(css).and_then(|e| self.session.text(&e).ok()).unwrap_or_default();
            last.contains(needle)
        });
        if let Err(e) = found {
            panic!("{e}; it shows {last:?}");
        }
        last
    }

    /// What the page says, as a person reads it.
    pub fn body_text(&self) -> String {
        self.session.try_find("body").and_then(|b| self.session.text(&b).ok()).unwrap_or_default()
    }

    /// A property of the element matching `css` (`value`, `checked`, …) as text.
    #[track_caller]
    pub fn property(&self, css: &str, name: &str) -> String {
        let element = self.wait(css);
        let value = self.session.property(&element, name).unwrap_or_else(|e| panic!("{css}: {e}"));
        value.as_str().map_or_else(|| value.to_string(), str::to_owned)
    }

    /// Types `text` into the field matching `css`, after emptying it.
    #[track_caller]
    pub fn fill(&self, css: &str, text: &str) {
        let field = self.wait(css);
        self.session.clear(&field).unwrap_or_else(|e| panic!("{css}: {e}"));
        self.session.send_keys(&field, text).unwrap_or_else(|e| panic!("{css}: {e}"));
    }

    /// Clicks the element matching `css`.
    #[track_caller]
    pub fn click(&self, css: &str) {
        let element = self.wait(css);
        self.session.click(&element).unwrap_or_else(|e| panic!("{css}: {e}"));
    }

    /// Picks the option labelled `label` in the `<select>` matching `css`,
    /// clicking it as a person would; returns the option's value.
    #[track_caller]
    pub fn choose(&self, css: &str, label: &str) -> String {
        self.wait(css);
        let options = self.session.find_all(&format!("{css} option"));
        let option = options
            .iter()
            .find(|o| self.session.text(o).is_ok_and(|t| t.trim() == label))
            .unwrap_or_else(|| panic!("no option {label:?} in {css}"));
        self.session.click(option).unwrap_or_else(|e| panic!("{css} → {label}: {e}"));
        self.session
            .property(option, "value")
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Waits for a `confirm`/`alert` dialog and returns what it asks.
    #[track_caller]
    pub fn dialog(&self) -> String {
        let mut text = None;
        self.session
            .wait_until("a dialog", WAIT, || {
                text = self.session.alert_text().ok();
                text.is_some()
            })
            .unwrap_or_else(|e| panic!("{e}"));
        text.unwrap_or_default()
    }

    /// Answers the open dialog with OK.
    #[track_caller]
    pub fn accept_dialog(&self) {
        self.session.accept_alert().unwrap_or_else(|e| panic!("{e}"));
    }

    /// Answers the open dialog with Cancel.
    #[track_caller]
    pub fn dismiss_dialog(&self) {
        self.session.dismiss_alert().unwrap_or_else(|e| panic!("{e}"));
    }

    /// Runs `script` in the page and returns its value.
    #[track_caller]
    pub fn script(&self, script: &str) -> serde_json::Value {
        self.session.script(script).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Saves what the window shows now as
    /// `target/e2e-screenshots/<folder>/<scenario>-<n>-<name>.png`.
    #[track_caller]
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let dir = workspace().join("target/e2e-screenshots").join(&self.folder);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let n = self.shots.get() + 1;
        self.shots.set(n);
        let path = dir.join(format!("{}-{n:02}-{name}.png", self.scenario));
        let png = self.session.screenshot().unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }
}
