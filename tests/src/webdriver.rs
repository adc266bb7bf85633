//! A small blocking W3C WebDriver client: just what the tests use. It
//! drives `tauri-driver` (the desktop app) and `chromedriver` (the
//! headquarters console in Chromium) alike.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// WebDriver's codes for special keys.
pub mod keys {
    pub const BACKSPACE: &str = "\u{E003}";
    pub const TAB: &str = "\u{E004}";
    pub const ENTER: &str = "\u{E007}";
    pub const ESCAPE: &str = "\u{E00C}";
    pub const ARROW_DOWN: &str = "\u{E015}";
    pub const F1: &str = "\u{E031}";
    pub const F2: &str = "\u{E032}";
    pub const F4: &str = "\u{E034}";
    pub const F8: &str = "\u{E038}";
    pub const F10: &str = "\u{E03A}";
    pub const F12: &str = "\u{E03C}";
}

#[derive(Clone)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

#[derive(Debug)]
pub struct WebDriverError(pub String);

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Client {
    pub fn new(base: &str) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Client { base: base.trim_end_matches('/').to_owned(), agent }
    }

    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, WebDriverError> {
        let url = format!("{}{}", self.base, path);
        let response = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self.agent.post(&url).send_json(body.unwrap_or_else(|| json!({}))),
        };
        let mut response = response.map_err(|e| WebDriverError(format!("{method} {path}: {e}")))?;
        let status = response.status();
        let value: Value = response
            .body_mut()
            .read_json()
            .map_err(|e| WebDriverError(format!("{method} {path}: unreadable answer: {e}")))?;
        if status.is_success() {
            Ok(value["value"].clone())
        } else {
            Err(WebDriverError(format!("{method} {path} → {status}: {}", value["value"])))
        }
    }

    /// Whether the driver answers `/status` as ready.
    pub fn ready(&self) -> bool {
        self.call("GET", "/status", None).is_ok_and(|v| v["ready"] != json!(false))
    }
}

/// One WebDriver session: one running instance of the app.
pub struct Session {
    client: Client,
}

/// An element reference.
#[derive(Clone, Debug)]
pub struct Element(pub String);

impl Session {
    pub fn start(driver: &Client, capabilities: Value) -> Result<Session, WebDriverError> {
        let created = driver.call(
            "POST",
            "/session",
            Some(json!({ "capabilities": { "alwaysMatch": capabilities } })),
        )?;
        let id = created["sessionId"]
            .as_str()
            .ok_or_else(|| WebDriverError(format!("no session id in {created}")))?;
        let client = Client { base: format!("{}/session/{id}", driver.base), agent: driver.agent.clone() };
        client.call("POST", "/timeouts", Some(json!({ "implicit": 0, "script": 30_000 })))?;
        Ok(Session { client })
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, WebDriverError> {
        self.client.call(method, path, body)
    }

    /// The first element matching `css`, if any, now.
    pub fn try_find(&self, css: &str) -> Option<Element> {
        let found =
            self.call("POST", "/elements", Some(json!({ "using": "css selector", "value": css }))).ok()?;
        found.as_array()?.first()?.get(ELEMENT)?.as_str().map(|id| Element(id.to_owned()))
    }

    /// Every element matching `css`, now.
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        self.call("POST", "/elements", Some(json!({ "using": "css selector", "value": css })))
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e.get(ELEMENT)?.as_str().map(|id| Element(id.to_owned())))
            .collect()
    }

    /// Waits up to `timeout` for an element matching `css`.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element, WebDriverError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.try_find(css) {
                return Ok(e);
            }
            if Instant::now() > deadline {
                return Err(WebDriverError(format!("no element {css} after {timeout:?}")));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until `check` holds, polling.
    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut() -> bool,
    ) -> Result<(), WebDriverError> {
        let deadline = Instant::now() + timeout;
        while !check() {
            if Instant::now() > deadline {
                return Err(WebDriverError(format!("timed out waiting for {what}")));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    pub fn active(&self) -> Result<Element, WebDriverError> {
        let v = self.call("GET", "/element/active", None)?;
        v.get(ELEMENT)
            .and_then(Value::as_str)
            .map(|id| Element(id.to_owned()))
            .ok_or_else(|| WebDriverError(format!("no focus: {v}")))
    }

    /// Types `text` (which may hold special keys) into the focused element,
    /// as a person at the keyboard would.
    pub fn keys(&self, text: &str) -> Result<(), WebDriverError> {
        let focused = self.active()?;
        self.send_keys(&focused, text)
    }

    pub fn send_keys(&self, element: &Element, text: &str) -> Result<(), WebDriverError> {
        self.call("POST", &format!("/element/{}/value", element.0), Some(json!({ "text": text }))).map(|_| ())
    }

    pub fn text(&self, element: &Element) -> Result<String, WebDriverError> {
        Ok(self
            .call("GET", &format!("/element/{}/text", element.0), None)?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    pub fn attribute(&self, element: &Element, name: &str) -> Result<Option<String>, WebDriverError> {
        Ok(self
            .call("GET", &format!("/element/{}/attribute/{name}", element.0), None)?
            .as_str()
            .map(str::to_owned))
    }

    pub fn property(&self, element: &Element, name: &str) -> Result<Value, WebDriverError> {
        self.call("GET", &format!("/element/{}/property/{name}", element.0), None)
    }

    /// Goes to `url`, waiting for the page to load as a click on a link would.
    pub fn goto(&self, url: &str) -> Result<(), WebDriverError> {
        self.call("POST", "/url", Some(json!({ "url": url }))).map(|_| ())
    }

    /// The address of the page shown now.
    pub fn current_url(&self) -> Result<String, WebDriverError> {
        Ok(self.call("GET", "/url", None)?.as_str().unwrap_or_default().to_owned())
    }

    pub fn click(&self, element: &Element) -> Result<(), WebDriverError> {
        self.call("POST", &format!("/element/{}/click", element.0), None).map(|_| ())
    }

    /// Empties a text field.
    pub fn clear(&self, element: &Element) -> Result<(), WebDriverError> {
        self.call("POST", &format!("/element/{}/clear", element.0), None).map(|_| ())
    }

    /// The text of the open alert, confirm or prompt dialog; an error when
    /// none is open.
    pub fn alert_text(&self) -> Result<String, WebDriverError> {
        Ok(self.call("GET", "/alert/text", None)?.as_str().unwrap_or_default().to_owned())
    }

    /// Answers the open dialog with OK.
    pub fn accept_alert(&self) -> Result<(), WebDriverError> {
        self.call("POST", "/alert/accept", None).map(|_| ())
    }

    /// Answers the open dialog with Cancel.
    pub fn dismiss_alert(&self) -> Result<(), WebDriverError> {
        self.call("POST", "/alert/dismiss", None).map(|_| ())
    }

    /// Runs `script` in the page and returns its value.
    pub fn script(&self, script: &str) -> Result<Value, WebDriverError> {
        self.call("POST", "/execute/sync", Some(json!({ "script": script, "args": [] })))
    }

    /// A PNG of the window, taken after two animation frames so it shows
    /// what was just rendered.
    pub fn screenshot(&self) -> Result<Vec<u8>, WebDriverError> {
        use base64::Engine as _;
        self.call(
            "POST",
            "/execute/async",
            Some(json!({
                "script": "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()))",
                "args": [],
            })),
        )?;
        let data = self.call("GET", "/screenshot", None)?;
        base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .map_err(|e| WebDriverError(format!("screenshot: {e}")))
    }
}

impl Drop for Session {
    /// Ends the session, which closes the app — also when a test fails.
    fn drop(&mut self) {
        let _ = self.call("DELETE", "", None);
    }
}
