use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;

use secrecy::ExposeSecret;

use crate::helpers::{ADMIN_TOKEN, OWNER_PASSWORD, TestApp, admin_sql, expect_error};

#[tokio::test]
async fn provisioning_makes_a_database_named_from_the_uuid_with_branch_owner_and_accounts() {
    let app = TestApp::spawn().await;
    let t = app.provision("Refaccionaria López").await;
    assert_eq!(t.db_name, format!("{}_t_{}", app.scratch.prefix, t.tenant_id.0.simple()));
    assert_eq!(t.slug, "refaccionaria-lopez");
    assert!(app.scratch.databases().await.contains(&t.db_name));

    let mut db = app.tenant_db(&t).await;
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
         AND table_name <> 'schema_migrations'",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(
        tables, 36,
        "21 tables of the foundation, sessions, assignments and theme, sale payments, six of sync \
         (devices, ops, conflicts, feed, approvals, parked), two of alerts (alerts, settings), two report summaries and the remote close requests"
    );
    let branch: String = sqlx::query_scalar("SELECT name FROM branches").fetch_one(&mut db).await.unwrap();
    assert_eq!(branch, "Principal");
    let (role, perms): (String, i64) = sqlx::query_as(
        "SELECT e.role, (SELECT count(*) FROM employee_permissions p WHERE p.employee_id = e.id) FROM employees e",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!((role.as_str(), perms), ("owner", nexus_domain::Permission::ALL.len() as i64));
    let pin_hash: String =
        sqlx::query_scalar("SELECT pin_hash FROM employees").fetch_one(&mut db).await.unwrap();
    assert!(pin_hash.starts_with("$2b$10$") && !pin_hash.contains(&t.owner_pin));
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts").fetch_one(&mut db).await.unwrap();
    assert_eq!(accounts, 21);
    let parent_of_caja: String = sqlx::query_scalar(
        "SELECT p.code FROM accounts a JOIN accounts p ON p.id = a.parent_id WHERE a.code = '110'",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(parent_of_caja, "100");

    // The owner has a 6-digit counter PIN and a headquarters account.
    assert!(t.owner_pin.len() == 6 && t.owner_pin.bytes().all(|b| b.is_ascii_digit()), "{}", t.owner_pin);
    let hq = app.hq(&t).await;
    let me: Value = app.get("/v1/hq/me", &hq).await.json().await.unwrap();
    assert_eq!((me["role"].as_str(), me["name"].as_str()), (Some("owner"), Some("Dueña")));
    let device = app.device(&t, &hq).await;
    let token = app.token(&device, &t.owner_pin).await;
    let me: Value = app.get("/v1/auth/me", &token).await.json().await.unwrap();
    assert_eq!(me["employee"]["role"], "owner");
}

#[tokio::test]
async fn the_owner_s_password_is_made_and_shown_once_when_none_is_given() {
    let app = TestApp::spawn().await;
    let res = app
        .request(
            Method::POST,
            "/v1/tenants",
            Some(ADMIN_TOKEN),
            Some(json!({ "name": "Tienda", "owner_name": "Ana", "owner_email": "Ana@Tienda.MX" })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let made: Value = res.json().await.unwrap();
    assert_eq!(made["owner_email"], "ana@tienda.mx");
    let password = made["owner_password"].as_str().unwrap();
    assert!(password.chars().count() >= 12, "{password}");
    assert_eq!(app.hq_login("ana@tienda.mx", password).await.status(), StatusCode::OK);
    // Nowhere else: not in the tenant list, not in the databases.
    let list = app.request(Method::GET, "/v1/tenants", Some(ADMIN_TOKEN), None).await.text().await.unwrap();
    let pin = made["owner_pin"].as_str().unwrap();
    assert!(!list.contains(password) && !list.contains(&format!("\"{pin}\"")));
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM hq_accounts")
        .fetch_one(&app.central.dbs.master)
        .await
        .unwrap();
    assert!(!hash.contains(password));
    // A chosen password is not echoed back.
    let res = app
        .request(
            Method::POST,
            "/v1/tenants",
            Some(ADMIN_TOKEN),
            Some(json!({ "name": "Otra", "owner_name": "Eva", "owner_email": "eva@otra.mx",
                         "owner_password": OWNER_PASSWORD })),
        )
        .await;
    let made: Value = res.json().await.unwrap();
    assert!(made.get("owner_password").is_none(), "{made}");
    assert!(!made.to_string().contains(OWNER_PASSWORD));
}

#[tokio::test]
async fn an_email_that_already_has_an_account_provisions_nothing() {
    let app = TestApp::spawn().await;
    let t = app.provision("Primera").await;
    let before = app.scratch.databases().await;
    let res = app
        .request(
            Method::POST,
            "/v1/tenants",
            Some(ADMIN_TOKEN),
            Some(
                json!({ "name": "Segunda", "owner_name": "Y", "owner_email": t.owner_email.to_uppercase() }),
            ),
        )
        .await;
    expect_error(res, StatusCode::CONFLICT, "hq_email_taken").await;
    assert_eq!(app.scratch.databases().await, before);
    let tenants: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tenants").fetch_one(&app.central.dbs.master).await.unwrap();
    assert_eq!(tenants, 1);
}

#[tokio::test]
async fn tenants_whose_names_differ_only_in_case_both_provision() {
    let app = TestApp::spawn().await;
    let a = app.provision("Refac Demo").await;
    let b = app.provision("refac demo").await;
    assert_eq!((a.slug.as_str(), b.slug.as_str()), ("refac-demo", "refac-demo-2"));
    assert_ne!(a.db_name, b.db_name);
    let list: Value =
        app.request(Method::GET, "/v1/tenants", Some(ADMIN_TOKEN), None).await.json().await.unwrap();
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Refac Demo", "refac demo"]);
}

#[tokio::test]
async fn a_provisioning_that_fails_half_way_leaves_no_database_or_row() {
    let app = TestApp::spawn().await;
    // Prepare the template, then sabotage it so filling a new database fails
    // after the database was created.
    app.provision("Primera").await;
    let settings = app.central.settings.clone();
    let mut tpl = app
        .central
        .dbs
        .connect_database(&app.central.dbs.cluster_names()[0], &settings.template_database)
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE FUNCTION sabotage() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$;
         CREATE TRIGGER sabotage BEFORE INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION sabotage();",
    )
    .execute(&mut tpl)
    .await
    .unwrap();
    tpl.close().await.unwrap();
    let before = app.scratch.databases().await;

    let res = app
        .request(
            Method::POST,
            "/v1/tenants",
            Some(ADMIN_TOKEN),
            Some(json!({ "name": "Segunda", "owner_name": "X", "owner_email": "x@segunda.mx" })),
        )
        .await;
    expect_error(res, StatusCode::INTERNAL_SERVER_ERROR, "internal").await;
    assert_eq!(app.scratch.databases().await, before, "no orphan database");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM tenants WHERE name = 'Segunda'")
        .fetch_one(&app.central.dbs.master)
        .await
        .unwrap();
    assert_eq!(rows, 0, "no orphan row");
}

#[tokio::test]
async fn the_remains_of_an_interrupted_provisioning_are_removed_by_the_next_one() {
    let app = TestApp::spawn().await;
    let cluster = app.central.dbs.cluster_names()[0].clone();
    let leftover = format!("{}_t_deadbeef", app.scratch.prefix);
    admin_sql(&format!("CREATE DATABASE \"{leftover}\"")).await;
    sqlx::query(
        "INSERT INTO tenants (id, name, slug, status, cluster_url, db_name) VALUES ($1, 'Crashed', 'crashed', 'provisioning', $2, $3)",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(&cluster)
    .bind(&leftover)
    .execute(&app.central.dbs.master)
    .await
    .unwrap();

    app.provision("Después").await;
    assert!(!app.scratch.databases().await.contains(&leftover));
    let slugs: Vec<String> =
        sqlx::query_scalar("SELECT slug FROM tenants").fetch_all(&app.central.dbs.master).await.unwrap();
    assert_eq!(slugs, ["despues"]);
}

#[tokio::test]
async fn provisioning_needs_the_platform_admin_token() {
    let app = TestApp::spawn().await;
    let body = json!({ "name": "X", "owner_name": "Y", "owner_email": "y@x.mx" });
    expect_error(
        app.request(Method::POST, "/v1/tenants", None, Some(body.clone())).await,
        StatusCode::UNAUTHORIZED,
        "token_required",
    )
    .await;
    expect_error(
        app.request(Method::POST, "/v1/tenants", Some("not-the-admin-token"), Some(body.clone())).await,
        StatusCode::UNAUTHORIZED,
        "token_invalid",
    )
    .await;
    // An employee token is not the platform administrator either.
    let t = app.provision("Tienda").await;
    let owner = app.hq(&t).await;
    expect_error(
        app.post("/v1/tenants", &owner, body.clone()).await,
        StatusCode::UNAUTHORIZED,
        "token_invalid",
    )
    .await;

    let closed = TestApp::spawn_with(|s| nexus_central::Settings { platform_admin_token: None, ..s }).await;
    expect_error(
        closed.request(Method::POST, "/v1/tenants", Some(ADMIN_TOKEN), Some(body)).await,
        StatusCode::FORBIDDEN,
        "platform_admin_disabled",
    )
    .await;
}

#[tokio::test]
async fn bad_tenant_input_is_refused_before_anything_is_written() {
    let app = TestApp::spawn().await;
    let ok = |extra: Value| {
        let mut body = json!({ "name": "X", "owner_name": "Y", "owner_email": "y@x.mx" });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    for (body, code) in [
        (ok(json!({ "name": " " })), "field_required"),
        (ok(json!({ "rfc": "NOPE" })), "field_invalid"),
        (ok(json!({ "name": "X".repeat(201) })), "field_too_long"),
        (ok(json!({ "owner_email": "" })), "field_required"),
        (ok(json!({ "owner_email": "sin-arroba" })), "field_invalid"),
        (ok(json!({ "owner_password": "corta" })), "field_invalid"),
        (ok(json!({ "owner_password": "x".repeat(73) })), "field_invalid"),
        // Nobody chooses the owner's PIN.
        (ok(json!({ "owner_pin": "1234" })), "invalid_body"),
    ] {
        let res = app.request(Method::POST, "/v1/tenants", Some(ADMIN_TOKEN), Some(body)).await;
        expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, code).await;
    }
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tenants").fetch_one(&app.central.dbs.master).await.unwrap();
    assert_eq!(rows, 0);
    assert_eq!(app.scratch.databases().await, [format!("{}_master", app.scratch.prefix)]);
}

#[tokio::test]
async fn the_command_line_creates_and_lists_tenants() {
    let app = TestApp::spawn().await;
    let s = &app.central.settings;
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pos-central"))
            .args(args)
            .env("NEXUS_MASTER_DATABASE_URL", &s.master_database_url)
            .env("NEXUS_TEMPLATE_DATABASE", &s.template_database)
            .env("NEXUS_TENANT_DATABASE_PREFIX", &s.tenant_database_prefix)
            .env("NEXUS_JWT_SECRET", s.jwt_secret.expose_secret())
            .env("NEXUS_PIN_KEY_SECRET", s.pin_key_secret.expose_secret())
            .env("NEXUS_OWNER_PASSWORD", OWNER_PASSWORD)
            .env("NEXUS_DEMO_HQ_PASSWORD", nexus_central::testing::DEMO_HQ_PASSWORD)
            .output()
            .unwrap()
    };
    let out = run(&[
        "tenant",
        "create",
        "--name",
        "Refac CLI",
        "--owner-name",
        "Ana",
        "--owner-email",
        "ana@refac.mx",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let made: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(made["owner_pin"].as_str().is_some_and(|p| p.len() == 6), "{made}");
    assert!(made.get("owner_password").is_none(), "the password came from the environment");
    let out = run(&["tenant", "list", "--json"]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["slug"], "refac-cli");
    // The owner made by the command line logs in at headquarters.
    assert_eq!(app.hq_login("ana@refac.mx", OWNER_PASSWORD).await.status(), reqwest::StatusCode::OK);
    // The demo tenant's HQ owner logs in with the configured password, and a
    // second run changes nothing.
    for _ in 0..2 {
        let out = run(&["demo"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let res =
        app.hq_login(nexus_central::demo::HQ_OWNER_EMAIL, nexus_central::testing::DEMO_HQ_PASSWORD).await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let without = std::process::Command::new(env!("CARGO_BIN_EXE_pos-central"))
        .args(["demo"])
        .env("NEXUS_MASTER_DATABASE_URL", &s.master_database_url)
        .env("NEXUS_JWT_SECRET", s.jwt_secret.expose_secret())
        .env("NEXUS_PIN_KEY_SECRET", s.pin_key_secret.expose_secret())
        .env_remove("NEXUS_DEMO_HQ_PASSWORD")
        .output()
        .unwrap();
    assert!(!without.status.success());
    assert!(String::from_utf8_lossy(&without.stderr).contains("NEXUS_DEMO_HQ_PASSWORD"));

    let weak = std::process::Command::new(env!("CARGO_BIN_EXE_pos-central"))
        .args(["tenant", "list"])
        .env("NEXUS_JWT_SECRET", "short")
        .env("NEXUS_PIN_KEY_SECRET", s.pin_key_secret.expose_secret())
        .output()
        .unwrap();
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("jwt_secret is too weak"));
}
