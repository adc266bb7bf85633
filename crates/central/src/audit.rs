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
