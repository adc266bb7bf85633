//! Remote close: the owner asks central to close a till's abandoned open
//! session; the till's answer closes it "by the owner, not counted", and a
//! count the till made first stands. Never two closes of one session.

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Tenant, TestApp, Till, audit_rows, expect_error};
use nexus_domain::EmployeeId;

/// A register made through `till` by the owner; its id.
async fn register(app: &TestApp, t: &Tenant, till: &mut Till, number: i64) -> Uuid {
    let id = Uuid::now_v7();
    let now = Utc::now();
    let op = till.op(
        "register_saved",
        Some(t.owner_id),
        json!({ "id": id, "branch_id": t.branch_id, "name": format!("Caja {number}"), "register_number": number,
                "device_id": null, "is_active": true, "updated_at": now,
                "hlc": now.timestamp_millis() << 16 }),
    );
    let answer = till.push(app, vec![op]).await;
    assert_eq!(answer["applied"], 1, "{answer}");
    id
}

/// A session opened on `till` by a new cashier and pushed; its id and the cashier.
async fn open_session(app: &TestApp, t: &Tenant, hq: &str, till: &mut Till) -> (Uuid, Uuid) {
    let register = register(app, t, till, 1).await;
    let (cashier, _) = app.employee(hq, "Cajera", "cashier").await;
    let session = Uuid::now_v7();
    let op = till.op(
        "session_opened",
        Some(EmployeeId(cashier)),
        json!({ "session_id": session, "cash_register_id": register, "opened_by": cashier,
                "opening_cents": 50_000, "opened_at": Utc::now() }),
    );
    let answer = till.push(app, vec![op]).await;
    assert_eq!(answer["applied"], 1, "{answer}");
    (session, cashier)
}

fn drawer() -> Value {
    json!({ "opening": 50_000, "cash_received": 0, "change_given": 0, "cash_in": 0, "cash_out": 0 })
}

/// The till's own close with a count of `counted` cents.
fn counted_close(till: &mut Till, session: Uuid, cashier: Uuid, counted: i64) -> Value {
    till.op(
        "session_closed",
        Some(EmployeeId(cashier)),
        json!({ "session_id": session, "closed_by": cashier, "counted_cents": counted, "expected_cents": 50_000,
                "difference_cents": counted - 50_000, "denominations": null, "drawer": drawer(),
                "closed_at": Utc::now() }),
    )
}

/// The close a till makes on the owner's request `request`.
fn owner_close(till: &mut Till, t: &Tenant, session: Uuid, request: Uuid) -> Value {
    till.op(
        "session_closed_by_owner",
        Some(t.owner_id),
        json!({ "session_id": session, "request_id": request, "closed_by": t.owner_id,
                "expected_cents": 50_000, "drawer": drawer(), "closed_at": Utc::now() }),
    )
}

async fn ask(app: &TestApp, hq: &str, session: Uuid, reason: &str) -> reqwest::Response {
    app.post(&format!("/v1/sessions/{session}/remote-close"), hq, json!({ "reason": reason })).await
}

/// The session at central: status, counted, difference, expected (cents).
async fn session_row(
    app: &TestApp,
    t: &Tenant,
    session: Uuid,
) -> (String, Option<i64>, Option<i64>, Option<i64>) {
    let mut db = app.tenant_db(t).await;
    sqlx::query_as(
        "SELECT status, (counted_amount * 100)::int8, (difference * 100)::int8, (expected_amount * 100)::int8
         FROM cash_sessions WHERE id = $1",
    )
    .bind(session)
    .fetch_one(&mut db)
    .await
    .unwrap()
}

async fn requests(app: &TestApp, hq: &str) -> Vec<Value> {
    let res = app.get("/v1/sessions/remote-closes", hq).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn request_count(app: &TestApp, t: &Tenant) -> i64 {
    let mut db = app.tenant_db(t).await;
    sqlx::query_scalar("SELECT count(*) FROM remote_close_requests").fetch_one(&mut db).await.unwrap()
}

#[tokio::test]
async fn the_owner_asks_to_close_an_open_session_and_the_request_is_recorded_audited_and_sent_down_the_feed()
{
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let mut till = Till::enroll(&app, &t, &hq).await;
    let (session, _) = open_session(&app, &t, &hq, &mut till).await;
    let pulled: Value = app.get("/v1/sync/pull?after=0", &till.credential).await.json().await.unwrap();
    let cursor = pulled["cursor"].as_i64().unwrap();

    let res = ask(&app, &hq, session, "  La cajera se fue sin cerrar  ").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let made: Value = res.json().await.unwrap();
    assert_eq!(made["status"], "pending");
    assert_eq!(made["reason"], "La cajera se fue sin cerrar");
    assert_eq!(made["cash_session_id"], json!(session));
    assert_eq!(made["device_id"], till.device_id.to_string());
    assert_eq!(made["requested_by"], json!(t.owner_id));

    let listed = requests(&app, &hq).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], made["id"]);
    // Central has not closed anything: the till owns the session.
    assert_eq!(session_row(&app, &t, session).await.0, "OPEN");

    let mut db = app.tenant_db(&t).await;
    let audit = audit_rows(&mut db, "CASH_SESSION_REMOTE_CLOSE_REQUEST").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].entity_id.as_deref(), Some(session.to_string().as_str()));
    assert_eq!(audit[0].employee_id, Some(t.owner_id.0));
    assert_eq!(audit[0].new_value.as_ref().unwrap()["reason"], "La cajera se fue sin cerrar");

    let page: Value =
        app.get(&format!("/v1/sync/pull?after={cursor}"), &till.credential).await.json().await.unwrap();
    let down: Vec<&Value> =
        page["changes"].as_array().unwrap().iter().filter(|c| c["type"] == "remote_close").collect();
    assert_eq!(down.len(), 1, "{page}");
    assert_eq!(down[0]["cash_session_id"], json!(session));
    assert_eq!(down[0]["status"], "pending");
    assert_eq!(down[0]["device_id"], till.device_id.to_string());
}

#[tokio::test]
async fn a_remote_close_is_refused_to_anyone_but_the_owner_and_for_sessions_not_open_or_not_theirs() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let mut till = Till::enroll(&app, &t, &hq).await;
    let (session, cashier) = open_session(&app, &t, &hq, &mut till).await;

    // Not the owner: an admin or an accountant at HQ, a counter PIN token.
    let admin = app.hq_as(&t, "admin").await;
    expect_error(ask(&app, &admin, session, "Abandonada").await, StatusCode::FORBIDDEN, "hq_owner_required")
        .await;
    let accountant = app.hq_as(&t, "accountant").await;
    expect_error(
        ask(&app, &accountant, session, "Abandonada").await,
        StatusCode::FORBIDDEN,
        "hq_owner_required",
    )
    .await;
    let counter = app.token(&till.credential, &t.owner_pin).await;
    let res = ask(&app, &counter, session, "Abandonada").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "{}", res.text().await.unwrap());
    // A till's own credential is no HQ session either.
    let res = ask(&app, &till.credential, session, "Abandonada").await;
    assert!(matches!(res.status(), StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED), "{}", res.status());

    // Missing or hostile fields.
    expect_error(ask(&app, &hq, session, "   ").await, StatusCode::UNPROCESSABLE_ENTITY, "field_required")
        .await;
    expect_error(
        ask(&app, &hq, session, &"x".repeat(501)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "field_too_long",
    )
    .await;
    expect_error(ask(&app, &hq, session, "a\u{7}b").await, StatusCode::UNPROCESSABLE_ENTITY, "field_invalid")
        .await;
    let res = app.post(&format!("/v1/sessions/{session}/remote-close"), &hq, json!({})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post(&format!("/v1/sessions/{session}/remote-close"), &hq, json!({ "reason": "x", "force": true }))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Unknown, and another tenant's session: not found, in Spanish.
    let body = expect_error(
        ask(&app, &hq, Uuid::now_v7(), "Abandonada").await,
        StatusCode::NOT_FOUND,
        "session_not_found",
    )
    .await;
    assert_eq!(body["message"], "Sesión de caja no encontrada");
    let other = app.provision("Otra").await;
    let other_hq = app.hq(&other).await;
    expect_error(
        ask(&app, &other_hq, session, "Abandonada").await,
        StatusCode::NOT_FOUND,
        "session_not_found",
    )
    .await;
    assert!(requests(&app, &other_hq).await.is_empty(), "the other tenant sees nothing of ours");
    assert_eq!(request_count(&app, &t).await, 0, "no refusal wrote anything");

    // Once asked, a second request waits for the first.
    assert_eq!(ask(&app, &hq, session, "Abandonada").await.status(), StatusCode::CREATED);
    expect_error(ask(&app, &hq, session, "Otra vez").await, StatusCode::CONFLICT, "remote_close_pending")
        .await;

    // A closed session is not closed again.
    let op = counted_close(&mut till, session, cashier, 50_000);
    let answer = till.push(&app, vec![op]).await;
    assert_eq!(answer["applied"], 1, "{answer}");
    expect_error(ask(&app, &hq, session, "Abandonada").await, StatusCode::CONFLICT, "session_not_open").await;
    assert_eq!(request_count(&app, &t).await, 1);

    // The list is for HQ sessions that may see cash.
    let res = app.get("/v1/sessions/remote-closes", &counter).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(requests(&app, &accountant).await.len(), 1);
}

#[tokio::test]
async fn the_tills_answer_to_a_pending_request_closes_the_session_not_counted_exactly_once() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let mut till = Till::enroll(&app, &t, &hq).await;
    let (session, _) = open_session(&app, &t, &hq, &mut till).await;
    let made: Value = ask(&app, &hq, session, "Abandonada").await.json().await.unwrap();
    let request: Uuid = made["id"].as_str().unwrap().parse().unwrap();

    let op = owner_close(&mut till, &t, session, request);
    let answer = till.push(&app, vec![op]).await;
    assert_eq!(
        (answer["applied"].as_i64(), answer["rejected"].as_array().unwrap().len()),
        (Some(1), 0),
        "{answer}"
    );
    assert_eq!(session_row(&app, &t, session).await, ("CLOSED".into(), None, None, Some(50_000)));
    let listed = requests(&app, &hq).await;
    assert_eq!(listed[0]["status"], "applied");
    assert!(listed[0]["settled_at"].is_string());
    let mut db = app.tenant_db(&t).await;
    let closed_by: Option<Uuid> = sqlx::query_scalar("SELECT closed_by FROM cash_sessions WHERE id = $1")
        .bind(session)
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(closed_by, Some(t.owner_id.0), "closed by the owner who asked");

    // The same answer again (a replayed op under a new seq) closes nothing twice.
    let op = owner_close(&mut till, &t, session, request);
    let answer = till.push(&app, vec![op]).await;
    assert_eq!(answer["rejected"].as_array().unwrap().len(), 1, "{answer}");
    assert_eq!(session_row(&app, &t, session).await, ("CLOSED".into(), None, None, Some(50_000)));
}

#[tokio::test]
async fn a_not_counted_close_that_answers_no_pending_request_of_the_owner_is_rejected() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let mut till = Till::enroll(&app, &t, &hq).await;
    let mut other_till = Till::enroll(&app, &t, &hq).await;
    let (session, _) = open_session(&app, &t, &hq, &mut till).await;

    // Forged: no request at all.
    let op = owner_close(&mut till, &t, session, Uuid::now_v7());
    let answer = till.push(&app, vec![op]).await;
    assert_eq!(answer["rejected"].as_array().unwrap().len(), 1, "{answer}");
    assert_eq!(session_row(&app, &t, session).await.0, "OPEN");

    // A real request, answered by another till: refused, still pending.
    let made: Value = ask(&app, &hq, session, "Abandonada").await.json().await.unwrap();
    let request: Uuid = made["id"].as_str().unwrap().parse().unwrap();
    let op = owner_close(&mut other_till, &t, session, request);
    let answer = other_till.push(&app, vec![op]).await;
    assert_eq!(answer["rejected"].as_array().unwrap().len(), 1, "{answer}");
    assert_eq!(session_row(&app, &t, session).await.0, "OPEN");

    // A request of one session answering for another session of the till.
    let (second, _) = {
        let register = register(&app, &t, &mut till, 2).await;
        let (cashier, _) = app.employee(&hq, "Otra cajera", "cashier").await;
        let id = Uuid::now_v7();
        let op = till.op(
            "session_opened",
            Some(EmployeeId(cashier)),
            json!({ "session_id": id, "cash_register_id": register, "opened_by": cashier,
                    "opening_cents": 50_000, "opened_at": Utc::now() }),
        );
        let answer = till.push(&app, vec![op]).await;
        assert_eq!(answer["applied"], 1, "{answer}");
        (id, cashier)
    };
    let op = owner_close(&mut till, &t, second, request);
    let answer = till.push(&app, vec![op]).await;
    assert_eq!(answer["rejected"].as_array().unwrap().len(), 1, "{answer}");
    assert_eq!(session_row(&app, &t, second).await.0, "OPEN");
    assert_eq!(requests(&app, &hq).await[0]["status"], "pending");
}

#[tokio::test]
async fn the_tills_own_count_supersedes_a_pending_request_and_no_second_close_follows() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let mut till = Till::enroll(&app, &t, &hq).await;
    let (session, cashier) = open_session(&app, &t, &hq, &mut till).await;
    // The till closed offline with its count; meanwhile the owner asks.
    let own_close = counted_close(&mut till, session, cashier, 49_000);
    let made: Value = ask(&app, &hq, session, "Abandonada").await.json().await.unwrap();
    let request: Uuid = made["id"].as_str().unwrap().parse().unwrap();

    let answer = till.push(&app, vec![own_close]).await;
    assert_eq!(answer["applied"], 1, "{answer}");
    assert_eq!(
        session_row(&app, &t, session).await,
        ("CLOSED".into(), Some(49_000), Some(-1_000), Some(50_000))
    );
    let listed = requests(&app, &hq).await;
    assert_eq!(listed[0]["status"], "superseded");
    assert!(listed[0]["settled_at"].is_string());

    // An answer to the superseded request changes nothing.
    let op = owner_close(&mut till, &t, session, request);
    let answer = till.push(&app, vec![op]).await;
    assert_eq!(answer["rejected"].as_array().unwrap().len(), 1, "{answer}");
    assert_eq!(
        session_row(&app, &t, session).await,
        ("CLOSED".into(), Some(49_000), Some(-1_000), Some(50_000))
    );
    assert_eq!(requests(&app, &hq).await[0]["status"], "superseded");
}
