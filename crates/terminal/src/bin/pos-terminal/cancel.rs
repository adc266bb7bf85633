//! `cancel`: cancels a sale, refunding its cash from the open session.

use clap::Args;
use nexus_terminal::Error;
use nexus_terminal::sales::CancelSale;
use uuid::Uuid;

use crate::Ctx;

#[derive(Args)]
pub struct CancelArgs {
    #[arg(long)]
    sale: Uuid,
    #[arg(long)]
    reason: String,
}

pub fn run(ctx: &Ctx, args: &CancelArgs) -> Result<(), Error> {
    ctx.login()?;
    let receipt = ctx.terminal.cancel_sale(&CancelSale {
        sale_id: args.sale,
        reason: args.reason.clone(),
        cash_session_id: None,
    })?;
    ctx.out.show(&receipt, |r| format!("Venta {} cancelada", r.sale_id))
}
