//! Re-checking reference-data ops (employees, registers, assignments)
//! against the acting employee as central knows them: refused, held for
//! an owner, or let through.

use nexus_domain::hlc::{Hlc, Version};
use nexus_domain::sync::Op;
use nexus_domain::{BranchId, Permission};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use super::super::trust::{self, Refusal, Scope};
use super::planner::{Failure, Planner, Reject};
use crate::Error;
use crate::employees;

impl Planner {
    pub(super) fn version(&self, hlc: Hlc) -> Version {
        Version { hlc, origin: self.device_id.to_string() }
    }

    pub(super) fn scope(&self) -> Scope {
        Scope { branch_id: BranchId(self.branch_id) }
    }

    /// The employee the op names as acting, re-checked as central knows
    /// them (`needed` is the permission the action takes).
    pub(super) async fn acting(
        &mut self,
        tx: &mut PgConnection,
        op: &Op,
        needed: Permission,
    ) -> Result<employees::Employee, Failure> {
        let known = match op.employee_id {
            Some(id) => load_employee(tx, id.0).await?,
            None => None,
        };
        match trust::acting(op.employee_id, known.as_ref(), self.scope(), needed) {
            Ok(actor) => Ok(actor.clone()),
            Err(r) => Err(self.refuse(op, r)),
        }
    }

    /// A reference-data op central will not apply: rejected with the reason,
    /// and recorded for headquarters.
    pub(super) fn refuse(&mut self, op: &Op, r: Refusal) -> Failure {
        self.conflict(
            op.seq,
            "op_refused",
            json!({ "op_kind": op.kind.code(), "code": r.code, "reason": r.message,
                    "employee_id": op.employee_id, "entity_id": op.payload.get("id") }),
        );
        Failure::Reject(Reject(format!("rechazada ({}): {}", r.code, r.message)))
    }

    /// Keeps an employee change that raises privileges for an owner to
    /// decide, with the employee as central has it and as the op leaves it.
    pub(super) async fn hold(
        &mut self,
        tx: &mut PgConnection,
        op: &Op,
        entity: Uuid,
        before: Option<Value>,
        after: Value,
    ) -> Result<(), Failure> {
        sqlx::query(
            "INSERT INTO sync_approvals (device_id, branch_id, seq, kind, acting_employee_id, entity_id, op, before, after)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (device_id, seq) DO NOTHING",
        )
        .bind(self.device_id)
        .bind(self.branch_id)
        .bind(op.seq)
        .bind(op.kind.code())
        .bind(op.employee_id.map(|e| e.0))
        .bind(entity)
        .bind(serde_json::to_value(op)?)
        .bind(before)
        .bind(after)
        .execute(&mut *tx)
        .await?;
        self.holding = true;
        Ok(())
    }
}

/// An employee as central has it, for the re-checks.
pub(super) async fn load_employee(
    tx: &mut PgConnection,
    id: Uuid,
) -> Result<Option<employees::Employee>, Failure> {
    employees::load(tx, id, false).await.map_err(|e| match e {
        Error::Database(e) => Failure::Db(e),
        other => Failure::Reject(Reject(format!("empleado ilegible en la central: {other}"))),
    })
}
