//! Cash registers and who may use them, as the register-assignment spec's
//! admin screens have them, for a terminal's admin and headquarters alike.
//!
//! A register has a name and a number unique in its branch (1 to 999); one
//! with an OPEN session stays active. An admin assigns a register to an
//! employee with a note; assigning again reactivates the assignment and
//! replaces its note; an assignment is activated or deactivated, never
//! deleted. Only an active register is assigned, and only to an active
//! employee. Each store checks the same things in the same order with the
//! same messages; only where the rows live differs.

use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::{DomainError, optional_text, required_text};
use crate::{BranchId, EmployeeId};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_NOTE_CHARS: usize = 300;
pub const MIN_NUMBER: i64 = 1;
pub const MAX_NUMBER: i64 = 999;

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRegister {
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 100,
            pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
        )
    )]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 999))]
    pub register_number: i64,
    /// Defaults to this terminal's branch.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub branch_id: Option<BranchId>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterChanges {
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 100,
            pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
        )
    )]
    pub name: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 999))]
    pub register_number: Option<i64>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAssignment {
    pub cash_register_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub user_id: EmployeeId,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 300, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"))]
    pub note: Option<String>,
}

/// What a register's admin may change, as stored or about to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterState {
    pub name: String,
    pub register_number: i64,
    pub is_active: bool,
}

/// Refuses a register number outside 1 to 999.
pub fn check_number(n: i64) -> Result<i64, DomainError> {
    if (MIN_NUMBER..=MAX_NUMBER).contains(&n) {
        Ok(n)
    } else {
        Err(DomainError::Invalid { field: "register_number", reason: "debe ser de 1 a 999" })
    }
}

/// The refusal of a register whose branch does not exist.
pub fn unknown_branch() -> DomainError {
    DomainError::Invalid { field: "branch_id", reason: "la sucursal no existe" }
}

impl NewRegister {
    /// The register as it will be stored: trimmed name, number in range, active.
    pub fn check(&self) -> Result<RegisterState, DomainError> {
        Ok(RegisterState {
            name: required_text("name", &self.name, MAX_NAME_CHARS)?,
            register_number: check_number(self.register_number)?,
            is_active: true,
        })
    }
}

impl RegisterChanges {
    /// The register after the changes. Deactivating one with an OPEN
    /// session (`has_open_session`) is refused: the cashier could not close it.
    pub fn apply(
        &self,
        before: &RegisterState,
        has_open_session: bool,
    ) -> Result<RegisterState, DomainError> {
        let name = self.name.as_deref().map(|n| required_text("name", n, MAX_NAME_CHARS)).transpose()?;
        let number = self.register_number.map(check_number).transpose()?;
        let is_active = self.is_active.unwrap_or(before.is_active);
        if !is_active && has_open_session {
            return Err(DomainError::RegisterHasOpenSession);
        }
        Ok(RegisterState {
            name: name.unwrap_or_else(|| before.name.clone()),
            register_number: number.unwrap_or(before.register_number),
            is_active,
        })
    }
}

/// The audit action of a register's change.
pub fn register_action(before: Option<&RegisterState>, after: &RegisterState) -> &'static str {
    match (before.map(|b| b.is_active), after.is_active) {
        (None, _) => "REGISTER_CREATE",
        (Some(true), false) => "REGISTER_DEACTIVATE",
        (Some(false), true) => "REGISTER_ACTIVATE",
        _ => "REGISTER_UPDATE",
    }
}

/// What the audit log keeps of a register.
pub fn register_snapshot(branch_id: BranchId, r: &RegisterState) -> Value {
    json!({ "name": r.name, "register_number": r.register_number, "branch_id": branch_id, "is_active": r.is_active })
}

impl NewAssignment {
    /// The note as it will be stored: trimmed, empty as none.
    pub fn note(&self) -> Result<Option<String>, DomainError> {
        optional_text("note", self.note.as_deref(), MAX_NOTE_CHARS)
    }
}

/// Checks an assignment against what the store found: whether the register
/// exists and is active (`None`: it does not exist), and the same of the
/// employee. An inactive employee is as good as unknown.
pub fn check_assignment(
    register_active: Option<bool>,
    employee_active: Option<bool>,
) -> Result<(), DomainError> {
    match register_active {
        None => return Err(DomainError::RegisterNotFound),
        Some(false) => return Err(DomainError::RegisterInactive),
        Some(true) => {}
    }
    if employee_active != Some(true) {
        return Err(DomainError::AssigneeNotFound);
    }
    Ok(())
}

/// The audit action of an assignment's change: made or re-made by assigning,
/// or switched on or off.
pub fn assignment_action(assigned: bool, is_active: bool) -> &'static str {
    match (assigned, is_active) {
        (true, _) => "CASH_ASSIGN",
        (false, true) => "CASH_ASSIGN_ACTIVATE",
        (false, false) => "CASH_ASSIGN_DEACTIVATE",
    }
}

/// What the audit log keeps of an assignment.
pub fn assignment_snapshot(
    cash_register_id: Uuid,
    user_id: EmployeeId,
    is_active: bool,
    note: Option<&str>,
) -> Value {
    json!({ "cash_register_id": cash_register_id, "user_id": user_id, "is_active": is_active, "note": note })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caja() -> RegisterState {
        RegisterState { name: "Caja 1".into(), register_number: 1, is_active: true }
    }

    #[test]
    fn a_new_register_is_trimmed_numbered_from_1_to_999_and_active() {
        let new = |name: &str, n| NewRegister { name: name.into(), register_number: n, branch_id: None };
        assert_eq!(
            new("  Caja 2 ", 999).check(),
            Ok(RegisterState { name: "Caja 2".into(), register_number: 999, is_active: true })
        );
        assert_eq!(new("Caja", 0).check().unwrap_err().code(), "field_invalid");
        assert_eq!(new("Caja", 1000).check().unwrap_err().code(), "field_invalid");
        assert_eq!(new("   ", 1).check().unwrap_err().code(), "field_required");
        assert_eq!(new(&"x".repeat(101), 1).check().unwrap_err().code(), "field_too_long");
        assert_eq!(new(&"x".repeat(100), 1).check().map(|r| r.name.len()), Ok(100));
    }

    #[test]
    fn a_register_with_an_open_session_stays_active_but_may_be_renamed() {
        let off = RegisterChanges { is_active: Some(false), ..Default::default() };
        assert_eq!(off.apply(&caja(), true), Err(DomainError::RegisterHasOpenSession));
        assert_eq!(off.apply(&caja(), true).unwrap_err().code(), "register_in_use");
        assert!(!off.apply(&caja(), false).unwrap().is_active);
        let rename = RegisterChanges { name: Some(" Express ".into()), ..Default::default() };
        assert_eq!(
            rename.apply(&caja(), true),
            Ok(RegisterState { name: "Express".into(), register_number: 1, is_active: true })
        );
        let bad = RegisterChanges { register_number: Some(-3), ..Default::default() };
        assert_eq!(bad.apply(&caja(), false).unwrap_err().code(), "field_invalid");
    }

    #[test]
    fn register_changes_are_named_for_the_audit_log() {
        let off = RegisterState { is_active: false, ..caja() };
        assert_eq!(register_action(None, &caja()), "REGISTER_CREATE");
        assert_eq!(register_action(Some(&caja()), &off), "REGISTER_DEACTIVATE");
        assert_eq!(register_action(Some(&off), &caja()), "REGISTER_ACTIVATE");
        assert_eq!(register_action(Some(&caja()), &caja()), "REGISTER_UPDATE");
    }

    #[test]
    fn only_an_active_register_is_assigned_and_only_to_an_active_employee() {
        assert_eq!(check_assignment(Some(true), Some(true)), Ok(()));
        assert_eq!(check_assignment(None, Some(true)), Err(DomainError::RegisterNotFound));
        assert_eq!(check_assignment(Some(false), Some(true)), Err(DomainError::RegisterInactive));
        assert_eq!(check_assignment(Some(true), Some(false)), Err(DomainError::AssigneeNotFound));
        assert_eq!(check_assignment(Some(true), None), Err(DomainError::AssigneeNotFound));
        // The register is checked first, as the spec's procedure does.
        assert_eq!(check_assignment(Some(false), None), Err(DomainError::RegisterInactive));
    }

    #[test]
    fn a_note_is_trimmed_and_at_most_300_characters() {
        let with = |note: &str| NewAssignment {
            cash_register_id: Uuid::nil(),
            user_id: EmployeeId(Uuid::nil()),
            note: Some(note.into()),
        };
        assert_eq!(with("  temporal ").note(), Ok(Some("temporal".into())));
        assert_eq!(with("   ").note(), Ok(None));
        assert_eq!(with(&"n".repeat(301)).note().unwrap_err().code(), "field_too_long");
    }
}
