//! `setup`: the first run, as a standalone store or the demo store.

use clap::Args;
use nexus_terminal::Error;
use nexus_terminal::setup::StandaloneSetup;

use crate::Ctx;

#[derive(Args)]
pub struct SetupArgs {
    /// Load the demo store of seed/demo.json instead.
    #[arg(long, conflicts_with_all = ["store_name", "owner_name"])]
    demo: bool,
    #[arg(long, required_unless_present = "demo")]
    store_name: Option<String>,
    #[arg(long, required_unless_present = "demo")]
    owner_name: Option<String>,
    #[arg(long, env = "NEXUS_OWNER_PIN", hide_env_values = true)]
    owner_pin: Option<String>,
}

pub fn run(ctx: &Ctx, args: &SetupArgs) -> Result<(), Error> {
    let summary = if args.demo {
        ctx.terminal.setup_demo()?
    } else {
        let pin = args
            .owner_pin
            .clone()
            .ok_or_else(|| Error::Rule(nexus_domain::DomainError::Required { field: "owner_pin" }))?;
        ctx.terminal.setup_standalone(&StandaloneSetup {
            store_name: args.store_name.clone().unwrap_or_default(),
            owner_name: args.owner_name.clone().unwrap_or_default(),
            owner_pin: pin.clone(),
            owner_pin_confirmation: pin,
        })?
    };
    ctx.out.show(&summary, |s| {
        format!("Tienda «{}» lista en {} (dispositivo {})", s.store_name, ctx.dir.display(), s.device_id)
    })
}
