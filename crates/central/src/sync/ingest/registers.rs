//! Cash registers created or changed at a till.

use nexus_domain::hlc::{Hlc, Version};
use nexus_domain::sync::{Op, payload};
use nexus_domain::{BranchId, Permission};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::super::trust;
use super::planner::{Failure, Planner, Reject, parse};

impl Planner {
    pub(super) async fn register_saved(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        let r: payload::RegisterSaved = parse(op)?;
        self.acting(tx, op, Permission::CashRegisterManage).await?;
        let incoming = self.version(r.hlc);
        let current: Option<(i64, String, Uuid)> =
            sqlx::query_as("SELECT hlc, origin, branch_id FROM cash_registers WHERE id = $1")
                .bind(r.id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Err(refusal) =
            trust::register_change(self.scope(), current.as_ref().map(|c| BranchId(c.2)), r.branch_id)
        {
            return Err(self.refuse(op, refusal));
        }
        if let Some((hlc, origin, _)) = current
            && !incoming.wins_over(&Version { hlc: Hlc(hlc), origin: origin.clone() })
        {
            self.conflict(
                op.seq,
                "stale_edit",
                json!({ "entity": "register", "id": r.id,
                "current": { "hlc": hlc, "origin": origin }, "received": incoming }),
            );
            return Ok(());
        }
        let taken: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM cash_registers WHERE branch_id = $1 AND register_number = $2 AND id <> $3",
        )
        .bind(r.branch_id.0)
        .bind(r.register_number as i16)
        .bind(r.id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(other) = taken {
            self.conflict(
                op.seq,
                "register_number_taken",
                json!({ "register_id": r.id, "other_register_id": other,
                "register_number": r.register_number }),
            );
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO cash_registers (id, branch_id, name, register_number, device_id, is_active, hlc, origin, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET branch_id = EXCLUDED.branch_id, name = EXCLUDED.name,
                 register_number = EXCLUDED.register_number, device_id = EXCLUDED.device_id, is_active = EXCLUDED.is_active,
                 hlc = EXCLUDED.hlc, origin = EXCLUDED.origin, updated_at = EXCLUDED.updated_at",
        )
        .bind(r.id)
        .bind(r.branch_id.0)
        .bind(&r.name)
        .bind(r.register_number as i16)
        .bind(&r.device_id)
        .bind(r.is_active)
        .bind(r.hlc.0)
        .bind(&incoming.origin)
        .bind(r.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::error::violated_constraint(&e) {
            Some(c) => Failure::Reject(Reject(format!("la caja no cumple {c}"))),
            None => Failure::Db(e),
        })?;
        Ok(())
    }
}
