//! An employee changes their own PIN.
//!
//! PINs are otherwise made by the system, so this is the one place a person
//! chooses one. Three things keep it from becoming a way to learn other
//! people's PINs: it needs the current PIN, which is rate-limited like the
//! login (five refusals in fifteen minutes lock the change for that employee
//! for fifteen minutes, persisted); a new PIN that someone else holds is
//! refused without naming anyone and counts as a refusal; and every change
//! and refusal is audited. The new PIN's keyed hash reaches central in an
//! `EmployeeSaved` op, as a reset does.

use chrono::{DateTime, Duration, Utc};
use nexus_domain::employee::PinChange;
use nexus_domain::pin::Pin;
use nexus_domain::sync::{OpKind, payload};
use nexus_domain::{DomainError, EmployeeId};
use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::json;

use crate::employees::{load, record_saved};
use crate::error::{Error, Result};
use crate::journal::{self, Entry};
use crate::setup::new_salt;
use crate::store::{ts, violates};
use crate::{Ctx, Terminal};

/// Refusals within [`WINDOW`] that lock the change.
const MAX_REFUSALS: i64 = 5;
const WINDOW: Duration = Duration::minutes(15);
/// How long the change stays locked after the last refusal.
const LOCKOUT: Duration = Duration::minutes(15);

/// What one attempt came to; refusals are committed before they are
/// reported, so they count even though the change did not happen.
enum Outcome {
    Changed,
    Refused(Refusal),
}

#[derive(Clone, Copy)]
enum Refusal {
    WrongCurrent,
    Unavailable,
}

impl Refusal {
    fn reason(self) -> &'static str {
        match self {
            Refusal::WrongCurrent => "wrong_current",
            Refusal::Unavailable => "unavailable",
        }
    }

    fn error(self) -> Error {
        match self {
            Refusal::WrongCurrent => Error::WrongPin,
            Refusal::Unavailable => {
                Error::conflict("pin_unavailable", "Ese PIN no está disponible; elige otro")
            }
        }
    }
}

impl Terminal {
    /// The logged-in employee replaces their PIN: `current_pin` must be
    /// theirs, `new_pin` long enough for their role and permissions, not
    /// guessable, different from the current one and nobody else's.
    pub fn change_own_pin(&self, change: &PinChange) -> Result<()> {
        let current = Pin::parse(&change.current_pin).map_err(DomainError::from)?;
        let new = Pin::parse(&change.new_pin).map_err(DomainError::from)?;
        let outcome = self.act(|tx, ctx| {
            check_not_locked(tx, ctx.actor.id, ctx.now)?;
            let hash: Option<String> = tx.query_row(
                "SELECT pin_hash FROM employees WHERE id = ?1",
                [ctx.actor.id.to_string()],
                |r| r.get(0),
            )?;
            if !hash.is_some_and(|h| ctx.device.pin_key.verify(&current, &h)) {
                return refuse(tx, ctx, Refusal::WrongCurrent);
            }
            new.check_chosen(ctx.actor.grants.role, &ctx.actor.grants.permissions)
                .map_err(DomainError::from)?;
            if new.expose() == current.expose() {
                return Err(DomainError::Invalid {
                    field: "new_pin",
                    reason: "debe ser distinto del actual",
                }
                .into());
            }
            if held_by_someone_else(tx, ctx, &new)? {
                return refuse(tx, ctx, Refusal::Unavailable);
            }
            self.store_new_pin(tx, ctx, &new)
        })?;
        match outcome {
            Outcome::Changed => Ok(()),
            Outcome::Refused(refusal) => Err(refusal.error()),
        }
    }

    fn store_new_pin(&self, tx: &Transaction<'_>, ctx: &Ctx<'_>, new: &Pin) -> Result<Outcome> {
        let before = load(tx, ctx.actor.id)?.ok_or(Error::NotLoggedIn)?;
        let hash = ctx.device.pin_key.hash(new, self.options.bcrypt_cost, new_salt()?);
        let stored = tx.execute(
            "UPDATE employees SET pin_hash = ?2, pin_lookup = ?3, updated_at = ?4 WHERE id = ?1",
            params![
                ctx.actor.id.to_string(),
                hash,
                &ctx.device.pin_key.lookup(new).as_bytes()[..],
                ts(ctx.now)
            ],
        );
        match stored {
            Err(e) if violates(&e, "pin_lookup") => return refuse(tx, ctx, Refusal::Unavailable),
            other => other?,
        };
        tx.execute("DELETE FROM pin_change_attempts WHERE employee_id = ?1", [ctx.actor.id.to_string()])?;
        record_saved(tx, ctx, "EMPLOYEE_PIN_CHANGE", Some(&before), &before)?;
        Ok(Outcome::Changed)
    }
}

/// Refuses while the employee's recent refusals reach the limit, until
/// [`LOCKOUT`] after the last of them.
fn check_not_locked(tx: &Transaction<'_>, employee: EmployeeId, now: DateTime<Utc>) -> Result<()> {
    let (count, last): (i64, Option<String>) = tx.query_row(
        "SELECT count(*), max(attempted_at) FROM pin_change_attempts WHERE employee_id = ?1 AND attempted_at > ?2",
        params![employee.to_string(), ts(now - WINDOW)],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let Some(last) = last.as_deref().map(crate::store::parse_ts).transpose()? else { return Ok(()) };
    let until = last + LOCKOUT;
    if count >= MAX_REFUSALS && until > now {
        return Err(Error::Throttled {
            code: "pin_change_locked",
            message: format!(
                "Demasiados intentos de cambiar el PIN. Intenta en {} minutos.",
                LOCKOUT.num_minutes()
            ),
            retry_after_secs: (until - now).num_seconds().max(1),
        });
    }
    Ok(())
}

fn held_by_someone_else(tx: &Transaction<'_>, ctx: &Ctx<'_>, pin: &Pin) -> Result<bool> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM employees WHERE pin_lookup = ?1 AND is_active = 1 AND id <> ?2",
            params![&ctx.device.pin_key.lookup(pin).as_bytes()[..], ctx.actor.id.to_string()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Counts and audits a refusal. The entry names the employee trying, never
/// whoever holds a PIN that was refused.
fn refuse(tx: &Transaction<'_>, ctx: &Ctx<'_>, refusal: Refusal) -> Result<Outcome> {
    tx.execute(
        "INSERT INTO pin_change_attempts (employee_id, reason, attempted_at) VALUES (?1, ?2, ?3)",
        params![ctx.actor.id.to_string(), refusal.reason(), ts(ctx.now)],
    )?;
    tx.execute("DELETE FROM pin_change_attempts WHERE attempted_at < ?1", [ts(ctx.now - Duration::days(1))])?;
    journal::record(
        tx,
        ctx.device.device_id,
        ctx.now,
        Entry {
            kind: OpKind::Access,
            employee_id: Some(ctx.actor.id),
            branch_id: None,
            action: "PIN_CHANGE_REFUSED",
            entity_type: "employee",
            entity_id: Some(ctx.actor.id.to_string()),
            old_value: None,
            new_value: Some(json!({ "reason": refusal.reason() })),
        },
        &payload::Access { event: "pin_change_refused".into() },
    )?;
    Ok(Outcome::Refused(refusal))
}
