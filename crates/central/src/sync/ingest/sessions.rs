//! Cash sessions opened and closed at a till, and the overlaps offline
//! work left between them.

use chrono::{DateTime, Utc};
use nexus_domain::sync::{Op, payload};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::cash::expected_cents;
use super::planner::{Failure, Planner, Reject, Session, parse};
use crate::alerts;

/// A session of the same cashier or register, as an overlap finds it.
#[derive(sqlx::FromRow)]
struct OtherSession {
    id: Uuid,
    opened_by: Uuid,
    cash_register_id: Uuid,
    opened_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    device_id: Option<String>,
}

/// A session's time: open until `closed_at`, which is unknown while open.
struct Interval {
    session: Uuid,
    opened_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

impl Planner {
    /// A session opened at a till; another OPEN one of the cashier or the
    /// register is a conflict.
    pub(super) async fn session_opened(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        let s: payload::SessionOpened = parse(op)?;
        self.actor(tx, op.seq, s.opened_by.0).await?;
        let register: Option<Uuid> = sqlx::query_scalar("SELECT id FROM cash_registers WHERE id = $1")
            .bind(s.cash_register_id)
            .fetch_optional(&mut *tx)
            .await?;
        if register.is_none() {
            return Err(Reject(format!("caja desconocida {}", s.cash_register_id)).into());
        }
        if self.session(tx, s.session_id).await?.is_some() {
            return Err(Reject(format!("la sesión {} ya existe", s.session_id)).into());
        }
        // Another OPEN session of the cashier or the register: this
        // one is kept but marked, so the one-OPEN rules still hold.
        let clash: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM cash_sessions
             WHERE status = 'OPEN' AND NOT conflicted AND (opened_by = $1 OR cash_register_id = $2))",
        )
        .bind(s.opened_by.0)
        .bind(s.cash_register_id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO cash_sessions (id, cash_register_id, opened_by, opening_amount, status, opened_at, device_id, conflicted)
             VALUES ($1, $2, $3, $4::numeric / 100, 'OPEN', $5, $6, $7)",
        )
        .bind(s.session_id)
        .bind(s.cash_register_id)
        .bind(s.opened_by.0)
        .bind(s.opening_cents)
        .bind(s.opened_at)
        .bind(self.device_id.to_string())
        .bind(clash)
        .execute(&mut *tx)
        .await?;
        self.sessions.insert(s.session_id, Some(Session { open: true, opened_by: s.opened_by.0 }));
        let interval = Interval { session: s.session_id, opened_at: s.opened_at, closed_at: None };
        self.overlaps(tx, op.seq, &interval).await?;
        Ok(())
    }

    /// A session closed at a till, its expected cash checked against
    /// central's own rows.
    pub(super) async fn session_closed(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        let c: payload::SessionClosed = parse(op)?;
        let s = self
            .session(tx, c.session_id)
            .await?
            .ok_or_else(|| Reject(format!("sesión de caja desconocida {}", c.session_id)))?;
        if !s.open {
            self.conflict(op.seq, "session_already_closed", json!({ "cash_session_id": c.session_id }));
            return Ok(());
        }
        sqlx::query(
            "UPDATE cash_sessions SET status = 'CLOSED', counted_amount = $2::numeric / 100,
                    expected_amount = $3::numeric / 100, difference = $4::numeric / 100,
                    denominations = $5, closed_at = $6, closed_by = $7
             WHERE id = $1",
        )
        .bind(c.session_id)
        .bind(c.counted_cents)
        .bind(c.expected_cents)
        .bind(c.difference_cents)
        .bind(c.denominations.as_ref().map(|d| json!(d)))
        .bind(c.closed_at)
        .bind(c.closed_by.0)
        .execute(&mut *tx)
        .await?;
        self.sessions.insert(c.session_id, Some(Session { open: false, ..s }));
        // The till's own count stands: a remote close asked meanwhile is
        // answered by this close.
        sqlx::query(
            "UPDATE remote_close_requests SET status = 'superseded', settled_at = clock_timestamp(), settled_seq = $2
             WHERE cash_session_id = $1 AND status = 'pending'",
        )
        .bind(c.session_id)
        .bind(op.seq)
        .execute(&mut *tx)
        .await?;
        alerts::session_closed(
            tx,
            self.branch_id,
            self.device_id,
            c.session_id,
            c.difference_cents,
            self.now,
        )
        .await?;
        self.closed(tx, op.seq, c.session_id, c.closed_at, c.expected_cents).await
    }

    /// A session closed at its till because the owner asked: accepted only
    /// as the answer to that request, still pending, for a session of this
    /// very till. It is the one close that carries no count.
    pub(super) async fn session_closed_by_owner(
        &mut self,
        tx: &mut PgConnection,
        op: &Op,
    ) -> Result<(), Failure> {
        let c: payload::SessionClosedByOwner = parse(op)?;
        let request: Option<(Uuid, String, String, Option<Uuid>)> = sqlx::query_as(
            "SELECT cash_session_id, device_id, status, requested_by FROM remote_close_requests WHERE id = $1 FOR UPDATE",
        )
        .bind(c.request_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((session_id, device, status, requested_by)) = request else {
            return Err(Reject(format!("ninguna solicitud de cierre del dueño {}", c.request_id)).into());
        };
        if session_id != c.session_id || device != self.device_id.to_string() {
            return Err(Reject(format!(
                "la solicitud de cierre {} no es de la sesión {} de este dispositivo",
                c.request_id, c.session_id
            ))
            .into());
        }
        if status != "pending" {
            return Err(Reject(format!(
                "la solicitud de cierre {} ya no está pendiente ({status})",
                c.request_id
            ))
            .into());
        }
        let s = self
            .session(tx, c.session_id)
            .await?
            .ok_or_else(|| Reject(format!("sesión de caja desconocida {}", c.session_id)))?;
        if !s.open {
            self.conflict(op.seq, "session_already_closed", json!({ "cash_session_id": c.session_id }));
            return Ok(());
        }
        sqlx::query(
            "UPDATE cash_sessions SET status = 'CLOSED', counted_amount = NULL, expected_amount = $2::numeric / 100,
                    difference = NULL, denominations = NULL, closed_at = $3, closed_by = $4
             WHERE id = $1",
        )
        .bind(c.session_id)
        .bind(c.expected_cents)
        .bind(c.closed_at)
        .bind(requested_by)
        .execute(&mut *tx)
        .await?;
        self.sessions.insert(c.session_id, Some(Session { open: false, ..s }));
        sqlx::query(
            "UPDATE remote_close_requests SET status = 'applied', settled_at = clock_timestamp(), settled_seq = $2
             WHERE id = $1",
        )
        .bind(c.request_id)
        .bind(op.seq)
        .execute(&mut *tx)
        .await?;
        self.closed(tx, op.seq, c.session_id, c.closed_at, c.expected_cents).await
    }

    /// What every close leaves: overlaps now that the session's time is
    /// known, and a conflict when the till's expected cash is not central's.
    async fn closed(
        &mut self,
        tx: &mut PgConnection,
        seq: i64,
        session_id: Uuid,
        closed_at: DateTime<Utc>,
        terminal_expected: i64,
    ) -> Result<(), Failure> {
        let opened_at: DateTime<Utc> =
            sqlx::query_scalar("SELECT opened_at FROM cash_sessions WHERE id = $1")
                .bind(session_id)
                .fetch_one(&mut *tx)
                .await?;
        let interval = Interval { session: session_id, opened_at, closed_at: Some(closed_at) };
        self.overlaps(tx, seq, &interval).await?;
        let central_expected = expected_cents(tx, session_id).await?;
        if central_expected != terminal_expected {
            self.conflict(
                seq,
                "session_unbalanced",
                json!({ "cash_session_id": session_id, "terminal_expected_cents": terminal_expected,
                        "central_expected_cents": central_expected }),
            );
        }
        Ok(())
    }

    /// Records every session of the same cashier or the same register whose
    /// time overlaps `s`, open or closed, whatever order they arrived in.
    ///
    /// A session's interval is known in two steps. When it opens, the
    /// sessions that began at or before it and had not ended by then surely
    /// overlap it. When it closes, so do the ones that began inside it. A
    /// session that began later than `s` while `s` was still open is found
    /// by whichever of the two arrives last, so each overlapping pair is
    /// found once the later of its facts is at central; a pair already
    /// recorded is not recorded again.
    async fn overlaps(&mut self, tx: &mut PgConnection, seq: i64, s: &Interval) -> Result<(), sqlx::Error> {
        let (cashier, register): (Uuid, Uuid) =
            sqlx::query_as("SELECT opened_by, cash_register_id FROM cash_sessions WHERE id = $1")
                .bind(s.session)
                .fetch_one(&mut *tx)
                .await?;
        let others: Vec<OtherSession> = sqlx::query_as(
            "SELECT id, opened_by, cash_register_id, opened_at, closed_at, device_id FROM cash_sessions
             WHERE id <> $1 AND (opened_by = $2 OR cash_register_id = $3)
               AND CASE WHEN $5::timestamptz IS NULL
                        THEN opened_at <= $4 AND (closed_at IS NULL OR closed_at > $4)
                        ELSE opened_at > $4 AND opened_at < $5 END
             ORDER BY opened_at, id",
        )
        .bind(s.session)
        .bind(cashier)
        .bind(register)
        .bind(s.opened_at)
        .bind(s.closed_at)
        .fetch_all(&mut *tx)
        .await?;
        for OtherSession {
            id: other,
            opened_by: by,
            cash_register_id: other_register,
            opened_at,
            closed_at,
            device_id: device,
        } in others
        {
            let kinds = [
                (by == cashier).then_some("cashier_session_elsewhere"),
                (other_register == register).then_some("register_in_use"),
            ];
            for kind in kinds.into_iter().flatten() {
                let pair = json!([s.session, other]);
                let known: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM sync_conflicts WHERE kind = $1 AND detail->'sessions' @> $2)",
                )
                .bind(kind)
                .bind(&pair)
                .fetch_one(&mut *tx)
                .await?;
                if known {
                    continue;
                }
                // Written at once: the next session op of this batch must see it.
                let recorded: (Uuid, String, serde_json::Value) = sqlx::query_as(
                    "INSERT INTO sync_conflicts (device_id, seq, kind, detail) VALUES ($1, $2, $3, $4)
                     RETURNING id, kind, detail",
                )
                    .bind(self.device_id)
                    .bind(seq)
                    .bind(kind)
                    .bind(json!({
                        "sessions": pair,
                        "existing": { "cash_session_id": other, "opened_by": by, "cash_register_id": other_register,
                                      "opened_at": opened_at, "closed_at": closed_at, "device_id": device },
                        "received": { "cash_session_id": s.session, "opened_by": cashier, "cash_register_id": register,
                                      "opened_at": s.opened_at, "closed_at": s.closed_at, "device_id": self.device_id },
                    }))
                    .fetch_one(&mut *tx)
                    .await?;
                alerts::conflicts_recorded(tx, self.branch_id, self.device_id, &[recorded], self.now).await?;
                self.conflicts += 1;
            }
        }
        Ok(())
    }
}
