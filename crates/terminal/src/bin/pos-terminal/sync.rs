//! `sync`: one push-and-pull round with central, or keep syncing.

use clap::Args;
use nexus_terminal::Error;

use crate::Ctx;

#[derive(Args)]
pub struct SyncArgs {
    /// Keep syncing (pushes after each round, pulls every interval).
    #[arg(long)]
    follow: bool,
}

pub fn run(ctx: &Ctx, args: &SyncArgs) -> Result<(), Error> {
    let runtime = runtime()?;
    let client = nexus_terminal::sync::SyncClient::new(ctx.terminal.clone(), Default::default())?
        .ok_or_else(|| Error::conflict("not_enrolled", "Esta terminal no está enrolada con una central"))?;
    if args.follow {
        runtime.block_on(client.run());
        return Err(Error::conflict("device_refused", "La central rechazó este dispositivo"));
    }
    let round = runtime.block_on(client.round()).map_err(sync_error)?;
    ctx.out.show(
        &serde_json::json!({ "pushed": round.pushed, "settled_seq": round.settled_seq,
                             "rejected": round.rejected, "pulled": round.pulled }),
        |_| {
            format!(
                "{} enviadas (hasta {}), {} rechazadas, {} cambios recibidos",
                round.pushed, round.settled_seq, round.rejected, round.pulled
            )
        },
    )
}

/// The single-threaded runtime the network commands block on.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(e.to_string()))
}

/// A sync failure as the CLI reports it: the engine's own error, or a
/// stable code for what a script may act on.
pub fn sync_error(e: nexus_terminal::sync::SyncError) -> Error {
    use nexus_terminal::sync::{self, SyncError};
    let code = match &e {
        SyncError::CodeInvalid => sync::ENROLLMENT_CODE_INVALID,
        SyncError::InsecureCentral => sync::INSECURE_CENTRAL,
        SyncError::Revoked { .. } => sync::DEVICE_REVOKED,
        _ => "sync_failed",
    };
    match e {
        SyncError::Engine(e) => e,
        other => Error::conflict(code, other.to_string()),
    }
}
