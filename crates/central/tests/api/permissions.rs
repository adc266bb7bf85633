use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{OWNER_PIN, TestApp, expect_error};

#[tokio::test]
async fn a_cashier_is_refused_with_the_permission_it_lacks() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.token(t.tenant_id.0, OWNER_PIN).await;
    app.employee(&owner, "Caja", "cashier", "1111").await;
    let cashier = app.token(t.tenant_id.0, "1111").await;
    let body = expect_error(
        app.post("/v1/employees", &cashier, json!({ "name": "X", "role": "cashier", "pin": "2222" })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_eq!(body["missing"], json!(["SECURITY.USERS.MANAGE"]));
    let body =
        expect_error(app.get("/v1/employees", &cashier).await, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(body["missing"], json!(["config.view"]));
    expect_error(
        app.post("/v1/branches", &cashier, json!({ "name": "Norte" })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Reading what every employee needs is allowed.
    assert_eq!(app.get("/v1/theme", &cashier).await.status(), StatusCode::OK);
    assert_eq!(app.get("/v1/branches", &cashier).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn nobody_grants_a_permission_they_lack() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.token(t.tenant_id.0, OWNER_PIN).await;
    app.employee(&owner, "Admin", "admin", "2222").await;
    let admin = app.token(t.tenant_id.0, "2222").await;
    let body = expect_error(
        app.post(
            "/v1/employees",
            &admin,
            json!({ "name": "X", "role": "cashier", "pin": "3333", "permissions": ["pos.sell", "accounting.close"] }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_escalation",
    )
    .await;
    assert!(body["message"].as_str().unwrap().contains("accounting.close"));
    // An accountant holds what the admin lacks: the admin may not re-PIN or edit them.
    let accountant = app.employee(&owner, "Conta", "accountant", "4444").await;
    expect_error(
        app.post(&format!("/v1/employees/{accountant}/reset-pin"), &admin, json!({ "pin": "5555" })).await,
        StatusCode::FORBIDDEN,
        "target_outranks_actor",
    )
    .await;
    expect_error(
        app.post(
            "/v1/employees",
            &admin,
            json!({ "name": "X", "role": "cashier", "pin": "3333", "max_discount_bp": 9000 }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "discount_above_own",
    )
    .await;
    // Within their own permissions, the admin succeeds.
    let res = app
        .post(
            "/v1/employees",
            &admin,
            json!({ "name": "Caja", "role": "cashier", "pin": "3333", "permissions": ["pos.sell"] }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["permissions"], json!(["pos.sell"]));
}

#[tokio::test]
async fn no_owner_is_made_through_the_api_and_the_owner_is_protected() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.token(t.tenant_id.0, OWNER_PIN).await;
    expect_error(
        app.post("/v1/employees", &owner, json!({ "name": "Otro", "role": "owner", "pin": "7777" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "owner_role_forbidden",
    )
    .await;
    let admin_id = app.employee(&owner, "Admin", "admin", "2222").await;
    expect_error(
        app.patch(&format!("/v1/employees/{admin_id}"), &owner, json!({ "role": "owner" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "owner_role_forbidden",
    )
    .await;
    let admin = app.token(t.tenant_id.0, "2222").await;
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
        app.post(&format!("{owner_path}/reset-pin"), &admin, json!({ "pin": "1212" })).await,
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
    let owner = app.token(t.tenant_id.0, OWNER_PIN).await;
    let admin_id = app.employee(&owner, "Admin", "admin", "2222").await;
    let admin = app.token(t.tenant_id.0, "2222").await;
    assert_eq!(app.get("/v1/employees", &admin).await.status(), StatusCode::OK);
    assert_eq!(
        app.post(&format!("/v1/employees/{admin_id}/deactivate"), &owner, json!({})).await.status(),
        StatusCode::OK
    );
    expect_error(app.get("/v1/employees", &admin).await, StatusCode::UNAUTHORIZED, "employee_inactive").await;
    expect_error(app.login(t.tenant_id.0, "2222", "d").await, StatusCode::UNAUTHORIZED, "wrong_pin").await;
}

#[tokio::test]
async fn a_permission_removed_takes_effect_on_the_next_request() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.token(t.tenant_id.0, OWNER_PIN).await;
    let admin_id = app.employee(&owner, "Admin", "admin", "2222").await;
    let admin = app.token(t.tenant_id.0, "2222").await;
    assert_eq!(app.get("/v1/employees", &admin).await.status(), StatusCode::OK);
    let res =
        app.patch(&format!("/v1/employees/{admin_id}"), &owner, json!({ "permissions": ["pos.sell"] })).await;
    assert_eq!(res.status(), StatusCode::OK);
    expect_error(app.get("/v1/employees", &admin).await, StatusCode::FORBIDDEN, "forbidden").await;
}
