//! `status`: whether the terminal is set up, its store and sync state.

use nexus_terminal::Error;

use crate::Ctx;

pub fn run(ctx: &Ctx) -> Result<(), Error> {
    let status = ctx.terminal.status()?;
    ctx.out.show(&status, |s| match &s.store_name {
        Some(name) => format!("{name} ({}); {} operaciones pendientes", s.sync.mode, s.sync.pending_ops),
        None => "Sin configurar".to_owned(),
    })
}
