//! Alerts for headquarters: raised by what tills push and by central's
//! clock moving on, listed, counted, acknowledged with a note, with
//! thresholds of each tenant's own.

use chrono::{DateTime, Duration, Utc};
use nexus_central::alerts::{self, AlertSettings, DeviceReport};
use nexus_domain::EmployeeId;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Tenant, TestApp, Till, audit_rows, expect_error};

/// A register made through a till by the owner; its id.
pub async fn register(app: &TestApp, t: &Tenant, till: &mut Till, number: i64) -> Uuid {
    let id = Uuid::now_v7();
    let op = till.op(
        "register_saved",
        Some(t.owner_id),
        json!({ "id": id, "branch_id": t.branch_id, "name": format!("Caja {number}"), "register_number": number,
                "device_id": null, "is_active": true, "updated_at": Utc::now(),
                "hlc": Utc::now().timestamp_millis() << 16 }),
    );
    let answer = till.push(app, vec![op]).await;
    assert_eq!(answer["applied"], 1, "{answer}");
    id
}

/// A session of `cashier` on `register` opened at `at`, pushed; its id.
pub async fn open(app: &TestApp, till: &mut Till, cashier: Uuid, register: Uuid, at: DateTime<Utc>) -> Uuid {
    let session = Uuid::now_v7();
    let op = till.op(
        "session_opened",
        Some(EmployeeId(cashier)),
        json!({ "session_id": session, "cash_register_id": register, "opened_by": cashier,
                "opening_cents": 10_000, "opened_at": at }),
    );
    let answer = till.push(app, vec![op]).await;
    assert_eq!(answer["applied"], 1, "{answer}");
    session
}

/// Closes a session that holds its opening $100.00, counting `counted_cents`.
async fn close(app: &TestApp, till: &mut Till, cashier: Uuid, session: Uuid, counted_cents: i64) {
    let op = till.op(
        "session_closed",
        Some(EmployeeId(cashier)),
        json!({ "session_id": session, "closed_by": cashier, "counted_cents": counted_cents,
                "expected_cents": 10_000, "difference_cents": counted_cents - 10_000, "denominations": null,
                "drawer": { "opening": 10_000, "cash_received": 0, "change_given": 0, "cash_in": 0, "cash_out": 0 },
                "closed_at": app.central.clock.now() }),
    );
    let answer = till.push(app, vec![op]).await;
    assert_eq!(answer["applied"], 1, "{answer}");
}

async fn open_alerts(app: &TestApp, hq: &str) -> Vec<Value> {
    let res = app.get("/v1/alerts", hq).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap().as_array().unwrap().clone()
}

async fn count(app: &TestApp, hq: &str) -> i64 {
    let res = app.get("/v1/alerts/count", hq).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap()["open"].as_i64().unwrap()
}

fn of_kind<'a>(alerts: &'a [Value], kind: &str) -> Vec<&'a Value> {
    alerts.iter().filter(|a| a["kind"] == kind).collect()
}

async fn ack(app: &TestApp, hq: &str, id: &Value, note: Value) -> reqwest::Response {
    app.post(&format!("/v1/alerts/{}/ack", id.as_str().unwrap()), hq, json!({ "note": note })).await
}

async fn put_settings(app: &TestApp, hq: &str, body: Value) -> reqwest::Response {
    app.request(Method::PUT, "/v1/alerts/settings", Some(hq), Some(body)).await
}

/// A tenant with headquarters, a till, a register and a cashier.
struct Store {
    t: Tenant,
    hq: String,
    till: Till,
    register: Uuid,
    cashier: Uuid,
}

async fn store(app: &TestApp, name: &str) -> Store {
    let t = app.provision(name).await;
    let hq = app.hq(&t).await;
    let mut till = Till::enroll(app, &t, &hq).await;
    let register = register(app, &t, &mut till, 1).await;
    let (cashier, _) = app.employee(&hq, "Ana", "cashier").await;
    Store { t, hq, till, register, cashier }
}

#[tokio::test]
async fn a_session_open_past_eight_hours_is_an_alert_until_acknowledged_and_only_a_new_one_comes_back() {
    let app = TestApp::spawn().await;
    let mut s = store(&app, "Tienda").await;
    let session = open(&app, &mut s.till, s.cashier, s.register, app.central.clock.now()).await;
    assert_eq!(count(&app, &s.hq).await, 0, "a session just opened is no alert");

    app.central.clock.advance(Duration::hours(9)).unwrap();
    assert_eq!(count(&app, &s.hq).await, 1);
    let listed = open_alerts(&app, &s.hq).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let alert = &listed[0];
    assert_eq!(alert["kind"], "session_open_too_long");
    assert_eq!(alert["cash_session_id"], json!(session));
    assert_eq!(alert["branch_id"], json!(s.t.branch_id));
    assert!(alert["summary"].as_str().unwrap().contains("Ana"), "{alert}");
    assert!(alert["acknowledged_at"].is_null());
    // Looking again raises nothing more.
    assert_eq!(open_alerts(&app, &s.hq).await.len(), 1);

    let res = ack(&app, &s.hq, &alert["id"], json!("  Hablé con Ana; cierra al terminar.  ")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let acked: Value = res.json().await.unwrap();
    assert_eq!(acked["ack_note"], "Hablé con Ana; cierra al terminar.");
    assert!(acked["acknowledged_at"].is_string() && acked["acknowledged_by"].is_string(), "{acked}");
    assert_eq!(count(&app, &s.hq).await, 0);
    assert!(open_alerts(&app, &s.hq).await.is_empty());
    let all: Value = app.get("/v1/alerts?all=true", &s.hq).await.json().await.unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(all[0]["ack_note"], "Hablé con Ana; cierra al terminar.");
    let mut db = app.tenant_db(&s.t).await;
    let audited = audit_rows(&mut db, "ALERT_ACK").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].entity_id.as_deref(), alert["id"].as_str());
    assert_eq!(audited[0].new_value.as_ref().unwrap()["note"], "Hablé con Ana; cierra al terminar.");
    expect_error(
        ack(&app, &s.hq, &alert["id"], json!("otra vez")).await,
        StatusCode::CONFLICT,
        "alert_acknowledged",
    )
    .await;

    // The same session, hours later still, stays acknowledged…
    app.central.clock.advance(Duration::hours(9)).unwrap();
    assert_eq!(count(&app, &s.hq).await, 0);
    // …a new session that runs as long is a new alert.
    close(&app, &mut s.till, s.cashier, session, 10_000).await;
    let next = open(&app, &mut s.till, s.cashier, s.register, app.central.clock.now()).await;
    app.central.clock.advance(Duration::hours(8) + Duration::minutes(1)).unwrap();
    let listed = open_alerts(&app, &s.hq).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["cash_session_id"], json!(next));
}

#[tokio::test]
async fn a_close_whose_difference_exceeds_the_threshold_either_way_raises_one_alert() {
    let app = TestApp::spawn().await;
    let mut s = store(&app, "Tienda").await;
    let (beto, _) = app.employee(&s.hq, "Beto", "cashier").await;
    let second = register(&app, &s.t, &mut s.till, 2).await;
    // $150.00 over, $50.00 short, and exactly $100.00 short: only the first
    // passes the default $100.00.
    let over = open(&app, &mut s.till, s.cashier, s.register, app.central.clock.now()).await;
    let short = open(&app, &mut s.till, beto, second, app.central.clock.now()).await;
    close(&app, &mut s.till, s.cashier, over, 10_000 + 15_000).await;
    close(&app, &mut s.till, beto, short, 10_000 - 5_000).await;
    let edge = open(&app, &mut s.till, beto, second, app.central.clock.now()).await;
    close(&app, &mut s.till, beto, edge, 0).await;
    let listed = open_alerts(&app, &s.hq).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["kind"], "close_difference");
    assert_eq!(listed[0]["cash_session_id"], json!(over));
    assert_eq!(listed[0]["detail"]["difference_cents"], 15_000);
    assert_eq!(listed[0]["detail"]["threshold_cents"], 10_000);
    assert!(listed[0]["summary"].as_str().unwrap().contains("sobrante de $150.00"), "{}", listed[0]);
}

#[tokio::test]
async fn sync_conflicts_and_a_broken_audit_chain_raise_alerts_with_both_sides() {
    let app = TestApp::spawn().await;
    let mut s = store(&app, "Tienda").await;
    let mut other = Till::enroll(&app, &s.t, &s.hq).await;
    let second = register(&app, &s.t, &mut other, 2).await;
    // Ana opens on two tills at once: the second till's session is a conflict.
    let first = open(&app, &mut s.till, s.cashier, s.register, app.central.clock.now()).await;
    let elsewhere = open(&app, &mut other, s.cashier, second, app.central.clock.now()).await;
    let listed = open_alerts(&app, &s.hq).await;
    let conflicts = of_kind(&listed, "sync_conflict");
    assert_eq!(conflicts.len(), 1, "{listed:?}");
    let alert = conflicts[0];
    assert_eq!(alert["device_id"], json!(other.device_id));
    assert_eq!(alert["detail"]["conflict_kind"], "cashier_session_elsewhere");
    assert_eq!(alert["detail"]["conflict"]["existing"]["cash_session_id"], json!(first));
    assert_eq!(alert["detail"]["conflict"]["received"]["cash_session_id"], json!(elsewhere));
    let mut db = app.tenant_db(&s.t).await;
    let recorded: Uuid =
        sqlx::query_scalar("SELECT id FROM sync_conflicts WHERE kind = 'cashier_session_elsewhere'")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!(alert["conflict_id"], json!(recorded));

    // An op whose audit entry does not follow the device's chain.
    let mut forged = s.till.op("access", None, json!({ "event": "lock" }));
    forged["audit"]["prev_hash"] = json!("ab".repeat(32));
    let answer = s.till.push(&app, vec![forged]).await;
    assert_eq!(answer["conflicts"], 1, "{answer}");
    let listed = open_alerts(&app, &s.hq).await;
    let broken = of_kind(&listed, "audit_chain_broken");
    assert_eq!(broken.len(), 1, "{listed:?}");
    assert_eq!(broken[0]["device_id"], json!(s.till.device_id));
    assert_eq!(broken[0]["detail"]["conflict_kind"], "audit_chain_break");
    assert_eq!(count(&app, &s.hq).await, 2);
}

#[tokio::test]
async fn thresholds_changed_by_one_tenant_take_effect_there_and_only_there() {
    let app = TestApp::spawn().await;
    let mut a = store(&app, "Norte").await;
    let mut b = store(&app, "Sur").await;
    let defaults: Value = app.get("/v1/alerts/settings", &a.hq).await.json().await.unwrap();
    assert_eq!(
        defaults,
        json!({ "session_open_hours": 8, "close_difference_threshold_cents": 10_000,
                "device_silent_minutes": 30, "outbox_max_age_hours": 4 })
    );
    let stricter = json!({ "session_open_hours": 2, "close_difference_threshold_cents": 1_000,
                           "device_silent_minutes": 15, "outbox_max_age_hours": 1 });
    let res = put_settings(&app, &a.hq, stricter.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap(), stricter);
    assert_eq!(app.get("/v1/alerts/settings", &a.hq).await.json::<Value>().await.unwrap(), stricter);
    assert_eq!(app.get("/v1/alerts/settings", &b.hq).await.json::<Value>().await.unwrap(), defaults);
    let mut db = app.tenant_db(&a.t).await;
    let audited = audit_rows(&mut db, "ALERT_SETTINGS_UPDATE").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].old_value.as_ref(), Some(&defaults));
    assert_eq!(audited[0].new_value.as_ref(), Some(&stricter));

    let sa = open(&app, &mut a.till, a.cashier, a.register, app.central.clock.now()).await;
    let sb = open(&app, &mut b.till, b.cashier, b.register, app.central.clock.now()).await;
    app.central.clock.advance(Duration::hours(3)).unwrap();
    assert_eq!(count(&app, &a.hq).await, 1);
    assert_eq!(count(&app, &b.hq).await, 0);
    // $20.00 short: beyond Norte's $10.00, within Sur's $100.00.
    close(&app, &mut a.till, a.cashier, sa, 8_000).await;
    close(&app, &mut b.till, b.cashier, sb, 8_000).await;
    assert_eq!(of_kind(&open_alerts(&app, &a.hq).await, "close_difference").len(), 1);
    assert!(open_alerts(&app, &b.hq).await.is_empty());
}

#[tokio::test]
async fn hostile_or_missing_fields_are_refused_in_spanish_and_change_nothing() {
    let app = TestApp::spawn().await;
    let mut s = store(&app, "Tienda").await;
    let good = json!({ "session_open_hours": 8, "close_difference_threshold_cents": 10_000,
                       "device_silent_minutes": 30, "outbox_max_age_hours": 4 });
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let without = {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove("outbox_max_age_hours");
        body
    };
    let refused = [
        (with("session_open_hours", json!(0)), "field_invalid"),
        (with("session_open_hours", json!(169)), "field_invalid"),
        (with("close_difference_threshold_cents", json!(-1)), "field_invalid"),
        (with("close_difference_threshold_cents", json!(1_000_000_000_000_i64)), "field_invalid"),
        (with("device_silent_minutes", json!(0)), "field_invalid"),
        (with("outbox_max_age_hours", json!(721)), "field_invalid"),
        (with("session_open_hours", json!("8")), "invalid_body"),
        (with("close_difference_threshold_cents", json!(100.5)), "invalid_body"),
        (with("session_open_hours", json!(1e12)), "invalid_body"),
        (with("tenant_id", json!(Uuid::now_v7())), "invalid_body"),
        (without, "invalid_body"),
    ];
    for (body, code) in refused {
        let res = put_settings(&app, &s.hq, body.clone()).await;
        let error = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, code).await;
        if code == "field_invalid" {
            let field = body.as_object().unwrap().iter().find(|(k, v)| good[k.as_str()] != **v).unwrap().0;
            assert!(error["message"].as_str().unwrap().contains(field.as_str()), "{error}");
            assert!(error["message"].as_str().unwrap().contains("debe ser"), "{error}");
        }
    }
    assert_eq!(app.get("/v1/alerts/settings", &s.hq).await.json::<Value>().await.unwrap(), good);

    let session = open(&app, &mut s.till, s.cashier, s.register, app.central.clock.now()).await;
    close(&app, &mut s.till, s.cashier, session, 30_000).await;
    let id = open_alerts(&app, &s.hq).await[0]["id"].clone();
    for note in [json!(""), json!("   "), json!("x".repeat(501)), json!("a\u{7}b"), json!(12), Value::Null] {
        let res = ack(&app, &s.hq, &id, note.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{note}");
    }
    let res = app.post(&format!("/v1/alerts/{}/ack", id.as_str().unwrap()), &s.hq, json!({})).await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    let res = app.post("/v1/alerts/no-es-un-id/ack", &s.hq, json!({ "note": "visto" })).await;
    expect_error(res, StatusCode::BAD_REQUEST, "invalid_path").await;
    assert_eq!(count(&app, &s.hq).await, 1, "nothing was acknowledged");
    let mut db = app.tenant_db(&s.t).await;
    assert!(audit_rows(&mut db, "ALERT_%").await.is_empty());
    // A note of exactly 500 characters is taken.
    assert_eq!(ack(&app, &s.hq, &id, json!("ñ".repeat(500))).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn who_reads_who_acknowledges_and_another_tenants_alert_is_not_found() {
    let app = TestApp::spawn().await;
    let mut s = store(&app, "Tienda").await;
    let session = open(&app, &mut s.till, s.cashier, s.register, app.central.clock.now()).await;
    close(&app, &mut s.till, s.cashier, session, 30_000).await;
    let id = open_alerts(&app, &s.hq).await[0]["id"].clone();
    let ack_path = format!("/v1/alerts/{}/ack", id.as_str().unwrap());

    // A counter PIN token opens nothing here, not even reading.
    let device = app.device(&s.t, &s.hq).await;
    let counter = app.token(&device, &s.t.owner_pin).await;
    for res in [
        app.get("/v1/alerts", &counter).await,
        app.get("/v1/alerts/count", &counter).await,
        app.get("/v1/alerts/settings", &counter).await,
        put_settings(&app, &counter, json!({})).await,
        app.post(&ack_path, &counter, json!({ "note": "visto" })).await,
    ] {
        expect_error(res, StatusCode::FORBIDDEN, "hq_login_required").await;
    }
    // The auditor and the accountant read; neither acknowledges nor sets thresholds.
    for role in ["auditor", "accountant"] {
        let hq = app.hq_as(&s.t, role).await;
        assert_eq!(count(&app, &hq).await, 1, "{role}");
        assert_eq!(open_alerts(&app, &hq).await.len(), 1, "{role}");
        expect_error(
            app.post(&ack_path, &hq, json!({ "note": "visto" })).await,
            StatusCode::FORBIDDEN,
            "alert_ack_forbidden",
        )
        .await;
        let settings = app.get("/v1/alerts/settings", &hq).await.json::<Value>().await.unwrap();
        expect_error(put_settings(&app, &hq, settings).await, StatusCode::FORBIDDEN, "forbidden").await;
    }
    assert_eq!(count(&app, &s.hq).await, 1);

    // Another tenant's owner cannot reach this alert: it does not exist there.
    let other = app.provision("Otra").await;
    let other_hq = app.hq(&other).await;
    expect_error(
        app.post(&ack_path, &other_hq, json!({ "note": "visto" })).await,
        StatusCode::NOT_FOUND,
        "alert_not_found",
    )
    .await;
    assert!(open_alerts(&app, &other_hq).await.is_empty());
    assert_eq!(count(&app, &other_hq).await, 0);

    // An admin acknowledges.
    let admin = app.hq_as(&s.t, "admin").await;
    assert_eq!(
        app.post(&ack_path, &admin, json!({ "note": "Revisado con la cajera" })).await.status(),
        StatusCode::OK
    );
    assert_eq!(count(&app, &s.hq).await, 0);
}

#[tokio::test]
async fn a_till_locked_by_wrong_pins_raises_one_pin_lockout_alert() {
    let app = TestApp::spawn().await;
    let mut s = store(&app, "Tienda").await;
    let wrong_pin = |till: &mut Till| {
        till.op_audited_as("access", "LOGIN_FAILED", None, json!({ "event": "login_failed" }))
    };
    // Nine wrong PINs lock nothing; the tenth, in another push, locks the till.
    let nine: Vec<Value> = (0..9).map(|_| wrong_pin(&mut s.till)).collect();
    s.till.push(&app, nine).await;
    assert!(of_kind(&open_alerts(&app, &s.hq).await, "pin_lockout").is_empty());
    let tenth = wrong_pin(&mut s.till);
    s.till.push(&app, vec![tenth]).await;
    let listed = open_alerts(&app, &s.hq).await;
    let locked = of_kind(&listed, "pin_lockout");
    assert_eq!(locked.len(), 1, "{listed:?}");
    assert_eq!(locked[0]["device_id"], json!(s.till.device_id));
    assert_eq!(locked[0]["detail"]["source"], "terminal");
    // Another failure while the lock holds is the same lockout.
    let eleventh = wrong_pin(&mut s.till);
    s.till.push(&app, vec![eleventh]).await;
    assert_eq!(of_kind(&open_alerts(&app, &s.hq).await, "pin_lockout").len(), 1);
    // Other access events count for nothing.
    let login = s.till.op_audited_as("access", "LOGIN", None, json!({ "event": "login" }));
    s.till.push(&app, vec![login]).await;
    assert_eq!(count(&app, &s.hq).await, 1);
}

#[tokio::test]
async fn a_counter_locked_at_central_by_wrong_pins_raises_a_pin_lockout_alert() {
    let app = TestApp::spawn().await;
    let s = store(&app, "Tienda").await;
    let device = app.device(&s.t, &s.hq).await;
    let device_id = crate::helpers::device_id(&device);
    // Nine failures a few minutes ago (none within the last minute, so no
    // slow-down); the tenth, now, locks the device.
    let master: sqlx::PgPool = app.central.dbs.master.clone();
    sqlx::query(
        "INSERT INTO login_attempts (tenant_id, device_id, succeeded, attempted_at)
         SELECT $1, $2, FALSE, NOW() - interval '5 minutes' FROM generate_series(1, 9)",
    )
    .bind(s.t.tenant_id.0)
    .bind(device_id.to_string())
    .execute(&master)
    .await
    .unwrap();
    let wrong = if s.t.owner_pin == "000000" { "111111" } else { "000000" };
    expect_error(app.login(&device, wrong).await, StatusCode::UNAUTHORIZED, "wrong_pin").await;
    let listed = open_alerts(&app, &s.hq).await;
    let locked = of_kind(&listed, "pin_lockout");
    assert_eq!(locked.len(), 1, "{listed:?}");
    assert_eq!(locked[0]["device_id"], json!(device_id));
    assert_eq!(locked[0]["detail"]["source"], "central");
}

#[tokio::test]
async fn a_revoked_device_still_trying_raises_one_alert_counting_its_attempts() {
    let app = TestApp::spawn().await;
    let mut s = store(&app, "Tienda").await;
    let res = app.post(&format!("/v1/devices/{}/revoke", s.till.device_id), &s.hq, json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    for _ in 0..2 {
        let op = s.till.op("access", None, json!({ "event": "login" }));
        let res = app.post("/v1/sync/push", &s.till.credential, json!({ "ops": [op] })).await;
        expect_error(res, StatusCode::UNAUTHORIZED, "device_revoked").await;
    }
    let res = app.get("/v1/sync/pull", &s.till.credential).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "device_revoked").await;
    // A credential with the wrong secret is no attempt of the device.
    let forged = format!("nxd.{}.{}", s.till.device_id, "00".repeat(32));
    assert_eq!(app.get("/v1/sync/pull", &forged).await.status(), StatusCode::UNAUTHORIZED);
    let listed = open_alerts(&app, &s.hq).await;
    let revoked = of_kind(&listed, "revoked_device");
    assert_eq!(revoked.len(), 1, "{listed:?}");
    assert_eq!(revoked[0]["device_id"], json!(s.till.device_id));
    assert_eq!(revoked[0]["occurrences"], 3);
    assert!(revoked[0]["summary"].as_str().unwrap().contains("Caja de prueba"), "{}", revoked[0]);
}

#[tokio::test]
async fn a_silent_device_with_pending_ops_and_a_stale_outbox_raise_alerts_once_per_silence() {
    let app = TestApp::spawn().await;
    let s = store(&app, "Tienda").await;
    let (_, pool) = app.central.tenant(s.t.tenant_id.0).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let settings = AlertSettings::default();
    let now = app.central.clock.now();
    let heard = now - Duration::minutes(45);
    let silent = DeviceReport {
        device_id: s.till.device_id,
        branch_id: Some(s.t.branch_id.0),
        name: "Caja 1".into(),
        last_heard_at: heard,
        pending_ops: 12,
        oldest_pending_at: Some(now - Duration::hours(5)),
    };
    let idle = DeviceReport {
        device_id: Uuid::now_v7(),
        name: "Caja 2".into(),
        pending_ops: 0,
        oldest_pending_at: None,
        ..silent.clone()
    };
    let raised =
        alerts::check_devices(&mut conn, &settings, now, &[silent.clone(), idle.clone()]).await.unwrap();
    assert_eq!(raised, 2);
    let listed = open_alerts(&app, &s.hq).await;
    assert_eq!(of_kind(&listed, "device_silent").len(), 1, "{listed:?}");
    assert_eq!(of_kind(&listed, "outbox_stale").len(), 1, "{listed:?}");
    assert!(listed.iter().all(|a| a["device_id"] == json!(s.till.device_id)), "{listed:?}");
    // Checked again later, the same silence is the same alert.
    let later = now + Duration::minutes(10);
    assert_eq!(
        alerts::check_devices(&mut conn, &settings, later, std::slice::from_ref(&silent)).await.unwrap(),
        0
    );
    // Heard from, then silent again: a new silence.
    let again = DeviceReport { last_heard_at: later, ..silent };
    assert_eq!(
        alerts::check_devices(&mut conn, &settings, later + Duration::hours(1), &[again]).await.unwrap(),
        1
    );
    assert_eq!(count(&app, &s.hq).await, 3);
}
