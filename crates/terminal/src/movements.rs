//! Cash in, cash out and expenses on an open session, each with a reason.

use nexus_domain::Permission;
use nexus_domain::error::required_text;
use nexus_domain::money::Money;
use nexus_domain::sync::{OpKind, payload};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::Terminal;
use crate::cash_session::{drawer, operable_session};
use crate::error::Result;
use crate::journal::{self, Entry};
use crate::sales::{insert_movement, insufficient_cash};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum MovementKind {
    /// Cash put into the drawer (change fund, a deposit).
    In,
    /// Cash taken out (a withdrawal to the safe).
    Out,
    /// Cash spent on something the store needed.
    Expense,
}

impl MovementKind {
    pub fn code(self) -> &'static str {
        match self {
            MovementKind::In => "in",
            MovementKind::Out => "out",
            MovementKind::Expense => "expense",
        }
    }

    /// How a cashier names it.
    pub fn label(self) -> &'static str {
        match self {
            MovementKind::In => "Entrada",
            MovementKind::Out => "Salida",
            MovementKind::Expense => "Gasto",
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewMovement {
    pub cash_session_id: Uuid,
    pub kind: MovementKind,
    /// As typed.
    pub amount: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Movement {
    pub id: Uuid,
    pub cash_session_id: Uuid,
    pub kind: MovementKind,
    pub amount_cents: i64,
    pub reason: String,
    /// Cash expected in the drawer after this movement.
    pub drawer_cents: i64,
}

impl Terminal {
    /// Records cash in, out or an expense on the actor's open session
    /// (`CASH.SESSION.OPEN`). Nothing leaves a drawer that lacks the cash.
    pub fn move_cash(&self, input: &NewMovement) -> Result<Movement> {
        let amount = Money::parse_amount(&input.amount)?;
        if amount.is_zero() {
            return Err(nexus_domain::DomainError::Invalid {
                field: "amount",
                reason: "debe ser mayor que cero",
            }
            .into());
        }
        let reason = required_text("reason", &input.reason, 300)?;
        self.act(|tx, ctx| {
            ctx.actor.require(&[Permission::CashSessionOpen])?;
            let session = operable_session(tx, input.cash_session_id, ctx.actor.id)?;
            let available = drawer(tx, &session)?.expected()?;
            let after = match input.kind {
                MovementKind::In => available.cents() + amount.cents(),
                MovementKind::Out | MovementKind::Expense => {
                    if available < amount {
                        return Err(insufficient_cash());
                    }
                    available.cents() - amount.cents()
                }
            };
            let m = payload::CashMoved {
                movement_id: Uuid::now_v7(),
                cash_session_id: session.id,
                kind: input.kind.code().into(),
                amount_cents: amount.cents(),
                reason: reason.clone(),
                employee_id: ctx.actor.id,
                created_at: ctx.now,
            };
            insert_movement(tx, &m)?;
            journal::record(
                tx,
                ctx.device.device_id,
                ctx.now,
                Entry {
                    kind: OpKind::CashMoved,
                    employee_id: Some(ctx.actor.id),
                    branch_id: Some(ctx.device.branch_id.0),
                    action: match input.kind {
                        MovementKind::In => "CASH_IN",
                        MovementKind::Out => "CASH_OUT",
                        MovementKind::Expense => "EXPENSE",
                    },
                    entity_type: "cash_movement",
                    entity_id: Some(m.movement_id.to_string()),
                    old_value: None,
                    new_value: Some(json!({ "cash_session_id": session.id, "amount_cents": amount.cents(), "reason": reason })),
                },
                &m,
            )?;
            Ok(Movement {
                id: m.movement_id,
                cash_session_id: session.id,
                kind: input.kind,
                amount_cents: amount.cents(),
                reason,
                drawer_cents: after,
            })
        })
    }
}
