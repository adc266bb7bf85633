//! Registers and register assignments from headquarters: the terminal's
//! admin rules and messages, the permissions of each HQ role, tenants kept
//! apart, every change audited and stamped for the change feed.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Tenant, TestApp, audit_rows, expect_error};

/// Creates a register from headquarters; returns its body.
async fn register(app: &TestApp, hq: &str, branch: impl serde::Serialize, name: &str, number: i64) -> Value {
    let res = app
        .post("/v1/registers", hq, json!({ "name": name, "register_number": number, "branch_id": branch }))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn assign(app: &TestApp, hq: &str, register: &Value, user: Uuid, note: Option<&str>) -> Value {
    let res = app
        .post(
            "/v1/register-assignments",
            hq,
            json!({ "cash_register_id": register["id"], "user_id": user, "note": note }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn ok(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The version a register or assignment row carries for the change feed.
async fn version(app: &TestApp, t: &Tenant, table: &str, id: &Value) -> (i64, String) {
    let mut db = app.tenant_db(t).await;
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT hlc, origin FROM {table} WHERE id = $1")))
        .bind(id.as_str().unwrap().parse::<Uuid>().unwrap())
        .fetch_one(&mut db)
        .await
        .unwrap()
}

/// How many change-feed entries name the row.
async fn feed_entries(app: &TestApp, t: &Tenant, entity: &str, id: &Value) -> i64 {
    let mut db = app.tenant_db(t).await;
    sqlx::query_scalar("SELECT count(*) FROM change_feed WHERE entity_type = $1 AND entity_id = $2")
        .bind(entity)
        .bind(id.as_str().unwrap())
        .fetch_one(&mut db)
        .await
        .unwrap()
}

async fn count(app: &TestApp, t: &Tenant, sql: &'static str) -> i64 {
    let mut db = app.tenant_db(t).await;
    sqlx::query_scalar(sql).fetch_one(&mut db).await.unwrap()
}

#[tokio::test]
async fn headquarters_creates_renames_and_deactivates_a_register_audited_and_stamped_for_the_feed() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let caja = register(&app, &hq, t.branch_id, "  Caja Express  ", 7).await;
    assert_eq!(caja["name"], "Caja Express");
    assert_eq!(caja["register_number"], 7);
    assert_eq!(caja["branch_id"], json!(t.branch_id));
    assert_eq!(caja["is_active"], true);
    assert_eq!(caja["open_session_id"], Value::Null);
    let (created_hlc, origin) = version(&app, &t, "cash_registers", &caja["id"]).await;
    assert!(created_hlc > 0, "central's trigger stamped the new row");
    assert_eq!(origin, "central");
    assert_eq!(feed_entries(&app, &t, "register", &caja["id"]).await, 1);

    let path = format!("/v1/registers/{}", caja["id"].as_str().unwrap());
    let renamed =
        ok(app.patch(&path, &hq, json!({ "name": "Caja Rápida", "register_number": 8 })).await).await;
    assert_eq!(
        (renamed["name"].as_str(), renamed["register_number"].as_i64()),
        (Some("Caja Rápida"), Some(8))
    );
    let off = ok(app.patch(&path, &hq, json!({ "is_active": false })).await).await;
    assert_eq!(off["is_active"], false);
    assert_eq!(off["name"], "Caja Rápida", "absent fields stay as they were");
    let (hlc, origin) = version(&app, &t, "cash_registers", &caja["id"]).await;
    assert!(hlc > created_hlc, "every edit moves the version past the one terminals hold");
    assert_eq!(origin, "central");
    assert_eq!(feed_entries(&app, &t, "register", &caja["id"]).await, 3);
    assert_eq!(ok(app.get(&path, &hq).await).await["is_active"], false);
    let listed = ok(app.get("/v1/registers", &hq).await).await;
    assert!(listed.as_array().unwrap().iter().any(|r| r["id"] == caja["id"] && r["is_active"] == false));

    let mut db = app.tenant_db(&t).await;
    let rows = audit_rows(&mut db, "REGISTER_%").await;
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["REGISTER_CREATE", "REGISTER_UPDATE", "REGISTER_DEACTIVATE"]);
    assert!(rows.iter().all(|r| r.entity_id.as_deref() == caja["id"].as_str()));
    assert!(rows.iter().all(|r| r.device_id.as_deref().is_some_and(|d| d.starts_with("hq:"))));
    assert_eq!(rows[0].employee_id, Some(t.owner_id.0), "the owner acted as the owner employee");
    assert_eq!(rows[0].old_value, None);
    assert_eq!(rows[1].old_value.as_ref().unwrap()["name"], "Caja Express");
    assert_eq!(rows[1].new_value.as_ref().unwrap()["register_number"], 8);
    assert_eq!(rows[2].new_value.as_ref().unwrap()["is_active"], false);
    // Activating again is its own action.
    ok(app.patch(&path, &hq, json!({ "is_active": true })).await).await;
    assert_eq!(audit_rows(&mut db, "REGISTER_ACTIVATE").await.len(), 1);
}

#[tokio::test]
async fn a_register_number_is_unique_in_its_branch_and_a_clash_writes_nothing() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let norte: Value = app.post("/v1/branches", &hq, json!({ "name": "Norte" })).await.json().await.unwrap();
    let uno = register(&app, &hq, t.branch_id, "Caja 1", 1).await;
    let dos = register(&app, &hq, t.branch_id, "Caja 2", 2).await;
    // The same number in another branch is another register.
    register(&app, &hq, &norte["id"], "Caja 1 Norte", 1).await;
    let before = (
        count(&app, &t, "SELECT count(*) FROM cash_registers").await,
        count(&app, &t, "SELECT count(*) FROM audit_log").await,
    );
    let body = expect_error(
        app.post(
            "/v1/registers",
            &hq,
            json!({ "name": "Otra", "register_number": 1, "branch_id": t.branch_id }),
        )
        .await,
        StatusCode::CONFLICT,
        "register_number_taken",
    )
    .await;
    assert_eq!(body["message"], "Ya existe una caja con ese número en la sucursal");
    expect_error(
        app.patch(
            &format!("/v1/registers/{}", dos["id"].as_str().unwrap()),
            &hq,
            json!({ "register_number": 1 }),
        )
        .await,
        StatusCode::CONFLICT,
        "register_number_taken",
    )
    .await;
    let after = (
        count(&app, &t, "SELECT count(*) FROM cash_registers").await,
        count(&app, &t, "SELECT count(*) FROM audit_log").await,
    );
    assert_eq!(before, after, "a refused change leaves no row and no audit entry");
    let dos_now = ok(app.get(&format!("/v1/registers/{}", dos["id"].as_str().unwrap()), &hq).await).await;
    assert_eq!(dos_now["register_number"], 2);
    // A name may repeat: the number is what tells registers apart.
    register(&app, &hq, t.branch_id, uno["name"].as_str().unwrap(), 3).await;
}

#[tokio::test]
async fn a_register_of_an_unknown_or_unnamed_branch_is_refused_clearly() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let other = app.provision("Otra").await;
    let hq = app.hq(&t).await;
    for branch in [json!(Uuid::now_v7()), json!(other.branch_id)] {
        let body = expect_error(
            app.post(
                "/v1/registers",
                &hq,
                json!({ "name": "Caja", "register_number": 1, "branch_id": branch }),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "field_invalid",
        )
        .await;
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("branch_id") && message.contains("la sucursal no existe"), "{message}");
    }
    expect_error(
        app.post("/v1/registers", &hq, json!({ "name": "Caja", "register_number": 1 })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "field_required",
    )
    .await;
    assert_eq!(count(&app, &t, "SELECT count(*) FROM cash_registers").await, 0);
}

#[tokio::test]
async fn hostile_or_malformed_register_input_is_refused_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let caja = register(&app, &hq, t.branch_id, "Caja 1", 1).await;
    let audited = count(&app, &t, "SELECT count(*) FROM audit_log").await;
    let b = t.branch_id;
    let creations = [
        (json!({ "name": "   ", "register_number": 2, "branch_id": b }), "field_required"),
        (json!({ "name": "x".repeat(101), "register_number": 2, "branch_id": b }), "field_too_long"),
        (json!({ "name": "Caja\u{7}", "register_number": 2, "branch_id": b }), "field_invalid"),
        (json!({ "name": "Caja", "register_number": 0, "branch_id": b }), "field_invalid"),
        (json!({ "name": "Caja", "register_number": 1000, "branch_id": b }), "field_invalid"),
        (json!({ "name": "Caja", "register_number": -1, "branch_id": b }), "field_invalid"),
        (json!({ "name": "Caja", "register_number": "dos", "branch_id": b }), "invalid_body"),
        (json!({ "name": "Caja", "register_number": 2, "branch_id": "no-es-id" }), "invalid_body"),
        (json!({ "name": "Caja", "register_number": 2, "branch_id": b, "device_id": "x" }), "invalid_body"),
        (json!({ "name": "Caja", "register_number": 2, "branch_id": b, "is_active": false }), "invalid_body"),
    ];
    for (body, code) in creations {
        expect_error(app.post("/v1/registers", &hq, body).await, StatusCode::UNPROCESSABLE_ENTITY, code)
            .await;
    }
    let path = format!("/v1/registers/{}", caja["id"].as_str().unwrap());
    for (body, code) in [
        (json!({ "name": "" }), "field_required"),
        (json!({ "register_number": 65536 }), "field_invalid"),
        (json!({ "branch_id": Uuid::now_v7() }), "invalid_body"),
        (json!({ "is_active": "no" }), "invalid_body"),
    ] {
        expect_error(app.patch(&path, &hq, body).await, StatusCode::UNPROCESSABLE_ENTITY, code).await;
    }
    assert_eq!(count(&app, &t, "SELECT count(*) FROM cash_registers").await, 1);
    assert_eq!(count(&app, &t, "SELECT count(*) FROM audit_log").await, audited);
    // Markup in a name is kept as text, never interpreted.
    let markup = register(&app, &hq, t.branch_id, "<script>alert(1)</script>", 9).await;
    assert_eq!(markup["name"], "<script>alert(1)</script>");
}

/// Opens a session on `register` the way a pushed shift leaves it at central.
async fn open_session_at_central(app: &TestApp, t: &Tenant, register: &Value, cashier: Uuid) -> Uuid {
    let id = Uuid::now_v7();
    let mut db = app.tenant_db(t).await;
    sqlx::query(
        "INSERT INTO cash_sessions (id, cash_register_id, opened_by, opening_amount) VALUES ($1, $2, $3, 100)",
    )
    .bind(id)
    .bind(register["id"].as_str().unwrap().parse::<Uuid>().unwrap())
    .bind(cashier)
    .execute(&mut db)
    .await
    .unwrap();
    id
}

#[tokio::test]
async fn a_register_with_an_open_session_stays_active() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let caja = register(&app, &hq, t.branch_id, "Caja 1", 1).await;
    let (rosa, _) = app.employee(&hq, "Rosa", "cashier").await;
    let session = open_session_at_central(&app, &t, &caja, rosa).await;
    let path = format!("/v1/registers/{}", caja["id"].as_str().unwrap());
    assert_eq!(ok(app.get(&path, &hq).await).await["open_session_id"], json!(session));
    let body = expect_error(
        app.patch(&path, &hq, json!({ "is_active": false })).await,
        StatusCode::CONFLICT,
        "register_in_use",
    )
    .await;
    assert_eq!(body["message"], "La caja tiene una sesión abierta; ciérrala antes de desactivarla");
    assert_eq!(ok(app.get(&path, &hq).await).await["is_active"], true);
    // It may still be renamed.
    assert_eq!(ok(app.patch(&path, &hq, json!({ "name": "Caja Uno" })).await).await["name"], "Caja Uno");
}

#[tokio::test]
async fn assigning_follows_the_terminal_rules_and_every_change_is_audited() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let caja = register(&app, &hq, t.branch_id, "Caja 1", 1).await;
    let (rosa, _) = app.employee(&hq, "Rosa", "cashier").await;
    let first = assign(&app, &hq, &caja, rosa, Some("  Asignación inicial  ")).await;
    assert_eq!(first["user_id"], json!(rosa));
    assert_eq!(first["user_name"], "Rosa");
    assert_eq!(first["cash_register_name"], "Caja 1");
    assert_eq!(first["location_id"], json!(t.branch_id));
    assert_eq!(first["note"], "Asignación inicial");
    assert_eq!(first["is_active"], true);
    assert_eq!(first["assigned_by"], json!(t.owner_id));
    let (hlc, origin) = version(&app, &t, "cash_register_assignments", &first["id"]).await;
    assert!(hlc > 0 && origin == "central", "{hlc} {origin}");

    let id = first["id"].as_str().unwrap();
    let off = ok(app.post(&format!("/v1/register-assignments/{id}/deactivate"), &hq, json!({})).await).await;
    assert_eq!((off["id"].as_str(), off["is_active"].as_bool()), (Some(id), Some(false)));
    let inactive = ok(app.get("/v1/register-assignments?is_active=false", &hq).await).await;
    assert_eq!(inactive.as_array().unwrap().len(), 1);
    // Assigning the pair again reactivates the same assignment with the new note.
    let again = assign(&app, &hq, &caja, rosa, Some("Asignación temporal")).await;
    assert_eq!((again["id"].as_str(), again["is_active"].as_bool()), (Some(id), Some(true)));
    assert_eq!(again["note"], "Asignación temporal");
    ok(app.post(&format!("/v1/register-assignments/{id}/deactivate"), &hq, json!({})).await).await;
    let on = ok(app.post(&format!("/v1/register-assignments/{id}/activate"), &hq, json!({})).await).await;
    assert_eq!(on["is_active"], true);
    let (later, _) = version(&app, &t, "cash_register_assignments", &first["id"]).await;
    assert!(later > hlc);
    assert_eq!(feed_entries(&app, &t, "assignment", &first["id"]).await, 5);

    let mut db = app.tenant_db(&t).await;
    let rows = audit_rows(&mut db, "CASH_ASSIGN%").await;
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "CASH_ASSIGN",
            "CASH_ASSIGN_DEACTIVATE",
            "CASH_ASSIGN",
            "CASH_ASSIGN_DEACTIVATE",
            "CASH_ASSIGN_ACTIVATE"
        ]
    );
    assert!(rows.iter().all(|r| r.entity_id.as_deref() == Some(id)));
    assert_eq!(rows[0].old_value, None);
    assert_eq!(
        rows[2].old_value.as_ref().unwrap()["is_active"],
        false,
        "a re-assignment keeps what it replaced"
    );
    assert_eq!(rows[2].new_value.as_ref().unwrap()["note"], "Asignación temporal");
    assert_eq!(rows[0].new_value.as_ref().unwrap()["user_id"], json!(rosa));
}

#[tokio::test]
async fn only_an_active_register_is_assigned_and_only_to_an_active_employee() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let caja = register(&app, &hq, t.branch_id, "Caja 1", 1).await;
    let cerrada = register(&app, &hq, t.branch_id, "Caja 2", 2).await;
    ok(app
        .patch(
            &format!("/v1/registers/{}", cerrada["id"].as_str().unwrap()),
            &hq,
            json!({ "is_active": false }),
        )
        .await)
    .await;
    let (rosa, _) = app.employee(&hq, "Rosa", "cashier").await;
    let (ido, _) = app.employee(&hq, "Ido", "cashier").await;
    ok(app.post(&format!("/v1/employees/{ido}/deactivate"), &hq, json!({})).await).await;
    let audited = count(&app, &t, "SELECT count(*) FROM audit_log").await;
    let try_assign = |register: Value, user: Value, note: Value| {
        let app = &app;
        let hq = &hq;
        async move {
            app.post(
                "/v1/register-assignments",
                hq,
                json!({ "cash_register_id": register, "user_id": user, "note": note }),
            )
            .await
        }
    };
    let body = expect_error(
        try_assign(cerrada["id"].clone(), json!(rosa), Value::Null).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "register_inactive",
    )
    .await;
    assert_eq!(body["message"], "La caja está desactivada");
    let body = expect_error(
        try_assign(json!(Uuid::now_v7()), json!(rosa), Value::Null).await,
        StatusCode::NOT_FOUND,
        "register_not_found",
    )
    .await;
    assert_eq!(body["message"], "Caja no encontrada");
    for user in [json!(ido), json!(Uuid::now_v7())] {
        let body = expect_error(
            try_assign(caja["id"].clone(), user, Value::Null).await,
            StatusCode::NOT_FOUND,
            "employee_not_found",
        )
        .await;
        assert_eq!(body["message"], "Empleado no encontrado");
    }
    expect_error(
        try_assign(caja["id"].clone(), json!(rosa), json!("n".repeat(301))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "field_too_long",
    )
    .await;
    expect_error(
        try_assign(caja["id"].clone(), json!(rosa), json!("línea\u{0}oculta")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "field_invalid",
    )
    .await;
    expect_error(
        try_assign(caja["id"].clone(), json!("no-es-id"), Value::Null).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    let body = expect_error(
        app.post(&format!("/v1/register-assignments/{}/deactivate", Uuid::now_v7()), &hq, json!({})).await,
        StatusCode::NOT_FOUND,
        "assignment_not_found",
    )
    .await;
    assert_eq!(body["message"], "Asignación no encontrada");
    assert_eq!(count(&app, &t, "SELECT count(*) FROM cash_register_assignments").await, 0);
    assert_eq!(count(&app, &t, "SELECT count(*) FROM audit_log").await, audited);
}

#[tokio::test]
async fn assignments_are_listed_by_employee_branch_and_state() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let norte: Value = app.post("/v1/branches", &hq, json!({ "name": "Norte" })).await.json().await.unwrap();
    let caja = register(&app, &hq, t.branch_id, "Caja 1", 1).await;
    let caja_norte = register(&app, &hq, &norte["id"], "Caja Norte", 1).await;
    let (rosa, _) = app.employee(&hq, "Rosa", "cashier").await;
    let (pepe, _) = app.employee(&hq, "Pepe", "cashier").await;
    assign(&app, &hq, &caja, rosa, None).await;
    assign(&app, &hq, &caja_norte, rosa, None).await;
    let off = assign(&app, &hq, &caja, pepe, None).await;
    ok(app
        .post(&format!("/v1/register-assignments/{}/deactivate", off["id"].as_str().unwrap()), &hq, json!({}))
        .await)
    .await;
    let ids = |v: &Value| -> Vec<(String, String)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["user_name"].as_str().unwrap().to_owned(),
                    a["cash_register_name"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let all = ok(app.get("/v1/register-assignments", &hq).await).await;
    assert_eq!(all.as_array().unwrap().len(), 3);
    let of_rosa = ok(app.get(&format!("/v1/register-assignments?user_id={rosa}"), &hq).await).await;
    assert_eq!(ids(&of_rosa).len(), 2);
    assert!(ids(&of_rosa).iter().all(|(who, _)| who == "Rosa"));
    let at_norte = ok(app
        .get(&format!("/v1/register-assignments?branch_id={}", norte["id"].as_str().unwrap()), &hq)
        .await)
    .await;
    assert_eq!(ids(&at_norte), [("Rosa".to_owned(), "Caja Norte".to_owned())]);
    let active = ok(app.get("/v1/register-assignments?is_active=true", &hq).await).await;
    assert!(!ids(&active).contains(&("Pepe".to_owned(), "Caja 1".to_owned())));
    let registers_norte =
        ok(app.get(&format!("/v1/registers?branch_id={}", norte["id"].as_str().unwrap()), &hq).await).await;
    assert_eq!(registers_norte.as_array().unwrap().len(), 1);
    expect_error(
        app.get("/v1/register-assignments?is_active=quizas", &hq).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
}

#[tokio::test]
async fn an_accountant_or_an_auditor_lists_registers_and_assignments_but_changes_nothing() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let owner = app.hq(&t).await;
    let caja = register(&app, &owner, t.branch_id, "Caja 1", 1).await;
    let (rosa, _) = app.employee(&owner, "Rosa", "cashier").await;
    let assignment = assign(&app, &owner, &caja, rosa, None).await;
    let register_path = format!("/v1/registers/{}", caja["id"].as_str().unwrap());
    let deactivate = format!("/v1/register-assignments/{}/deactivate", assignment["id"].as_str().unwrap());
    let activate = format!("/v1/register-assignments/{}/activate", assignment["id"].as_str().unwrap());
    for role in ["accountant", "auditor"] {
        let hq = app.hq_as(&t, role).await;
        assert_eq!(ok(app.get("/v1/registers", &hq).await).await.as_array().unwrap().len(), 1, "{role}");
        assert_eq!(ok(app.get(&register_path, &hq).await).await["id"], caja["id"], "{role}");
        assert_eq!(ok(app.get("/v1/register-assignments", &hq).await).await.as_array().unwrap().len(), 1);
        let refused: [(Method, &str, Value, &str); 5] = [
            (
                Method::POST,
                "/v1/registers",
                json!({ "name": "Otra", "register_number": 2, "branch_id": t.branch_id }),
                "CASH.REGISTER.MANAGE",
            ),
            (Method::PATCH, &register_path, json!({ "is_active": false }), "CASH.REGISTER.MANAGE"),
            (
                Method::POST,
                "/v1/register-assignments",
                json!({ "cash_register_id": caja["id"], "user_id": rosa }),
                "CASH.ASSIGN",
            ),
            (Method::POST, &deactivate, json!({}), "CASH.ASSIGN"),
            (Method::POST, &activate, json!({}), "CASH.ASSIGN"),
        ];
        for (method, path, body, permission) in refused {
            let res = app.request(method.clone(), path, Some(&hq), Some(body)).await;
            let body = expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
            assert_eq!(body["missing"], json!([permission]), "{role} {method} {path}");
        }
    }
    let now = ok(app.get(&register_path, &owner).await).await;
    assert_eq!((now["name"].as_str(), now["is_active"].as_bool()), (Some("Caja 1"), Some(true)));
    let mut db = app.tenant_db(&t).await;
    assert_eq!(audit_rows(&mut db, "REGISTER_%").await.len(), 1, "only the owner's creation");
    assert_eq!(audit_rows(&mut db, "CASH_ASSIGN%").await.len(), 1);

    // An admin at headquarters manages registers and assignments.
    let admin = app.hq_as(&t, "admin").await;
    register(&app, &admin, t.branch_id, "Caja 2", 2).await;
    ok(app.patch(&register_path, &admin, json!({ "name": "Caja Uno" })).await).await;
    ok(app.post(&deactivate, &admin, json!({})).await).await;
    let again = assign(&app, &admin, &caja, rosa, Some("de nuevo")).await;
    assert_eq!(
        again["assigned_by"],
        Value::Null,
        "an HQ account that is no employee assigns as nobody's employee"
    );
    let rows = audit_rows(&mut db, "CASH_ASSIGN").await;
    assert!(rows.last().unwrap().device_id.as_deref().is_some_and(|d| d.starts_with("hq:")));
}

#[tokio::test]
async fn a_counter_pin_token_opens_no_register_route() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let caja = register(&app, &hq, t.branch_id, "Caja 1", 1).await;
    let assignment = assign(&app, &hq, &caja, t.owner_id.0, None).await;
    let device = app.device(&t, &hq).await;
    let counter = app.token(&device, &t.owner_pin).await;
    let register_path = format!("/v1/registers/{}", caja["id"].as_str().unwrap());
    let assignment_path = format!("/v1/register-assignments/{}", assignment["id"].as_str().unwrap());
    let calls = [
        (Method::GET, "/v1/registers".to_owned(), None),
        (
            Method::POST,
            "/v1/registers".to_owned(),
            Some(json!({ "name": "Otra", "register_number": 2, "branch_id": t.branch_id })),
        ),
        (Method::GET, register_path.clone(), None),
        (Method::PATCH, register_path, Some(json!({ "is_active": false }))),
        (Method::GET, "/v1/register-assignments".to_owned(), None),
        (
            Method::POST,
            "/v1/register-assignments".to_owned(),
            Some(json!({ "cash_register_id": caja["id"], "user_id": t.owner_id })),
        ),
        (Method::POST, format!("{assignment_path}/deactivate"), Some(json!({}))),
        (Method::POST, format!("{assignment_path}/activate"), Some(json!({}))),
    ];
    // The owner's counter token holds every permission, and still opens nothing here.
    for token in [counter.as_str(), device.as_str()] {
        for (method, path, body) in &calls {
            let res = app.request(method.clone(), path, Some(token), body.clone()).await;
            expect_error(res, StatusCode::FORBIDDEN, "hq_login_required").await;
        }
    }
    let res = app.request(Method::GET, "/v1/registers", None, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let mut db = app.tenant_db(&t).await;
    assert_eq!(audit_rows(&mut db, "REGISTER_%").await.len(), 1);
    assert_eq!(audit_rows(&mut db, "CASH_ASSIGN%").await.len(), 1);
}

#[tokio::test]
async fn another_tenants_registers_employees_and_assignments_are_not_found() {
    let app = TestApp::spawn().await;
    let a = app.provision("Tienda A").await;
    let b = app.provision("Tienda B").await;
    let hq_a = app.hq(&a).await;
    let hq_b = app.hq(&b).await;
    let caja_a = register(&app, &hq_a, a.branch_id, "Caja A", 1).await;
    let caja_b = register(&app, &hq_b, b.branch_id, "Caja B", 1).await;
    let (rosa_b, _) = app.employee(&hq_b, "Rosa B", "cashier").await;
    let assignment_b = assign(&app, &hq_b, &caja_b, rosa_b, None).await;
    let path_b = format!("/v1/registers/{}", caja_b["id"].as_str().unwrap());
    expect_error(app.get(&path_b, &hq_a).await, StatusCode::NOT_FOUND, "register_not_found").await;
    expect_error(
        app.patch(&path_b, &hq_a, json!({ "name": "Robada", "is_active": false })).await,
        StatusCode::NOT_FOUND,
        "register_not_found",
    )
    .await;
    expect_error(
        app.post(
            "/v1/register-assignments",
            &hq_a,
            json!({ "cash_register_id": caja_b["id"], "user_id": a.owner_id }),
        )
        .await,
        StatusCode::NOT_FOUND,
        "register_not_found",
    )
    .await;
    expect_error(
        app.post(
            "/v1/register-assignments",
            &hq_a,
            json!({ "cash_register_id": caja_a["id"], "user_id": rosa_b }),
        )
        .await,
        StatusCode::NOT_FOUND,
        "employee_not_found",
    )
    .await;
    for action in ["activate", "deactivate"] {
        expect_error(
            app.post(
                &format!("/v1/register-assignments/{}/{action}", assignment_b["id"].as_str().unwrap()),
                &hq_a,
                json!({}),
            )
            .await,
            StatusCode::NOT_FOUND,
            "assignment_not_found",
        )
        .await;
    }
    let listed = ok(app.get("/v1/registers", &hq_a).await).await;
    assert_eq!(listed.as_array().unwrap().iter().map(|r| &r["id"]).collect::<Vec<_>>(), [&caja_a["id"]]);
    assert!(ok(app.get("/v1/register-assignments", &hq_a).await).await.as_array().unwrap().is_empty());
    let still = ok(app.get(&path_b, &hq_b).await).await;
    assert_eq!((still["name"].as_str(), still["is_active"].as_bool()), (Some("Caja B"), Some(true)));
    let of_b = ok(app.get("/v1/register-assignments", &hq_b).await).await;
    assert_eq!(of_b[0]["is_active"], true);
}
