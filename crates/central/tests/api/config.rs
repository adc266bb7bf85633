use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error};

#[tokio::test]
async fn branches_are_created_changed_and_deactivated_but_never_the_last_one() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.hq(&t).await;
    let res = app.post("/v1/branches", &owner, json!({ "name": " Norte ", "phone": "3311112222" })).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let norte: Value = res.json().await.unwrap();
    assert_eq!(norte["name"], "Norte");
    let id = norte["id"].as_str().unwrap();
    let changed: Value = app
        .patch(&format!("/v1/branches/{id}"), &owner, json!({ "address": "Av. Patria 1" }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (changed["address"].as_str(), changed["phone"].as_str()),
        (Some("Av. Patria 1"), Some("3311112222"))
    );
    let off: Value =
        app.post(&format!("/v1/branches/{id}/deactivate"), &owner, json!({})).await.json().await.unwrap();
    assert_eq!(off["is_active"], false);
    expect_error(
        app.post(&format!("/v1/branches/{}/deactivate", t.branch_id), &owner, json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "last_active_branch",
    )
    .await;
    expect_error(
        app.post("/v1/branches", &owner, json!({ "name": "" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "field_required",
    )
    .await;
    let all: Value = app.get("/v1/branches", &owner).await.json().await.unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn employees_are_created_listed_changed_re_pinned_and_deactivated() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.hq(&t).await;
    let device = app.device(&t, &owner).await;
    let res = app
        .post(
            "/v1/employees",
            &owner,
            json!({ "name": "María", "role": "cashier", "branch_id": t.branch_id, "max_discount_bp": 500,
                    "email": "maria@example.mx" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    let maria = &created["employee"];
    assert_eq!(maria["role"], "cashier");
    assert_eq!(maria["max_discount_bp"], 500);
    assert!(maria["permissions"].as_array().unwrap().iter().any(|p| p == "CASH.SESSION.OPEN"));
    assert!(maria.get("pin").is_none() && maria.get("pin_hash").is_none());
    let first_pin = created["pin"].as_str().unwrap().to_owned();
    let id = maria["id"].as_str().unwrap();
    app.token(&device, &first_pin).await;

    let list: Value = app.get("/v1/employees", &owner).await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);

    let promoted: Value = app
        .patch(&format!("/v1/employees/{id}"), &owner, json!({ "role": "admin" }))
        .await
        .json()
        .await
        .unwrap();
    assert!(promoted["permissions"].as_array().unwrap().iter().any(|p| p == "CASH.ASSIGN"), "{promoted}");

    let res = app.post(&format!("/v1/employees/{id}/reset-pin"), &owner, json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let new_pin = res.json::<Value>().await.unwrap()["pin"].as_str().unwrap().to_owned();
    assert_eq!(new_pin.len(), 6, "an admin's PIN has 6 digits");
    expect_error(app.login(&device, &first_pin).await, StatusCode::UNAUTHORIZED, "wrong_pin").await;
    app.token(&device, &new_pin).await;

    let off: Value =
        app.post(&format!("/v1/employees/{id}/deactivate"), &owner, json!({})).await.json().await.unwrap();
    assert_eq!(off["is_active"], false);
    let active: Value = app.get("/v1/employees", &owner).await.json().await.unwrap();
    assert_eq!(active.as_array().unwrap().len(), 1);
    let all: Value = app.get("/v1/employees?include_inactive=true", &owner).await.json().await.unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let back: Value = app
        .patch(&format!("/v1/employees/{id}"), &owner, json!({ "is_active": true }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(back["is_active"], true);
}

#[tokio::test]
async fn a_bad_field_is_refused_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.hq(&t).await;
    for (body, code) in [
        (json!({ "name": "X", "role": "chef" }), "invalid_role"),
        (json!({ "name": "X", "role": "cashier", "permissions": ["pos.fly"] }), "invalid_permission"),
        (json!({ "name": "X", "role": "cashier", "max_discount_bp": 10001 }), "invalid_percent"),
        (json!({ "name": "X", "role": "cashier", "email": "no-arroba" }), "field_invalid"),
        (json!({ "name": "X", "role": "cashier", "branch_id": uuid::Uuid::now_v7() }), "field_invalid"),
        (json!({ "name": "X\u{7}", "role": "cashier" }), "field_invalid"),
        (json!({ "name": "   ", "role": "cashier" }), "field_required"),
    ] {
        expect_error(app.post("/v1/employees", &owner, body).await, StatusCode::UNPROCESSABLE_ENTITY, code)
            .await;
    }
    let mut db = app.tenant_db(&t).await;
    let (employees, audits): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM employees), (SELECT count(*) FROM audit_log WHERE action LIKE 'EMPLOYEE%')",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!((employees, audits), (1, 0));
}

#[tokio::test]
async fn the_theme_starts_from_the_defaults_and_keeps_only_safe_overrides() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.hq(&t).await;
    let theme: Value = app.get("/v1/theme", &owner).await.json().await.unwrap();
    assert_eq!(theme["variables"]["--color-primary"], "#1a73e8");
    assert_eq!(theme["overrides"], json!({}));
    let res = app
        .request(
            Method::PUT,
            "/v1/theme",
            Some(&owner),
            Some(json!({ "variables": { "--color-primary": "#c0392b" } })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let theme: Value = app.get("/v1/theme", &owner).await.json().await.unwrap();
    assert_eq!(theme["variables"]["--color-primary"], "#c0392b");
    assert_eq!(theme["variables"]["--radius"], "8px");
    for bad in [
        json!({ "--evil": "red" }),
        json!({ "--color-bg": "red;} body{display:none" }),
        json!({ "--color-bg": "url(x)" }),
    ] {
        let res =
            app.request(Method::PUT, "/v1/theme", Some(&owner), Some(json!({ "variables": bad }))).await;
        expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_theme").await;
    }
    let theme: Value = app.get("/v1/theme", &owner).await.json().await.unwrap();
    assert_eq!(theme["overrides"], json!({ "--color-primary": "#c0392b" }));
}

#[tokio::test]
async fn every_mutation_writes_who_what_where_and_the_values_in_the_same_transaction() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.hq(&t).await;
    let branch: Value =
        app.post("/v1/branches", &owner, json!({ "name": "Norte" })).await.json().await.unwrap();
    let (emp, first_pin) = app.employee(&owner, "Ana", "cashier").await;
    app.patch(&format!("/v1/employees/{emp}"), &owner, json!({ "name": "Ana María" })).await;
    let reset: Value =
        app.post(&format!("/v1/employees/{emp}/reset-pin"), &owner, json!({})).await.json().await.unwrap();
    let second_pin = reset["pin"].as_str().unwrap().to_owned();
    app.post(&format!("/v1/employees/{emp}/deactivate"), &owner, json!({})).await;
    app.request(Method::PUT, "/v1/theme", Some(&owner), Some(json!({ "variables": { "--radius": "4px" } })))
        .await;

    let mut db = app.tenant_db(&t).await;
    let rows: Vec<_> = crate::helpers::audit_rows(&mut db, "%")
        .await
        .into_iter()
        .filter(|r| !r.action.starts_with("HQ_") && r.action != "TENANT_PROVISIONED")
        .collect();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "BRANCH_CREATE",
            "EMPLOYEE_CREATE",
            "EMPLOYEE_UPDATE",
            "EMPLOYEE_PIN_RESET",
            "EMPLOYEE_DEACTIVATE",
            "THEME_UPDATE"
        ]
    );
    let account: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM hq_accounts").fetch_one(&app.central.dbs.master).await.unwrap();
    for r in &rows {
        assert_eq!(r.employee_id, Some(t.owner_id.0), "who");
        assert_eq!(r.device_id.as_deref(), Some(format!("hq:{account}").as_str()), "from which account");
        assert_eq!(r.ip_address.as_deref(), Some("127.0.0.1"), "from which address");
    }
    assert_eq!(rows[0].entity_id.as_deref(), branch["id"].as_str());
    assert_eq!(rows[2].old_value.as_ref().unwrap()["name"], "Ana");
    assert_eq!(rows[2].new_value.as_ref().unwrap()["name"], "Ana María");
    let all_text: String = sqlx::query_scalar(
        "SELECT string_agg(coalesce(old_value::text,'') || coalesce(new_value::text,''), ' ') FROM audit_log",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    // A PIN would be a JSON string of its own (digits alone also occur in ids).
    for pin in [&first_pin, &second_pin, &t.owner_pin] {
        assert!(!all_text.contains(&format!("\"{pin}\"")), "no PIN in the audit log");
    }
    let head = nexus_central::audit::verify_chain(&mut db, "central").await.unwrap();
    assert!(head.is_ok(), "{head:?}");
}
