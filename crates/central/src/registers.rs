//! Cash registers and register assignments of a tenant, managed from
//! headquarters.
//!
//! The rules are `nexus_domain::register`'s, the same a terminal's admin
//! screen follows, with the same codes and messages. Every change is audited
//! in the tenant's chain in its own transaction; the rows' version triggers
//! (tenant migration 3) stamp them as central's, so the change feed carries
//! them down to every terminal on its next pull.

use chrono::{DateTime, Utc};
use nexus_domain::register::{self as rules, RegisterState};
pub use nexus_domain::register::{NewAssignment, NewRegister, RegisterChanges};
use nexus_domain::{BranchId, DomainError, EmployeeId};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::audit::{self, Change, Origin};
use crate::error::violated_constraint;
use crate::hq::HqCaller;
use crate::{Error, Result};

#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Register {
    pub id: Uuid,
    #[sqlx(try_from = "Uuid")]
    #[schema(value_type = String, format = Uuid)]
    pub branch_id: BranchId,
    pub branch_name: String,
    pub name: String,
    #[sqlx(try_from = "i16")]
    pub register_number: i64,
    /// The terminal this register is bound to, if any.
    pub device_id: Option<String>,
    pub is_active: bool,
    /// The OPEN session on it, as far as central has heard.
    pub open_session_id: Option<Uuid>,
}

/// A row of `vw_user_cash_registers`, with the assignment's id.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Assignment {
    pub id: Uuid,
    #[sqlx(try_from = "Uuid")]
    #[schema(value_type = String, format = Uuid)]
    pub user_id: EmployeeId,
    pub user_name: String,
    pub cash_register_id: Uuid,
    pub cash_register_name: String,
    #[sqlx(try_from = "Uuid")]
    #[schema(value_type = String, format = Uuid)]
    pub location_id: BranchId,
    pub location_name: String,
    pub is_active: bool,
    pub assigned_at: DateTime<Utc>,
    /// The employee who assigned it; none when an HQ account that is not an
    /// employee did.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub assigned_by: Option<Uuid>,
    pub note: Option<String>,
}

/// `GET /v1/registers` filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RegisterFilter {
    /// Only this branch's registers.
    #[serde(default)]
    #[param(value_type = Option<String>, format = Uuid)]
    pub branch_id: Option<Uuid>,
}

/// `GET /v1/register-assignments` filters; absent means any.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AssignmentFilter {
    #[serde(default)]
    #[param(value_type = Option<String>, format = Uuid)]
    pub user_id: Option<Uuid>,
    #[serde(default)]
    #[param(value_type = Option<String>, format = Uuid)]
    pub branch_id: Option<Uuid>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

const REGISTER_SELECT: &str = "SELECT r.id, r.branch_id, b.name AS branch_name, r.name, r.register_number,
        r.device_id, r.is_active,
        (SELECT s.id FROM cash_sessions s
         WHERE s.cash_register_id = r.id AND s.status = 'OPEN' AND NOT s.conflicted
         ORDER BY s.opened_at LIMIT 1) AS open_session_id
    FROM cash_registers r JOIN branches b ON b.id = r.branch_id";

const ASSIGNMENT_SELECT: &str =
    "SELECT a.id, v.user_id, v.user_name, v.cash_register_id, v.cash_register_name,
        v.location_id, v.location_name, v.is_active, v.assigned_at, v.assigned_by, v.note
    FROM vw_user_cash_registers v
    JOIN cash_register_assignments a ON a.cash_register_id = v.cash_register_id AND a.user_id = v.user_id";

impl Register {
    fn state(&self) -> RegisterState {
        RegisterState {
            name: self.name.clone(),
            register_number: self.register_number,
            is_active: self.is_active,
        }
    }
}

fn map_write_error(e: sqlx::Error) -> Error {
    match violated_constraint(&e) {
        Some("cash_registers_branch_number_key") => DomainError::RegisterNumberTaken.into(),
        Some("cash_registers_branch_id_fkey") => rules::unknown_branch().into(),
        _ => e.into(),
    }
}

/// Where an entry about a register of `branch` comes from: the caller, at that branch.
fn origin_at(caller: &HqCaller, branch: BranchId) -> Origin {
    Origin { branch_id: Some(branch.0), ..caller.origin() }
}

pub async fn list(db: &PgPool, filter: &RegisterFilter) -> Result<Vec<Register>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{REGISTER_SELECT} WHERE ($1::uuid IS NULL OR r.branch_id = $1) ORDER BY b.name, r.register_number, r.id"
    )))
    .bind(filter.branch_id)
    .fetch_all(db)
    .await?)
}

pub async fn get(db: &PgPool, id: Uuid) -> Result<Register> {
    let mut conn = db.acquire().await?;
    Ok(load_register(&mut conn, id, false).await?.ok_or(DomainError::RegisterNotFound)?)
}

async fn load_register(conn: &mut PgConnection, id: Uuid, for_update: bool) -> Result<Option<Register>> {
    let lock = if for_update { " FOR UPDATE OF r" } else { "" };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("{REGISTER_SELECT} WHERE r.id = $1{lock}")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
}

/// Creates a register (`CASH.REGISTER.MANAGE`). Its branch must be named:
/// headquarters has no branch of its own to default to.
pub async fn create(caller: &HqCaller, new: &NewRegister) -> Result<Register> {
    let state = new.check()?;
    let branch = new.branch_id.ok_or(DomainError::Required { field: "branch_id" })?;
    let mut tx = caller.db.begin().await?;
    let known: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM branches WHERE id = $1)")
        .bind(branch.0)
        .fetch_one(&mut *tx)
        .await?;
    if !known {
        return Err(rules::unknown_branch().into());
    }
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO cash_registers (id, branch_id, name, register_number, is_active) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(branch.0)
    .bind(&state.name)
    .bind(state.register_number as i16)
    .bind(state.is_active)
    .execute(&mut *tx)
    .await
    .map_err(map_write_error)?;
    let created = load_register(&mut tx, id, false).await?.ok_or(DomainError::RegisterNotFound)?;
    audit::record(
        &mut tx,
        &origin_at(caller, created.branch_id),
        Change {
            action: rules::register_action(None, &created.state()),
            entity_type: "cash_register",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: Some(rules::register_snapshot(created.branch_id, &created.state())),
        },
    )
    .await?;
    tx.commit().await.map_err(map_write_error)?;
    Ok(created)
}

/// Renames, renumbers, activates or deactivates a register
/// (`CASH.REGISTER.MANAGE`). One with an OPEN session stays active.
pub async fn update(caller: &HqCaller, id: Uuid, changes: &RegisterChanges) -> Result<Register> {
    let mut tx = caller.db.begin().await?;
    let before = load_register(&mut tx, id, true).await?.ok_or(DomainError::RegisterNotFound)?;
    let after = changes.apply(&before.state(), before.open_session_id.is_some())?;
    sqlx::query(
        "UPDATE cash_registers SET name = $2, register_number = $3, is_active = $4, updated_at = NOW() WHERE id = $1",
    )
    .bind(id)
    .bind(&after.name)
    .bind(after.register_number as i16)
    .bind(after.is_active)
    .execute(&mut *tx)
    .await
    .map_err(map_write_error)?;
    let after = load_register(&mut tx, id, false).await?.ok_or(DomainError::RegisterNotFound)?;
    audit::record(
        &mut tx,
        &origin_at(caller, after.branch_id),
        Change {
            action: rules::register_action(Some(&before.state()), &after.state()),
            entity_type: "cash_register",
            entity_id: Some(id.to_string()),
            old_value: Some(rules::register_snapshot(before.branch_id, &before.state())),
            new_value: Some(rules::register_snapshot(after.branch_id, &after.state())),
        },
    )
    .await?;
    tx.commit().await.map_err(map_write_error)?;
    Ok(after)
}

pub async fn assignments(db: &PgPool, filter: &AssignmentFilter) -> Result<Vec<Assignment>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ASSIGNMENT_SELECT}
         WHERE ($1::uuid IS NULL OR v.user_id = $1) AND ($2::uuid IS NULL OR v.location_id = $2)
           AND ($3::boolean IS NULL OR v.is_active = $3)
         ORDER BY v.location_name, v.cash_register_name, v.user_name, a.id"
    )))
    .bind(filter.user_id)
    .bind(filter.branch_id)
    .bind(filter.is_active)
    .fetch_all(db)
    .await?)
}

async fn load_assignment(conn: &mut PgConnection, id: Uuid) -> Result<Option<Assignment>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("{ASSIGNMENT_SELECT} WHERE a.id = $1")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
}

fn assignment_snapshot(a: &Assignment) -> serde_json::Value {
    rules::assignment_snapshot(a.cash_register_id, a.user_id, a.is_active, a.note.as_deref())
}

/// Assigns a register to an employee (`CASH.ASSIGN`); assigning again
/// reactivates the assignment and replaces its note.
pub async fn assign(caller: &HqCaller, new: &NewAssignment) -> Result<Assignment> {
    let note = new.note()?;
    let mut tx = caller.db.begin().await?;
    // Locked, so a register being deactivated meanwhile is seen deactivated.
    let register: Option<bool> =
        sqlx::query_scalar("SELECT is_active FROM cash_registers WHERE id = $1 FOR SHARE")
            .bind(new.cash_register_id)
            .fetch_optional(&mut *tx)
            .await?;
    let employee: Option<bool> =
        sqlx::query_scalar("SELECT is_active FROM employees WHERE id = $1 FOR SHARE")
            .bind(new.user_id.0)
            .fetch_optional(&mut *tx)
            .await?;
    rules::check_assignment(register, employee)?;
    let existing: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM cash_register_assignments WHERE cash_register_id = $1 AND user_id = $2 FOR UPDATE",
    )
    .bind(new.cash_register_id)
    .bind(new.user_id.0)
    .fetch_optional(&mut *tx)
    .await?;
    let before = match existing {
        Some(id) => load_assignment(&mut tx, id).await?,
        None => None,
    };
    // One row per pair: should another assignment of it land meanwhile, the
    // unique key turns this one into its re-assignment.
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO cash_register_assignments (id, cash_register_id, user_id, assigned_by, note)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT ON CONSTRAINT cash_register_assignments_register_user_key
         DO UPDATE SET is_active = TRUE, note = EXCLUDED.note, assigned_at = NOW(), assigned_by = EXCLUDED.assigned_by
         RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(new.cash_register_id)
    .bind(new.user_id.0)
    .bind(caller.employee_id.map(|e| e.0))
    .bind(&note)
    .fetch_one(&mut *tx)
    .await?;
    let saved = load_assignment(&mut tx, id).await?.ok_or(DomainError::AssignmentNotFound)?;
    audit::record(
        &mut tx,
        &origin_at(caller, saved.location_id),
        Change {
            action: rules::assignment_action(true, saved.is_active),
            entity_type: "cash_register_assignment",
            entity_id: Some(id.to_string()),
            old_value: before.as_ref().map(assignment_snapshot),
            new_value: Some(assignment_snapshot(&saved)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

/// Activates or deactivates an assignment (`CASH.ASSIGN`).
pub async fn set_assignment_active(caller: &HqCaller, id: Uuid, active: bool) -> Result<Assignment> {
    let mut tx = caller.db.begin().await?;
    let locked: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM cash_register_assignments WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    locked.ok_or(DomainError::AssignmentNotFound)?;
    let before = load_assignment(&mut tx, id).await?.ok_or(DomainError::AssignmentNotFound)?;
    sqlx::query("UPDATE cash_register_assignments SET is_active = $2 WHERE id = $1")
        .bind(id)
        .bind(active)
        .execute(&mut *tx)
        .await?;
    let after = load_assignment(&mut tx, id).await?.ok_or(DomainError::AssignmentNotFound)?;
    audit::record(
        &mut tx,
        &origin_at(caller, after.location_id),
        Change {
            action: rules::assignment_action(false, after.is_active),
            entity_type: "cash_register_assignment",
            entity_id: Some(id.to_string()),
            old_value: Some(assignment_snapshot(&before)),
            new_value: Some(assignment_snapshot(&after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}
