//! The devices' audit entries, as central stores them.

use nexus_domain::audit::{AuditEntry, ChainHash, ChainedEntry, GENESIS};
use serde_json::Value;
use sqlx::PgConnection;

pub(super) fn to_hash(bytes: &[u8]) -> ChainHash {
    let mut out = GENESIS;
    if bytes.len() == 32 {
        out.copy_from_slice(bytes);
    }
    out
}

pub(super) async fn insert_audit(tx: &mut PgConnection, entries: &[ChainedEntry]) -> Result<(), sqlx::Error> {
    if entries.is_empty() {
        return Ok(());
    }
    let e = |f: fn(&AuditEntry) -> Option<String>| entries.iter().map(|c| f(&c.entry)).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO audit_log (id, chain, seq, device_id, employee_id, action, entity_type, entity_id, old_value, new_value,
                                ip_address, branch_id, created_at, prev_hash, hash)
         SELECT id, chain, seq, device, employee, action, etype, eid, old::jsonb, new::jsonb, ip, branch, created, prev, hash
         FROM unnest($1::uuid[], $2::text[], $3::int8[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[],
                     $9::text[], $10::text[], $11::text[], $12::uuid[], $13::timestamptz[], $14::bytea[], $15::bytea[])
              AS t(id, chain, seq, device, employee, action, etype, eid, old, new, ip, branch, created, prev, hash)
         ON CONFLICT DO NOTHING",
    )
    .bind(entries.iter().map(|c| c.entry.id).collect::<Vec<_>>())
    .bind(entries.iter().map(|c| c.entry.chain.as_str()).collect::<Vec<_>>())
    .bind(entries.iter().map(|c| c.entry.seq).collect::<Vec<_>>())
    .bind(e(|a| a.device_id.clone()))
    .bind(entries.iter().map(|c| c.entry.employee_id).collect::<Vec<_>>())
    .bind(entries.iter().map(|c| c.entry.action.as_str()).collect::<Vec<_>>())
    .bind(e(|a| a.entity_type.clone()))
    .bind(e(|a| a.entity_id.clone()))
    .bind(e(|a| a.old_value.as_ref().map(Value::to_string)))
    .bind(e(|a| a.new_value.as_ref().map(Value::to_string)))
    .bind(e(|a| a.ip_address.clone()))
    .bind(entries.iter().map(|c| c.entry.branch_id).collect::<Vec<_>>())
    .bind(entries.iter().map(|c| c.entry.created_at).collect::<Vec<_>>())
    .bind(entries.iter().map(|c| c.prev_hash.to_vec()).collect::<Vec<_>>())
    .bind(entries.iter().map(|c| c.hash.to_vec()).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
