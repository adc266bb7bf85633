//! `employees …`: list, create, update, deactivate employees and reset a PIN.

use clap::Subcommand;
use nexus_domain::EmployeeId;
use nexus_domain::employee::{EmployeeChanges, NewEmployee};
use nexus_terminal::Error;
use uuid::Uuid;

use crate::Ctx;
use crate::output::percent_bp;

#[derive(Subcommand)]
pub enum EmployeeCommand {
    List {
        #[arg(long)]
        all: bool,
    },
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        branch: Option<Uuid>,
        /// Largest discount in percent (e.g. 5 or 12.5).
        #[arg(long)]
        max_discount: Option<String>,
    },
    Update {
        id: Uuid,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        max_discount: Option<String>,
        #[arg(long)]
        active: Option<bool>,
    },
    Deactivate {
        id: Uuid,
    },
    ResetPin {
        id: Uuid,
    },
}

pub fn run(ctx: &Ctx, cmd: &EmployeeCommand) -> Result<(), Error> {
    ctx.login()?;
    match cmd {
        EmployeeCommand::List { all } => list(ctx, *all),
        EmployeeCommand::Create { name, role, branch, max_discount } => {
            let e = ctx.terminal.create_employee(&NewEmployee {
                name: name.clone(),
                email: None,
                phone: None,
                role: role.clone(),
                branch_id: branch.map(nexus_domain::BranchId),
                max_discount_bp: max_discount.as_deref().map(percent_bp).transpose()?,
                permissions: None,
            })?;
            ctx.out.show(&e, |e| {
                format!(
                    "Empleado {} creado: {}\nPIN: {} (entrégalo al empleado; no se volverá a mostrar)",
                    e.employee.name, e.employee.id, e.pin
                )
            })
        }
        EmployeeCommand::Update { id, name, role, max_discount, active } => {
            let e = ctx.terminal.update_employee(
                EmployeeId(*id),
                &EmployeeChanges {
                    name: name.clone(),
                    role: role.clone(),
                    max_discount_bp: max_discount.as_deref().map(percent_bp).transpose()?,
                    is_active: *active,
                    ..EmployeeChanges::default()
                },
            )?;
            ctx.out.show(&e, |e| format!("Empleado {} actualizado", e.name))
        }
        EmployeeCommand::Deactivate { id } => {
            let e = ctx.terminal.deactivate_employee(EmployeeId(*id))?;
            ctx.out.show(&e, |e| format!("Empleado {} desactivado", e.name))
        }
        EmployeeCommand::ResetPin { id } => {
            let issued = ctx.terminal.reset_pin(EmployeeId(*id))?;
            ctx.out.show(&issued, |p| {
                format!("PIN nuevo: {} (entrégalo al empleado; no se volverá a mostrar)", p.pin)
            })
        }
    }
}

fn list(ctx: &Ctx, all: bool) -> Result<(), Error> {
    ctx.out.show(&ctx.terminal.employees(all)?, |es| {
        es.iter()
            .map(|e| {
                format!(
                    "{} {:<28} {:<10} {}",
                    e.id,
                    e.name,
                    e.role,
                    if e.is_active { "activo" } else { "inactivo" }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}
