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
    /// Accept a plain http:// central on another machine. The credential and
    /// every sale then cross the network unencrypted; put TLS in front of
    /// central instead wherever possible.
    #[arg(long)]
    insecure: bool,
}

pub fn run(ctx: &Ctx, args: &EnrollArgs) -> Result<(), Error> {
    let runtime = runtime()?;
    let terminal = ctx.terminal.clone();
    let enrolled = if args.insecure {
        // A warning for the person at the shell; with --json stderr carries only the error.
        if !ctx.out.json {
            eprintln!(
                "Aviso: --insecure acepta una central en http:// sin cifrar; la credencial y las ventas viajarán legibles por la red"
            );
        }
        runtime.block_on(nexus_terminal::sync::enroll_insecure(
            terminal,
            &args.central,
            &args.code,
            &args.name,
        ))
    } else {
        runtime.block_on(nexus_terminal::sync::enroll(terminal, &args.central, &args.code, &args.name))
    };
    enrolled.map_err(sync_error)?;
    ctx.out.show(&ctx.terminal.status()?, |s| {
        format!("Enrolada en {}: {}", args.central, s.store_name.as_deref().unwrap_or_default())
    })
}
