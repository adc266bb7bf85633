//! Support for tests and benchmarks that run the real service: databases
//! of their own with unique names, dropped afterwards, and the service on a
//! loopback port.

use std::net::SocketAddr;
use std::sync::Arc;

use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::{Central, Settings, http};
use secrecy::SecretString;

pub const ADMIN_TOKEN: &str = "platform-admin-0123456789abcdefghijklmnopqrstuvwxyz";

/// The demo HQ owner's password in tests and benchmarks.
pub const DEMO_HQ_PASSWORD: &str = "demo-oficina-central-2026";

/// The PostgreSQL server tests use: `NEXUS_TEST_PG_URL`, `NEXUS_PG_URL`, or
/// the local one.
pub fn pg_url() -> String {
    std::env::var("NEXUS_TEST_PG_URL")
        .or_else(|_| std::env::var("NEXUS_PG_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

pub async fn admin_connection() -> PgConnection {
    PgConnection::connect(&format!("{}/postgres", pg_url())).await.expect("PostgreSQL answers")
}

pub async fn admin_sql(sql: &str) {
    let mut conn = admin_connection().await;
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).execute(&mut conn).await.expect("admin SQL runs");
}

/// The databases of one test — master, template and tenants, all named
/// `<prefix>_…` — dropped with it, even on panic.
pub struct Scratch {
    pub prefix: String,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new("nxt")
    }
}

impl Scratch {
    pub fn new(kind: &str) -> Scratch {
        Scratch { prefix: format!("{kind}_{}", &Uuid::new_v4().simple().to_string()[..10]) }
    }

    /// Settings over these databases, with test secrets and the lowest bcrypt
    /// costs allowed (10 for PINs, 12 for HQ passwords).
    pub fn settings(&self) -> Settings {
        Settings {
            listen: "127.0.0.1:0".parse().expect("an address"),
            master_database_url: format!("{}/{}_master", pg_url(), self.prefix),
            clusters: vec![],
            template_database: format!("{}_tpl", self.prefix),
            tenant_database_prefix: format!("{}_t_", self.prefix),
            jwt_secret: SecretString::from("test-jwt-secret-0123456789abcdefghijklmnop"),
            pin_key_secret: SecretString::from("test-pin-secret-0123456789abcdefghijklmnop"),
            platform_admin_token: Some(SecretString::from(ADMIN_TOKEN)),
            bcrypt_cost: 10,
            ..Settings::default()
        }
    }

    pub async fn create_master(&self) {
        admin_sql(&format!("CREATE DATABASE \"{}_master\"", self.prefix)).await;
    }

    /// Names of these databases that exist now.
    pub async fn databases(&self) -> Vec<String> {
        let mut conn = admin_connection().await;
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE $1 || '%' ORDER BY 1")
            .bind(&self.prefix)
            .fetch_all(&mut conn)
            .await
            .expect("the database list")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let prefix = self.prefix.clone();
        // The test's runtime may be shutting down; clean up on a fresh one.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            rt.block_on(async move {
                let mut conn = admin_connection().await;
                let names: Vec<String> =
                    sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE $1 || '%'")
                        .bind(&prefix)
                        .fetch_all(&mut conn)
                        .await
                        .unwrap_or_default();
                for name in names {
                    let _ = sqlx::raw_sql(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            })
        })
        .join();
    }
}

/// The service serving on a loopback port until stopped or dropped.
pub struct Server {
    pub addr: SocketAddr,
    pub central: Arc<Central>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Migrates the master and serves on `addr` (port 0 for any), on a
    /// shifted clock the caller may move (`central.clock.advance`).
    pub async fn start(settings: Settings, addr: SocketAddr) -> Server {
        let central = Central::with_clock(settings, crate::Clock::shifted()).expect("valid settings");
        central.migrate_master().await.expect("the master migrates");
        let listener = tokio::net::TcpListener::bind(addr).await.expect("a port");
        let addr = listener.local_addr().expect("an address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(http::serve(central.clone(), listener, async {
            let _ = stopped.await;
        }));
        Server { addr, central, stop: Some(stop), task: Some(task) }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops at once, as a crash would: requests in flight are cut.
    pub async fn kill(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Stops gracefully and waits.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The demo tenant, made unless it exists, its HQ owner's password being
/// [`DEMO_HQ_PASSWORD`].
pub async fn demo_tenant(central: &Central) -> crate::Result<crate::demo::DemoTenant> {
    crate::demo::ensure(central, &SecretString::from(DEMO_HQ_PASSWORD)).await
}

/// A session token of the demo tenant's HQ owner.
pub async fn demo_hq_token(central: &Central) -> String {
    hq_token(central, crate::demo::HQ_OWNER_EMAIL, DEMO_HQ_PASSWORD).await
}

/// An HQ session token for `email`, made by the real login, for tests and
/// benchmarks that act as headquarters against a running service.
pub async fn hq_token(central: &Central, email: &str, password: &str) -> String {
    let req = crate::hq::HqLoginRequest {
        email: email.to_owned(),
        password: SecretString::from(password),
        totp: None,
    };
    let res = crate::hq::login(central, &req, None).await.expect("the HQ login succeeds");
    res.token.expose().to_owned()
}
