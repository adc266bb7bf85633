//! Counter PIN login at central: only through an enrolled device, throttled
//! where a guesser cannot reset the count, and good for a counter only.

use chrono::{Duration, Utc};
use nexus_domain::claims::{AUDIENCE, Claims, ISSUER, TokenScope, TokenType};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, expect_error};

/// A PIN no employee of a fresh tenant holds (the owner's has 6 digits).
const WRONG: &str = "0000";

#[tokio::test]
async fn the_owner_logs_in_with_the_pin_at_an_enrolled_device_and_gets_a_counter_token() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let device = app.device(&t, &app.hq(&t).await).await;
    let res = app.login(&device, &t.owner_pin).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["employee"]["role"], "owner");
    assert!(body["permissions"].as_array().unwrap().iter().any(|p| p == "CASH.ASSIGN"));
    let claims = app.central.tokens.verify(body["token"].as_str().unwrap()).unwrap();
    assert_eq!((claims.token_type, claims.scope), (TokenType::Employee, TokenScope::Counter));
    assert_eq!(claims.tenant_id, t.tenant_id);
    assert_eq!(claims.employee_id, Some(t.owner_id));
    let device_id = crate::helpers::device_id(&device).to_string();
    assert_eq!(claims.device_id.as_deref(), Some(device_id.as_str()), "the device comes from its credential");
    assert_eq!(claims.exp - claims.iat, 8 * 3600);

    let me: Value = app.get("/v1/auth/me", body["token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(me["tenant_id"], t.tenant_id.to_string());
    assert_eq!(me["employee"]["name"], "Dueña");
}

#[tokio::test]
async fn a_pin_login_without_a_live_device_credential_is_refused() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let device = app.device(&t, &hq).await;
    let counter = app.token(&device, &t.owner_pin).await;
    let body = json!({ "pin": t.owner_pin });
    // No credential, an HQ session, a counter token, a forged credential.
    let res = app.request(reqwest::Method::POST, "/v1/auth/login", None, Some(body.clone())).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "token_required").await;
    for bearer in [hq.as_str(), counter.as_str()] {
        expect_error(
            app.post("/v1/auth/login", bearer, body.clone()).await,
            StatusCode::UNAUTHORIZED,
            "device_credential_invalid",
        )
        .await;
    }
    let id = crate::helpers::device_id(&device).to_string();
    let forged = format!("nxd.{}.{}", crate::helpers::device_id(&device).simple(), "00".repeat(32));
    expect_error(
        app.post("/v1/auth/login", &forged, body.clone()).await,
        StatusCode::UNAUTHORIZED,
        "device_credential_invalid",
    )
    .await;
    // A revoked device cannot log in, and its tokens stop with it.
    let res = app.post(&format!("/v1/devices/{id}/revoke"), &hq, json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    expect_error(app.login(&device, &t.owner_pin).await, StatusCode::UNAUTHORIZED, "device_revoked").await;
    expect_error(app.get("/v1/auth/me", &counter).await, StatusCode::UNAUTHORIZED, "device_revoked").await;
}

#[tokio::test]
async fn the_tenant_and_the_device_come_from_the_credential_never_from_the_body() {
    let app = TestApp::spawn().await;
    let a = app.provision("Tienda A").await;
    let b = app.provision("Tienda B").await;
    let device_a = app.device(&a, &app.hq(&a).await).await;
    for extra in [
        json!({ "pin": b.owner_pin, "tenant_id": b.tenant_id }),
        json!({ "pin": a.owner_pin, "device_id": "caja-nueva" }),
    ] {
        expect_error(
            app.post("/v1/auth/login", &device_a, extra).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        )
        .await;
    }
    // B's owner's PIN means nothing through A's device.
    if b.owner_pin != a.owner_pin {
        expect_error(app.login(&device_a, &b.owner_pin).await, StatusCode::UNAUTHORIZED, "wrong_pin").await;
    }
    expect_error(app.login(&device_a, "12").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_pin").await;
}

#[tokio::test]
async fn five_failures_in_a_minute_ask_the_device_to_wait_and_rotating_the_request_resets_nothing() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let device = app.device(&t, &hq).await;
    // Every failure is sent differently: headers a client controls, the
    // Bearer scheme's spelling, the PIN itself.
    let variants: [(&str, &str, &str); 5] = [
        ("x-forwarded-for", "203.0.113.1", "Bearer"),
        ("x-real-ip", "203.0.113.2", "bearer"),
        ("user-agent", "otra-caja/2.0", "Bearer"),
        ("x-device-id", "CS", "Bearer"),
        ("forwarded", "for=198.51.100.9", "Bearer"),
    ];
    for (i, (header, value, scheme)) in variants.iter().enumerate() {
        let res = app
            .client
            .post(app.url("/v1/auth/login"))
            .header("authorization", format!("{scheme} {device}"))
            .header(*header, *value)
            .json(&json!({ "pin": format!("{:04}", 1000 + i) }))
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert!(
            status == StatusCode::UNAUTHORIZED
                && (body["code"] == "wrong_pin" || body["code"] == "token_required"),
            "{status} {body}"
        );
    }
    let failures: i64 = sqlx::query_scalar("SELECT count(*) FROM login_attempts WHERE NOT succeeded")
        .fetch_one(&app.central.dbs.master)
        .await
        .unwrap();
    // A lower-case scheme is no bearer at all: it never reached the PIN.
    assert_eq!(failures, 4);
    expect_error(app.login(&device, "2222").await, StatusCode::UNAUTHORIZED, "wrong_pin").await;
    let res = app.login(&device, &t.owner_pin).await;
    let retry_header: i64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    let body = expect_error(res, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    assert_eq!(body["message"], "Demasiados intentos. Espere un momento.");
    let retry = body["retry_after_secs"].as_i64().unwrap();
    assert!((1..=60).contains(&retry) && retry == retry_header, "{body}");
    // Another device of the same tenant is not affected.
    let other = app.device(&t, &hq).await;
    assert_eq!(app.login(&other, &t.owner_pin).await.status(), StatusCode::OK);
}

async fn failures(app: &TestApp, tenant: Uuid, device: &str, ip: &str, n: i64, ago_minutes: i64) {
    sqlx::query(
        "INSERT INTO login_attempts (tenant_id, device_id, succeeded, ip_address, attempted_at)
         SELECT $1, $2, false, $3, NOW() - make_interval(mins => $5) FROM generate_series(1, $4)",
    )
    .bind(tenant)
    .bind(device)
    .bind(ip)
    .bind(n)
    .bind(ago_minutes as i32)
    .execute(&app.central.dbs.master)
    .await
    .unwrap();
}

#[tokio::test]
async fn ten_failures_lock_the_device_for_fifteen_minutes_across_restarts_and_instances() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let device = app.device(&t, &app.hq(&t).await).await;
    let id = crate::helpers::device_id(&device).to_string();
    // Five failures two minutes ago, then five now: ten within fifteen minutes.
    failures(&app, t.tenant_id.0, &id, "192.0.2.1", 5, 2).await;
    let second = app.another_instance().await;
    for i in 0..5 {
        // Alternating between the instances: they count together.
        let instance = if i % 2 == 0 { &app } else { &second };
        expect_error(instance.login(&device, WRONG).await, StatusCode::UNAUTHORIZED, "wrong_pin").await;
    }
    let body =
        expect_error(app.login(&device, &t.owner_pin).await, StatusCode::TOO_MANY_REQUESTS, "device_locked")
            .await;
    assert_eq!(body["message"], "Dispositivo bloqueado. Intente en 15 minutos.");
    let retry = body["retry_after_secs"].as_i64().unwrap();
    assert!((14 * 60..=15 * 60).contains(&retry), "{body}");
    expect_error(second.login(&device, &t.owner_pin).await, StatusCode::TOO_MANY_REQUESTS, "device_locked")
        .await;
    let scratch = app.scratch.clone();
    app.stop().await;
    second.stop().await;
    let restarted = TestApp::spawn_over(scratch).await;
    expect_error(
        restarted.login(&device, &t.owner_pin).await,
        StatusCode::TOO_MANY_REQUESTS,
        "device_locked",
    )
    .await;
}

#[tokio::test]
async fn failures_from_one_address_lock_it_whatever_the_tenant_or_device() {
    let app = TestApp::spawn().await;
    let a = app.provision("Tienda A").await;
    let b = app.provision("Tienda B").await;
    let device_b = app.device(&b, &app.hq(&b).await).await;
    // 49 failures from this address (127.0.0.1) on other devices of another
    // tenant, each device far below its own limit.
    for i in 0..7 {
        failures(&app, a.tenant_id.0, &format!("otro-{i}"), "127.0.0.1", 7, 5).await;
    }
    expect_error(app.login(&device_b, WRONG).await, StatusCode::UNAUTHORIZED, "wrong_pin").await;
    let body = expect_error(
        app.login(&device_b, &b.owner_pin).await,
        StatusCode::TOO_MANY_REQUESTS,
        "address_locked",
    )
    .await;
    assert!(body["message"].as_str().unwrap().contains("15 minutos"), "{body}");
}

#[tokio::test]
async fn failures_across_a_tenant_s_devices_lock_its_counter_logins_for_a_while() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let device = app.device(&t, &app.hq(&t).await).await;
    // 199 failures in the last hour, spread over many devices and addresses,
    // each far below its own limit.
    for i in 0..39 {
        failures(&app, t.tenant_id.0, &format!("caja-{i}"), &format!("198.51.100.{i}"), 5, 20).await;
    }
    failures(&app, t.tenant_id.0, "caja-x", "198.51.100.200", 4, 20).await;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM login_attempts")
        .fetch_one(&app.central.dbs.master)
        .await
        .unwrap();
    assert_eq!(before, 199);
    // The 200th failure is the one that locks.
    expect_error(app.login(&device, WRONG).await, StatusCode::UNAUTHORIZED, "wrong_pin").await;
    expect_error(
        app.login(&device, &t.owner_pin).await,
        StatusCode::TOO_MANY_REQUESTS,
        "tenant_logins_locked",
    )
    .await;
}

#[tokio::test]
async fn every_attempt_is_audited_in_the_tenant() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let device = app.device(&t, &app.hq(&t).await).await;
    let id = crate::helpers::device_id(&device).to_string();
    app.login(&device, WRONG).await;
    app.login(&device, &t.owner_pin).await;
    let mut db = app.tenant_db(&t).await;
    let rows = crate::helpers::audit_rows(&mut db, "LOGIN%").await;
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].action.as_str(), rows[0].employee_id), ("LOGIN_FAILED", None));
    assert_eq!((rows[1].action.as_str(), rows[1].employee_id), ("LOGIN", Some(t.owner_id.0)));
    assert!(
        rows.iter()
            .all(|r| r.device_id.as_deref() == Some(id.as_str())
                && r.ip_address.as_deref() == Some("127.0.0.1"))
    );
    let text: String =
        sqlx::query_scalar("SELECT string_agg(coalesce(new_value::text, ''), ' ') FROM audit_log")
            .fetch_one(&mut db)
            .await
            .unwrap();
    // A PIN would be a JSON string of its own (digits alone also occur in ids).
    for pin in [t.owner_pin.as_str(), WRONG] {
        assert!(!text.contains(&format!("\"{pin}\"")), "no PIN in the audit log");
    }
}

#[tokio::test]
async fn attempts_no_throttle_window_needs_are_pruned_and_recent_ones_still_count() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let device = app.device(&t, &hq).await;
    let id = crate::helpers::device_id(&device).to_string();
    // Yesterday's failures (no window reaches them) and four from a minute ago.
    failures(&app, t.tenant_id.0, &id, "127.0.0.1", 700, 24 * 60).await;
    failures(&app, t.tenant_id.0, &id, "127.0.0.1", 4, 0).await;
    sqlx::query(
        "INSERT INTO hq_login_attempts (email, succeeded, ip_address, attempted_at)
         SELECT 'alguien@example.mx', false, '127.0.0.1', NOW() - interval '2 days' FROM generate_series(1, 700)",
    )
    .execute(&app.central.dbs.master)
    .await
    .unwrap();
    sqlx::query("INSERT INTO login_lockouts (scope, subject, locked_until) VALUES ('device', 'vieja', NOW() - interval '1 hour')")
        .execute(&app.central.dbs.master)
        .await
        .unwrap();
    let old = |table: &'static str| {
        let master = app.central.dbs.master.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM {table} WHERE attempted_at < NOW() - interval '1 day' + interval '1 minute'"
            )))
            .fetch_one(&master)
            .await
            .unwrap()
        }
    };
    // Each finished attempt prunes a batch: two logins clear 700 old rows.
    expect_error(app.login(&device, WRONG).await, StatusCode::UNAUTHORIZED, "wrong_pin").await;
    expect_error(app.login(&device, &t.owner_pin).await, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
        .await;
    assert_eq!(old("login_attempts").await, 200, "a login prunes a batch of 500");
    let other = app.device(&t, &hq).await;
    app.login(&other, &t.owner_pin).await;
    assert_eq!(old("login_attempts").await, 0);
    // The recent failures were kept: the device is still slowed down.
    expect_error(app.login(&device, &t.owner_pin).await, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
        .await;
    let expired: i64 = sqlx::query_scalar("SELECT count(*) FROM login_lockouts WHERE subject = 'vieja'")
        .fetch_one(&app.central.dbs.master)
        .await
        .unwrap();
    assert_eq!(expired, 0, "an expired lock is pruned too");
    // Headquarters attempts are pruned by headquarters logins.
    app.hq_login(&t.owner_email, "no-es-la-contraseña").await;
    app.hq(&t).await;
    assert_eq!(old("hq_login_attempts").await, 0);
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
    use secrecy::ExposeSecret;
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let device = app.device(&t, &app.hq(&t).await).await;
    let token = app.token(&device, &t.owner_pin).await;
    let good = app.central.tokens.verify(&token).unwrap();
    let secret = app.central.settings.jwt_secret.expose_secret().to_owned();

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

    let device_type = Claims { token_type: TokenType::Device, ..good.clone() };
    let device_type = craft(&device_type, &secret, jsonwebtoken::Algorithm::HS256);
    expect_error(app.get("/v1/auth/me", &device_type).await, StatusCode::UNAUTHORIZED, "wrong_token_type")
        .await;

    let mut unscoped = serde_json::to_value(&good).unwrap();
    unscoped.as_object_mut().unwrap().remove("scope");
    let unscoped = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &unscoped,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    expect_error(app.get("/v1/auth/me", &unscoped).await, StatusCode::UNAUTHORIZED, "token_invalid").await;

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
    let device = app.device(&t, &app.hq(&t).await).await;
    let a = app.token(&device, &t.owner_pin).await;
    let b = app.token(&device, &t.owner_pin).await;
    assert_eq!(app.post("/v1/auth/logout", &a, json!({})).await.status(), StatusCode::NO_CONTENT);
    expect_error(app.get("/v1/auth/me", &a).await, StatusCode::UNAUTHORIZED, "session_ended").await;
    assert_eq!(app.get("/v1/auth/me", &b).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_service_refuses_to_start_with_a_missing_or_weak_key() {
    let scratch = crate::helpers::Scratch::default();
    let missing = nexus_central::Settings { jwt_secret: Default::default(), ..scratch.settings() };
    assert!(nexus_central::Central::new(missing).is_err());
    let weak = nexus_central::Settings {
        jwt_secret: secrecy::SecretString::from("nexus-pos-secret-change-in-prod-2026"),
        ..scratch.settings()
    };
    assert!(nexus_central::Central::new(weak).is_err());
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_one_counted_and_audited() {
    let loopback: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    let app = TestApp::spawn_with(|s| nexus_central::Settings { trusted_proxies: vec![loopback], ..s }).await;
    let t = app.provision("Tienda").await;
    let device = app.device(&t, &app.hq(&t).await).await;
    let res = app
        .client
        .post(app.url("/v1/auth/login"))
        .bearer_auth(&device)
        .header("x-forwarded-for", "198.51.100.77, 203.0.113.9")
        .json(&json!({ "pin": WRONG }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "wrong_pin").await;
    let ip: Option<String> = sqlx::query_scalar("SELECT ip_address FROM login_attempts")
        .fetch_one(&app.central.dbs.master)
        .await
        .unwrap();
    // The proxy appended the client's address last; what the client wrote before it is not believed.
    assert_eq!(ip.as_deref(), Some("203.0.113.9"));
    let mut db = app.tenant_db(&t).await;
    let rows = crate::helpers::audit_rows(&mut db, "LOGIN_FAILED").await;
    assert_eq!(rows[0].ip_address.as_deref(), Some("203.0.113.9"));
}
