//! Central's own audit entries.
//!
//! Every mutation central performs in a tenant database writes an entry in
//! the same transaction, on the tenant's `central` chain. Entries are chained
//! like a terminal's (`nexus_domain::audit`); a transaction-scoped advisory
//! lock keeps the chain linear when several requests or several central
//! instances write at once.

use chrono::Utc;
use nexus_domain::audit::{self, AuditEntry, CENTRAL_CHAIN, ChainBreak, ChainHash, ChainedEntry, GENESIS};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

const CENTRAL_CHAIN_LOCK: i64 = 0x6e65_7875_735f_0010;

/// Who did it, from where.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub employee_id: Option<Uuid>,
    pub device_id: Option<String>,
    pub ip_address: Option<String>,
    pub branch_id: Option<Uuid>,
}

/// What was done.
#[derive(Clone, Debug)]
pub struct Change {
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: Option<String>,
    pub old_value: Option<Value>,
    pub new_value: Option<Value>,
}

/// Appends an entry to the tenant's `central` chain inside `tx`.
pub async fn record(tx: &mut PgConnection, origin: &Origin, change: Change) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(CENTRAL_CHAIN_LOCK).execute(&mut *tx).await?;
    let head: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log WHERE chain = $1 ORDER BY seq DESC LIMIT 1")
            .bind(CENTRAL_CHAIN)
            .fetch_optional(&mut *tx)
            .await?;
    let (seq, prev) = match head {
        Some((seq, hash)) => (seq, to_hash(&hash)),
        None => (0, GENESIS),
    };
    let entry = AuditEntry {
        id: Uuid::now_v7(),
        chain: CENTRAL_CHAIN.to_owned(),
        seq: 0,
        device_id: origin.device_id.clone(),
        employee_id: origin.employee_id,
        action: change.action.to_owned(),
        entity_type: Some(change.entity_type.to_owned()),
        entity_id: change.entity_id,
        old_value: change.old_value,
        new_value: change.new_value,
        ip_address: origin.ip_address.clone(),
        branch_id: origin.branch_id,
        created_at: Utc::now(),
    };
    insert(tx, &audit::append(seq, prev, entry)).await
}

/// Stores an entry whose links are already computed.
pub async fn insert(tx: &mut PgConnection, e: &ChainedEntry) -> sqlx::Result<()> {
    let a = &e.entry;
    sqlx::query(
        "INSERT INTO audit_log (id, chain, seq, device_id, employee_id, action, entity_type, entity_id,
                                old_value, new_value, ip_address, branch_id, created_at, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(a.id)
    .bind(&a.chain)
    .bind(a.seq)
    .bind(&a.device_id)
    .bind(a.employee_id)
    .bind(&a.action)
    .bind(&a.entity_type)
    .bind(&a.entity_id)
    .bind(&a.old_value)
    .bind(&a.new_value)
    .bind(&a.ip_address)
    .bind(a.branch_id)
    .bind(a.created_at)
    .bind(&e.prev_hash[..])
    .bind(&e.hash[..])
    .execute(&mut *tx)
    .await?;
    Ok(())
}

fn to_hash(bytes: &[u8]) -> ChainHash {
    let mut out = GENESIS;
    if bytes.len() == out.len() {
        out.copy_from_slice(bytes);
    }
    out
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    chain: String,
    seq: i64,
    device_id: Option<String>,
    employee_id: Option<Uuid>,
    action: String,
    entity_type: Option<String>,
    entity_id: Option<String>,
    old_value: Option<Value>,
    new_value: Option<Value>,
    ip_address: Option<String>,
    branch_id: Option<Uuid>,
    created_at: chrono::DateTime<Utc>,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

/// Loads a whole chain in `seq` order.
pub async fn load_chain(conn: &mut PgConnection, chain: &str) -> sqlx::Result<Vec<ChainedEntry>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, chain, seq, device_id, employee_id, action, entity_type, entity_id, old_value, new_value,
                ip_address, branch_id, created_at, prev_hash, hash
         FROM audit_log WHERE chain = $1 ORDER BY seq",
    )
    .bind(chain)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ChainedEntry {
            prev_hash: to_hash(&r.prev_hash),
            hash: to_hash(&r.hash),
            entry: AuditEntry {
                id: r.id,
                chain: r.chain,
                seq: r.seq,
                device_id: r.device_id,
                employee_id: r.employee_id,
                action: r.action,
                entity_type: r.entity_type,
                entity_id: r.entity_id,
                old_value: r.old_value,
                new_value: r.new_value,
                ip_address: r.ip_address,
                branch_id: r.branch_id,
                created_at: r.created_at,
            },
        })
        .collect())
}

/// Verifies a whole chain as stored; returns its head or the first break.
pub async fn verify_chain(
    conn: &mut PgConnection,
    chain: &str,
) -> anyhow::Result<Result<ChainHash, ChainBreak>> {
    let entries = load_chain(conn, chain).await?;
    Ok(audit::verify_chain(&entries, 1, GENESIS))
}

/// What the audit log is searched by (every field optional).
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    /// The employee who acted.
    pub employee_id: Option<Uuid>,
    /// What was done (`SALE_CREATE`…); a trailing `*` matches a prefix.
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// The chain: a device id, or `central`.
    pub chain: Option<String>,
    /// From this day (UTC), inclusive.
    pub from: Option<chrono::NaiveDate>,
    /// To this day (UTC), inclusive.
    pub to: Option<chrono::NaiveDate>,
    /// At most this many entries (1 to 500; 100 by default), newest first.
    pub limit: Option<i64>,
}

/// An audit entry as people read it (hashes in hex).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct AuditRecord {
    pub id: Uuid,
    pub chain: String,
    pub seq: i64,
    pub device_id: Option<String>,
    pub employee_id: Option<Uuid>,
    pub employee_name: Option<String>,
    pub action: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub old_value: Option<Value>,
    pub new_value: Option<Value>,
    pub ip_address: Option<String>,
    pub created_at: chrono::DateTime<Utc>,
}

fn filter_text(field: &'static str, value: &Option<String>) -> crate::Result<Option<String>> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > 200 || v.chars().any(char::is_control) => {
            Err(nexus_domain::DomainError::Invalid { field, reason: "no es un filtro válido" }.into())
        }
        Some(v) => Ok(Some(v.to_owned())),
    }
}

/// Audit entries matching a filter, newest first.
pub async fn search(db: &sqlx::PgPool, f: &AuditFilter) -> crate::Result<Vec<AuditRecord>> {
    let limit = f.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(
            nexus_domain::DomainError::Invalid { field: "limit", reason: "debe ser de 1 a 500" }.into()
        );
    }
    if let (Some(from), Some(to)) = (f.from, f.to)
        && from > to
    {
        return Err(
            nexus_domain::DomainError::Invalid { field: "from", reason: "es posterior a «to»" }.into()
        );
    }
    let action = filter_text("action", &f.action)?;
    let (action, prefix) = match action {
        Some(a) if a.ends_with('*') => (Some(a.trim_end_matches('*').replace(['%', '_'], "")), true),
        other => (other, false),
    };
    Ok(sqlx::query_as(
        "SELECT a.id, a.chain, a.seq, a.device_id, a.employee_id, e.name AS employee_name, a.action,
                a.entity_type, a.entity_id, a.old_value, a.new_value, a.ip_address, a.created_at
         FROM audit_log a LEFT JOIN employees e ON e.id = a.employee_id
         WHERE ($1::uuid IS NULL OR a.employee_id = $1)
           AND ($2::text IS NULL OR (CASE WHEN $3 THEN a.action LIKE $2 || '%' ELSE a.action = $2 END))
           AND ($4::text IS NULL OR a.entity_type = $4)
           AND ($5::text IS NULL OR a.entity_id = $5)
           AND ($6::text IS NULL OR a.chain = $6)
           AND ($7::date IS NULL OR a.created_at >= $7::date)
           AND ($8::date IS NULL OR a.created_at < $8::date + 1)
         ORDER BY a.created_at DESC, a.id DESC LIMIT $9",
    )
    .bind(f.employee_id)
    .bind(action)
    .bind(prefix)
    .bind(filter_text("entity_type", &f.entity_type)?)
    .bind(filter_text("entity_id", &f.entity_id)?)
    .bind(filter_text("chain", &f.chain)?)
    .bind(f.from)
    .bind(f.to)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// A chain of the tenant's audit log: central's own, or one per device.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct ChainSummary {
    pub chain: String,
    pub entries: i64,
    pub last_seq: i64,
    pub last_at: chrono::DateTime<Utc>,
}

pub async fn chains(db: &sqlx::PgPool) -> crate::Result<Vec<ChainSummary>> {
    Ok(sqlx::query_as(
        "SELECT chain, count(*) AS entries, max(seq) AS last_seq, max(created_at) AS last_at
         FROM audit_log GROUP BY chain ORDER BY chain = 'central' DESC, max(created_at) DESC",
    )
    .fetch_all(db)
    .await?)
}

/// What verifying a chain found.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ChainVerdict {
    pub chain: String,
    pub entries: usize,
    pub intact: bool,
    /// The hash of the last entry (hex), when the chain is intact.
    pub head: Option<String>,
    /// The first entry that does not fit, when it is not.
    pub broken_seq: Option<i64>,
    /// Why, in Spanish.
    pub reason: Option<String>,
}

/// Verifies one chain from its first entry, naming the first broken link.
pub async fn verify(db: &sqlx::PgPool, chain: &str) -> crate::Result<ChainVerdict> {
    let mut conn = db.acquire().await?;
    let entries = load_chain(&mut conn, chain).await?;
    if entries.is_empty() {
        return Err(crate::Error::not_found("chain_not_found", "Esa cadena de auditoría no existe"));
    }
    let verdict = match audit::verify_chain(&entries, 1, GENESIS) {
        Ok(head) => ChainVerdict {
            chain: chain.to_owned(),
            entries: entries.len(),
            intact: true,
            head: Some(hex::encode(head)),
            broken_seq: None,
            reason: None,
        },
        Err(b) => ChainVerdict {
            chain: chain.to_owned(),
            entries: entries.len(),
            intact: false,
            head: None,
            broken_seq: Some(b.seq),
            reason: Some(b.to_string()),
        },
    };
    Ok(verdict)
}
