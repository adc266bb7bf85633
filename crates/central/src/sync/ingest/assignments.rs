//! Cashiers assigned to a register at a till.

use nexus_domain::hlc::{Hlc, Version};
use nexus_domain::sync::{Op, payload};
use nexus_domain::{BranchId, Permission};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::super::trust;
use super::planner::{Failure, Planner, Reject, parse};
use super::reference::load_employee;

impl Planner {
    pub(super) async fn assignment_saved(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        let a: payload::AssignmentSaved = parse(op)?;
        self.acting(tx, op, Permission::CashAssign).await?;
        let incoming = self.version(a.hlc);
        let assignee = load_employee(tx, a.user_id.0)
            .await?
            .ok_or_else(|| Reject(format!("empleado desconocido {}", a.user_id)))?;
        let register: Option<Uuid> = sqlx::query_scalar("SELECT branch_id FROM cash_registers WHERE id = $1")
            .bind(a.cash_register_id)
            .fetch_optional(&mut *tx)
            .await?;
        let register = register.ok_or_else(|| Reject(format!("caja desconocida {}", a.cash_register_id)))?;
        if let Err(r) = trust::assignment_change(self.scope(), BranchId(register), assignee.branch_id) {
            return Err(self.refuse(op, r));
        }
        let current: Option<(Uuid, i64, String)> = sqlx::query_as(
            "SELECT id, hlc, origin FROM cash_register_assignments WHERE cash_register_id = $1 AND user_id = $2",
        )
        .bind(a.cash_register_id)
        .bind(a.user_id.0)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((_, hlc, origin)) = &current
            && !incoming.wins_over(&Version { hlc: Hlc(*hlc), origin: origin.clone() })
        {
            self.conflict(
                op.seq,
                "stale_edit",
                json!({ "entity": "assignment", "id": a.id,
                "current": { "hlc": hlc, "origin": origin }, "received": incoming }),
            );
            return Ok(());
        }
        // The same pair may have been assigned on two terminals under two ids:
        // the pair is what counts.
        let id = current.map_or(a.id, |(id, _, _)| id);
        sqlx::query(
            "INSERT INTO cash_register_assignments (id, cash_register_id, user_id, is_active, assigned_at, assigned_by, note, hlc, origin)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET is_active = EXCLUDED.is_active, assigned_at = EXCLUDED.assigned_at,
                 assigned_by = EXCLUDED.assigned_by, note = EXCLUDED.note, hlc = EXCLUDED.hlc, origin = EXCLUDED.origin",
        )
        .bind(id)
        .bind(a.cash_register_id)
        .bind(a.user_id.0)
        .bind(a.is_active)
        .bind(a.assigned_at)
        .bind(a.assigned_by.map(|e| e.0))
        .bind(&a.note)
        .bind(a.hlc.0)
        .bind(&incoming.origin)
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::error::violated_constraint(&e) {
            Some(c) => Failure::Reject(Reject(format!("la asignación no cumple {c}"))),
            None => Failure::Db(e),
        })?;
        Ok(())
    }
}
