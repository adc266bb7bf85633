use std::borrow::Cow;

use nexus_central::migrate::{self, Migration, Plan};
use secrecy::ExposeSecret;
use sqlx::Connection;

use crate::helpers::TestApp;

fn plan(app: &TestApp, extra: Option<&'static str>) -> Plan {
    let mut plan = app.central.migration_plan(false);
    if let Some(sql) = extra {
        plan.tenant.push(Migration {
            version: NEXT,
            name: Cow::Borrowed("9999_loyalty.sql"),
            sql: Cow::Borrowed(sql),
        });
    }
    plan
}

/// The version of the test's extra migration: the one after the shipped ones.
const NEXT: i32 = 1000;

const LOYALTY: &str =
    "CREATE TABLE loyalty_points (customer_id UUID PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0);";

#[tokio::test]
async fn migrating_twice_is_a_no_op() {
    let app = TestApp::spawn().await;
    app.provision("A").await;
    app.provision("B").await;
    for _ in 0..2 {
        let report = migrate::run(&app.central.dbs, &plan(&app, None)).await.unwrap();
        assert_eq!(report.failures(), 0);
        assert!(report.master.applied.is_empty());
        assert_eq!(report.tenants.len(), 2);
        assert!(
            report.tenants.iter().all(|t| t.outcome.as_ref().unwrap().applied.is_empty()),
            "{}",
            report.render()
        );
    }
}

#[tokio::test]
async fn a_new_migration_reaches_every_tenant_the_template_and_later_tenants() {
    let app = TestApp::spawn().await;
    let a = app.provision("A").await;
    let b = app.provision("B").await;
    let report = migrate::run(&app.central.dbs, &plan(&app, Some(LOYALTY))).await.unwrap();
    assert_eq!(report.failures(), 0, "{}", report.render());
    for t in &report.tenants {
        assert_eq!(t.outcome.as_ref().unwrap().applied, [NEXT]);
    }
    let current = migrate::latest_version(&migrate::tenant_migrations());
    assert!(report.render().contains(&format!("v{current} → v{NEXT}")));
    for t in [&a, &b] {
        let mut db = app.tenant_db(t).await;
        sqlx::query("SELECT count(*) FROM loyalty_points").execute(&mut db).await.unwrap();
    }
    let versions: Vec<i32> = sqlx::query_scalar("SELECT schema_version FROM tenants")
        .fetch_all(&app.central.dbs.master)
        .await
        .unwrap();
    assert_eq!(versions, [NEXT, NEXT]);
    // The template carries it too, so a tenant made now starts with it.
    let mut tpl =
        app.central.dbs.connect_database(&a.cluster, &app.central.settings.template_database).await.unwrap();
    let has: bool = sqlx::query_scalar("SELECT to_regclass('loyalty_points') IS NOT NULL")
        .fetch_one(&mut tpl)
        .await
        .unwrap();
    tpl.close().await.unwrap();
    assert!(has);
}

#[tokio::test]
async fn an_edited_migration_that_was_already_applied_is_an_error() {
    let app = TestApp::spawn().await;
    app.provision("A").await;
    migrate::run(&app.central.dbs, &plan(&app, Some(LOYALTY))).await.unwrap();
    let edited = plan(&app, Some("CREATE TABLE loyalty_points (customer_id UUID PRIMARY KEY);"));
    let report = migrate::run(&app.central.dbs, &edited).await.unwrap();
    assert_eq!(report.failures(), 2, "the tenant and the template: {}", report.render());
    let err = report.tenants[0].outcome.as_ref().unwrap_err();
    assert!(err.contains("migration 1000 (9999_loyalty.sql) was edited after it was applied"), "{err}");
}

#[tokio::test]
async fn two_concurrent_runners_apply_each_migration_once() {
    let app = TestApp::spawn().await;
    for name in ["A", "B", "C"] {
        app.provision(name).await;
    }
    let (p1, p2) = (plan(&app, Some(LOYALTY)), plan(&app, Some(LOYALTY)));
    let (r1, r2) = tokio::join!(migrate::run(&app.central.dbs, &p1), migrate::run(&app.central.dbs, &p2));
    let (r1, r2) = (r1.unwrap(), r2.unwrap());
    assert_eq!(r1.failures() + r2.failures(), 0);
    let applied: usize = [&r1, &r2]
        .iter()
        .flat_map(|r| r.tenants.iter())
        .map(|t| t.outcome.as_ref().unwrap().applied.len())
        .sum();
    assert_eq!(applied, 3, "each tenant got the new migration exactly once");
}

#[tokio::test]
async fn a_failing_tenant_is_reported_while_the_others_are_migrated() {
    let app = TestApp::spawn().await;
    let a = app.provision("A").await;
    let b = app.provision("B").await;
    // Tenant A already has a table of that name, so the new migration fails there.
    let mut db = app.tenant_db(&a).await;
    sqlx::raw_sql("CREATE TABLE loyalty_points (x INT)").execute(&mut db).await.unwrap();
    db.close().await.unwrap();

    let report = migrate::run(&app.central.dbs, &plan(&app, Some(LOYALTY))).await.unwrap();
    assert_eq!(report.failures(), 1, "{}", report.render());
    let by_id = |id: uuid::Uuid| report.tenants.iter().find(|t| t.tenant_id == id).unwrap();
    assert!(by_id(a.tenant_id.0).outcome.as_ref().unwrap_err().contains("already exists"));
    assert_eq!(by_id(b.tenant_id.0).outcome.as_ref().unwrap().applied, [NEXT]);
    // The failed tenant was left whole at its version and still serves.
    let current = migrate::latest_version(&migrate::tenant_migrations());
    let versions: Vec<(uuid::Uuid, i32)> = sqlx::query_as("SELECT id, schema_version FROM tenants")
        .fetch_all(&app.central.dbs.master)
        .await
        .unwrap();
    assert!(versions.contains(&(a.tenant_id.0, current)) && versions.contains(&(b.tenant_id.0, NEXT)));
    app.hq(&a).await;
}

#[tokio::test]
async fn the_command_line_migrates_and_exits_non_zero_when_a_tenant_fails() {
    let app = TestApp::spawn().await;
    let a = app.provision("A").await;
    let s = &app.central.settings;
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_pos-central"))
            .args(["migrate", "--json"])
            .env("NEXUS_MASTER_DATABASE_URL", &s.master_database_url)
            .env("NEXUS_TEMPLATE_DATABASE", &s.template_database)
            .env("NEXUS_TENANT_DATABASE_PREFIX", &s.tenant_database_prefix)
            .env("NEXUS_JWT_SECRET", s.jwt_secret.expose_secret())
            .env("NEXUS_PIN_KEY_SECRET", s.pin_key_secret.expose_secret())
            .output()
            .unwrap()
    };
    let out = run();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["tenants"][0]["outcome"]["ok"], true);
    // Break tenant A's record of migration 1: the runner must refuse it.
    let mut db = app.tenant_db(&a).await;
    sqlx::raw_sql("UPDATE schema_migrations SET checksum = '\\x00' WHERE version = 1")
        .execute(&mut db)
        .await
        .unwrap();
    let out = run();
    assert!(!out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["tenants"][0]["outcome"]["ok"], false);
}
