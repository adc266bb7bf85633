//! Terminals and central over loopback HTTP, against real PostgreSQL and
//! real SQLite files: everything a terminal commits reaches headquarters
//! exactly once, whatever the network and the processes do on the way.

use std::collections::BTreeSet;
use std::time::Duration;

use nexus_central::settings::ExposeSecret;
use nexus_domain::employee::NewEmployee;
use nexus_domain::sync::{Op, OpKind};
use nexus_e2e::cluster::{ADMIN, Hq, JUAN, MARIA, Store, close, open, sell};
use nexus_e2e::proxy::{Proxy, Rng};
use nexus_terminal::cash_session::OpenSession;
use nexus_terminal::movements::{MovementKind, NewMovement};
use uuid::Uuid;

/// Every op of `store` is at central exactly once, in seq order, applied,
/// with its audit chain whole; every sale is there once; every closed
/// session balances.
async fn assert_exactly_once(hq: &Hq, store: &Store, context: &str) {
    let device = store.terminal.device().unwrap().device_id;
    let ops: Vec<Op> = store.terminal.ops_after(0, 1_000_000).unwrap();
    let head = ops.len() as i64;
    assert_eq!(store.terminal.outbox_status().unwrap().head_seq, head, "{context}");
    let (last_seq,): (i64,) = sqlx::query_as("SELECT last_seq FROM sync_devices WHERE device_id = $1")
        .bind(device)
        .fetch_one(&hq.db)
        .await
        .unwrap();
    assert_eq!(last_seq, head, "{context}: central settled everything");
    let (count, min, max, rejected): (i64, Option<i64>, Option<i64>, i64) = sqlx::query_as(
        "SELECT count(*), min(seq), max(seq), count(*) FILTER (WHERE status = 'rejected') FROM sync_ops WHERE device_id = $1",
    )
    .bind(device)
    .fetch_one(&hq.db)
    .await
    .unwrap();
    assert_eq!(
        (count, min, max, rejected),
        (head, Some(1), Some(head), 0),
        "{context}: each op once, in order"
    );
    let (entries, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT seq) FROM audit_log WHERE chain = $1")
            .bind(device.to_string())
            .fetch_one(&hq.db)
            .await
            .unwrap();
    assert_eq!((entries, distinct), (head, head), "{context}: the audit chain arrived whole");
    let sales: Vec<Uuid> = ops
        .iter()
        .filter(|o| o.kind == OpKind::SaleCompleted)
        .map(|o| o.payload["sale_id"].as_str().unwrap().parse().unwrap())
        .collect();
    let at_central: i64 = sqlx::query_scalar("SELECT count(*) FROM sales WHERE id = ANY($1)")
        .bind(&sales)
        .fetch_one(&hq.db)
        .await
        .unwrap();
    assert_eq!(at_central, sales.len() as i64, "{context}: every sale once");
    let items: i64 = sqlx::query_scalar("SELECT count(*) FROM sale_items WHERE sale_id = ANY($1)")
        .bind(&sales)
        .fetch_one(&hq.db)
        .await
        .unwrap();
    let expected_items: usize = ops
        .iter()
        .filter(|o| o.kind == OpKind::SaleCompleted)
        .map(|o| o.payload["items"].as_array().unwrap().len())
        .sum();
    assert_eq!(items, expected_items as i64, "{context}: every item once");
    let bad: Vec<(String, serde_json::Value)> = sqlx::query_as(
        "SELECT kind, detail FROM sync_conflicts WHERE device_id = $1
         AND kind IN ('session_unbalanced', 'audit_chain_break', 'audit_entry_altered', 'audit_entry_unreadable')",
    )
    .bind(device)
    .fetch_all(&hq.db)
    .await
    .unwrap();
    assert!(bad.is_empty(), "{context}: {bad:?}");
    let unbalanced: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM cash_sessions s WHERE s.device_id = $1 AND s.status = 'CLOSED' AND s.expected_amount <> (
            s.opening_amount
            + coalesce((SELECT sum(p.tendered) FROM sale_payments p JOIN sales v ON v.id = p.sale_id
                        WHERE v.cash_session_id = s.id AND p.method = 'efectivo'), 0)
            - coalesce((SELECT sum(change_given) FROM sales WHERE cash_session_id = s.id), 0)
            + coalesce((SELECT sum(amount) FROM cash_movements WHERE cash_session_id = s.id AND type = 'in'), 0)
            - coalesce((SELECT sum(amount) FROM cash_movements WHERE cash_session_id = s.id AND type IN ('out', 'expense')), 0))",
    )
    .bind(device.to_string())
    .fetch_one(&hq.db)
    .await
    .unwrap();
    assert_eq!(unbalanced, 0, "{context}: every closed session balances");
}

/// The terminal's employees are central's.
async fn assert_converged(hq: &Hq, store: &Store, context: &str) {
    let central: Vec<(Uuid, String, bool)> =
        sqlx::query_as("SELECT id, name, is_active FROM employees ORDER BY id")
            .fetch_all(&hq.db)
            .await
            .unwrap();
    store.terminal.login(ADMIN).unwrap();
    let mut local: Vec<(Uuid, String, bool)> =
        store.terminal.employees(true).unwrap().into_iter().map(|e| (e.id.0, e.name, e.is_active)).collect();
    local.sort();
    assert_eq!(local, central, "{context}: employees converged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrolled_terminal_takes_the_reference_data_and_its_shift_reaches_hq_once() {
    let hq = Hq::start().await;
    let store = Store::enroll(&hq, &hq.url(), "Mostrador 1").await;
    let status = store.terminal.status().unwrap();
    assert_eq!(
        (status.sync.mode.as_str(), status.store_name.as_deref()),
        ("enrolled", Some("Refaccionaria Demo"))
    );
    store.terminal.login(MARIA).unwrap();
    assert_eq!(store.terminal.search_products("", 100).unwrap().len(), 20, "the products came down");
    let mut rng = Rng::new(1);
    let session = open(&store.terminal, MARIA, "500");
    sell(&store.terminal, session, &mut rng);
    sell(&store.terminal, session, &mut rng);
    store
        .terminal
        .move_cash(&NewMovement {
            cash_session_id: session,
            kind: MovementKind::Out,
            amount: "100".into(),
            reason: "Retiro".into(),
        })
        .unwrap();
    close(&store.terminal, session);
    store.settle().await;
    assert!(store.terminal.status().unwrap().sync.online);
    assert_exactly_once(&hq, &store, "one shift").await;
    let (status, conflicted): (String, bool) =
        sqlx::query_as("SELECT status, conflicted FROM cash_sessions WHERE id = $1")
            .bind(session)
            .fetch_one(&hq.db)
            .await
            .unwrap();
    assert_eq!((status.as_str(), conflicted), ("CLOSED", false));
    // Pushing again changes nothing: a full replay is all duplicates.
    let ops = store.terminal.ops_after(0, 10_000).unwrap();
    let device = store.terminal.device().unwrap();
    let replay = reqwest::Client::new()
        .post(format!("{}/v1/sync/push", hq.url()))
        .bearer_auth(device.central.as_ref().unwrap().credential.expose_secret())
        .json(&nexus_domain::sync::PushRequest { ops: ops.clone(), report: None })
        .send()
        .await
        .unwrap();
    let replay: nexus_domain::sync::PushResponse = replay.json().await.unwrap();
    assert_eq!((replay.duplicates, replay.applied), (ops.len(), 0));
    assert_exactly_once(&hq, &store, "after a replay").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_employee_created_on_one_terminal_logs_in_on_another_after_one_round() {
    let hq = Hq::start().await;
    let a = Store::enroll(&hq, &hq.url(), "A").await;
    let b = Store::enroll(&hq, &hq.url(), "B").await;
    a.terminal.login(ADMIN).unwrap();
    let pedro = a
        .terminal
        .create_employee(&NewEmployee {
            name: "Pedro Nuevo".into(),
            email: None,
            phone: None,
            role: "cashier".into(),
            branch_id: None,
            max_discount_bp: None,
            permissions: None,
        })
        .unwrap();
    a.client.round().await.unwrap();
    b.client.round().await.unwrap();
    let who = b.terminal.login(&pedro.pin).unwrap();
    assert_eq!(who.employee_id, pedro.employee.id);
    assert_converged(&hq, &b, "B after one round").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_edit_not_yet_pushed_wins_over_an_older_central_row() {
    let hq = Hq::start().await;
    let a = Store::enroll(&hq, &hq.url(), "A").await;
    // HQ renames Juan; then, later, terminal A renames him offline.
    let juan: Uuid = sqlx::query_scalar("SELECT id FROM employees WHERE name = 'Juan Pérez'")
        .fetch_one(&hq.db)
        .await
        .unwrap();
    sqlx::query("UPDATE employees SET name = 'Juan (central)', hlc = 1, origin = 'central' WHERE id = $1")
        .bind(juan)
        .execute(&hq.db)
        .await
        .unwrap();
    a.terminal.login(ADMIN).unwrap();
    a.terminal
        .update_employee(
            nexus_domain::EmployeeId(juan),
            &nexus_domain::employee::EmployeeChanges {
                name: Some("Juan (tienda)".into()),
                ..Default::default()
            },
        )
        .unwrap();
    // A pull before the push does not undo the local edit…
    a.client.pull().await.unwrap();
    let name =
        |t: &Store| t.terminal.employees(true).unwrap().into_iter().find(|e| e.id.0 == juan).unwrap().name;
    assert_eq!(name(&a), "Juan (tienda)");
    // …and once pushed, it wins at central too.
    a.settle().await;
    let at_central: String = sqlx::query_scalar("SELECT name FROM employees WHERE id = $1")
        .bind(juan)
        .fetch_one(&hq.db)
        .await
        .unwrap();
    assert_eq!(at_central, "Juan (tienda)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_at_headquarters_reaches_a_terminal_that_edited_the_same_row_before() {
    let hq = Hq::start().await;
    let a = Store::enroll(&hq, &hq.url(), "A").await;
    let juan: Uuid = sqlx::query_scalar("SELECT id FROM employees WHERE name = 'Juan Pérez'")
        .fetch_one(&hq.db)
        .await
        .unwrap();
    // The terminal's edit reaches central and becomes the row's version…
    a.terminal.login(ADMIN).unwrap();
    a.terminal
        .update_employee(
            nexus_domain::EmployeeId(juan),
            &nexus_domain::employee::EmployeeChanges {
                name: Some("Juan (tienda)".into()),
                ..Default::default()
            },
        )
        .unwrap();
    a.settle().await;
    // …then the owner deactivates Juan through central's API.
    let http = reqwest::Client::new();
    let token = nexus_central::testing::demo_hq_token(&hq.central).await;
    let deactivated = http
        .post(format!("{}/v1/employees/{juan}/deactivate", hq.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(deactivated.status().is_success(), "{}", deactivated.text().await.unwrap());
    // One round later the terminal refuses him.
    a.client.round().await.unwrap();
    let juan_here = a.terminal.employees(true).unwrap().into_iter().find(|e| e.id.0 == juan).unwrap();
    assert!(!juan_here.is_active, "the deactivation reached the terminal");
    assert!(a.terminal.login(JUAN).is_err());
    assert_converged(&hq, &a, "after an edit at HQ").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_register_made_and_assigned_at_headquarters_opens_at_a_terminal_after_a_pull() {
    let hq = Hq::start().await;
    let store = Store::enroll(&hq, &hq.url(), "Mostrador 1").await;
    let http = reqwest::Client::new();
    let token = nexus_central::testing::demo_hq_token(&hq.central).await;
    let post = |path: &str, body: serde_json::Value| {
        http.post(format!("{}{path}", hq.url())).bearer_auth(&token).json(&body).send()
    };
    let created =
        post("/v1/employees", serde_json::json!({ "name": "Rosa Nueva", "role": "cashier" })).await.unwrap();
    assert!(created.status().is_success(), "{}", created.text().await.unwrap());
    let created: serde_json::Value = created.json().await.unwrap();
    let (rosa, pin) = (created["employee"]["id"].clone(), created["pin"].as_str().unwrap().to_owned());
    let register = post(
        "/v1/registers",
        serde_json::json!({ "name": "Caja Express", "register_number": 7, "branch_id": hq.branch }),
    )
    .await
    .unwrap();
    assert!(register.status().is_success(), "{}", register.text().await.unwrap());
    let register: Uuid =
        register.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().parse().unwrap();
    let assigned = post(
        "/v1/register-assignments",
        serde_json::json!({ "cash_register_id": register, "user_id": rosa, "note": "Caja nueva" }),
    )
    .await
    .unwrap();
    assert!(assigned.status().is_success(), "{}", assigned.text().await.unwrap());
    // Before a pull the terminal knows neither the cashier nor the register.
    assert!(store.terminal.login(&pin).is_err());
    store.client.round().await.unwrap();
    store.terminal.login(&pin).expect("the cashier made at HQ logs in");
    let home = store.terminal.home().unwrap();
    assert_eq!(home.single_cash_register_id, Some(register), "the assignment came down with the register");
    let session = store
        .terminal
        .open_session(&OpenSession { cash_register_id: register, opening_amount: "300".into() })
        .expect("the cashier opens the new register");
    store.settle().await;
    let (at_central, opened_by, status): (Uuid, Uuid, String) =
        sqlx::query_as("SELECT cash_register_id, opened_by, status FROM cash_sessions WHERE id = $1")
            .bind(session.id)
            .fetch_one(&hq.db)
            .await
            .unwrap();
    assert_eq!(
        (at_central, opened_by.to_string(), status.as_str()),
        (register, rosa.as_str().unwrap().to_owned(), "OPEN")
    );
    // Headquarters now sees the session on its register, and keeps the register active.
    let seen: serde_json::Value = http
        .get(format!("{}/v1/registers/{register}", hq.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["open_session_id"], serde_json::json!(session.id));
    let refused = http
        .patch(format!("{}/v1/registers/{register}", hq.url()))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "is_active": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::CONFLICT);
    assert_converged(&hq, &store, "after HQ made a register").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrollment_codes_work_once_and_revoked_devices_are_refused_but_keep_their_data() {
    let hq = Hq::start().await;
    let code = hq.code().await;
    let dir = nexus_e2e::TempDir::new("enroll-once");
    let first =
        std::sync::Arc::new(nexus_terminal::Terminal::open(&dir.0, nexus_e2e::cluster::options()).unwrap());
    nexus_terminal::sync::enroll(first.clone(), &hq.url(), &code, "Uno").await.unwrap();
    let dir2 = nexus_e2e::TempDir::new("enroll-twice");
    let second =
        std::sync::Arc::new(nexus_terminal::Terminal::open(&dir2.0, nexus_e2e::cluster::options()).unwrap());
    let again = nexus_terminal::sync::enroll(second.clone(), &hq.url(), &code, "Dos").await;
    assert!(matches!(again, Err(nexus_terminal::sync::SyncError::CodeInvalid)), "{again:?}");
    assert!(!second.is_set_up());
    // Bad input is refused before anything is sent or written.
    let code_of = |r: Result<(), nexus_terminal::sync::SyncError>| r.unwrap_err().to_body().code;
    let bad_url = nexus_terminal::sync::enroll(second.clone(), "central.example.mx", &code, "Dos").await;
    assert_eq!(code_of(bad_url), "field_invalid");
    let no_code = nexus_terminal::sync::enroll(second.clone(), &hq.url(), "  ", "Dos").await;
    assert_eq!(code_of(no_code), "field_invalid");
    assert!(!second.is_set_up());
    // A terminal already set up is never enrolled again.
    let fresh = hq.code().await;
    let twice = nexus_terminal::sync::enroll(first.clone(), &hq.url(), &fresh, "Uno otra vez").await;
    assert_eq!(code_of(twice), "already_set_up");
    let _ = first.forget_secrets();

    let store = Store::enroll(&hq, &hq.url(), "Mostrador").await;
    let session = open(&store.terminal, MARIA, "100");
    sell(&store.terminal, session, &mut Rng::new(2));
    store.settle().await;
    let device = store.terminal.device().unwrap().device_id;
    nexus_central::devices::revoke(hq.central(), hq.tenant, device, None).await.unwrap();
    sell(&store.terminal, session, &mut Rng::new(3));
    let refused = store.client.round().await.unwrap_err();
    assert!(refused.is_permanent(), "{refused}");
    let status = store.terminal.status().unwrap();
    assert!(
        !status.sync.online && status.sync.last_error.as_deref().unwrap_or_default().contains("revocado"),
        "{status:?}"
    );
    assert_eq!(status.sync.pending_ops, 1, "the sale stays, waiting");
    assert_eq!(store.terminal.session_report(session).unwrap().sales_count, 2, "the data stays");
}

/// Polls `done` until it holds; a deadline only keeps a broken build from
/// hanging the suite.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn set_tenant_active(hq: &Hq, active: bool) {
    sqlx::query("UPDATE tenants SET is_active = $2 WHERE id = $1")
        .bind(hq.tenant)
        .bind(active)
        .execute(&hq.central.dbs.master)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_loop_retries_through_refusals_and_outages_and_stops_only_when_revoked() {
    let hq = Hq::start().await;
    let proxy = Proxy::start(&hq.url(), base_seed()).await;
    let store = Store::enroll(&hq, &proxy.url(), "Mostrador").await;
    let pending = || store.terminal.outbox_status().unwrap().pending;
    let last_error = || store.terminal.status().unwrap().sync.last_error.unwrap_or_default();
    let fast = nexus_terminal::sync::Pacing {
        interval: Duration::from_millis(50),
        debounce: Duration::from_millis(10),
        min_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
        request_timeout: Duration::from_secs(5),
    };
    let client = nexus_terminal::sync::SyncClient::new(store.terminal.clone(), fast).unwrap().unwrap();
    let running = tokio::spawn(client.run());

    // Headquarters deactivates the company for a while: central answers 401.
    set_tenant_active(&hq, false).await;
    let session = open(&store.terminal, MARIA, "100");
    sell(&store.terminal, session, &mut Rng::new(6));
    eventually("central refused the device's credential", || last_error().contains("desactivada")).await;
    // Then the network between them fails (502s, lost answers, late deliveries).
    proxy.set_faulty(true, base_seed());
    set_tenant_active(&hq, true).await;
    let faults = proxy.faults();
    eventually("the loop kept trying through the faults", || proxy.faults() > faults + 5).await;
    assert!(!running.is_finished(), "a refusal or an outage never stops the loop");
    // Once both are set right, what waited arrives without a restart.
    proxy.set_faulty(false, 0);
    eventually("the sale reached central", || pending() == 0).await;
    assert_exactly_once(&hq, &store, "after refusals and faults").await;

    // A revoked device is final: the loop stops, the data stays.
    let device = store.terminal.device().unwrap().device_id;
    nexus_central::devices::revoke(hq.central(), hq.tenant, device, None).await.unwrap();
    sell(&store.terminal, session, &mut Rng::new(7));
    eventually("the loop stopped", || running.is_finished()).await;
    assert!(last_error().contains("revocado"), "{}", last_error());
    assert_eq!(pending(), 1, "the sale stays, waiting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mistyped_or_expired_enrollment_code_says_so() {
    let hq = Hq::start().await;
    let dir = nexus_e2e::TempDir::new("enroll-typo");
    let terminal =
        std::sync::Arc::new(nexus_terminal::Terminal::open(&dir.0, nexus_e2e::cluster::options()).unwrap());
    let real = hq.code().await;
    // One character off, then the real code after it expired.
    let typo = format!("{}{}", &real[..real.len() - 1], if real.ends_with('A') { 'B' } else { 'A' });
    sqlx::query("UPDATE enrollment_codes SET expires_at = NOW() - interval '1 minute'")
        .execute(&hq.central.dbs.master)
        .await
        .unwrap();
    for code in [typo.as_str(), real.as_str()] {
        let refused =
            nexus_terminal::sync::enroll(terminal.clone(), &hq.url(), code, "Caja").await.unwrap_err();
        let body = refused.to_body();
        assert_eq!(body.code, "enrollment_code_invalid", "{code}");
        assert!(
            body.message.contains("código de enrolamiento es incorrecto o ya venció"),
            "{}",
            body.message
        );
        assert!(!refused.to_string().contains("rechazó este dispositivo"), "{refused}");
        assert!(!terminal.is_set_up());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_another_machine_is_refused_unless_chosen_and_the_choice_is_kept() {
    let hq = Hq::start().await;
    let dir = nexus_e2e::TempDir::new("enroll-http");
    let open = || {
        std::sync::Arc::new(nexus_terminal::Terminal::open(&dir.0, nexus_e2e::cluster::options()).unwrap())
    };
    let terminal = open();
    let code = hq.code().await;
    // Refused before anything is sent: this address would not even answer.
    let refused =
        nexus_terminal::sync::enroll(terminal.clone(), "http://192.0.2.10:8080", &code, "Caja").await;
    let body = refused.unwrap_err().to_body();
    assert_eq!(body.code, "insecure_central", "{}", body.message);
    assert!(body.message.contains("https://"), "{}", body.message);
    assert!(!terminal.is_set_up());
    // Loopback by name is this machine too.
    let by_name = hq.url().replace("127.0.0.1", "localhost");
    let other = nexus_e2e::TempDir::new("enroll-localhost");
    let local =
        std::sync::Arc::new(nexus_terminal::Terminal::open(&other.0, nexus_e2e::cluster::options()).unwrap());
    nexus_terminal::sync::enroll(local.clone(), &by_name, &code, "Local").await.unwrap();
    assert!(!local.device().unwrap().central.as_ref().unwrap().insecure);
    let _ = local.forget_secrets();
    // The explicit opt-in is stored with the address and survives a restart.
    let fresh = hq.code().await;
    nexus_terminal::sync::enroll_insecure(terminal.clone(), &hq.url(), &fresh, "Caja").await.unwrap();
    assert!(terminal.device().unwrap().central.as_ref().unwrap().insecure);
    drop(terminal);
    let reopened = open();
    assert!(reopened.device().unwrap().central.as_ref().unwrap().insecure);
    let _ = reopened.forget_secrets();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_offline_work_made_possible_is_applied_and_recorded_as_a_conflict() {
    let hq = Hq::start().await;
    let a = Store::enroll(&hq, &hq.url(), "A").await;
    let b = Store::enroll(&hq, &hq.url(), "B").await;
    // Offline, María opens Caja 1 on both terminals and sells on both.
    let mut rng = Rng::new(4);
    let sa = open(&a.terminal, MARIA, "100");
    let sb = open(&b.terminal, MARIA, "200");
    sell(&a.terminal, sa, &mut rng);
    let b_sale = sell(&b.terminal, sb, &mut rng);
    a.settle().await;
    b.settle().await;
    let kinds: BTreeSet<String> = sqlx::query_scalar("SELECT kind FROM sync_conflicts")
        .fetch_all(&hq.db)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert!(kinds.contains("cashier_session_elsewhere") && kinds.contains("register_in_use"), "{kinds:?}");
    let conflicted: bool = sqlx::query_scalar("SELECT conflicted FROM cash_sessions WHERE id = $1")
        .bind(sb)
        .fetch_one(&hq.db)
        .await
        .unwrap();
    assert!(conflicted, "B's session is kept, marked");
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM sales WHERE id = $1")
        .bind(b_sale)
        .fetch_one(&hq.db)
        .await
        .unwrap();
    assert_eq!(kept, 1, "the cash moved: B's sale is applied");

    // HQ deactivates María meanwhile; A's next sale still arrives.
    sqlx::query("UPDATE employees SET is_active = false WHERE name = 'María Cajera'")
        .execute(&hq.db)
        .await
        .unwrap();
    sell(&a.terminal, sa, &mut rng);
    // And someone closed B's session at central behind its back.
    sqlx::query("UPDATE cash_sessions SET status = 'CLOSED', closed_at = NOW() WHERE id = $1")
        .bind(sb)
        .execute(&hq.db)
        .await
        .unwrap();
    sell(&b.terminal, sb, &mut rng);
    a.settle().await;
    b.settle().await;
    let kinds: BTreeSet<String> = sqlx::query_scalar("SELECT kind FROM sync_conflicts")
        .fetch_all(&hq.db)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert!(kinds.contains("employee_inactive") && kinds.contains("session_closed"), "{kinds:?}");
    // HQ sees them over the API, with both sides.
    let token = nexus_central::testing::demo_hq_token(&hq.central).await;
    let listed: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v1/sync/conflicts", hq.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let elsewhere =
        listed.as_array().unwrap().iter().find(|c| c["kind"] == "cashier_session_elsewhere").unwrap();
    assert!(
        elsewhere["detail"]["existing"].is_object() && elsewhere["detail"]["received"].is_object(),
        "{elsewhere}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_op_is_rejected_with_its_reason_and_the_queue_moves_on() {
    let hq = Hq::start().await;
    let store = Store::enroll(&hq, &hq.url(), "A").await;
    let session = open(&store.terminal, MARIA, "100");
    let mut rng = Rng::new(5);
    sell(&store.terminal, session, &mut rng);
    sell(&store.terminal, session, &mut rng);
    // Central lost the product the first sale names (say, a bad import).
    let ops = store.terminal.ops_after(0, 1000).unwrap();
    let sale = ops.iter().find(|o| o.kind == OpKind::SaleCompleted).unwrap();
    let product: Uuid = sale.payload["items"][0]["inventory_id"].as_str().unwrap().parse().unwrap();
    let mut poisoned = ops.clone();
    for op in &mut poisoned {
        if op.seq == sale.seq {
            op.payload["items"][0]["inventory_id"] = serde_json::json!(Uuid::now_v7());
        }
    }
    let device = store.terminal.device().unwrap();
    let answer: nexus_domain::sync::PushResponse = reqwest::Client::new()
        .post(format!("{}/v1/sync/push", hq.url()))
        .bearer_auth(device.central.as_ref().unwrap().credential.expose_secret())
        .json(&nexus_domain::sync::PushRequest { ops: poisoned, report: None })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer.settled_seq, ops.len() as i64, "the queue moved past it");
    assert_eq!(answer.rejected.len(), 1);
    assert_eq!(answer.rejected[0].seq, sale.seq);
    assert!(answer.rejected[0].reason.contains("producto desconocido"), "{:?}", answer.rejected);
    let (status, reason): (String, Option<String>) =
        sqlx::query_as("SELECT status, reason FROM sync_ops WHERE device_id = $1 AND seq = $2")
            .bind(device.device_id)
            .bind(sale.seq)
            .fetch_one(&hq.db)
            .await
            .unwrap();
    assert_eq!(status, "rejected");
    assert!(!reason.unwrap().contains(&product.to_string()));
    // Ops of another device, or a bad credential, are refused outright.
    let wrong = reqwest::Client::new()
        .post(format!("{}/v1/sync/push", hq.url()))
        .bearer_auth("nxd.nope.nope")
        .json(&nexus_domain::sync::PushRequest { ops: vec![], report: None })
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
}

/// One randomized schedule: two stores working and syncing through a
/// faulty network, central sometimes restarted mid-push; then the network
/// heals and everything must be there exactly once.
async fn schedule(hq: &mut Hq, proxy: &Proxy, seed: u64) {
    let mut rng = Rng::new(seed);
    proxy.set_faulty(false, seed);
    let a = Store::enroll(hq, &proxy.url(), "A").await;
    let b = Store::enroll(hq, &proxy.url(), "B").await;
    proxy.set_faulty(true, seed);
    let sa = open(&a.terminal, MARIA, "500");
    let sb = open(&b.terminal, JUAN, "500");
    let mut created = None;
    for step in 0..(8 + rng.below(10)) {
        let (store, session) = if rng.chance(50) { (&a, sa) } else { (&b, sb) };
        match rng.below(10) {
            0 => {
                let kind = if rng.chance(50) { MovementKind::In } else { MovementKind::Out };
                let _ = store.terminal.move_cash(&NewMovement {
                    cash_session_id: session,
                    kind,
                    amount: format!("{}", 1 + rng.below(50)),
                    reason: format!("paso {step}"),
                });
            }
            1 if created.is_none() && std::ptr::eq(store, &a) => {
                a.terminal.login(ADMIN).unwrap();
                created = Some(
                    a.terminal
                        .create_employee(&NewEmployee {
                            name: format!("Empleado {seed}"),
                            email: None,
                            phone: None,
                            role: "cashier".into(),
                            branch_id: None,
                            max_discount_bp: None,
                            permissions: None,
                        })
                        .unwrap(),
                );
                a.terminal.login(MARIA).unwrap();
            }
            _ => {
                sell(&store.terminal, session, &mut rng);
            }
        }
        if rng.chance(40) {
            let which = if rng.chance(50) { &a } else { &b };
            if rng.chance(10) {
                // Central dies (SIGKILL) with a push in flight, or about to.
                let client = which.client.clone();
                let round = tokio::spawn(async move { client.round().await });
                tokio::time::sleep(Duration::from_millis(rng.below(30))).await;
                hq.restart().await;
                let _ = round.await;
            } else {
                let _ = which.client.round().await;
            }
        }
    }
    a.terminal.login(MARIA).unwrap();
    close(&a.terminal, sa);
    b.terminal.login(JUAN).unwrap();
    close(&b.terminal, sb);
    // Heal, and give late deliveries time to land.
    proxy.set_faulty(false, seed);
    tokio::time::sleep(Duration::from_millis(250)).await;
    a.settle().await;
    b.settle().await;
    b.settle().await;
    let context = format!("seed {seed}");
    assert_exactly_once(hq, &a, &context).await;
    assert_exactly_once(hq, &b, &context).await;
    if let Some(new) = created {
        assert_eq!(
            b.terminal.login(&new.pin).unwrap().employee_id,
            new.employee.id,
            "{context}: the new employee reached B"
        );
    }
    assert_converged(hq, &b, &context).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn randomized_schedules_through_a_faulty_network_converge_exactly_once() {
    let runs: u64 = std::env::var("NEXUS_SYNC_SCHEDULES").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let base = base_seed();
    let mut hq = Hq::start().await;
    let proxy = Proxy::start(&hq.url(), base).await;
    for i in 0..runs {
        let seed = base + i;
        eprintln!(
            "schedule {i}: seed {seed} (replay one with NEXUS_SYNC_SEED={seed} NEXUS_SYNC_SCHEDULES=1)"
        );
        schedule(&mut hq, &proxy, seed).await;
    }
    assert!(proxy.faults() > runs, "the network misbehaved ({} faults)", proxy.faults());
}

fn base_seed() -> u64 {
    std::env::var("NEXUS_SYNC_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
            % 1_000_000_000
    })
}

/// Runs the `sync-drill` process on `dir` until it has printed `first`
/// committed actions, calls `meanwhile`, waits for `then` more, kills it
/// with SIGKILL and returns every action it printed (after the kill too:
/// the pipe keeps what was written).
async fn drill(
    dir: &std::path::Path,
    seed: u64,
    first: u64,
    then: u64,
    meanwhile: impl AsyncFnOnce(),
) -> Vec<String> {
    use std::io::BufRead;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(nexus_e2e::workspace().join("target/e2e-drill.log"))
        .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sync-drill"))
        .arg(dir)
        .arg(seed.to_string())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("the drill starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = String::new();
        // A line cut by the kill has no newline: it is not counted.
        while reader.read_line(&mut line).unwrap_or(0) > 0 && line.ends_with('\n') {
            let _ = tx.send(line.trim_end().to_owned());
            line.clear();
        }
    });
    let mut seen = Vec::new();
    let mut take = async |n: u64, seen: &mut Vec<String>| {
        for _ in 0..n {
            match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
                Ok(Some(line)) => seen.push(line),
                _ => panic!("the drill stopped printing (see target/e2e-drill.log)"),
            }
        }
    };
    take(first, &mut seen).await;
    meanwhile().await;
    take(then, &mut seen).await;
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    while let Ok(line) = rx.try_recv() {
        seen.push(line);
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_killed_mid_stream_keeps_what_it_committed_and_hq_gets_it_once() {
    let seed = base_seed();
    eprintln!("seed {seed} (replay with NEXUS_SYNC_SEED={seed})");
    let mut hq = Hq::start().await;
    let proxy = Proxy::start(&hq.url(), seed).await;
    let dir = Store::enroll(&hq, &proxy.url(), "Mostrador").await.release();
    proxy.set_faulty(true, seed);
    let mut rng = Rng::new(seed);
    let mut printed = Vec::new();
    for run in 0..4 {
        let (first, then) = (5 + rng.below(30), 5 + rng.below(30));
        let restart = run % 2 == 1;
        printed.extend(
            drill(&dir.0, seed + run, first, then, async || {
                if restart {
                    // Central dies too, while the terminal pushes.
                    hq.restart().await;
                }
            })
            .await,
        );
    }
    // Whatever the kills cut, the files hold whole actions only.
    let store = Store::reopen(dir);
    let verdict = store.terminal.verify_audit().unwrap();
    assert!(verdict.broken.is_none(), "seed {seed}: {verdict:?}");
    let ops = store.terminal.ops_after(0, 1_000_000).unwrap();
    assert!(
        ops.iter().enumerate().all(|(i, op)| op.seq == i as i64 + 1),
        "seed {seed}: the outbox has no holes"
    );
    let local_ids: BTreeSet<String> = ops.iter().flat_map(op_ids).collect();
    for line in &printed {
        let id = line.split_once(' ').unwrap().1;
        assert!(local_ids.contains(id), "seed {seed}: '{line}' was committed, and it is gone");
    }
    // Heal; the last session is closed at the counter; HQ has everything once.
    let session = open(&store.terminal, MARIA, "500");
    close(&store.terminal, session);
    proxy.set_faulty(false, seed);
    tokio::time::sleep(Duration::from_millis(250)).await;
    store.settle().await;
    assert_exactly_once(&hq, &store, &format!("seed {seed}")).await;
    let sales: Vec<Uuid> =
        printed.iter().filter_map(|l| l.strip_prefix("sale ")).map(|id| id.parse().unwrap()).collect();
    let at_central: i64 = sqlx::query_scalar("SELECT count(*) FROM sales WHERE id = ANY($1)")
        .bind(&sales)
        .fetch_one(&hq.db)
        .await
        .unwrap();
    assert_eq!(at_central, sales.len() as i64, "seed {seed}: every sale the drill printed is at HQ");
    assert!(sales.len() > 10, "seed {seed}: the drill sold ({} sales)", sales.len());
}

/// The ids an op is about: the sale, movement or session it records.
fn op_ids(op: &Op) -> Vec<String> {
    ["sale_id", "movement_id", "session_id", "cash_session_id"]
        .iter()
        .filter_map(|k| op.payload.get(*k).and_then(|v| v.as_str()).map(str::to_owned))
        .collect()
}
