//! Headquarters' reports and Z reports add up what tills pushed: split
//! payments, cancelled sales, local days (America/Mexico_City, UTC−6) that
//! are not UTC days; CSV a spreadsheet cannot turn into a formula; another
//! tenant's sessions unseen; open to the HQ roles that read, shut to a
//! counter token.

use chrono::{DateTime, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Tenant, TestApp, Till, expect_error};
use nexus_domain::EmployeeId;

/// A local time in Mexico City on March 2026 (UTC−6), as UTC.
fn local(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, minute, 0).unwrap() + chrono::Duration::hours(6)
}

/// A register made through a till by the owner; its id.
async fn register(app: &TestApp, t: &Tenant, till: &mut Till, number: i64) -> Uuid {
    let id = Uuid::now_v7();
    let op = till.op(
        "register_saved",
        Some(t.owner_id),
        json!({ "id": id, "branch_id": t.branch_id, "name": format!("Caja {number}"), "register_number": number,
                "device_id": null, "is_active": true, "updated_at": Utc::now(),
                "hlc": Utc::now().timestamp_millis() << 16 }),
    );
    let answer = till.push(app, vec![op]).await;
    assert_eq!(answer["applied"], 1, "{answer}");
    id
}

/// A product at central, as the catalogue would have it.
async fn product(app: &TestApp, t: &Tenant) -> Uuid {
    let id = Uuid::now_v7();
    let mut db = app.tenant_db(t).await;
    sqlx::query(
        "INSERT INTO inventory (id, branch_id, part_number, name, cost, price_1, price_2, price_3)
         VALUES ($1, $2, 'BAL-01', 'Balata', 50, 100, 100, 100)",
    )
    .bind(id)
    .bind(t.branch_id.0)
    .execute(&mut db)
    .await
    .unwrap();
    id
}

struct Shop {
    till: Till,
    branch: Uuid,
    product: Uuid,
}

impl Shop {
    fn open(&mut self, cashier: Uuid, register: Uuid, opening: i64, at: DateTime<Utc>) -> (Uuid, Value) {
        let session = Uuid::now_v7();
        let op = self.till.op(
            "session_opened",
            Some(EmployeeId(cashier)),
            json!({ "session_id": session, "cash_register_id": register, "opened_by": cashier,
                    "opening_cents": opening, "opened_at": at }),
        );
        (session, op)
    }

    /// A sale of one line for `total`, paid with `payments` (method,
    /// amount, tendered).
    fn sell(
        &mut self,
        (cashier, register, session): (Uuid, Uuid, Uuid),
        total: i64,
        payments: &[(&str, i64, i64)],
        at: DateTime<Utc>,
    ) -> (Uuid, Value) {
        let sale = Uuid::now_v7();
        let method = if payments.len() > 1 { "mixto" } else { payments[0].0 };
        let paid: i64 = payments.iter().map(|p| p.2).sum();
        let payments: Vec<Value> = payments
            .iter()
            .map(|(m, amount, tendered)| {
                json!({ "id": Uuid::now_v7(), "method": m, "amount_cents": amount, "tendered_cents": tendered })
            })
            .collect();
        let op = self.till.op(
            "sale_completed",
            Some(EmployeeId(cashier)),
            json!({
                "sale_id": sale, "branch_id": self.branch, "customer_id": null, "employee_id": cashier,
                "register_id": register, "cash_session_id": session, "price_tier": 1, "payment_method": method,
                "totals": { "subtotal": total, "discount_total": 0, "tax_total": 0, "total": total },
                "amount_paid_cents": paid, "change_cents": paid - total,
                "items": [{ "id": Uuid::now_v7(), "inventory_id": self.product, "part_number": "BAL-01",
                            "name": "Balata", "quantity": 1, "unit_price_cents": total, "unit_cost_cents": 0,
                            "discount_bp": 0, "discount_cents": 0, "tax_rate_bp": 0, "tax_cents": 0,
                            "subtotal_cents": total }],
                "payments": payments, "stock": [], "created_at": at,
            }),
        );
        (sale, op)
    }

    fn cash(
        &mut self,
        cashier: Uuid,
        session: Uuid,
        kind: &str,
        amount: i64,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Value {
        self.till.op(
            "cash_moved",
            Some(EmployeeId(cashier)),
            movement(session, cashier, kind, amount, reason, at),
        )
    }

    fn close(
        &mut self,
        cashier: Uuid,
        session: Uuid,
        counted: i64,
        expected: i64,
        count: Value,
        at: DateTime<Utc>,
    ) -> Value {
        self.till.op(
            "session_closed",
            Some(EmployeeId(cashier)),
            json!({ "session_id": session, "closed_by": cashier, "counted_cents": counted, "expected_cents": expected,
                    "difference_cents": counted - expected, "denominations": count,
                    "drawer": { "opening": 0, "cash_received": 0, "change_given": 0, "cash_in": 0, "cash_out": 0 },
                    "closed_at": at }),
        )
    }
}

fn movement(session: Uuid, cashier: Uuid, kind: &str, amount: i64, reason: &str, at: DateTime<Utc>) -> Value {
    json!({ "movement_id": Uuid::now_v7(), "cash_session_id": session, "kind": kind, "amount_cents": amount,
            "reason": reason, "employee_id": cashier, "created_at": at })
}

pub const HOSTILE: &str = "=cmd|\"x\",y";

/// What the test store did, to check the reports against.
pub struct Day {
    pub app: TestApp,
    pub t: Tenant,
    pub hq: String,
    pub till_id: Uuid,
    pub till_ops: i64,
    pub till_head: String,
    pub ana: Uuid,
    pub hostile: Uuid,
    pub r1: Uuid,
    pub r2: Uuid,
    pub ana_session: Uuid,
    pub hostile_session: Uuid,
    pub cancelled_sale: Uuid,
}

/// Ana works register 1 from 20:00 on March 2nd to 02:00 on the 3rd (local):
/// a cash sale at 23:30 (the 2nd), a split sale at 00:30 and a cash sale
/// at 00:45 cancelled at 00:50 with its refund (the 3rd), a 20.00 expense,
/// and closes 6.00 short. The cashier called `=cmd|"x",y` sells 10.00 by
/// transfer on register 2 from 09:00 to 11:00 on the 3rd.
pub async fn day() -> Day {
    let app = TestApp::spawn().await;
    let t = app.provision("Refacciones Reporte").await;
    let hq = app.hq(&t).await;
    let mut till = Till::enroll(&app, &t, &hq).await;
    let (ana, _) = app.employee(&hq, "Ana", "cashier").await;
    let (hostile, _) = app.employee(&hq, HOSTILE, "cashier").await;
    let r1 = register(&app, &t, &mut till, 1).await;
    let r2 = register(&app, &t, &mut till, 2).await;
    let product = product(&app, &t).await;
    let mut shop = Shop { till, branch: t.branch_id.0, product };

    let (ana_session, open) = shop.open(ana, r1, 50_000, local(2, 20, 0));
    let at = (ana, r1, ana_session);
    let (_, a) = shop.sell(at, 11_600, &[("efectivo", 11_600, 20_000)], local(2, 23, 30));
    let (_, b) =
        shop.sell(at, 30_000, &[("efectivo", 10_000, 10_000), ("tarjeta", 20_000, 20_000)], local(3, 0, 30));
    let (cancelled_sale, c) = shop.sell(at, 5_000, &[("efectivo", 5_000, 5_000)], local(3, 0, 45));
    let refund = movement(
        ana_session,
        ana,
        "out",
        5_000,
        "Cancelación de venta: cliente se arrepintió",
        local(3, 0, 50),
    );
    let cancel = shop.till.op(
        "sale_cancelled",
        Some(EmployeeId(ana)),
        json!({ "sale_id": cancelled_sale, "cancelled_by": ana, "reason": "cliente se arrepintió",
                "refund": refund, "stock": [], "cancelled_at": local(3, 0, 50) }),
    );
    let expense = shop.cash(ana, ana_session, "expense", 2_000, "Garrafón de agua", local(3, 1, 0));
    // 500 + 200 + 100 + 50 tendered − 84 change − 50 refund − 20 expense.
    let expected = 69_600;
    let count = json!({ "B500": 1, "B100": 1, "B50": 1, "B20": 2 });
    let close = shop.close(ana, ana_session, 69_000, expected, count, local(3, 2, 0));
    let answer = shop.till.push(&app, vec![open, a, b, c, cancel, expense, close]).await;
    assert_eq!((answer["applied"].as_i64(), answer["conflicts"].as_i64()), (Some(7), Some(0)), "{answer}");

    let (hostile_session, open) = shop.open(hostile, r2, 10_000, local(3, 9, 0));
    let (_, d) =
        shop.sell((hostile, r2, hostile_session), 1_000, &[("transferencia", 1_000, 1_000)], local(3, 10, 0));
    let close = shop.close(hostile, hostile_session, 10_000, 10_000, Value::Null, local(3, 11, 0));
    let answer = shop.till.push(&app, vec![open, d, close]).await;
    assert_eq!((answer["applied"].as_i64(), answer["conflicts"].as_i64()), (Some(3), Some(0)), "{answer}");

    Day {
        till_id: shop.till.device_id,
        till_ops: shop.till.seq(),
        till_head: shop.till.chain_head(),
        app,
        t,
        hq,
        ana,
        hostile,
        r1,
        r2,
        ana_session,
        hostile_session,
        cancelled_sale,
    }
}

async fn rows(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let res = app.get(path, token).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["time_zone"], "America/Mexico_City", "{body}");
    body["rows"].as_array().unwrap().clone()
}

fn by<'a>(rows: &'a [Value], key: &str, id: Uuid) -> &'a Value {
    rows.iter().find(|r| r[key] == json!(id)).unwrap_or_else(|| panic!("no row with {key} = {id}: {rows:?}"))
}

#[tokio::test]
async fn the_reports_add_up_what_tills_sold_by_local_day_with_split_payments_and_cancellations() {
    let Day { app, t, hq, ana, hostile, r1, r2, .. } = day().await;
    let range = "from=2026-03-02&to=2026-03-03";

    // 23:30 on the 2nd is the 3rd in UTC: the local day keeps it on the 2nd.
    let days = rows(&app, &hq, &format!("/v1/reports/sales-by-day?{range}")).await;
    assert_eq!(
        days,
        [
            json!({ "day": "2026-03-02", "sales": 1, "total_cents": 11_600, "cancelled": 0, "cancelled_total_cents": 0 }),
            json!({ "day": "2026-03-03", "sales": 2, "total_cents": 31_000, "cancelled": 1,
                    "cancelled_total_cents": 5_000 }),
        ]
    );
    let hours = rows(&app, &hq, &format!("/v1/reports/sales-by-hour?{range}")).await;
    assert_eq!(hours.len(), 24);
    let busy: Vec<(i64, i64, i64)> = hours
        .iter()
        .filter(|h| h["sales"] != 0)
        .map(|h| {
            (h["hour"].as_i64().unwrap(), h["sales"].as_i64().unwrap(), h["total_cents"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(busy, [(0, 1, 30_000), (10, 1, 1_000), (23, 1, 11_600)]);

    // A split sale counts in each method with its part; a cancelled one in none.
    let methods = rows(&app, &hq, &format!("/v1/reports/sales-by-payment-method?{range}")).await;
    assert_eq!(
        methods,
        [
            json!({ "method": "efectivo", "payments": 2, "amount_cents": 21_600 }),
            json!({ "method": "tarjeta", "payments": 1, "amount_cents": 20_000 }),
            json!({ "method": "transferencia", "payments": 1, "amount_cents": 1_000 }),
        ]
    );
    let cashiers = rows(&app, &hq, &format!("/v1/reports/sales-by-cashier?{range}")).await;
    assert_eq!(cashiers.len(), 2);
    let a = by(&cashiers, "cashier_id", ana);
    assert_eq!(
        (a["cashier_name"].as_str(), a["sales"].as_i64(), a["total_cents"].as_i64()),
        (Some("Ana"), Some(2), Some(41_600))
    );
    assert_eq!((a["cancelled"].as_i64(), a["cancelled_total_cents"].as_i64()), (Some(1), Some(5_000)));
    let h = by(&cashiers, "cashier_id", hostile);
    assert_eq!((h["cashier_name"].as_str(), h["total_cents"].as_i64()), (Some(HOSTILE), Some(1_000)));

    let registers = rows(&app, &hq, &format!("/v1/reports/sales-by-register?{range}")).await;
    assert_eq!(
        registers.iter().map(|r| (r["register_id"].clone(), r["total_cents"].clone())).collect::<Vec<_>>(),
        [(json!(r1), json!(41_600)), (json!(r2), json!(1_000))]
    );
    assert!(registers.iter().all(|r| r["branch_id"] == json!(t.branch_id)));

    let differences = rows(&app, &hq, &format!("/v1/reports/cash-differences?{range}")).await;
    let d = by(&differences, "cashier_id", ana);
    assert_eq!(
        (
            d["day"].as_str(),
            d["sessions"].as_i64(),
            d["difference_cents"].as_i64(),
            d["shortage_cents"].as_i64()
        ),
        (Some("2026-03-03"), Some(1), Some(-600), Some(-600))
    );
    assert_eq!(by(&differences, "cashier_id", hostile)["difference_cents"], 0);

    let rotation = rows(&app, &hq, &format!("/v1/reports/register-rotation?{range}")).await;
    let r = by(&rotation, "cashier_id", ana);
    assert_eq!(
        (r["register_id"].clone(), r["sessions"].clone(), r["seconds_open"].clone()),
        (json!(r1), json!(1), json!(6 * 3600))
    );
    let r = by(&rotation, "cashier_id", hostile);
    assert_eq!((r["register_id"].clone(), r["seconds_open"].clone()), (json!(r2), json!(2 * 3600)));

    // One local day: only what was sold on it.
    let methods = rows(&app, &hq, "/v1/reports/sales-by-payment-method?from=2026-03-02&to=2026-03-02").await;
    assert_eq!(methods, [json!({ "method": "efectivo", "payments": 1, "amount_cents": 11_600 })]);
    // The branch filter: this branch is everything, an unknown one nothing.
    let mine =
        rows(&app, &hq, &format!("/v1/reports/sales-by-register?{range}&branch={}", t.branch_id)).await;
    assert_eq!(mine.len(), 2);
    let none =
        rows(&app, &hq, &format!("/v1/reports/sales-by-cashier?{range}&branch={}", Uuid::now_v7())).await;
    assert!(none.is_empty(), "{none:?}");
}

#[tokio::test]
async fn a_csv_report_quotes_its_cells_and_keeps_a_formula_looking_name_as_text() {
    let Day { app, hq, ana, hostile, .. } = day().await;
    let res = app.get("/v1/reports/sales-by-cashier?from=2026-03-02&to=2026-03-03&format=csv", &hq).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("2026-03-02_2026-03-03.csv"));
    let body = res.text().await.unwrap();
    let lines: Vec<&str> = body.split("\r\n").collect();
    assert_eq!(lines[0], "cajero_id,cajero,ventas,total,canceladas,total_cancelado");
    assert!(lines.contains(&format!("{ana},Ana,2,416.00,1,50.00").as_str()), "{body}");
    assert!(lines.contains(&format!("{hostile},\"'=cmd|\"\"x\"\",y\",1,10.00,0,0.00").as_str()), "{body}");
    assert_eq!(lines.last(), Some(&""), "every line ends in CRLF");
    // Negative money stays a number.
    let res = app.get("/v1/reports/cash-differences?from=2026-03-02&to=2026-03-03&format=csv", &hq).await;
    let body = res.text().await.unwrap();
    assert!(body.contains(&format!("2026-03-03,{ana},Ana,1,-6.00,-6.00,0.00\r\n")), "{body}");
}

#[tokio::test]
async fn closed_sessions_are_found_by_date_register_and_cashier_and_their_z_report_adds_up() {
    let Day {
        app,
        hq,
        till_id,
        till_ops,
        till_head,
        ana,
        hostile,
        r2,
        ana_session,
        hostile_session,
        cancelled_sale,
        ..
    } = day().await;
    let page: Value = app.get("/v1/sessions?from=2026-03-02&to=2026-03-03", &hq).await.json().await.unwrap();
    assert_eq!(page["total"], 2, "{page}");
    let ids: Vec<&Value> = page["sessions"].as_array().unwrap().iter().map(|s| &s["id"]).collect();
    assert_eq!(ids, [&json!(hostile_session), &json!(ana_session)], "the latest closed first");
    let page: Value = app
        .get(&format!("/v1/sessions?from=2026-03-02&to=2026-03-03&cashier={ana}"), &hq)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((page["total"].as_i64(), &page["sessions"][0]["id"]), (Some(1), &json!(ana_session)));
    let page: Value = app
        .get(&format!("/v1/sessions?from=2026-03-02&to=2026-03-03&register={r2}"), &hq)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((page["total"].as_i64(), &page["sessions"][0]["cashier_id"]), (Some(1), &json!(hostile)));
    let page: Value = app
        .get("/v1/sessions?from=2026-03-02&to=2026-03-03&page=2&per_page=1", &hq)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((page["total"].as_i64(), &page["sessions"][0]["id"]), (Some(2), &json!(ana_session)));
    let page: Value = app
        .get("/v1/sessions?from=2026-03-02&to=2026-03-03&page=3&per_page=1", &hq)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((page["total"].as_i64(), page["sessions"].as_array().map(Vec::len)), (Some(2), Some(0)));
    // Closed at 02:00 on the 3rd, local: not a session of the 2nd.
    let page: Value = app.get("/v1/sessions?from=2026-03-02&to=2026-03-02", &hq).await.json().await.unwrap();
    assert_eq!(page["total"], 0, "{page}");

    let res = app.get(&format!("/v1/sessions/{ana_session}"), &hq).await;
    assert_eq!(res.status(), StatusCode::OK);
    let z: Value = res.json().await.unwrap();
    let s = &z["session"];
    assert_eq!(
        (
            s["opening_cents"].as_i64(),
            s["expected_cents"].as_i64(),
            s["counted_cents"].as_i64(),
            s["difference_cents"].as_i64()
        ),
        (Some(50_000), Some(69_600), Some(69_000), Some(-600))
    );
    assert_eq!((z["sales"].as_i64(), z["sales_total_cents"].as_i64()), (Some(2), Some(41_600)));
    assert_eq!(
        z["payments"],
        json!([{ "method": "efectivo", "payments": 2, "amount_cents": 21_600 },
               { "method": "tarjeta", "payments": 1, "amount_cents": 20_000 }])
    );
    assert_eq!(z["returns"].as_array().unwrap().len(), 1);
    assert_eq!(
        (&z["returns"][0]["sale_id"], &z["returns"][0]["total_cents"]),
        (&json!(cancelled_sale), &json!(5_000))
    );
    let movements: Vec<(&str, i64, &str)> = z["movements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (m["kind"].as_str().unwrap(), m["amount_cents"].as_i64().unwrap(), m["reason"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        movements,
        [
            ("out", 5_000, "Cancelación de venta: cliente se arrepintió"),
            ("expense", 2_000, "Garrafón de agua")
        ]
    );
    let count: Vec<(&str, i64, i64)> = z["denominations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["denomination"].as_str().unwrap(),
                d["pieces"].as_i64().unwrap(),
                d["subtotal_cents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(count, [("B500", 1, 50_000), ("B100", 1, 10_000), ("B50", 1, 5_000), ("B20", 2, 4_000)]);
    assert_eq!(z["denominations_total_cents"], 69_000);
    assert_eq!(z["denominations"][0]["label"], "Billete de $500");
    assert_eq!(
        (&z["device"]["device_id"], z["device"]["chain_seq"].as_i64(), z["device"]["chain_head"].as_str()),
        (&json!(till_id), Some(till_ops), Some(till_head.as_str()))
    );
}

#[tokio::test]
async fn another_tenants_sessions_and_sales_stay_out_of_sight() {
    let Day { app, hq: theirs, ana_session, .. } = day().await;
    let other = app.provision("Otra Tienda").await;
    let mine = app.hq(&other).await;
    expect_error(
        app.get(&format!("/v1/sessions/{ana_session}"), &mine).await,
        StatusCode::NOT_FOUND,
        "session_not_found",
    )
    .await;
    let page: Value =
        app.get("/v1/sessions?from=2026-03-02&to=2026-03-03", &mine).await.json().await.unwrap();
    assert_eq!(page["total"], 0, "{page}");
    for report in [
        "sales-by-cashier",
        "sales-by-payment-method",
        "sales-by-register",
        "cash-differences",
        "register-rotation",
    ] {
        let found = rows(&app, &mine, &format!("/v1/reports/{report}?from=2026-03-02&to=2026-03-03")).await;
        assert!(found.is_empty(), "{report}: {found:?}");
    }
    let days = rows(&app, &mine, "/v1/reports/sales-by-day?from=2026-03-02&to=2026-03-03").await;
    assert!(days.iter().all(|d| d["sales"] == 0 && d["cancelled"] == 0), "{days:?}");
    // The owner of the first tenant still sees it.
    assert_eq!(app.get(&format!("/v1/sessions/{ana_session}"), &theirs).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn accountants_and_auditors_read_reports_and_z_reports_and_a_counter_token_reads_neither() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let device = app.device(&t, &hq).await;
    let counter = app.token(&device, &t.owner_pin).await;
    let report = "/v1/reports/register-rotation?from=2026-03-01&to=2026-03-31";
    let sessions = "/v1/sessions?from=2026-03-01&to=2026-03-31";
    for role in ["accountant", "auditor", "admin"] {
        let token = app.hq_as(&t, role).await;
        assert_eq!(app.get(report, &token).await.status(), StatusCode::OK, "{role}");
        assert_eq!(app.get(sessions, &token).await.status(), StatusCode::OK, "{role}");
        expect_error(
            app.get(&format!("/v1/sessions/{}", Uuid::now_v7()), &token).await,
            StatusCode::NOT_FOUND,
            "session_not_found",
        )
        .await;
    }
    for token in [&counter, &device] {
        expect_error(app.get(report, token).await, StatusCode::FORBIDDEN, "hq_login_required").await;
        expect_error(app.get(sessions, token).await, StatusCode::FORBIDDEN, "hq_login_required").await;
    }
    let res = app.request(reqwest::Method::GET, report, None, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_range_that_is_not_one_is_refused_with_a_stable_code_and_a_spanish_message() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let cases = [
        ("/v1/reports/sales-by-day?from=2026-13-01&to=2026-12-31", StatusCode::BAD_REQUEST, "invalid_query"),
        ("/v1/reports/sales-by-day?from=2026-03-01", StatusCode::BAD_REQUEST, "invalid_query"),
        (
            "/v1/reports/sales-by-day?from=2026-03-01&to=2026-03-02&format=xlsx",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/v1/reports/sales-by-day?from=2026-03-01&to=2026-03-02&branch=norte",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/v1/reports/sales-by-hour?from=2026-03-02&to=2026-03-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "report_range_inverted",
        ),
        (
            "/v1/reports/cash-differences?from=2025-01-01&to=2026-01-02",
            StatusCode::UNPROCESSABLE_ENTITY,
            "report_range_too_long",
        ),
        (
            "/v1/sessions?from=2026-03-02&to=2026-03-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "report_range_inverted",
        ),
        (
            "/v1/sessions?from=2026-03-01&to=2026-03-02&per_page=1000",
            StatusCode::UNPROCESSABLE_ENTITY,
            "field_invalid",
        ),
        (
            "/v1/sessions?from=2026-03-01&to=2026-03-02&page=0",
            StatusCode::UNPROCESSABLE_ENTITY,
            "field_invalid",
        ),
    ];
    for (path, status, code) in cases {
        expect_error(app.get(path, &hq).await, status, code).await;
    }
    // A whole leap-proof year is one range: 366 days, both ends included.
    assert_eq!(
        app.get("/v1/reports/sales-by-day?from=2024-01-01&to=2024-12-31", &hq).await.status(),
        StatusCode::OK
    );
}

/// The summary rows of a tenant, as text, in key order.
async fn summaries(db: &mut sqlx::PgConnection) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT concat_ws(' ', hour, branch_id, register_id, employee_id, sales, total, cancelled, cancelled_total)
         FROM report_sales_hourly
         UNION ALL
         SELECT concat_ws(' ', hour, branch_id, register_id, employee_id, method, payments, amount)
         FROM report_payments_hourly
         ORDER BY 1",
    )
    .fetch_all(db)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_reports_migration_summarises_the_sales_already_there_as_the_ingest_would() {
    let Day { app, t, .. } = day().await;
    let mut db = app.tenant_db(&t).await;
    let kept_by_ingest = summaries(&mut db).await;
    assert_eq!(kept_by_ingest.len(), 3 + 4, "three hours of sales, four of payments: {kept_by_ingest:?}");
    // The tenant as it was before version 6, with its sales.
    sqlx::raw_sql(
        "DROP TABLE report_sales_hourly, report_payments_hourly;
         DROP INDEX idx_cash_sessions_closed, idx_cash_sessions_register_closed, idx_cash_sessions_cashier_closed,
                    idx_cash_sessions_opened, idx_cash_registers_branch;
         DELETE FROM schema_migrations WHERE version = 6;",
    )
    .execute(&mut db)
    .await
    .unwrap();
    let report =
        nexus_central::migrate::run(&app.central.dbs, &app.central.migration_plan(false)).await.unwrap();
    assert_eq!(report.failures(), 0, "{}", report.render());
    assert_eq!(summaries(&mut db).await, kept_by_ingest);
}
