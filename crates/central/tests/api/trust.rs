//! A till is a device in a shop: whoever holds its credential can forge its
//! ops, naming any employee as the one who acted. Central re-checks every
//! reference-data op and holds the ones that raise privileges for the owner.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, Till, audit_rows, conflicts_of, employee_payload, expect_error};
use nexus_domain::EmployeeId;

async fn exists(app: &TestApp, t: &crate::helpers::Tenant, id: Uuid) -> bool {
    let mut db = app.tenant_db(t).await;
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM employees WHERE id = $1)")
        .bind(id)
        .fetch_one(&mut db)
        .await
        .unwrap()
}

async fn permissions_of(app: &TestApp, hq: &str, id: Uuid) -> Vec<String> {
    let body: Value = app.get(&format!("/v1/employees/{id}"), hq).await.json().await.unwrap();
    serde_json::from_value(body["permissions"].clone()).unwrap()
}

#[tokio::test]
async fn a_till_cannot_make_an_owner_nor_touch_the_owner_even_naming_the_owner_as_actor() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let mut till = Till::enroll(&app, &t, &hq).await;
    let owner = Some(t.owner_id);
    let new_owner = Uuid::now_v7();
    let made = employee_payload(&app, &t, new_owner, "owner", vec![], "918273").await;
    let mut retouched = employee_payload(&app, &t, t.owner_id.0, "owner", vec![], "111999").await;
    retouched["name"] = json!("Dueña (tomada)");
    let ops = vec![till.op("employee_saved", owner, made), till.op("employee_saved", owner, retouched)];
    let answer = till.push(&app, ops).await;
    assert_eq!(answer["settled_seq"], 2, "{answer}");
    assert_eq!(answer["applied"], 0, "{answer}");
    let rejected = answer["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2, "{answer}");
    assert!(
        rejected.iter().all(|r| r["reason"].as_str().unwrap().contains("owner_from_terminal")),
        "{answer}"
    );
    assert!(!exists(&app, &t, new_owner).await, "no owner was made");
    // The owner is as provisioning left them: the old PIN still opens, the forged one does not.
    let device = app.device(&t, &hq).await;
    assert_eq!(app.login(&device, &t.owner_pin).await.status(), StatusCode::OK);
    assert_eq!(app.login(&device, "111999").await.status(), StatusCode::UNAUTHORIZED);
    let mut db = app.tenant_db(&t).await;
    let refused = conflicts_of(&mut db, "op_refused").await;
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert_eq!(refused[0]["code"], "owner_from_terminal");
    assert_eq!(refused[0]["entity_id"], json!(new_owner));
    let status: Vec<String> =
        sqlx::query_scalar("SELECT status FROM sync_ops WHERE device_id = $1 ORDER BY seq")
            .bind(till.device_id)
            .fetch_all(&mut db)
            .await
            .unwrap();
    assert_eq!(status, ["rejected", "rejected"]);
}

#[tokio::test]
async fn a_cashier_cannot_grant_themselves_security_nor_can_an_unknown_or_inactive_employee_act() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let (cashier, pin) = app.employee(&hq, "Cajera", "cashier").await;
    let before = permissions_of(&app, &hq, cashier).await;
    let mut more: Vec<&str> = before.iter().map(String::as_str).collect();
    more.push("SECURITY.USERS.MANAGE");
    let mut till = Till::enroll(&app, &t, &hq).await;
    let mut self_grant = employee_payload(&app, &t, cashier, "cashier", more, &pin).await;
    self_grant["name"] = json!("Cajera");
    let stranger = employee_payload(&app, &t, Uuid::now_v7(), "cashier", vec!["pos.sell"], "402913").await;
    let ops = vec![
        till.op("employee_saved", Some(EmployeeId(cashier)), self_grant),
        till.op("employee_saved", Some(EmployeeId(Uuid::now_v7())), stranger.clone()),
        till.op("employee_saved", None, stranger),
    ];
    let answer = till.push(&app, ops).await;
    assert_eq!((answer["settled_seq"].as_i64(), answer["applied"].as_i64()), (Some(3), Some(0)), "{answer}");
    let reasons: Vec<&str> =
        answer["rejected"].as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert!(reasons[0].contains("permission_missing"), "{reasons:?}");
    assert!(reasons[1].contains("actor_unknown"), "{reasons:?}");
    assert!(reasons[2].contains("actor_missing"), "{reasons:?}");
    assert_eq!(permissions_of(&app, &hq, cashier).await, before, "nothing granted");
    // A deactivated admin acts no more either.
    let (admin, _) = app.employee(&hq, "Admin", "admin").await;
    let res = app.post(&format!("/v1/employees/{admin}/deactivate"), &hq, json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let fresh = employee_payload(&app, &t, Uuid::now_v7(), "cashier", vec!["pos.sell"], "551204").await;
    let op = till.op("employee_saved", Some(EmployeeId(admin)), fresh);
    let answer = till.push(&app, vec![op]).await;
    assert!(answer["rejected"][0]["reason"].as_str().unwrap().contains("actor_inactive"), "{answer}");
    let mut db = app.tenant_db(&t).await;
    let codes: Vec<Value> =
        conflicts_of(&mut db, "op_refused").await.into_iter().map(|c| c["code"].clone()).collect();
    assert_eq!(codes, ["permission_missing", "actor_unknown", "actor_missing", "actor_inactive"]);
}

#[tokio::test]
async fn registers_and_assignments_need_the_permission_and_stay_in_the_device_branch() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let (cashier, _) = app.employee(&hq, "Cajera", "cashier").await;
    let (admin, _) = app.employee(&hq, "Admin", "admin").await;
    let other: Value = app.post("/v1/branches", &hq, json!({ "name": "Norte" })).await.json().await.unwrap();
    let mut till = Till::enroll(&app, &t, &hq).await;
    let register = |id: Uuid, branch: &Value, number: i64| {
        json!({ "id": id, "branch_id": branch, "name": format!("Caja {number}"), "register_number": number,
                "device_id": null, "is_active": true, "updated_at": chrono::Utc::now(),
                "hlc": chrono::Utc::now().timestamp_millis() << 16 })
    };
    let here = json!(t.branch_id);
    let (r1, r2) = (Uuid::now_v7(), Uuid::now_v7());
    let assign = |register: Uuid| {
        json!({ "id": Uuid::now_v7(), "cash_register_id": register, "user_id": cashier, "is_active": true,
                "assigned_at": chrono::Utc::now(), "assigned_by": admin, "note": null,
                "hlc": chrono::Utc::now().timestamp_millis() << 16 })
    };
    let ops = vec![
        till.op("register_saved", Some(EmployeeId(cashier)), register(r1, &here, 7)),
        till.op("register_saved", Some(EmployeeId(admin)), register(r2, &other["id"], 8)),
        till.op("register_saved", Some(EmployeeId(admin)), register(r1, &here, 7)),
        till.op("assignment_saved", Some(EmployeeId(cashier)), assign(r1)),
        till.op("assignment_saved", Some(EmployeeId(admin)), assign(r1)),
    ];
    let answer = till.push(&app, ops).await;
    let reasons: Vec<(i64, &str)> = answer["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["seq"].as_i64().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(reasons.len(), 3, "{answer}");
    assert!(reasons[0].0 == 1 && reasons[0].1.contains("permission_missing"), "{reasons:?}");
    assert!(reasons[1].0 == 2 && reasons[1].1.contains("outside_branch"), "{reasons:?}");
    assert!(reasons[2].0 == 4 && reasons[2].1.contains("permission_missing"), "{reasons:?}");
    assert_eq!(answer["applied"], 2, "the admin's register and assignment in this branch apply");
}

#[tokio::test]
async fn a_new_admin_made_at_a_till_waits_for_the_owner_and_opens_nothing_until_approved() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let (admin, _) = app.employee(&hq, "Admin", "admin").await;
    let admin_permissions = permissions_of(&app, &hq, admin).await;
    let perms: Vec<&str> = admin_permissions.iter().map(String::as_str).collect();
    let mut till = Till::enroll(&app, &t, &hq).await;
    let (approved, refused) = (Uuid::now_v7(), Uuid::now_v7());
    let ops = vec![
        till.op(
            "employee_saved",
            Some(EmployeeId(admin)),
            employee_payload(&app, &t, approved, "admin", perms.clone(), "739204").await,
        ),
        till.op(
            "employee_saved",
            Some(EmployeeId(admin)),
            employee_payload(&app, &t, refused, "admin", perms.clone(), "640317").await,
        ),
    ];
    let answer = till.push(&app, ops).await;
    assert_eq!(
        (answer["settled_seq"].as_i64(), answer["applied"].as_i64(), answer["held"].as_i64()),
        (Some(2), Some(0), Some(2)),
        "{answer}"
    );
    assert!(answer["rejected"].as_array().unwrap().is_empty(), "{answer}");
    // Not at central: their PINs open nothing there.
    assert!(!exists(&app, &t, approved).await);
    let device = app.device(&t, &hq).await;
    assert_eq!(app.login(&device, "739204").await.status(), StatusCode::UNAUTHORIZED);

    // Headquarters sees both sides.
    let listed: Value = app.get("/v1/approvals", &hq).await.json().await.unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    let held = |id: Uuid| listed.iter().find(|a| a["entity_id"] == json!(id)).unwrap().clone();
    let first = held(approved);
    assert_eq!((first["status"].as_str(), first["before"].is_null()), (Some("pending"), true), "{first}");
    assert_eq!(first["after"]["role"], "admin");
    assert_eq!(first["acting_employee_id"], json!(admin));
    assert!(first["after"].get("pin_hash").is_none(), "no PIN material is shown");
    let (approve, refuse) =
        (format!("/v1/approvals/{}/approve", first["id"].as_str().unwrap()), held(refused)["id"].clone());
    let refuse = format!("/v1/approvals/{}/refuse", refuse.as_str().unwrap());

    // Only the owner decides.
    let hq_admin = app.hq_as(&t, "admin").await;
    expect_error(app.post(&approve, &hq_admin, json!({})).await, StatusCode::FORBIDDEN, "hq_owner_required")
        .await;
    expect_error(app.post(&refuse, &hq_admin, json!({})).await, StatusCode::FORBIDDEN, "hq_owner_required")
        .await;
    assert!(!exists(&app, &t, approved).await);

    // Approved: applied now, and the PIN opens an admin's counter session.
    let res = app.post(&approve, &hq, json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let decided: Value = res.json().await.unwrap();
    assert_eq!(
        (decided["status"].as_str(), decided["outcome"].as_str()),
        (Some("approved"), Some("applied"))
    );
    let res = app.login(&device, "739204").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["employee"]["role"], "admin", "{body}");
    expect_error(app.post(&approve, &hq, json!({})).await, StatusCode::CONFLICT, "approval_decided").await;

    // Refused: never applied, and it stays refused.
    let res = app.post(&refuse, &hq, json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "refused");
    assert!(!exists(&app, &t, refused).await);
    assert_eq!(app.login(&device, "640317").await.status(), StatusCode::UNAUTHORIZED);
    let refuse_approve = refuse.replace("/refuse", "/approve");
    expect_error(app.post(&refuse_approve, &hq, json!({})).await, StatusCode::CONFLICT, "approval_decided")
        .await;

    // The op log follows the decisions, and both are in central's audit chain.
    let mut db = app.tenant_db(&t).await;
    let status: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT status, reason FROM sync_ops WHERE device_id = $1 ORDER BY seq")
            .bind(till.device_id)
            .fetch_all(&mut db)
            .await
            .unwrap();
    assert_eq!(status[0].0, "applied");
    assert_eq!(status[1].0, "rejected");
    let audited = audit_rows(&mut db, "SYNC_APPROVAL_%").await;
    let actions: Vec<&str> = audited.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["SYNC_APPROVAL_APPROVE", "SYNC_APPROVAL_REFUSE"]);
}

#[tokio::test]
async fn a_security_grant_to_a_cashier_waits_and_a_newer_edit_wins_over_a_late_approval() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let (cashier, pin) = app.employee(&hq, "Cajera", "cashier").await;
    let before = permissions_of(&app, &hq, cashier).await;
    let mut more: Vec<&str> = before.iter().map(String::as_str).collect();
    more.push("accounting.view");
    let mut till = Till::enroll(&app, &t, &hq).await;
    // The owner's name on a till op is no more than a claim: the grant waits.
    let grant = employee_payload(&app, &t, cashier, "cashier", more, &pin).await;
    let op = till.op("employee_saved", Some(t.owner_id), grant);
    let answer = till.push(&app, vec![op]).await;
    assert_eq!(answer["held"], 1, "{answer}");
    assert_eq!(permissions_of(&app, &hq, cashier).await, before);
    // Headquarters renames her meanwhile: the held op is older and loses.
    let res =
        app.patch(&format!("/v1/employees/{cashier}"), &hq, json!({ "name": "Cajera Renombrada" })).await;
    assert_eq!(res.status(), StatusCode::OK);
    let listed: Value = app.get("/v1/approvals", &hq).await.json().await.unwrap();
    assert_eq!(listed[0]["before"]["permissions"], json!(before));
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    let decided: Value =
        app.post(&format!("/v1/approvals/{id}/approve"), &hq, json!({})).await.json().await.unwrap();
    assert_eq!(decided["outcome"], "stale", "{decided}");
    assert_eq!(permissions_of(&app, &hq, cashier).await, before);
    let mut db = app.tenant_db(&t).await;
    assert_eq!(conflicts_of(&mut db, "stale_edit").await.len(), 1);
}

/// The payload a till sends when an employee changes only their own PIN:
/// everything as central has it, a new hash.
async fn own_pin_payload(app: &TestApp, t: &crate::helpers::Tenant, hq: &str, id: Uuid, pin: &str) -> Value {
    let view: Value = app.get(&format!("/v1/employees/{id}"), hq).await.json().await.unwrap();
    let role = view["role"].as_str().unwrap().to_owned();
    let permissions: Vec<String> = serde_json::from_value(view["permissions"].clone()).unwrap();
    let mut payload =
        employee_payload(app, t, id, &role, permissions.iter().map(String::as_str).collect(), pin).await;
    for field in ["name", "email", "phone", "branch_id", "max_discount_bp"] {
        payload[field] = view[field].clone();
    }
    payload
}

#[tokio::test]
async fn an_employee_changing_only_their_own_pin_at_a_till_is_applied_and_nothing_more_rides_on_it() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let (cashier, old_pin) = app.employee(&hq, "Cajera", "cashier").await;
    let mut till = Till::enroll(&app, &t, &hq).await;
    let own = own_pin_payload(&app, &t, &hq, cashier, "4826").await;
    let mut promoted = own_pin_payload(&app, &t, &hq, cashier, "4827").await;
    promoted["role"] = json!("admin");
    let owners = own_pin_payload(&app, &t, &hq, t.owner_id.0, "736152").await;
    let ops = vec![
        till.op("employee_saved", Some(EmployeeId(cashier)), own),
        till.op("employee_saved", Some(EmployeeId(cashier)), promoted),
        till.op("employee_saved", Some(t.owner_id), owners),
    ];
    let answer = till.push(&app, ops).await;
    assert_eq!((answer["settled_seq"].as_i64(), answer["applied"].as_i64()), (Some(3), Some(2)), "{answer}");
    let rejected = answer["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{answer}");
    assert_eq!(rejected[0]["seq"], 2, "{answer}");
    let device = app.device(&t, &hq).await;
    assert_eq!(app.login(&device, "4826").await.status(), StatusCode::OK, "the new PIN opens");
    assert_eq!(app.login(&device, &old_pin).await.status(), StatusCode::UNAUTHORIZED, "the old one no more");
    assert_eq!(
        app.login(&device, "4827").await.status(),
        StatusCode::UNAUTHORIZED,
        "no promotion rode on it"
    );
    assert_eq!(app.login(&device, "736152").await.status(), StatusCode::OK, "the owner's own PIN too");
}
