//! Invitations to headquarters: the owner invites by email and role, the
//! person chooses their password through a one-time code, and a code that
//! was used, withdrawn, replaced or expired opens nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{OWNER_PASSWORD, TestApp, audit_rows, expect_error};

const PASSWORD: &str = "una-contraseña-larga-2026";

async fn invite(app: &TestApp, hq: &str, email: &str, role: &str) -> (String, Value) {
    let res = app.post("/v1/hq/invitations", hq, json!({ "email": email, "role": role })).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    let body: Value = res.json().await.unwrap();
    (body["code"].as_str().unwrap().to_owned(), body["invitation"].clone())
}

async fn accept(app: &TestApp, code: &str, name: &str, password: &str) -> reqwest::Response {
    app.request(
        Method::POST,
        "/v1/hq/invitations/accept",
        None,
        Some(json!({ "code": code, "name": name, "password": password })),
    )
    .await
}

#[tokio::test]
async fn an_invited_auditor_chooses_a_password_and_logs_in_with_read_only_powers() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let (code, invitation) = invite(&app, &hq, "  Auditora@Example.MX ", "auditor").await;
    assert_eq!(invitation["email"], "auditora@example.mx");
    assert_eq!(invitation["status"], "open");
    assert_eq!(code.len(), 64);

    let preview =
        app.request(Method::POST, "/v1/hq/invitations/preview", None, Some(json!({ "code": code }))).await;
    assert_eq!(preview.status(), StatusCode::OK);
    let preview: Value = preview.json().await.unwrap();
    assert_eq!(preview["tenant_name"], "Tienda");
    assert_eq!(preview["role"], "auditor");

    let res = accept(&app, &code, "Auditora", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let account: Value = res.json().await.unwrap();
    assert_eq!(account["role"], "auditor");

    let res = app.hq_login("auditora@example.mx", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/v1/devices", &token).await.status(), StatusCode::OK);
    expect_error(
        app.post("/v1/devices/enrollment-codes", &token, json!({ "branch_id": t.branch_id })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    // Spent: the code opens nothing more.
    expect_error(accept(&app, &code, "Otra", PASSWORD).await, StatusCode::CONFLICT, "invitation_used").await;
    let listed: Vec<Value> = app.get("/v1/hq/invitations", &hq).await.json().await.unwrap();
    assert_eq!(listed[0]["status"], "accepted");

    let mut db = app.tenant_db(&t).await;
    let actions: Vec<String> = audit_rows(&mut db, "HQ_%").await.into_iter().map(|r| r.action).collect();
    for action in ["HQ_INVITE_CREATE", "HQ_ACCOUNT_CREATE", "HQ_INVITE_ACCEPT"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
    // Neither the code nor the password is in the audit log or the database.
    let dump: String =
        sqlx::query_scalar("SELECT string_agg(coalesce(new_value::text, ''), ' ') FROM audit_log")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert!(!dump.contains(&code) && !dump.contains(PASSWORD));
}

#[tokio::test]
async fn an_expired_withdrawn_replaced_or_unknown_invitation_opens_nothing() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;

    let (expired, _) = invite(&app, &hq, "vencida@example.mx", "admin").await;
    sqlx::query("UPDATE hq_invitations SET expires_at = NOW() - interval '1 second' WHERE email = 'vencida@example.mx'")
        .execute(&app.central.dbs.master)
        .await
        .unwrap();
    expect_error(accept(&app, &expired, "X", PASSWORD).await, StatusCode::CONFLICT, "invitation_expired")
        .await;

    let (withdrawn, invitation) = invite(&app, &hq, "retirada@example.mx", "admin").await;
    let id = invitation["id"].as_str().unwrap();
    let res = app.post(&format!("/v1/hq/invitations/{id}/revoke"), &hq, json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    expect_error(accept(&app, &withdrawn, "X", PASSWORD).await, StatusCode::NOT_FOUND, "invitation_invalid")
        .await;

    let (first, _) = invite(&app, &hq, "dos-veces@example.mx", "accountant").await;
    let (second, _) = invite(&app, &hq, "dos-veces@example.mx", "auditor").await;
    expect_error(accept(&app, &first, "X", PASSWORD).await, StatusCode::NOT_FOUND, "invitation_invalid")
        .await;
    assert_eq!(accept(&app, &second, "Y", PASSWORD).await.status(), StatusCode::CREATED);

    for unknown in ["", "00", &"f".repeat(64), "<script>"] {
        expect_error(accept(&app, unknown, "X", PASSWORD).await, StatusCode::NOT_FOUND, "invitation_invalid")
            .await;
    }
    for email in ["vencida@example.mx", "retirada@example.mx"] {
        expect_error(app.hq_login(email, PASSWORD).await, StatusCode::UNAUTHORIZED, "hq_login_failed").await;
    }
}

#[tokio::test]
async fn only_the_owner_invites_and_nobody_is_invited_twice() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let admin = app.hq_as(&t, "admin").await;
    expect_error(
        app.post("/v1/hq/invitations", &admin, json!({ "email": "x@example.mx", "role": "admin" })).await,
        StatusCode::FORBIDDEN,
        "hq_owner_required",
    )
    .await;
    expect_error(app.get("/v1/hq/invitations", &admin).await, StatusCode::FORBIDDEN, "hq_owner_required")
        .await;
    let device = app.device(&t, &hq).await;
    let counter = app.token(&device, &t.owner_pin).await;
    expect_error(
        app.post("/v1/hq/invitations", &counter, json!({ "email": "x@example.mx", "role": "admin" })).await,
        StatusCode::FORBIDDEN,
        "hq_login_required",
    )
    .await;
    // An email that already has an account, anywhere on the platform.
    expect_error(
        app.post("/v1/hq/invitations", &hq, json!({ "email": t.owner_email, "role": "admin" })).await,
        StatusCode::CONFLICT,
        "hq_email_taken",
    )
    .await;
    for body in [
        json!({ "email": "sin-arroba", "role": "admin" }),
        json!({ "email": "a@example.mx", "role": "superuser" }),
        json!({ "email": "a@example.mx" }),
        json!({ "email": "a@example.mx", "role": "admin", "tenant_id": t.tenant_id }),
    ] {
        let res = app.post("/v1/hq/invitations", &hq, body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    // Another tenant's owner cannot withdraw this tenant's invitation.
    let other = app.provision("Otra").await;
    let other_hq = app.hq(&other).await;
    let (_, invitation) = invite(&app, &hq, "mia@example.mx", "auditor").await;
    let id = invitation["id"].as_str().unwrap();
    expect_error(
        app.post(&format!("/v1/hq/invitations/{id}/revoke"), &other_hq, json!({})).await,
        StatusCode::NOT_FOUND,
        "invitation_invalid",
    )
    .await;
    assert!(app.get("/v1/hq/invitations", &other_hq).await.json::<Vec<Value>>().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_weak_password_leaves_the_invitation_open_and_two_racing_accepts_make_one_account() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let (code, _) = invite(&app, &hq, "carrera@example.mx", "accountant").await;
    let res = accept(&app, &code, "Corta", "corta").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = accept(&app, &code, "   ", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let (a, b) = tokio::join!(accept(&app, &code, "Uno", PASSWORD), accept(&app, &code, "Dos", PASSWORD));
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses[0], StatusCode::CREATED);
    assert_eq!(statuses[1], StatusCode::CONFLICT);
    let accounts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM hq_accounts WHERE email = 'carrera@example.mx'")
            .fetch_one(&app.central.dbs.master)
            .await
            .unwrap();
    assert_eq!(accounts, 1);
    assert_eq!(app.hq_login("carrera@example.mx", PASSWORD).await.status(), StatusCode::OK);
    assert_eq!(app.hq_login(&t.owner_email, OWNER_PASSWORD).await.status(), StatusCode::OK);
}
