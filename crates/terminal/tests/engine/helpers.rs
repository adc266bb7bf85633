//! Real terminals over real SQLite files, with secrets in the real OS
//! secret store (Secret Service; CI runs it headless under dbus-run-session
//! with an unlocked gnome-keyring-daemon).

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use nexus_terminal::cash_session::{OpenSession, SessionView};
use nexus_terminal::products::Product;
use nexus_terminal::sales::{NewSale, NewSaleLine, PaymentInput, Receipt};
use nexus_terminal::{Error, ManualClock, Options, Terminal};
use tempfile::TempDir;
use uuid::Uuid;

pub const KEYRING_SERVICE: &str = "nexus-pos-test";
pub const OWNER: &str = "135790";
pub const ADMIN: &str = "246801";
pub const MARIA: &str = "1111";
pub const JUAN: &str = "3333";
pub const LUIS: &str = "4444";
pub const CARLA: &str = "5555";
pub const ALBERTO: &str = "6666";

/// A directory of its own for one test, removed when dropped.
pub fn tempdir() -> TempDir {
    tempfile::Builder::new().prefix("nexus-terminal-test-").tempdir().unwrap()
}

pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T15:00:00Z").unwrap().with_timezone(&Utc)
}

pub struct TestTerminal {
    pub terminal: Terminal,
    pub clock: Arc<ManualClock>,
    pub dir: TempDir,
}

impl std::ops::Deref for TestTerminal {
    type Target = Terminal;
    fn deref(&self) -> &Terminal {
        &self.terminal
    }
}

pub fn options(clock: &Arc<ManualClock>) -> Options {
    Options { keyring_service: KEYRING_SERVICE.into(), clock: clock.clone(), ..Options::default() }
}

impl TestTerminal {
    /// A terminal that has not been set up.
    pub fn blank() -> TestTerminal {
        let dir = tempdir();
        let clock = Arc::new(ManualClock::new(start_time()));
        let terminal = Terminal::open(dir.path(), options(&clock)).expect("terminal opens");
        TestTerminal { terminal, clock, dir }
    }

    /// The demo store of seed/demo.json.
    pub fn demo() -> TestTerminal {
        let t = TestTerminal::blank();
        t.terminal.setup_demo().expect("demo sets up");
        t
    }

    /// The same data directory opened again, as after a restart.
    pub fn reopen(&mut self) {
        self.terminal = Terminal::open(self.dir.path(), options(&self.clock)).expect("terminal reopens");
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    pub fn as_(&self, pin: &str) -> &Terminal {
        self.terminal.login(pin).unwrap_or_else(|e| panic!("PIN {pin} logs in: {e}"));
        &self.terminal
    }

    pub fn product(&self, code: &str) -> Product {
        self.terminal
            .search_products(code, 5)
            .unwrap()
            .into_iter()
            .find(|p| p.part_number == code || p.barcode.as_deref() == Some(code))
            .unwrap_or_else(|| panic!("product {code}"))
    }

    /// Logs `pin` in and opens their first free register with `amount`.
    pub fn open_first(&self, pin: &str, amount: &str) -> SessionView {
        let home = self.as_(pin).home().unwrap();
        let free = home.registers.iter().find(|r| !r.in_use).expect("a free register");
        self.terminal
            .open_session(&OpenSession { cash_register_id: free.id, opening_amount: amount.into() })
            .unwrap()
    }

    /// Sells `lines` (code, quantity) paid in cash with `cash`.
    pub fn sell_cash(&self, session: Uuid, lines: &[(&str, i64)], cash: &str) -> Result<Receipt, Error> {
        let lines = lines
            .iter()
            .map(|(code, quantity)| NewSaleLine {
                product_id: self.product(code).id,
                quantity: *quantity,
                discount_bp: 0,
            })
            .collect();
        self.terminal.sell(&NewSale {
            cash_session_id: session,
            customer_id: None,
            price_tier: Default::default(),
            lines,
            payment: PaymentInput { cash: Some(cash.into()), ..PaymentInput::default() },
        })
    }

    /// A raw connection to the database file (with its key), for looking behind the engine.
    pub fn raw(&self) -> rusqlite::Connection {
        nexus_terminal::open_database(self.path(), KEYRING_SERVICE).unwrap()
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.raw().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// How many ops the outbox holds: every write adds one.
    pub fn ops(&self) -> i64 {
        self.count("SELECT count(*) FROM outbox")
    }
}

impl Drop for TestTerminal {
    fn drop(&mut self) {
        let _ = self.terminal.forget_secrets();
    }
}

/// Asserts an error's code.
#[track_caller]
pub fn assert_code<T: std::fmt::Debug>(result: Result<T, Error>, code: &str) -> Error {
    match result {
        Ok(v) => panic!("expected error {code}, got {v:?}"),
        Err(e) => {
            assert_eq!(e.code(), code, "{e}");
            assert!(!e.to_string().is_empty());
            e
        }
    }
}

/// Runs the real `pos-terminal` binary on `dir`, as the employee with `pin`.
pub fn pos_terminal(dir: &Path, pin: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pos-terminal"));
    command.args(args).env("NEXUS_TERMINAL_DIR", dir).env("NEXUS_KEYRING_SERVICE", KEYRING_SERVICE);
    command.env_remove("NEXUS_PIN");
    if let Some(pin) = pin {
        command.env("NEXUS_PIN", pin);
    }
    command.output().unwrap()
}

/// The `{code, message}` a failed `--json` command printed on stderr, which
/// must be one JSON object and nothing else.
#[track_caller]
pub fn json_error(out: &std::process::Output) -> (String, String) {
    assert!(!out.status.success(), "expected a failure: {}", String::from_utf8_lossy(&out.stdout));
    let body: serde_json::Value = serde_json::from_slice(&out.stderr)
        .unwrap_or_else(|e| panic!("stderr is not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let text = |key: &str| body[key].as_str().unwrap_or_else(|| panic!("no {key} in {body}")).to_owned();
    (text("code"), text("message"))
}
