//! `login`: checks a PIN and shows whose it is.

use nexus_terminal::Error;

use crate::Ctx;

pub fn run(ctx: &Ctx) -> Result<(), Error> {
    let pin = ctx.pin.as_deref().ok_or(Error::NotLoggedIn)?;
    let who = ctx.terminal.login(pin)?;
    ctx.out.show(&who, |w| format!("{} ({})", w.name, w.role))
}
