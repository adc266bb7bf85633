//! Verifying this terminal's audit chain.
//!
//! Entries are read in `seq` order and re-hashed; the first entry whose
//! content, link or position does not fit is named. The chain must also end
//! where `sync_state` says its head is, so removing the newest entries is
//! found too.

use nexus_domain::audit::{self, AuditEntry, BreakKind, ChainHash, ChainedEntry, GENESIS};
use nexus_domain::sync::hex;
use rusqlite::Connection;
use serde::Serialize;

use crate::Terminal;
use crate::error::Result;
use crate::journal::head_of;
use crate::store::RowExt;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditVerification {
    pub entries: usize,
    pub head_seq: i64,
    pub head_hash: String,
    pub intact: bool,
    /// The first broken link, in words.
    pub broken: Option<BrokenLink>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BrokenLink {
    pub seq: i64,
    /// `edited`, `unlinked`, `out_of_sequence` or `truncated`.
    pub kind: &'static str,
    pub message: String,
}

/// A stored link hash; one of the wrong length is damage, never genesis.
fn to_hash(bytes: &[u8]) -> rusqlite::Result<ChainHash> {
    ChainHash::try_from(bytes).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(bytes.len(), rusqlite::types::Type::Blob, Box::new(e))
    })
}

fn parse_json(text: Option<String>) -> rusqlite::Result<Option<serde_json::Value>> {
    text.map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

/// The stored entries of a chain, in `seq` order.
pub fn load_chain(conn: &Connection, chain: &str) -> Result<Vec<ChainedEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, chain, seq, device_id, employee_id, action, entity_type, entity_id, old_value, new_value, ip_address,
                branch_id, created_at, prev_hash, hash
         FROM audit_log WHERE chain = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([chain], |r| {
        Ok(ChainedEntry {
            entry: AuditEntry {
                id: r.uuid(0)?,
                chain: r.get(1)?,
                seq: r.get(2)?,
                device_id: r.get(3)?,
                employee_id: r.opt_uuid(4)?,
                action: r.get(5)?,
                entity_type: r.get(6)?,
                entity_id: r.get(7)?,
                old_value: parse_json(r.get(8)?)?,
                new_value: parse_json(r.get(9)?)?,
                ip_address: r.get(10)?,
                branch_id: r.opt_uuid(11)?,
                created_at: r.time(12)?,
            },
            prev_hash: to_hash(&r.get::<_, Vec<u8>>(13)?)?,
            hash: to_hash(&r.get::<_, Vec<u8>>(14)?)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Terminal {
    /// Verifies this device's audit chain; needs no login.
    pub fn verify_audit(&self) -> Result<AuditVerification> {
        let device = self.device()?;
        self.store.read(|conn| {
            let entries = load_chain(conn, &device.device_id.to_string())?;
            let (head_seq, head_hash) = head_of(conn)?;
            let verdict = audit::verify_chain(&entries, 1, GENESIS);
            let broken = match verdict {
                Err(b) => Some(BrokenLink {
                    seq: b.seq,
                    kind: match b.kind {
                        BreakKind::Edited => "edited",
                        BreakKind::Unlinked => "unlinked",
                        BreakKind::OutOfSequence { .. } => "out_of_sequence",
                    },
                    message: b.to_string(),
                }),
                Ok(last) if last != head_hash || entries.last().map_or(0, |e| e.entry.seq) != head_seq => {
                    Some(BrokenLink {
                        seq: head_seq,
                        kind: "truncated",
                        message: format!(
                            "faltan entradas al final: la cadena debía terminar en la entrada {head_seq}"
                        ),
                    })
                }
                Ok(_) => None,
            };
            Ok(AuditVerification {
                entries: entries.len(),
                head_seq,
                head_hash: hex(&head_hash),
                intact: broken.is_none(),
                broken,
            })
        })
    }
}
