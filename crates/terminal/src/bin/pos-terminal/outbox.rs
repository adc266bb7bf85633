//! `outbox`: how many operations were recorded, confirmed and wait.

use nexus_terminal::Error;

use crate::Ctx;

pub fn run(ctx: &Ctx) -> Result<(), Error> {
    let s = ctx.terminal.outbox_status()?;
    ctx.out.show(&s, |s| {
        format!(
            "{} operaciones registradas, {} confirmadas, {} pendientes",
            s.head_seq, s.acked_seq, s.pending
        )
    })
}
