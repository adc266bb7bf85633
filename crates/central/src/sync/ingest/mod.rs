//! Applying a device's ops: exactly once, in seq order, in batches.
//!
//! One push is one tenant transaction. The device's `last_seq` is read under
//! a row lock and written in the same transaction as the effects, so an op
//! is applied once however many times it arrives: a seq at or below
//! `last_seq` is a duplicate, a seq past `last_seq + 1` is a gap (the rest of
//! the batch waits), and a permanently invalid op is recorded as rejected
//! while its seq still advances, so one bad op never wedges a device.
//!
//! Ops are checked one by one against what the database and the earlier ops
//! of the batch say; the rows of sales, their items, payments and stock
//! moves, cash movements, audit entries and the op log are buffered and
//! written with one `INSERT … SELECT FROM unnest(…)` per table. Rarer ops
//! (sessions, employees, registers, assignments, customers, layaways,
//! cancellations) flush the buffers and write directly. If the batch fails
//! in the database anyway, it is redone op by op under savepoints, and an op
//! the database refuses is rejected with the reason.
//!
//! Reference data (employees, registers, assignments) is re-checked against
//! the acting employee as central knows them (`super::trust`): a refused op
//! is rejected with its reason and recorded as an `op_refused` conflict; an
//! employee change that raises privileges is held in `sync_approvals` until
//! an owner decides at headquarters (`super::approvals`). An op of a kind
//! this central does not know is parked verbatim in `sync_parked` and
//! settled (`super::parked` applies it once a central knows the kind).
//!
//! What offline work made possible but the rules forbid — a cashier or a
//! register with two open sessions, an employee deactivated meanwhile, an
//! operation on a closed session, a stale edit, a broken audit chain — is
//! applied (the cash moved) and recorded in `sync_conflicts` with both sides.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use nexus_domain::audit::{AuditEntry, ChainHash, ChainedEntry, GENESIS};
use nexus_domain::employee::{self, EmployeeState};
use nexus_domain::hlc::{Hlc, Version};
use nexus_domain::sync::{AuditRecord, Op, OpKind, PushResponse, Rejected, WIRE_VERSION, payload, unhex};
use nexus_domain::{BranchId, Permission};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use super::incoming::{Arrived, UnknownOp};
use super::trust::{self, Refusal, Scope};
use crate::devices::DeviceCaller;
use crate::employees;
use crate::{Error, Result};

/// The most ops one push may carry.
pub const MAX_BATCH: usize = 1_000;

/// A session of the same cashier or register, as an overlap finds it.
#[derive(sqlx::FromRow)]
struct OtherSession {
    id: Uuid,
    opened_by: Uuid,
    cash_register_id: Uuid,
    opened_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    device_id: Option<String>,
}

/// A session's time: open until `closed_at`, which is unknown while open.
struct Interval {
    session: Uuid,
    opened_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy)]
struct Session {
    open: bool,
    opened_by: Uuid,
}

#[derive(Clone)]
struct Employee {
    active: bool,
    version: Version,
}

/// One row of `sync_ops`: an op received, applied or rejected.
struct OpLogRow {
    seq: i64,
    op_id: Uuid,
    kind: Cow<'static, str>,
    status: &'static str,
    reason: Option<String>,
    employee_id: Option<Uuid>,
    device_time: DateTime<Utc>,
}

/// Rows waiting for one multi-row insert per table.
#[derive(Default)]
struct Buffers {
    sales: Vec<payload::SaleCompleted>,
    movements: Vec<payload::CashMoved>,
    audit: Vec<ChainedEntry>,
    ops: Vec<OpLogRow>,
    conflicts: Vec<(i64, &'static str, Value)>,
}

impl Buffers {
    fn is_empty(&self) -> bool {
        self.sales.is_empty()
            && self.movements.is_empty()
            && self.audit.is_empty()
            && self.ops.is_empty()
            && self.conflicts.is_empty()
    }
}

/// What the batch knows so far, from the database and from its own ops.
struct Planner {
    device_id: Uuid,
    branch_id: Uuid,
    sessions: HashMap<Uuid, Option<Session>>,
    employees: HashMap<Uuid, Option<Employee>>,
    products: HashMap<Uuid, bool>,
    customers: HashMap<Uuid, bool>,
    sales: HashMap<Uuid, Option<bool>>,
    chain_seq: i64,
    chain_head: ChainHash,
    buf: Buffers,
    applied: usize,
    rejected: Vec<Rejected>,
    conflicts: usize,
    held: usize,
    parked: usize,
    /// Set by an effect that held its op for approval instead of applying it.
    holding: bool,
}

/// What the op log and the audit chain take from an op, whatever its kind.
struct Trace<'a> {
    seq: i64,
    op_id: Uuid,
    kind: Cow<'static, str>,
    employee_id: Option<Uuid>,
    device_time: DateTime<Utc>,
    audit: &'a AuditRecord,
}

impl<'a> Trace<'a> {
    fn of(arrived: &'a Arrived) -> Trace<'a> {
        match arrived {
            Arrived::Known(op) => Trace {
                seq: op.seq,
                op_id: op.op_id,
                kind: Cow::Borrowed(op.kind.code()),
                employee_id: op.employee_id.map(|e| e.0),
                device_time: op.device_time,
                audit: &op.audit,
            },
            Arrived::Unknown(u) => {
                let e = &u.envelope;
                Trace {
                    seq: e.seq,
                    op_id: e.op_id,
                    kind: Cow::Owned(e.kind.clone()),
                    employee_id: e.employee_id.map(|e| e.0),
                    device_time: e.device_time,
                    audit: &e.audit,
                }
            }
        }
    }
}

/// What became of an op applied after its push (approved, or replayed
/// from the parked ones).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Replayed {
    Applied,
    /// It raises privileges: waiting for an owner's approval.
    Held,
    /// Refused with this reason.
    Rejected(String),
}

/// Why an op is refused for good.
struct Reject(String);

impl From<serde_json::Error> for Reject {
    fn from(e: serde_json::Error) -> Reject {
        Reject(format!("contenido inválido: {e}"))
    }
}

enum Failure {
    Reject(Reject),
    Db(sqlx::Error),
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Failure {
        Failure::Db(e)
    }
}

impl From<Reject> for Failure {
    fn from(r: Reject) -> Failure {
        Failure::Reject(r)
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Failure {
        Failure::Reject(e.into())
    }
}

fn parse<T: DeserializeOwned>(op: &Op) -> Result<T, Reject> {
    // Straight from the parsed tree: no copy of it per op.
    Ok(<T as serde::Deserialize>::deserialize(&op.payload)?)
}

fn to_hash(bytes: &[u8]) -> ChainHash {
    let mut out = GENESIS;
    if bytes.len() == 32 {
        out.copy_from_slice(bytes);
    }
    out
}

/// Applies a push from `device`.
pub async fn push(device: &DeviceCaller, ops: Vec<Arrived>) -> Result<PushResponse> {
    if ops.len() > MAX_BATCH {
        return Err(nexus_domain::DomainError::Invalid {
            field: "ops",
            reason: "a lo más 1,000 operaciones por envío",
        }
        .into());
    }
    if ops.iter().any(|op| op.device_id() != device.device_id) {
        return Err(Error::unauthorized("wrong_device", "Las operaciones son de otro dispositivo"));
    }
    match apply(device, &ops, false).await {
        Ok(r) => Ok(r),
        Err(Error::Database(e)) => {
            tracing::warn!(device = %device.device_id, error = %e, "batch refused by the database; redoing it op by op");
            apply(device, &ops, true).await
        }
        Err(e) => Err(e),
    }
}

async fn apply(device: &DeviceCaller, ops: &[Arrived], one_by_one: bool) -> Result<PushResponse> {
    let mut tx = device.db.begin().await?;
    sqlx::query("INSERT INTO sync_devices (device_id) VALUES ($1) ON CONFLICT (device_id) DO NOTHING")
        .bind(device.device_id)
        .execute(&mut *tx)
        .await?;
    let (last_seq, chain_seq, chain_head): (i64, i64, Vec<u8>) = sqlx::query_as(
        "SELECT last_seq, chain_seq, chain_head FROM sync_devices WHERE device_id = $1 FOR UPDATE",
    )
    .bind(device.device_id)
    .fetch_one(&mut *tx)
    .await?;
    let mut sorted: Vec<&Arrived> = ops.iter().collect();
    sorted.sort_by_key(|op| op.seq());
    sorted.dedup_by_key(|op| op.seq());
    let duplicates = sorted.iter().filter(|op| op.seq() <= last_seq).count();
    // The unbroken run right after `last_seq`; whatever follows a gap waits.
    let run: Vec<&Arrived> = sorted
        .iter()
        .filter(|op| op.seq() > last_seq)
        .zip(last_seq + 1..)
        .take_while(|(op, next)| op.seq() == *next)
        .map(|(op, _)| *op)
        .collect();
    let gap = duplicates + run.len() < sorted.len();
    let mut planner = Planner::new(device.device_id, device.branch_id, chain_seq, to_hash(&chain_head));
    for op in &run {
        if one_by_one {
            let before = (
                planner.chain_seq,
                planner.chain_head,
                planner.applied,
                planner.rejected.len(),
                planner.conflicts,
                planner.held,
                planner.parked,
            );
            sqlx::query("SAVEPOINT op").execute(&mut *tx).await?;
            let done = async {
                planner.op(&mut tx, op).await?;
                planner.flush(&mut tx).await
            }
            .await;
            match done {
                Ok(()) => {
                    sqlx::query("RELEASE SAVEPOINT op").execute(&mut *tx).await?;
                }
                Err(e) => {
                    sqlx::query("ROLLBACK TO SAVEPOINT op").execute(&mut *tx).await?;
                    (planner.chain_seq, planner.chain_head, planner.applied) = (before.0, before.1, before.2);
                    planner.rejected.truncate(before.3);
                    (planner.conflicts, planner.held, planner.parked) = (before.4, before.5, before.6);
                    planner.holding = false;
                    planner.forget_batch_state();
                    planner.buf = Buffers::default();
                    planner.reject(op.seq(), Reject(format!("la base de datos rechazó la operación: {e}")));
                    planner.evidence(&Trace::of(op), "rejected");
                    planner.flush(&mut tx).await?;
                }
            }
        } else {
            planner.op(&mut tx, op).await?;
        }
    }
    planner.flush(&mut tx).await?;
    let settled = last_seq + run.len() as i64;
    sqlx::query(
        "UPDATE sync_devices SET last_seq = $2, chain_seq = $3, chain_head = $4, updated_at = NOW() WHERE device_id = $1",
    )
    .bind(device.device_id)
    .bind(settled)
    .bind(planner.chain_seq)
    .bind(&planner.chain_head[..])
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(PushResponse {
        settled_seq: settled,
        applied: planner.applied,
        duplicates,
        rejected: planner.rejected,
        conflicts: planner.conflicts,
        gap,
        held: planner.held,
        parked: planner.parked,
    })
}

/// Applies an op after its push: approved at headquarters, or parked by a
/// central that did not know its kind. Its evidence (op log, audit entry)
/// was written when it arrived; here only its effect is, re-checked as if
/// it arrived now.
pub(crate) async fn replay(
    tx: &mut PgConnection,
    device_id: Uuid,
    branch_id: Uuid,
    op: &Op,
) -> Result<Replayed, sqlx::Error> {
    let mut planner = Planner::new(device_id, branch_id, 0, GENESIS);
    let outcome = match planner.effect(tx, op).await {
        Ok(()) if planner.holding => Replayed::Held,
        Ok(()) => Replayed::Applied,
        Err(Failure::Reject(r)) => Replayed::Rejected(r.0),
        Err(Failure::Db(e)) => return Err(e),
    };
    planner.flush(tx).await?;
    Ok(outcome)
}

/// Writes an employee change an owner approved, by last-writer-wins: a
/// newer edit made meanwhile keeps its place (a `stale_edit` conflict).
/// Whether it was written.
pub(crate) async fn apply_approved(
    tx: &mut PgConnection,
    device_id: Uuid,
    branch_id: Uuid,
    op: &Op,
) -> Result<bool> {
    let mut planner = Planner::new(device_id, branch_id, 0, GENESIS);
    let e: payload::EmployeeSaved =
        parse(op).map_err(|r| anyhow::anyhow!("approved op unreadable: {}", r.0))?;
    let written = match planner.write_employee(tx, op.seq, &e).await {
        Ok(written) => written,
        Err(Failure::Db(e)) => return Err(e.into()),
        Err(Failure::Reject(r)) => return Err(anyhow::anyhow!("approved op refused: {}", r.0).into()),
    };
    planner.flush(tx).await?;
    Ok(written)
}

impl Planner {
    fn new(device_id: Uuid, branch_id: Uuid, chain_seq: i64, chain_head: ChainHash) -> Planner {
        Planner {
            device_id,
            branch_id,
            sessions: HashMap::new(),
            employees: HashMap::new(),
            products: HashMap::new(),
            customers: HashMap::new(),
            sales: HashMap::new(),
            chain_seq,
            chain_head,
            buf: Buffers::default(),
            applied: 0,
            rejected: Vec::new(),
            conflicts: 0,
            held: 0,
            parked: 0,
            holding: false,
        }
    }

    /// Checks and applies (or holds, or parks) one op, recording its evidence.
    async fn op(&mut self, tx: &mut PgConnection, arrived: &Arrived) -> Result<(), sqlx::Error> {
        let op = match arrived {
            Arrived::Known(op) => op,
            Arrived::Unknown(u) => {
                self.park(tx, u).await?;
                self.evidence(&Trace::of(arrived), "parked");
                return Ok(());
            }
        };
        let outcome = if op.v != WIRE_VERSION {
            Err(Failure::Reject(Reject(format!("versión de formato {} desconocida", op.v))))
        } else {
            self.effect(tx, op).await
        };
        match outcome {
            Ok(()) if std::mem::take(&mut self.holding) => {
                self.held += 1;
                self.evidence(&Trace::of(arrived), "held");
            }
            Ok(()) => {
                self.applied += 1;
                self.evidence(&Trace::of(arrived), "applied");
            }
            Err(Failure::Reject(r)) => {
                self.holding = false;
                self.reject(op.seq, r);
                self.evidence(&Trace::of(arrived), "rejected");
            }
            Err(Failure::Db(e)) => return Err(e),
        }
        Ok(())
    }

    /// Keeps an op of a kind this central does not know, as it came.
    async fn park(&mut self, tx: &mut PgConnection, u: &UnknownOp) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO sync_parked (device_id, seq, branch_id, kind, op) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (device_id, seq) DO NOTHING",
        )
        .bind(self.device_id)
        .bind(u.envelope.seq)
        .bind(self.branch_id)
        .bind(&u.envelope.kind)
        .bind(&u.raw)
        .execute(&mut *tx)
        .await?;
        self.parked += 1;
        Ok(())
    }

    fn reject(&mut self, seq: i64, r: Reject) {
        self.rejected.push(Rejected { seq, reason: r.0 });
    }

    /// The op log row and the audit entry, checked against the chain.
    fn evidence(&mut self, op: &Trace<'_>, status: &'static str) {
        let reason = (status == "rejected").then(|| self.rejected.last().map(|r| r.reason.clone())).flatten();
        self.buf.ops.push(OpLogRow {
            seq: op.seq,
            op_id: op.op_id,
            kind: op.kind.clone(),
            status,
            reason,
            employee_id: op.employee_id,
            device_time: op.device_time,
        });
        let Ok(entry) = ChainedEntry::try_from(op.audit) else {
            self.conflict(op.seq, "audit_entry_unreadable", json!({ "audit": op.audit }));
            return;
        };
        let recomputed = entry.entry.chain_hash(&entry.prev_hash, &mut Vec::with_capacity(512));
        if entry.entry.seq != self.chain_seq + 1 || entry.prev_hash != self.chain_head {
            self.conflict(
                op.seq,
                "audit_chain_break",
                json!({ "expected_seq": self.chain_seq + 1, "received_seq": entry.entry.seq,
                        "expected_prev": nexus_domain::sync::hex(&self.chain_head), "received_prev": op.audit.prev_hash }),
            );
        } else if recomputed != entry.hash {
            self.conflict(
                op.seq,
                "audit_entry_altered",
                json!({ "seq": entry.entry.seq, "stored_hash": op.audit.hash }),
            );
        }
        self.chain_seq = entry.entry.seq;
        self.chain_head = entry.hash;
        self.buf.audit.push(entry);
    }

    fn conflict(&mut self, seq: i64, kind: &'static str, detail: Value) {
        self.conflicts += 1;
        self.buf.conflicts.push((seq, kind, detail));
    }

    /// State learned from ops that a rolled-back savepoint undid.
    fn forget_batch_state(&mut self) {
        self.sessions.clear();
        self.employees.clear();
        self.products.clear();
        self.customers.clear();
        self.sales.clear();
    }

    async fn session(&mut self, tx: &mut PgConnection, id: Uuid) -> Result<Option<Session>, sqlx::Error> {
        if let Some(s) = self.sessions.get(&id) {
            return Ok(*s);
        }
        let row: Option<(String, Uuid)> =
            sqlx::query_as("SELECT status, opened_by FROM cash_sessions WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let s = row.map(|(status, opened_by)| Session { open: status == "OPEN", opened_by });
        self.sessions.insert(id, s);
        Ok(s)
    }

    async fn employee(&mut self, tx: &mut PgConnection, id: Uuid) -> Result<Option<Employee>, sqlx::Error> {
        if let Some(e) = self.employees.get(&id) {
            return Ok(e.clone());
        }
        let row: Option<(bool, i64, String)> =
            sqlx::query_as("SELECT is_active, hlc, origin FROM employees WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let e =
            row.map(|(active, hlc, origin)| Employee { active, version: Version { hlc: Hlc(hlc), origin } });
        self.employees.insert(id, e.clone());
        Ok(e)
    }

    async fn product(&mut self, tx: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
        if let Some(p) = self.products.get(&id) {
            return Ok(*p);
        }
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM inventory WHERE id = $1)")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        self.products.insert(id, exists);
        Ok(exists)
    }

    async fn customer(&mut self, tx: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
        if let Some(c) = self.customers.get(&id) {
            return Ok(*c);
        }
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1)")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        self.customers.insert(id, exists);
        Ok(exists)
    }

    /// An employee an op acts as: unknown is a rejection; deactivated
    /// meanwhile is a conflict (what happened, happened).
    async fn actor(&mut self, tx: &mut PgConnection, seq: i64, id: Uuid) -> Result<(), Failure> {
        match self.employee(tx, id).await? {
            None => Err(Reject(format!("empleado desconocido {id}")).into()),
            Some(e) if !e.active => {
                self.conflict(seq, "employee_inactive", json!({ "employee_id": id }));
                Ok(())
            }
            Some(_) => Ok(()),
        }
    }

    /// A session an op works on: unknown is a rejection; closed meanwhile
    /// is a conflict.
    async fn operable(
        &mut self,
        tx: &mut PgConnection,
        seq: i64,
        id: Uuid,
        actor: Uuid,
    ) -> Result<Session, Failure> {
        let s =
            self.session(tx, id).await?.ok_or_else(|| Reject(format!("sesión de caja desconocida {id}")))?;
        if !s.open {
            self.conflict(seq, "session_closed", json!({ "cash_session_id": id, "employee_id": actor }));
        } else if s.opened_by != actor {
            self.conflict(
                seq,
                "session_not_owned",
                json!({ "cash_session_id": id, "opened_by": s.opened_by, "employee_id": actor }),
            );
        }
        Ok(s)
    }

    async fn effect(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        match op.kind {
            OpKind::StoreSetUp | OpKind::Access => Ok(()),
            OpKind::SaleCompleted => {
                let sale: payload::SaleCompleted = parse(op)?;
                self.actor(tx, op.seq, sale.employee_id.0).await?;
                self.operable(tx, op.seq, sale.cash_session_id, sale.employee_id.0).await?;
                for item in &sale.items {
                    if !self.product(tx, item.inventory_id).await? {
                        return Err(Reject(format!("producto desconocido {}", item.inventory_id)).into());
                    }
                }
                if let Some(c) = sale.customer_id
                    && !self.customer(tx, c).await?
                {
                    return Err(Reject(format!("cliente desconocido {c}")).into());
                }
                if sale.items.is_empty() {
                    return Err(Reject("venta sin partidas".into()).into());
                }
                self.sales.insert(sale.sale_id, Some(false));
                self.buf.sales.push(sale);
                Ok(())
            }
            OpKind::CashMoved => {
                let m: payload::CashMoved = parse(op)?;
                if !["in", "out", "expense"].contains(&m.kind.as_str()) || m.amount_cents <= 0 {
                    return Err(Reject("movimiento de efectivo inválido".into()).into());
                }
                self.actor(tx, op.seq, m.employee_id.0).await?;
                self.operable(tx, op.seq, m.cash_session_id, m.employee_id.0).await?;
                self.buf.movements.push(m);
                Ok(())
            }
            _ => {
                // Everything else writes directly, after what is buffered.
                self.flush(tx).await?;
                self.direct(tx, op).await
            }
        }
    }

    async fn direct(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        match op.kind {
            OpKind::SessionOpened => {
                let s: payload::SessionOpened = parse(op)?;
                self.actor(tx, op.seq, s.opened_by.0).await?;
                let register: Option<Uuid> =
                    sqlx::query_scalar("SELECT id FROM cash_registers WHERE id = $1")
                        .bind(s.cash_register_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if register.is_none() {
                    return Err(Reject(format!("caja desconocida {}", s.cash_register_id)).into());
                }
                if self.session(tx, s.session_id).await?.is_some() {
                    return Err(Reject(format!("la sesión {} ya existe", s.session_id)).into());
                }
                // Another OPEN session of the cashier or the register: this
                // one is kept but marked, so the one-OPEN rules still hold.
                let clash: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM cash_sessions
                     WHERE status = 'OPEN' AND NOT conflicted AND (opened_by = $1 OR cash_register_id = $2))",
                )
                .bind(s.opened_by.0)
                .bind(s.cash_register_id)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO cash_sessions (id, cash_register_id, opened_by, opening_amount, status, opened_at, device_id, conflicted)
                     VALUES ($1, $2, $3, $4::numeric / 100, 'OPEN', $5, $6, $7)",
                )
                .bind(s.session_id)
                .bind(s.cash_register_id)
                .bind(s.opened_by.0)
                .bind(s.opening_cents)
                .bind(s.opened_at)
                .bind(self.device_id.to_string())
                .bind(clash)
                .execute(&mut *tx)
                .await?;
                self.sessions.insert(s.session_id, Some(Session { open: true, opened_by: s.opened_by.0 }));
                let interval = Interval { session: s.session_id, opened_at: s.opened_at, closed_at: None };
                self.overlaps(tx, op.seq, &interval).await?;
                Ok(())
            }
            OpKind::SessionClosed => {
                let c: payload::SessionClosed = parse(op)?;
                let s = self
                    .session(tx, c.session_id)
                    .await?
                    .ok_or_else(|| Reject(format!("sesión de caja desconocida {}", c.session_id)))?;
                if !s.open {
                    self.conflict(
                        op.seq,
                        "session_already_closed",
                        json!({ "cash_session_id": c.session_id }),
                    );
                    return Ok(());
                }
                sqlx::query(
                    "UPDATE cash_sessions SET status = 'CLOSED', counted_amount = $2::numeric / 100,
                            expected_amount = $3::numeric / 100, difference = $4::numeric / 100,
                            denominations = $5, closed_at = $6, closed_by = $7
                     WHERE id = $1",
                )
                .bind(c.session_id)
                .bind(c.counted_cents)
                .bind(c.expected_cents)
                .bind(c.difference_cents)
                .bind(c.denominations.as_ref().map(|d| json!(d)))
                .bind(c.closed_at)
                .bind(c.closed_by.0)
                .execute(&mut *tx)
                .await?;
                self.sessions.insert(c.session_id, Some(Session { open: false, ..s }));
                let opened_at: DateTime<Utc> =
                    sqlx::query_scalar("SELECT opened_at FROM cash_sessions WHERE id = $1")
                        .bind(c.session_id)
                        .fetch_one(&mut *tx)
                        .await?;
                let interval = Interval { session: c.session_id, opened_at, closed_at: Some(c.closed_at) };
                self.overlaps(tx, op.seq, &interval).await?;
                let central_expected = expected_cents(tx, c.session_id).await?;
                if central_expected != c.expected_cents {
                    self.conflict(
                        op.seq,
                        "session_unbalanced",
                        json!({ "cash_session_id": c.session_id, "terminal_expected_cents": c.expected_cents,
                                "central_expected_cents": central_expected }),
                    );
                }
                Ok(())
            }
            OpKind::SaleCancelled => {
                let c: payload::SaleCancelled = parse(op)?;
                self.actor(tx, op.seq, c.cancelled_by.0).await?;
                let status: Option<String> = sqlx::query_scalar("SELECT status FROM sales WHERE id = $1")
                    .bind(c.sale_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                match status.as_deref() {
                    None => return Err(Reject(format!("venta desconocida {}", c.sale_id)).into()),
                    Some("completed") => {}
                    Some(_) => {
                        self.conflict(op.seq, "sale_already_cancelled", json!({ "sale_id": c.sale_id }));
                        return Ok(());
                    }
                }
                if let Some(refund) = &c.refund {
                    self.operable(tx, op.seq, refund.cash_session_id, c.cancelled_by.0).await?;
                    insert_movements(tx, std::slice::from_ref(refund)).await?;
                }
                let stock: Vec<StockRow<'_>> =
                    StockRow::of(&c.stock, c.sale_id, c.cancelled_by.0, c.cancelled_at).collect();
                insert_stock(tx, self.device_id, &stock).await?;
                sqlx::query("UPDATE sales SET status = 'cancelled', cancelled_at = $2, cancelled_by = $3 WHERE id = $1")
                    .bind(c.sale_id)
                    .bind(c.cancelled_at)
                    .bind(c.cancelled_by.0)
                    .execute(&mut *tx)
                    .await?;
                Ok(())
            }
            OpKind::CustomerSaved => {
                let c: payload::CustomerSaved = parse(op)?;
                sqlx::query(
                    "INSERT INTO customers (id, branch_id, name, rfc, phone, price_tier, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
                )
                .bind(c.id)
                .bind(c.branch_id.map(|b| b.0))
                .bind(&c.name)
                .bind(&c.rfc)
                .bind(&c.phone)
                .bind(i16::from(c.price_tier))
                .bind(c.created_at)
                .execute(&mut *tx)
                .await?;
                self.customers.insert(c.id, true);
                Ok(())
            }
            OpKind::LayawayCreated => {
                let l: payload::LayawayCreated = parse(op)?;
                if !self.customer(tx, l.customer_id).await? {
                    return Err(Reject(format!("cliente desconocido {}", l.customer_id)).into());
                }
                self.actor(tx, op.seq, l.employee_id.0).await?;
                sqlx::query(
                    "INSERT INTO layaways (id, branch_id, customer_id, employee_id, total, expires_at, notes, created_at)
                     VALUES ($1, $2, $3, $4, $5::numeric / 100, $6, $7, $8)",
                )
                .bind(l.layaway_id)
                .bind(l.branch_id.0)
                .bind(l.customer_id)
                .bind(l.employee_id.0)
                .bind(l.total_cents)
                .bind(l.expires_at)
                .bind(&l.notes)
                .bind(l.created_at)
                .execute(&mut *tx)
                .await?;
                Ok(())
            }
            OpKind::LayawayPaid => {
                let p: payload::LayawayPaid = parse(op)?;
                self.actor(tx, op.seq, p.employee_id.0).await?;
                let row: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT (total * 100)::bigint, (amount_paid * 100)::bigint FROM layaways WHERE id = $1 FOR UPDATE",
                )
                .bind(p.layaway_id)
                .fetch_optional(&mut *tx)
                .await?;
                let (total, paid) =
                    row.ok_or_else(|| Reject(format!("apartado desconocido {}", p.layaway_id)))?;
                self.operable(tx, op.seq, p.cash_session_id, p.employee_id.0).await?;
                if paid + p.amount_cents > total {
                    self.conflict(
                        op.seq,
                        "layaway_overpaid",
                        json!({ "layaway_id": p.layaway_id, "total_cents": total,
                        "paid_cents": paid, "payment_cents": p.amount_cents }),
                    );
                }
                sqlx::query(
                    "INSERT INTO layaway_payments (id, layaway_id, cash_session_id, amount, payment_method, employee_id, created_at)
                     VALUES ($1, $2, $3, $4::numeric / 100, $5, $6, $7)",
                )
                .bind(p.payment_id)
                .bind(p.layaway_id)
                .bind(p.cash_session_id)
                .bind(p.amount_cents)
                .bind(p.payment_method.code())
                .bind(p.employee_id.0)
                .bind(p.created_at)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE layaways SET amount_paid = LEAST(total, amount_paid + $2::numeric / 100),
                            status = CASE WHEN amount_paid + $2::numeric / 100 >= total THEN 'completed' ELSE status END
                     WHERE id = $1",
                )
                .bind(p.layaway_id)
                .bind(p.amount_cents)
                .execute(&mut *tx)
                .await?;
                Ok(())
            }
            OpKind::EmployeeSaved => self.employee_saved(tx, op).await,
            OpKind::RegisterSaved => self.register_saved(tx, op).await,
            OpKind::AssignmentSaved => self.assignment_saved(tx, op).await,
            OpKind::SaleCompleted | OpKind::CashMoved | OpKind::StoreSetUp | OpKind::Access => Ok(()),
        }
    }

    /// Records every session of the same cashier or the same register whose
    /// time overlaps `s`, open or closed, whatever order they arrived in.
    ///
    /// A session's interval is known in two steps. When it opens, the
    /// sessions that began at or before it and had not ended by then surely
    /// overlap it. When it closes, so do the ones that began inside it. A
    /// session that began later than `s` while `s` was still open is found
    /// by whichever of the two arrives last, so each overlapping pair is
    /// found once the later of its facts is at central; a pair already
    /// recorded is not recorded again.
    async fn overlaps(&mut self, tx: &mut PgConnection, seq: i64, s: &Interval) -> Result<(), sqlx::Error> {
        let (cashier, register): (Uuid, Uuid) =
            sqlx::query_as("SELECT opened_by, cash_register_id FROM cash_sessions WHERE id = $1")
                .bind(s.session)
                .fetch_one(&mut *tx)
                .await?;
        let others: Vec<OtherSession> = sqlx::query_as(
            "SELECT id, opened_by, cash_register_id, opened_at, closed_at, device_id FROM cash_sessions
             WHERE id <> $1 AND (opened_by = $2 OR cash_register_id = $3)
               AND CASE WHEN $5::timestamptz IS NULL
                        THEN opened_at <= $4 AND (closed_at IS NULL OR closed_at > $4)
                        ELSE opened_at > $4 AND opened_at < $5 END
             ORDER BY opened_at, id",
        )
        .bind(s.session)
        .bind(cashier)
        .bind(register)
        .bind(s.opened_at)
        .bind(s.closed_at)
        .fetch_all(&mut *tx)
        .await?;
        for OtherSession {
            id: other,
            opened_by: by,
            cash_register_id: other_register,
            opened_at,
            closed_at,
            device_id: device,
        } in others
        {
            let kinds = [
                (by == cashier).then_some("cashier_session_elsewhere"),
                (other_register == register).then_some("register_in_use"),
            ];
            for kind in kinds.into_iter().flatten() {
                let pair = json!([s.session, other]);
                let known: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM sync_conflicts WHERE kind = $1 AND detail->'sessions' @> $2)",
                )
                .bind(kind)
                .bind(&pair)
                .fetch_one(&mut *tx)
                .await?;
                if known {
                    continue;
                }
                // Written at once: the next session op of this batch must see it.
                sqlx::query("INSERT INTO sync_conflicts (device_id, seq, kind, detail) VALUES ($1, $2, $3, $4)")
                    .bind(self.device_id)
                    .bind(seq)
                    .bind(kind)
                    .bind(json!({
                        "sessions": pair,
                        "existing": { "cash_session_id": other, "opened_by": by, "cash_register_id": other_register,
                                      "opened_at": opened_at, "closed_at": closed_at, "device_id": device },
                        "received": { "cash_session_id": s.session, "opened_by": cashier, "cash_register_id": register,
                                      "opened_at": s.opened_at, "closed_at": s.closed_at, "device_id": self.device_id },
                    }))
                    .execute(&mut *tx)
                    .await?;
                self.conflicts += 1;
            }
        }
        Ok(())
    }

    fn version(&self, hlc: Hlc) -> Version {
        Version { hlc, origin: self.device_id.to_string() }
    }

    fn scope(&self) -> Scope {
        Scope { branch_id: BranchId(self.branch_id) }
    }

    /// The employee the op names as acting, re-checked as central knows
    /// them (`needed` is the permission the action takes).
    async fn acting(
        &mut self,
        tx: &mut PgConnection,
        op: &Op,
        needed: Permission,
    ) -> Result<employees::Employee, Failure> {
        let known = match op.employee_id {
            Some(id) => load_employee(tx, id.0).await?,
            None => None,
        };
        match trust::acting(op.employee_id, known.as_ref(), self.scope(), needed) {
            Ok(actor) => Ok(actor.clone()),
            Err(r) => Err(self.refuse(op, r)),
        }
    }

    /// A reference-data op central will not apply: rejected with the reason,
    /// and recorded for headquarters.
    fn refuse(&mut self, op: &Op, r: Refusal) -> Failure {
        self.conflict(
            op.seq,
            "op_refused",
            json!({ "op_kind": op.kind.code(), "code": r.code, "reason": r.message,
                    "employee_id": op.employee_id, "entity_id": op.payload.get("id") }),
        );
        Failure::Reject(Reject(format!("rechazada ({}): {}", r.code, r.message)))
    }

    /// Keeps an employee change that raises privileges for an owner to
    /// decide, with the employee as central has it and as the op leaves it.
    async fn hold(
        &mut self,
        tx: &mut PgConnection,
        op: &Op,
        entity: Uuid,
        before: Option<Value>,
        after: Value,
    ) -> Result<(), Failure> {
        sqlx::query(
            "INSERT INTO sync_approvals (device_id, branch_id, seq, kind, acting_employee_id, entity_id, op, before, after)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (device_id, seq) DO NOTHING",
        )
        .bind(self.device_id)
        .bind(self.branch_id)
        .bind(op.seq)
        .bind(op.kind.code())
        .bind(op.employee_id.map(|e| e.0))
        .bind(entity)
        .bind(serde_json::to_value(op)?)
        .bind(before)
        .bind(after)
        .execute(&mut *tx)
        .await?;
        self.holding = true;
        Ok(())
    }

    /// An employee created, changed or re-PINed at a till: re-checked, held
    /// when it raises privileges, written otherwise.
    async fn employee_saved(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        let e: payload::EmployeeSaved = parse(op)?;
        let before = load_employee(tx, e.id.0).await?;
        let before_state = before.as_ref().map(employees::Employee::state);
        let after = saved_state(&e);
        if own_pin_change(op, &e, before_state.as_ref()) {
            return self.write_employee(tx, op.seq, &e).await.map(|_| ());
        }
        let actor = self.acting(tx, op, Permission::SecurityUsersManage).await?;
        if let Err(r) = trust::employee_change(&actor, self.scope(), e.id, before_state.as_ref(), &after) {
            return Err(self.refuse(op, r));
        }
        if employee::raises_privileges(before_state.as_ref(), &after) {
            let before = before.as_ref().map(employees::snapshot);
            return self.hold(tx, op, e.id.0, before, employees::state_snapshot(&after)).await;
        }
        self.write_employee(tx, op.seq, &e).await.map(|_| ())
    }

    /// Writes an employee by last-writer-wins; whether it was written.
    async fn write_employee(
        &mut self,
        tx: &mut PgConnection,
        seq: i64,
        e: &payload::EmployeeSaved,
    ) -> Result<bool, Failure> {
        let incoming = self.version(e.hlc);
        if let Some(current) = self.employee(tx, e.id.0).await?
            && !incoming.wins_over(&current.version)
        {
            self.conflict(
                seq,
                "stale_edit",
                json!({ "entity": "employee", "id": e.id,
                "current": current.version, "received": incoming }),
            );
            return Ok(false);
        }
        let lookup = unhex(&e.pin_lookup).ok().map(|l| l.to_vec());
        // A PIN another active employee took meanwhile cannot identify both.
        let taken: Option<Uuid> = match (&lookup, e.is_active) {
            (Some(l), true) => {
                sqlx::query_scalar(
                    "SELECT id FROM employees WHERE pin_lookup = $1 AND is_active AND id <> $2",
                )
                .bind(l)
                .bind(e.id.0)
                .fetch_optional(&mut *tx)
                .await?
            }
            _ => None,
        };
        if let Some(other) = taken {
            self.conflict(seq, "pin_collision", json!({ "employee_id": e.id, "other_employee_id": other }));
        }
        let lookup = if taken.is_some() { None } else { lookup };
        sqlx::query(
            "INSERT INTO employees (id, name, email, phone, pin_hash, pin_lookup, role, branch_id, max_discount_pct, is_active,
                                    hlc, origin, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::numeric / 100, $10, $11, $12, $13)
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, phone = EXCLUDED.phone,
                 pin_hash = EXCLUDED.pin_hash, pin_lookup = EXCLUDED.pin_lookup, role = EXCLUDED.role,
                 branch_id = EXCLUDED.branch_id, max_discount_pct = EXCLUDED.max_discount_pct,
                 is_active = EXCLUDED.is_active, hlc = EXCLUDED.hlc, origin = EXCLUDED.origin, updated_at = EXCLUDED.updated_at",
        )
        .bind(e.id.0)
        .bind(&e.name)
        .bind(&e.email)
        .bind(&e.phone)
        .bind(&e.pin_hash)
        .bind(lookup)
        .bind(e.role.code())
        .bind(e.branch_id.map(|b| b.0))
        .bind(i32::from(e.max_discount_bp.hundredths()))
        .bind(e.is_active)
        .bind(e.hlc.0)
        .bind(&incoming.origin)
        .bind(e.updated_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM employee_permissions WHERE employee_id = $1")
            .bind(e.id.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO employee_permissions (employee_id, permission) SELECT $1, unnest($2::text[])",
        )
        .bind(e.id.0)
        .bind(e.permissions.codes())
        .execute(&mut *tx)
        .await?;
        self.employees.insert(e.id.0, Some(Employee { active: e.is_active, version: incoming }));
        Ok(true)
    }

    async fn register_saved(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        let r: payload::RegisterSaved = parse(op)?;
        self.acting(tx, op, Permission::CashRegisterManage).await?;
        let incoming = self.version(r.hlc);
        let current: Option<(i64, String, Uuid)> =
            sqlx::query_as("SELECT hlc, origin, branch_id FROM cash_registers WHERE id = $1")
                .bind(r.id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Err(refusal) =
            trust::register_change(self.scope(), current.as_ref().map(|c| BranchId(c.2)), r.branch_id)
        {
            return Err(self.refuse(op, refusal));
        }
        if let Some((hlc, origin, _)) = current
            && !incoming.wins_over(&Version { hlc: Hlc(hlc), origin: origin.clone() })
        {
            self.conflict(
                op.seq,
                "stale_edit",
                json!({ "entity": "register", "id": r.id,
                "current": { "hlc": hlc, "origin": origin }, "received": incoming }),
            );
            return Ok(());
        }
        let taken: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM cash_registers WHERE branch_id = $1 AND register_number = $2 AND id <> $3",
        )
        .bind(r.branch_id.0)
        .bind(r.register_number as i16)
        .bind(r.id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(other) = taken {
            self.conflict(
                op.seq,
                "register_number_taken",
                json!({ "register_id": r.id, "other_register_id": other,
                "register_number": r.register_number }),
            );
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO cash_registers (id, branch_id, name, register_number, device_id, is_active, hlc, origin, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET branch_id = EXCLUDED.branch_id, name = EXCLUDED.name,
                 register_number = EXCLUDED.register_number, device_id = EXCLUDED.device_id, is_active = EXCLUDED.is_active,
                 hlc = EXCLUDED.hlc, origin = EXCLUDED.origin, updated_at = EXCLUDED.updated_at",
        )
        .bind(r.id)
        .bind(r.branch_id.0)
        .bind(&r.name)
        .bind(r.register_number as i16)
        .bind(&r.device_id)
        .bind(r.is_active)
        .bind(r.hlc.0)
        .bind(&incoming.origin)
        .bind(r.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::error::violated_constraint(&e) {
            Some(c) => Failure::Reject(Reject(format!("la caja no cumple {c}"))),
            None => Failure::Db(e),
        })?;
        Ok(())
    }

    async fn assignment_saved(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        let a: payload::AssignmentSaved = parse(op)?;
        self.acting(tx, op, Permission::CashAssign).await?;
        let incoming = self.version(a.hlc);
        let assignee = load_employee(tx, a.user_id.0)
            .await?
            .ok_or_else(|| Reject(format!("empleado desconocido {}", a.user_id)))?;
        let register: Option<Uuid> = sqlx::query_scalar("SELECT branch_id FROM cash_registers WHERE id = $1")
            .bind(a.cash_register_id)
            .fetch_optional(&mut *tx)
            .await?;
        let register = register.ok_or_else(|| Reject(format!("caja desconocida {}", a.cash_register_id)))?;
        if let Err(r) = trust::assignment_change(self.scope(), BranchId(register), assignee.branch_id) {
            return Err(self.refuse(op, r));
        }
        let current: Option<(Uuid, i64, String)> = sqlx::query_as(
            "SELECT id, hlc, origin FROM cash_register_assignments WHERE cash_register_id = $1 AND user_id = $2",
        )
        .bind(a.cash_register_id)
        .bind(a.user_id.0)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((_, hlc, origin)) = &current
            && !incoming.wins_over(&Version { hlc: Hlc(*hlc), origin: origin.clone() })
        {
            self.conflict(
                op.seq,
                "stale_edit",
                json!({ "entity": "assignment", "id": a.id,
                "current": { "hlc": hlc, "origin": origin }, "received": incoming }),
            );
            return Ok(());
        }
        // The same pair may have been assigned on two terminals under two ids:
        // the pair is what counts.
        let id = current.map_or(a.id, |(id, _, _)| id);
        sqlx::query(
            "INSERT INTO cash_register_assignments (id, cash_register_id, user_id, is_active, assigned_at, assigned_by, note, hlc, origin)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET is_active = EXCLUDED.is_active, assigned_at = EXCLUDED.assigned_at,
                 assigned_by = EXCLUDED.assigned_by, note = EXCLUDED.note, hlc = EXCLUDED.hlc, origin = EXCLUDED.origin",
        )
        .bind(id)
        .bind(a.cash_register_id)
        .bind(a.user_id.0)
        .bind(a.is_active)
        .bind(a.assigned_at)
        .bind(a.assigned_by.map(|e| e.0))
        .bind(&a.note)
        .bind(a.hlc.0)
        .bind(&incoming.origin)
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::error::violated_constraint(&e) {
            Some(c) => Failure::Reject(Reject(format!("la asignación no cumple {c}"))),
            None => Failure::Db(e),
        })?;
        Ok(())
    }

    /// Writes every buffered row, one statement per table.
    async fn flush(&mut self, tx: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.buf);
        insert_sales(tx, self.device_id, self.branch_id, &buf.sales).await?;
        insert_movements(tx, &buf.movements).await?;
        insert_audit(tx, &buf.audit).await?;
        if !buf.ops.is_empty() {
            let ops = &buf.ops;
            let seqs: Vec<i64> = ops.iter().map(|o| o.seq).collect();
            let ids: Vec<Uuid> = ops.iter().map(|o| o.op_id).collect();
            let kinds: Vec<&str> = ops.iter().map(|o| o.kind.as_ref()).collect();
            let statuses: Vec<&str> = ops.iter().map(|o| o.status).collect();
            let reasons: Vec<Option<&str>> = ops.iter().map(|o| o.reason.as_deref()).collect();
            let employees: Vec<Option<Uuid>> = ops.iter().map(|o| o.employee_id).collect();
            let times: Vec<DateTime<Utc>> = ops.iter().map(|o| o.device_time).collect();
            sqlx::query(
                "INSERT INTO sync_ops (device_id, seq, op_id, kind, status, reason, employee_id, device_time)
                 SELECT $1, * FROM unnest($2::int8[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::timestamptz[])",
            )
            .bind(self.device_id)
            .bind(seqs)
            .bind(ids)
            .bind(kinds)
            .bind(statuses)
            .bind(reasons)
            .bind(employees)
            .bind(times)
            .execute(&mut *tx)
            .await?;
        }
        if !buf.conflicts.is_empty() {
            let seqs: Vec<i64> = buf.conflicts.iter().map(|c| c.0).collect();
            let kinds: Vec<&str> = buf.conflicts.iter().map(|c| c.1).collect();
            let details: Vec<String> = buf.conflicts.iter().map(|c| c.2.to_string()).collect();
            sqlx::query(
                "INSERT INTO sync_conflicts (device_id, seq, kind, detail)
                 SELECT $1, s, k, d::jsonb FROM unnest($2::int8[], $3::text[], $4::text[]) AS t(s, k, d)",
            )
            .bind(self.device_id)
            .bind(seqs)
            .bind(kinds)
            .bind(details)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}

/// An employee as central has it, for the re-checks.
async fn load_employee(tx: &mut PgConnection, id: Uuid) -> Result<Option<employees::Employee>, Failure> {
    employees::load(tx, id, false).await.map_err(|e| match e {
        Error::Database(e) => Failure::Db(e),
        other => Failure::Reject(Reject(format!("empleado ilegible en la central: {other}"))),
    })
}

/// The employee as an `EmployeeSaved` leaves them.
/// An active employee changing only their own PIN at a till — any role, the
/// owner included: nothing about who they are or what they may do changes,
/// so it needs no permission and raises nothing.
fn own_pin_change(op: &Op, e: &payload::EmployeeSaved, before: Option<&EmployeeState>) -> bool {
    op.employee_id == Some(e.id) && before.is_some_and(|b| b.is_active && *b == saved_state(e))
}

fn saved_state(e: &payload::EmployeeSaved) -> EmployeeState {
    EmployeeState {
        name: e.name.clone(),
        email: e.email.clone(),
        phone: e.phone.clone(),
        role: e.role,
        branch_id: e.branch_id,
        max_discount: e.max_discount_bp,
        permissions: e.permissions.clone(),
        is_active: e.is_active,
    }
}

#[allow(clippy::type_complexity)]
/// expected = opening + cash received − change + cash in − cash out, from
/// central's own rows.
async fn expected_cents(tx: &mut PgConnection, session: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT ((s.opening_amount
            + coalesce((SELECT sum(p.tendered) FROM sale_payments p JOIN sales v ON v.id = p.sale_id
                        WHERE v.cash_session_id = s.id AND p.method = 'efectivo'), 0)
            + coalesce((SELECT sum(amount) FROM layaway_payments WHERE cash_session_id = s.id AND payment_method = 'efectivo'), 0)
            - coalesce((SELECT sum(change_given) FROM sales WHERE cash_session_id = s.id), 0)
            + coalesce((SELECT sum(amount) FROM cash_movements WHERE cash_session_id = s.id AND type = 'in'), 0)
            - coalesce((SELECT sum(amount) FROM cash_movements WHERE cash_session_id = s.id AND type IN ('out', 'expense')), 0)
         ) * 100)::bigint
         FROM cash_sessions s WHERE s.id = $1",
    )
    .bind(session)
    .fetch_one(&mut *tx)
    .await
}

async fn insert_sales(
    tx: &mut PgConnection,
    device: Uuid,
    branch: Uuid,
    sales: &[payload::SaleCompleted],
) -> Result<(), sqlx::Error> {
    if sales.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&payload::SaleCompleted) -> i64| sales.iter().map(f).collect::<Vec<i64>>();
    sqlx::query(
        "INSERT INTO sales (id, branch_id, customer_id, employee_id, register_id, cash_session_id, sale_type, payment_method,
                            price_tier, subtotal, discount_total, tax_total, total, amount_paid, change_given,
                            metodo_pago_sat, forma_pago_sat, status, device_id, created_at)
         SELECT id, coalesce(branch, $1), customer, employee, register, session, 'cash', method, tier, subtotal / 100.0,
                discount / 100.0, tax / 100.0, total / 100.0, paid / 100.0, change / 100.0, 'PUE', forma, 'completed', $2, created
         FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::uuid[], $8::uuid[], $9::text[], $10::int2[],
                     $11::int8[], $12::int8[], $13::int8[], $14::int8[], $15::int8[], $16::int8[], $17::text[], $18::timestamptz[])
              AS t(id, branch, customer, employee, register, session, method, tier, subtotal, discount, tax, total, paid,
                   change, forma, created)",
    )
    .bind(branch)
    .bind(device.to_string())
    .bind(sales.iter().map(|s| s.sale_id).collect::<Vec<_>>())
    .bind(sales.iter().map(|s| Some(s.branch_id.0)).collect::<Vec<_>>())
    .bind(sales.iter().map(|s| s.customer_id).collect::<Vec<_>>())
    .bind(sales.iter().map(|s| s.employee_id.0).collect::<Vec<_>>())
    .bind(sales.iter().map(|s| s.register_id).collect::<Vec<_>>())
    .bind(sales.iter().map(|s| s.cash_session_id).collect::<Vec<_>>())
    .bind(sales.iter().map(|s| s.payment_method.code()).collect::<Vec<_>>())
    .bind(sales.iter().map(|s| i16::from(s.price_tier)).collect::<Vec<_>>())
    .bind(col(|s| s.totals.subtotal.cents()))
    .bind(col(|s| s.totals.discount_total.cents()))
    .bind(col(|s| s.totals.tax_total.cents()))
    .bind(col(|s| s.totals.total.cents()))
    .bind(col(|s| s.amount_paid_cents))
    .bind(col(|s| s.change_cents))
    .bind(sales.iter().map(|s| s.payment_method.forma_pago_sat()).collect::<Vec<_>>())
    .bind(sales.iter().map(|s| s.created_at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;

    let items: Vec<(Uuid, &payload::SaleItem)> =
        sales.iter().flat_map(|s| s.items.iter().map(move |i| (s.sale_id, i))).collect();
    sqlx::query(
        "INSERT INTO sale_items (id, sale_id, inventory_id, part_number, name, quantity, unit_price, unit_cost, discount_pct,
                                 discount_amount, tax_rate, tax_amount, subtotal)
         SELECT id, sale, product, part, name, qty, price / 100.0, cost / 100.0, disc_bp / 100.0, disc / 100.0,
                rate_bp / 10000.0, tax / 100.0, sub / 100.0
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::int4[], $7::int8[], $8::int8[],
                     $9::int4[], $10::int8[], $11::int4[], $12::int8[], $13::int8[])
              AS t(id, sale, product, part, name, qty, price, cost, disc_bp, disc, rate_bp, tax, sub)",
    )
    .bind(items.iter().map(|(_, i)| i.id).collect::<Vec<_>>())
    .bind(items.iter().map(|(s, _)| *s).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.inventory_id).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.part_number.as_str()).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.name.as_str()).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.quantity as i32).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.unit_price_cents).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.unit_cost_cents).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i32::from(i.discount_bp.hundredths())).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.discount_cents).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i32::from(i.tax_rate_bp.hundredths())).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.tax_cents).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.subtotal_cents).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;

    let payments: Vec<(Uuid, &payload::SalePayment)> =
        sales.iter().flat_map(|s| s.payments.iter().map(move |p| (s.sale_id, p))).collect();
    if !payments.is_empty() {
        sqlx::query(
            "INSERT INTO sale_payments (id, sale_id, method, amount, tendered)
             SELECT id, sale, method, amount / 100.0, tendered / 100.0
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int8[], $5::int8[]) AS t(id, sale, method, amount, tendered)",
        )
        .bind(payments.iter().map(|(_, p)| p.id).collect::<Vec<_>>())
        .bind(payments.iter().map(|(s, _)| *s).collect::<Vec<_>>())
        .bind(payments.iter().map(|(_, p)| p.method.code()).collect::<Vec<_>>())
        .bind(payments.iter().map(|(_, p)| p.amount_cents).collect::<Vec<_>>())
        .bind(payments.iter().map(|(_, p)| p.tendered_cents).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    let stock: Vec<StockRow<'_>> =
        sales.iter().flat_map(|s| StockRow::of(&s.stock, s.sale_id, s.employee_id.0, s.created_at)).collect();
    insert_stock(tx, device, &stock).await
}

/// A stock move and what it belongs to.
struct StockRow<'a> {
    moved: &'a payload::StockMove,
    sale: Uuid,
    employee: Uuid,
    at: DateTime<Utc>,
}

impl<'a> StockRow<'a> {
    fn of(
        moves: &'a [payload::StockMove],
        sale: Uuid,
        employee: Uuid,
        at: DateTime<Utc>,
    ) -> impl Iterator<Item = StockRow<'a>> {
        moves.iter().map(move |moved| StockRow { moved, sale, employee, at })
    }
}

/// Every stock move given, in one statement.
async fn insert_stock(tx: &mut PgConnection, device: Uuid, rows: &[StockRow<'_>]) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO inventory_operations (id, inventory_id, branch_id, operation_type, quantity, reference_id, reference_type,
                                           cost_at_time, employee_id, device_id, created_at)
         SELECT id, product, branch, kind, qty, sale, 'sale', cost / 100.0, employee, $1, created
         FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::int4[], $7::int8[], $8::uuid[], $9::uuid[],
                     $10::timestamptz[])
              AS t(id, product, branch, kind, qty, cost, sale, employee, created)",
    )
    .bind(device.to_string())
    .bind(rows.iter().map(|r| r.moved.id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.moved.inventory_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.moved.branch_id.0).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.moved.operation_type.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.moved.quantity as i32).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.moved.cost_cents).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.sale).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.employee).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn insert_movements(tx: &mut PgConnection, moves: &[payload::CashMoved]) -> Result<(), sqlx::Error> {
    if moves.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO cash_movements (id, cash_session_id, type, amount, reason, employee_id, created_at)
         SELECT id, session, kind, amount / 100.0, reason, employee, created
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int8[], $5::text[], $6::uuid[], $7::timestamptz[])
              AS t(id, session, kind, amount, reason, employee, created)",
    )
    .bind(moves.iter().map(|m| m.movement_id).collect::<Vec<_>>())
    .bind(moves.iter().map(|m| m.cash_session_id).collect::<Vec<_>>())
    .bind(moves.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>())
    .bind(moves.iter().map(|m| m.amount_cents).collect::<Vec<_>>())
    .bind(moves.iter().map(|m| m.reason.as_str()).collect::<Vec<_>>())
    .bind(moves.iter().map(|m| m.employee_id.0).collect::<Vec<_>>())
    .bind(moves.iter().map(|m| m.created_at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn insert_audit(tx: &mut PgConnection, entries: &[ChainedEntry]) -> Result<(), sqlx::Error> {
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
