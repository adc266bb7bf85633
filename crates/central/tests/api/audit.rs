use nexus_domain::audit::BreakKind;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn the_audit_log_refuses_update_delete_and_truncate() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    app.hq(&t).await;
    let mut db = app.tenant_db(&t).await;
    for sql in ["UPDATE audit_log SET action = 'NOTHING'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
        let err = sqlx::raw_sql(sql).execute(&mut db).await.unwrap_err().to_string();
        assert!(err.contains("audit_log is insert-only"), "{sql}: {err}");
    }
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&mut db).await.unwrap();
    assert_eq!(n, 3, "provisioning, the owner's HQ account and the login are still there");
}

#[tokio::test]
async fn an_entry_edited_behind_the_triggers_back_is_found_by_the_chain() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.hq(&t).await;
    for name in ["Norte", "Sur", "Oriente"] {
        assert_eq!(
            app.post("/v1/branches", &owner, json!({ "name": name })).await.status(),
            StatusCode::CREATED
        );
    }
    let mut db = app.tenant_db(&t).await;
    assert!(nexus_central::audit::verify_chain(&mut db, "central").await.unwrap().is_ok());
    // Someone with superuser rights disables the triggers and rewrites history.
    sqlx::raw_sql(
        "ALTER TABLE audit_log DISABLE TRIGGER USER;
         UPDATE audit_log SET new_value = jsonb_set(new_value, '{name}', '\"Poniente\"') WHERE new_value->>'name' = 'Sur';
         ALTER TABLE audit_log ENABLE TRIGGER USER;",
    )
    .execute(&mut db)
    .await
    .unwrap();
    let broken = nexus_central::audit::verify_chain(&mut db, "central").await.unwrap().unwrap_err();
    assert_eq!(broken.kind, BreakKind::Edited);
    let action: String =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE chain = 'central' AND seq = $1")
            .bind(broken.seq)
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!(action, "BRANCH_CREATE");
}
