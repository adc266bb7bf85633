//! Who may create, change, deactivate or re-PIN an employee.
//!
//! The same rules hold at central (config API) and at a terminal (store
//! owners managing staff offline): no owner is made through the product, the
//! owner is protected, and nobody hands out — directly or by resetting the
//! PIN of a more powerful colleague — a permission they do not hold.

use serde::Deserialize;

use crate::error::{DomainError, optional_text, required_text};
use crate::permission::Grants;
use crate::{BranchId, EmployeeId, Percent, Permission, PermissionSet, Role};

/// The employee performing a change.
#[derive(Clone, Debug)]
pub struct Actor {
    pub employee_id: EmployeeId,
    pub grants: Grants,
    pub max_discount: Percent,
}

/// The employee being changed, as stored before the change.
#[derive(Clone, Debug)]
pub struct Target<'a> {
    pub employee_id: EmployeeId,
    pub role: Role,
    pub permissions: &'a PermissionSet,
}

/// What the employee will look like after the change.
#[derive(Clone, Debug)]
pub struct Outcome<'a> {
    pub role: Role,
    pub permissions: &'a PermissionSet,
    pub max_discount: Percent,
    pub active: bool,
}

/// Checks a creation (`target` is `None`) or a change of an employee.
pub fn check_change(
    actor: &Actor,
    target: Option<&Target<'_>>,
    outcome: &Outcome<'_>,
) -> Result<(), DomainError> {
    let actor_is_owner = actor.grants.role == Role::Owner;
    match target {
        Some(t) if t.role == Role::Owner => {
            if outcome.role != Role::Owner || !outcome.active {
                return Err(DomainError::OwnerProtected);
            }
            if t.employee_id != actor.employee_id {
                return Err(DomainError::OwnerProtected);
            }
        }
        _ if outcome.role == Role::Owner => return Err(DomainError::OwnerRoleForbidden),
        _ => {}
    }
    if let Some(t) = target
        && t.employee_id == actor.employee_id
        && !outcome.active
    {
        return Err(DomainError::CannotDeactivateSelf);
    }
    if actor_is_owner {
        return Ok(());
    }
    if let Some(t) = target {
        let missing = actor.grants.ungrantable(t.permissions);
        if !missing.is_empty() {
            return Err(DomainError::TargetOutranksActor { missing });
        }
    }
    let missing = actor.grants.ungrantable(outcome.permissions);
    if !missing.is_empty() {
        return Err(DomainError::PermissionEscalation { missing });
    }
    if outcome.max_discount > actor.max_discount {
        return Err(DomainError::DiscountAboveOwn);
    }
    Ok(())
}

/// Checks a PIN reset of `target` by `actor`: resetting a PIN hands its
/// permissions to whoever knows the new PIN, so it follows the same rules as
/// changing the employee.
pub fn check_pin_reset(actor: &Actor, target: &Target<'_>, max_discount: Percent) -> Result<(), DomainError> {
    check_change(
        actor,
        Some(target),
        &Outcome { role: target.role, permissions: target.permissions, max_discount, active: true },
    )
}

/// A new employee as an admin typed it.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewEmployee {
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 200,
            pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
        )
    )]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 200,
            pattern = r"^[^\u0000-\u001f\u007f-\u009f ]*@[^\u0000-\u001f\u007f-\u009f ]*$"
        )
    )]
    pub email: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 20, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"))]
    pub phone: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Role))]
    pub role: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub branch_id: Option<BranchId>,
    /// Largest discount, in hundredths of a percent (1250 = 12.5 %).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(maximum = 10000))]
    pub max_discount_bp: Option<u16>,
    /// Replaces the role's default permissions when given.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Permission>>))]
    pub permissions: Option<Vec<String>>,
}

/// Fields to change; absent fields stay as they are.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmployeeChanges {
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 200,
            pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
        )
    )]
    pub name: Option<String>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 200,
            pattern = r"^[^\u0000-\u001f\u007f-\u009f ]*@[^\u0000-\u001f\u007f-\u009f ]*$"
        )
    )]
    pub email: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 20, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"))]
    pub phone: Option<String>,
    /// A new role; the permissions become the role's defaults unless
    /// `permissions` is given too.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Role>))]
    pub role: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub branch_id: Option<BranchId>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(maximum = 10000))]
    pub max_discount_bp: Option<u16>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Permission>>))]
    pub permissions: Option<Vec<String>>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// An employee changing their own PIN: the one they use now and the one
/// they chose. Both are secrets and never printed.
#[derive(Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PinChange {
    pub current_pin: String,
    pub new_pin: String,
}

impl std::fmt::Debug for PinChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinChange(***)")
    }
}

/// An employee's editable state, before or after a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmployeeState {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: Role,
    pub branch_id: Option<BranchId>,
    pub max_discount: Percent,
    pub permissions: PermissionSet,
    pub is_active: bool,
}

fn check_email(email: Option<&str>) -> Result<Option<String>, DomainError> {
    let email = optional_text("email", email, 200)?;
    if email.as_deref().is_some_and(|e| !e.contains('@') || e.contains(' ')) {
        return Err(DomainError::Invalid { field: "email", reason: "no es un correo electrónico" });
    }
    Ok(email)
}

impl NewEmployee {
    /// The checked employee; nothing is written yet. The PIN is made by the
    /// system afterwards ([`Pin::generate`] with [`crate::pin::required_len`]).
    pub fn check(&self) -> Result<EmployeeState, DomainError> {
        let role: Role = self.role.parse()?;
        let permissions = match &self.permissions {
            Some(codes) => PermissionSet::from_codes(codes)?,
            None => role.default_permissions(),
        };
        let state = EmployeeState {
            name: required_text("name", &self.name, 200)?,
            email: check_email(self.email.as_deref())?,
            phone: optional_text("phone", self.phone.as_deref(), 20)?,
            role,
            branch_id: self.branch_id,
            max_discount: Percent::from_hundredths(self.max_discount_bp.unwrap_or(0))?,
            permissions,
            is_active: true,
        };
        Ok(state)
    }

    pub fn outcome<'a>(state: &'a EmployeeState) -> Outcome<'a> {
        Outcome {
            role: state.role,
            permissions: &state.permissions,
            max_discount: state.max_discount,
            active: state.is_active,
        }
    }
}

impl EmployeeChanges {
    /// The state after applying these changes to `before`.
    pub fn apply(&self, before: &EmployeeState) -> Result<EmployeeState, DomainError> {
        let role = match &self.role {
            Some(r) => r.parse()?,
            None => before.role,
        };
        let permissions = match (&self.permissions, role != before.role) {
            (Some(codes), _) => PermissionSet::from_codes(codes)?,
            (None, true) => role.default_permissions(),
            (None, false) => before.permissions.clone(),
        };
        Ok(EmployeeState {
            name: match &self.name {
                Some(n) => required_text("name", n, 200)?,
                None => before.name.clone(),
            },
            email: match &self.email {
                Some(e) => check_email(Some(e))?,
                None => before.email.clone(),
            },
            phone: match &self.phone {
                Some(p) => optional_text("phone", Some(p), 20)?,
                None => before.phone.clone(),
            },
            role,
            branch_id: self.branch_id.or(before.branch_id),
            max_discount: match self.max_discount_bp {
                Some(bp) => Percent::from_hundredths(bp)?,
                None => before.max_discount,
            },
            permissions,
            is_active: self.is_active.unwrap_or(before.is_active),
        })
    }
}

/// Checks a change of `target` (with id `id`, now `before`) into `after`.
pub fn check_update(
    actor: &Actor,
    id: EmployeeId,
    before: &EmployeeState,
    after: &EmployeeState,
) -> Result<(), DomainError> {
    check_change(
        actor,
        Some(&Target { employee_id: id, role: before.role, permissions: &before.permissions }),
        &NewEmployee::outcome(after),
    )
}

/// Whether an employee change made at a terminal raises privileges enough to
/// wait for an owner's approval at headquarters before central applies it: a
/// new admin (created, or promoted from another role), or any `SECURITY.*` or
/// `accounting.*` permission the employee did not hold before.
pub fn raises_privileges(before: Option<&EmployeeState>, after: &EmployeeState) -> bool {
    let new_admin = after.role == Role::Admin && before.is_none_or(|b| b.role != Role::Admin);
    let sensitive = |p: Permission| p.code().starts_with("SECURITY.") || p.code().starts_with("accounting.");
    let gained = after
        .permissions
        .iter()
        .filter(|p| sensitive(*p))
        .any(|p| before.is_none_or(|b| !b.permissions.contains(p)));
    new_admin || gained
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Permission;
    use uuid::Uuid;

    fn actor(role: Role, id: u128) -> Actor {
        Actor {
            employee_id: EmployeeId(Uuid::from_u128(id)),
            grants: Grants { role, permissions: role.default_permissions() },
            max_discount: Percent::from_hundredths(1000).unwrap(),
        }
    }

    fn outcome(role: Role, perms: &PermissionSet) -> Outcome<'_> {
        Outcome { role, permissions: perms, max_discount: Percent::ZERO, active: true }
    }

    #[test]
    fn an_admin_creates_a_cashier() {
        let perms = Role::Cashier.default_permissions();
        assert_eq!(check_change(&actor(Role::Admin, 1), None, &outcome(Role::Cashier, &perms)), Ok(()));
    }

    #[test]
    fn nobody_creates_or_promotes_an_owner() {
        let perms = Role::Owner.default_permissions();
        for who in [Role::Owner, Role::Admin] {
            assert_eq!(
                check_change(&actor(who, 1), None, &outcome(Role::Owner, &perms)),
                Err(DomainError::OwnerRoleForbidden)
            );
        }
        let cashier_perms = Role::Cashier.default_permissions();
        let target = Target {
            employee_id: EmployeeId(Uuid::from_u128(2)),
            role: Role::Cashier,
            permissions: &cashier_perms,
        };
        assert_eq!(
            check_change(&actor(Role::Owner, 1), Some(&target), &outcome(Role::Owner, &perms)),
            Err(DomainError::OwnerRoleForbidden)
        );
    }

    #[test]
    fn the_owner_is_protected_from_others_and_from_deactivation() {
        let perms = Role::Owner.default_permissions();
        let owner =
            Target { employee_id: EmployeeId(Uuid::from_u128(1)), role: Role::Owner, permissions: &perms };
        assert_eq!(
            check_change(&actor(Role::Admin, 2), Some(&owner), &outcome(Role::Owner, &perms)),
            Err(DomainError::OwnerProtected)
        );
        assert_eq!(check_change(&actor(Role::Owner, 1), Some(&owner), &outcome(Role::Owner, &perms)), Ok(()));
        let mut off = outcome(Role::Owner, &perms);
        off.active = false;
        assert_eq!(
            check_change(&actor(Role::Owner, 1), Some(&owner), &off),
            Err(DomainError::OwnerProtected)
        );
        assert_eq!(
            check_change(&actor(Role::Owner, 1), Some(&owner), &outcome(Role::Admin, &perms)),
            Err(DomainError::OwnerProtected)
        );
    }

    #[test]
    fn an_admin_cannot_grant_or_reach_what_they_lack() {
        let admin = actor(Role::Admin, 1);
        let mut wanted = Role::Cashier.default_permissions().iter().collect::<Vec<_>>();
        wanted.push(Permission::AccountingClose);
        let wanted: PermissionSet = wanted.into_iter().collect();
        assert_eq!(
            check_change(&admin, None, &outcome(Role::Cashier, &wanted)),
            Err(DomainError::PermissionEscalation { missing: vec![Permission::AccountingClose] })
        );
        let accountant = Role::Accountant.default_permissions();
        let target = Target {
            employee_id: EmployeeId(Uuid::from_u128(5)),
            role: Role::Accountant,
            permissions: &accountant,
        };
        assert!(matches!(
            check_pin_reset(&admin, &target, Percent::ZERO),
            Err(DomainError::TargetOutranksActor { .. })
        ));
        assert_eq!(check_pin_reset(&actor(Role::Owner, 9), &target, Percent::ZERO), Ok(()));
    }

    #[test]
    fn a_discount_above_the_actors_own_is_refused() {
        let perms = Role::Cashier.default_permissions();
        let mut o = outcome(Role::Cashier, &perms);
        o.max_discount = Percent::from_hundredths(1500).unwrap();
        assert_eq!(check_change(&actor(Role::Admin, 1), None, &o), Err(DomainError::DiscountAboveOwn));
        assert_eq!(check_change(&actor(Role::Owner, 1), None, &o), Ok(()));
    }

    #[test]
    fn nobody_deactivates_themselves() {
        let perms = Role::Admin.default_permissions();
        let me =
            Target { employee_id: EmployeeId(Uuid::from_u128(1)), role: Role::Admin, permissions: &perms };
        let mut off = outcome(Role::Admin, &perms);
        off.active = false;
        assert_eq!(
            check_change(&actor(Role::Admin, 1), Some(&me), &off),
            Err(DomainError::CannotDeactivateSelf)
        );
    }

    fn state(role: Role, permissions: PermissionSet) -> EmployeeState {
        EmployeeState {
            name: "Ana".into(),
            email: None,
            phone: None,
            role,
            branch_id: None,
            max_discount: Percent::ZERO,
            permissions,
            is_active: true,
        }
    }

    #[test]
    fn a_new_admin_or_a_security_or_accounting_grant_raises_privileges() {
        let admin = state(Role::Admin, Role::Admin.default_permissions());
        let cashier = state(Role::Cashier, Role::Cashier.default_permissions());
        assert!(raises_privileges(None, &admin));
        assert!(raises_privileges(Some(&cashier), &admin));
        assert!(!raises_privileges(Some(&admin), &admin));
        assert!(!raises_privileges(None, &cashier));
        let mut keys = Role::Cashier.default_permissions().iter().collect::<Vec<_>>();
        keys.push(Permission::AccountingView);
        let bookkeeper = state(Role::Cashier, keys.into_iter().collect());
        assert!(raises_privileges(Some(&cashier), &bookkeeper));
        assert!(raises_privileges(None, &bookkeeper));
        assert!(!raises_privileges(Some(&bookkeeper), &bookkeeper));
        let mut renamed = bookkeeper.clone();
        renamed.name = "Ana María".into();
        assert!(!raises_privileges(Some(&bookkeeper), &renamed), "a rename is no escalation");
        let mut security = Role::Cashier.default_permissions().iter().collect::<Vec<_>>();
        security.push(Permission::SecurityUsersManage);
        assert!(raises_privileges(Some(&cashier), &state(Role::Cashier, security.into_iter().collect())));
    }
}
