//! `enroll`: joins this blank terminal to a central with a one-time code.

use clap::Args;
use nexus_terminal::Error;

use crate::Ctx;
use crate::sync::{runtime, sync_error};

#[derive(Args)]
pub struct EnrollArgs {
    /// Central's address, e.g. https://central.example.mx
    #[arg(long)]
    central: String,
    #[arg(long)]
    code: String,
    /// How this terminal shows up at headquarters.
    #[arg(long, default_value = "Terminal")]
    name: String,
}

pub fn run(ctx: &Ctx, args: &EnrollArgs) -> Result<(), Error> {
    let runtime = runtime()?;
    runtime
        .block_on(nexus_terminal::sync::enroll(ctx.terminal.clone(), &args.central, &args.code, &args.name))
        .map_err(sync_error)?;
    ctx.out.show(&ctx.terminal.status()?, |s| {
        format!("Enrolada en {}: {}", args.central, s.store_name.as_deref().unwrap_or_default())
    })
}
