//! Layaways opened and paid at a till.

use nexus_domain::sync::{Op, payload};
use serde_json::json;
use sqlx::PgConnection;

use super::planner::{Failure, Planner, Reject, parse};

impl Planner {
    /// A layaway opened at a till for a customer central knows.
    pub(super) async fn layaway_created(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        let l: payload::LayawayCreated = parse(op)?;
        if !self.customer(tx, l.customer_id).await? {
            return Err(Reject(format!("cliente desconocido {}", l.customer_id)).into());
        }
        self.actor(tx, op.seq, l.employee_id.0).await?;
        sqlx::query(
            "INSERT INTO layaways (id, branch_id, customer_id, employee_id, total, expires_at, notes, created_at)
             VALUES ($1, $2, $3, $4, $5::numeric / 100, $6, $7, $8)",
        )
        .bind(l.layaway_id)
        .bind(l.branch_id.0)
        .bind(l.customer_id)
        .bind(l.employee_id.0)
        .bind(l.total_cents)
        .bind(l.expires_at)
        .bind(&l.notes)
        .bind(l.created_at)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// A payment on a layaway; paying past its total is a conflict.
    pub(super) async fn layaway_paid(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        let p: payload::LayawayPaid = parse(op)?;
        self.actor(tx, op.seq, p.employee_id.0).await?;
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT (total * 100)::bigint, (amount_paid * 100)::bigint FROM layaways WHERE id = $1 FOR UPDATE",
        )
        .bind(p.layaway_id)
        .fetch_optional(&mut *tx)
        .await?;
        let (total, paid) = row.ok_or_else(|| Reject(format!("apartado desconocido {}", p.layaway_id)))?;
        self.operable(tx, op.seq, p.cash_session_id, p.employee_id.0).await?;
        if paid + p.amount_cents > total {
            self.conflict(
                op.seq,
                "layaway_overpaid",
                json!({ "layaway_id": p.layaway_id, "total_cents": total,
                "paid_cents": paid, "payment_cents": p.amount_cents }),
            );
        }
        sqlx::query(
            "INSERT INTO layaway_payments (id, layaway_id, cash_session_id, amount, payment_method, employee_id, created_at)
             VALUES ($1, $2, $3, $4::numeric / 100, $5, $6, $7)",
        )
        .bind(p.payment_id)
        .bind(p.layaway_id)
        .bind(p.cash_session_id)
        .bind(p.amount_cents)
        .bind(p.payment_method.code())
        .bind(p.employee_id.0)
        .bind(p.created_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE layaways SET amount_paid = LEAST(total, amount_paid + $2::numeric / 100),
                    status = CASE WHEN amount_paid + $2::numeric / 100 >= total THEN 'completed' ELSE status END
             WHERE id = $1",
        )
        .bind(p.layaway_id)
        .bind(p.amount_cents)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}
