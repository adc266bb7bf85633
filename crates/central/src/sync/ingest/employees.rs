//! Employees created, changed or re-PINed at a till.

use nexus_domain::Permission;
use nexus_domain::employee::{self, EmployeeState};
use nexus_domain::sync::{Op, payload, unhex};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::super::trust;
use super::planner::{Employee, Failure, Planner, parse};
use super::reference::load_employee;
use crate::employees;

impl Planner {
    /// An employee created, changed or re-PINed at a till: re-checked, held
    /// when it raises privileges, written otherwise.
    pub(super) async fn employee_saved(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        let e: payload::EmployeeSaved = parse(op)?;
        let before = load_employee(tx, e.id.0).await?;
        let before_state = before.as_ref().map(employees::Employee::state);
        let after = saved_state(&e);
        if own_pin_change(op, &e, before_state.as_ref()) {
            return self.write_employee(tx, op.seq, &e).await.map(|_| ());
        }
        let actor = self.acting(tx, op, Permission::SecurityUsersManage).await?;
        if let Err(r) = trust::employee_change(&actor, self.scope(), e.id, before_state.as_ref(), &after) {
            return Err(self.refuse(op, r));
        }
        if employee::raises_privileges(before_state.as_ref(), &after) {
            let before = before.as_ref().map(employees::snapshot);
            return self.hold(tx, op, e.id.0, before, employees::state_snapshot(&after)).await;
        }
        self.write_employee(tx, op.seq, &e).await.map(|_| ())
    }

    /// Writes an employee by last-writer-wins; whether it was written.
    pub(super) async fn write_employee(
        &mut self,
        tx: &mut PgConnection,
        seq: i64,
        e: &payload::EmployeeSaved,
    ) -> Result<bool, Failure> {
        let incoming = self.version(e.hlc);
        if let Some(current) = self.employee(tx, e.id.0).await?
            && !incoming.wins_over(&current.version)
        {
            self.conflict(
                seq,
                "stale_edit",
                json!({ "entity": "employee", "id": e.id,
                "current": current.version, "received": incoming }),
            );
            return Ok(false);
        }
        let lookup = unhex(&e.pin_lookup).ok().map(|l| l.to_vec());
        // A PIN another active employee took meanwhile cannot identify both.
        let taken: Option<Uuid> = match (&lookup, e.is_active) {
            (Some(l), true) => {
                sqlx::query_scalar(
                    "SELECT id FROM employees WHERE pin_lookup = $1 AND is_active AND id <> $2",
                )
                .bind(l)
                .bind(e.id.0)
                .fetch_optional(&mut *tx)
                .await?
            }
            _ => None,
        };
        if let Some(other) = taken {
            self.conflict(seq, "pin_collision", json!({ "employee_id": e.id, "other_employee_id": other }));
        }
        let lookup = if taken.is_some() { None } else { lookup };
        sqlx::query(
            "INSERT INTO employees (id, name, email, phone, pin_hash, pin_lookup, role, branch_id, max_discount_pct, is_active,
                                    hlc, origin, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::numeric / 100, $10, $11, $12, $13)
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, phone = EXCLUDED.phone,
                 pin_hash = EXCLUDED.pin_hash, pin_lookup = EXCLUDED.pin_lookup, role = EXCLUDED.role,
                 branch_id = EXCLUDED.branch_id, max_discount_pct = EXCLUDED.max_discount_pct,
                 is_active = EXCLUDED.is_active, hlc = EXCLUDED.hlc, origin = EXCLUDED.origin, updated_at = EXCLUDED.updated_at",
        )
        .bind(e.id.0)
        .bind(&e.name)
        .bind(&e.email)
        .bind(&e.phone)
        .bind(&e.pin_hash)
        .bind(lookup)
        .bind(e.role.code())
        .bind(e.branch_id.map(|b| b.0))
        .bind(i32::from(e.max_discount_bp.hundredths()))
        .bind(e.is_active)
        .bind(e.hlc.0)
        .bind(&incoming.origin)
        .bind(e.updated_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM employee_permissions WHERE employee_id = $1")
            .bind(e.id.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO employee_permissions (employee_id, permission) SELECT $1, unnest($2::text[])",
        )
        .bind(e.id.0)
        .bind(e.permissions.codes())
        .execute(&mut *tx)
        .await?;
        self.employees.insert(e.id.0, Some(Employee { active: e.is_active, version: incoming }));
        Ok(true)
    }
}

/// An active employee changing only their own PIN at a till — any role, the
/// owner included: nothing about who they are or what they may do changes,
/// so it needs no permission and raises nothing.
fn own_pin_change(op: &Op, e: &payload::EmployeeSaved, before: Option<&EmployeeState>) -> bool {
    op.employee_id == Some(e.id) && before.is_some_and(|b| b.is_active && *b == saved_state(e))
}

/// The employee as an `EmployeeSaved` leaves them.
fn saved_state(e: &payload::EmployeeSaved) -> EmployeeState {
    EmployeeState {
        name: e.name.clone(),
        email: e.email.clone(),
        phone: e.phone.clone(),
        role: e.role,
        branch_id: e.branch_id,
        max_discount: e.max_discount_bp,
        permissions: e.permissions.clone(),
        is_active: e.is_active,
    }
}
