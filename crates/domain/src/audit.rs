//! The tamper-evident audit chain.
//!
//! Every audit entry names the chain it belongs to (the terminal that wrote
//! it, or `central` for what central itself records) and its position `seq`
//! on that chain, and carries `hash = SHA-256(prev_hash ‖ canonical
//! entry)`. Editing, deleting or reordering any entry breaks every later
//! link, and [`verify_chain`] names the first broken one. The canonical form
//! is a JSON array in fixed order with object keys sorted, so the terminal
//! (SQLite) and central (PostgreSQL `JSONB`, which reorders keys) compute the
//! same bytes from the same entry.

use std::fmt;

use chrono::{DateTime, Datelike, SubsecRound, Timelike, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

pub type ChainHash = [u8; 32];

/// The `prev_hash` of the first entry of every chain.
pub const GENESIS: ChainHash = [0; 32];

/// The chain of entries central writes itself (config API, logins).
pub const CENTRAL_CHAIN: &str = "central";

/// Version tag of the canonical form; a new form gets a new tag.
const CANONICAL_VERSION: &str = "nexus-audit/v1";

/// One audit entry, as stored in `audit_log` on both sides.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    pub id: Uuid,
    /// The chain: a terminal's device id, or [`CENTRAL_CHAIN`].
    pub chain: String,
    pub seq: i64,
    /// The device the action came from, if known.
    pub device_id: Option<String>,
    pub employee_id: Option<Uuid>,
    pub action: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub old_value: Option<Value>,
    pub new_value: Option<Value>,
    pub ip_address: Option<String>,
    pub branch_id: Option<Uuid>,
    /// Truncated to microseconds, the precision both databases keep.
    pub created_at: DateTime<Utc>,
}

/// A stored entry with its links.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainedEntry {
    pub entry: AuditEntry,
    pub prev_hash: ChainHash,
    pub hash: ChainHash,
}

/// Truncates a time to what the databases store, so the hash computed before
/// writing equals the one computed after reading back.
pub fn storage_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// The canonical text of a time in an audit entry.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

impl AuditEntry {
    /// Appends the canonical bytes of this entry to `out`.
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        write_str(out, CANONICAL_VERSION);
        out.push(b',');
        write_uuid(out, self.id);
        out.push(b',');
        write_str(out, &self.chain);
        out.push(b',');
        write_int(out, self.seq);
        out.push(b',');
        write_opt_str(out, self.device_id.as_deref());
        out.push(b',');
        write_opt_uuid(out, self.employee_id);
        out.push(b',');
        write_str(out, &self.action);
        out.push(b',');
        write_opt_str(out, self.entity_type.as_deref());
        out.push(b',');
        write_opt_str(out, self.entity_id.as_deref());
        out.push(b',');
        write_opt_value(out, self.old_value.as_ref());
        out.push(b',');
        write_opt_value(out, self.new_value.as_ref());
        out.push(b',');
        write_opt_str(out, self.ip_address.as_deref());
        out.push(b',');
        write_opt_uuid(out, self.branch_id);
        out.push(b',');
        write_time(out, self.created_at);
        out.push(b']');
    }

    /// `SHA-256(prev ‖ canonical entry)`. `scratch` is reused between calls to
    /// avoid an allocation per entry when verifying long chains.
    pub fn chain_hash(&self, prev: &ChainHash, scratch: &mut Vec<u8>) -> ChainHash {
        scratch.clear();
        scratch.extend_from_slice(prev);
        self.write_canonical(scratch);
        Sha256::digest(&scratch[..]).into()
    }
}

/// A JSON string. Text with nothing to escape (the usual case) is copied
/// as is, which is what `serde_json` writes for it too.
fn write_str(out: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        serde_json::to_writer(&mut *out, s).expect("strings always serialise");
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// Whether any byte is a control character, `"` or `\\`, eight bytes at a
/// time (the classic "has zero byte" and "has byte less than" tricks).
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below = |v: u64, n: u64| v.wrapping_sub(ONES * n) & !v & HIGHS != 0;
    let has = |v: u64, b: u64| below(v ^ (ONES * b), 1);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let v = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        if below(v, 0x20) || has(v, u64::from(b'"')) || has(v, u64::from(b'\\')) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

fn write_int(out: &mut Vec<u8>, n: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

fn write_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

fn write_uuid(out: &mut Vec<u8>, id: Uuid) {
    let mut buf = [0u8; 36];
    out.push(b'"');
    out.extend_from_slice(id.hyphenated().encode_lower(&mut buf).as_bytes());
    out.push(b'"');
}

fn write_opt_uuid(out: &mut Vec<u8>, id: Option<Uuid>) {
    match id {
        Some(id) => write_uuid(out, id),
        None => out.extend_from_slice(b"null"),
    }
}

/// `"YYYY-MM-DDTHH:MM:SS.ffffffZ"`, the same text as [`format_time`],
/// without going through a format string.
fn write_time(out: &mut Vec<u8>, t: DateTime<Utc>) {
    let n = t.naive_utc();
    let digits = |out: &mut Vec<u8>, v: u32, width: usize| {
        let mut buf = [b'0'; 10];
        let mut v = v;
        for i in (0..width).rev() {
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out.extend_from_slice(&buf[..width]);
    };
    let year = n.year();
    if !(0..=9999).contains(&year) {
        write_str(out, &format_time(t));
        return;
    }
    out.push(b'"');
    digits(out, year as u32, 4);
    out.push(b'-');
    digits(out, n.month(), 2);
    out.push(b'-');
    digits(out, n.day(), 2);
    out.push(b'T');
    digits(out, n.hour(), 2);
    out.push(b':');
    digits(out, n.minute(), 2);
    out.push(b':');
    digits(out, n.second(), 2);
    out.push(b'.');
    digits(out, n.nanosecond() / 1000 % 1_000_000, 6);
    out.extend_from_slice(b"Z\"");
}

fn write_opt_value(out: &mut Vec<u8>, v: Option<&Value>) {
    match v {
        Some(v) => write_value(out, v),
        None => out.extend_from_slice(b"null"),
    }
}

/// JSON with object keys sorted, whatever order the map iterates in.
fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Object(map) => {
            out.push(b'{');
            let mut write_pair = |i: usize, k: &String, v: &Value| {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_value(out, v);
            };
            if map.keys().is_sorted() {
                for (i, (k, v)) in map.iter().enumerate() {
                    write_pair(i, k, v);
                }
            } else {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                for (i, k) in keys.into_iter().enumerate() {
                    write_pair(i, k, &map[k]);
                }
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::String(s) => write_str(out, s),
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => match n.as_i64() {
            Some(i) => write_int(out, i),
            None => serde_json::to_writer(&mut *out, n).expect("numbers always serialise"),
        },
    }
}

/// Where and how a chain is broken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    /// The position in the input of the first entry that does not fit.
    pub index: usize,
    /// That entry's `seq`.
    pub seq: i64,
    pub kind: BreakKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BreakKind {
    /// The entry's content does not produce its stored hash: it was edited.
    Edited,
    /// The entry does not point at the previous entry's hash: something
    /// before it was removed, inserted or moved.
    Unlinked,
    /// The entry's `seq` is not the next one: an entry is missing or moved.
    OutOfSequence { expected: i64 },
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            BreakKind::Edited => write!(f, "la entrada {} fue modificada", self.seq),
            BreakKind::Unlinked => write!(f, "la entrada {} no enlaza con la anterior", self.seq),
            BreakKind::OutOfSequence { expected } => {
                write!(f, "se esperaba la entrada {expected} y aparece la {}", self.seq)
            }
        }
    }
}

/// Verifies a chain segment in stored order, starting after the entry with
/// `start_seq - 1` whose hash is `start_prev` (`1` and [`GENESIS`] for a whole
/// chain). Returns the head hash, or the first broken link.
pub fn verify_chain<'a>(
    entries: impl IntoIterator<Item = &'a ChainedEntry>,
    start_seq: i64,
    start_prev: ChainHash,
) -> Result<ChainHash, ChainBreak> {
    let mut scratch = Vec::with_capacity(512);
    let mut prev = start_prev;
    for (expected_seq, (index, e)) in (start_seq..).zip(entries.into_iter().enumerate()) {
        let seq = e.entry.seq;
        if seq != expected_seq {
            return Err(ChainBreak { index, seq, kind: BreakKind::OutOfSequence { expected: expected_seq } });
        }
        if !bool::from(e.prev_hash.ct_eq(&prev)) {
            return Err(ChainBreak { index, seq, kind: BreakKind::Unlinked });
        }
        if !bool::from(e.entry.chain_hash(&prev, &mut scratch).ct_eq(&e.hash)) {
            return Err(ChainBreak { index, seq, kind: BreakKind::Edited });
        }
        prev = e.hash;
    }
    Ok(prev)
}

/// Builds the next link of a chain whose head is `prev` at `prev_seq`.
pub fn append(prev_seq: i64, prev: ChainHash, mut entry: AuditEntry) -> ChainedEntry {
    entry.seq = prev_seq + 1;
    entry.created_at = storage_time(entry.created_at);
    let hash = entry.chain_hash(&prev, &mut Vec::with_capacity(512));
    ChainedEntry { entry, prev_hash: prev, hash }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(n: u128, value: Value) -> AuditEntry {
        AuditEntry {
            id: Uuid::from_u128(n),
            chain: "caja-1".into(),
            seq: 0,
            device_id: Some("caja-1".into()),
            employee_id: Some(Uuid::from_u128(77)),
            action: "SALE".into(),
            entity_type: Some("sale".into()),
            entity_id: Some(Uuid::from_u128(1000 + n).to_string()),
            old_value: None,
            new_value: Some(value),
            ip_address: None,
            branch_id: None,
            created_at: DateTime::from_timestamp(1_800_000_000, 123_456_789).unwrap(),
        }
    }

    fn chain(n: usize) -> Vec<ChainedEntry> {
        let mut out: Vec<ChainedEntry> = Vec::new();
        for i in 0..n {
            let (seq, prev) = out.last().map_or((0, GENESIS), |e| (e.entry.seq, e.hash));
            out.push(append(seq, prev, entry(i as u128, json!({"total": i * 100, "items": [1, 2]}))));
        }
        out
    }

    #[test]
    fn an_untouched_chain_verifies_to_its_head() {
        let c = chain(5);
        assert_eq!(verify_chain(&c, 1, GENESIS), Ok(c[4].hash));
        assert_eq!(verify_chain(&c[2..], 3, c[1].hash), Ok(c[4].hash));
    }

    #[test]
    fn an_edited_entry_is_named() {
        let mut c = chain(5);
        c[2].entry.new_value = Some(json!({"total": 1, "items": [1, 2]}));
        let b = verify_chain(&c, 1, GENESIS).unwrap_err();
        assert_eq!((b.seq, b.kind), (3, BreakKind::Edited));
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let mut c = chain(5);
        c.remove(1);
        let b = verify_chain(&c, 1, GENESIS).unwrap_err();
        assert_eq!((b.index, b.kind), (1, BreakKind::OutOfSequence { expected: 2 }));
    }

    #[test]
    fn reordered_entries_are_named_even_with_their_seqs_swapped() {
        let mut c = chain(5);
        c.swap(1, 2);
        let b = verify_chain(&c, 1, GENESIS).unwrap_err();
        assert_eq!(b.index, 1);
        let (s1, s2) = (c[1].entry.seq, c[2].entry.seq);
        c[1].entry.seq = s2;
        c[2].entry.seq = s1;
        let b = verify_chain(&c, 1, GENESIS).unwrap_err();
        assert_eq!((b.index, b.kind), (1, BreakKind::Unlinked));
    }

    #[test]
    fn key_order_of_stored_json_does_not_change_the_hash() {
        let a = entry(1, json!({"b": 1, "a": {"y": [1, {"d": 2, "c": 3}], "x": null}}));
        let mut reordered = a.clone();
        let text = r#"{"a": {"x": null, "y": [1, {"c": 3, "d": 2}]}, "b": 1}"#;
        reordered.new_value = Some(serde_json::from_str(text).unwrap());
        let (mut s1, mut s2) = (Vec::new(), Vec::new());
        assert_eq!(a.chain_hash(&GENESIS, &mut s1), reordered.chain_hash(&GENESIS, &mut s2));
    }

    proptest::proptest! {
        #[test]
        fn the_fast_canonical_form_is_plain_json(
            secs in 0i64..253_402_300_799,
            micros in 0u32..1_000_000,
            text in "\\PC{0,20}",
            n in proptest::num::i64::ANY,
        ) {
            let mut e = entry(7, json!({"z": text, "a": [n, null, true, {"y": 1.5, "b": text}]}));
            e.created_at = DateTime::from_timestamp(secs, micros * 1000).unwrap();
            e.action = text.clone();
            e.entity_id = None;
            let mut fast = Vec::new();
            e.write_canonical(&mut fast);
            let reference = serde_json::to_vec(&json!([
                CANONICAL_VERSION, e.id, e.chain, e.seq, e.device_id, e.employee_id, e.action, e.entity_type,
                e.entity_id, e.old_value, e.new_value, e.ip_address, e.branch_id, format_time(e.created_at),
            ]))
            .unwrap();
            proptest::prop_assert_eq!(String::from_utf8(fast).unwrap(), String::from_utf8(reference).unwrap());
        }
    }

    #[test]
    fn escaping_is_detected_in_every_position() {
        for len in 0..20 {
            for pos in 0..len {
                for special in [b'"', b'\\', b'\n', 0x00, 0x1f] {
                    let mut bytes = vec![b'a'; len];
                    bytes[pos] = special;
                    assert!(needs_escape(&bytes), "{bytes:?}");
                }
            }
            assert!(!needs_escape(&vec![b'a'; len]));
            assert!(!needs_escape("ñé €ü".repeat(len).as_bytes()));
        }
        assert!(!needs_escape(b" !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~\x7f"));
    }

    #[test]
    fn times_keep_microseconds_only() {
        let e = append(0, GENESIS, entry(1, json!(null)));
        assert_eq!(format_time(e.entry.created_at), "2027-01-15T08:00:00.123456Z");
    }
}
