//! Who may change whom: the employee rules, applied to headquarters callers,
//! and what a change does to a counter's token.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error};

#[tokio::test]
async fn nobody_grants_a_permission_they_lack() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.hq(&t).await;
    let admin = app.hq_as(&t, "admin").await;
    let body = expect_error(
        app.post(
            "/v1/employees",
            &admin,
            json!({ "name": "X", "role": "cashier", "permissions": ["pos.sell", "accounting.close"] }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_escalation",
    )
    .await;
    assert!(body["message"].as_str().unwrap().contains("accounting.close"));
    // An accountant holds what the admin lacks: the admin may not re-PIN or edit them.
    let (accountant, _) = app.employee(&owner, "Conta", "accountant").await;
    expect_error(
        app.post(&format!("/v1/employees/{accountant}/reset-pin"), &admin, json!({})).await,
        StatusCode::FORBIDDEN,
        "target_outranks_actor",
    )
    .await;
    // Within their own permissions, the admin succeeds.
    let res = app
        .post(
            "/v1/employees",
            &admin,
            json!({ "name": "Caja", "role": "cashier", "permissions": ["pos.sell"] }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["employee"]["permissions"], json!(["pos.sell"]));
}

#[tokio::test]
async fn no_owner_is_made_through_the_api_and_the_owner_is_protected() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.hq(&t).await;
    expect_error(
        app.post("/v1/employees", &owner, json!({ "name": "Otro", "role": "owner" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "owner_role_forbidden",
    )
    .await;
    let (admin_id, _) = app.employee(&owner, "Admin", "admin").await;
    expect_error(
        app.patch(&format!("/v1/employees/{admin_id}"), &owner, json!({ "role": "owner" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "owner_role_forbidden",
    )
    .await;
    let admin = app.hq_as(&t, "admin").await;
    let owner_path = format!("/v1/employees/{}", t.owner_id);
    expect_error(
        app.patch(&owner_path, &admin, json!({ "name": "Hackeado" })).await,
        StatusCode::FORBIDDEN,
        "owner_protected",
    )
    .await;
    expect_error(
        app.post(&format!("{owner_path}/deactivate"), &admin, json!({})).await,
        StatusCode::FORBIDDEN,
        "owner_protected",
    )
    .await;
    expect_error(
        app.post(&format!("{owner_path}/reset-pin"), &admin, json!({})).await,
        StatusCode::FORBIDDEN,
        "owner_protected",
    )
    .await;
    expect_error(
        app.post(&format!("{owner_path}/deactivate"), &owner, json!({})).await,
        StatusCode::FORBIDDEN,
        "owner_protected",
    )
    .await;
    // The owner may change their own name.
    assert_eq!(
        app.patch(&owner_path, &owner, json!({ "name": "Dueña Principal" })).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_deactivated_employee_is_refused_on_the_next_request_even_with_a_valid_token() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.hq(&t).await;
    let device = app.device(&t, &owner).await;
    let (admin_id, pin) = app.employee(&owner, "Admin", "admin").await;
    let admin = app.token(&device, &pin).await;
    assert_eq!(app.get("/v1/auth/me", &admin).await.status(), StatusCode::OK);
    assert_eq!(
        app.post(&format!("/v1/employees/{admin_id}/deactivate"), &owner, json!({})).await.status(),
        StatusCode::OK
    );
    expect_error(app.get("/v1/auth/me", &admin).await, StatusCode::UNAUTHORIZED, "employee_inactive").await;
    expect_error(app.login(&device, &pin).await, StatusCode::UNAUTHORIZED, "wrong_pin").await;
}

#[tokio::test]
async fn a_permission_removed_takes_effect_on_the_next_request() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.hq(&t).await;
    let device = app.device(&t, &owner).await;
    let (admin_id, pin) = app.employee(&owner, "Admin", "admin").await;
    let admin = app.token(&device, &pin).await;
    let me: Value = app.get("/v1/auth/me", &admin).await.json().await.unwrap();
    assert!(me["permissions"].as_array().unwrap().iter().any(|p| p == "config.view"));
    let res =
        app.patch(&format!("/v1/employees/{admin_id}"), &owner, json!({ "permissions": ["pos.sell"] })).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = app.get("/v1/auth/me", &admin).await.json().await.unwrap();
    assert_eq!(me["permissions"], json!(["pos.sell"]));
}
