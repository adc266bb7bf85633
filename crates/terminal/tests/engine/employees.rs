use nexus_domain::employee::{EmployeeChanges, NewEmployee, PinReset};
use nexus_domain::{EmployeeId, Permission};

use crate::helpers::{ADMIN, CARLA, MARIA, OWNER, TestTerminal, assert_code};

fn new(name: &str, role: &str, pin: &str) -> NewEmployee {
    NewEmployee {
        name: name.into(),
        email: None,
        phone: None,
        role: role.into(),
        pin: pin.into(),
        branch_id: None,
        max_discount_bp: None,
        permissions: None,
    }
}

fn id_of(t: &TestTerminal, name: &str) -> EmployeeId {
    t.as_(OWNER).employees(true).unwrap().into_iter().find(|e| e.name == name).unwrap().id
}

#[test]
fn an_admin_creates_edits_re_pins_and_deactivates_a_cashier_at_the_store() {
    let t = TestTerminal::demo();
    let admin = t.as_(ADMIN);
    let before = t.ops();
    let pedro = admin.create_employee(&new("Pedro Nuevo", "cashier", "7777")).unwrap();
    assert!(pedro.permissions.contains(Permission::PosSell));
    let edited = admin
        .update_employee(
            pedro.id,
            &EmployeeChanges { name: Some("Pedro Ramírez".into()), ..Default::default() },
        )
        .unwrap();
    assert_eq!(edited.name, "Pedro Ramírez");
    admin.reset_pin(pedro.id, &PinReset { pin: "7878".into() }).unwrap();
    assert_code(t.login("7777"), "wrong_pin");
    assert_eq!(t.login("7878").unwrap().name, "Pedro Ramírez");
    let admin = t.as_(ADMIN);
    let off = admin.deactivate_employee(pedro.id).unwrap();
    assert!(!off.is_active);
    assert_code(t.login("7878"), "wrong_pin");
    // Every change is an audit entry and an op (plus the logins).
    let actions = t.count(
        "SELECT count(*) FROM audit_log WHERE action IN ('EMPLOYEE_CREATE', 'EMPLOYEE_UPDATE', 'EMPLOYEE_PIN_RESET', 'EMPLOYEE_DEACTIVATE')",
    );
    assert_eq!(actions, 4);
    assert!(t.ops() > before + 4);
    let payload: String = t
        .raw()
        .query_row(
            "SELECT payload FROM outbox WHERE kind = 'employee_saved' ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!payload.contains("7878"), "the op carries the hash, never the PIN");
}

#[test]
fn a_pin_in_use_is_refused_and_free_again_after_deactivation() {
    let t = TestTerminal::demo();
    let admin = t.as_(ADMIN);
    assert_code(admin.create_employee(&new("Otro", "cashier", MARIA)), "pin_taken");
    let maria = id_of(&t, "María Cajera");
    t.as_(ADMIN).deactivate_employee(maria).unwrap();
    let again = t.as_(ADMIN).create_employee(&new("Nueva María", "cashier", MARIA)).unwrap();
    assert!(again.is_active);
    assert_code(
        t.as_(ADMIN).update_employee(maria, &EmployeeChanges { is_active: Some(true), ..Default::default() }),
        "pin_taken",
    );
}

#[test]
fn the_same_rules_as_central_hold_offline() {
    let t = TestTerminal::demo();
    let admin = t.as_(ADMIN);
    assert_code(admin.create_employee(&new("Dueño 2", "owner", "7070")), "owner_role_forbidden");
    let mut escalate = new("X", "cashier", "7171");
    escalate.permissions = Some(vec!["pos.sell".into(), "accounting.close".into()]);
    assert_code(admin.create_employee(&escalate), "permission_escalation");
    let mut generous = new("X", "cashier", "7171");
    generous.max_discount_bp = Some(5000);
    assert_code(admin.create_employee(&generous), "discount_above_own");
    let carla = id_of(&t, "Carla Contadora");
    assert_code(t.as_(ADMIN).reset_pin(carla, &PinReset { pin: "7272".into() }), "target_outranks_actor");
    let owner = id_of(&t, "Roberto Dueño");
    assert_code(
        t.as_(ADMIN)
            .update_employee(owner, &EmployeeChanges { name: Some("X".into()), ..Default::default() }),
        "owner_protected",
    );
    assert_code(t.as_(OWNER).deactivate_employee(owner), "owner_protected");
    assert_code(t.as_(MARIA).create_employee(&new("Y", "cashier", "7373")), "forbidden");
    assert_code(t.as_(CARLA).employees(false), "forbidden");
    assert_code(t.as_(ADMIN).create_employee(&new("Z", "chef", "7474")), "invalid_role");
}

#[test]
fn an_employee_deactivated_while_logged_in_is_out_on_the_next_action() {
    let t = TestTerminal::demo();
    let maria = id_of(&t, "María Cajera");
    t.as_(MARIA);
    // Another terminal (or central, after a pull) deactivates her meanwhile.
    t.raw().execute("UPDATE employees SET is_active = 0 WHERE id = ?1", [maria.to_string()]).unwrap();
    assert_code(t.home(), "not_logged_in");
    assert_eq!(t.current().unwrap(), None);
}
