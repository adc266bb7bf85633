//! The sync wire format: operations a terminal records in its outbox and
//! pushes to central.
//!
//! Every action at a terminal commits its rows, its audit entry and one
//! [`Op`] together. An op carries a per-device `seq` (gapless, increasing,
//! equal to its audit entry's place on the device's chain), the kind, the
//! acting employee, the device's clock, a typed payload and the audit entry
//! itself, so central receives the effect and its evidence in one piece. The
//! format is versioned by [`WIRE_VERSION`]; money is integer cents.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::audit::{AuditEntry, ChainHash, ChainedEntry};
use crate::cash::{DenominationCount, DrawerTotals};
use crate::hlc::Hlc;
use crate::sale::{PaymentMethod, SaleTotals};
use crate::{BranchId, EmployeeId, Percent, PermissionSet, Role};

pub const WIRE_VERSION: u16 = 1;

/// What an op did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// A standalone store was set up on this terminal.
    StoreSetUp,
    /// A PIN attempt, a lock or a logout: evidence only.
    Access,
    EmployeeSaved,
    RegisterSaved,
    AssignmentSaved,
    CustomerSaved,
    SessionOpened,
    SessionClosed,
    /// A session closed at the till on the owner's remote-close request:
    /// not counted.
    SessionClosedByOwner,
    SaleCompleted,
    SaleCancelled,
    CashMoved,
    LayawayCreated,
    LayawayPaid,
}

impl OpKind {
    pub fn code(self) -> &'static str {
        match self {
            OpKind::StoreSetUp => "store_set_up",
            OpKind::Access => "access",
            OpKind::EmployeeSaved => "employee_saved",
            OpKind::RegisterSaved => "register_saved",
            OpKind::AssignmentSaved => "assignment_saved",
            OpKind::CustomerSaved => "customer_saved",
            OpKind::SessionOpened => "session_opened",
            OpKind::SessionClosed => "session_closed",
            OpKind::SessionClosedByOwner => "session_closed_by_owner",
            OpKind::SaleCompleted => "sale_completed",
            OpKind::SaleCancelled => "sale_cancelled",
            OpKind::CashMoved => "cash_moved",
            OpKind::LayawayCreated => "layaway_created",
            OpKind::LayawayPaid => "layaway_paid",
        }
    }
}

/// One outbox operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Op {
    pub v: u16,
    pub op_id: Uuid,
    pub device_id: Uuid,
    pub seq: i64,
    pub kind: OpKind,
    pub employee_id: Option<EmployeeId>,
    pub device_time: DateTime<Utc>,
    pub payload: Value,
    pub audit: AuditRecord,
}

/// An audit entry with its links, as it travels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: Uuid,
    pub chain: String,
    pub seq: i64,
    pub device_id: Option<String>,
    pub employee_id: Option<Uuid>,
    pub action: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub old_value: Option<Value>,
    pub new_value: Option<Value>,
    pub ip_address: Option<String>,
    pub branch_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// Hex of the 32-byte hashes.
    pub prev_hash: String,
    pub hash: String,
}

impl From<&ChainedEntry> for AuditRecord {
    fn from(c: &ChainedEntry) -> AuditRecord {
        let e = &c.entry;
        AuditRecord {
            id: e.id,
            chain: e.chain.clone(),
            seq: e.seq,
            device_id: e.device_id.clone(),
            employee_id: e.employee_id,
            action: e.action.clone(),
            entity_type: e.entity_type.clone(),
            entity_id: e.entity_id.clone(),
            old_value: e.old_value.clone(),
            new_value: e.new_value.clone(),
            ip_address: e.ip_address.clone(),
            branch_id: e.branch_id,
            created_at: e.created_at,
            prev_hash: hex(&c.prev_hash),
            hash: hex(&c.hash),
        }
    }
}

impl TryFrom<&AuditRecord> for ChainedEntry {
    type Error = BadHash;
    fn try_from(r: &AuditRecord) -> Result<ChainedEntry, BadHash> {
        Ok(ChainedEntry {
            entry: AuditEntry {
                id: r.id,
                chain: r.chain.clone(),
                seq: r.seq,
                device_id: r.device_id.clone(),
                employee_id: r.employee_id,
                action: r.action.clone(),
                entity_type: r.entity_type.clone(),
                entity_id: r.entity_id.clone(),
                old_value: r.old_value.clone(),
                new_value: r.new_value.clone(),
                ip_address: r.ip_address.clone(),
                branch_id: r.branch_id,
                created_at: r.created_at,
            },
            prev_hash: unhex(&r.prev_hash)?,
            hash: unhex(&r.hash)?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a hash is not 64 hexadecimal digits")]
pub struct BadHash;

/// Lowercase hex, the one spelling hashes and keys have on the wire.
pub fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// A 32-byte hash from its 64 lowercase hex digits; any other spelling is
/// refused, so one hash never has two forms.
pub fn unhex(text: &str) -> Result<ChainHash, BadHash> {
    if text.bytes().any(|c| c.is_ascii_uppercase()) {
        return Err(BadHash);
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).map_err(|_| BadHash)?;
    Ok(out)
}

/// The payloads, one per kind.
pub mod payload {
    use super::*;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct StoreSetUp {
        pub tenant_id: Uuid,
        pub store_name: String,
        pub branch_id: BranchId,
        pub owner_id: EmployeeId,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct Access {
        /// `login`, `login_failed`, `login_blocked`, `lock`, `auto_lock`, `logout`.
        pub event: String,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct EmployeeSaved {
        pub id: EmployeeId,
        pub name: String,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub role: Role,
        pub branch_id: Option<BranchId>,
        pub max_discount_bp: Percent,
        pub is_active: bool,
        pub permissions: PermissionSet,
        pub pin_hash: String,
        /// Hex of the keyed PIN lookup.
        pub pin_lookup: String,
        pub updated_at: DateTime<Utc>,
        /// When the edit happened, for last-writer-wins.
        #[serde(default)]
        pub hlc: Hlc,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct RegisterSaved {
        pub id: Uuid,
        pub branch_id: BranchId,
        pub name: String,
        pub register_number: i64,
        pub device_id: Option<String>,
        pub is_active: bool,
        pub updated_at: DateTime<Utc>,
        #[serde(default)]
        pub hlc: Hlc,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct AssignmentSaved {
        pub id: Uuid,
        pub cash_register_id: Uuid,
        pub user_id: EmployeeId,
        pub is_active: bool,
        pub assigned_at: DateTime<Utc>,
        pub assigned_by: Option<EmployeeId>,
        pub note: Option<String>,
        #[serde(default)]
        pub hlc: Hlc,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct CustomerSaved {
        pub id: Uuid,
        pub branch_id: Option<BranchId>,
        pub name: String,
        pub phone: Option<String>,
        pub rfc: Option<String>,
        pub price_tier: u8,
        pub created_at: DateTime<Utc>,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct SessionOpened {
        pub session_id: Uuid,
        pub cash_register_id: Uuid,
        pub opened_by: EmployeeId,
        pub opening_cents: i64,
        pub opened_at: DateTime<Utc>,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct SessionClosed {
        pub session_id: Uuid,
        pub closed_by: EmployeeId,
        pub counted_cents: i64,
        pub expected_cents: i64,
        pub difference_cents: i64,
        pub denominations: Option<DenominationCount>,
        pub drawer: DrawerTotals,
        pub closed_at: DateTime<Utc>,
    }

    /// A session the till closed because the owner asked central to: no
    /// count, so no counted amount and no difference; the expected cash as
    /// the till computed it.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct SessionClosedByOwner {
        pub session_id: Uuid,
        /// The request at central this close answers.
        pub request_id: Uuid,
        /// The owner who asked, as the employee they are.
        pub closed_by: Option<EmployeeId>,
        pub expected_cents: i64,
        pub drawer: DrawerTotals,
        pub closed_at: DateTime<Utc>,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct SaleItem {
        pub id: Uuid,
        pub inventory_id: Uuid,
        pub part_number: String,
        pub name: String,
        pub quantity: i64,
        pub unit_price_cents: i64,
        pub unit_cost_cents: i64,
        pub discount_bp: Percent,
        pub discount_cents: i64,
        pub tax_rate_bp: Percent,
        pub tax_cents: i64,
        pub subtotal_cents: i64,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct SalePayment {
        pub id: Uuid,
        /// `efectivo`, `tarjeta` or `transferencia`.
        pub method: PaymentMethod,
        pub amount_cents: i64,
        pub tendered_cents: i64,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct StockMove {
        pub id: Uuid,
        pub inventory_id: Uuid,
        pub branch_id: BranchId,
        /// `SALE`, `CANCEL`, …
        pub operation_type: String,
        pub quantity: i64,
        pub cost_cents: i64,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct SaleCompleted {
        pub sale_id: Uuid,
        pub branch_id: BranchId,
        pub customer_id: Option<Uuid>,
        pub employee_id: EmployeeId,
        pub register_id: Uuid,
        pub cash_session_id: Uuid,
        pub price_tier: u8,
        pub payment_method: PaymentMethod,
        pub totals: SaleTotals,
        pub amount_paid_cents: i64,
        pub change_cents: i64,
        pub items: Vec<SaleItem>,
        pub payments: Vec<SalePayment>,
        pub stock: Vec<StockMove>,
        pub created_at: DateTime<Utc>,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct SaleCancelled {
        pub sale_id: Uuid,
        pub cancelled_by: EmployeeId,
        pub reason: String,
        /// The session the cash refund left, with its movement.
        pub refund: Option<CashMoved>,
        pub stock: Vec<StockMove>,
        pub cancelled_at: DateTime<Utc>,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct CashMoved {
        pub movement_id: Uuid,
        pub cash_session_id: Uuid,
        /// `in`, `out` or `expense`.
        pub kind: String,
        pub amount_cents: i64,
        pub reason: String,
        pub employee_id: EmployeeId,
        pub created_at: DateTime<Utc>,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct LayawayCreated {
        pub layaway_id: Uuid,
        pub branch_id: BranchId,
        pub customer_id: Uuid,
        pub employee_id: EmployeeId,
        pub total_cents: i64,
        pub expires_at: Option<chrono::NaiveDate>,
        pub notes: Option<String>,
        pub created_at: DateTime<Utc>,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct LayawayPaid {
        pub payment_id: Uuid,
        pub layaway_id: Uuid,
        pub cash_session_id: Uuid,
        pub amount_cents: i64,
        pub payment_method: PaymentMethod,
        pub employee_id: EmployeeId,
        pub created_at: DateTime<Utc>,
    }
}

/// `POST /v1/sync/push`: a device's ops, in seq order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub ops: Vec<Op>,
    /// How the terminal stands; absent from terminals older than the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<DeviceReport>,
}

/// The longest app version a report may carry.
pub const MAX_APP_VERSION_CHARS: usize = 40;

/// What a terminal says about itself with each push and pull: what central
/// cannot see from its side. Headquarters shows it on the live board and
/// trusts it for nothing else. On a pull it travels as the query parameters
/// `pending_ops`, `oldest_pending_at` and `app_version`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceReport {
    /// Ops in the outbox central has not settled yet.
    pub pending_ops: i64,
    /// When the oldest of them was made, by the device's clock.
    #[serde(default)]
    pub oldest_pending_at: Option<DateTime<Utc>>,
    /// The version of the app sending it.
    #[serde(default)]
    pub app_version: String,
}

impl DeviceReport {
    /// Refuses what no terminal would send: a negative count, an oldest op
    /// without pending ones, a version that is too long or has control
    /// characters.
    pub fn check(&self) -> Result<(), crate::DomainError> {
        use crate::DomainError::{Invalid, TooLong};
        if self.pending_ops < 0 {
            return Err(Invalid { field: "pending_ops", reason: "no puede ser negativo" });
        }
        if self.pending_ops == 0 && self.oldest_pending_at.is_some() {
            return Err(Invalid {
                field: "oldest_pending_at",
                reason: "sin operaciones pendientes no hay una más antigua",
            });
        }
        if self.app_version.chars().count() > MAX_APP_VERSION_CHARS {
            return Err(TooLong { field: "app_version", max: MAX_APP_VERSION_CHARS });
        }
        if self.app_version.chars().any(char::is_control) {
            return Err(Invalid { field: "app_version", reason: "contiene caracteres de control" });
        }
        Ok(())
    }
}

/// An op central refused for good; its seq is settled anyway.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub seq: i64,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Every op up to this seq is settled (applied or rejected): the
    /// terminal may stop sending them.
    pub settled_seq: i64,
    pub applied: usize,
    pub duplicates: usize,
    pub rejected: Vec<Rejected>,
    pub conflicts: usize,
    /// The batch skipped a seq; ops after the gap were not applied.
    pub gap: bool,
    /// Ops settled but waiting for an owner's approval at headquarters
    /// (they raise privileges).
    #[serde(default)]
    pub held: usize,
    /// Ops of a kind this central does not know yet: kept verbatim, settled,
    /// applied by a central that knows them.
    #[serde(default)]
    pub parked: usize,
}

/// `POST /v1/devices/enroll`: a one-time code for a device credential.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollRequest {
    pub code: String,
    pub device_name: String,
}

/// What a terminal receives for its code. The secrets are wrapped: `Debug`
/// (and so any log line or panic) prints them redacted, and they are zeroed
/// when dropped. Central writes this answer with its own type.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollResponse {
    pub device_id: Uuid,
    /// The device's secret credential, shown once.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub credential: secrecy::SecretString,
    pub tenant_id: crate::TenantId,
    pub tenant_name: String,
    pub branch_id: BranchId,
    /// Hex of the tenant's PIN lookup key, so the terminal finds PINs offline.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub pin_key: secrecy::SecretString,
}

/// `GET /v1/sync/pull`: reference data changed after a cursor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PullPage {
    pub changes: Vec<Change>,
    /// Pass this back as `after` next time.
    pub cursor: i64,
    /// More changes wait after this page.
    pub more: bool,
}

/// One changed row of reference data, or its tombstone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    Branch(feed::Branch),
    Employee(feed::Employee),
    Register(feed::Register),
    Assignment(feed::Assignment),
    Product(feed::Product),
    Theme(feed::Theme),
    /// The owner asked to close a till's open session.
    RemoteClose(feed::RemoteClose),
    /// The row is gone.
    Deleted {
        entity_type: String,
        id: String,
    },
}

impl Change {
    /// `entity_type:id`: the row this change is about.
    pub fn key(&self) -> String {
        match self {
            Change::Branch(b) => format!("branch:{}", b.id),
            Change::Employee(e) => format!("employee:{}", e.id),
            Change::Register(r) => format!("register:{}", r.id),
            Change::Assignment(a) => format!("assignment:{}", a.id),
            Change::Product(p) => format!("product:{}", p.id),
            Change::Theme(_) => "theme:theme".to_owned(),
            Change::RemoteClose(r) => format!("remote_close:{}", r.id),
            Change::Deleted { entity_type, id } => format!("{entity_type}:{id}"),
        }
    }

    /// Parents before children: applying a page in this order never meets
    /// a row whose branch, register or employee comes later in the page.
    pub fn rank(&self) -> u8 {
        match self {
            Change::Branch(_) => 0,
            Change::Employee(_) => 1,
            Change::Register(_) => 2,
            Change::Assignment(_) => 3,
            Change::Product(_) => 4,
            Change::Theme(_) => 5,
            Change::Deleted { .. } => 6,
            // After the employees: the owner who asked must be known.
            Change::RemoteClose(_) => 7,
        }
    }
}

/// Rows of the change feed, with money in cents and their version.
pub mod feed {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct Branch {
        pub id: BranchId,
        pub name: String,
        pub address: Option<String>,
        pub phone: Option<String>,
        pub is_active: bool,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct Employee {
        pub id: EmployeeId,
        pub name: String,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub role: Role,
        pub branch_id: Option<BranchId>,
        pub max_discount_bp: Percent,
        pub is_active: bool,
        pub permissions: PermissionSet,
        pub pin_hash: Option<String>,
        /// Hex of the keyed PIN lookup.
        pub pin_lookup: Option<String>,
        pub hlc: Hlc,
        pub origin: String,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct Register {
        pub id: Uuid,
        pub branch_id: BranchId,
        pub name: String,
        pub register_number: i64,
        pub device_id: Option<String>,
        pub is_active: bool,
        pub hlc: Hlc,
        pub origin: String,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct Assignment {
        pub id: Uuid,
        pub cash_register_id: Uuid,
        pub user_id: EmployeeId,
        pub is_active: bool,
        pub assigned_at: DateTime<Utc>,
        pub assigned_by: Option<EmployeeId>,
        pub note: Option<String>,
        pub hlc: Hlc,
        pub origin: String,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct Product {
        pub id: Uuid,
        pub branch_id: Option<BranchId>,
        pub part_number: String,
        pub barcode: Option<String>,
        pub name: String,
        pub brand: Option<String>,
        pub unit: String,
        pub cost_cents: i64,
        pub price_1_cents: i64,
        pub price_2_cents: i64,
        pub price_3_cents: i64,
        pub tax_rate_bp: Percent,
        pub is_active: bool,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct Theme {
        pub overrides: BTreeMap<String, String>,
    }

    /// The owner's request to close an open session, for the till that
    /// owns it. Only a `pending` one is acted on; a till that no longer has
    /// the session open ignores it.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub struct RemoteClose {
        pub id: Uuid,
        pub cash_session_id: Uuid,
        /// The till that opened the session.
        pub device_id: String,
        /// The owner, as the employee they are.
        pub requested_by: Option<EmployeeId>,
        pub reason: String,
        pub requested_at: DateTime<Utc>,
        /// `pending`, `applied` or `superseded`.
        pub status: String,
    }
}

/// A device credential as it travels: `nxd.<device id>.<secret hex>`.
pub fn device_credential(device_id: Uuid, secret: &[u8; 32]) -> String {
    format!("nxd.{}.{}", device_id.simple(), hex(secret))
}

/// The device id and secret of a credential, if it has the right shape.
pub fn parse_device_credential(text: &str) -> Option<(Uuid, [u8; 32])> {
    let rest = text.strip_prefix("nxd.")?;
    let (id, secret) = rest.split_once('.')?;
    Some((Uuid::parse_str(id).ok()?, unhex(secret).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{GENESIS, append};

    #[test]
    fn a_device_credential_round_trips() {
        let id = Uuid::from_u128(42);
        let c = device_credential(id, &[7; 32]);
        assert_eq!(parse_device_credential(&c), Some((id, [7; 32])));
        assert_eq!(parse_device_credential("nxd.nope"), None);
        assert_eq!(parse_device_credential(&c.replace("nxd.", "xxx.")), None);
    }

    #[test]
    fn changes_are_tagged_by_type() {
        let c = Change::Deleted { entity_type: "employee".into(), id: "x".into() };
        assert_eq!(serde_json::to_value(&c).unwrap()["type"], "deleted");
    }

    #[test]
    fn an_audit_record_survives_the_wire() {
        let entry = AuditEntry {
            id: Uuid::from_u128(5),
            chain: "dev".into(),
            seq: 0,
            device_id: Some("dev".into()),
            employee_id: None,
            action: "SALE".into(),
            entity_type: None,
            entity_id: None,
            old_value: None,
            new_value: Some(serde_json::json!({"total_cents": 100})),
            ip_address: None,
            branch_id: None,
            created_at: DateTime::from_timestamp(1_800_000_000, 5_000).unwrap(),
        };
        let chained = append(0, GENESIS, entry);
        let record = AuditRecord::from(&chained);
        let json = serde_json::to_string(&record).unwrap();
        let back: AuditRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(ChainedEntry::try_from(&back).unwrap(), chained);
        assert_eq!(unhex(&hex(&[0xab; 32])), Ok([0xab; 32]));
        assert_eq!(unhex("zz"), Err(BadHash));
        assert_eq!(unhex(&"AB".repeat(32)), Err(BadHash), "one spelling only");
        assert_eq!(unhex(&"ab".repeat(33)), Err(BadHash));
    }

    #[test]
    fn a_push_without_a_report_still_reads_and_a_bad_report_is_refused() {
        let old: PushRequest = serde_json::from_str(r#"{"ops":[]}"#).unwrap();
        assert_eq!(old.report, None);
        let report = DeviceReport { pending_ops: 3, oldest_pending_at: None, app_version: "0.1.0".into() };
        assert_eq!(report.check(), Ok(()));
        let negative = DeviceReport { pending_ops: -1, ..report.clone() };
        assert_eq!(negative.check().unwrap_err().code(), "field_invalid");
        let long = DeviceReport { app_version: "9".repeat(MAX_APP_VERSION_CHARS + 1), ..report.clone() };
        assert_eq!(long.check().unwrap_err().code(), "field_too_long");
        let control = DeviceReport { app_version: "0.1\u{7}".into(), ..report.clone() };
        assert_eq!(control.check().unwrap_err().code(), "field_invalid");
        let ghost = DeviceReport {
            pending_ops: 0,
            oldest_pending_at: Some(DateTime::from_timestamp(1_800_000_000, 0).unwrap()),
            ..report
        };
        assert_eq!(ghost.check().unwrap_err().code(), "field_invalid");
    }

    #[test]
    fn kinds_have_stable_codes() {
        assert_eq!(serde_json::to_value(OpKind::SaleCompleted).unwrap(), "sale_completed");
        assert_eq!(OpKind::SaleCompleted.code(), "sale_completed");
    }
}
