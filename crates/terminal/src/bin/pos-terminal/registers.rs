//! `registers …`: list, create and update cash registers.

use clap::Subcommand;
use nexus_terminal::Error;
use nexus_terminal::registers::{NewRegister, RegisterChanges};
use uuid::Uuid;

use crate::Ctx;

#[derive(Subcommand)]
pub enum RegisterCommand {
    List,
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        number: i64,
    },
    Update {
        id: Uuid,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        number: Option<i64>,
        #[arg(long)]
        active: Option<bool>,
    },
}

pub fn run(ctx: &Ctx, cmd: &RegisterCommand) -> Result<(), Error> {
    ctx.login()?;
    match cmd {
        RegisterCommand::List => list(ctx),
        RegisterCommand::Create { name, number } => {
            let r = ctx.terminal.create_register(&NewRegister {
                name: name.clone(),
                register_number: *number,
                branch_id: None,
            })?;
            ctx.out.show(&r, |r| format!("Caja {} creada: {}", r.name, r.id))
        }
        RegisterCommand::Update { id, name, number, active } => {
            let r = ctx.terminal.update_register(
                *id,
                &RegisterChanges { name: name.clone(), register_number: *number, is_active: *active },
            )?;
            ctx.out.show(&r, |r| format!("Caja {} actualizada", r.name))
        }
    }
}

fn list(ctx: &Ctx) -> Result<(), Error> {
    ctx.out.show(&ctx.terminal.registers()?, |rs| {
        rs.iter()
            .map(|r| {
                format!(
                    "{} caja {:<3} {:<20} {:<20} {}",
                    r.id,
                    r.register_number,
                    r.name,
                    r.branch_name,
                    if r.is_active { "activa" } else { "inactiva" }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}
