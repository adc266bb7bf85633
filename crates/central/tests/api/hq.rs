//! Headquarters accounts: email and password logins, sessions, roles, and a
//! counter's PIN token refused wherever headquarters' powers are.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, OWNER_PASSWORD, TestApp, expect_error};

#[tokio::test]
async fn the_owner_logs_in_at_headquarters_with_email_and_password() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    // The email is matched whatever its case or surrounding spaces.
    let res = app.hq_login(&format!("  {}  ", t.owner_email.to_uppercase()), OWNER_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    assert!(token.starts_with("nxh."), "{token}");
    assert_eq!(body["account"]["role"], "owner");
    assert_eq!(body["account"]["email"], t.owner_email);
    assert_eq!(body["account"]["tenant_id"], json!(t.tenant_id));
    assert!(body["account"]["permissions"].as_array().unwrap().iter().any(|p| p == "SECURITY.USERS.MANAGE"));
    let me: Value = app.get("/v1/hq/me", token).await.json().await.unwrap();
    assert_eq!(me["email"], t.owner_email);
    assert_eq!(me["tenant_name"], "Tienda");
    // Only the SHA-256 of the session secret is stored.
    let secret = token.rsplit('.').next().unwrap();
    let stored: Vec<u8> = sqlx::query_scalar("SELECT secret_hash FROM hq_sessions")
        .fetch_one(&app.central.dbs.master)
        .await
        .unwrap();
    assert_ne!(hex::encode(&stored), secret);
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM hq_accounts")
        .fetch_one(&app.central.dbs.master)
        .await
        .unwrap();
    assert!(hash.starts_with("$2b$12$"), "bcrypt at cost 12: {hash}");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let wrong = expect_error(
        app.hq_login(&t.owner_email, "contraseña-equivocada").await,
        StatusCode::UNAUTHORIZED,
        "hq_login_failed",
    )
    .await;
    let unknown = expect_error(
        app.hq_login("nadie@example.mx", OWNER_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "hq_login_failed",
    )
    .await;
    assert_eq!(wrong, unknown);
    expect_error(
        app.hq_login("sin-arroba", OWNER_PASSWORD).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "field_invalid",
    )
    .await;
    expect_error(app.hq_login(&t.owner_email, "").await, StatusCode::UNPROCESSABLE_ENTITY, "field_required")
        .await;
    let res = app
        .request(
            Method::POST,
            "/v1/hq/login",
            None,
            Some(json!({ "email": t.owner_email, "password": OWNER_PASSWORD, "tenant_id": t.tenant_id })),
        )
        .await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
}

#[tokio::test]
async fn hq_logins_are_throttled_per_email_and_locked_across_instances() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let second = app.another_instance().await;
    // Ten failures in fifteen minutes, on two instances, with the email
    // spelled differently each time: one count.
    sqlx::query(
        "INSERT INTO hq_login_attempts (email, succeeded, ip_address, attempted_at)
         SELECT $1, false, '192.0.2.1', NOW() - interval '3 minutes' FROM generate_series(1, 6)",
    )
    .bind(&t.owner_email)
    .execute(&app.central.dbs.master)
    .await
    .unwrap();
    for i in 0..4 {
        let instance = if i % 2 == 0 { &app } else { &second };
        let email = if i % 2 == 0 { t.owner_email.to_uppercase() } else { format!(" {}", t.owner_email) };
        expect_error(
            instance.hq_login(&email, &format!("equivocada-{i}-xx")).await,
            StatusCode::UNAUTHORIZED,
            "hq_login_failed",
        )
        .await;
    }
    let body = expect_error(
        second.hq_login(&t.owner_email, OWNER_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "account_locked",
    )
    .await;
    assert!(body["retry_after_secs"].as_i64().unwrap() > 14 * 60, "{body}");
    let mut db = app.tenant_db(&t).await;
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'HQ_LOGIN%' ORDER BY seq")
            .fetch_all(&mut db)
            .await
            .unwrap();
    assert_eq!(actions, ["HQ_LOGIN_FAILED"; 4].into_iter().chain(["HQ_LOGIN_BLOCKED"]).collect::<Vec<_>>());
}

#[tokio::test]
async fn hq_logins_from_one_address_are_throttled_whatever_the_email() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    sqlx::query(
        "INSERT INTO hq_login_attempts (email, succeeded, ip_address, attempted_at)
         SELECT 'persona' || n || '@example.mx', false, '127.0.0.1', NOW() - interval '5 minutes'
         FROM generate_series(1, 49) AS n",
    )
    .execute(&app.central.dbs.master)
    .await
    .unwrap();
    expect_error(
        app.hq_login("otra@example.mx", OWNER_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "hq_login_failed",
    )
    .await;
    expect_error(
        app.hq_login(&t.owner_email, OWNER_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "address_locked",
    )
    .await;
}

#[tokio::test]
async fn every_hq_login_failed_or_not_and_every_logout_is_audited_without_the_password() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    app.hq_login(&t.owner_email, "equivocada-123").await;
    let token = app.hq(&t).await;
    app.request(Method::POST, "/v1/hq/logout", Some(&token), None).await;
    let mut db = app.tenant_db(&t).await;
    let rows = crate::helpers::audit_rows(&mut db, "HQ_%").await;
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["HQ_ACCOUNT_CREATE", "HQ_LOGIN_FAILED", "HQ_LOGIN", "HQ_LOGOUT"]);
    assert!(rows[1..].iter().all(|r| r.ip_address.as_deref() == Some("127.0.0.1")));
    // Provisioning made the account; the account did the rest.
    assert_eq!(rows[0].device_id.as_deref(), Some("central"));
    assert!(
        rows[1..].iter().all(|r| r.device_id.as_deref().is_some_and(|d| d.starts_with("hq:"))),
        "{rows:?}"
    );
    assert_eq!(rows[2].employee_id, Some(t.owner_id.0), "the owner's account is the owner");
    let text: String = sqlx::query_scalar(
        "SELECT string_agg(coalesce(old_value::text, '') || coalesce(new_value::text, ''), ' ') FROM audit_log",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert!(!text.contains(OWNER_PASSWORD) && !text.contains("equivocada"), "no password in the audit log");
    assert!(nexus_central::audit::verify_chain(&mut db, "central").await.unwrap().is_ok());
}

#[tokio::test]
async fn logout_ends_one_session_and_logout_everywhere_ends_them_all() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let a = app.hq(&t).await;
    let b = app.hq(&t).await;
    let c = app.hq(&t).await;
    let res = app.request(Method::POST, "/v1/hq/logout", Some(&a), None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    expect_error(app.get("/v1/hq/me", &a).await, StatusCode::UNAUTHORIZED, "hq_session_ended").await;
    assert_eq!(app.get("/v1/hq/me", &b).await.status(), StatusCode::OK);
    let res = app.request(Method::POST, "/v1/hq/logout?everywhere=true", Some(&b), None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for token in [&b, &c] {
        expect_error(app.get("/v1/hq/me", token).await, StatusCode::UNAUTHORIZED, "hq_session_ended").await;
    }
    // A forged secret for a real session id is no session.
    let d = app.hq(&t).await;
    let id = d.split('.').nth(1).unwrap();
    let forged = format!("nxh.{id}.{}", "ab".repeat(32));
    expect_error(app.get("/v1/hq/me", &forged).await, StatusCode::UNAUTHORIZED, "hq_session_invalid").await;
    assert_eq!(app.get("/v1/hq/me", &d).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_idle_or_expired_session_or_a_deactivated_account_is_refused() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let master = &app.central.dbs.master;
    let idle = app.hq(&t).await;
    sqlx::query("UPDATE hq_sessions SET last_seen_at = NOW() - interval '31 minutes' WHERE id = $1")
        .bind(idle.split('.').nth(1).unwrap().parse::<uuid::Uuid>().unwrap())
        .execute(master)
        .await
        .unwrap();
    expect_error(app.get("/v1/hq/me", &idle).await, StatusCode::UNAUTHORIZED, "hq_session_expired").await;
    // Used a minute ago, but logged in more than twelve hours ago.
    let old = app.hq(&t).await;
    sqlx::query(
        "UPDATE hq_sessions SET created_at = NOW() - interval '13 hours', expires_at = NOW() - interval '1 hour',
                last_seen_at = NOW() - interval '1 minute' WHERE id = $1",
    )
    .bind(old.split('.').nth(1).unwrap().parse::<uuid::Uuid>().unwrap())
    .execute(master)
    .await
    .unwrap();
    expect_error(app.get("/v1/hq/me", &old).await, StatusCode::UNAUTHORIZED, "hq_session_expired").await;
    // Used now and then keeps a session alive.
    let busy = app.hq(&t).await;
    sqlx::query("UPDATE hq_sessions SET last_seen_at = NOW() - interval '29 minutes' WHERE id = $1")
        .bind(busy.split('.').nth(1).unwrap().parse::<uuid::Uuid>().unwrap())
        .execute(master)
        .await
        .unwrap();
    assert_eq!(app.get("/v1/hq/me", &busy).await.status(), StatusCode::OK);
    let seen: bool = sqlx::query_scalar(
        "SELECT last_seen_at > NOW() - interval '1 minute' FROM hq_sessions WHERE id = $1",
    )
    .bind(busy.split('.').nth(1).unwrap().parse::<uuid::Uuid>().unwrap())
    .fetch_one(master)
    .await
    .unwrap();
    assert!(seen, "a request moves the idle clock");
    sqlx::query("UPDATE hq_accounts SET is_active = false").execute(master).await.unwrap();
    expect_error(app.get("/v1/hq/me", &busy).await, StatusCode::UNAUTHORIZED, "hq_account_inactive").await;
    expect_error(
        app.hq_login(&t.owner_email, OWNER_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "hq_login_failed",
    )
    .await;
}

/// Every route that needs headquarters, with a body it would accept.
fn hq_routes(t: &crate::helpers::Tenant) -> Vec<(Method, String, Option<Value>)> {
    let id = uuid::Uuid::now_v7();
    vec![
        (Method::GET, "/v1/hq/me".into(), None),
        (Method::POST, "/v1/hq/logout".into(), None),
        (Method::GET, "/v1/employees".into(), None),
        (Method::POST, "/v1/employees".into(), Some(json!({ "name": "X", "role": "cashier" }))),
        (Method::GET, format!("/v1/employees/{}", t.owner_id), None),
        (Method::PATCH, format!("/v1/employees/{}", t.owner_id), Some(json!({ "name": "X" }))),
        (Method::POST, format!("/v1/employees/{id}/deactivate"), None),
        (Method::POST, format!("/v1/employees/{id}/reset-pin"), None),
        (Method::POST, "/v1/branches".into(), Some(json!({ "name": "Norte" }))),
        (Method::PATCH, format!("/v1/branches/{}", t.branch_id), Some(json!({ "name": "X" }))),
        (Method::POST, format!("/v1/branches/{}/deactivate", t.branch_id), None),
        (Method::PUT, "/v1/theme".into(), Some(json!({ "variables": {} }))),
        (Method::POST, "/v1/devices/enrollment-codes".into(), Some(json!({ "branch_id": t.branch_id }))),
        (Method::GET, "/v1/devices".into(), None),
        (Method::POST, format!("/v1/devices/{id}/revoke"), None),
        (Method::GET, "/v1/sync/conflicts".into(), None),
        (Method::GET, "/v1/sync/parked".into(), None),
        (Method::GET, "/v1/approvals".into(), None),
        (Method::POST, format!("/v1/approvals/{id}/approve"), None),
        (Method::POST, format!("/v1/approvals/{id}/refuse"), None),
        (Method::GET, "/v1/alerts".into(), None),
        (Method::GET, "/v1/alerts/count".into(), None),
        (Method::POST, format!("/v1/alerts/{id}/ack"), Some(json!({ "note": "visto" }))),
        (Method::GET, "/v1/alerts/settings".into(), None),
        (Method::PUT, "/v1/alerts/settings".into(), Some(json!({}))),
        (Method::GET, "/v1/reports/sales-by-day".into(), None),
        (Method::GET, "/v1/reports/sales-by-hour".into(), None),
        (Method::GET, "/v1/reports/sales-by-cashier".into(), None),
        (Method::GET, "/v1/reports/sales-by-payment-method".into(), None),
        (Method::GET, "/v1/reports/sales-by-register".into(), None),
        (Method::GET, "/v1/reports/cash-differences".into(), None),
        (Method::GET, "/v1/reports/register-rotation".into(), None),
        (Method::GET, "/v1/sessions".into(), None),
        (Method::GET, format!("/v1/sessions/{id}"), None),
        (Method::GET, "/v1/board".into(), None),
        (Method::GET, "/v1/board/events".into(), None),
        (Method::GET, "/v1/registers".into(), None),
        (
            Method::POST,
            "/v1/registers".into(),
            Some(json!({ "name": "X", "register_number": 9, "branch_id": t.branch_id })),
        ),
        (Method::GET, format!("/v1/registers/{id}"), None),
        (Method::PATCH, format!("/v1/registers/{id}"), Some(json!({ "name": "X" }))),
        (Method::GET, "/v1/register-assignments".into(), None),
        (
            Method::POST,
            "/v1/register-assignments".into(),
            Some(json!({ "cash_register_id": id, "user_id": t.owner_id })),
        ),
        (Method::POST, format!("/v1/register-assignments/{id}/activate"), None),
        (Method::POST, format!("/v1/register-assignments/{id}/deactivate"), None),
        (Method::GET, "/v1/hq/invitations".into(), None),
        (
            Method::POST,
            "/v1/hq/invitations".into(),
            Some(json!({ "email": "x@example.mx", "role": "auditor" })),
        ),
        (Method::POST, format!("/v1/hq/invitations/{id}/revoke"), None),
        (Method::GET, "/v1/hq/totp".into(), None),
        (Method::POST, "/v1/hq/totp/setup".into(), None),
        (Method::POST, "/v1/hq/totp/enable".into(), Some(json!({ "code": "123456" }))),
        (Method::POST, "/v1/hq/totp/disable".into(), Some(json!({ "code": "123456" }))),
        (Method::GET, "/v1/hq/settings".into(), None),
        (Method::PUT, "/v1/hq/settings".into(), Some(json!({ "totp_required": false }))),
        (Method::GET, "/v1/audit".into(), None),
        (Method::GET, "/v1/audit/chains".into(), None),
        (Method::GET, "/v1/audit/chains/{chain}/verify".into(), None),
        (Method::GET, "/v1/sessions/remote-closes".into(), None),
        (Method::POST, format!("/v1/sessions/{id}/remote-close"), Some(json!({ "reason": "x" }))),
    ]
}

#[tokio::test]
async fn a_counter_pin_token_is_refused_on_every_headquarters_route() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let device = app.device(&t, &hq).await;
    // Even the owner's PIN, through a live device, opens none of them.
    let counter = app.token(&device, &t.owner_pin).await;
    for (method, path, body) in hq_routes(&t) {
        for token in [counter.as_str(), device.as_str(), ADMIN_TOKEN] {
            let res = app.request(method.clone(), &path, Some(token), body.clone()).await;
            let body = expect_error(res, StatusCode::FORBIDDEN, "hq_login_required").await;
            assert!(body["message"].as_str().unwrap().contains("oficina central"), "{method} {path}: {body}");
        }
    }
    // What a counter needs to read still takes its token; headquarters reads it too.
    for path in ["/v1/auth/me", "/v1/branches", "/v1/theme"] {
        assert_eq!(app.get(path, &counter).await.status(), StatusCode::OK, "{path}");
    }
    for path in ["/v1/branches", "/v1/theme"] {
        assert_eq!(app.get(path, &hq).await.status(), StatusCode::OK, "{path}");
    }
    // And the HQ routes are covered: every secured route of the document is
    // either in the list above or a counter's or a device's.
    let doc: Value = app.request(Method::GET, "/v1/openapi.json", None, None).await.json().await.unwrap();
    let listed: Vec<(String, String)> =
        hq_routes(&t).into_iter().map(|(m, p, _)| (m.as_str().to_lowercase(), p)).collect();
    let counter_or_device = ["/v1/auth/", "/v1/sync/push", "/v1/sync/pull", "/v1/tenants"];
    let template = |p: &str| {
        p.split('/')
            .map(|seg| if seg.parse::<uuid::Uuid>().is_ok() { "{id}" } else { seg })
            .collect::<Vec<_>>()
            .join("/")
    };
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let read_by_all = method == "get" && (path == "/v1/branches" || path == "/v1/theme");
            if op.get("security").is_none()
                || read_by_all
                || counter_or_device.iter().any(|p| path.starts_with(p))
            {
                continue;
            }
            let covered = listed.iter().any(|(m, p)| m == method && template(p) == *path);
            assert!(covered, "{method} {path} needs headquarters but is not tested here");
        }
    }
}

#[tokio::test]
async fn each_hq_role_may_do_what_its_job_needs_and_nothing_more() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.hq(&t).await;
    let mut passwords = Vec::new();
    for role in ["admin", "accountant", "auditor"] {
        let added = nexus_central::hq::add(
            &app.central,
            &nexus_central::hq::NewHqAccount {
                tenant_id: t.tenant_id,
                email: &format!("{role}@tienda.example.mx"),
                name: role,
                role: nexus_central::hq::HqRole::parse(role).unwrap(),
                employee_id: None,
                password: None,
            },
            &Default::default(),
        )
        .await
        .unwrap();
        let password = added.generated_password.unwrap().expose().to_owned();
        assert!(password.chars().count() >= 12);
        passwords.push((role, password));
    }
    let mut tokens = std::collections::HashMap::new();
    for (role, password) in &passwords {
        let res = app.hq_login(&format!("{role}@tienda.example.mx"), password).await;
        assert_eq!(res.status(), StatusCode::OK);
        tokens.insert(*role, res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned());
    }
    // The admin manages staff and devices, within their own permissions.
    let (_, pin) = app.employee(&tokens["admin"], "Caja", "cashier").await;
    assert_eq!(pin.len(), 4);
    assert_eq!(app.get("/v1/devices", &tokens["admin"]).await.status(), StatusCode::OK);
    let body = expect_error(
        app.post("/v1/employees", &tokens["admin"], json!({ "name": "X", "role": "accountant" })).await,
        StatusCode::FORBIDDEN,
        "permission_escalation",
    )
    .await;
    assert!(body["message"].as_str().unwrap().contains("accounting."), "{body}");
    // The accountant reads conflicts but changes no staff.
    assert_eq!(app.get("/v1/sync/conflicts", &tokens["accountant"]).await.status(), StatusCode::OK);
    let body = expect_error(
        app.post("/v1/employees", &tokens["accountant"], json!({ "name": "X", "role": "cashier" })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_eq!(body["missing"], json!(["SECURITY.USERS.MANAGE"]));
    // The auditor reads and changes nothing.
    for path in ["/v1/employees", "/v1/devices", "/v1/sync/conflicts", "/v1/branches"] {
        assert_eq!(app.get(path, &tokens["auditor"]).await.status(), StatusCode::OK, "{path}");
    }
    for (method, path, body) in [
        (Method::POST, "/v1/branches".to_owned(), json!({ "name": "Sur" })),
        (Method::PUT, "/v1/theme".to_owned(), json!({ "variables": {} })),
        (Method::POST, "/v1/devices/enrollment-codes".to_owned(), json!({ "branch_id": t.branch_id })),
        (Method::PATCH, format!("/v1/employees/{}", t.owner_id), json!({ "name": "X" })),
    ] {
        let res = app.request(method, &path, Some(&tokens["auditor"]), Some(body)).await;
        expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    }
    // Only the owner edits the owner.
    expect_error(
        app.patch(&format!("/v1/employees/{}", t.owner_id), &tokens["admin"], json!({ "name": "Hackeado" }))
            .await,
        StatusCode::FORBIDDEN,
        "owner_protected",
    )
    .await;
    let res = app
        .patch(&format!("/v1/employees/{}", t.owner_id), &owner, json!({ "name": "Dueña Principal" }))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_command_line_adds_a_person_to_headquarters_with_a_one_time_password() {
    use secrecy::ExposeSecret;
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let s = &app.central.settings;
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pos-central"))
            .args(args)
            .env("NEXUS_MASTER_DATABASE_URL", &s.master_database_url)
            .env("NEXUS_TEMPLATE_DATABASE", &s.template_database)
            .env("NEXUS_TENANT_DATABASE_PREFIX", &s.tenant_database_prefix)
            .env("NEXUS_JWT_SECRET", s.jwt_secret.expose_secret())
            .env("NEXUS_PIN_KEY_SECRET", s.pin_key_secret.expose_secret())
            .output()
            .unwrap()
    };
    let tenant = t.tenant_id.to_string();
    let out =
        run(&["hq", "add", "--tenant", &tenant, "--email", "Contadora@Tienda.mx", "--role", "accountant"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let added: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (added["email"].as_str(), added["role"].as_str()),
        (Some("contadora@tienda.mx"), Some("accountant"))
    );
    let password = added["password"].as_str().unwrap();
    let res = app.hq_login("contadora@tienda.mx", password).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["account"]["role"], "accountant");
    // The same email twice, or a role that does not exist: refused.
    let again = run(&["hq", "add", "--tenant", &tenant, "--email", "contadora@tienda.mx", "--role", "admin"]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("correo"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let bad = run(&["hq", "add", "--tenant", &tenant, "--email", "x@tienda.mx", "--role", "jefe"]);
    assert!(!bad.status.success());
}
