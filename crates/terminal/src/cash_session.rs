//! Cash sessions as the register-assignment spec describes them: the home
//! context after login, opening with the spec's validations in its order,
//! the secure close with a count, the close the owner asks for from
//! headquarters (not counted), and the Z report.

use chrono::{DateTime, Utc};
use nexus_domain::cash::{self, DenominationCount, DrawerTotals, OpeningFacts, SessionFacts};
use nexus_domain::money::Money;
use nexus_domain::sync::{OpKind, feed, hex, payload};
use nexus_domain::{BranchId, DomainError, EmployeeId, Permission};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::Terminal;
use crate::error::{Error, Result};
use crate::journal::{self, Entry};
use crate::store::{RowExt, ts, violates};

/// Which of the spec's four home cases applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HomeCase {
    /// Case 1: a session is open — show it with "Cerrar Caja".
    OpenSession,
    /// Case 2: one register assigned — the opening amount field directly.
    SingleRegister,
    /// Case 3: several — a selector, then the amount.
    SeveralRegisters,
    /// Case 4: none — "contact your admin".
    NoRegisters,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AssignedRegister {
    pub id: Uuid,
    pub name: String,
    pub register_number: i64,
    pub branch_name: String,
    /// Someone else has a session open on it.
    pub in_use: bool,
}

/// What the home screen needs after login (`fn_pos_home_context`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HomeContext {
    pub open_cash_session_id: Option<Uuid>,
    pub assigned_registers_count: i64,
    pub single_cash_register_id: Option<Uuid>,
    pub case: HomeCase,
    pub registers: Vec<AssignedRegister>,
    pub session: Option<SessionView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SessionView {
    pub id: Uuid,
    pub cash_register_id: Uuid,
    pub register_name: String,
    pub opened_by: EmployeeId,
    pub opened_by_name: String,
    pub opening_cents: i64,
    pub status: String,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub counted_cents: Option<i64>,
    pub expected_cents: Option<i64>,
    pub difference_cents: Option<i64>,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct OpenSession {
    pub cash_register_id: Uuid,
    /// As typed: `500`, `1,250.50`.
    pub opening_amount: String,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct CloseSession {
    pub cash_session_id: Uuid,
    /// As typed; optional when `denominations` is given.
    #[serde(default)]
    pub counted_amount: Option<String>,
    #[serde(default)]
    pub denominations: Option<DenominationCount>,
    /// The person confirmed that the drawer really is empty: a count of
    /// $0.00 is refused without it.
    #[serde(default)]
    pub confirm_zero: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MethodTotal {
    pub method: String,
    pub count: i64,
    pub amount_cents: i64,
}

/// The end-of-shift report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ZReport {
    pub store_name: String,
    pub session: SessionView,
    pub sales_count: i64,
    pub cancelled_count: i64,
    /// Completed sales by payment method.
    pub sales_by_method: Vec<MethodTotal>,
    pub sales_total_cents: i64,
    pub layaway_payments_cents: i64,
    pub cash_in_cents: i64,
    /// Withdrawals, expenses and refunds.
    pub cash_out_cents: i64,
    pub expenses_cents: i64,
    pub drawer: DrawerTotals,
    pub expected_cents: i64,
    pub counted_cents: Option<i64>,
    pub difference_cents: Option<i64>,
    pub denominations: Option<DenominationCount>,
    /// The device's audit chain head when the report was made: the close's
    /// own entry for a closed session.
    pub audit_head_seq: i64,
    pub audit_head_hash: String,
    pub generated_at: DateTime<Utc>,
}

const SESSION_SELECT: &str = "SELECT s.id, s.cash_register_id, r.name, s.opened_by, e.name, s.opening_amount, s.status,
        s.opened_at, s.closed_at, s.counted_amount, s.expected_amount, s.difference
    FROM cash_sessions s JOIN cash_registers r ON r.id = s.cash_register_id JOIN employees e ON e.id = s.opened_by";

fn read_session(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionView> {
    Ok(SessionView {
        id: r.uuid(0)?,
        cash_register_id: r.uuid(1)?,
        register_name: r.get(2)?,
        opened_by: EmployeeId(r.uuid(3)?),
        opened_by_name: r.get(4)?,
        opening_cents: r.get(5)?,
        status: r.get(6)?,
        opened_at: r.time(7)?,
        closed_at: r.opt_time(8)?,
        counted_cents: r.get(9)?,
        expected_cents: r.get(10)?,
        difference_cents: r.get(11)?,
    })
}

pub(crate) fn load_session(conn: &Connection, id: Uuid) -> Result<Option<SessionView>> {
    Ok(conn
        .prepare_cached(&format!("{SESSION_SELECT} WHERE s.id = ?1"))?
        .query_row([id.to_string()], read_session)
        .optional()?)
}

fn open_session_of(conn: &Connection, employee: EmployeeId) -> Result<Option<SessionView>> {
    Ok(conn
        .prepare_cached(&format!("{SESSION_SELECT} WHERE s.opened_by = ?1 AND s.status = 'OPEN'"))?
        .query_row([employee.to_string()], read_session)
        .optional()?)
}

/// The OPEN session `id` if `actor` owns it, for any operation on it.
pub(crate) fn operable_session(conn: &Connection, id: Uuid, actor: EmployeeId) -> Result<SessionView> {
    let session = load_session(conn, id)?;
    cash::check_operation(session.as_ref().map(facts), actor)?;
    session.ok_or(Error::Rule(DomainError::InvalidSession))
}

fn facts(s: &SessionView) -> SessionFacts {
    SessionFacts { open: s.status == "OPEN", opened_by: s.opened_by }
}

fn sum(conn: &Connection, sql: &str, session: Uuid) -> Result<i64> {
    Ok(conn.prepare_cached(sql)?.query_row([session.to_string()], |r| r.get(0))?)
}

/// The money that went through the session's drawer so far.
pub(crate) fn drawer(conn: &Connection, s: &SessionView) -> Result<DrawerTotals> {
    let sales_cash = sum(
        conn,
        "SELECT coalesce(sum(p.tendered), 0) FROM sale_payments p JOIN sales v ON v.id = p.sale_id
         WHERE v.cash_session_id = ?1 AND p.method = 'efectivo'",
        s.id,
    )?;
    let layaway_cash = sum(
        conn,
        "SELECT coalesce(sum(amount), 0) FROM layaway_payments WHERE cash_session_id = ?1 AND payment_method = 'efectivo'",
        s.id,
    )?;
    let change =
        sum(conn, "SELECT coalesce(sum(change_given), 0) FROM sales WHERE cash_session_id = ?1", s.id)?;
    let cash_in = sum(
        conn,
        "SELECT coalesce(sum(amount), 0) FROM cash_movements WHERE cash_session_id = ?1 AND type = 'in'",
        s.id,
    )?;
    let cash_out = sum(
        conn,
        "SELECT coalesce(sum(amount), 0) FROM cash_movements WHERE cash_session_id = ?1 AND type IN ('out', 'expense')",
        s.id,
    )?;
    Ok(DrawerTotals {
        opening: Money::from_cents(s.opening_cents),
        cash_received: Money::from_cents(sales_cash + layaway_cash),
        change_given: Money::from_cents(change),
        cash_in: Money::from_cents(cash_in),
        cash_out: Money::from_cents(cash_out),
    })
}

fn assigned_registers(
    conn: &Connection,
    employee: EmployeeId,
    branch: BranchId,
) -> Result<Vec<AssignedRegister>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.name, r.register_number, b.name,
                EXISTS (SELECT 1 FROM cash_sessions s WHERE s.cash_register_id = r.id AND s.status = 'OPEN' AND s.opened_by <> ?1)
         FROM cash_register_assignments a
         JOIN cash_registers r ON r.id = a.cash_register_id
         JOIN branches b ON b.id = r.branch_id
         WHERE a.user_id = ?1 AND a.is_active = 1 AND r.is_active = 1 AND r.branch_id = ?2
         ORDER BY r.register_number",
    )?;
    let rows = stmt.query_map(params![employee.to_string(), branch.to_string()], |r| {
        Ok(AssignedRegister {
            id: r.uuid(0)?,
            name: r.get(1)?,
            register_number: r.get(2)?,
            branch_name: r.get(3)?,
            in_use: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Terminal {
    /// The home context of the employee at the counter. Registers count
    /// when the assignment and the register are active and the register
    /// belongs to this terminal's branch.
    pub fn home(&self) -> Result<HomeContext> {
        self.view(|conn, ctx| {
            let session = open_session_of(conn, ctx.actor.id)?;
            let registers = assigned_registers(conn, ctx.actor.id, ctx.device.branch_id)?;
            let count = registers.len() as i64;
            let case = match (&session, count) {
                (Some(_), _) => HomeCase::OpenSession,
                (None, 0) => HomeCase::NoRegisters,
                (None, 1) => HomeCase::SingleRegister,
                (None, _) => HomeCase::SeveralRegisters,
            };
            Ok(HomeContext {
                open_cash_session_id: session.as_ref().map(|s| s.id),
                assigned_registers_count: count,
                single_cash_register_id: (count == 1).then(|| registers[0].id),
                case,
                registers,
                session,
            })
        })
    }

    /// Opens a session on a register (`sp_open_cash_session`).
    pub fn open_session(&self, input: &OpenSession) -> Result<SessionView> {
        let opening = Money::parse_amount(&input.opening_amount)?;
        self.act(|tx, ctx| {
            let register = crate::registers::load_register(tx, input.cash_register_id)?
                .ok_or(DomainError::RegisterNotFound)?;
            let assigned: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM cash_register_assignments WHERE cash_register_id = ?1 AND user_id = ?2 AND is_active = 1)",
                params![register.id.to_string(), ctx.actor.id.to_string()],
                |r| r.get(0),
            )?;
            cash::check_opening(&OpeningFacts {
                grants: ctx.actor.grants.clone(),
                assigned,
                register_active: register.is_active,
                user_has_open_session: open_session_of(tx, ctx.actor.id)?.is_some(),
                register_in_use: register.open_session_id.is_some(),
                register_branch: register.branch_id,
                terminal_branch: ctx.device.branch_id,
            })?;
            let id = Uuid::now_v7();
            tx.execute(
                "INSERT INTO cash_sessions (id, cash_register_id, opened_by, opening_amount, status, opened_at, device_id)
                 VALUES (?1, ?2, ?3, ?4, 'OPEN', ?5, ?6)",
                params![id.to_string(), register.id.to_string(), ctx.actor.id.to_string(), opening.cents(), ts(ctx.now), ctx.device.device_id.to_string()],
            )
            .map_err(|e| match e {
                e if violates(&e, "opened_by") => Error::Rule(DomainError::SessionAlreadyOpen),
                e if violates(&e, "cash_register_id") => Error::Rule(DomainError::RegisterInUse),
                e => e.into(),
            })?;
            journal::record(
                tx,
                ctx.device.device_id,
                ctx.now,
                Entry {
                    kind: OpKind::SessionOpened,
                    employee_id: Some(ctx.actor.id),
                    branch_id: Some(register.branch_id.0),
                    action: "CASH_SESSION_OPEN",
                    entity_type: "cash_session",
                    entity_id: Some(id.to_string()),
                    old_value: None,
                    new_value: Some(json!({ "cash_register_id": register.id, "opening_cents": opening.cents() })),
                },
                &payload::SessionOpened {
                    session_id: id,
                    cash_register_id: register.id,
                    opened_by: ctx.actor.id,
                    opening_cents: opening.cents(),
                    opened_at: ctx.now,
                },
            )?;
            load_session(tx, id)?.ok_or_else(|| Error::Internal("session vanished".into()))
        })
    }

    /// Closes the actor's own session with the counted cash
    /// (`sp_close_cash_session_secure`) and returns its Z report.
    pub fn close_session(&self, input: &CloseSession) -> Result<ZReport> {
        let typed = input
            .counted_amount
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .map(Money::parse_amount)
            .transpose()?;
        let counted = cash::counted_amount(typed, input.denominations.as_ref(), input.confirm_zero)?;
        self.act(|tx, ctx| {
            let session = load_session(tx, input.cash_session_id)?;
            cash::check_close(session.as_ref().map(facts), ctx.actor.id, &ctx.actor.grants)?;
            let session = session.ok_or(Error::Rule(DomainError::SessionNotClosable))?;
            let totals = drawer(tx, &session)?;
            let expected = totals.expected()?;
            let difference = cash::difference(counted, expected);
            let denominations = input.denominations.as_ref().map(serde_json::to_string).transpose()?;
            tx.execute(
                "UPDATE cash_sessions SET status = 'CLOSED', counted_amount = ?2, expected_amount = ?3, difference = ?4,
                        denominations = ?5, closed_at = ?6, closed_by = ?7
                 WHERE id = ?1 AND status = 'OPEN'",
                params![session.id.to_string(), counted.cents(), expected.cents(), difference.cents(), denominations, ts(ctx.now), ctx.actor.id.to_string()],
            )?;
            journal::record(
                tx,
                ctx.device.device_id,
                ctx.now,
                Entry {
                    kind: OpKind::SessionClosed,
                    employee_id: Some(ctx.actor.id),
                    branch_id: Some(ctx.device.branch_id.0),
                    action: "CASH_SESSION_CLOSE",
                    entity_type: "cash_session",
                    entity_id: Some(session.id.to_string()),
                    old_value: Some(json!({ "status": "OPEN" })),
                    new_value: Some(json!({
                        "status": "CLOSED",
                        "counted_cents": counted.cents(),
                        "expected_cents": expected.cents(),
                        "difference_cents": difference.cents(),
                    })),
                },
                &payload::SessionClosed {
                    session_id: session.id,
                    closed_by: ctx.actor.id,
                    counted_cents: counted.cents(),
                    expected_cents: expected.cents(),
                    difference_cents: difference.cents(),
                    denominations: input.denominations.clone(),
                    drawer: totals,
                    closed_at: ctx.now,
                },
            )?;
            z_report(tx, &ctx.device.store_name, session.id, ctx.now)
        })
    }

    /// The report of a session: the actor's own, or any with `CASH.VIEW`.
    /// An open session's report is a partial (X) report.
    pub fn session_report(&self, session_id: Uuid) -> Result<ZReport> {
        self.view(|conn, ctx| {
            let session = load_session(conn, session_id)?
                .ok_or_else(|| Error::not_found("session_not_found", "Sesión de caja no encontrada"))?;
            if session.opened_by != ctx.actor.id {
                ctx.actor.require(&[Permission::CashView])?;
            }
            z_report(conn, &ctx.device.store_name, session_id, ctx.now)
        })
    }
}

/// Closes a session of this till because the owner asked central to
/// (`feed::RemoteClose`), in the pull's transaction: "closed by owner, not
/// counted" — no counted amount, no difference, the expected cash as the
/// drawer says — with its audit entry and its outbox op. A request that is
/// not pending, is for another till, or for a session this till no longer
/// has open (closed offline with its count, which stands) changes nothing
/// and records nothing.
pub(crate) fn close_by_owner(
    tx: &rusqlite::Transaction<'_>,
    device: &crate::Device,
    request: &feed::RemoteClose,
    now: DateTime<Utc>,
) -> Result<()> {
    if request.status != "pending" || request.device_id != device.device_id.to_string() {
        return Ok(());
    }
    let Some(session) = load_session(tx, request.cash_session_id)? else {
        return Ok(());
    };
    if session.status != "OPEN" {
        return Ok(());
    }
    // The owner as this till knows them; an owner it does not know yet
    // leaves `closed_by` empty rather than pointing nowhere.
    let owner = match request.requested_by {
        Some(id) => tx
            .query_row("SELECT id FROM employees WHERE id = ?1", [id.to_string()], |r| r.uuid(0))
            .optional()?
            .map(EmployeeId),
        None => None,
    };
    let totals = drawer(tx, &session)?;
    let expected = totals.expected()?;
    tx.execute(
        "UPDATE cash_sessions SET status = 'CLOSED', counted_amount = NULL, expected_amount = ?2, difference = NULL,
                denominations = NULL, closed_at = ?3, closed_by = ?4
         WHERE id = ?1 AND status = 'OPEN'",
        params![session.id.to_string(), expected.cents(), ts(now), owner.map(|o| o.to_string())],
    )?;
    journal::record(
        tx,
        device.device_id,
        now,
        Entry {
            kind: OpKind::SessionClosedByOwner,
            employee_id: owner,
            branch_id: Some(device.branch_id.0),
            action: "CASH_SESSION_REMOTE_CLOSE",
            entity_type: "cash_session",
            entity_id: Some(session.id.to_string()),
            old_value: Some(json!({ "status": "OPEN" })),
            new_value: Some(json!({
                "status": "CLOSED",
                "closed_by_owner": true,
                "counted_cents": null,
                "expected_cents": expected.cents(),
                "difference_cents": null,
                "request_id": request.id,
                "reason": request.reason,
            })),
        },
        &payload::SessionClosedByOwner {
            session_id: session.id,
            request_id: request.id,
            closed_by: owner,
            expected_cents: expected.cents(),
            drawer: totals,
            closed_at: now,
        },
    )?;
    Ok(())
}

fn z_report(conn: &Connection, store_name: &str, id: Uuid, now: DateTime<Utc>) -> Result<ZReport> {
    let session = load_session(conn, id)?
        .ok_or_else(|| Error::not_found("session_not_found", "Sesión de caja no encontrada"))?;
    let totals = drawer(conn, &session)?;
    let expected = totals.expected()?;
    let count = |sql: &str| sum(conn, sql, id);
    let sales_count =
        count("SELECT count(*) FROM sales WHERE cash_session_id = ?1 AND status = 'completed'")?;
    let cancelled_count =
        count("SELECT count(*) FROM sales WHERE cash_session_id = ?1 AND status = 'cancelled'")?;
    let mut stmt = conn.prepare_cached(
        "SELECT p.method, count(DISTINCT p.sale_id), coalesce(sum(p.amount), 0)
         FROM sale_payments p JOIN sales v ON v.id = p.sale_id
         WHERE v.cash_session_id = ?1 AND v.status = 'completed' GROUP BY p.method ORDER BY p.method",
    )?;
    let sales_by_method: Vec<MethodTotal> = stmt
        .query_map([id.to_string()], |r| {
            Ok(MethodTotal { method: r.get(0)?, count: r.get(1)?, amount_cents: r.get(2)? })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let sales_total_cents = count(
        "SELECT coalesce(sum(total), 0) FROM sales WHERE cash_session_id = ?1 AND status = 'completed'",
    )?;
    let layaway_payments_cents =
        count("SELECT coalesce(sum(amount), 0) FROM layaway_payments WHERE cash_session_id = ?1")?;
    let expenses_cents = count(
        "SELECT coalesce(sum(amount), 0) FROM cash_movements WHERE cash_session_id = ?1 AND type = 'expense'",
    )?;
    let denominations: Option<String> =
        conn.query_row("SELECT denominations FROM cash_sessions WHERE id = ?1", [id.to_string()], |r| {
            r.get(0)
        })?;
    let head: Option<(i64, Vec<u8>)> = if session.status == "CLOSED" {
        conn.query_row(
            "SELECT seq, hash FROM audit_log
             WHERE action IN ('CASH_SESSION_CLOSE', 'CASH_SESSION_REMOTE_CLOSE') AND entity_id = ?1",
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
    } else {
        None
    };
    let (head_seq, head_hash) = match head {
        Some(h) => h,
        None => conn.query_row("SELECT head_seq, head_hash FROM sync_state WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?,
    };
    Ok(ZReport {
        store_name: store_name.to_owned(),
        sales_count,
        cancelled_count,
        sales_by_method,
        sales_total_cents,
        layaway_payments_cents,
        cash_in_cents: totals.cash_in.cents(),
        cash_out_cents: totals.cash_out.cents(),
        expenses_cents,
        drawer: totals,
        expected_cents: expected.cents(),
        counted_cents: session.counted_cents,
        difference_cents: session.difference_cents,
        denominations: denominations.as_deref().map(serde_json::from_str).transpose()?,
        audit_head_seq: head_seq,
        audit_head_hash: hex(&head_hash),
        generated_at: now,
        session,
    })
}
