use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, expect_error};

#[tokio::test]
async fn health_reports_the_master_database() {
    let app = TestApp::spawn().await;
    let res = app.request(Method::GET, "/health", None, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["database"], "ok");

    // A service whose master database is gone answers 503, not a crash.
    let settings = nexus_central::Settings {
        master_database_url: format!("{}_gone", app.central.settings.master_database_url),
        ..app.central.settings.clone()
    };
    let central = nexus_central::Central::new(settings).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(nexus_central::http::serve(central, listener, std::future::pending()));
    let res = reqwest::get(format!("http://{addr}/health")).await.unwrap();
    expect_error(res, StatusCode::SERVICE_UNAVAILABLE, "database_unavailable").await;
    server.abort();
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    let app = TestApp::spawn().await;
    let doc: Value = app.request(Method::GET, "/v1/openapi.json", None, None).await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/health", "get"),
        ("/v1/auth/login", "post"),
        ("/v1/auth/me", "get"),
        ("/v1/auth/logout", "post"),
        ("/v1/hq/login", "post"),
        ("/v1/hq/me", "get"),
        ("/v1/hq/logout", "post"),
        ("/v1/tenants", "post"),
        ("/v1/tenants", "get"),
        ("/v1/branches", "get"),
        ("/v1/branches", "post"),
        ("/v1/branches/{id}", "patch"),
        ("/v1/branches/{id}/deactivate", "post"),
        ("/v1/employees", "get"),
        ("/v1/employees", "post"),
        ("/v1/employees/{id}", "get"),
        ("/v1/employees/{id}", "patch"),
        ("/v1/employees/{id}/deactivate", "post"),
        ("/v1/employees/{id}/reset-pin", "post"),
        ("/v1/theme", "get"),
        ("/v1/theme", "put"),
        ("/v1/devices/enrollment-codes", "post"),
        ("/v1/devices/enroll", "post"),
        ("/v1/devices", "get"),
        ("/v1/devices/{id}/revoke", "post"),
        ("/v1/sync/push", "post"),
        ("/v1/sync/pull", "get"),
        ("/v1/sync/conflicts", "get"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} missing");
    }
    assert!(doc["components"]["schemas"].get("LoginRequest").is_some());
    assert!(doc["components"]["schemas"].get("HqLoginRequest").is_some());
    assert!(doc["components"]["securitySchemes"].get("bearer").is_some());
}
