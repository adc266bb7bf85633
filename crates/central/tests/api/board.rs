//! Headquarters' live board: every open cash session of the tenant with its
//! figures and its device's last word, as JSON and as server-sent events —
//! fed by a real terminal engine enrolled with central over loopback.
//!
//! Terminals keep their secrets in the OS secret store: run these under
//! `scripts/with-keyring.sh`.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use nexus_central::{Settings, board};
use nexus_terminal::cash_session::{CloseSession, OpenSession};
use nexus_terminal::movements::{MovementKind, NewMovement};
use nexus_terminal::sales::{CancelSale, NewSale, NewSaleLine, PaymentInput, Receipt};
use nexus_terminal::sync::{Pacing, SyncClient, enroll};
use nexus_terminal::{Options, Terminal};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::time::Instant;
use uuid::Uuid;

use crate::helpers::{TestApp, Till, expect_error};

const KEYRING_SERVICE: &str = "nexus-pos-board-test";
/// María, a cashier of the demo store with one register.
const MARIA: &str = "1111";
/// Only a guard against a hang: the tests wait for what they expect, never
/// for an amount of time.
const GUARD: Duration = Duration::from_secs(60);

/// A real terminal enrolled with central.
struct Store {
    terminal: Arc<Terminal>,
    client: Arc<SyncClient>,
    _dir: tempfile::TempDir,
}

impl Store {
    /// A blank terminal enrolled through `url` with a fresh code of the
    /// demo store's main branch.
    async fn enroll(app: &TestApp, hq: &str, url: &str, name: &str) -> Store {
        let branches: Value = app.get("/v1/branches", hq).await.json().await.unwrap();
        let branch =
            branches.as_array().unwrap().iter().find(|b| b["name"] == "Principal").unwrap()["id"].clone();
        let res = app.post("/v1/devices/enrollment-codes", hq, json!({ "branch_id": branch })).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let code = res.json::<Value>().await.unwrap()["code"].as_str().unwrap().to_owned();
        let dir = tempfile::tempdir().unwrap();
        let options = Options { keyring_service: KEYRING_SERVICE.into(), ..Options::default() };
        let terminal = Arc::new(Terminal::open(dir.path(), options).expect("a terminal"));
        enroll(terminal.clone(), url, &code, name).await.expect("the terminal enrolls");
        let client =
            SyncClient::new(terminal.clone(), Pacing::default()).unwrap().expect("an enrolled terminal");
        Store { terminal, client, _dir: dir }
    }

    fn device_id(&self) -> Uuid {
        self.terminal.device().unwrap().device_id
    }

    /// One round: everything pushed and settled, then pulled.
    async fn sync(&self) {
        self.client.round().await.expect("a sync round");
        assert_eq!(self.terminal.outbox_status().unwrap().pending, 0, "everything settled");
    }

    /// María opens her register with 500.00.
    fn open(&self) -> Uuid {
        self.terminal.login(MARIA).unwrap();
        let home = self.terminal.home().unwrap();
        let register = home.registers.iter().find(|r| !r.in_use).expect("María's register");
        self.terminal
            .open_session(&OpenSession { cash_register_id: register.id, opening_amount: "500".into() })
            .expect("the session opens")
            .id
    }

    /// `quantity` of the first product, paid with 5,000.00 in cash.
    fn sell(&self, session: Uuid, quantity: i64) -> Receipt {
        let product = self.terminal.search_products("", 1).unwrap().remove(0);
        self.terminal
            .sell(&NewSale {
                cash_session_id: session,
                customer_id: None,
                price_tier: Default::default(),
                lines: vec![NewSaleLine { product_id: product.id, quantity, discount_bp: 0 }],
                payment: PaymentInput { cash: Some("5000".into()), ..Default::default() },
            })
            .expect("the sale commits")
    }

    fn move_cash(&self, session: Uuid, kind: MovementKind, amount: &str) {
        self.terminal
            .move_cash(&NewMovement {
                cash_session_id: session,
                kind,
                amount: amount.into(),
                reason: "Fondo y retiro".into(),
            })
            .expect("the movement commits");
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = self.terminal.forget_secrets();
    }
}

/// A central with the demo store, and its HQ owner's session.
async fn demo(app: &TestApp) -> (Uuid, String) {
    let demo = nexus_central::testing::demo_tenant(&app.central).await.expect("the demo tenant");
    (demo.tenant_id, nexus_central::testing::demo_hq_token(&app.central).await)
}

async fn board_of(app: &TestApp, hq: &str) -> Value {
    let res = app.get("/v1/board", hq).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn sessions(board: &Value) -> &Vec<Value> {
    board["sessions"].as_array().expect("sessions")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_session_is_on_the_board_with_its_sales_expected_cash_and_device() {
    let app = TestApp::spawn().await;
    let (_, hq) = demo(&app).await;
    let store = Store::enroll(&app, &hq, &app.url(""), "Mostrador Norte").await;
    let session = store.open();
    let first = store.sell(session, 1);
    let second = store.sell(session, 2);
    let cancelled = store.sell(session, 3);
    store
        .terminal
        .cancel_sale(&CancelSale {
            sale_id: cancelled.sale_id,
            reason: "Se equivocó".into(),
            cash_session_id: None,
        })
        .unwrap();
    store.move_cash(session, MovementKind::In, "50");
    store.move_cash(session, MovementKind::Out, "100");
    store.sync().await;

    let board = board_of(&app, &hq).await;
    let [s] = sessions(&board).as_slice() else { panic!("one open session: {board}") };
    // The terminal's own Z report is the close's arithmetic: the board agrees to the cent.
    let z = store.terminal.session_report(session).unwrap();
    assert_eq!(s["session_id"], json!(session));
    assert_eq!(s["cashier_name"], json!(z.session.opened_by_name));
    assert_eq!(s["register_name"], json!(z.session.register_name));
    assert_eq!(s["branch_name"], "Principal");
    assert_eq!(s["sales_count"], 2, "the cancelled sale is not counted");
    assert_eq!(s["sales_count"], z.sales_count);
    assert_eq!(s["sales_total_cents"], first.totals.total.cents() + second.totals.total.cents());
    assert_eq!(s["sales_total_cents"], z.sales_total_cents);
    assert_eq!(s["opening_cents"], 50_000);
    assert_eq!(s["expected_cash_cents"], z.expected_cents);
    assert_eq!(
        z.expected_cents,
        50_000 + first.totals.total.cents() + second.totals.total.cents() + 5_000 - 10_000,
        "opening + the two kept sales + cash in − cash out"
    );
    assert_eq!(s["opened_at"], json!(z.session.opened_at));
    assert_eq!(s["device"]["id"], json!(store.device_id()));
    assert_eq!(s["device"]["name"], "Mostrador Norte");
    assert_eq!(s["device"]["pending_ops"], 0, "the round's pull reported an empty outbox");
    assert_eq!(s["device"]["app_version"], nexus_terminal::outbox::APP_VERSION);
    assert_eq!(s["offline"], false);
    assert_eq!(s["conflicted"], false);
    assert_eq!(board["offline_after_secs"], 120);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_reports_ops_it_has_not_sent_and_the_board_keeps_its_last_known_figures() {
    let app = TestApp::spawn().await;
    let (_, hq) = demo(&app).await;
    let store = Store::enroll(&app, &hq, &app.url(""), "Mostrador").await;
    let session = store.open();
    store.sell(session, 1);
    store.sync().await;
    // Two sales central has not received; the terminal only pulls.
    store.sell(session, 1);
    store.sell(session, 2);
    let pending = store.terminal.unsettled_ops(10).unwrap();
    assert_eq!(pending.len(), 2);
    store.client.pull().await.unwrap();

    let board = board_of(&app, &hq).await;
    let s = &sessions(&board)[0];
    assert_eq!(s["device"]["pending_ops"], 2);
    assert_eq!(s["device"]["oldest_pending_at"], json!(pending[0].device_time));
    assert_eq!(s["sales_count"], 1, "central shows what it has, not what it was told");
    assert_eq!(s["offline"], false);

    store.sync().await;
    let board = board_of(&app, &hq).await;
    let s = &sessions(&board)[0];
    assert_eq!((s["sales_count"].clone(), s["device"]["pending_ops"].clone()), (json!(3), json!(0)));
    assert_eq!(s["device"]["oldest_pending_at"], Value::Null);
    assert_eq!(s["expected_cash_cents"], store.terminal.session_report(session).unwrap().expected_cents);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_session_leaves_the_board() {
    let app = TestApp::spawn().await;
    let (_, hq) = demo(&app).await;
    let store = Store::enroll(&app, &hq, &app.url(""), "Mostrador").await;
    let session = store.open();
    store.sell(session, 1);
    store.sync().await;
    assert_eq!(sessions(&board_of(&app, &hq).await).len(), 1);
    let z = store.terminal.session_report(session).unwrap();
    store
        .terminal
        .close_session(&CloseSession {
            cash_session_id: session,
            counted_amount: Some(nexus_domain::Money::from_cents(z.expected_cents).to_decimal_string()),
            denominations: None,
            confirm_zero: false,
        })
        .unwrap();
    store.sync().await;
    assert_eq!(sessions(&board_of(&app, &hq).await).len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_not_heard_from_is_offline_and_its_session_stays_listed() {
    let app = TestApp::spawn().await;
    let (tenant, hq) = demo(&app).await;
    let store = Store::enroll(&app, &hq, &app.url(""), "Mostrador").await;
    let session = store.open();
    let sale = store.sell(session, 1);
    store.sync().await;
    let (_, db) = app.central.tenant(tenant).await.unwrap();
    let now = Utc::now();
    let heard = board::read(&app.central, tenant, &db, now, board::DEFAULT_OFFLINE_AFTER).await.unwrap();
    assert!(!heard.sessions[0].offline);
    // Three minutes on without a word from the store.
    let later = now + chrono::Duration::minutes(3);
    let silent = board::read(&app.central, tenant, &db, later, board::DEFAULT_OFFLINE_AFTER).await.unwrap();
    let [s] = silent.sessions.as_slice() else { panic!("the session is still listed: {silent:?}") };
    assert!(s.offline);
    assert_eq!(s.session_id, session);
    assert_eq!((s.sales_count, s.sales_total_cents), (1, sale.totals.total.cents()), "its last known state");
    let device = s.device.as_ref().expect("its device");
    assert!(device.heard_secs_ago.is_some_and(|secs| secs >= 180), "{device:?}");
    assert_eq!(device.pending_ops, Some(0));
    // The threshold is the caller's: a tenant that waits ten minutes still sees it online.
    let patient = board::read(&app.central, tenant, &db, later, chrono::Duration::minutes(10)).await.unwrap();
    assert!(!patient.sessions[0].offline);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenants_sessions_never_appear_on_the_board() {
    let app = TestApp::spawn().await;
    let (_, hq_a) = demo(&app).await;
    let store = Store::enroll(&app, &hq_a, &app.url(""), "Mostrador").await;
    let session_a = store.open();
    store.sync().await;
    // Tenant B: a till of its own opens a session on a register of its own.
    let b = app.provision("Otra Refaccionaria").await;
    let hq_b = app.hq(&b).await;
    let mut till = Till::enroll(&app, &b, &hq_b).await;
    let (register, session_b) = (Uuid::now_v7(), Uuid::now_v7());
    let now = Utc::now();
    let ops = vec![
        till.op(
            "register_saved",
            Some(b.owner_id),
            json!({ "id": register, "branch_id": b.branch_id, "name": "Caja B", "register_number": 1,
                    "device_id": null, "is_active": true, "updated_at": now, "hlc": now.timestamp_millis() << 16 }),
        ),
        till.op(
            "session_opened",
            Some(b.owner_id),
            json!({ "session_id": session_b, "cash_register_id": register, "opened_by": b.owner_id,
                    "opening_cents": 12_345, "opened_at": now }),
        ),
    ];
    let pushed = till.push(&app, ops).await;
    assert_eq!(pushed["applied"], 2, "{pushed}");

    let board_a = board_of(&app, &hq_a).await;
    let ids_a: Vec<&Value> = sessions(&board_a).iter().map(|s| &s["session_id"]).collect();
    assert_eq!(ids_a, vec![&json!(session_a)]);
    let board_b = board_of(&app, &hq_b).await;
    let [s] = sessions(&board_b).as_slice() else { panic!("B sees its own session only: {board_b}") };
    assert_eq!(s["session_id"], json!(session_b));
    assert_eq!(s["expected_cash_cents"], 12_345);
    assert_eq!(s["device"]["id"], json!(till.device_id));
    assert_eq!(s["device"]["pending_ops"], Value::Null, "a till that sends no report");
    assert_eq!(s["offline"], false, "its push was heard");
}

#[tokio::test]
async fn a_counter_token_or_a_device_credential_opens_no_board() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let device = app.device(&t, &hq).await;
    let counter = app.token(&device, &t.owner_pin).await;
    for path in ["/v1/board", "/v1/board/events"] {
        for token in [counter.as_str(), device.as_str(), "garbage"] {
            expect_error(app.get(path, token).await, StatusCode::FORBIDDEN, "hq_login_required").await;
        }
        let res = app.request(reqwest::Method::GET, path, None, None).await;
        expect_error(res, StatusCode::UNAUTHORIZED, "token_required").await;
    }
    // A read-only auditor watches the board.
    let auditor = app.hq_as(&t, "auditor").await;
    assert_eq!(sessions(&board_of(&app, &auditor).await).len(), 0);
    // An ended session watches nothing.
    assert_eq!(app.post("/v1/hq/logout", &hq, json!({})).await.status(), StatusCode::NO_CONTENT);
    expect_error(app.get("/v1/board", &hq).await, StatusCode::UNAUTHORIZED, "hq_session_ended").await;
}

#[tokio::test]
async fn a_hostile_report_is_refused_and_nothing_of_its_push_is_written() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let mut till = Till::enroll(&app, &t, &hq).await;
    let op = till.op("access", Some(t.owner_id), json!({ "event": "login" }));
    for (report, code) in [
        (json!({ "pending_ops": -1 }), "field_invalid"),
        (json!({ "pending_ops": 1, "app_version": "x".repeat(41) }), "field_too_long"),
        (json!({ "pending_ops": 1, "app_version": "1.0\u{7}" }), "field_invalid"),
        (json!({ "pending_ops": 0, "oldest_pending_at": Utc::now() }), "field_invalid"),
    ] {
        let res = app
            .post("/v1/sync/push", &till.credential, json!({ "ops": [op.clone()], "report": report }))
            .await;
        expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, code).await;
    }
    let mut db = app.tenant_db(&t).await;
    let written: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_ops").fetch_one(&mut db).await.unwrap();
    let heard: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_devices WHERE last_heard_at IS NOT NULL")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!((written, heard), (0, 0));
    for (query, code) in [
        ("pending_ops=-3", "field_invalid"),
        ("app_version=1.0", "field_required"),
        ("pending_ops=2&app_version=%07", "field_invalid"),
    ] {
        let res = app.get(&format!("/v1/sync/pull?{query}"), &till.credential).await;
        expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, code).await;
    }
    // A well-formed report is taken, and an old terminal's push without one too.
    let pushed = till.push(&app, vec![op]).await;
    assert_eq!(pushed["applied"], 1);
    let res = app.get("/v1/sync/pull?pending_ops=4&app_version=9.9.9", &till.credential).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (pending, version): (Option<i64>, Option<String>) =
        sqlx::query_as("SELECT pending_ops, app_version FROM sync_devices WHERE device_id = $1")
            .bind(till.device_id)
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!((pending, version.as_deref()), (Some(4), Some("9.9.9")));
}

/// A stream of server-sent events, read as it arrives.
struct Events {
    res: reqwest::Response,
    buf: Vec<u8>,
}

impl Events {
    async fn open(app: &TestApp, hq: &str) -> Events {
        let res = app.get("/v1/board/events", hq).await;
        assert_eq!(res.status(), StatusCode::OK);
        let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        Events { res, buf: Vec::new() }
    }

    /// The next `board` event's data; comments (keep-alives) are skipped.
    async fn next(&mut self, deadline: Instant) -> Value {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buf.drain(..end + 2).collect();
                let block = String::from_utf8(block).unwrap();
                let (mut event, mut data) = (None, String::new());
                for line in block.lines() {
                    if let Some(name) = line.strip_prefix("event:") {
                        event = Some(name.trim().to_owned());
                    } else if let Some(d) = line.strip_prefix("data:") {
                        data.push_str(d.strip_prefix(' ').unwrap_or(d));
                    }
                }
                if event.as_deref() == Some("board") {
                    return serde_json::from_str(&data).unwrap();
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.res.chunk())
                .await
                .expect("the board event came before the guard")
                .expect("the stream reads")
                .expect("the stream goes on");
            self.buf.extend_from_slice(&chunk);
        }
    }

    /// Board events until one satisfies `check`.
    async fn until(&mut self, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + GUARD;
        loop {
            let board = self.next(deadline).await;
            if check(&board) {
                return board;
            }
        }
    }
}

/// No refresh in the test's lifetime: an event can only come from a change.
fn no_refresh(s: Settings) -> Settings {
    Settings { board_refresh_secs: 86_400, ..s }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_handled_by_one_instance_reaches_the_board_stream_of_every_instance() {
    let a = TestApp::spawn_with(no_refresh).await;
    let b = a.another_instance_with(no_refresh).await;
    let (_, hq) = demo(&a).await;
    // The store talks to instance B only.
    let store = Store::enroll(&a, &hq, &b.url(""), "Mostrador").await;
    let mut on_a = Events::open(&a, &hq).await;
    let mut on_b = Events::open(&b, &hq).await;
    for events in [&mut on_a, &mut on_b] {
        let first = events.until(|_| true).await;
        assert_eq!(sessions(&first).len(), 0, "the board at once, empty");
    }
    let session = store.open();
    let sale = store.sell(session, 2);
    store.sync().await;
    let expected = store.terminal.session_report(session).unwrap().expected_cents;
    for events in [&mut on_a, &mut on_b] {
        let board = events
            .until(|b| {
                sessions(b).first().is_some_and(|s| s["sales_count"] == 1 && s["device"]["pending_ops"] == 0)
            })
            .await;
        let s = &sessions(&board)[0];
        assert_eq!(s["session_id"], json!(session));
        assert_eq!(s["sales_total_cents"], sale.totals.total.cents());
        assert_eq!(s["expected_cash_cents"], expected);
    }
}
