//! Cash registers (`CASH.REGISTER.MANAGE`) and who may use them
//! (`CASH.ASSIGN`), as the register-assignment spec's admin screens have it.
//!
//! The rules are `nexus_domain::register`'s, shared with headquarters; a
//! cashier never assigns themselves (assigning needs `CASH.ASSIGN`, which
//! cashiers lack).

use chrono::{DateTime, Utc};
use nexus_domain::register::{self as rules, RegisterState};
pub use nexus_domain::register::{NewAssignment, NewRegister, RegisterChanges};
use nexus_domain::sync::{OpKind, payload};
use nexus_domain::{BranchId, DomainError, EmployeeId, Permission};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::journal::{self, Entry};
use crate::store::{RowExt, ts, violates};
use crate::{Ctx, Terminal};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Register {
    pub id: Uuid,
    pub branch_id: BranchId,
    pub branch_name: String,
    pub name: String,
    pub register_number: i64,
    pub device_id: Option<String>,
    pub is_active: bool,
    /// The OPEN session on it, if any.
    pub open_session_id: Option<Uuid>,
}

/// A row of `vw_user_cash_registers`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Assignment {
    pub id: Uuid,
    pub user_id: EmployeeId,
    pub user_name: String,
    pub cash_register_id: Uuid,
    pub cash_register_name: String,
    pub location_id: BranchId,
    pub location_name: String,
    pub is_active: bool,
    pub assigned_at: DateTime<Utc>,
    pub assigned_by: Option<EmployeeId>,
    pub note: Option<String>,
}

/// The admin view's filters; `None` means any.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct AssignmentFilter {
    #[serde(default)]
    pub user_id: Option<EmployeeId>,
    #[serde(default)]
    pub branch_id: Option<BranchId>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

fn number_taken(e: rusqlite::Error) -> Error {
    if violates(&e, "register_number") { DomainError::RegisterNumberTaken.into() } else { e.into() }
}

const REGISTER_SELECT: &str =
    "SELECT r.id, r.branch_id, b.name, r.name, r.register_number, r.device_id, r.is_active,
        (SELECT s.id FROM cash_sessions s WHERE s.cash_register_id = r.id AND s.status = 'OPEN')
    FROM cash_registers r JOIN branches b ON b.id = r.branch_id";

fn read_register(r: &rusqlite::Row<'_>) -> rusqlite::Result<Register> {
    Ok(Register {
        id: r.uuid(0)?,
        branch_id: BranchId(r.uuid(1)?),
        branch_name: r.get(2)?,
        name: r.get(3)?,
        register_number: r.get(4)?,
        device_id: r.get(5)?,
        is_active: r.get::<_, i64>(6)? == 1,
        open_session_id: r.opt_uuid(7)?,
    })
}

pub(crate) fn load_register(conn: &Connection, id: Uuid) -> Result<Option<Register>> {
    Ok(conn
        .prepare_cached(&format!("{REGISTER_SELECT} WHERE r.id = ?1"))?
        .query_row([id.to_string()], read_register)
        .optional()?)
}

const ASSIGNMENT_SELECT: &str =
    "SELECT a.id, v.user_id, v.user_name, v.cash_register_id, v.cash_register_name,
        v.location_id, v.location_name, v.is_active, v.assigned_at, v.assigned_by, v.note
    FROM vw_user_cash_registers v
    JOIN cash_register_assignments a ON a.cash_register_id = v.cash_register_id AND a.user_id = v.user_id";

fn read_assignment(r: &rusqlite::Row<'_>) -> rusqlite::Result<Assignment> {
    Ok(Assignment {
        id: r.uuid(0)?,
        user_id: EmployeeId(r.uuid(1)?),
        user_name: r.get(2)?,
        cash_register_id: r.uuid(3)?,
        cash_register_name: r.get(4)?,
        location_id: BranchId(r.uuid(5)?),
        location_name: r.get(6)?,
        is_active: r.get::<_, i64>(7)? == 1,
        assigned_at: r.time(8)?,
        assigned_by: r.opt_uuid(9)?.map(EmployeeId),
        note: r.get(10)?,
    })
}

fn load_assignment(conn: &Connection, id: Uuid) -> Result<Option<Assignment>> {
    Ok(conn
        .prepare_cached(&format!("{ASSIGNMENT_SELECT} WHERE a.id = ?1"))?
        .query_row([id.to_string()], read_assignment)
        .optional()?)
}

impl Register {
    fn state(&self) -> RegisterState {
        RegisterState {
            name: self.name.clone(),
            register_number: self.register_number,
            is_active: self.is_active,
        }
    }
}

fn record_register(
    tx: &Transaction<'_>,
    ctx: &Ctx<'_>,
    before: Option<&Register>,
    r: &Register,
) -> Result<()> {
    let snapshot = |r: &Register| rules::register_snapshot(r.branch_id, &r.state());
    let hlc = journal::stamp_version(tx, "cash_registers", &r.id.to_string(), ctx.device.device_id, ctx.now)?;
    journal::record(
        tx,
        ctx.device.device_id,
        ctx.now,
        Entry {
            kind: OpKind::RegisterSaved,
            employee_id: Some(ctx.actor.id),
            branch_id: Some(r.branch_id.0),
            action: rules::register_action(before.map(Register::state).as_ref(), &r.state()),
            entity_type: "cash_register",
            entity_id: Some(r.id.to_string()),
            old_value: before.map(snapshot),
            new_value: Some(snapshot(r)),
        },
        &payload::RegisterSaved {
            id: r.id,
            branch_id: r.branch_id,
            name: r.name.clone(),
            register_number: r.register_number,
            device_id: r.device_id.clone(),
            is_active: r.is_active,
            updated_at: ctx.now,
            hlc,
        },
    )?;
    Ok(())
}

fn record_assignment(
    tx: &Transaction<'_>,
    ctx: &Ctx<'_>,
    assigned: bool,
    before: Option<&Assignment>,
    a: &Assignment,
) -> Result<()> {
    let snapshot = |a: &Assignment| {
        rules::assignment_snapshot(a.cash_register_id, a.user_id, a.is_active, a.note.as_deref())
    };
    let hlc = journal::stamp_version(
        tx,
        "cash_register_assignments",
        &a.id.to_string(),
        ctx.device.device_id,
        ctx.now,
    )?;
    journal::record(
        tx,
        ctx.device.device_id,
        ctx.now,
        Entry {
            kind: OpKind::AssignmentSaved,
            employee_id: Some(ctx.actor.id),
            branch_id: Some(a.location_id.0),
            action: rules::assignment_action(assigned, a.is_active),
            entity_type: "cash_register_assignment",
            entity_id: Some(a.id.to_string()),
            old_value: before.map(snapshot),
            new_value: Some(snapshot(a)),
        },
        &payload::AssignmentSaved {
            id: a.id,
            cash_register_id: a.cash_register_id,
            user_id: a.user_id,
            is_active: a.is_active,
            assigned_at: a.assigned_at,
            assigned_by: a.assigned_by,
            note: a.note.clone(),
            hlc,
        },
    )?;
    Ok(())
}

impl Terminal {
    /// Every register of the tenant (`CASH.VIEW`).
    pub fn registers(&self) -> Result<Vec<Register>> {
        self.view(|conn, ctx| {
            ctx.actor.require(&[Permission::CashView])?;
            let mut stmt =
                conn.prepare_cached(&format!("{REGISTER_SELECT} ORDER BY b.name, r.register_number"))?;
            Ok(stmt.query_map([], read_register)?.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Creates a register (`CASH.REGISTER.MANAGE`).
    pub fn create_register(&self, new: &NewRegister) -> Result<Register> {
        let state = new.check()?;
        self.act(|tx, ctx| {
            ctx.actor.require(&[Permission::CashRegisterManage])?;
            let branch = new.branch_id.unwrap_or(ctx.device.branch_id);
            let id = Uuid::now_v7();
            let now = ts(ctx.now);
            tx.execute(
                "INSERT INTO cash_registers (id, branch_id, name, register_number, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![id.to_string(), branch.to_string(), state.name, state.register_number, now],
            )
            .map_err(|e| {
                if violates(&e, "FOREIGN KEY") { rules::unknown_branch().into() } else { number_taken(e) }
            })?;
            let created = load_register(tx, id)?.ok_or(DomainError::RegisterNotFound)?;
            record_register(tx, ctx, None, &created)?;
            Ok(created)
        })
    }

    /// Renames, renumbers, activates or deactivates a register
    /// (`CASH.REGISTER.MANAGE`). A register with an OPEN session stays active.
    pub fn update_register(&self, id: Uuid, changes: &RegisterChanges) -> Result<Register> {
        self.act(|tx, ctx| {
            ctx.actor.require(&[Permission::CashRegisterManage])?;
            let before = load_register(tx, id)?.ok_or(DomainError::RegisterNotFound)?;
            let after = changes.apply(&before.state(), before.open_session_id.is_some())?;
            tx.execute(
                "UPDATE cash_registers SET name = ?2, register_number = ?3, is_active = ?4, updated_at = ?5 WHERE id = ?1",
                params![id.to_string(), after.name, after.register_number, after.is_active, ts(ctx.now)],
            )
            .map_err(number_taken)?;
            let after = load_register(tx, id)?.ok_or(DomainError::RegisterNotFound)?;
            record_register(tx, ctx, Some(&before), &after)?;
            Ok(after)
        })
    }

    /// Assignments, filtered by cashier, branch and state (`CASH.ASSIGN`).
    pub fn assignments(&self, filter: &AssignmentFilter) -> Result<Vec<Assignment>> {
        self.view(|conn, ctx| {
            ctx.actor.require(&[Permission::CashAssign])?;
            let mut stmt = conn.prepare_cached(&format!(
                "{ASSIGNMENT_SELECT}
                 WHERE (?1 IS NULL OR v.user_id = ?1) AND (?2 IS NULL OR v.location_id = ?2) AND (?3 IS NULL OR v.is_active = ?3)
                 ORDER BY v.location_name, v.cash_register_name, v.user_name"
            ))?;
            let rows = stmt.query_map(
                params![filter.user_id.map(|u| u.to_string()), filter.branch_id.map(|b| b.to_string()), filter.is_active],
                read_assignment,
            )?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Assigns a register to an employee (`CASH.ASSIGN`); assigning again
    /// reactivates the assignment and replaces its note.
    pub fn assign_register(&self, new: &NewAssignment) -> Result<Assignment> {
        let note = new.note()?;
        self.act(|tx, ctx| {
            ctx.actor.require(&[Permission::CashAssign])?;
            let register = load_register(tx, new.cash_register_id)?;
            let employee = crate::employees::load(tx, new.user_id)?;
            rules::check_assignment(register.as_ref().map(|r| r.is_active), employee.as_ref().map(|e| e.is_active))?;
            let existing: Option<String> = tx
                .query_row(
                    "SELECT id FROM cash_register_assignments WHERE cash_register_id = ?1 AND user_id = ?2",
                    params![new.cash_register_id.to_string(), new.user_id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            let now = ts(ctx.now);
            let (id, before) = match existing {
                Some(id) => {
                    let id = crate::store::uuid_of(&id)?;
                    let before = load_assignment(tx, id)?;
                    tx.execute(
                        "UPDATE cash_register_assignments SET is_active = 1, note = ?2, assigned_at = ?3, assigned_by = ?4 WHERE id = ?1",
                        params![id.to_string(), note, now, ctx.actor.id.to_string()],
                    )?;
                    (id, before)
                }
                None => {
                    let id = Uuid::now_v7();
                    tx.execute(
                        "INSERT INTO cash_register_assignments (id, cash_register_id, user_id, assigned_at, assigned_by, note)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![id.to_string(), new.cash_register_id.to_string(), new.user_id.to_string(), now, ctx.actor.id.to_string(), note],
                    )?;
                    (id, None)
                }
            };
            let saved = load_assignment(tx, id)?.ok_or_else(|| Error::Internal("assignment vanished".into()))?;
            record_assignment(tx, ctx, true, before.as_ref(), &saved)?;
            Ok(saved)
        })
    }

    /// Activates or deactivates an assignment (`CASH.ASSIGN`).
    pub fn set_assignment_active(&self, id: Uuid, active: bool) -> Result<Assignment> {
        self.act(|tx, ctx| {
            ctx.actor.require(&[Permission::CashAssign])?;
            let before = load_assignment(tx, id)?.ok_or(DomainError::AssignmentNotFound)?;
            tx.execute(
                "UPDATE cash_register_assignments SET is_active = ?2 WHERE id = ?1",
                params![id.to_string(), active],
            )?;
            let after =
                load_assignment(tx, id)?.ok_or_else(|| Error::Internal("assignment vanished".into()))?;
            record_assignment(tx, ctx, false, Some(&before), &after)?;
            Ok(after)
        })
    }
}
