//! The audit log as headquarters reads it: filters, the chains, and a
//! verification that names the first broken link — in the API and the console.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error};

#[tokio::test]
async fn the_audit_log_is_searched_by_action_entity_and_date_and_a_tampered_chain_is_named() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let (cashier, _) = app.employee(&hq, "<script>alert(1)</script>", "cashier").await;
    app.employee(&hq, "Otro", "cashier").await;

    let all: Vec<Value> = app.get("/v1/audit", &hq).await.json().await.unwrap();
    assert!(all.len() >= 3);
    let created: Vec<Value> = app.get("/v1/audit?action=EMPLOYEE_CREATE", &hq).await.json().await.unwrap();
    assert_eq!(created.len(), 2);
    let prefix: Vec<Value> = app.get("/v1/audit?action=EMPLOYEE_*", &hq).await.json().await.unwrap();
    assert!(
        prefix.len() >= 2 && prefix.iter().all(|e| e["action"].as_str().unwrap().starts_with("EMPLOYEE_"))
    );
    let one: Vec<Value> = app
        .get(&format!("/v1/audit?entity_type=employee&entity_id={cashier}"), &hq)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    let today = chrono::Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    let none: Vec<Value> = app.get(&format!("/v1/audit?from={tomorrow}"), &hq).await.json().await.unwrap();
    assert!(none.is_empty());
    let some: Vec<Value> =
        app.get(&format!("/v1/audit?from={today}&to={today}"), &hq).await.json().await.unwrap();
    assert_eq!(some.len(), all.len());
    expect_error(
        app.get(&format!("/v1/audit?from={tomorrow}&to={today}"), &hq).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "field_invalid",
    )
    .await;
    expect_error(app.get("/v1/audit?limit=0", &hq).await, StatusCode::UNPROCESSABLE_ENTITY, "field_invalid")
        .await;
    expect_error(app.get("/v1/audit?from=ayer", &hq).await, StatusCode::BAD_REQUEST, "invalid_query").await;

    let chains: Vec<Value> = app.get("/v1/audit/chains", &hq).await.json().await.unwrap();
    assert_eq!(chains[0]["chain"], "central");
    let ok: Value = app.get("/v1/audit/chains/central/verify", &hq).await.json().await.unwrap();
    assert_eq!(ok["intact"], json!(true));
    assert_eq!(ok["head"].as_str().unwrap().len(), 64);

    // Someone with the database edits an entry behind the triggers' back.
    let mut db = app.tenant_db(&t).await;
    sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update").execute(&mut db).await.unwrap();
    sqlx::query("UPDATE audit_log SET action = 'NADA' WHERE chain = 'central' AND seq = 2")
        .execute(&mut db)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update").execute(&mut db).await.unwrap();
    let broken: Value = app.get("/v1/audit/chains/central/verify", &hq).await.json().await.unwrap();
    assert_eq!(broken["intact"], json!(false));
    assert_eq!(broken["broken_seq"], json!(2));
    assert!(broken["reason"].as_str().unwrap().contains("modificada"));
}

#[tokio::test]
async fn who_may_read_the_audit_log_and_another_tenants_chain_is_not_found() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let other = app.provision("Otra").await;
    let hq = app.hq(&t).await;
    let device = app.device(&t, &hq).await;
    for role in ["accountant", "auditor", "admin"] {
        let token = app.hq_as(&t, role).await;
        assert_eq!(app.get("/v1/audit", &token).await.status(), StatusCode::OK, "{role}");
    }
    let counter = app.token(&device, &t.owner_pin).await;
    expect_error(app.get("/v1/audit", &counter).await, StatusCode::FORBIDDEN, "hq_login_required").await;
    let other_hq = app.hq(&other).await;
    let other_device = crate::helpers::device_id(&app.device(&other, &other_hq).await);
    // The other tenant's chains are simply not in this tenant's log.
    expect_error(
        app.get(&format!("/v1/audit/chains/{other_device}/verify"), &hq).await,
        StatusCode::NOT_FOUND,
        "chain_not_found",
    )
    .await;
    let mine: Vec<Value> = app.get("/v1/audit", &hq).await.json().await.unwrap();
    assert!(mine.iter().all(|e| e["chain"] == "central" || e["chain"] != other_device.to_string()));
}
