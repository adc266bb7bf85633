//! Who is at the counter: PIN login, lock, logout and auto-lock.
//!
//! Login finds the one candidate by the keyed PIN lookup and verifies bcrypt
//! once. The terminal is one device, so the foundation spec's throttle (5
//! failures a minute → wait; 10 in 15 minutes → locked 15 minutes) counts
//! every attempt made here, persisted so a restart does not reset it. Every
//! attempt, lock and logout is audited and becomes an op for central.

use std::sync::OnceLock;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Duration};
use nexus_domain::pin::{Pin, decoy_hash};
use nexus_domain::sync::{OpKind, payload};
use nexus_domain::throttle::{ThrottlePolicy, Verdict};
use nexus_domain::{BranchId, DomainError, EmployeeId, Percent, PermissionSet, Role};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

use crate::error::{Error, Result};
use crate::journal::{self, Entry};
use crate::store::{RowExt, parse_ts, settings_get, settings_set, ts};
use crate::{Active, Terminal, load_actor};

/// Idle minutes before the counter locks itself, unless configured.
pub const DEFAULT_AUTO_LOCK_SECS: i64 = 5 * 60;

/// The employee at the counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoggedIn {
    pub employee_id: EmployeeId,
    pub name: String,
    pub role: Role,
    pub branch_id: Option<BranchId>,
    pub permissions: PermissionSet,
    /// Hundredths of a percent.
    pub max_discount_bp: Percent,
}

fn decoy(cost: u32) -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| decoy_hash(cost))
}

impl Terminal {
    /// Logs in the employee whose PIN this is.
    pub fn login(&self, pin: &str) -> Result<LoggedIn> {
        let device = self.device()?;
        let pin = Pin::parse(pin).map_err(DomainError::from)?;
        let policy = ThrottlePolicy::default();
        let now = self.now();

        let (locked_until, failures) = self.store.read(|c| {
            let locked: Option<String> = c
                .query_row("SELECT locked_until FROM device_lockouts WHERE id = 1", [], |r| r.get(0))
                .optional()?;
            let locked = locked.as_deref().map(parse_ts).transpose()?;
            let mut stmt = c.prepare_cached(
                "SELECT attempted_at FROM login_attempts WHERE succeeded = 0 AND attempted_at > ?1",
            )?;
            let failures = stmt
                .query_map([ts(now - policy.lookback())], |r| r.time(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((locked, failures))
        })?;
        let verdict = policy.check(now, locked_until, &failures);
        if let Some(retry_after_secs) = verdict.retry_after_secs() {
            self.store.write(|tx| {
                journal::record(
                    tx,
                    device.device_id,
                    now,
                    access_entry("LOGIN_BLOCKED", None, json!({ "retry_after_secs": retry_after_secs })),
                    &payload::Access { event: "login_blocked".into() },
                )
            })?;
            return Err(match verdict {
                Verdict::Locked { .. } => Error::Throttled {
                    code: "device_locked",
                    message: format!(
                        "Dispositivo bloqueado. Intente en {} minutos.",
                        policy.lockout_duration.num_minutes()
                    ),
                    retry_after_secs,
                },
                _ => Error::Throttled {
                    code: "too_many_attempts",
                    message: "Demasiados intentos. Espere un momento.".into(),
                    retry_after_secs,
                },
            });
        }

        let lookup = device.pin_key.lookup(&pin);
        let candidate: Option<(String, Option<String>)> = self.store.read(|c| {
            Ok(c.prepare_cached(
                "SELECT id, pin_hash FROM employees WHERE pin_lookup = ?1 AND is_active = 1",
            )?
            .query_row([&lookup.as_bytes()[..]], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
        })?;
        let verified = match &candidate {
            Some((_, Some(hash))) => device.pin_key.verify(&pin, hash),
            _ => {
                device.pin_key.verify(&pin, decoy(self.options.bcrypt_cost));
                false
            }
        };
        let employee = match candidate {
            Some((id, _)) if verified => Some(EmployeeId(crate::store::uuid_of(&id)?)),
            _ => None,
        };

        let logged_in = self.store.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO login_attempts (succeeded, employee_id, attempted_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![employee.is_some(), employee.map(|e| e.to_string()), ts(now)])?;
            tx.execute("DELETE FROM login_attempts WHERE attempted_at < ?1", [ts(now - Duration::days(1))])?;
            let Some(id) = employee else {
                let in_window: i64 = tx.query_row(
                    "SELECT count(*) FROM login_attempts WHERE succeeded = 0 AND attempted_at > ?1",
                    [ts(now - policy.lockout_window)],
                    |r| r.get(0),
                )?;
                if let Some(until) = policy.lock_after_failure(now, in_window as usize) {
                    tx.execute(
                        "INSERT INTO device_lockouts (id, locked_until) VALUES (1, ?1)
                         ON CONFLICT (id) DO UPDATE SET locked_until = excluded.locked_until",
                        [ts(until)],
                    )?;
                }
                journal::record(
                    tx,
                    device.device_id,
                    now,
                    access_entry("LOGIN_FAILED", None, json!({})),
                    &payload::Access { event: "login_failed".into() },
                )?;
                return Ok(None);
            };
            let actor = load_actor(tx, id)?.ok_or(Error::WrongPin)?;
            let branch: Option<String> =
                tx.query_row("SELECT branch_id FROM employees WHERE id = ?1", [id.to_string()], |r| {
                    r.get(0)
                })?;
            let branch_id = branch.as_deref().map(crate::store::uuid_of).transpose()?.map(BranchId);
            journal::record(
                tx,
                device.device_id,
                now,
                access_entry("LOGIN", Some(id), json!({})),
                &payload::Access { event: "login".into() },
            )?;
            Ok(Some(LoggedIn {
                employee_id: id,
                name: actor.name,
                role: actor.grants.role,
                branch_id,
                permissions: actor.grants.permissions,
                max_discount_bp: actor.max_discount,
            }))
        })?;
        let logged_in = logged_in.ok_or(Error::WrongPin)?;
        *self.active() = Some(Active { employee_id: logged_in.employee_id, last_activity: now });
        Ok(logged_in)
    }

    /// Locks the counter: the next action needs a PIN again.
    pub fn lock(&self) -> Result<()> {
        self.end("LOCK", "lock")
    }

    /// Ends the employee's turn at the counter.
    pub fn logout(&self) -> Result<()> {
        self.end("LOGOUT", "logout")
    }

    fn end(&self, action: &'static str, event: &str) -> Result<()> {
        let device = self.device()?;
        let Some(active) = self.active().take() else { return Ok(()) };
        let now = self.now();
        self.store.write(|tx| {
            journal::record(
                tx,
                device.device_id,
                now,
                access_entry(action, Some(active.employee_id), json!({})),
                &payload::Access { event: event.into() },
            )
        })?;
        Ok(())
    }

    /// Who is at the counter, if anyone (without counting as activity).
    pub fn current(&self) -> Result<Option<LoggedIn>> {
        let Some(id) = self.active().as_ref().map(|a| a.employee_id) else { return Ok(None) };
        if self.idle_expired()? {
            return Ok(None);
        }
        self.store.read(|c| {
            let Some(actor) = load_actor(c, id)? else { return Ok(None) };
            let branch: Option<String> =
                c.query_row("SELECT branch_id FROM employees WHERE id = ?1", [id.to_string()], |r| r.get(0))?;
            Ok(Some(LoggedIn {
                employee_id: id,
                name: actor.name,
                role: actor.grants.role,
                branch_id: branch.as_deref().map(crate::store::uuid_of).transpose()?.map(BranchId),
                permissions: actor.grants.permissions,
                max_discount_bp: actor.max_discount,
            }))
        })
    }

    /// Seconds of inactivity after which the counter locks itself.
    pub fn auto_lock_secs(&self) -> i64 {
        self.auto_lock_secs.load(Ordering::Relaxed)
    }

    /// Sets the auto-lock time (`config.edit`), from 30 seconds to 8 hours.
    pub fn set_auto_lock_secs(&self, secs: i64) -> Result<()> {
        if !(30..=8 * 3600).contains(&secs) {
            return Err(DomainError::Invalid {
                field: "auto_lock_secs",
                reason: "debe estar entre 30 y 28,800 segundos",
            }
            .into());
        }
        self.act(|tx, ctx| {
            ctx.actor.require(&[nexus_domain::Permission::ConfigEdit])?;
            let old = settings_get(tx, "auto_lock_secs")?;
            settings_set(tx, "auto_lock_secs", &secs.to_string())?;
            journal::record(
                tx,
                ctx.device.device_id,
                ctx.now,
                Entry {
                    kind: OpKind::Access,
                    employee_id: Some(ctx.actor.id),
                    branch_id: Some(ctx.device.branch_id.0),
                    action: "AUTO_LOCK_SET",
                    entity_type: "terminal",
                    entity_id: Some(ctx.device.device_id.to_string()),
                    old_value: old.map(|o| json!({ "auto_lock_secs": o })),
                    new_value: Some(json!({ "auto_lock_secs": secs })),
                },
                &payload::Access { event: "auto_lock_set".into() },
            )?;
            Ok(())
        })?;
        self.auto_lock_secs.store(secs, Ordering::Relaxed);
        Ok(())
    }

    /// Whether the session went idle too long; locks it (audited) if so.
    fn idle_expired(&self) -> Result<bool> {
        let limit = Duration::seconds(self.auto_lock_secs());
        let now = self.now();
        let expired = {
            let mut active = self.active();
            match active.as_ref() {
                Some(a) if now - a.last_activity > limit => active.take(),
                _ => None,
            }
        };
        let Some(expired) = expired else { return Ok(false) };
        let device = self.device()?;
        self.store.write(|tx| {
            journal::record(
                tx,
                device.device_id,
                now,
                access_entry(
                    "AUTO_LOCK",
                    Some(expired.employee_id),
                    json!({ "idle_since": ts(expired.last_activity) }),
                ),
                &payload::Access { event: "auto_lock".into() },
            )
        })?;
        Ok(true)
    }

    /// The employee at the counter, if the session is awake; counts as activity.
    pub(crate) fn awake_employee(&self) -> Result<EmployeeId> {
        if self.active().is_none() {
            return Err(Error::NotLoggedIn);
        }
        if self.idle_expired()? {
            return Err(Error::IdleLocked);
        }
        let now = self.now();
        let mut active = self.active();
        let a = active.as_mut().ok_or(Error::NotLoggedIn)?;
        a.last_activity = now;
        Ok(a.employee_id)
    }

    /// When the device's lockout ends, if it is locked.
    pub fn locked_until(&self) -> Result<Option<DateTime<chrono::Utc>>> {
        let now = self.now();
        self.store.read(|c| {
            let locked: Option<String> = c
                .query_row("SELECT locked_until FROM device_lockouts WHERE id = 1", [], |r| r.get(0))
                .optional()?;
            Ok(locked.as_deref().map(parse_ts).transpose()?.filter(|t| *t > now))
        })
    }
}

fn access_entry(action: &'static str, employee: Option<EmployeeId>, detail: serde_json::Value) -> Entry {
    Entry {
        kind: OpKind::Access,
        employee_id: employee,
        branch_id: None,
        action,
        entity_type: "device",
        entity_id: None,
        old_value: None,
        new_value: Some(detail),
    }
}
