//! `open`: opens a cash session on a register, by id or number.

use clap::Args;
use nexus_terminal::Error;
use nexus_terminal::cash_session::OpenSession;
use uuid::Uuid;

use crate::Ctx;
use crate::output::money;

#[derive(Args)]
pub struct OpenArgs {
    /// Register id or number; optional with a single assigned register.
    #[arg(long)]
    register: Option<String>,
    #[arg(long)]
    amount: String,
}

pub fn run(ctx: &Ctx, args: &OpenArgs) -> Result<(), Error> {
    ctx.login()?;
    let home = ctx.terminal.home()?;
    let register_id = match &args.register {
        Some(r) => match Uuid::parse_str(r) {
            Ok(id) => id,
            Err(_) => home
                .registers
                .iter()
                .find(|x| x.register_number.to_string() == *r)
                .map(|x| x.id)
                .ok_or(Error::Rule(nexus_domain::DomainError::RegisterNotFound))?,
        },
        None => home
            .single_cash_register_id
            .ok_or_else(|| Error::Rule(nexus_domain::DomainError::Required { field: "register" }))?,
    };
    let session = ctx
        .terminal
        .open_session(&OpenSession { cash_register_id: register_id, opening_amount: args.amount.clone() })?;
    ctx.out.show(&session, |s| {
        format!("Sesión {} abierta en {} con fondo {}", s.id, s.register_name, money(s.opening_cents))
    })
}
