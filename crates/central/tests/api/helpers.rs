//! A real central service on a loopback port, over fresh databases.
//!
//! Every test gets its own master database, template and tenant databases,
//! all named `nxt_<random>_…`, and drops them when it ends (even on panic).
//! Tests act the way people do: headquarters logs in with the owner's email
//! and password, a counter logs in with a PIN through an enrolled device.

use std::net::SocketAddr;
use std::sync::Arc;

use nexus_central::{Central, Clock, Settings, http};
use nexus_domain::{BranchId, EmployeeId, TenantId};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use uuid::Uuid;

pub use nexus_central::testing::{ADMIN_TOKEN, Scratch, admin_sql};

/// The owner's HQ password every provisioned test tenant gets.
pub const OWNER_PASSWORD: &str = "contraseña-del-dueño-2026";

/// A tenant as provisioning answered it, with what it showed once.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub tenant_id: TenantId,
    pub slug: String,
    pub db_name: String,
    pub cluster: String,
    pub branch_id: BranchId,
    pub owner_id: EmployeeId,
    pub owner_email: String,
    /// The owner's counter PIN, made by provisioning.
    pub owner_pin: String,
}

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

    /// [`TestApp::another_instance`] with settings of its own.
    pub async fn another_instance_with(&self, tweak: impl FnOnce(Settings) -> Settings) -> TestApp {
        TestApp::start(self.scratch.clone(), tweak).await
    }

    async fn start(scratch: Arc<Scratch>, tweak: impl FnOnce(Settings) -> Settings) -> TestApp {
        let settings = tweak(scratch.settings());
        let central = Central::with_clock(settings, Clock::shifted()).expect("valid settings");
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

    /// Provisions a tenant through the API; its owner's email is made from
    /// the name, their password is [`OWNER_PASSWORD`].
    pub async fn provision(&self, name: &str) -> Tenant {
        let email = format!("{}@dueno.example.mx", Uuid::new_v4().simple());
        let res = self
            .request(
                Method::POST,
                "/v1/tenants",
                Some(ADMIN_TOKEN),
                Some(json!({ "name": name, "owner_name": "Dueña", "owner_email": email,
                             "owner_password": OWNER_PASSWORD })),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
        let body: Value = res.json().await.unwrap();
        Tenant {
            tenant_id: serde_json::from_value(body["tenant_id"].clone()).unwrap(),
            slug: body["slug"].as_str().unwrap().to_owned(),
            db_name: body["db_name"].as_str().unwrap().to_owned(),
            cluster: body["cluster"].as_str().unwrap().to_owned(),
            branch_id: serde_json::from_value(body["branch_id"].clone()).unwrap(),
            owner_id: serde_json::from_value(body["owner_id"].clone()).unwrap(),
            owner_email: body["owner_email"].as_str().unwrap().to_owned(),
            owner_pin: body["owner_pin"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn hq_login(&self, email: &str, password: &str) -> Response {
        self.request(
            Method::POST,
            "/v1/hq/login",
            None,
            Some(json!({ "email": email, "password": password })),
        )
        .await
    }

    /// An HQ session of the tenant's owner.
    pub async fn hq(&self, t: &Tenant) -> String {
        let res = self.hq_login(&t.owner_email, OWNER_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
        res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
    }

    /// An HQ session of a new account of the tenant with `role` (added the
    /// way `pos-central hq add` does).
    pub async fn hq_as(&self, t: &Tenant, role: &str) -> String {
        let email = format!("{role}-{}@example.mx", Uuid::new_v4().simple());
        let added = nexus_central::hq::add(
            &self.central,
            &nexus_central::hq::NewHqAccount {
                tenant_id: t.tenant_id,
                email: &email,
                name: role,
                role: nexus_central::hq::HqRole::parse(role).unwrap(),
                employee_id: None,
                password: None,
            },
            &Default::default(),
        )
        .await
        .unwrap();
        let res = self.hq_login(&email, added.generated_password.unwrap().expose()).await;
        assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
        res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
    }

    /// Enrolls a device in the tenant's main branch; returns its credential.
    pub async fn device(&self, t: &Tenant, hq: &str) -> String {
        let res = self.post("/v1/devices/enrollment-codes", hq, json!({ "branch_id": t.branch_id })).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
        let code = res.json::<Value>().await.unwrap()["code"].as_str().unwrap().to_owned();
        let res = self
            .request(
                Method::POST,
                "/v1/devices/enroll",
                None,
                Some(json!({ "code": code, "device_name": "Caja de prueba" })),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
        res.json::<Value>().await.unwrap()["credential"].as_str().unwrap().to_owned()
    }

    /// A counter PIN login through a device.
    pub async fn login(&self, device: &str, pin: &str) -> Response {
        self.post("/v1/auth/login", device, json!({ "pin": pin })).await
    }

    /// A counter token for `pin`, which must be right.
    pub async fn token(&self, device: &str, pin: &str) -> String {
        let res = self.login(device, pin).await;
        assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
        let body: Value = res.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// Creates an employee from headquarters; returns its id and the PIN
    /// made for it.
    pub async fn employee(&self, hq: &str, name: &str, role: &str) -> (Uuid, String) {
        let res = self.post("/v1/employees", hq, json!({ "name": name, "role": role })).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
        let body: Value = res.json().await.unwrap();
        (body["employee"]["id"].as_str().unwrap().parse().unwrap(), body["pin"].as_str().unwrap().to_owned())
    }

    /// A connection to a tenant's database.
    pub async fn tenant_db(&self, t: &Tenant) -> sqlx::PgConnection {
        self.central.dbs.connect_database(&t.cluster, &t.db_name).await.unwrap()
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

/// The id of the device a credential (`nxd.<id>.<secret>`) belongs to.
pub fn device_id(credential: &str) -> Uuid {
    credential.split('.').nth(1).and_then(|id| id.parse().ok()).expect("a device credential")
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

/// An enrolled device whose ops the test writes by hand, the way someone
/// holding a till's credential could: any kind, any acting employee, with a
/// well-formed audit chain so only what the test forges is wrong.
pub struct Till {
    pub credential: String,
    pub device_id: Uuid,
    seq: i64,
    head: nexus_domain::audit::ChainHash,
}

impl Till {
    pub async fn enroll(app: &TestApp, t: &Tenant, hq: &str) -> Till {
        let credential = app.device(t, hq).await;
        let device_id = device_id(&credential);
        Till { credential, device_id, seq: 0, head: nexus_domain::audit::GENESIS }
    }

    /// The next op: `kind` is written as given (a kind central may not know).
    pub fn op(&mut self, kind: &str, actor: Option<EmployeeId>, payload: Value) -> Value {
        self.op_audited_as(kind, &kind.to_uppercase(), actor, payload)
    }

    /// The next op, its audit entry's action being `action` (a till writes
    /// `LOGIN_FAILED` for an `access` op of a wrong PIN).
    pub fn op_audited_as(
        &mut self,
        kind: &str,
        action: &str,
        actor: Option<EmployeeId>,
        payload: Value,
    ) -> Value {
        use nexus_domain::audit::{AuditEntry, ChainedEntry, storage_time};
        self.seq += 1;
        let now = storage_time(chrono::Utc::now());
        let entry = AuditEntry {
            id: Uuid::now_v7(),
            chain: self.device_id.to_string(),
            seq: self.seq,
            device_id: Some(self.device_id.to_string()),
            employee_id: actor.map(|a| a.0),
            action: action.to_owned(),
            entity_type: None,
            entity_id: None,
            old_value: None,
            new_value: Some(payload.clone()),
            ip_address: None,
            branch_id: None,
            created_at: now,
        };
        let hash = entry.chain_hash(&self.head, &mut Vec::new());
        let chained = ChainedEntry { entry, prev_hash: self.head, hash };
        self.head = hash;
        json!({
            "v": nexus_domain::sync::WIRE_VERSION,
            "op_id": Uuid::now_v7(),
            "device_id": self.device_id,
            "seq": self.seq,
            "kind": kind,
            "employee_id": actor,
            "device_time": now,
            "payload": payload,
            "audit": nexus_domain::sync::AuditRecord::from(&chained),
        })
    }

    /// The hash of the last audit entry written, hex: the head of the chain.
    pub fn chain_head(&self) -> String {
        nexus_domain::sync::hex(&self.head)
    }

    /// How many ops were made.
    pub fn seq(&self) -> i64 {
        self.seq
    }

    /// Pushes `ops`; the answer must be a 200.
    pub async fn push(&self, app: &TestApp, ops: Vec<Value>) -> Value {
        let res = app.post("/v1/sync/push", &self.credential, json!({ "ops": ops })).await;
        assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
        res.json().await.unwrap()
    }
}

/// An `EmployeeSaved` payload for `pin`, hashed the way a terminal of the
/// tenant hashes it, stamped now.
pub async fn employee_payload(
    app: &TestApp,
    t: &Tenant,
    id: Uuid,
    role: &str,
    permissions: Vec<&str>,
    pin: &str,
) -> Value {
    let pin = nexus_domain::pin::Pin::parse(pin).unwrap();
    let hash = app.central.hash_pin(t.tenant_id, &pin).await.unwrap();
    let lookup = app.central.pin_key(t.tenant_id).lookup(&pin);
    json!({
        "id": id, "name": format!("Empleado {role}"), "email": null, "phone": null, "role": role,
        "branch_id": null, "max_discount_bp": 0, "is_active": true, "permissions": permissions,
        "pin_hash": hash, "pin_lookup": nexus_domain::sync::hex(&lookup.0),
        "updated_at": chrono::Utc::now(), "hlc": chrono::Utc::now().timestamp_millis() << 16,
    })
}

/// The conflicts of a kind at central, oldest first.
pub async fn conflicts_of(db: &mut sqlx::PgConnection, kind: &str) -> Vec<Value> {
    sqlx::query_scalar("SELECT detail FROM sync_conflicts WHERE kind = $1 ORDER BY created_at, seq")
        .bind(kind)
        .fetch_all(db)
        .await
        .unwrap()
}
