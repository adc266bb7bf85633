use nexus_domain::employee::{EmployeeChanges, NewEmployee};
use nexus_domain::{EmployeeId, Permission};

use crate::helpers::{ADMIN, CARLA, MARIA, OWNER, TestTerminal, assert_code};

fn new(name: &str, role: &str) -> NewEmployee {
    NewEmployee {
        name: name.into(),
        email: None,
        phone: None,
        role: role.into(),
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
    let created = admin.create_employee(&new("Pedro Nuevo", "cashier")).unwrap();
    let (pedro, first_pin) = (created.employee, created.pin);
    assert!(pedro.permissions.contains(Permission::PosSell));
    assert_eq!(first_pin.len(), 4, "a cashier's PIN has four digits");
    let edited = admin
        .update_employee(
            pedro.id,
            &EmployeeChanges { name: Some("Pedro Ramírez".into()), ..Default::default() },
        )
        .unwrap();
    assert_eq!(edited.name, "Pedro Ramírez");
    let new_pin = admin.reset_pin(pedro.id).unwrap().pin;
    assert_ne!(new_pin, first_pin);
    assert_code(t.login(&first_pin), "wrong_pin");
    assert_eq!(t.login(&new_pin).unwrap().name, "Pedro Ramírez");
    let admin = t.as_(ADMIN);
    let off = admin.deactivate_employee(pedro.id).unwrap();
    assert!(!off.is_active);
    assert_code(t.login(&new_pin), "wrong_pin");
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
    assert!(!payload.contains(&new_pin), "the op carries the hash, never the PIN");
}

#[test]
fn an_admin_never_chooses_a_pin_and_an_admins_pin_has_six_digits() {
    let t = TestTerminal::demo();
    let created = t.as_(OWNER).create_employee(&new("Nueva Admin", "admin")).unwrap();
    assert_eq!(created.pin.len(), 6);
    assert_eq!(t.login(&created.pin).unwrap().name, "Nueva Admin");
    let typed: Result<NewEmployee, _> = serde_json::from_value(serde_json::json!({
        "name": "Con PIN", "role": "cashier", "pin": MARIA
    }));
    assert!(typed.is_err(), "a chosen PIN is not accepted as input");
}

#[test]
fn the_same_rules_as_central_hold_offline() {
    let t = TestTerminal::demo();
    let admin = t.as_(ADMIN);
    assert_code(admin.create_employee(&new("Dueño 2", "owner")), "owner_role_forbidden");
    let mut escalate = new("X", "cashier");
    escalate.permissions = Some(vec!["pos.sell".into(), "accounting.close".into()]);
    assert_code(admin.create_employee(&escalate), "permission_escalation");
    let mut generous = new("X", "cashier");
    generous.max_discount_bp = Some(5000);
    assert_code(admin.create_employee(&generous), "discount_above_own");
    let carla = id_of(&t, "Carla Contadora");
    assert_code(t.as_(ADMIN).reset_pin(carla), "target_outranks_actor");
    let owner = id_of(&t, "Roberto Dueño");
    assert_code(
        t.as_(ADMIN)
            .update_employee(owner, &EmployeeChanges { name: Some("X".into()), ..Default::default() }),
        "owner_protected",
    );
    assert_code(t.as_(OWNER).deactivate_employee(owner), "owner_protected");
    assert_code(t.as_(MARIA).create_employee(&new("Y", "cashier")), "forbidden");
    assert_code(t.as_(CARLA).employees(false), "forbidden");
    assert_code(t.as_(ADMIN).create_employee(&new("Z", "chef")), "invalid_role");
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
