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
//! applied (the cash moved) and recorded in `sync_conflicts` with both sides,
//! each raising an alert for headquarters (`crate::alerts`) in the same
//! transaction, as do a close beyond the tenant's difference threshold and a
//! till's wrong PINs that locked it.
//!
//! Each op kind has its function in the module of its concern (`sessions`,
//! `sales`, `cash`, `customers`, `layaways`, `employees`, `registers`,
//! `assignments`, `access`); `planner` holds what the batch knows and the evidence it
//! leaves, `reference` the re-checks of reference data, `flush` and `audit`
//! the buffered writes.

mod access;
mod assignments;
mod audit;
mod cash;
mod customers;
mod employees;
mod flush;
mod layaways;
mod planner;
mod reference;
mod registers;
mod sales;
mod sessions;

use chrono::{DateTime, Utc};
use nexus_domain::audit::GENESIS;
use nexus_domain::sync::{Op, OpKind, PushResponse, WIRE_VERSION, payload};
use sqlx::PgConnection;
use uuid::Uuid;

use self::audit::to_hash;
use self::flush::Buffers;
use self::planner::{Failure, Planner, Reject, Trace, parse};
use super::incoming::Arrived;
use crate::devices::DeviceCaller;
use crate::{Error, Result};

/// The most ops one push may carry.
pub const MAX_BATCH: usize = 1_000;

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
    let mut planner =
        Planner::new(device.device_id, device.branch_id, chain_seq, to_hash(&chain_head), device.received_at);
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
    now: DateTime<Utc>,
) -> Result<Replayed, sqlx::Error> {
    let mut planner = Planner::new(device_id, branch_id, 0, GENESIS, now);
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
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut planner = Planner::new(device_id, branch_id, 0, GENESIS, now);
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

    async fn effect(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        match op.kind {
            OpKind::StoreSetUp => Ok(()),
            OpKind::Access => self.access(tx, op).await,
            OpKind::SaleCompleted => self.sale_completed(tx, op).await,
            OpKind::CashMoved => self.cash_moved(tx, op).await,
            _ => {
                // Everything else writes directly, after what is buffered.
                self.flush(tx).await?;
                self.direct(tx, op).await
            }
        }
    }

    async fn direct(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        match op.kind {
            OpKind::SessionOpened => self.session_opened(tx, op).await,
            OpKind::SessionClosed => self.session_closed(tx, op).await,
            OpKind::SessionClosedByOwner => self.session_closed_by_owner(tx, op).await,
            OpKind::SaleCancelled => self.sale_cancelled(tx, op).await,
            OpKind::CustomerSaved => self.customer_saved(tx, op).await,
            OpKind::LayawayCreated => self.layaway_created(tx, op).await,
            OpKind::LayawayPaid => self.layaway_paid(tx, op).await,
            OpKind::EmployeeSaved => self.employee_saved(tx, op).await,
            OpKind::RegisterSaved => self.register_saved(tx, op).await,
            OpKind::AssignmentSaved => self.assignment_saved(tx, op).await,
            OpKind::SaleCompleted | OpKind::CashMoved | OpKind::StoreSetUp | OpKind::Access => Ok(()),
        }
    }
}
