//! Re-checking what a till says its employee did to reference data.
//!
//! A terminal is a device in a shop: whoever holds it can forge its ops,
//! naming any employee as the one who acted. So central does not take an
//! `EmployeeSaved`, `RegisterSaved` or `AssignmentSaved` (PIN resets travel
//! as `EmployeeSaved`) on the terminal's word. It checks each against the
//! acting employee as central knows them — they exist, are active, hold the
//! permission, grant nothing they lack — and against what no till may do at
//! all: make an owner or touch one, or reach past the device's branch. The
//! checks are pure functions over rows the ingest loads; the refusal names
//! its reason.

use nexus_domain::employee::{self, Actor, EmployeeState, NewEmployee, Target};
use nexus_domain::permission::Grants;
use nexus_domain::{BranchId, EmployeeId, Permission, Role};

use crate::employees::Employee;

/// Why central refuses a reference-data op, for the op log and the conflict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Stable: `actor_missing`, `actor_unknown`, `actor_inactive`,
    /// `permission_missing`, `owner_from_terminal`, `outside_branch`, or the
    /// code of the employee rule broken (`permission_escalation`, …).
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    fn new(code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal { code, message: message.into() }
    }
}

impl From<nexus_domain::DomainError> for Refusal {
    fn from(e: nexus_domain::DomainError) -> Refusal {
        Refusal { code: e.code(), message: e.to_string() }
    }
}

/// Where the op comes from: the device's branch bounds what it may touch.
#[derive(Clone, Copy, Debug)]
pub struct Scope {
    pub branch_id: BranchId,
}

impl Scope {
    /// A row of no branch (staff of every branch) or of this device's branch.
    fn reaches(&self, branch: Option<BranchId>) -> bool {
        branch.is_none_or(|b| b == self.branch_id)
    }
}

/// The acting employee: named by the op, known to central, active, of this
/// branch (or of none) unless the owner, and holding `needed`.
pub fn acting(
    named: Option<EmployeeId>,
    known: Option<&Employee>,
    scope: Scope,
    needed: Permission,
) -> Result<&Employee, Refusal> {
    let Some(id) = named else {
        return Err(Refusal::new("actor_missing", "la operación no dice qué empleado la hizo"));
    };
    let actor = known.ok_or_else(|| Refusal::new("actor_unknown", format!("empleado desconocido {id}")))?;
    if !actor.is_active {
        return Err(Refusal::new("actor_inactive", format!("{} está desactivado en la central", actor.name)));
    }
    if actor.role != Role::Owner && !scope.reaches(actor.branch_id) {
        return Err(Refusal::new("outside_branch", format!("{} es de otra sucursal", actor.name)));
    }
    if !grants(actor).allows(needed) {
        return Err(Refusal::new(
            "permission_missing",
            format!("a {} le falta el permiso {}", actor.name, needed.code()),
        ));
    }
    Ok(actor)
}

fn grants(e: &Employee) -> Grants {
    Grants { role: e.role, permissions: e.permissions.clone() }
}

fn as_actor(e: &Employee) -> Actor {
    Actor { employee_id: e.id, grants: grants(e), max_discount: e.max_discount_bp }
}

/// An employee created, changed or re-PINed at a till: never an owner, within
/// the device's branch, and by the rules of `nexus_domain::employee` as
/// central knows the actor (nobody grants what they lack).
pub fn employee_change(
    actor: &Employee,
    scope: Scope,
    id: EmployeeId,
    before: Option<&EmployeeState>,
    after: &EmployeeState,
) -> Result<(), Refusal> {
    if before.is_some_and(|b| b.role == Role::Owner) || after.role == Role::Owner {
        return Err(Refusal::new(
            "owner_from_terminal",
            "el dueño no se crea ni se cambia desde una terminal",
        ));
    }
    if !before.is_none_or(|b| scope.reaches(b.branch_id)) || !scope.reaches(after.branch_id) {
        return Err(Refusal::new("outside_branch", "el empleado es de otra sucursal"));
    }
    let target = before.map(|b| Target { employee_id: id, role: b.role, permissions: &b.permissions });
    employee::check_change(&as_actor(actor), target.as_ref(), &NewEmployee::outcome(after))?;
    Ok(())
}

/// A register saved at a till: in the device's branch, before and after.
pub fn register_change(scope: Scope, before: Option<BranchId>, after: BranchId) -> Result<(), Refusal> {
    if before.is_some_and(|b| b != scope.branch_id) || after != scope.branch_id {
        return Err(Refusal::new("outside_branch", "la caja es de otra sucursal"));
    }
    Ok(())
}

/// An assignment saved at a till: a register of the device's branch, to an
/// employee of that branch (or of none).
pub fn assignment_change(
    scope: Scope,
    register_branch: BranchId,
    assignee_branch: Option<BranchId>,
) -> Result<(), Refusal> {
    if register_branch != scope.branch_id || !scope.reaches(assignee_branch) {
        return Err(Refusal::new("outside_branch", "la caja o el empleado son de otra sucursal"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nexus_domain::{Percent, PermissionSet};
    use uuid::Uuid;

    fn person(role: Role, branch: Option<BranchId>) -> Employee {
        Employee {
            id: EmployeeId(Uuid::now_v7()),
            name: "Ana".into(),
            email: None,
            phone: None,
            role,
            branch_id: branch,
            max_discount_bp: Percent::from_hundredths(1000).unwrap(),
            is_active: true,
            permissions: role.default_permissions(),
        }
    }

    fn state(role: Role, permissions: PermissionSet, branch: Option<BranchId>) -> EmployeeState {
        EmployeeState {
            name: "Pedro".into(),
            email: None,
            phone: None,
            role,
            branch_id: branch,
            max_discount: Percent::ZERO,
            permissions,
            is_active: true,
        }
    }

    #[test]
    fn the_actor_must_exist_be_active_be_of_the_branch_and_hold_the_permission() {
        let here = Scope { branch_id: BranchId(Uuid::now_v7()) };
        let elsewhere = Some(BranchId(Uuid::now_v7()));
        let admin = person(Role::Admin, Some(here.branch_id));
        let need = Permission::SecurityUsersManage;
        assert_eq!(acting(None, None, here, need).unwrap_err().code, "actor_missing");
        assert_eq!(acting(Some(admin.id), None, here, need).unwrap_err().code, "actor_unknown");
        assert!(acting(Some(admin.id), Some(&admin), here, need).is_ok());
        let off = Employee { is_active: false, ..admin.clone() };
        assert_eq!(acting(Some(off.id), Some(&off), here, need).unwrap_err().code, "actor_inactive");
        let away = Employee { branch_id: elsewhere, ..admin.clone() };
        assert_eq!(acting(Some(away.id), Some(&away), here, need).unwrap_err().code, "outside_branch");
        let cashier = person(Role::Cashier, None);
        assert_eq!(
            acting(Some(cashier.id), Some(&cashier), here, need).unwrap_err().code,
            "permission_missing"
        );
    }

    #[test]
    fn no_owner_is_made_or_touched_and_nobody_grants_what_they_lack() {
        let here = Scope { branch_id: BranchId(Uuid::now_v7()) };
        let owner = person(Role::Owner, None);
        let id = EmployeeId(Uuid::now_v7());
        let as_owner = state(Role::Owner, Role::Owner.default_permissions(), None);
        assert_eq!(
            employee_change(&owner, here, id, None, &as_owner).unwrap_err().code,
            "owner_from_terminal"
        );
        assert_eq!(
            employee_change(&owner, here, owner.id, Some(&as_owner), &as_owner).unwrap_err().code,
            "owner_from_terminal"
        );
        let cashier = person(Role::Cashier, None);
        let mut more = Role::Cashier.default_permissions().iter().collect::<Vec<_>>();
        more.push(Permission::SecurityUsersManage);
        let before = state(Role::Cashier, Role::Cashier.default_permissions(), None);
        let after = state(Role::Cashier, more.into_iter().collect(), None);
        assert_eq!(
            employee_change(&cashier, here, cashier.id, Some(&before), &after).unwrap_err().code,
            "permission_escalation"
        );
        let admin = person(Role::Admin, None);
        let elsewhere =
            state(Role::Cashier, Role::Cashier.default_permissions(), Some(BranchId(Uuid::now_v7())));
        assert_eq!(employee_change(&admin, here, id, None, &elsewhere).unwrap_err().code, "outside_branch");
        assert!(employee_change(&admin, here, id, None, &before).is_ok());
    }

    #[test]
    fn registers_and_assignments_stay_in_the_device_branch() {
        let here = Scope { branch_id: BranchId(Uuid::now_v7()) };
        let other = BranchId(Uuid::now_v7());
        assert!(register_change(here, None, here.branch_id).is_ok());
        assert!(register_change(here, Some(other), here.branch_id).is_err());
        assert!(register_change(here, None, other).is_err());
        assert!(assignment_change(here, here.branch_id, None).is_ok());
        assert!(assignment_change(here, other, None).is_err());
        assert!(assignment_change(here, here.branch_id, Some(other)).is_err());
    }
}
