use nexus_domain::EmployeeId;
use nexus_domain::employee::EmployeeChanges;
use nexus_terminal::cash_session::{CloseSession, OpenSession};
use nexus_terminal::movements::{MovementKind, NewMovement};
use nexus_terminal::registers::{NewAssignment, NewRegister};
use nexus_terminal::sales::{NewSale, NewSaleLine, PaymentInput};
use uuid::Uuid;

use crate::helpers::{ADMIN, MARIA, TestTerminal, assert_code};

/// Runs `f`, expects `code`, and checks that nothing was written.
#[track_caller]
fn refused<T: std::fmt::Debug>(
    t: &TestTerminal,
    code: &str,
    f: impl FnOnce() -> Result<T, nexus_terminal::Error>,
) {
    let before =
        (t.ops(), t.count("SELECT count(*) FROM sales"), t.count("SELECT count(*) FROM cash_movements"));
    assert_code(f(), code);
    let after =
        (t.ops(), t.count("SELECT count(*) FROM sales"), t.count("SELECT count(*) FROM cash_movements"));
    assert_eq!(before, after, "a refused call writes nothing");
}

#[test]
fn bad_amounts_are_refused_with_a_typed_error_and_write_nothing() {
    let t = TestTerminal::demo();
    let register = t.as_(MARIA).home().unwrap().registers[0].id;
    for (amount, code) in [
        ("-1", "invalid_amount"),
        ("10000000000", "invalid_amount"),
        ("1.234", "invalid_amount"),
        ("abc", "invalid_amount"),
        ("", "invalid_amount"),
    ] {
        refused(&t, code, || {
            t.open_session(&OpenSession { cash_register_id: register, opening_amount: amount.into() })
        });
    }
    let e = assert_code(
        t.open_session(&OpenSession { cash_register_id: register, opening_amount: "1.234".into() }),
        "invalid_amount",
    );
    assert_eq!(e.to_string(), "el importe tiene más de dos decimales");
    let s = t.open_first(MARIA, "100");
    for amount in ["-5", "0", "1e3", "99999999999.99"] {
        refused(&t, if amount == "0" { "field_invalid" } else { "invalid_amount" }, || {
            t.move_cash(&NewMovement {
                cash_session_id: s.id,
                kind: MovementKind::In,
                amount: amount.into(),
                reason: "x".into(),
            })
        });
    }
    let sale = |quantity, discount_bp, cash: &str| {
        t.sell(&NewSale {
            cash_session_id: s.id,
            customer_id: None,
            price_tier: Default::default(),
            lines: vec![NewSaleLine { product_id: t.product("WD40-311").id, quantity, discount_bp }],
            payment: PaymentInput { cash: Some(cash.into()), ..Default::default() },
        })
    };
    refused(&t, "field_invalid", || sale(0, 0, "1000"));
    refused(&t, "field_invalid", || sale(-2, 0, "1000"));
    refused(&t, "invalid_percent", || sale(1, 10_001, "1000"));
    refused(&t, "invalid_amount", || sale(1, 0, "-1000"));
    refused(&t, "empty_sale", || {
        t.sell(&NewSale {
            cash_session_id: s.id,
            customer_id: None,
            price_tier: Default::default(),
            lines: vec![],
            payment: PaymentInput::default(),
        })
    });
    // A tier outside 1..3 does not even parse.
    let json = serde_json::json!({ "cash_session_id": s.id, "price_tier": 4, "lines": [], "payment": {} });
    assert!(serde_json::from_value::<NewSale>(json).is_err());
    refused(&t, "field_required", || {
        t.move_cash(&NewMovement {
            cash_session_id: s.id,
            kind: MovementKind::Out,
            amount: "1".into(),
            reason: "  ".into(),
        })
    });
}

#[test]
fn unknown_ids_missing_permissions_and_wrong_states_are_refused_and_write_nothing() {
    let t = TestTerminal::demo();
    let ghost = Uuid::now_v7();
    t.as_(MARIA);
    refused(&t, "register_not_found", || {
        t.open_session(&OpenSession { cash_register_id: ghost, opening_amount: "1".into() })
    });
    refused(&t, "session_not_closable", || {
        t.close_session(&CloseSession {
            cash_session_id: ghost,
            counted_amount: Some("1".into()),
            denominations: None,
            confirm_zero: false,
        })
    });
    refused(&t, "invalid_session", || {
        t.move_cash(&NewMovement {
            cash_session_id: ghost,
            kind: MovementKind::In,
            amount: "1".into(),
            reason: "x".into(),
        })
    });
    refused(&t, "forbidden", || {
        t.create_register(&NewRegister { name: "X".into(), register_number: 9, branch_id: None })
    });
    t.as_(ADMIN);
    refused(&t, "employee_not_found", || t.update_employee(EmployeeId(ghost), &EmployeeChanges::default()));
    refused(&t, "register_not_found", || {
        t.assign_register(&NewAssignment { cash_register_id: ghost, user_id: EmployeeId(ghost), note: None })
    });
    refused(&t, "session_not_found", || t.session_report(ghost));
    // A closed session is the wrong state for a close.
    let s = t.open_first(MARIA, "10");
    t.close_session(&CloseSession {
        cash_session_id: s.id,
        counted_amount: Some("10".into()),
        denominations: None,
        confirm_zero: false,
    })
    .unwrap();
    refused(&t, "session_not_closable", || {
        t.close_session(&CloseSession {
            cash_session_id: s.id,
            counted_amount: Some("10".into()),
            denominations: None,
            confirm_zero: false,
        })
    });
    // Nobody logged in: nothing happens.
    t.terminal.logout().unwrap();
    refused(&t, "not_logged_in", || {
        t.open_session(&OpenSession { cash_register_id: s.cash_register_id, opening_amount: "1".into() })
    });
}
