//! An op as it arrives: of a kind this central knows, or one it keeps
//! verbatim until a central that knows the kind applies it.
//!
//! A terminal on a newer version may send kinds this build has never heard
//! of. Refusing the batch would leave that terminal retrying forever, so an
//! op whose envelope is whole but whose kind is unknown is parked: its text
//! is kept byte for byte, its audit entry still joins the device's chain,
//! and its seq is settled like any other.

use chrono::{DateTime, Utc};
use nexus_domain::EmployeeId;
use nexus_domain::sync::{AuditRecord, DeviceReport, Op, OpKind};
use serde::Deserialize;
use serde_json::value::RawValue;
use uuid::Uuid;

/// The longest kind a parked op may name.
pub const MAX_KIND_CHARS: usize = 80;

/// `POST /v1/sync/push` as read off the wire: each op left as text until it
/// is decoded on its own.
#[derive(Deserialize)]
pub struct PushBody {
    pub ops: Vec<Box<RawValue>>,
    /// How the terminal stands, for headquarters' board; older terminals
    /// send none.
    #[serde(default)]
    pub report: Option<DeviceReport>,
}

/// What every op carries whatever its kind.
#[derive(Clone, Debug, Deserialize)]
pub struct Envelope {
    pub v: u16,
    pub op_id: Uuid,
    pub device_id: Uuid,
    pub seq: i64,
    pub kind: String,
    pub employee_id: Option<EmployeeId>,
    pub device_time: DateTime<Utc>,
    pub audit: AuditRecord,
}

/// An op of a kind this central does not know, with its text as received.
#[derive(Clone, Debug)]
pub struct UnknownOp {
    pub envelope: Envelope,
    pub raw: String,
}

#[derive(Clone, Debug)]
pub enum Arrived {
    Known(Op),
    Unknown(UnknownOp),
}

impl Arrived {
    pub fn seq(&self) -> i64 {
        match self {
            Arrived::Known(op) => op.seq,
            Arrived::Unknown(u) => u.envelope.seq,
        }
    }

    pub fn device_id(&self) -> Uuid {
        match self {
            Arrived::Known(op) => op.device_id,
            Arrived::Unknown(u) => u.envelope.device_id,
        }
    }
}

/// Whether this build knows an op kind.
pub fn known_kind(kind: &str) -> bool {
    serde_json::from_value::<OpKind>(serde_json::Value::String(kind.to_owned())).is_ok()
}

/// A kind a newer terminal could have made: snake_case, short.
fn plausible_kind(kind: &str) -> bool {
    !kind.is_empty()
        && kind.len() <= MAX_KIND_CHARS
        && kind.starts_with(|c: char| c.is_ascii_lowercase())
        && kind.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Decodes one op. An op this build cannot read is an error unless the only
/// thing wrong with it is a kind this build does not know.
pub fn decode(raw: &RawValue) -> Result<Arrived, serde_json::Error> {
    let known = serde_json::from_str::<Op>(raw.get());
    match known {
        Ok(op) => Ok(Arrived::Known(op)),
        Err(e) => match serde_json::from_str::<Envelope>(raw.get()) {
            Ok(envelope) if !known_kind(&envelope.kind) && plausible_kind(&envelope.kind) => {
                Ok(Arrived::Unknown(UnknownOp { envelope, raw: raw.get().to_owned() }))
            }
            _ => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(kind: &str) -> String {
        format!(
            r#"{{"v":1,"op_id":"{id}","device_id":"{id}","seq":3,"kind":"{kind}","employee_id":null,
                "device_time":"2026-01-01T00:00:00Z","payload":{{"x":1}},
                "audit":{{"id":"{id}","chain":"c","seq":3,"device_id":null,"employee_id":null,"action":"X",
                          "entity_type":null,"entity_id":null,"old_value":null,"new_value":null,"ip_address":null,
                          "branch_id":null,"created_at":"2026-01-01T00:00:00Z","prev_hash":"00","hash":"00"}}}}"#,
            id = Uuid::nil()
        )
    }

    fn raw(text: String) -> Box<RawValue> {
        RawValue::from_string(text).unwrap()
    }

    #[test]
    fn an_unknown_kind_is_kept_verbatim_and_a_malformed_op_is_an_error() {
        let text = op("stock_counted");
        match decode(&raw(text.clone())).unwrap() {
            Arrived::Unknown(u) => {
                assert_eq!(u.raw, text);
                assert_eq!((u.envelope.seq, u.envelope.kind.as_str()), (3, "stock_counted"));
            }
            other => panic!("{other:?}"),
        }
        assert!(decode(&raw(op("Not A Kind"))).is_err());
        assert!(decode(&raw(r#"{"seq":1}"#.into())).is_err());
        // A known kind is read as such; its payload is checked when applied.
        assert!(matches!(decode(&raw(op("access"))), Ok(Arrived::Known(_))));
    }
}
