//! Cash moved in and out of a session, and the cash a session should hold.

use nexus_domain::sync::{Op, payload};
use sqlx::PgConnection;
use uuid::Uuid;

use super::planner::{Failure, Planner, Reject, parse};

impl Planner {
    /// Cash in, out or spent at a till: checked here, buffered for one insert.
    pub(super) async fn cash_moved(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        let m: payload::CashMoved = parse(op)?;
        if !["in", "out", "expense"].contains(&m.kind.as_str()) || m.amount_cents <= 0 {
            return Err(Reject("movimiento de efectivo inválido".into()).into());
        }
        self.actor(tx, op.seq, m.employee_id.0).await?;
        self.operable(tx, op.seq, m.cash_session_id, m.employee_id.0).await?;
        self.buf.movements.push(m);
        Ok(())
    }
}

pub(super) async fn insert_movements(
    tx: &mut PgConnection,
    moves: &[payload::CashMoved],
) -> Result<(), sqlx::Error> {
    if moves.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO cash_movements (id, cash_session_id, type, amount, reason, employee_id, created_at)
         SELECT id, session, kind, amount / 100.0, reason, employee, created
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int8[], $5::text[], $6::uuid[], $7::timestamptz[])
              AS t(id, session, kind, amount, reason, employee, created)",
    )
    .bind(moves.iter().map(|m| m.movement_id).collect::<Vec<_>>())
    .bind(moves.iter().map(|m| m.cash_session_id).collect::<Vec<_>>())
    .bind(moves.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>())
    .bind(moves.iter().map(|m| m.amount_cents).collect::<Vec<_>>())
    .bind(moves.iter().map(|m| m.reason.as_str()).collect::<Vec<_>>())
    .bind(moves.iter().map(|m| m.employee_id.0).collect::<Vec<_>>())
    .bind(moves.iter().map(|m| m.created_at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// expected = opening + cash received − change + cash in − cash out, from
/// central's own rows, by the close's own arithmetic.
pub(super) async fn expected_cents(tx: &mut PgConnection, session: Uuid) -> Result<i64, Failure> {
    let drawer = crate::cash::drawers(tx, &[session])
        .await?
        .remove(&session)
        .ok_or_else(|| Reject(format!("sesión de caja desconocida {session}")))?;
    let expected = drawer.expected().map_err(|e| Reject(format!("importes fuera de rango: {e}")))?;
    Ok(expected.cents())
}
