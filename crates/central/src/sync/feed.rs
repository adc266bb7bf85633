//! The change feed terminals pull reference data from.
//!
//! Triggers append `(entity, id)` to `change_feed` whenever a branch, an
//! employee (or their permissions), a register, an assignment, a product or
//! the theme changes, under a transaction lock so feed order is commit
//! order. A pull returns the current row of every entity changed after the
//! cursor — or a tombstone for a row that is gone — and the new cursor.
//! The owner's remote-close requests travel the same way, to every till;
//! only the one that owns the session acts on a pending one.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use nexus_domain::hlc::Hlc;
use nexus_domain::sync::{Change, PullPage, feed, hex};
use nexus_domain::{BranchId, DomainError, EmployeeId, Percent, PermissionSet, Role};
use sqlx::PgPool;
use uuid::Uuid;

use crate::Result;

/// The most changes one pull returns.
pub const MAX_PAGE: i64 = 2_000;

/// Changes after `after`, at most `limit`.
pub async fn pull(db: &PgPool, after: i64, limit: i64) -> Result<PullPage> {
    let limit = limit.clamp(1, MAX_PAGE);
    let mut tx = db.begin().await?;
    // Writers hold this lock until they commit: taking it here means every
    // seq below the one we see has committed.
    sqlx::query("SELECT pg_advisory_xact_lock(7454823104823411)").execute(&mut *tx).await?;
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT entity_type, entity_id, max(seq) AS s FROM change_feed WHERE seq > $1
         GROUP BY entity_type, entity_id ORDER BY s LIMIT $2",
    )
    .bind(after)
    .bind(limit + 1)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
    let cursor = rows.last().map_or(after, |r| r.2);
    let keys: Vec<(String, String)> = rows.iter().map(|r| (r.0.clone(), r.1.clone())).collect();
    let mut found = rows_of(db, &keys).await?;
    let mut changes: Vec<Change> = keys
        .into_iter()
        .map(|(kind, id)| {
            found.remove(&(kind.clone(), id.clone())).unwrap_or(Change::Deleted { entity_type: kind, id })
        })
        .collect();
    // A row whose parent changed again later comes before that parent in
    // the feed; the parent travels with it so the terminal never holds an
    // employee of a branch it does not know (it comes again later, too).
    for _ in 0..2 {
        let parents = missing_parents(db, &changes, cursor).await?;
        if parents.is_empty() {
            break;
        }
        changes.extend(rows_of(db, &parents).await?.into_values());
    }
    changes.sort_by_key(Change::rank);
    Ok(PullPage { changes, cursor, more })
}

/// The current rows of `keys` (entity type, id) that still exist.
async fn rows_of(db: &PgPool, keys: &[(String, String)]) -> Result<HashMap<(String, String), Change>> {
    let ids = |kind: &str| -> Vec<Uuid> {
        keys.iter().filter(|k| k.0 == kind).filter_map(|k| Uuid::parse_str(&k.1).ok()).collect()
    };
    let mut found: HashMap<(String, String), Change> = HashMap::new();
    for b in branches(db, &ids("branch")).await? {
        found.insert(("branch".into(), b.id.to_string()), Change::Branch(b));
    }
    for e in employees(db, &ids("employee")).await? {
        found.insert(("employee".into(), e.id.to_string()), Change::Employee(e));
    }
    for r in registers(db, &ids("register")).await? {
        found.insert(("register".into(), r.id.to_string()), Change::Register(r));
    }
    for a in assignments(db, &ids("assignment")).await? {
        found.insert(("assignment".into(), a.id.to_string()), Change::Assignment(a));
    }
    for p in products(db, &ids("product")).await? {
        found.insert(("product".into(), p.id.to_string()), Change::Product(p));
    }
    for r in remote_closes(db, &ids("remote_close")).await? {
        found.insert(("remote_close".into(), r.id.to_string()), Change::RemoteClose(r));
    }
    if keys.iter().any(|k| k.0 == "theme") {
        let overrides: Vec<(String, String)> =
            sqlx::query_as("SELECT variable, value FROM theme_settings").fetch_all(db).await?;
        let overrides: BTreeMap<String, String> = overrides.into_iter().collect();
        found.insert(("theme".into(), "theme".into()), Change::Theme(feed::Theme { overrides }));
    }
    Ok(found)
}

/// Parents of `changes` (branches, registers, employees) not in the page
/// that change again after `cursor`, so a terminal may not have them yet.
async fn missing_parents(db: &PgPool, changes: &[Change], cursor: i64) -> Result<Vec<(String, String)>> {
    let present: BTreeSet<String> = changes.iter().map(Change::key).collect();
    let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
    let mut want = |kind: &str, id: String| {
        if !present.contains(&format!("{kind}:{id}")) {
            wanted.insert((kind.to_owned(), id));
        }
    };
    for change in changes {
        match change {
            Change::Employee(e) => e.branch_id.into_iter().for_each(|b| want("branch", b.to_string())),
            Change::Register(r) => want("branch", r.branch_id.to_string()),
            Change::Product(p) => p.branch_id.into_iter().for_each(|b| want("branch", b.to_string())),
            Change::Assignment(a) => {
                want("register", a.cash_register_id.to_string());
                want("employee", a.user_id.to_string());
                a.assigned_by.into_iter().for_each(|e| want("employee", e.to_string()));
            }
            _ => {}
        }
    }
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let (kinds, ids): (Vec<String>, Vec<String>) = wanted.into_iter().unzip();
    let later: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT f.entity_type, f.entity_id FROM change_feed f
         JOIN UNNEST($1::text[], $2::text[]) AS w(entity_type, entity_id)
           ON f.entity_type = w.entity_type AND f.entity_id = w.entity_id
         WHERE f.seq > $3",
    )
    .bind(&kinds)
    .bind(&ids)
    .bind(cursor)
    .fetch_all(db)
    .await?;
    Ok(later)
}

#[derive(sqlx::FromRow)]
struct RemoteCloseRow {
    id: Uuid,
    cash_session_id: Uuid,
    device_id: String,
    requested_by: Option<Uuid>,
    reason: String,
    requested_at: chrono::DateTime<chrono::Utc>,
    status: String,
}

/// The owner's requests to close a session (`crate::remote_close`): every
/// till receives them, only the one that owns the session acts.
async fn remote_closes(db: &PgPool, ids: &[Uuid]) -> Result<Vec<feed::RemoteClose>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<RemoteCloseRow> = sqlx::query_as(
        "SELECT id, cash_session_id, device_id, requested_by, reason, requested_at, status
         FROM remote_close_requests WHERE id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| feed::RemoteClose {
            id: r.id,
            cash_session_id: r.cash_session_id,
            device_id: r.device_id,
            requested_by: r.requested_by.map(EmployeeId),
            reason: r.reason,
            requested_at: r.requested_at,
            status: r.status,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct BranchRow {
    id: Uuid,
    name: String,
    address: Option<String>,
    phone: Option<String>,
    is_active: bool,
}

async fn branches(db: &PgPool, ids: &[Uuid]) -> Result<Vec<feed::Branch>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<BranchRow> =
        sqlx::query_as("SELECT id, name, address, phone, is_active FROM branches WHERE id = ANY($1)")
            .bind(ids)
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| feed::Branch {
            id: BranchId(r.id),
            name: r.name,
            address: r.address,
            phone: r.phone,
            is_active: r.is_active,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct EmployeeRow {
    id: Uuid,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    role: String,
    branch_id: Option<Uuid>,
    max_discount: i32,
    is_active: bool,
    permissions: Vec<String>,
    pin_hash: Option<String>,
    pin_lookup: Option<Vec<u8>>,
    hlc: i64,
    origin: String,
}

async fn employees(db: &PgPool, ids: &[Uuid]) -> Result<Vec<feed::Employee>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<EmployeeRow> = sqlx::query_as(
        "SELECT e.id, e.name, e.email, e.phone, e.role, e.branch_id, (e.max_discount_pct * 100)::int4 AS max_discount,
                e.is_active, ARRAY(SELECT p.permission::text FROM employee_permissions p WHERE p.employee_id = e.id) AS permissions,
                e.pin_hash, e.pin_lookup, e.hlc, e.origin
         FROM employees e WHERE e.id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(feed::Employee {
                id: EmployeeId(r.id),
                name: r.name,
                email: r.email,
                phone: r.phone,
                role: r.role.parse::<Role>().map_err(DomainError::from)?,
                branch_id: r.branch_id.map(BranchId),
                max_discount_bp: Percent::from_hundredths(r.max_discount as u16)
                    .map_err(DomainError::from)?,
                is_active: r.is_active,
                permissions: PermissionSet::from_codes(&r.permissions).map_err(DomainError::from)?,
                pin_hash: r.pin_hash,
                pin_lookup: r.pin_lookup.map(|l| hex(&l)),
                hlc: Hlc(r.hlc),
                origin: r.origin,
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct RegisterRow {
    id: Uuid,
    branch_id: Uuid,
    name: String,
    register_number: i16,
    device_id: Option<String>,
    is_active: bool,
    hlc: i64,
    origin: String,
}

async fn registers(db: &PgPool, ids: &[Uuid]) -> Result<Vec<feed::Register>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<RegisterRow> = sqlx::query_as(
        "SELECT id, branch_id, name, register_number, device_id, is_active, hlc, origin FROM cash_registers WHERE id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| feed::Register {
            id: r.id,
            branch_id: BranchId(r.branch_id),
            name: r.name,
            register_number: i64::from(r.register_number),
            device_id: r.device_id,
            is_active: r.is_active,
            hlc: Hlc(r.hlc),
            origin: r.origin,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct AssignmentRow {
    id: Uuid,
    cash_register_id: Uuid,
    user_id: Uuid,
    is_active: bool,
    assigned_at: chrono::DateTime<chrono::Utc>,
    assigned_by: Option<Uuid>,
    note: Option<String>,
    hlc: i64,
    origin: String,
}

async fn assignments(db: &PgPool, ids: &[Uuid]) -> Result<Vec<feed::Assignment>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<AssignmentRow> = sqlx::query_as(
        "SELECT id, cash_register_id, user_id, is_active, assigned_at, assigned_by, note, hlc, origin
         FROM cash_register_assignments WHERE id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| feed::Assignment {
            id: r.id,
            cash_register_id: r.cash_register_id,
            user_id: EmployeeId(r.user_id),
            is_active: r.is_active,
            assigned_at: r.assigned_at,
            assigned_by: r.assigned_by.map(EmployeeId),
            note: r.note,
            hlc: Hlc(r.hlc),
            origin: r.origin,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: Uuid,
    branch_id: Option<Uuid>,
    part_number: String,
    barcode: Option<String>,
    name: String,
    brand: Option<String>,
    unit: String,
    cost: i64,
    price_1: i64,
    price_2: i64,
    price_3: i64,
    tax_rate: i32,
    is_active: bool,
}

async fn products(db: &PgPool, ids: &[Uuid]) -> Result<Vec<feed::Product>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<ProductRow> = sqlx::query_as(
        "SELECT id, branch_id, part_number, barcode, name, brand, unit, (cost * 100)::int8 AS cost,
                (price_1 * 100)::int8 AS price_1, (price_2 * 100)::int8 AS price_2, (price_3 * 100)::int8 AS price_3,
                (tax_rate * 10000)::int4 AS tax_rate, is_active
         FROM inventory WHERE id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(feed::Product {
                id: r.id,
                branch_id: r.branch_id.map(BranchId),
                part_number: r.part_number,
                barcode: r.barcode,
                name: r.name,
                brand: r.brand,
                unit: r.unit,
                cost_cents: r.cost,
                price_1_cents: r.price_1,
                price_2_cents: r.price_2,
                price_3_cents: r.price_3,
                tax_rate_bp: Percent::from_hundredths(r.tax_rate as u16).map_err(DomainError::from)?,
                is_active: r.is_active,
            })
        })
        .collect()
}
