use nexus_domain::EmployeeId;
use nexus_domain::cash::{Denomination, DenominationCount};
use nexus_terminal::cash_session::{CloseSession, HomeCase, OpenSession};
use nexus_terminal::movements::{MovementKind, NewMovement};
use nexus_terminal::registers::NewAssignment;

use crate::helpers::{ADMIN, ALBERTO, JUAN, LUIS, MARIA, OWNER, TestTerminal, assert_code};

fn register(t: &TestTerminal, name: &str) -> uuid::Uuid {
    t.as_(OWNER).registers().unwrap().into_iter().find(|r| r.name == name).unwrap().id
}

fn employee(t: &TestTerminal, name: &str) -> EmployeeId {
    t.as_(OWNER).employees(true).unwrap().into_iter().find(|e| e.name == name).unwrap().id
}

fn open(
    t: &TestTerminal,
    pin: &str,
    register_name: &str,
    amount: &str,
) -> Result<nexus_terminal::cash_session::SessionView, nexus_terminal::Error> {
    let id = register(t, register_name);
    t.as_(pin).open_session(&OpenSession { cash_register_id: id, opening_amount: amount.into() })
}

#[test]
fn the_home_context_gives_the_four_cases() {
    let t = TestTerminal::demo();
    let maria = t.as_(MARIA).home().unwrap();
    assert_eq!((maria.case, maria.assigned_registers_count), (HomeCase::SingleRegister, 1));
    assert_eq!(maria.single_cash_register_id, Some(register(&t, "Caja 1")));
    let juan = t.as_(JUAN).home().unwrap();
    assert_eq!(
        (juan.case, juan.assigned_registers_count, juan.single_cash_register_id),
        (HomeCase::SeveralRegisters, 2, None)
    );
    let luis = t.as_(LUIS).home().unwrap();
    assert_eq!((luis.case, luis.assigned_registers_count), (HomeCase::NoRegisters, 0));
    open(&t, MARIA, "Caja 1", "500").unwrap();
    let maria = t.as_(MARIA).home().unwrap();
    assert_eq!(maria.case, HomeCase::OpenSession);
    assert_eq!(maria.open_cash_session_id, maria.session.as_ref().map(|s| s.id));
    // Juan sees Caja 1 in use by someone else.
    let juan = t.as_(JUAN).home().unwrap();
    assert!(juan.registers.iter().find(|r| r.name == "Caja 1").unwrap().in_use);
}

#[test]
fn case_one_a_cashier_with_one_register_opens_sells_and_closes_with_the_difference() {
    let t = TestTerminal::demo();
    let session = open(&t, MARIA, "Caja 1", "50000").unwrap();
    assert_eq!(session.opening_cents, 5_000_000);
    // 2 × 95.00 = 190.00 + IVA 30.40 = 220.40, paid with 300: change 79.60.
    let receipt = t.sell_cash(session.id, &[("FRAM-PH3614", 2)], "300").unwrap();
    assert_eq!((receipt.totals.total.cents(), receipt.change_cents), (22_040, 7_960));
    let z = t
        .as_(MARIA)
        .close_session(&CloseSession {
            cash_session_id: session.id,
            counted_amount: Some("50220".into()),
            denominations: None,
            confirm_zero: false,
        })
        .unwrap();
    assert_eq!(z.expected_cents, 5_000_000 + 22_040);
    assert_eq!(z.counted_cents, Some(5_022_000));
    assert_eq!(z.difference_cents, Some(-40), "forty cents missing");
    assert_eq!(z.session.status, "CLOSED");
    assert_eq!(t.as_(MARIA).home().unwrap().case, HomeCase::SingleRegister);
}

#[test]
fn case_two_a_cashier_with_several_registers_picks_one() {
    let t = TestTerminal::demo();
    let s = open(&t, JUAN, "Caja 2", "1000").unwrap();
    assert_eq!(s.register_name, "Caja 2");
}

#[test]
fn case_four_a_register_not_assigned_is_refused_with_the_specs_message() {
    let t = TestTerminal::demo();
    let e = assert_code(open(&t, LUIS, "Caja 1", "100"), "register_not_assigned");
    assert_eq!(e.to_string(), "User is not assigned to this cash register");
}

#[test]
fn case_five_a_second_session_of_the_same_cashier_is_refused() {
    let t = TestTerminal::demo();
    open(&t, JUAN, "Caja 1", "100").unwrap();
    let e = assert_code(open(&t, JUAN, "Caja 2", "100"), "session_already_open");
    assert_eq!(e.to_string(), "Ya tienes una sesión activa");
}

#[test]
fn a_register_in_use_or_of_another_branch_or_inactive_cannot_be_opened() {
    let t = TestTerminal::demo();
    open(&t, MARIA, "Caja 1", "100").unwrap();
    assert_code(open(&t, JUAN, "Caja 1", "100"), "register_in_use");
    let norte = register(&t, "Caja 1 Norte");
    let luis = employee(&t, "Luis Sin Caja");
    t.as_(ADMIN)
        .assign_register(&NewAssignment { cash_register_id: norte, user_id: luis, note: None })
        .unwrap();
    assert_code(open(&t, LUIS, "Caja 1 Norte", "100"), "register_other_branch");
    // The raw row is deactivated behind the admin screen's back.
    t.raw().execute("UPDATE cash_registers SET is_active = 0 WHERE id = ?1", [norte.to_string()]).unwrap();
    assert_code(open(&t, LUIS, "Caja 1 Norte", "100"), "register_inactive");
}

#[test]
fn opening_checks_the_permission_before_anything_else() {
    let t = TestTerminal::demo();
    // Alberto (warehouse) lacks CASH.SESSION.OPEN and is not assigned either:
    // the permission answers first.
    let e = assert_code(open(&t, ALBERTO, "Caja 1", "100"), "forbidden");
    assert!(e.to_string().contains("CASH.SESSION.OPEN"));
}

#[test]
fn only_the_owner_of_a_session_operates_on_it_or_closes_it() {
    let t = TestTerminal::demo();
    let maria = open(&t, MARIA, "Caja 1", "500").unwrap();
    open(&t, JUAN, "Caja 2", "500").unwrap();
    let e = assert_code(
        t.as_(JUAN).home().and_then(|_| t.sell_cash(maria.id, &[("FRAM-PH3614", 1)], "200")),
        "invalid_session",
    );
    assert_eq!(e.to_string(), "Invalid session or not owned by user");
    assert_code(
        t.as_(JUAN).move_cash(&NewMovement {
            cash_session_id: maria.id,
            kind: MovementKind::Out,
            amount: "10".into(),
            reason: "x".into(),
        }),
        "invalid_session",
    );
    let e = assert_code(
        t.as_(JUAN).close_session(&CloseSession {
            cash_session_id: maria.id,
            counted_amount: Some("500".into()),
            denominations: None,
            confirm_zero: false,
        }),
        "session_not_closable",
    );
    assert_eq!(e.to_string(), "Cash session not found/OPEN or not owned by user");
    // Not even the business owner closes someone else's session.
    assert_code(
        t.as_(OWNER).close_session(&CloseSession {
            cash_session_id: maria.id,
            counted_amount: Some("500".into()),
            denominations: None,
            confirm_zero: false,
        }),
        "session_not_closable",
    );
    // A closed session takes no more operations.
    t.as_(MARIA)
        .close_session(&CloseSession {
            cash_session_id: maria.id,
            counted_amount: Some("500".into()),
            denominations: None,
            confirm_zero: false,
        })
        .unwrap();
    assert_code(
        t.as_(MARIA).home().and_then(|_| t.sell_cash(maria.id, &[("FRAM-PH3614", 1)], "200")),
        "invalid_session",
    );
    assert_code(
        t.as_(MARIA).close_session(&CloseSession {
            cash_session_id: maria.id,
            counted_amount: Some("500".into()),
            denominations: None,
            confirm_zero: false,
        }),
        "session_not_closable",
    );
}

#[test]
fn the_close_counts_by_denomination_and_the_z_report_has_every_figure() {
    let t = TestTerminal::demo();
    let s = open(&t, MARIA, "Caja 1", "1000").unwrap();
    // Sale 1: 4 bujías × 55 = 220 + IVA 35.20 = 255.20, cash 300 → change 44.80.
    t.sell_cash(s.id, &[("NGK-BKR5E11", 4)], "300").unwrap();
    // Sale 2: paid by card.
    let card = t.as_(MARIA).sell(&nexus_terminal::sales::NewSale {
        cash_session_id: s.id,
        customer_id: None,
        price_tier: Default::default(),
        lines: vec![nexus_terminal::sales::NewSaleLine {
            product_id: t.product("WD40-311").id,
            quantity: 1,
            discount_bp: 0,
        }],
        payment: nexus_terminal::sales::PaymentInput { card: Some("161.24".into()), ..Default::default() },
    });
    assert_eq!(card.unwrap().payment_method.code(), "tarjeta");
    let m = |kind, amount: &str, reason: &str| {
        t.as_(MARIA)
            .move_cash(&NewMovement {
                cash_session_id: s.id,
                kind,
                amount: amount.into(),
                reason: reason.into(),
            })
            .unwrap()
    };
    m(MovementKind::In, "200", "Cambio adicional");
    m(MovementKind::Out, "500", "Retiro a caja fuerte");
    m(MovementKind::Expense, "35.50", "Garrafón de agua");
    // Expected: 1000 + 300 − 44.80 + 200 − 500 − 35.50 = 919.70
    let count: DenominationCount = [
        (Denomination::Bill500, 1),
        (Denomination::Bill200, 2),
        (Denomination::Bill20, 1),
        (Denomination::Coin1, 0),
        (Denomination::Coin050, 1),
    ]
    .into_iter()
    .collect();
    let z = t
        .as_(MARIA)
        .close_session(&CloseSession {
            cash_session_id: s.id,
            counted_amount: None,
            denominations: Some(count.clone()),
            confirm_zero: false,
        })
        .unwrap();
    assert_eq!(z.expected_cents, 91_970);
    assert_eq!(z.counted_cents, Some(92_050));
    assert_eq!(z.difference_cents, Some(80));
    assert_eq!(z.sales_count, 2);
    let by: Vec<(&str, i64, i64)> =
        z.sales_by_method.iter().map(|m| (m.method.as_str(), m.count, m.amount_cents)).collect();
    assert_eq!(by, [("efectivo", 1, 25_520), ("tarjeta", 1, 16_124)]);
    assert_eq!(z.sales_total_cents, 25_520 + 16_124);
    assert_eq!((z.cash_in_cents, z.cash_out_cents, z.expenses_cents), (20_000, 53_550, 3_550));
    assert_eq!(z.denominations, Some(count));
    assert_eq!(z.session.opened_by_name, "María Cajera");
    // The chain head on the report is the close's own audit entry.
    let v = t.verify_audit().unwrap();
    let close_seq = t.count("SELECT seq FROM audit_log WHERE action = 'CASH_SESSION_CLOSE'");
    assert_eq!(z.audit_head_seq, close_seq);
    assert_eq!(v.head_seq, close_seq, "nothing after the close");
    assert_eq!(z.audit_head_hash, v.head_hash);
    // A typed amount that disagrees with the count is refused.
    let s2 = open(&t, MARIA, "Caja 1", "100").unwrap();
    let one: DenominationCount = [(Denomination::Bill100, 1)].into_iter().collect();
    assert_code(
        t.as_(MARIA).close_session(&CloseSession {
            cash_session_id: s2.id,
            counted_amount: Some("90".into()),
            denominations: Some(one),
            confirm_zero: false,
        }),
        "count_mismatch",
    );
}

#[test]
fn nothing_leaves_a_drawer_that_lacks_the_cash() {
    let t = TestTerminal::demo();
    let s = open(&t, MARIA, "Caja 1", "100").unwrap();
    assert_code(
        t.as_(MARIA).move_cash(&NewMovement {
            cash_session_id: s.id,
            kind: MovementKind::Out,
            amount: "100.01".into(),
            reason: "x".into(),
        }),
        "insufficient_cash",
    );
    let m = t
        .as_(MARIA)
        .move_cash(&NewMovement {
            cash_session_id: s.id,
            kind: MovementKind::Expense,
            amount: "100".into(),
            reason: "Papelería".into(),
        })
        .unwrap();
    assert_eq!(m.drawer_cents, 0);
}
