//! Enrollment, device credentials and revocation over HTTP. What a device
//! pushes and pulls is tested end to end with real terminals in `nexus-e2e`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, expect_error};

async fn code(app: &TestApp, token: &str, branch: Uuid) -> String {
    let res = app.post("/v1/devices/enrollment-codes", token, json!({ "branch_id": branch })).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    res.json::<Value>().await.unwrap()["code"].as_str().unwrap().to_owned()
}

async fn enroll(app: &TestApp, code: &str) -> reqwest::Response {
    app.request(
        Method::POST,
        "/v1/devices/enroll",
        None,
        Some(json!({ "code": code, "device_name": "Caja 1" })),
    )
    .await
}

#[tokio::test]
async fn an_enrollment_code_needs_config_edit_at_headquarters_and_works_once() {
    let app = TestApp::spawn().await;
    let t = app.provision("Refacciones Norte").await;
    let owner = app.hq(&t).await;
    let accountant = app.hq_as(&t, "accountant").await;
    expect_error(
        app.post("/v1/devices/enrollment-codes", &accountant, json!({ "branch_id": t.branch_id })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        app.post("/v1/devices/enrollment-codes", &owner, json!({ "branch_id": Uuid::now_v7() })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "field_invalid",
    )
    .await;

    let code = code(&app, &owner, t.branch_id.0).await;
    assert_eq!(code.len(), 14, "XXXX-XXXX-XXXX: {code}");
    let res = enroll(&app, &code).await;
    assert_eq!(res.status(), StatusCode::OK);
    let enrolled: Value = res.json().await.unwrap();
    assert_eq!(enrolled["tenant_id"], json!(t.tenant_id));
    assert_eq!(enrolled["branch_id"], json!(t.branch_id));
    assert!(enrolled["credential"].as_str().unwrap().starts_with("nxd."));
    // Once only, and never a made-up one.
    expect_error(enroll(&app, &code).await, StatusCode::UNAUTHORIZED, "enrollment_code_invalid").await;
    expect_error(enroll(&app, "AAAA-BBBB-CCCC").await, StatusCode::UNAUTHORIZED, "enrollment_code_invalid")
        .await;

    let devices: Value = app.get("/v1/devices", &owner).await.json().await.unwrap();
    assert_eq!(devices.as_array().unwrap().len(), 1);
    assert_eq!(devices[0]["id"], enrolled["device_id"]);
    assert_eq!(devices[0]["name"], "Caja 1");
}

#[tokio::test]
async fn sync_takes_only_a_live_device_credential_and_sees_only_its_tenant() {
    let app = TestApp::spawn().await;
    let a = app.provision("Tienda A").await;
    let b = app.provision("Tienda B").await;
    let owner_a = app.hq(&a).await;
    let enrolled: Value =
        enroll(&app, &code(&app, &owner_a, a.branch_id.0).await).await.json().await.unwrap();
    let credential = enrolled["credential"].as_str().unwrap().to_owned();
    let device: Uuid = serde_json::from_value(enrolled["device_id"].clone()).unwrap();

    // An HQ session, no token, or a forged credential: refused.
    expect_error(
        app.get("/v1/sync/pull", &owner_a).await,
        StatusCode::UNAUTHORIZED,
        "device_credential_invalid",
    )
    .await;
    let forged = format!("nxd.{device}.{}", "00".repeat(32));
    expect_error(
        app.get("/v1/sync/pull", &forged).await,
        StatusCode::UNAUTHORIZED,
        "device_credential_invalid",
    )
    .await;
    let res = app.request(Method::GET, "/v1/sync/pull", None, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // And a device credential is no employee token, let alone headquarters.
    let res = app.get("/v1/auth/me", &credential).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    expect_error(app.get("/v1/employees", &credential).await, StatusCode::FORBIDDEN, "hq_login_required")
        .await;

    // The feed holds tenant A's rows and none of B's.
    let page: Value = app.get("/v1/sync/pull?after=0&limit=2000", &credential).await.json().await.unwrap();
    let ids: Vec<&str> =
        page["changes"].as_array().unwrap().iter().filter_map(|c| c["id"].as_str()).collect();
    assert!(ids.contains(&a.branch_id.to_string().as_str()));
    assert!(ids.contains(&a.owner_id.to_string().as_str()));
    assert!(
        !ids.contains(&b.branch_id.to_string().as_str()) && !ids.contains(&b.owner_id.to_string().as_str())
    );
    assert_eq!(page["more"], false);
    assert!(page["cursor"].as_i64().unwrap() > 0);

    // An empty push settles nothing; a malformed one is refused whole.
    let res = app.post("/v1/sync/push", &credential, json!({ "ops": [{ "seq": 1 }] })).await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    let empty: Value =
        app.post("/v1/sync/push", &credential, json!({ "ops": [] })).await.json().await.unwrap();
    assert_eq!(empty["settled_seq"], 0);

    // Revoked: refused from the next request on.
    let res = app.post(&format!("/v1/devices/{device}/revoke"), &owner_a, json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.json::<Value>().await.unwrap()["revoked_at"].is_string());
    expect_error(app.get("/v1/sync/pull", &credential).await, StatusCode::UNAUTHORIZED, "device_revoked")
        .await;
    expect_error(
        app.post("/v1/sync/push", &credential, json!({ "ops": [] })).await,
        StatusCode::UNAUTHORIZED,
        "device_revoked",
    )
    .await;
    // Another tenant's owner cannot see or revoke it.
    let owner_b = app.hq(&b).await;
    let listed: Value = app.get("/v1/devices", &owner_b).await.json().await.unwrap();
    assert!(listed.as_array().unwrap().is_empty());
    let res = app.post(&format!("/v1/devices/{device}/revoke"), &owner_b, json!({})).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
