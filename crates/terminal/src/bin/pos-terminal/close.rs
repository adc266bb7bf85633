//! `close`: closes the open session with the cash counted, as a total or by
//! denomination.

use clap::Args;
use nexus_domain::cash::{Denomination, DenominationCount};
use nexus_terminal::Error;
use nexus_terminal::cash_session::CloseSession;

use crate::Ctx;
use crate::report::report_text;

#[derive(Args)]
pub struct CloseArgs {
    #[arg(long)]
    counted: Option<String>,
    /// Count by denomination: B1000=1,B500=2,C10=3,C050=4 …
    #[arg(long)]
    count: Option<String>,
}

pub fn run(ctx: &Ctx, args: &CloseArgs) -> Result<(), Error> {
    ctx.login()?;
    let denominations = args.count.as_deref().map(parse_count).transpose()?;
    let report = ctx.terminal.close_session(&CloseSession {
        cash_session_id: ctx.open_session_id()?,
        counted_amount: args.counted.clone(),
        denominations,
    })?;
    ctx.out.show(&report, report_text)
}

fn parse_count(text: &str) -> Result<DenominationCount, Error> {
    let invalid =
        || Error::Rule(nexus_domain::DomainError::Invalid { field: "count", reason: "use B500=2,C10=3" });
    let mut count = DenominationCount::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (code, pieces) = part.split_once('=').ok_or_else(invalid)?;
        let d: Denomination =
            serde_json::from_value(serde_json::json!(code.trim())).map_err(|_| invalid())?;
        count.insert(d, pieces.trim().parse().map_err(|_| invalid())?);
    }
    Ok(count)
}
