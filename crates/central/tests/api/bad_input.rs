use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, expect_error};

#[tokio::test]
async fn malformed_missing_mistyped_and_oversized_bodies_get_4xx_with_a_code() {
    let app = TestApp::spawn_with(|s| nexus_central::Settings { max_body_bytes: 4096, ..s }).await;
    let t = app.provision("Tienda").await;
    let owner = app.hq(&t).await;
    let raw = |body: &'static str, content_type: Option<&'static str>| {
        let mut req = app.client.post(app.url("/v1/employees")).bearer_auth(&owner).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req.send()
    };
    expect_error(
        raw("{not json", Some("application/json")).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "malformed_json",
    )
    .await;
    expect_error(
        raw("{\"name\": \"x\"}", None).await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let missing = expect_error(
        app.post("/v1/employees", &owner, json!({ "name": "x" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    assert!(missing["message"].as_str().unwrap().contains("role"), "{missing}");
    expect_error(
        app.post("/v1/employees", &owner, json!({ "name": 5, "role": "cashier" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    expect_error(
        app.post("/v1/employees", &owner, json!({ "name": "x", "role": "cashier", "max_discount_bp": -1 }))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    let huge = json!({ "name": "x".repeat(10_000), "role": "cashier" });
    expect_error(
        app.post("/v1/employees", &owner, huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    )
    .await;
    expect_error(
        app.request(Method::POST, "/v1/hq/login", None, Some(json!({ "email": 5, "password": "x" }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
}

#[tokio::test]
async fn bad_paths_routes_methods_queries_and_tokens_get_4xx_with_a_code() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.hq(&t).await;
    expect_error(app.get("/v1/employees/not-a-uuid", &owner).await, StatusCode::BAD_REQUEST, "invalid_path")
        .await;
    expect_error(
        app.get("/v1/employees?include_inactive=maybe", &owner).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
    expect_error(app.get("/v1/nothing-here", &owner).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_error(
        app.request(Method::DELETE, "/v1/branches", Some(&owner), None).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    expect_error(
        app.request(Method::GET, "/v1/auth/me", None, None).await,
        StatusCode::UNAUTHORIZED,
        "token_required",
    )
    .await;
    expect_error(app.get("/v1/auth/me", "garbage").await, StatusCode::UNAUTHORIZED, "token_invalid").await;
    let res =
        app.client.get(app.url("/v1/auth/me")).header("authorization", "Basic abc").send().await.unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "token_required").await;
}
