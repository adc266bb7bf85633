//! Who came and went at a till's counter. Nothing of it is stored but its
//! audit entry; a wrong PIN that locked the till raises an alert.

use nexus_domain::sync::{Op, payload};
use sqlx::PgConnection;

use super::planner::{Failure, Planner, parse};
use crate::alerts;

/// The audit action a till writes for a wrong PIN.
const LOGIN_FAILED: &str = "LOGIN_FAILED";

impl Planner {
    /// A login, lock or logout at a till. For a wrong PIN, the till's
    /// failures in the lockout window (this one, the batch's, the ones
    /// already stored) are judged by the policy the till applies: the one
    /// that locked it raises an alert. An access op whose payload does not
    /// read is taken as before, for its audit entry.
    pub(super) async fn access(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        let Ok(access) = parse::<payload::Access>(op) else { return Ok(()) };
        if access.event != "login_failed" {
            return Ok(());
        }
        let at = op.audit.created_at;
        let since = at - alerts::till_lockout_window();
        let stored: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM audit_log WHERE chain = $1 AND action = $2 AND created_at > $3 AND created_at <= $4
               AND id <> $5",
        )
        .bind(&op.audit.chain)
        .bind(LOGIN_FAILED)
        .bind(since)
        .bind(at)
        .bind(op.audit.id)
        .fetch_one(&mut *tx)
        .await?;
        let buffered = self
            .buf
            .audit
            .iter()
            .filter(|c| {
                let e = &c.entry;
                e.chain == op.audit.chain
                    && e.action == LOGIN_FAILED
                    && e.created_at > since
                    && e.created_at <= at
                    && e.id != op.audit.id
            })
            .count();
        let failures = usize::try_from(stored).unwrap_or(0) + buffered + 1;
        if let Some(until) = alerts::till_locked_after(at, failures) {
            alerts::pin_lockout(tx, Some(self.branch_id), self.device_id, "terminal", at, until, self.now)
                .await?;
        }
        Ok(())
    }
}
