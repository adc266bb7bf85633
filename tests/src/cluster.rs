//! Headquarters and stores for the sync tests: the real central service
//! (the `pos-central` binary, so a restart is a real SIGKILL) over fresh
//! PostgreSQL databases, and real terminals (SQLite files, secrets in the
//! OS secret store) enrolled with it over loopback HTTP.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nexus_central::Central;
use nexus_central::settings::ExposeSecret;
use nexus_central::settings::Settings;
use nexus_central::testing::Scratch;
use nexus_domain::BranchId;
use nexus_terminal::cash_session::{CloseSession, OpenSession};
use nexus_terminal::sales::{NewSale, NewSaleLine, PaymentInput};
use nexus_terminal::sync::{Pacing, SyncClient, enroll};
use nexus_terminal::{Options, Terminal};
use sqlx::PgPool;
use uuid::Uuid;

use crate::proxy::Rng;
use crate::{TempDir, workspace};

pub const KEYRING_SERVICE: &str = "nexus-pos-sync-test";

/// Central with the demo tenant, serving from its own process.
pub struct Hq {
    process: Option<Child>,
    /// The same databases, for what an administrator does at HQ.
    pub central: Arc<Central>,
    pub tenant: Uuid,
    pub branch: Uuid,
    pub db: PgPool,
    addr: SocketAddr,
    settings: Settings,
    // Dropped last: the databases outlive the server.
    pub scratch: Scratch,
}

/// The `pos-central` binary `cargo test --workspace` builds.
pub fn central_binary() -> PathBuf {
    std::env::var_os("NEXUS_CENTRAL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/debug/pos-central"))
}

impl Hq {
    pub async fn start() -> Hq {
        let scratch = Scratch::new("nxs");
        scratch.create_master().await;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let addr = listener.local_addr().expect("an address");
        drop(listener);
        // A live board's events in these tests come from changes only.
        let settings = Settings { listen: addr, board_refresh_secs: 86_400, ..scratch.settings() };
        let central = Central::new(settings.clone()).expect("valid settings");
        central.migrate_master().await.expect("the master migrates");
        let demo = nexus_central::testing::demo_tenant(&central).await.expect("the demo tenant");
        let (_, db) = central.tenant(demo.tenant_id).await.expect("the tenant");
        let branch: Uuid = sqlx::query_scalar("SELECT id FROM branches WHERE name = 'Principal'")
            .fetch_one(&db)
            .await
            .expect("the main branch");
        let mut hq =
            Hq { process: None, central, tenant: demo.tenant_id, branch, db, addr, settings, scratch };
        hq.spawn().await;
        hq
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn central(&self) -> &Arc<Central> {
        &self.central
    }

    /// A one-time enrollment code for the main branch.
    pub async fn code(&self) -> String {
        let (tenant, db) = self.central.tenant(self.tenant).await.expect("the tenant");
        let new =
            nexus_central::devices::NewEnrollmentCode { branch_id: BranchId(self.branch), ttl_minutes: None };
        nexus_central::devices::create_code(&self.central, &tenant, &db, None, &new)
            .await
            .expect("a code")
            .code
    }

    /// Kills central with SIGKILL, whatever it is doing, and starts it
    /// again on the same port.
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn spawn(&mut self) {
        self.process = Some(launch(&self.settings).await);
    }

    /// Another `pos-central` process over the same databases, on a port of
    /// its own: a second instance behind a load balancer.
    pub async fn another_instance(&self) -> Instance {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let addr = listener.local_addr().expect("an address");
        drop(listener);
        let settings = Settings { listen: addr, ..self.settings.clone() };
        Instance { process: launch(&settings).await, addr }
    }
}

/// A `pos-central` process started by [`Hq::another_instance`], killed when dropped.
pub struct Instance {
    process: Child,
    addr: SocketAddr,
}

impl Instance {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Starts `pos-central serve` with `settings` and waits until it answers.
async fn launch(settings: &Settings) -> Child {
    let binary = central_binary();
    let built = std::fs::metadata(&binary).and_then(|m| m.modified()).ok();
    let source = ["crates/central/src", "crates/domain/src", "migrations/central"]
        .iter()
        .filter_map(|dir| newest(&workspace().join(dir)))
        .max();
    assert!(
        built.is_some_and(|b| source.is_none_or(|s| s <= b)),
        "{} is missing or older than its sources: cargo build -p nexus-central",
        binary.display()
    );
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(workspace().join("target/e2e-central.log"))
        .expect("the central log");
    let s = settings;
    let url = format!("http://{}", s.listen);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut child = Command::new(&binary)
            .arg("serve")
            .env("NEXUS_LISTEN", s.listen.to_string())
            .env("NEXUS_MASTER_DATABASE_URL", &s.master_database_url)
            .env("NEXUS_TEMPLATE_DATABASE", &s.template_database)
            .env("NEXUS_TENANT_DATABASE_PREFIX", &s.tenant_database_prefix)
            .env("NEXUS_JWT_SECRET", s.jwt_secret.expose_secret())
            .env("NEXUS_PIN_KEY_SECRET", s.pin_key_secret.expose_secret())
            .env("NEXUS_BCRYPT_COST", s.bcrypt_cost.to_string())
            .env("NEXUS_BOARD_REFRESH_SECS", s.board_refresh_secs.to_string())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log"))
            .stderr(log.try_clone().expect("the log"))
            .spawn()
            .expect("pos-central starts");
        // Ready when it answers; it exits at once if the port lingers.
        loop {
            if let Some(status) = child.try_wait().expect("the child") {
                assert!(
                    Instant::now() < deadline,
                    "pos-central keeps exiting ({status}): see target/e2e-central.log"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
                break;
            }
            if let Ok(r) = reqwest::get(format!("{url}/health")).await
                && r.status().is_success()
            {
                return child;
            }
            assert!(
                Instant::now() < deadline,
                "pos-central did not answer in 30 s: see target/e2e-central.log"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The newest modification time of the files under `dir`.
fn newest(dir: &std::path::Path) -> Option<std::time::SystemTime> {
    let mut found = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let time =
            if path.is_dir() { newest(&path) } else { entry.metadata().and_then(|m| m.modified()).ok() };
        found = found.max(time);
    }
    found
}

impl Drop for Hq {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A terminal enrolled with central.
pub struct Store {
    pub terminal: Arc<Terminal>,
    pub client: Arc<SyncClient>,
    pub dir: TempDir,
    /// Whether dropping the store also removes its device secrets.
    pub forget: bool,
}

impl Store {
    /// A blank terminal enrolled through `url` (central itself, or a proxy).
    pub async fn enroll(hq: &Hq, url: &str, name: &str) -> Store {
        let code = hq.code().await;
        Store::enroll_with_code(url, &code, name).await
    }

    /// A blank terminal enrolled through `url` with an enrollment `code`.
    pub async fn enroll_with_code(url: &str, code: &str, name: &str) -> Store {
        let dir = TempDir::new("sync-store");
        let terminal = Arc::new(Terminal::open(&dir.0, options()).expect("a terminal"));
        // Enrollment itself may meet the faulty network: try again until it lands.
        let mut last = None;
        for _ in 0..20 {
            match enroll(terminal.clone(), url, code, name).await {
                Ok(()) => {
                    last = None;
                    break;
                }
                Err(e) if terminal.is_set_up() => {
                    // Enrolled; only the first snapshot failed. A round fetches it.
                    last = Some(e);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        assert!(terminal.is_set_up(), "enrollment failed: {last:?}");
        let client =
            SyncClient::new(terminal.clone(), pacing()).expect("a client").expect("an enrolled terminal");
        Store { terminal, client, dir, forget: true }
    }

    /// Syncs until everything is settled and pulled (on a healthy network).
    pub async fn settle(&self) {
        for _ in 0..20 {
            if self.client.round().await.is_ok() {
                let status = self.terminal.outbox_status().expect("status");
                if status.pending == 0 {
                    return;
                }
            }
        }
        panic!("the store never settled: {:?}", self.terminal.outbox_status());
    }
}

impl Store {
    /// Opens the store again from its files and secrets, as a restarted
    /// process would.
    pub fn reopen(dir: TempDir) -> Store {
        let terminal = Arc::new(Terminal::open(&dir.0, options()).expect("the terminal opens again"));
        let client =
            SyncClient::new(terminal.clone(), pacing()).expect("a client").expect("an enrolled terminal");
        Store { terminal, client, dir, forget: true }
    }

    /// Closes the store, keeping its files and secrets for another process.
    pub fn release(mut self) -> TempDir {
        self.forget = false;
        // An empty stand-in takes its place (Store has a Drop of its own).
        std::mem::replace(&mut self.dir, TempDir::new("released"))
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if self.forget {
            let _ = self.terminal.forget_secrets();
        }
    }
}

pub fn options() -> Options {
    Options { keyring_service: KEYRING_SERVICE.into(), ..Options::default() }
}

/// Short time limits: a dropped answer must not stall a test.
pub fn pacing() -> Pacing {
    Pacing { request_timeout: std::time::Duration::from_secs(5), ..Pacing::default() }
}

/// PINs of the demo store.
pub const MARIA: &str = "1111";
pub const JUAN: &str = "3333";
pub const ADMIN: &str = "246801";

/// Opens the first free register of `pin`'s home.
pub fn open(t: &Terminal, pin: &str, amount: &str) -> Uuid {
    t.login(pin).expect("the PIN logs in");
    let home = t.home().expect("home");
    if let Some(open) = home.open_cash_session_id {
        return open;
    }
    let register = home.registers.iter().find(|r| !r.in_use).expect("a free register");
    t.open_session(&OpenSession { cash_register_id: register.id, opening_amount: amount.into() })
        .expect("opens")
        .id
}

/// Sells one to three random lines, paid in cash.
pub fn sell(t: &Terminal, session: Uuid, rng: &mut Rng) -> Uuid {
    let products = t.search_products("", 50).expect("products");
    assert!(!products.is_empty(), "the products came down with the snapshot");
    let lines: Vec<NewSaleLine> = (0..1 + rng.below(3))
        .map(|_| NewSaleLine {
            product_id: products[rng.below(products.len() as u64) as usize].id,
            quantity: 1 + rng.below(3) as i64,
            discount_bp: 0,
        })
        .collect();
    t.sell(&NewSale {
        cash_session_id: session,
        customer_id: None,
        price_tier: Default::default(),
        lines,
        // Covers the dearest possible sale: 3 lines × 3 units × $2,699 + IVA ≈ $28,200.
        payment: PaymentInput { cash: Some("50000".into()), ..Default::default() },
    })
    .expect("the sale commits")
    .sale_id
}

/// Closes `session` counting exactly what is expected.
pub fn close(t: &Terminal, session: Uuid) {
    let z = t.session_report(session).expect("report");
    let counted = nexus_domain::Money::from_cents(z.expected_cents).to_decimal_string();
    t.close_session(&CloseSession {
        cash_session_id: session,
        counted_amount: Some(counted),
        denominations: None,
        confirm_zero: false,
    })
    .expect("closes");
}
