//! `move`: cash in, cash out or an expense on the open session.

use clap::Args;
use nexus_terminal::Error;
use nexus_terminal::movements::{MovementKind, NewMovement};

use crate::Ctx;
use crate::output::money;

#[derive(Args)]
pub struct MoveArgs {
    #[arg(long, value_parser = ["in", "out", "expense"])]
    kind: String,
    #[arg(long)]
    amount: String,
    #[arg(long)]
    reason: String,
}

pub fn run(ctx: &Ctx, args: &MoveArgs) -> Result<(), Error> {
    ctx.login()?;
    let kind = match args.kind.as_str() {
        "in" => MovementKind::In,
        "out" => MovementKind::Out,
        _ => MovementKind::Expense,
    };
    let m = ctx.terminal.move_cash(&NewMovement {
        cash_session_id: ctx.open_session_id()?,
        kind,
        amount: args.amount.clone(),
        reason: args.reason.clone(),
    })?;
    ctx.out.show(&m, |m| {
        format!("{} de {}; en caja: {}", m.kind.label(), money(m.amount_cents), money(m.drawer_cents))
    })
}
