//! Two-factor login at headquarters: set up with a secret shown once, then a
//! current code on every login, each code once; a tenant may require it.

use reqwest::StatusCode;
use serde_json::{Value, json};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::{OWNER_PASSWORD, Tenant, TestApp, expect_error};

/// The code an authenticator app shows `steps` 30-second steps from now.
fn code(secret_base32: &str, steps: i64) -> String {
    let bytes = Secret::Encoded(secret_base32.to_owned()).to_bytes().unwrap();
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes).unwrap();
    let now = chrono::Utc::now().timestamp() + steps * 30;
    totp.generate(now as u64)
}

async fn login(app: &TestApp, email: &str, password: &str, totp: Option<&str>) -> reqwest::Response {
    let mut body = json!({ "email": email, "password": password });
    if let Some(totp) = totp {
        body["totp"] = json!(totp);
    }
    app.request(reqwest::Method::POST, "/v1/hq/login", None, Some(body)).await
}

/// Turns two-factor on for the session's account; returns the secret.
async fn enable(app: &TestApp, token: &str) -> String {
    let setup: Value = app.post("/v1/hq/totp/setup", token, json!({})).await.json().await.unwrap();
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let url = setup["otpauth_url"].as_str().unwrap();
    assert!(
        url.starts_with("otpauth://totp/Nexus%20POS%3A") && url.contains(&format!("secret={secret}")),
        "{url}"
    );
    let res = app.post("/v1/hq/totp/enable", token, json!({ "code": code(&secret, 0) })).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    secret
}

async fn owner_email(t: &Tenant) -> String {
    t.owner_email.clone()
}

#[tokio::test]
async fn with_two_factor_on_a_login_needs_a_current_code_and_each_code_works_once() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    // A wrong code, or none, does not turn it on.
    let setup: Value = app.post("/v1/hq/totp/setup", &hq, json!({})).await.json().await.unwrap();
    let pending = setup["secret"].as_str().unwrap().to_owned();
    expect_error(
        app.post("/v1/hq/totp/enable", &hq, json!({ "code": "000000" })).await,
        StatusCode::UNAUTHORIZED,
        "totp_invalid",
    )
    .await;
    let off: Value = app.get("/v1/hq/totp", &hq).await.json().await.unwrap();
    assert_eq!(off["enabled"], json!(false));
    // The secret is sealed at rest, never stored as the app holds it.
    let raw = Secret::Encoded(pending).to_bytes().unwrap();
    let stored: Vec<u8> = sqlx::query_scalar("SELECT totp_pending_secret FROM hq_accounts WHERE email = $1")
        .bind(&t.owner_email)
        .fetch_one(&app.central.dbs.master)
        .await
        .unwrap();
    assert!(!stored.windows(raw.len()).any(|w| w == raw.as_slice()));

    let secret = enable(&app, &hq).await;
    let email = owner_email(&t).await;
    expect_error(login(&app, &email, OWNER_PASSWORD, None).await, StatusCode::UNAUTHORIZED, "totp_required")
        .await;
    expect_error(
        login(&app, &email, OWNER_PASSWORD, Some("123456")).await,
        StatusCode::UNAUTHORIZED,
        "totp_invalid",
    )
    .await;
    // The code that turned it on was spent; an old one is too old.
    expect_error(
        login(&app, &email, OWNER_PASSWORD, Some(&code(&secret, 0))).await,
        StatusCode::UNAUTHORIZED,
        "totp_invalid",
    )
    .await;
    // A wrong password with a right code is still a wrong password.
    expect_error(
        login(&app, &email, "otra-contraseña-mala", Some(&code(&secret, 1))).await,
        StatusCode::UNAUTHORIZED,
        "hq_login_failed",
    )
    .await;
    let next = code(&secret, 1);
    let res = login(&app, &email, OWNER_PASSWORD, Some(&next)).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    // The same code again: refused.
    expect_error(
        login(&app, &email, OWNER_PASSWORD, Some(&next)).await,
        StatusCode::UNAUTHORIZED,
        "totp_invalid",
    )
    .await;

    let mut db = app.tenant_db(&t).await;
    let failed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'HQ_LOGIN_FAILED' AND new_value->>'factor' = 'totp'",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(failed, 4);
    let enabled: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'HQ_TOTP_ENABLE'")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(enabled, 1);
}

#[tokio::test]
async fn guessing_codes_with_a_stolen_password_locks_the_account_like_wrong_passwords() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let secret = enable(&app, &hq).await;
    let mut last = StatusCode::OK;
    for guess in 0..7 {
        last = login(&app, &t.owner_email, OWNER_PASSWORD, Some(&format!("{guess:06}"))).await.status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let res = login(&app, &t.owner_email, OWNER_PASSWORD, Some(&code(&secret, 1))).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn when_the_tenant_requires_two_factor_an_account_without_it_may_only_set_it_up() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let admin = app.hq_as(&t, "admin").await;
    expect_error(
        app.request(
            reqwest::Method::PUT,
            "/v1/hq/settings",
            Some(&admin),
            Some(json!({ "totp_required": true })),
        )
        .await,
        StatusCode::FORBIDDEN,
        "hq_owner_required",
    )
    .await;
    // The owner turns it on for themselves before requiring it of everyone.
    expect_error(
        app.request(
            reqwest::Method::PUT,
            "/v1/hq/settings",
            Some(&hq),
            Some(json!({ "totp_required": true })),
        )
        .await,
        StatusCode::CONFLICT,
        "totp_owner_first",
    )
    .await;
    enable(&app, &hq).await;
    let res = app
        .request(reqwest::Method::PUT, "/v1/hq/settings", Some(&hq), Some(json!({ "totp_required": true })))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // The admin's live session is held to setting it up.
    expect_error(app.get("/v1/devices", &admin).await, StatusCode::FORBIDDEN, "totp_enrollment_required")
        .await;
    expect_error(app.get("/v1/branches", &admin).await, StatusCode::FORBIDDEN, "totp_enrollment_required")
        .await;
    assert_eq!(app.get("/v1/hq/me", &admin).await.status(), StatusCode::OK);
    let status: Value = app.get("/v1/hq/totp", &admin).await.json().await.unwrap();
    assert_eq!(status["required_by_tenant"], json!(true));
    let secret = enable(&app, &admin).await;
    assert_eq!(app.get("/v1/devices", &admin).await.status(), StatusCode::OK);
    // Required: it cannot be turned off.
    expect_error(
        app.post("/v1/hq/totp/disable", &admin, json!({ "code": code(&secret, 1) })).await,
        StatusCode::CONFLICT,
        "totp_required_by_tenant",
    )
    .await;
    let settings: Value = app.get("/v1/hq/settings", &hq).await.json().await.unwrap();
    assert_eq!(settings["totp_required"], json!(true));
    // Off again: the admin may turn it off with a current code.
    app.request(reqwest::Method::PUT, "/v1/hq/settings", Some(&hq), Some(json!({ "totp_required": false })))
        .await;
    expect_error(
        app.post("/v1/hq/totp/disable", &admin, json!({ "code": "000000" })).await,
        StatusCode::UNAUTHORIZED,
        "totp_invalid",
    )
    .await;
    let res = app.post("/v1/hq/totp/disable", &admin, json!({ "code": code(&secret, 1) })).await;
    assert_eq!(res.status(), StatusCode::OK);
    let off: Value = res.json().await.unwrap();
    assert_eq!(off["enabled"], json!(false));
}
