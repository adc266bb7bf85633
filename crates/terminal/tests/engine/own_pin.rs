//! An employee changes their own PIN: with the current one, within the
//! rate limit, audited, and without learning anyone else's PIN.

use chrono::Duration;
use nexus_domain::employee::PinChange;

use crate::helpers::{ADMIN, JUAN, MARIA, TestTerminal, assert_code, json_error, pos_terminal};

fn change(t: &TestTerminal, pin: &str, current: &str, new: &str) -> Result<(), nexus_terminal::Error> {
    t.as_(pin).change_own_pin(&PinChange { current_pin: current.into(), new_pin: new.into() })
}

#[test]
fn a_cashier_changes_their_pin_and_central_gets_the_new_hash() {
    let t = TestTerminal::demo();
    let maria = t.as_(MARIA).login(MARIA).unwrap().employee_id;
    change(&t, MARIA, MARIA, "2580").unwrap();
    assert_code(t.terminal.login(MARIA), "wrong_pin");
    assert_eq!(t.terminal.login("2580").unwrap().employee_id, maria);
    let raw = t.raw();
    let (action, actor): (String, String) = raw
        .query_row(
            "SELECT action, employee_id FROM audit_log WHERE entity_id = ?1 AND action LIKE 'EMPLOYEE_PIN%'",
            [maria.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((action.as_str(), actor), ("EMPLOYEE_PIN_CHANGE", maria.to_string()));
    let stored: String = raw
        .query_row("SELECT pin_hash FROM employees WHERE id = ?1", [maria.to_string()], |r| r.get(0))
        .unwrap();
    let ops = t.ops_after(0, 1_000).unwrap();
    let op = ops.iter().rev().find(|o| o.kind == nexus_domain::sync::OpKind::EmployeeSaved).unwrap();
    assert_eq!(op.payload["id"], maria.to_string());
    assert_eq!(op.payload["pin_hash"], stored, "the op carries the new hash");
    assert!(!serde_json::to_string(op).unwrap().contains("2580"), "never the PIN itself");
}

#[test]
fn the_new_pin_must_be_strong_enough_and_different() {
    let t = TestTerminal::demo();
    assert_code(change(&t, MARIA, MARIA, "1234"), "weak_pin");
    assert_code(change(&t, MARIA, MARIA, "12a4"), "invalid_pin");
    assert_code(change(&t, MARIA, MARIA, MARIA), "weak_pin");
    change(&t, MARIA, MARIA, "2580").unwrap();
    assert_code(change(&t, "2580", "2580", "2580"), "field_invalid");
    // An admin's PIN is six digits.
    assert_code(change(&t, ADMIN, ADMIN, "2580"), "weak_pin");
    change(&t, ADMIN, ADMIN, "258013").unwrap();
}

#[test]
fn five_wrong_current_pins_lock_the_change_even_after_a_restart() {
    let mut t = TestTerminal::demo();
    for _ in 0..5 {
        assert_code(change(&t, MARIA, "9021", "2580"), "wrong_pin");
    }
    t.reopen();
    // Now even the right current PIN is refused, for a while.
    let e = assert_code(change(&t, MARIA, MARIA, "2580"), "pin_change_locked");
    assert!(matches!(e, nexus_terminal::Error::Throttled { retry_after_secs, .. } if retry_after_secs > 0));
    // The lock is Maria's, not the counter's: Juan still changes his.
    change(&t, JUAN, JUAN, "7391").unwrap();
    assert_eq!(t.count("SELECT count(*) FROM audit_log WHERE action = 'PIN_CHANGE_REFUSED'"), 5);
    t.advance(Duration::minutes(16));
    change(&t, MARIA, MARIA, "2580").unwrap();
}

#[test]
fn a_pin_someone_else_holds_is_refused_without_saying_whose() {
    let t = TestTerminal::demo();
    // A PIN made by the system for Juan, one Maria might try.
    let juan = t.as_(JUAN).login(JUAN).unwrap().employee_id;
    let held = loop {
        let pin = t.as_(ADMIN).reset_pin(juan).unwrap().pin;
        if !nexus_domain::pin::Pin::parse(&pin).unwrap().is_guessable() {
            break pin;
        }
    };
    let e = assert_code(change(&t, MARIA, MARIA, &held), "pin_unavailable");
    let said = e.to_string();
    assert!(!said.contains("Juan") && !said.contains(&juan.to_string()), "{said}");
    let raw = t.raw();
    let audited: String = raw
        .query_row("SELECT new_value FROM audit_log WHERE action = 'PIN_CHANGE_REFUSED'", [], |r| r.get(0))
        .unwrap();
    assert!(!audited.contains(&juan.to_string()), "{audited}");
    // Probing counts toward the lock like a wrong current PIN.
    for _ in 0..4 {
        assert_code(change(&t, MARIA, MARIA, &held), "pin_unavailable");
    }
    assert_code(change(&t, MARIA, MARIA, "2580"), "pin_change_locked");
    assert_eq!(t.terminal.login(&held).unwrap().employee_id, juan, "Juan's PIN is untouched");
}

#[test]
fn the_command_line_changes_the_pin_of_whoever_logs_in() {
    let t = TestTerminal::demo();
    let out = pos_terminal(t.path(), Some(MARIA), &["--json", "change-pin", "--new-pin", "2580"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = pos_terminal(t.path(), Some("2580"), &["--json", "change-pin", "--new-pin", "1234"]);
    assert_eq!(json_error(&out).0, "weak_pin");
    assert_eq!(json_error(&pos_terminal(t.path(), Some(MARIA), &["--json", "login"])).0, "wrong_pin");
}
