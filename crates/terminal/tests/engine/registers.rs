use nexus_domain::EmployeeId;
use nexus_terminal::registers::{AssignmentFilter, NewAssignment, NewRegister, RegisterChanges};

use crate::helpers::{ADMIN, LUIS, MARIA, OWNER, TestTerminal, assert_code};

fn employee(t: &TestTerminal, name: &str) -> EmployeeId {
    t.as_(OWNER).employees(true).unwrap().into_iter().find(|e| e.name == name).unwrap().id
}

#[test]
fn registers_are_created_renamed_and_deactivated_by_whoever_manages_them() {
    let t = TestTerminal::demo();
    let admin = t.as_(ADMIN);
    let caja3 = admin
        .create_register(&NewRegister { name: "Caja 3".into(), register_number: 3, branch_id: None })
        .unwrap();
    assert!(caja3.is_active);
    assert_code(
        admin.create_register(&NewRegister { name: "Otra".into(), register_number: 3, branch_id: None }),
        "register_number_taken",
    );
    let renamed = admin
        .update_register(
            caja3.id,
            &RegisterChanges { name: Some("Caja Express".into()), ..Default::default() },
        )
        .unwrap();
    assert_eq!(renamed.name, "Caja Express");
    let off = admin
        .update_register(caja3.id, &RegisterChanges { is_active: Some(false), ..Default::default() })
        .unwrap();
    assert!(!off.is_active);
    assert_code(
        t.as_(MARIA).create_register(&NewRegister {
            name: "Mía".into(),
            register_number: 9,
            branch_id: None,
        }),
        "forbidden",
    );
    assert_eq!(t.as_(MARIA).registers().unwrap().len(), 4);
}

#[test]
fn a_register_with_an_open_session_cannot_be_deactivated() {
    let t = TestTerminal::demo();
    let session = t.open_first(MARIA, "500");
    let e = t.as_(ADMIN).update_register(
        session.cash_register_id,
        &RegisterChanges { is_active: Some(false), ..Default::default() },
    );
    assert_code(e, "register_in_use");
}

#[test]
fn an_admin_assigns_with_a_note_and_the_cashier_sees_it_on_the_next_shift() {
    // Caso 3: Admin asigna caja.
    let t = TestTerminal::demo();
    let luis = employee(&t, "Luis Sin Caja");
    assert_eq!(t.as_(LUIS).home().unwrap().assigned_registers_count, 0);
    let caja2 = t.as_(ADMIN).registers().unwrap().into_iter().find(|r| r.name == "Caja 2").unwrap();
    let a = t
        .as_(ADMIN)
        .assign_register(&NewAssignment {
            cash_register_id: caja2.id,
            user_id: luis,
            note: Some("Asignación temporal".into()),
        })
        .unwrap();
    assert_eq!(
        (a.user_name.as_str(), a.cash_register_name.as_str(), a.note.as_deref()),
        ("Luis Sin Caja", "Caja 2", Some("Asignación temporal"))
    );
    let home = t.as_(LUIS).home().unwrap();
    assert_eq!((home.assigned_registers_count, home.single_cash_register_id), (1, Some(caja2.id)));
    // Deactivated, it disappears from his home; activated again, it is back.
    t.as_(ADMIN).set_assignment_active(a.id, false).unwrap();
    assert_eq!(t.as_(LUIS).home().unwrap().assigned_registers_count, 0);
    t.as_(ADMIN).set_assignment_active(a.id, true).unwrap();
    assert_eq!(t.as_(LUIS).home().unwrap().assigned_registers_count, 1);
}

#[test]
fn a_cashier_never_assigns_a_register_to_themselves() {
    let t = TestTerminal::demo();
    let luis = employee(&t, "Luis Sin Caja");
    let caja1 = t.as_(ADMIN).registers().unwrap()[0].id;
    assert_code(
        t.as_(LUIS).assign_register(&NewAssignment { cash_register_id: caja1, user_id: luis, note: None }),
        "forbidden",
    );
    assert_code(t.as_(LUIS).assignments(&AssignmentFilter::default()), "forbidden");
}

#[test]
fn the_assignments_view_filters_by_cashier_branch_and_state() {
    let t = TestTerminal::demo();
    let admin = t.as_(ADMIN);
    let all = admin.assignments(&AssignmentFilter::default()).unwrap();
    assert_eq!(all.len(), 5, "the demo's four plus the owner's first register");
    let juan = employee(&t, "Juan Pérez");
    let admin = t.as_(ADMIN);
    let his = admin.assignments(&AssignmentFilter { user_id: Some(juan), ..Default::default() }).unwrap();
    assert_eq!(his.len(), 2);
    admin.set_assignment_active(his[0].id, false).unwrap();
    let inactive =
        admin.assignments(&AssignmentFilter { is_active: Some(false), ..Default::default() }).unwrap();
    assert_eq!(inactive.len(), 1);
    let branch = t.device().unwrap().branch_id;
    let here =
        admin.assignments(&AssignmentFilter { branch_id: Some(branch), ..Default::default() }).unwrap();
    assert_eq!(here.len(), 5);
    let view = t.count("SELECT count(*) FROM vw_user_cash_registers WHERE is_active = 1");
    assert_eq!(view, 4);
}
