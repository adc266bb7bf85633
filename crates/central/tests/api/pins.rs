//! PINs at central, from the side of whoever manages staff: made by the
//! system, shown once, never chosen, and never an answer about someone else.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error};

#[tokio::test]
async fn a_new_employee_s_pin_is_in_the_answer_once_and_never_again() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let res = app.post("/v1/employees", &hq, json!({ "name": "Caja", "role": "cashier" })).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    let pin = created["pin"].as_str().unwrap();
    assert!(pin.len() == 4 && pin.bytes().all(|b| b.is_ascii_digit()), "{pin}");
    let id = created["employee"]["id"].as_str().unwrap();
    let quoted = format!("\"{pin}\"");
    for path in [format!("/v1/employees/{id}"), "/v1/employees?include_inactive=true".to_owned()] {
        let text = app.get(&path, &hq).await.text().await.unwrap();
        assert!(!text.contains(&quoted) && !text.contains("pin"), "{path}: {text}");
    }
    // The PIN works, at a counter.
    let device = app.device(&t, &hq).await;
    app.token(&device, pin).await;
}

#[tokio::test]
async fn whoever_manages_people_registers_or_the_books_gets_six_digits() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    for (role, permissions, len) in [
        ("admin", None, 6),
        ("accountant", None, 6),
        ("cashier", Some(json!(["pos.sell", "CASH.ASSIGN"])), 6),
        ("warehouse", None, 4),
    ] {
        let mut body = json!({ "name": role, "role": role });
        if let Some(p) = permissions {
            body["permissions"] = p;
        }
        let res = app.post("/v1/employees", &hq, body).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let created: Value = res.json().await.unwrap();
        assert_eq!(created["pin"].as_str().unwrap().len(), len, "{role}: {created}");
        let id = created["employee"]["id"].as_str().unwrap();
        let reset: Value =
            app.post(&format!("/v1/employees/{id}/reset-pin"), &hq, json!({})).await.json().await.unwrap();
        assert_eq!(reset["pin"].as_str().unwrap().len(), len, "{role} after a reset");
        assert_ne!(reset["pin"], created["pin"]);
    }
}

#[tokio::test]
async fn nobody_chooses_a_pin_for_anyone() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let (id, _) = app.employee(&hq, "Caja", "cashier").await;
    // On creation and on a change, a `pin` field is unknown, so refused.
    for (method, path, body) in [
        (
            reqwest::Method::POST,
            "/v1/employees".to_owned(),
            json!({ "name": "X", "role": "cashier", "pin": "2468" }),
        ),
        (reqwest::Method::PATCH, format!("/v1/employees/{id}"), json!({ "pin": "2468" })),
        (reqwest::Method::PATCH, format!("/v1/employees/{id}"), json!({ "pin_hash": "$2b$10$x" })),
    ] {
        let res = app.request(method, &path, Some(&hq), Some(body)).await;
        let body = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
        assert!(body["message"].as_str().unwrap().contains("pin"), "{body}");
    }
    let mut db = app.tenant_db(&t).await;
    let employees: i64 =
        sqlx::query_scalar("SELECT count(*) FROM employees").fetch_one(&mut db).await.unwrap();
    assert_eq!(employees, 2, "the refused creation wrote nothing");
}

#[tokio::test]
async fn reactivating_someone_whose_pin_was_taken_meanwhile_does_not_say_by_whom() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let (ana, _) = app.employee(&hq, "Ana Cajera", "cashier").await;
    let (beto, _) = app.employee(&hq, "Beto Cajero", "cashier").await;
    assert_eq!(
        app.post(&format!("/v1/employees/{ana}/deactivate"), &hq, json!({})).await.status(),
        StatusCode::OK
    );
    // While Ana is away, the PIN made for Beto happens to be hers (PINs of
    // inactive employees are free again).
    let mut db = app.tenant_db(&t).await;
    sqlx::query(
        "UPDATE employees SET pin_lookup = a.pin_lookup, pin_hash = a.pin_hash
         FROM employees a WHERE a.id = $1 AND employees.id = $2",
    )
    .bind(ana)
    .bind(beto)
    .execute(&mut db)
    .await
    .unwrap();
    let res = app.patch(&format!("/v1/employees/{ana}"), &hq, json!({ "is_active": true })).await;
    let text = res.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["code"], "pin_taken", "{body}");
    for clue in ["Beto", &beto.to_string()] {
        assert!(!text.contains(clue), "the answer names who holds the PIN: {text}");
    }
    // The way out the message gives: a new PIN for Ana, then she is back.
    assert!(body["message"].as_str().unwrap().contains("restablece"), "{body}");
    let res = app.post(&format!("/v1/employees/{ana}/reset-pin"), &hq, json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let pin = res.json::<Value>().await.unwrap()["pin"].as_str().unwrap().to_owned();
    let res = app.patch(&format!("/v1/employees/{ana}"), &hq, json!({ "is_active": true })).await;
    assert_eq!(res.status(), StatusCode::OK);
    let device = app.device(&t, &hq).await;
    let token = app.token(&device, &pin).await;
    let me: Value = app.get("/v1/auth/me", &token).await.json().await.unwrap();
    assert_eq!(me["employee"]["name"], "Ana Cajera");
}
