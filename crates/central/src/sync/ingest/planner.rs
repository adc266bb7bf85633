//! The batch's planner: what it knows so far (from the database and from
//! the earlier ops of the batch), and the evidence, conflicts and
//! rejections every op leaves.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use nexus_domain::audit::{ChainHash, ChainedEntry};
use nexus_domain::hlc::{Hlc, Version};
use nexus_domain::sync::{AuditRecord, Op, Rejected};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use super::super::incoming::{Arrived, UnknownOp};
use super::flush::{Buffers, OpLogRow};

#[derive(Clone, Copy)]
pub(super) struct Session {
    pub(super) open: bool,
    pub(super) opened_by: Uuid,
}

#[derive(Clone)]
pub(super) struct Employee {
    pub(super) active: bool,
    pub(super) version: Version,
}

/// What the batch knows so far, from the database and from its own ops.
pub(super) struct Planner {
    pub(super) device_id: Uuid,
    pub(super) branch_id: Uuid,
    pub(super) sessions: HashMap<Uuid, Option<Session>>,
    pub(super) employees: HashMap<Uuid, Option<Employee>>,
    pub(super) products: HashMap<Uuid, bool>,
    pub(super) customers: HashMap<Uuid, bool>,
    pub(super) sales: HashMap<Uuid, Option<bool>>,
    pub(super) chain_seq: i64,
    pub(super) chain_head: ChainHash,
    pub(super) buf: Buffers,
    pub(super) applied: usize,
    pub(super) rejected: Vec<Rejected>,
    pub(super) conflicts: usize,
    pub(super) held: usize,
    pub(super) parked: usize,
    /// Set by an effect that held its op for approval instead of applying it.
    pub(super) holding: bool,
    /// Central's clock when the ops arrived: when the alerts they raise were raised.
    pub(super) now: DateTime<Utc>,
}

/// What the op log and the audit chain take from an op, whatever its kind.
pub(super) struct Trace<'a> {
    seq: i64,
    op_id: Uuid,
    kind: Cow<'static, str>,
    employee_id: Option<Uuid>,
    device_time: DateTime<Utc>,
    audit: &'a AuditRecord,
}

impl<'a> Trace<'a> {
    pub(super) fn of(arrived: &'a Arrived) -> Trace<'a> {
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

/// Why an op is refused for good.
pub(super) struct Reject(pub(super) String);

impl From<serde_json::Error> for Reject {
    fn from(e: serde_json::Error) -> Reject {
        Reject(format!("contenido inválido: {e}"))
    }
}

pub(super) enum Failure {
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

pub(super) fn parse<T: DeserializeOwned>(op: &Op) -> Result<T, Reject> {
    // Straight from the parsed tree: no copy of it per op.
    Ok(<T as serde::Deserialize>::deserialize(&op.payload)?)
}

impl Planner {
    pub(super) fn new(
        device_id: Uuid,
        branch_id: Uuid,
        chain_seq: i64,
        chain_head: ChainHash,
        now: DateTime<Utc>,
    ) -> Planner {
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
            now,
        }
    }

    /// Keeps an op of a kind this central does not know, as it came.
    pub(super) async fn park(&mut self, tx: &mut PgConnection, u: &UnknownOp) -> Result<(), sqlx::Error> {
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

    pub(super) fn reject(&mut self, seq: i64, r: Reject) {
        self.rejected.push(Rejected { seq, reason: r.0 });
    }

    /// The op log row and the audit entry, checked against the chain.
    pub(super) fn evidence(&mut self, op: &Trace<'_>, status: &'static str) {
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

    pub(super) fn conflict(&mut self, seq: i64, kind: &'static str, detail: Value) {
        self.conflicts += 1;
        self.buf.conflicts.push((seq, kind, detail));
    }

    /// State learned from ops that a rolled-back savepoint undid.
    pub(super) fn forget_batch_state(&mut self) {
        self.sessions.clear();
        self.employees.clear();
        self.products.clear();
        self.customers.clear();
        self.sales.clear();
    }

    pub(super) async fn session(
        &mut self,
        tx: &mut PgConnection,
        id: Uuid,
    ) -> Result<Option<Session>, sqlx::Error> {
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

    pub(super) async fn employee(
        &mut self,
        tx: &mut PgConnection,
        id: Uuid,
    ) -> Result<Option<Employee>, sqlx::Error> {
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

    pub(super) async fn product(&mut self, tx: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
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

    pub(super) async fn customer(&mut self, tx: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
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
    pub(super) async fn actor(&mut self, tx: &mut PgConnection, seq: i64, id: Uuid) -> Result<(), Failure> {
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
    pub(super) async fn operable(
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
}
