//! `report`: the Z report of a session, the open one by default.

use clap::Args;
use nexus_terminal::Error;
use nexus_terminal::cash_session::ZReport;
use uuid::Uuid;

use crate::Ctx;
use crate::output::money;

#[derive(Args)]
pub struct ReportArgs {
    #[arg(long)]
    session: Option<Uuid>,
}

pub fn run(ctx: &Ctx, args: &ReportArgs) -> Result<(), Error> {
    ctx.login()?;
    let id = match args.session {
        Some(id) => id,
        None => ctx.open_session_id()?,
    };
    ctx.out.show(&ctx.terminal.session_report(id)?, report_text)
}

pub fn report_text(z: &ZReport) -> String {
    let mut text = format!(
        "{} — {} — {}\nFondo inicial {}\nVentas: {} ({} canceladas), total {}\n",
        z.store_name,
        z.session.register_name,
        z.session.opened_by_name,
        money(z.session.opening_cents),
        z.sales_count,
        z.cancelled_count,
        money(z.sales_total_cents)
    );
    for m in &z.sales_by_method {
        text.push_str(&format!("  {:<14} {:>4} {:>14}\n", m.method, m.count, money(m.amount_cents)));
    }
    text.push_str(&format!(
        "Entradas {}  Salidas {} (gastos {})\nEsperado {}  Contado {}  Diferencia {}\nCadena de auditoría: {} {}",
        money(z.cash_in_cents),
        money(z.cash_out_cents),
        money(z.expenses_cents),
        money(z.expected_cents),
        z.counted_cents.map_or("—".to_owned(), money),
        z.difference_cents.map_or("—".to_owned(), money),
        z.audit_head_seq,
        z.audit_head_hash
    ));
    text
}
