//! What central makes of ops however and whenever they arrive: overlapping
//! sessions found from their times, ops of kinds it does not know parked.

use chrono::{DateTime, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Tenant, TestApp, Till, conflicts_of, expect_error};
use nexus_domain::EmployeeId;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, hour, 0, 0).unwrap()
}

/// A register made through a till by the owner; its id.
async fn register(app: &TestApp, t: &Tenant, till: &mut Till, number: i64) -> Uuid {
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

/// A shift from `from` to `to` o'clock, opened and closed on `till`.
fn shift(till: &mut Till, cashier: Uuid, register: Uuid, from: u32, to: u32) -> (Uuid, Vec<Value>) {
    let session = Uuid::now_v7();
    let by = Some(EmployeeId(cashier));
    let open = till.op(
        "session_opened",
        by,
        json!({ "session_id": session, "cash_register_id": register, "opened_by": cashier,
                "opening_cents": 10_000, "opened_at": at(from) }),
    );
    let close = till.op(
        "session_closed",
        by,
        json!({ "session_id": session, "closed_by": cashier, "counted_cents": 10_000, "expected_cents": 10_000,
                "difference_cents": 0, "denominations": null,
                "drawer": { "opening": 10_000, "cash_received": 0, "change_given": 0, "cash_in": 0, "cash_out": 0 },
                "closed_at": at(to) }),
    );
    (session, vec![open, close])
}

/// The pairs of sessions recorded as overlapping, per kind.
async fn overlaps(app: &TestApp, t: &Tenant, session: Uuid) -> Vec<(String, Value)> {
    let mut db = app.tenant_db(t).await;
    let mut found = Vec::new();
    for kind in ["cashier_session_elsewhere", "register_in_use"] {
        for detail in conflicts_of(&mut db, kind).await {
            if detail["sessions"].as_array().unwrap().contains(&json!(session)) {
                found.push((kind.to_owned(), detail["sessions"].clone()));
            }
        }
    }
    found
}

#[tokio::test]
async fn overlapping_shifts_are_a_conflict_whatever_order_they_arrive_in_closed_or_not() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let mut a = Till::enroll(&app, &t, &hq).await;
    let mut b = Till::enroll(&app, &t, &hq).await;
    let (ana, _) = app.employee(&hq, "Ana", "cashier").await;
    let (beto, _) = app.employee(&hq, "Beto", "cashier").await;
    let (r1, r2) = (register(&app, &t, &mut a, 11).await, register(&app, &t, &mut a, 12).await);

    // Ana on the same register on two tills, 10–12 and 11–13, both closed
    // offline. The earlier one arrives first…
    let (first, ops) = shift(&mut a, ana, r1, 10, 12);
    a.push(&app, ops).await;
    let (second, ops) = shift(&mut b, ana, r1, 11, 13);
    let answer = b.push(&app, ops).await;
    assert_eq!(answer["conflicts"], 2, "{answer}");
    let found = overlaps(&app, &t, second).await;
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|(_, pair)| pair.as_array().unwrap().contains(&json!(first))));

    // …and Beto's on the other register, the later one arriving first.
    let (late, ops) = shift(&mut b, beto, r2, 15, 17);
    b.push(&app, ops).await;
    let (early, ops) = shift(&mut a, beto, r2, 14, 16);
    let answer = a.push(&app, ops).await;
    assert_eq!(answer["conflicts"], 2, "{answer}");
    let found = overlaps(&app, &t, early).await;
    let kinds: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["cashier_session_elsewhere", "register_in_use"]);
    assert!(found.iter().all(|(_, pair)| pair.as_array().unwrap().contains(&json!(late))));

    // Back to back is no overlap: 17–18 after 15–17 on the same register.
    let (after, ops) = shift(&mut a, beto, r2, 17, 18);
    let answer = a.push(&app, ops).await;
    assert_eq!(answer["conflicts"], 0, "{answer}");
    assert!(overlaps(&app, &t, after).await.is_empty());
    // A shift still open that began inside a closed one is found on arrival.
    let (open, mut ops) = shift(&mut b, ana, r1, 12, 14);
    ops.truncate(1);
    let answer = b.push(&app, ops).await;
    assert_eq!(answer["conflicts"], 2, "{answer}");
    let found = overlaps(&app, &t, open).await;
    assert!(found.iter().all(|(_, pair)| pair.as_array().unwrap().contains(&json!(second))), "{found:?}");
}

#[tokio::test]
async fn an_op_of_an_unknown_kind_is_parked_settled_listed_and_the_rest_applied() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let mut till = Till::enroll(&app, &t, &hq).await;
    let customer = |name: &str| {
        json!({ "id": Uuid::now_v7(), "branch_id": null, "name": name, "phone": null, "rfc": null,
                "price_tier": 1, "created_at": Utc::now() })
    };
    let (before, after) = (customer("Antes"), customer("Después"));
    let ops = vec![
        till.op("customer_saved", Some(t.owner_id), before.clone()),
        till.op("stock_counted", Some(t.owner_id), json!({ "counts": [{ "sku": "A-1", "qty": 3 }] })),
        till.op("customer_saved", Some(t.owner_id), after.clone()),
    ];
    let unknown_text = serde_json::to_string(&ops[1]).unwrap();
    let res = app.post("/v1/sync/push", &till.credential, json!({ "ops": ops })).await;
    assert_eq!(res.status(), StatusCode::OK);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(
        (answer["settled_seq"].as_i64(), answer["applied"].as_i64(), answer["parked"].as_i64()),
        (Some(3), Some(2), Some(1)),
        "{answer}"
    );
    assert!(answer["rejected"].as_array().unwrap().is_empty(), "{answer}");
    assert_eq!(answer["conflicts"], 0, "the audit chain runs through the parked op: {answer}");
    let mut db = app.tenant_db(&t).await;
    let customers: i64 = sqlx::query_scalar("SELECT count(*) FROM customers WHERE id = ANY($1)")
        .bind(vec![
            before["id"].as_str().unwrap().parse::<Uuid>().unwrap(),
            after["id"].as_str().unwrap().parse().unwrap(),
        ])
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(customers, 2);
    // Headquarters lists it, verbatim.
    let listed: Value = app.get("/v1/sync/parked", &hq).await.json().await.unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!((listed[0]["seq"].as_i64(), listed[0]["kind"].as_str()), (Some(2), Some("stock_counted")));
    assert_eq!(listed[0]["op"].as_str().unwrap(), unknown_text);
    assert!(listed[0]["applied_at"].is_null());
    // A replay by this build leaves it: the kind is still unknown here.
    let (_, pool) = app.central.tenant(t.tenant_id.0).await.unwrap();
    assert_eq!(nexus_central::sync::parked::replay(&pool, app.central.clock.now()).await.unwrap(), 0);
    // A malformed op of a known kind still refuses the whole batch.
    let mut broken = till.op("customer_saved", None, json!({}));
    broken.as_object_mut().unwrap().remove("audit");
    expect_error(
        app.post("/v1/sync/push", &till.credential, json!({ "ops": [broken] })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
}

#[tokio::test]
async fn parked_ops_of_a_kind_central_now_knows_are_applied_at_start_in_seq_order() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let mut till = Till::enroll(&app, &t, &hq).await;
    // An older central parked two ops whose kind this one knows, and one it
    // still does not: written as that central would have left them.
    let first = Uuid::now_v7();
    let ops = [
        till.op(
            "customer_saved",
            Some(t.owner_id),
            json!({ "id": first, "branch_id": null, "name": "Uno",
            "phone": null, "rfc": null, "price_tier": 2, "created_at": Utc::now() }),
        ),
        till.op(
            "layaway_created",
            Some(t.owner_id),
            json!({ "layaway_id": Uuid::now_v7(), "branch_id": t.branch_id,
            "customer_id": first, "employee_id": t.owner_id, "total_cents": 50_000,
            "expires_at": null, "notes": null, "created_at": Utc::now() }),
        ),
        till.op("stock_counted", Some(t.owner_id), json!({})),
    ];
    let mut db = app.tenant_db(&t).await;
    for op in &ops {
        sqlx::query(
            "INSERT INTO sync_ops (device_id, seq, op_id, kind, status, employee_id, device_time)
                     VALUES ($1, $2, $3, $4, 'parked', $5, NOW())",
        )
        .bind(till.device_id)
        .bind(op["seq"].as_i64().unwrap())
        .bind(op["op_id"].as_str().unwrap().parse::<Uuid>().unwrap())
        .bind(op["kind"].as_str().unwrap())
        .bind(t.owner_id.0)
        .execute(&mut db)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO sync_parked (device_id, seq, branch_id, kind, op) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(till.device_id)
        .bind(op["seq"].as_i64().unwrap())
        .bind(t.branch_id.0)
        .bind(op["kind"].as_str().unwrap())
        .bind(serde_json::to_string(op).unwrap())
        .execute(&mut db)
        .await
        .unwrap();
    }
    // What a starting central runs: the layaway needs the customer before it.
    assert_eq!(nexus_central::sync::parked::replay_all(&app.central).await.unwrap(), 2);
    let layaways: i64 = sqlx::query_scalar("SELECT count(*) FROM layaways WHERE customer_id = $1")
        .bind(first)
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(layaways, 1);
    let rows: Vec<(i64, Option<String>, bool)> = sqlx::query_as(
        "SELECT seq, outcome, applied_at IS NOT NULL FROM sync_parked WHERE device_id = $1 ORDER BY seq",
    )
    .bind(till.device_id)
    .fetch_all(&mut db)
    .await
    .unwrap();
    assert_eq!(
        rows,
        [(1, Some("applied".into()), true), (2, Some("applied".into()), true), (3, None, false)]
    );
    let status: Vec<String> =
        sqlx::query_scalar("SELECT status FROM sync_ops WHERE device_id = $1 ORDER BY seq")
            .bind(till.device_id)
            .fetch_all(&mut db)
            .await
            .unwrap();
    assert_eq!(status, ["applied", "applied", "parked"]);
    // Once applied, never again.
    assert_eq!(nexus_central::sync::parked::replay_all(&app.central).await.unwrap(), 0);
    let listed: Value = app.get("/v1/sync/parked", &hq).await.json().await.unwrap();
    assert_eq!(listed[0]["seq"], 3, "the one still waiting comes first");
}
