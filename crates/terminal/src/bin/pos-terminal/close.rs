//! `close`: closes the open session with the cash counted, as a total or by
//! denomination. An empty count is refused and a count of zero needs
//! `--confirm-zero`, as at the counter.

use clap::Args;
use nexus_domain::DomainError;
use nexus_domain::cash::{Denomination, DenominationCount};
use nexus_terminal::Error;
use nexus_terminal::cash_session::CloseSession;
use uuid::Uuid;

use crate::Ctx;
use crate::report::report_text;

#[derive(Args)]
pub struct CloseArgs {
    #[arg(long)]
    counted: Option<String>,
    /// Count by denomination: B1000=1,B500=2,C10=3,C050=4 …
    #[arg(long)]
    count: Option<String>,
    /// The drawer really is empty: close with a count of $0.00.
    #[arg(long)]
    confirm_zero: bool,
    /// The session to close; the logged-in employee's open one by default.
    #[arg(long)]
    session: Option<Uuid>,
}

pub fn run(ctx: &Ctx, args: &CloseArgs) -> Result<(), Error> {
    ctx.login()?;
    let denominations = args.count.as_deref().map(parse_count).transpose()?;
    let report = ctx.terminal.close_session(&CloseSession {
        cash_session_id: session(ctx, args)?,
        counted_amount: args.counted.clone(),
        denominations,
        confirm_zero: args.confirm_zero,
    })?;
    ctx.out.show(&report, report_text)
}

/// The session named, or the employee's own open one; with neither there is
/// nothing this employee may close, which seed 004 words for a close.
fn session(ctx: &Ctx, args: &CloseArgs) -> Result<Uuid, Error> {
    match args.session {
        Some(id) => Ok(id),
        None => ctx.terminal.home()?.open_cash_session_id.ok_or(Error::Rule(DomainError::SessionNotClosable)),
    }
}

fn parse_count(text: &str) -> Result<DenominationCount, Error> {
    let invalid = || Error::Rule(DomainError::Invalid { field: "count", reason: "use B500=2,C10=3" });
    let mut count = DenominationCount::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (code, pieces) = part.split_once('=').ok_or_else(invalid)?;
        let d: Denomination =
            serde_json::from_value(serde_json::json!(code.trim())).map_err(|_| invalid())?;
        count.insert(d, pieces.trim().parse().map_err(|_| invalid())?);
    }
    Ok(count)
}
