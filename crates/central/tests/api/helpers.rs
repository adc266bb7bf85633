//! A real central service on a loopback port, over fresh databases.
//!
//! Every test gets its own master database, template and tenant databases,
//! all named `nxt_<random>_…`, and drops them when it ends (even on panic).

use std::net::SocketAddr;
use std::sync::Arc;

use nexus_central::provision::Provisioned;
use nexus_central::{Central, Settings, http};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use uuid::Uuid;

pub use nexus_central::testing::{ADMIN_TOKEN, Scratch, admin_sql};

pub const OWNER_PIN: &str = "9999";

/// A running central service.
pub struct TestApp {
    pub addr: SocketAddr,
    pub central: Arc<Central>,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    // Dropped last: the databases outlive the server.
    pub scratch: Arc<Scratch>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let scratch = Scratch::default();
        scratch.create_master().await;
        TestApp::start(Arc::new(scratch), |s| s).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(Settings) -> Settings) -> TestApp {
        let scratch = Scratch::default();
        scratch.create_master().await;
        TestApp::start(Arc::new(scratch), tweak).await
    }

    /// A new service over the databases of an earlier one (a restart).
    pub async fn spawn_over(scratch: Arc<Scratch>) -> TestApp {
        TestApp::start(scratch, |s| s).await
    }

    /// Another instance over the same databases (a restart, or a second
    /// instance behind a load balancer).
    pub async fn another_instance(&self) -> TestApp {
        TestApp::start(self.scratch.clone(), |s| s).await
    }

    async fn start(scratch: Arc<Scratch>, tweak: impl FnOnce(Settings) -> Settings) -> TestApp {
        let settings = tweak(scratch.settings());
        let central = Central::new(settings).expect("valid settings");
        central.migrate_master().await.expect("master migrates");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(http::serve(central.clone(), listener, async {
            let _ = stopped.await;
        }));
        TestApp {
            addr,
            central,
            client: reqwest::Client::new(),
            stop: Some(stop),
            server: Some(server),
            scratch,
        }
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.expect("request reaches the server")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::PATCH, path, Some(token), Some(body)).await
    }

    /// Provisions a tenant through the API.
    pub async fn provision(&self, name: &str) -> Provisioned {
        let res = self
            .request(
                Method::POST,
                "/v1/tenants",
                Some(ADMIN_TOKEN),
                Some(json!({ "name": name, "owner_name": "Dueña", "owner_pin": OWNER_PIN })),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
        let body: Value = res.json().await.unwrap();
        Provisioned {
            tenant_id: serde_json::from_value(body["tenant_id"].clone()).unwrap(),
            slug: body["slug"].as_str().unwrap().to_owned(),
            db_name: body["db_name"].as_str().unwrap().to_owned(),
            cluster: body["cluster"].as_str().unwrap().to_owned(),
            branch_id: serde_json::from_value(body["branch_id"].clone()).unwrap(),
            owner_id: serde_json::from_value(body["owner_id"].clone()).unwrap(),
            schema_version: body["schema_version"].as_i64().unwrap() as i32,
        }
    }

    pub async fn login(&self, tenant: Uuid, pin: &str, device: &str) -> Response {
        self.request(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({ "tenant_id": tenant, "pin": pin, "device_id": device })),
        )
        .await
    }

    /// A token for `pin`, which must be right.
    pub async fn token(&self, tenant: Uuid, pin: &str) -> String {
        let res = self.login(tenant, pin, "test-device").await;
        assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
        let body: Value = res.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// Creates an employee with the owner's token; returns its id.
    pub async fn employee(&self, owner_token: &str, name: &str, role: &str, pin: &str) -> Uuid {
        let res =
            self.post("/v1/employees", owner_token, json!({ "name": name, "role": role, "pin": pin })).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
        let body: Value = res.json().await.unwrap();
        body["id"].as_str().unwrap().parse().unwrap()
    }

    /// A connection to a tenant's database.
    pub async fn tenant_db(&self, p: &Provisioned) -> sqlx::PgConnection {
        self.central.dbs.connect_database(&p.cluster, &p.db_name).await.unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// Asserts the status and the error code of a response; returns its body.
pub async fn expect_error(res: Response, status: StatusCode, code: &str) -> Value {
    let actual = res.status();
    let body: Value = res.json().await.expect("error bodies are JSON");
    assert_eq!(actual, status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    body
}

/// An audit entry as the tests look at it.
#[derive(Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub action: String,
    pub employee_id: Option<Uuid>,
    pub device_id: Option<String>,
    pub ip_address: Option<String>,
    pub entity_id: Option<String>,
    pub old_value: Option<Value>,
    pub new_value: Option<Value>,
}

/// The entries of the `central` chain whose action matches the SQL `LIKE` pattern.
pub async fn audit_rows(db: &mut sqlx::PgConnection, like: &str) -> Vec<AuditRow> {
    sqlx::query_as(
        "SELECT action, employee_id, device_id, ip_address, entity_id, old_value, new_value
         FROM audit_log WHERE chain = 'central' AND action LIKE $1 ORDER BY seq",
    )
    .bind(like)
    .fetch_all(db)
    .await
    .unwrap()
}
