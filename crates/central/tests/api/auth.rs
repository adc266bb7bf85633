use chrono::{Duration, Utc};
use nexus_domain::claims::{AUDIENCE, Claims, ISSUER, TokenType};
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{OWNER_PIN, TestApp, expect_error};

#[tokio::test]
async fn the_owner_logs_in_with_the_pin_and_gets_a_shift_long_token() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let res = app.login(t.tenant_id.0, OWNER_PIN, "caja-1").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["employee"]["role"], "owner");
    assert!(body["permissions"].as_array().unwrap().iter().any(|p| p == "CASH.ASSIGN"));
    let claims = app.central.tokens.verify(body["token"].as_str().unwrap()).unwrap();
    assert_eq!(claims.token_type, TokenType::Employee);
    assert_eq!(claims.tenant_id, t.tenant_id);
    assert_eq!(claims.employee_id, Some(t.owner_id));
    assert_eq!(claims.device_id.as_deref(), Some("caja-1"));
    assert_eq!(claims.exp - claims.iat, 8 * 3600);

    let me: Value = app.get("/v1/auth/me", body["token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(me["tenant_id"], t.tenant_id.to_string());
    assert_eq!(me["employee"]["name"], "Dueña");
}

#[tokio::test]
async fn a_wrong_pin_is_401_an_unknown_tenant_404_and_a_malformed_pin_422() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    expect_error(app.login(t.tenant_id.0, "0000", "d").await, StatusCode::UNAUTHORIZED, "wrong_pin").await;
    expect_error(app.login(Uuid::now_v7(), OWNER_PIN, "d").await, StatusCode::NOT_FOUND, "tenant_not_found")
        .await;
    expect_error(app.login(t.tenant_id.0, "12", "d").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_pin")
        .await;
    expect_error(
        app.login(t.tenant_id.0, OWNER_PIN, " ").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "field_invalid",
    )
    .await;
}

#[tokio::test]
async fn five_failures_in_a_minute_ask_the_device_to_wait() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    for _ in 0..5 {
        expect_error(app.login(t.tenant_id.0, "0000", "caja-1").await, StatusCode::UNAUTHORIZED, "wrong_pin")
            .await;
    }
    let res = app.login(t.tenant_id.0, OWNER_PIN, "caja-1").await;
    let retry_header: i64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    let body = expect_error(res, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    assert_eq!(body["message"], "Demasiados intentos. Espere un momento.");
    let retry = body["retry_after_secs"].as_i64().unwrap();
    assert!((1..=60).contains(&retry) && retry == retry_header, "{body}");
    // Another device of the same tenant is not affected.
    assert_eq!(app.login(t.tenant_id.0, OWNER_PIN, "caja-2").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn ten_failures_lock_the_device_for_fifteen_minutes_across_restarts_and_instances() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    // Five failures two minutes ago, then five now: ten within fifteen minutes.
    sqlx::query(
        "INSERT INTO login_attempts (tenant_id, device_id, succeeded, attempted_at)
         SELECT $1, 'caja-1', false, NOW() - interval '2 minutes' FROM generate_series(1, 5)",
    )
    .bind(t.tenant_id.0)
    .execute(&app.central.dbs.master)
    .await
    .unwrap();
    for _ in 0..5 {
        expect_error(app.login(t.tenant_id.0, "0000", "caja-1").await, StatusCode::UNAUTHORIZED, "wrong_pin")
            .await;
    }
    let body = expect_error(
        app.login(t.tenant_id.0, OWNER_PIN, "caja-1").await,
        StatusCode::TOO_MANY_REQUESTS,
        "device_locked",
    )
    .await;
    let retry = body["retry_after_secs"].as_i64().unwrap();
    assert!((14 * 60..=15 * 60).contains(&retry), "{body}");

    let second = app.another_instance().await;
    expect_error(
        second.login(t.tenant_id.0, OWNER_PIN, "caja-1").await,
        StatusCode::TOO_MANY_REQUESTS,
        "device_locked",
    )
    .await;
    let scratch = app.scratch.clone();
    app.stop().await;
    second.stop().await;
    let restarted = crate::helpers::TestApp::spawn_over(scratch).await;
    expect_error(
        restarted.login(t.tenant_id.0, OWNER_PIN, "caja-1").await,
        StatusCode::TOO_MANY_REQUESTS,
        "device_locked",
    )
    .await;
}

#[tokio::test]
async fn every_attempt_is_audited_in_the_tenant() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    app.login(t.tenant_id.0, "0000", "caja-9").await;
    app.login(t.tenant_id.0, OWNER_PIN, "caja-9").await;
    let mut db = app.tenant_db(&t).await;
    let rows = crate::helpers::audit_rows(&mut db, "LOGIN%").await;
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].action.as_str(), rows[0].employee_id), ("LOGIN_FAILED", None));
    assert_eq!((rows[1].action.as_str(), rows[1].employee_id), ("LOGIN", Some(t.owner_id.0)));
    assert!(
        rows.iter().all(|r| r.device_id.as_deref() == Some("caja-9") && r.ip_address.as_deref() == Some("127.0.0.1"))
    );
    let text: String =
        sqlx::query_scalar("SELECT string_agg(coalesce(new_value::text, ''), ' ') FROM audit_log")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert!(!text.contains(OWNER_PIN) && !text.contains("0000"), "no PIN in the audit log");
}

fn craft(claims: &Claims, secret: &str, alg: jsonwebtoken::Algorithm) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn foreign_expired_and_tampered_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let token = app.token(t.tenant_id.0, OWNER_PIN).await;
    let good = app.central.tokens.verify(&token).unwrap();
    let secret = app.central.settings.jwt_secret.expose().to_owned();

    let foreign = craft(&good, "another-service-secret-0123456789abcdef", jsonwebtoken::Algorithm::HS256);
    expect_error(app.get("/v1/auth/me", &foreign).await, StatusCode::UNAUTHORIZED, "token_invalid").await;

    let other_alg = craft(&good, &secret, jsonwebtoken::Algorithm::HS512);
    expect_error(app.get("/v1/auth/me", &other_alg).await, StatusCode::UNAUTHORIZED, "token_invalid").await;

    let past = Utc::now() - Duration::hours(9);
    let expired =
        Claims { iat: past.timestamp(), exp: (past + Duration::hours(8)).timestamp(), ..good.clone() };
    let expired = craft(&expired, &secret, jsonwebtoken::Algorithm::HS256);
    expect_error(app.get("/v1/auth/me", &expired).await, StatusCode::UNAUTHORIZED, "token_expired").await;

    let wrong_audience = Claims { aud: "someone-else".into(), ..good.clone() };
    let wrong_audience = craft(&wrong_audience, &secret, jsonwebtoken::Algorithm::HS256);
    expect_error(app.get("/v1/auth/me", &wrong_audience).await, StatusCode::UNAUTHORIZED, "token_invalid")
        .await;

    let device = Claims { token_type: TokenType::Device, ..good.clone() };
    let device = craft(&device, &secret, jsonwebtoken::Algorithm::HS256);
    expect_error(app.get("/v1/auth/me", &device).await, StatusCode::UNAUTHORIZED, "wrong_token_type").await;

    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1].insert(3, 'x');
    expect_error(app.get("/v1/auth/me", &parts.join(".")).await, StatusCode::UNAUTHORIZED, "token_invalid")
        .await;

    let unknown_tenant = Claims { tenant_id: nexus_domain::TenantId(Uuid::now_v7()), ..good };
    let unknown_tenant = craft(&unknown_tenant, &secret, jsonwebtoken::Algorithm::HS256);
    expect_error(app.get("/v1/auth/me", &unknown_tenant).await, StatusCode::UNAUTHORIZED, "tenant_inactive")
        .await;
    assert_eq!((ISSUER, AUDIENCE), ("nexus-central", "nexus-pos"));
}

#[tokio::test]
async fn logout_ends_the_session_of_that_token_only() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let a = app.token(t.tenant_id.0, OWNER_PIN).await;
    let b = app.token(t.tenant_id.0, OWNER_PIN).await;
    assert_eq!(app.post("/v1/auth/logout", &a, serde_json::json!({})).await.status(), StatusCode::NO_CONTENT);
    expect_error(app.get("/v1/auth/me", &a).await, StatusCode::UNAUTHORIZED, "session_ended").await;
    assert_eq!(app.get("/v1/auth/me", &b).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_service_refuses_to_start_with_a_missing_or_weak_key() {
    let scratch = crate::helpers::Scratch::default();
    let missing = nexus_central::Settings { jwt_secret: Default::default(), ..scratch.settings() };
    assert!(nexus_central::Central::new(missing).is_err());
    let weak = nexus_central::Settings {
        jwt_secret: nexus_central::settings::Secret::new("nexus-pos-secret-change-in-prod-2026"),
        ..scratch.settings()
    };
    assert!(nexus_central::Central::new(weak).is_err());
}
