//! `assign` and `assignments`: which employee may use which register.

use clap::Args;
use nexus_domain::EmployeeId;
use nexus_terminal::Error;
use nexus_terminal::registers::{AssignmentFilter, NewAssignment};
use uuid::Uuid;

use crate::Ctx;

#[derive(Args)]
pub struct AssignArgs {
    #[arg(long, requires = "employee")]
    register: Option<Uuid>,
    #[arg(long)]
    employee: Option<Uuid>,
    #[arg(long)]
    note: Option<String>,
    /// Deactivate this assignment.
    #[arg(long, conflicts_with_all = ["register", "activate"])]
    deactivate: Option<Uuid>,
    /// Activate this assignment.
    #[arg(long, conflicts_with = "register")]
    activate: Option<Uuid>,
}

#[derive(Args)]
pub struct AssignmentsArgs {
    #[arg(long)]
    employee: Option<Uuid>,
    #[arg(long)]
    branch: Option<Uuid>,
    #[arg(long, conflicts_with = "inactive")]
    active: bool,
    #[arg(long)]
    inactive: bool,
}

pub fn assign(ctx: &Ctx, args: &AssignArgs) -> Result<(), Error> {
    ctx.login()?;
    let a = match (args.deactivate, args.activate, args.register, args.employee) {
        (Some(id), _, _, _) => ctx.terminal.set_assignment_active(id, false)?,
        (_, Some(id), _, _) => ctx.terminal.set_assignment_active(id, true)?,
        (_, _, Some(register), Some(employee)) => ctx.terminal.assign_register(&NewAssignment {
            cash_register_id: register,
            user_id: EmployeeId(employee),
            note: args.note.clone(),
        })?,
        _ => return Err(Error::Rule(nexus_domain::DomainError::Required { field: "register" })),
    };
    ctx.out.show(&a, |a| {
        format!(
            "{} → {} ({})",
            a.cash_register_name,
            a.user_name,
            if a.is_active { "activa" } else { "inactiva" }
        )
    })
}

pub fn list(ctx: &Ctx, args: &AssignmentsArgs) -> Result<(), Error> {
    ctx.login()?;
    let filter = AssignmentFilter {
        user_id: args.employee.map(EmployeeId),
        branch_id: args.branch.map(nexus_domain::BranchId),
        is_active: if args.active {
            Some(true)
        } else if args.inactive {
            Some(false)
        } else {
            None
        },
    };
    ctx.out.show(&ctx.terminal.assignments(&filter)?, |rows| {
        rows.iter()
            .map(|a| {
                format!(
                    "{} {:<24} {:<16} {:<16} {}",
                    a.id,
                    a.user_name,
                    a.cash_register_name,
                    a.location_name,
                    if a.is_active { "activa" } else { "inactiva" }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}
