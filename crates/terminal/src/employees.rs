//! Employees managed at the store, offline, with central's rules.
//!
//! PINs are made here, never typed by whoever manages staff: a "PIN taken"
//! answer to a chosen PIN would reveal a colleague's PIN. The new PIN is in
//! the answer of the action that made it, shown once; the database keeps only
//! its keyed lookup and keyed hash.

use nexus_domain::employee::{self, EmployeeChanges, EmployeeState, NewEmployee};
use nexus_domain::pin::Pin;
use nexus_domain::sync::{OpKind, hex, payload};
use nexus_domain::{BranchId, DomainError, EmployeeId, Percent, Permission, PermissionSet, Role};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use serde_json::json;

use crate::error::{Error, Result};
use crate::journal::{self, Entry};
use crate::setup::new_salt;
use crate::store::{RowExt, ts, violates};
use crate::{Ctx, Terminal};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Employee {
    pub id: EmployeeId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: Role,
    pub branch_id: Option<BranchId>,
    /// Hundredths of a percent.
    pub max_discount_bp: Percent,
    pub is_active: bool,
    pub permissions: PermissionSet,
}

impl Employee {
    fn state(&self) -> EmployeeState {
        EmployeeState {
            name: self.name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            role: self.role,
            branch_id: self.branch_id,
            max_discount: self.max_discount_bp,
            permissions: self.permissions.clone(),
            is_active: self.is_active,
        }
    }
}

fn not_found() -> Error {
    Error::not_found("employee_not_found", "Empleado no encontrado")
}

fn random_u32() -> u32 {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    u32::from_le_bytes(bytes)
}

/// A new employee and the PIN made for them, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CreatedEmployee {
    pub employee: Employee,
    pub pin: String,
}

/// A PIN made for someone, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IssuedPin {
    pub pin: String,
}

fn pin_taken() -> Error {
    Error::conflict("pin_taken", "El PIN ya está en uso por otro empleado activo")
}

const SELECT: &str =
    "SELECT id, name, email, phone, role, branch_id, max_discount_pct, is_active FROM employees";

fn read_row(conn: &Connection, r: &rusqlite::Row<'_>) -> Result<Employee> {
    let id = EmployeeId(r.uuid(0)?);
    let role: String = r.get(4)?;
    let max: i64 = r.get(6)?;
    Ok(Employee {
        id,
        name: r.get(1)?,
        email: r.get(2)?,
        phone: r.get(3)?,
        role: role.parse().map_err(DomainError::from)?,
        branch_id: r.opt_uuid(5)?.map(BranchId),
        max_discount_bp: Percent::from_hundredths(u16::try_from(max).unwrap_or(0)).unwrap_or(Percent::ZERO),
        is_active: r.get::<_, i64>(7)? == 1,
        permissions: crate::load_permissions(conn, id)?,
    })
}

pub(crate) fn load(conn: &Connection, id: EmployeeId) -> Result<Option<Employee>> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE id = ?1"))?;
    let mut rows = stmt.query([id.to_string()])?;
    match rows.next()? {
        Some(r) => Ok(Some(read_row(conn, r)?)),
        None => Ok(None),
    }
}

fn check_branch(conn: &Connection, branch: Option<BranchId>) -> Result<()> {
    if let Some(b) = branch {
        let active: Option<i64> = conn
            .query_row("SELECT is_active FROM branches WHERE id = ?1", [b.to_string()], |r| r.get(0))
            .optional()?;
        if active != Some(1) {
            return Err(DomainError::Invalid {
                field: "branch_id",
                reason: "la sucursal no existe o está desactivada",
            }
            .into());
        }
    }
    Ok(())
}

fn snapshot(e: &Employee) -> serde_json::Value {
    json!({
        "name": e.name, "email": e.email, "phone": e.phone, "role": e.role, "branch_id": e.branch_id,
        "max_discount_bp": e.max_discount_bp, "is_active": e.is_active, "permissions": e.permissions,
    })
}

fn write_permissions(tx: &Transaction<'_>, id: EmployeeId, permissions: &PermissionSet) -> Result<()> {
    tx.execute("DELETE FROM employee_permissions WHERE employee_id = ?1", [id.to_string()])?;
    let mut stmt =
        tx.prepare_cached("INSERT INTO employee_permissions (employee_id, permission) VALUES (?1, ?2)")?;
    for p in permissions.iter() {
        stmt.execute(params![id.to_string(), p.code()])?;
    }
    Ok(())
}

/// Records the saved employee: audit entry and op (with the PIN's hash and
/// lookup, never the PIN).
pub(crate) fn record_saved(
    tx: &Transaction<'_>,
    ctx: &Ctx<'_>,
    action: &'static str,
    before: Option<&Employee>,
    after: &Employee,
) -> Result<()> {
    let hlc = journal::stamp_version(tx, "employees", &after.id.to_string(), ctx.device.device_id, ctx.now)?;
    let (pin_hash, pin_lookup): (Option<String>, Option<Vec<u8>>) = tx.query_row(
        "SELECT pin_hash, pin_lookup FROM employees WHERE id = ?1",
        [after.id.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    journal::record(
        tx,
        ctx.device.device_id,
        ctx.now,
        Entry {
            kind: OpKind::EmployeeSaved,
            employee_id: Some(ctx.actor.id),
            branch_id: Some(ctx.device.branch_id.0),
            action,
            entity_type: "employee",
            entity_id: Some(after.id.to_string()),
            old_value: before.map(snapshot),
            new_value: Some(snapshot(after)),
        },
        &payload::EmployeeSaved {
            id: after.id,
            name: after.name.clone(),
            email: after.email.clone(),
            phone: after.phone.clone(),
            role: after.role,
            branch_id: after.branch_id,
            max_discount_bp: after.max_discount_bp,
            is_active: after.is_active,
            permissions: after.permissions.clone(),
            pin_hash: pin_hash.unwrap_or_default(),
            pin_lookup: hex(&pin_lookup.unwrap_or_default()),
            updated_at: ctx.now,
            hlc,
        },
    )?;
    Ok(())
}

impl Terminal {
    /// The store's employees (`config.view`).
    pub fn employees(&self, include_inactive: bool) -> Result<Vec<Employee>> {
        self.view(|conn, ctx| {
            ctx.actor.require(&[Permission::ConfigView])?;
            let mut stmt =
                conn.prepare_cached(&format!("{SELECT} WHERE is_active = 1 OR ?1 ORDER BY name, id"))?;
            let mut rows = stmt.query([include_inactive])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(read_row(conn, r)?);
            }
            Ok(out)
        })
    }

    /// Creates an employee (`SECURITY.USERS.MANAGE`) with a PIN made for
    /// them, returned this once.
    pub fn create_employee(&self, new: &NewEmployee) -> Result<CreatedEmployee> {
        let state = new.check()?;
        self.act(|tx, ctx| {
            ctx.actor.require(&[Permission::SecurityUsersManage])?;
            employee::check_change(&ctx.actor.as_domain_actor(), None, &NewEmployee::outcome(&state))?;
            check_branch(tx, state.branch_id)?;
            let (pin, hash) = self.issue_pin(tx, ctx, state.role, &state.permissions)?;
            let id = EmployeeId::new_v7();
            let now = ts(ctx.now);
            tx.execute(
                "INSERT INTO employees (id, name, email, phone, pin_hash, pin_lookup, role, branch_id, max_discount_pct,
                                        created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
                params![
                    id.to_string(),
                    state.name,
                    state.email,
                    state.phone,
                    hash,
                    &ctx.device.pin_key.lookup(&pin).as_bytes()[..],
                    state.role.code(),
                    state.branch_id.map(|b| b.to_string()),
                    state.max_discount.hundredths(),
                    now,
                ],
            )
            .map_err(|e| if violates(&e, "pin_lookup") { pin_taken() } else { e.into() })?;
            write_permissions(tx, id, &state.permissions)?;
            let created = load(tx, id)?.ok_or_else(not_found)?;
            record_saved(tx, ctx, "EMPLOYEE_CREATE", None, &created)?;
            Ok(CreatedEmployee { employee: created, pin: pin.expose().to_owned() })
        })
    }

    /// Changes an employee (`SECURITY.USERS.MANAGE`).
    pub fn update_employee(&self, id: EmployeeId, changes: &EmployeeChanges) -> Result<Employee> {
        self.act(|tx, ctx| {
            ctx.actor.require(&[Permission::SecurityUsersManage])?;
            let before = load(tx, id)?.ok_or_else(not_found)?;
            let after = changes.apply(&before.state())?;
            employee::check_update(&ctx.actor.as_domain_actor(), id, &before.state(), &after)?;
            if changes.branch_id.is_some() {
                check_branch(tx, after.branch_id)?;
            }
            tx.execute(
                "UPDATE employees SET name = ?2, email = ?3, phone = ?4, role = ?5, branch_id = ?6, max_discount_pct = ?7,
                        is_active = ?8, updated_at = ?9 WHERE id = ?1",
                params![
                    id.to_string(),
                    after.name,
                    after.email,
                    after.phone,
                    after.role.code(),
                    after.branch_id.map(|b| b.to_string()),
                    after.max_discount.hundredths(),
                    after.is_active,
                    ts(ctx.now),
                ],
            )
            .map_err(|e| if violates(&e, "pin_lookup") { pin_taken() } else { e.into() })?;
            if after.permissions != before.permissions {
                write_permissions(tx, id, &after.permissions)?;
            }
            let saved = load(tx, id)?.ok_or_else(not_found)?;
            let action = match (before.is_active, saved.is_active) {
                (true, false) => "EMPLOYEE_DEACTIVATE",
                (false, true) => "EMPLOYEE_REACTIVATE",
                _ => "EMPLOYEE_UPDATE",
            };
            record_saved(tx, ctx, action, Some(&before), &saved)?;
            Ok(saved)
        })
    }

    pub fn deactivate_employee(&self, id: EmployeeId) -> Result<Employee> {
        self.update_employee(id, &EmployeeChanges { is_active: Some(false), ..EmployeeChanges::default() })
    }

    /// Gives an employee a new PIN made by the system
    /// (`SECURITY.USERS.MANAGE`), returned this once.
    pub fn reset_pin(&self, id: EmployeeId) -> Result<IssuedPin> {
        self.act(|tx, ctx| {
            ctx.actor.require(&[Permission::SecurityUsersManage])?;
            let target = load(tx, id)?.ok_or_else(not_found)?;
            if !target.is_active {
                return Err(
                    DomainError::Invalid { field: "id", reason: "el empleado está desactivado" }.into()
                );
            }
            employee::check_pin_reset(
                &ctx.actor.as_domain_actor(),
                &employee::Target { employee_id: id, role: target.role, permissions: &target.permissions },
                target.max_discount_bp,
            )?;
            let (pin, hash) = self.issue_pin(tx, ctx, target.role, &target.permissions)?;
            tx.execute(
                "UPDATE employees SET pin_hash = ?2, pin_lookup = ?3, updated_at = ?4 WHERE id = ?1",
                params![id.to_string(), hash, &ctx.device.pin_key.lookup(&pin).as_bytes()[..], ts(ctx.now)],
            )
            .map_err(|e| if violates(&e, "pin_lookup") { pin_taken() } else { e.into() })?;
            record_saved(tx, ctx, "EMPLOYEE_PIN_RESET", Some(&target), &target)?;
            Ok(IssuedPin { pin: pin.expose().to_owned() })
        })
    }

    /// A random PIN of the length the role and permissions call for that no
    /// active employee holds, with its keyed hash.
    fn issue_pin(
        &self,
        tx: &Transaction<'_>,
        ctx: &Ctx<'_>,
        role: Role,
        permissions: &PermissionSet,
    ) -> Result<(Pin, String)> {
        let len = nexus_domain::pin::required_len(role, permissions);
        loop {
            let pin = Pin::generate(len, random_u32);
            let taken: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM employees WHERE pin_lookup = ?1 AND is_active = 1)",
                [&ctx.device.pin_key.lookup(&pin).as_bytes()[..]],
                |r| r.get(0),
            )?;
            if !taken {
                let hash = ctx.device.pin_key.hash(&pin, self.options.bcrypt_cost, new_salt()?);
                return Ok((pin, hash));
            }
        }
    }
}
