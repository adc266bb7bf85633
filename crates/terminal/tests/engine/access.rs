use chrono::Duration;

use crate::helpers::{ADMIN, MARIA, OWNER, TestTerminal, assert_code};

#[test]
fn a_pin_logs_in_its_employee_and_every_attempt_is_audited() {
    let t = TestTerminal::demo();
    let maria = t.login(MARIA).unwrap();
    assert_eq!(maria.name, "María Cajera");
    assert!(maria.permissions.contains(nexus_domain::Permission::CashSessionOpen));
    assert_code(t.login("9876"), "wrong_pin");
    assert_code(t.login("12a4"), "invalid_pin");
    let actions: Vec<String> = t
        .raw()
        .prepare("SELECT action FROM audit_log WHERE action LIKE 'LOGIN%' ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(actions, ["LOGIN", "LOGIN_FAILED"], "a malformed PIN is refused before any attempt");
    let leaked =
        t.count("SELECT count(*) FROM audit_log WHERE new_value LIKE '%1111%' OR new_value LIKE '%9876%'");
    assert_eq!(leaked, 0, "no PIN in the audit log");
}

#[test]
fn five_failures_in_a_minute_ask_the_counter_to_wait() {
    let t = TestTerminal::demo();
    for _ in 0..5 {
        assert_code(t.login("9999"), "wrong_pin");
        t.advance(Duration::seconds(5));
    }
    let e = assert_code(t.login(MARIA), "too_many_attempts");
    assert_eq!(e.to_string(), "Demasiados intentos. Espere un momento.");
    let wait = e.to_body().retry_after_secs.unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    t.advance(Duration::seconds(wait));
    t.login(MARIA).unwrap();
}

#[test]
fn ten_failures_in_fifteen_minutes_lock_the_device_even_after_a_restart() {
    let mut t = TestTerminal::demo();
    for round in 0..2 {
        for _ in 0..5 {
            assert_code(t.login("9999"), "wrong_pin");
        }
        if round == 0 {
            t.advance(Duration::seconds(61));
        }
    }
    let e = assert_code(t.login(MARIA), "device_locked");
    assert_eq!(e.to_string(), "Dispositivo bloqueado. Intente en 15 minutos.");
    assert_eq!(e.to_body().retry_after_secs, Some(15 * 60));
    t.reopen();
    assert_code(t.login(MARIA), "device_locked");
    assert!(t.locked_until().unwrap().is_some());
    t.advance(Duration::minutes(15));
    t.login(MARIA).unwrap();
    assert_eq!(t.count("SELECT count(*) FROM audit_log WHERE action = 'LOGIN_BLOCKED'"), 2);
}

#[test]
fn lock_and_logout_need_the_pin_again() {
    let t = TestTerminal::demo();
    t.login(MARIA).unwrap();
    t.home().unwrap();
    t.lock().unwrap();
    assert_code(t.home(), "not_logged_in");
    assert_eq!(t.current().unwrap(), None);
    t.login(MARIA).unwrap();
    t.logout().unwrap();
    assert_code(t.home(), "not_logged_in");
    let actions = t.count("SELECT count(*) FROM audit_log WHERE action IN ('LOCK', 'LOGOUT')");
    assert_eq!(actions, 2);
}

#[test]
fn the_counter_locks_itself_after_the_configured_idle_time() {
    let t = TestTerminal::demo();
    t.login(OWNER).unwrap();
    t.set_auto_lock_secs(120).unwrap();
    t.login(MARIA).unwrap();
    t.advance(Duration::seconds(100));
    t.home().unwrap();
    t.advance(Duration::seconds(100));
    t.home().expect("activity keeps the session awake");
    t.advance(Duration::seconds(121));
    assert_code(t.home(), "session_locked");
    assert_code(t.home(), "not_logged_in");
    assert_eq!(t.count("SELECT count(*) FROM audit_log WHERE action = 'AUTO_LOCK'"), 1);
    // Only someone with config.edit sets the time, and within bounds.
    t.login(MARIA).unwrap();
    assert_code(t.set_auto_lock_secs(600), "forbidden");
    t.login(ADMIN).unwrap();
    assert_code(t.set_auto_lock_secs(5), "field_invalid");
}
