//! Every action's evidence: its audit entry and its outbox op, written in
//! the action's own transaction.
//!
//! The audit entry is the next link of this device's chain and the op takes
//! the same `seq`, so the outbox is gapless exactly when the chain is. The
//! chain head lives in `sync_state`, updated in the same transaction.

use chrono::{DateTime, Utc};
use nexus_domain::EmployeeId;
use nexus_domain::audit::{self, AuditEntry, ChainHash, ChainedEntry};
use nexus_domain::hlc::Hlc;
use nexus_domain::sync::{AuditRecord, Op, OpKind, WIRE_VERSION};
use rusqlite::{Transaction, params};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::store::ts;

/// What to record for an action.
pub(crate) struct Entry {
    pub kind: OpKind,
    pub employee_id: Option<EmployeeId>,
    pub branch_id: Option<Uuid>,
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: Option<String>,
    pub old_value: Option<Value>,
    pub new_value: Option<Value>,
}

/// The newest link of the device's chain. A head that is not a hash is
/// damage or tampering: reading it as the genesis hash would let the next
/// entry start a fresh, valid-looking chain, so it is an error.
pub(crate) fn head_of(conn: &rusqlite::Connection) -> Result<(i64, ChainHash)> {
    let (seq, hash): (i64, Vec<u8>) =
        conn.query_row("SELECT head_seq, head_hash FROM sync_state WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let head = ChainHash::try_from(hash.as_slice()).map_err(|_| {
        Error::conflict("audit_chain_corrupt", "La cabeza de la cadena de auditoría está dañada")
    })?;
    Ok((seq, head))
}

/// Stamps a reference row this terminal just wrote with its next
/// hybrid-logical-clock version (the stamp and this device as origin), and
/// returns the stamp for the op. `table` is one of the terminal's own
/// reference tables, never user text.
pub(crate) fn stamp_version(
    tx: &Transaction<'_>,
    table: &'static str,
    id: &str,
    device_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Hlc> {
    let last: i64 = tx.query_row("SELECT hlc FROM sync_state WHERE id = 1", [], |r| r.get(0))?;
    let next = Hlc::tick(Hlc(last), now.timestamp_millis());
    tx.execute("UPDATE sync_state SET hlc = ?1 WHERE id = 1", [next.0])?;
    tx.execute(
        &format!("UPDATE {table} SET hlc = ?2, origin = ?3 WHERE id = ?1"),
        params![id, next.0, device_id.to_string()],
    )?;
    Ok(next)
}

/// Appends the audit entry and the op of an action; returns its `seq`.
pub(crate) fn record(
    tx: &Transaction<'_>,
    device_id: Uuid,
    now: DateTime<Utc>,
    entry: Entry,
    payload: &impl Serialize,
) -> Result<i64> {
    let (seq, prev) = head_of(tx)?;
    let device = device_id.to_string();
    let chained = audit::append(
        seq,
        prev,
        AuditEntry {
            id: Uuid::now_v7(),
            chain: device.clone(),
            seq: 0,
            device_id: Some(device.clone()),
            employee_id: entry.employee_id.map(|e| e.0),
            action: entry.action.to_owned(),
            entity_type: Some(entry.entity_type.to_owned()),
            entity_id: entry.entity_id,
            old_value: entry.old_value,
            new_value: entry.new_value,
            ip_address: None,
            branch_id: entry.branch_id,
            created_at: now,
        },
    );
    insert_audit(tx, &chained)?;
    let op = Op {
        v: WIRE_VERSION,
        op_id: Uuid::now_v7(),
        device_id,
        seq: chained.entry.seq,
        kind: entry.kind,
        employee_id: entry.employee_id,
        device_time: chained.entry.created_at,
        payload: serde_json::to_value(payload)?,
        audit: AuditRecord::from(&chained),
    };
    tx.prepare_cached(
        "INSERT INTO outbox (seq, op_id, kind, employee_id, device_time, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        op.seq,
        op.op_id.to_string(),
        op.kind.code(),
        op.employee_id.map(|e| e.to_string()),
        ts(op.device_time),
        serde_json::to_string(&op)?,
    ])?;
    tx.prepare_cached("UPDATE sync_state SET head_seq = ?1, head_hash = ?2 WHERE id = 1")?
        .execute(params![chained.entry.seq, &chained.hash[..]])?;
    Ok(chained.entry.seq)
}

fn json_text(v: &Option<Value>) -> Result<Option<String>> {
    Ok(v.as_ref().map(serde_json::to_string).transpose()?)
}

fn insert_audit(tx: &Transaction<'_>, c: &ChainedEntry) -> Result<()> {
    let e = &c.entry;
    tx.prepare_cached(
        "INSERT INTO audit_log (id, chain, seq, device_id, employee_id, action, entity_type, entity_id, old_value,
                                new_value, ip_address, branch_id, created_at, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        e.id.to_string(),
        e.chain,
        e.seq,
        e.device_id,
        e.employee_id.map(|id| id.to_string()),
        e.action,
        e.entity_type,
        e.entity_id,
        json_text(&e.old_value)?,
        json_text(&e.new_value)?,
        e.ip_address,
        e.branch_id.map(|id| id.to_string()),
        ts(e.created_at),
        &c.prev_hash[..],
        &c.hash[..],
    ])?;
    Ok(())
}
