//! `change-pin`: the employee whose PIN is given replaces it with one they
//! choose (`--new-pin` or `NEXUS_NEW_PIN`).

use clap::Args;
use nexus_domain::employee::PinChange;
use nexus_terminal::Error;

use crate::Ctx;

#[derive(Args)]
pub struct ChangePinArgs {
    /// The new PIN; long enough for the role and not a guessable pattern.
    #[arg(long, env = "NEXUS_NEW_PIN", hide_env_values = true)]
    new_pin: String,
}

pub fn run(ctx: &Ctx, args: &ChangePinArgs) -> Result<(), Error> {
    ctx.login()?;
    let current_pin = ctx.pin.clone().ok_or(Error::NotLoggedIn)?;
    ctx.terminal.change_own_pin(&PinChange { current_pin, new_pin: args.new_pin.clone() })?;
    ctx.out.show(&serde_json::json!({ "changed": true }), |_| "PIN cambiado".to_owned())
}
