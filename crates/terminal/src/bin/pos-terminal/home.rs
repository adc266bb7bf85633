//! `home`: what the counter shows after login — the open session and the
//! registers assigned.

use nexus_terminal::Error;

use crate::Ctx;
use crate::output::money;

pub fn run(ctx: &Ctx) -> Result<(), Error> {
    ctx.login()?;
    let home = ctx.terminal.home()?;
    ctx.out.show(&home, |h| {
        let mut text = format!("{:?}: {} caja(s) asignada(s)", h.case, h.assigned_registers_count);
        if let Some(s) = &h.session {
            text.push_str(&format!(
                "\nSesión abierta {} en {} con fondo {}",
                s.id,
                s.register_name,
                money(s.opening_cents)
            ));
        }
        for r in &h.registers {
            text.push_str(&format!(
                "\n  caja {} «{}» {}{}",
                r.register_number,
                r.name,
                r.id,
                if r.in_use { " (en uso)" } else { "" }
            ));
        }
        text
    })
}
