//! `verify-audit`: walks the audit chain and fails when it is broken.

use nexus_terminal::Error;

use crate::Ctx;

pub fn run(ctx: &Ctx) -> Result<(), Error> {
    let v = ctx.terminal.verify_audit()?;
    let intact = v.intact;
    ctx.out.show(&v, |v| match &v.broken {
        None => format!("Cadena íntegra: {} entradas, cabeza {} {}", v.entries, v.head_seq, v.head_hash),
        Some(b) => format!("Cadena ROTA en la entrada {} ({}): {}", b.seq, b.kind, b.message),
    })?;
    if intact {
        Ok(())
    } else {
        Err(Error::conflict("audit_chain_broken", "La cadena de auditoría está rota"))
    }
}
