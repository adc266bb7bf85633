use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error};

#[tokio::test]
async fn a_token_of_one_tenant_never_reads_or_writes_the_other() {
    let app = TestApp::spawn().await;
    let a = app.provision("Tienda A").await;
    let b = app.provision("Tienda B").await;
    let owner_a = app.hq(&a).await;
    let owner_b = app.hq(&b).await;
    let (b_cashier, _) = app.employee(&owner_b, "Cajera B", "cashier").await;
    let (a_cashier, a_pin) = app.employee(&owner_a, "Cajera A", "cashier").await;

    let list: Value = app.get("/v1/employees", &owner_a).await.json().await.unwrap();
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&a_cashier.to_string().as_str()) && !ids.contains(&b_cashier.to_string().as_str()));

    let path = format!("/v1/employees/{b_cashier}");
    expect_error(app.get(&path, &owner_a).await, StatusCode::NOT_FOUND, "employee_not_found").await;
    expect_error(
        app.patch(&path, &owner_a, json!({ "name": "Robado" })).await,
        StatusCode::NOT_FOUND,
        "employee_not_found",
    )
    .await;
    expect_error(
        app.post(&format!("{path}/deactivate"), &owner_a, json!({})).await,
        StatusCode::NOT_FOUND,
        "employee_not_found",
    )
    .await;
    expect_error(
        app.patch(&format!("/v1/branches/{}", b.branch_id), &owner_a, json!({ "name": "X" })).await,
        StatusCode::NOT_FOUND,
        "branch_not_found",
    )
    .await;
    // A tenant named in the body is not a way in: the field is refused.
    expect_error(
        app.post("/v1/branches", &owner_a, json!({ "name": "Norte", "tenant_id": b.tenant_id })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    let b_view: Value = app.get(&path, &owner_b).await.json().await.unwrap();
    assert_eq!((b_view["name"].as_str(), b_view["is_active"].as_bool()), (Some("Cajera B"), Some(true)));
    let b_branches: Value = app.get("/v1/branches", &owner_b).await.json().await.unwrap();
    assert_eq!(b_branches.as_array().unwrap().len(), 1);
    // A PIN logs into the tenant of the device it is typed at only.
    let device_a = app.device(&a, &owner_a).await;
    let ta = app.token(&device_a, &a_pin).await;
    let claims = app.central.tokens.verify(&ta).unwrap();
    assert_eq!(claims.employee_id.unwrap().0, a_cashier);
    let device_b = app.device(&b, &owner_b).await;
    let res = app.login(&device_b, &a_pin).await;
    if res.status() == StatusCode::OK {
        // B happens to have a cashier with the same PIN: it is B's.
        let claims =
            app.central.tokens.verify(res.json::<Value>().await.unwrap()["token"].as_str().unwrap()).unwrap();
        assert_eq!(claims.tenant_id, b.tenant_id);
    } else {
        expect_error(res, StatusCode::UNAUTHORIZED, "wrong_pin").await;
    }
    // Devices and sessions of one tenant are no way into the other either.
    let counter_a = app.token(&device_a, &a.owner_pin).await;
    expect_error(app.get(&path, &counter_a).await, StatusCode::FORBIDDEN, "hq_login_required").await;
}
