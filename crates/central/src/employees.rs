//! Employees of a tenant, managed from headquarters.
//!
//! Creation, changes, deactivation and PIN resets follow the rules of
//! `nexus_domain::employee` (no owner through the API, the owner protected,
//! nobody granting what they lack) and write their audit entry in the same
//! transaction. PINs are made here, never chosen by whoever manages staff
//! (a "taken" answer to a chosen PIN would reveal a colleague's PIN), shown
//! once in the answer and kept only as a keyed lookup and a keyed hash. A PIN
//! is unique among a tenant's active employees; the lookup column makes that
//! a unique index.

use nexus_domain::employee::{self, EmployeeState, Target};
pub use nexus_domain::employee::{EmployeeChanges, NewEmployee};
use nexus_domain::pin::Pin;
use nexus_domain::{BranchId, DomainError, EmployeeId, Percent, PermissionSet, Role, TenantId};
use serde::Serialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::error::violated_constraint;
use crate::hq::HqCaller;
use crate::secret::ShownOnce;
use crate::{Central, Error, Result};

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Employee {
    pub id: EmployeeId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: Role,
    pub branch_id: Option<BranchId>,
    /// Largest discount, in hundredths of a percent (1250 = 12.5 %).
    pub max_discount_bp: Percent,
    pub is_active: bool,
    pub permissions: PermissionSet,
}

/// A PIN made for someone, shown this once and never again.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IssuedPin {
    /// 4 digits for a counter, 6 for whoever manages people, registers or the books.
    #[schema(value_type = String, pattern = "^[0-9]{4,6}$")]
    pub pin: ShownOnce,
}

/// A new employee and the PIN made for them.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CreatedEmployee {
    pub employee: Employee,
    /// Shown once: give it to the employee; only its keyed hash is kept.
    #[schema(value_type = String, pattern = "^[0-9]{4,6}$")]
    pub pin: ShownOnce,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    role: String,
    branch_id: Option<Uuid>,
    max_discount_pct: String,
    is_active: bool,
    permissions: Vec<String>,
}

impl TryFrom<Row> for Employee {
    type Error = DomainError;
    fn try_from(r: Row) -> Result<Employee, DomainError> {
        Ok(Employee {
            id: EmployeeId(r.id),
            name: r.name,
            email: r.email,
            phone: r.phone,
            role: r.role.parse()?,
            branch_id: r.branch_id.map(BranchId),
            max_discount_bp: Percent::parse(&r.max_discount_pct)?,
            is_active: r.is_active,
            permissions: PermissionSet::from_codes(&r.permissions)?,
        })
    }
}

const SELECT: &str = "SELECT e.id, e.name, e.email, e.phone, e.role, e.branch_id,
        e.max_discount_pct::text AS max_discount_pct, e.is_active,
        ARRAY(SELECT p.permission::text FROM employee_permissions p WHERE p.employee_id = e.id ORDER BY 1) AS permissions
    FROM employees e";

fn not_found() -> Error {
    Error::not_found("employee_not_found", "Empleado no encontrado")
}

/// The one time a PIN clash reaches a person: reactivating someone whose PIN
/// was given to another while they were away. It names nobody and says how
/// to go on.
fn pin_taken() -> Error {
    Error::conflict(
        "pin_taken",
        "El PIN de este empleado ya no está disponible: restablece su PIN y vuelve a reactivarlo",
    )
}

fn map_write_error(e: sqlx::Error) -> Error {
    match violated_constraint(&e) {
        Some("employees_pin_lookup_key") => pin_taken(),
        Some("employees_branch_id_fkey") => branch_not_found(),
        _ => e.into(),
    }
}

fn branch_not_found() -> Error {
    DomainError::Invalid { field: "branch_id", reason: "la sucursal no existe" }.into()
}

pub async fn list(db: &PgPool, include_inactive: bool) -> Result<Vec<Employee>> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE e.is_active OR $1 ORDER BY e.name, e.id"
    )))
    .bind(include_inactive)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(|r| Employee::try_from(r).map_err(Error::from)).collect()
}

pub async fn get(db: &PgPool, id: Uuid) -> Result<Employee> {
    let mut conn = db.acquire().await?;
    load(&mut conn, id, false).await?.ok_or_else(not_found)
}

pub(crate) async fn load(conn: &mut PgConnection, id: Uuid, for_update: bool) -> Result<Option<Employee>> {
    let lock = if for_update { " FOR UPDATE OF e" } else { "" };
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE e.id = $1{lock}")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(Employee::try_from).transpose().map_err(Error::from)
}

impl Employee {
    pub(crate) fn state(&self) -> EmployeeState {
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

async fn check_branch(conn: &mut PgConnection, branch: Option<BranchId>) -> Result<()> {
    if let Some(branch) = branch {
        let active: Option<bool> = sqlx::query_scalar("SELECT is_active FROM branches WHERE id = $1")
            .bind(branch.0)
            .fetch_optional(&mut *conn)
            .await?;
        if active != Some(true) {
            return Err(DomainError::Invalid {
                field: "branch_id",
                reason: "la sucursal no existe o está desactivada",
            }
            .into());
        }
    }
    Ok(())
}

async fn write_permissions(conn: &mut PgConnection, id: Uuid, permissions: &PermissionSet) -> Result<()> {
    sqlx::query("DELETE FROM employee_permissions WHERE employee_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO employee_permissions (employee_id, permission) SELECT $1, unnest($2::text[])")
        .bind(id)
        .bind(permissions.codes())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What the audit log keeps of an employee: everything but the PIN.
pub(crate) fn snapshot(e: &Employee) -> serde_json::Value {
    state_snapshot(&e.state())
}

/// The same of an employee's state, before or after a change.
pub(crate) fn state_snapshot(s: &EmployeeState) -> serde_json::Value {
    json!({
        "name": s.name,
        "email": s.email,
        "phone": s.phone,
        "role": s.role,
        "branch_id": s.branch_id,
        "max_discount_bp": s.max_discount,
        "is_active": s.is_active,
        "permissions": s.permissions,
    })
}

/// A random PIN of the length `role` and `permissions` call for that no
/// active employee of the tenant holds, with its keyed hash.
async fn issue_pin(
    central: &Central,
    conn: &mut PgConnection,
    tenant: TenantId,
    role: Role,
    permissions: &PermissionSet,
) -> Result<(Pin, String)> {
    let key = central.pin_key(tenant);
    let len = nexus_domain::pin::required_len(role, permissions);
    loop {
        let pin = Pin::generate(len, random_u32);
        let taken: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM employees WHERE pin_lookup = $1 AND is_active)")
                .bind(&key.lookup(&pin).as_bytes()[..])
                .fetch_one(&mut *conn)
                .await?;
        if !taken {
            let hash = central.hash_pin(tenant, &pin).await?;
            return Ok((pin, hash));
        }
    }
}

pub(crate) fn random_u32() -> u32 {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    u32::from_le_bytes(bytes)
}

pub async fn create(central: &Central, caller: &HqCaller, new: &NewEmployee) -> Result<CreatedEmployee> {
    let state = new.check()?;
    employee::check_change(&caller.actor(), None, &NewEmployee::outcome(&state))?;
    let id = Uuid::now_v7();

    let mut tx = caller.db.begin().await?;
    check_branch(&mut tx, state.branch_id).await?;
    let (pin, pin_hash) =
        issue_pin(central, &mut tx, caller.tenant_id(), state.role, &state.permissions).await?;
    let lookup = central.pin_key(caller.tenant_id()).lookup(&pin);
    sqlx::query(
        "INSERT INTO employees (id, name, email, phone, pin_hash, pin_lookup, role, branch_id, max_discount_pct)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::numeric / 100)",
    )
    .bind(id)
    .bind(&state.name)
    .bind(&state.email)
    .bind(&state.phone)
    .bind(pin_hash)
    .bind(&lookup.as_bytes()[..])
    .bind(state.role.code())
    .bind(state.branch_id.map(|b| b.0))
    .bind(i32::from(state.max_discount.hundredths()))
    .execute(&mut *tx)
    .await
    .map_err(map_write_error)?;
    write_permissions(&mut tx, id, &state.permissions).await?;
    let created = load(&mut tx, id, false).await?.ok_or_else(not_found)?;
    audit::record(
        &mut tx,
        &caller.origin(),
        Change {
            action: "EMPLOYEE_CREATE",
            entity_type: "employee",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: Some(snapshot(&created)),
        },
    )
    .await?;
    tx.commit().await.map_err(map_write_error)?;
    Ok(CreatedEmployee { employee: created, pin: ShownOnce::new(pin.expose()) })
}

pub async fn update(caller: &HqCaller, id: Uuid, changes: &EmployeeChanges) -> Result<Employee> {
    let mut tx = caller.db.begin().await?;
    let before = load(&mut tx, id, true).await?.ok_or_else(not_found)?;
    let after = changes.apply(&before.state())?;
    employee::check_update(&caller.actor(), before.id, &before.state(), &after)?;
    if changes.branch_id.is_some() {
        check_branch(&mut tx, after.branch_id).await?;
    }
    sqlx::query(
        "UPDATE employees SET name = $2, email = $3, phone = $4, role = $5, branch_id = $6,
                max_discount_pct = $7::numeric / 100, is_active = $8, updated_at = NOW()
         WHERE id = $1",
    )
    .bind(id)
    .bind(&after.name)
    .bind(&after.email)
    .bind(&after.phone)
    .bind(after.role.code())
    .bind(after.branch_id.map(|b| b.0))
    .bind(i32::from(after.max_discount.hundredths()))
    .bind(after.is_active)
    .execute(&mut *tx)
    .await
    .map_err(map_write_error)?;
    if after.permissions != before.permissions {
        write_permissions(&mut tx, id, &after.permissions).await?;
    }
    if !after.is_active {
        end_sessions(&mut tx, id).await?;
    }
    let after = load(&mut tx, id, false).await?.ok_or_else(not_found)?;
    let action = match (before.is_active, after.is_active) {
        (true, false) => "EMPLOYEE_DEACTIVATE",
        (false, true) => "EMPLOYEE_REACTIVATE",
        _ => "EMPLOYEE_UPDATE",
    };
    audit::record(
        &mut tx,
        &caller.origin(),
        Change {
            action,
            entity_type: "employee",
            entity_id: Some(id.to_string()),
            old_value: Some(snapshot(&before)),
            new_value: Some(snapshot(&after)),
        },
    )
    .await?;
    tx.commit().await.map_err(map_write_error)?;
    Ok(after)
}

pub async fn deactivate(caller: &HqCaller, id: Uuid) -> Result<Employee> {
    update(caller, id, &EmployeeChanges { is_active: Some(false), ..EmployeeChanges::default() }).await
}

pub async fn reset_pin(central: &Central, caller: &HqCaller, id: Uuid) -> Result<IssuedPin> {
    let mut tx = caller.db.begin().await?;
    // A deactivated employee may get a new PIN too: it is how one whose PIN
    // was given away meanwhile is brought back.
    let target = load(&mut tx, id, true).await?.ok_or_else(not_found)?;
    employee::check_pin_reset(
        &caller.actor(),
        &Target { employee_id: target.id, role: target.role, permissions: &target.permissions },
        target.max_discount_bp,
    )?;
    let (pin, pin_hash) =
        issue_pin(central, &mut tx, caller.tenant_id(), target.role, &target.permissions).await?;
    let lookup = central.pin_key(caller.tenant_id()).lookup(&pin);
    sqlx::query("UPDATE employees SET pin_hash = $2, pin_lookup = $3, updated_at = NOW() WHERE id = $1")
        .bind(id)
        .bind(pin_hash)
        .bind(&lookup.as_bytes()[..])
        .execute(&mut *tx)
        .await
        .map_err(map_write_error)?;
    audit::record(
        &mut tx,
        &caller.origin(),
        Change {
            action: "EMPLOYEE_PIN_RESET",
            entity_type: "employee",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: Some(json!({ "pin_reset": true })),
        },
    )
    .await?;
    tx.commit().await.map_err(map_write_error)?;
    Ok(IssuedPin { pin: ShownOnce::new(pin.expose()) })
}

async fn end_sessions(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    sqlx::query("DELETE FROM employee_sessions WHERE employee_id = $1").bind(id).execute(&mut *conn).await?;
    Ok(())
}
