//! `pos-terminal`: the terminal engine from the command line, for support
//! staff, scripts and benchmarks. Every command that acts as an employee
//! logs in with the PIN given by `--pin` (or `NEXUS_PIN`) first, and is
//! audited like the same action at the counter.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use nexus_domain::EmployeeId;
use nexus_domain::cash::{Denomination, DenominationCount};
use nexus_domain::employee::{EmployeeChanges, NewEmployee};
use nexus_domain::money::Money;
use nexus_domain::sale::PriceTier;
use nexus_terminal::cash_session::{CloseSession, OpenSession, ZReport};
use nexus_terminal::movements::{MovementKind, NewMovement};
use nexus_terminal::registers::{AssignmentFilter, NewAssignment, NewRegister, RegisterChanges};
use nexus_terminal::sales::{CancelSale, NewSale, NewSaleLine, PaymentInput, Receipt};
use nexus_terminal::setup::StandaloneSetup;
use nexus_terminal::{Error, Options, Terminal};
use serde::Serialize;
use uuid::Uuid;

#[derive(Parser)]
#[command(name = "pos-terminal", about = "Nexus POS terminal engine, headless", version)]
struct Cli {
    /// Where the terminal keeps its database.
    #[arg(long, global = true, env = "NEXUS_TERMINAL_DIR")]
    data_dir: Option<PathBuf>,
    /// The PIN of the employee acting.
    #[arg(long, global = true, env = "NEXUS_PIN", hide_env_values = true)]
    pin: Option<String>,
    /// Name of the application in the OS secret store.
    #[arg(long, global = true, env = "NEXUS_KEYRING_SERVICE", default_value = "nexus-pos")]
    keyring_service: String,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// First run: a standalone store, or the demo store.
    Setup(SetupArgs),
    /// Check a PIN and show who it belongs to.
    Login,
    /// The home context: open session and assigned registers.
    Home,
    /// Open a cash session.
    Open {
        /// Register id or number; optional with a single assigned register.
        #[arg(long)]
        register: Option<String>,
        #[arg(long)]
        amount: String,
    },
    /// Sell on the open session.
    Sell(SellArgs),
    /// Cancel a sale, refunding its cash from the open session.
    Cancel {
        #[arg(long)]
        sale: Uuid,
        #[arg(long)]
        reason: String,
    },
    /// Cash in, cash out or an expense on the open session.
    Move {
        #[arg(long, value_parser = ["in", "out", "expense"])]
        kind: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        reason: String,
    },
    /// Close the open session with the counted cash.
    Close {
        #[arg(long)]
        counted: Option<String>,
        /// Count by denomination: B1000=1,B500=2,C10=3,C050=4 …
        #[arg(long)]
        count: Option<String>,
    },
    /// The report of a session (the open one by default).
    Report {
        #[arg(long)]
        session: Option<Uuid>,
    },
    /// Search products by barcode, part number or name.
    Products { query: Option<String> },
    #[command(subcommand)]
    Employees(EmployeeCommand),
    #[command(subcommand)]
    Registers(RegisterCommand),
    /// Assign a register to an employee, or activate/deactivate an assignment.
    Assign(AssignArgs),
    /// The assignments, filtered.
    Assignments {
        #[arg(long)]
        employee: Option<Uuid>,
        #[arg(long)]
        branch: Option<Uuid>,
        #[arg(long, conflicts_with = "inactive")]
        active: bool,
        #[arg(long)]
        inactive: bool,
    },
    /// Whether the terminal is set up, its store, settings and sync state.
    Status,
    /// Enroll this blank terminal with central using a one-time code.
    Enroll {
        /// Central's address, e.g. https://central.example.mx
        #[arg(long)]
        central: String,
        #[arg(long)]
        code: String,
        /// How this terminal shows up at headquarters.
        #[arg(long, default_value = "Terminal")]
        name: String,
    },
    /// Push the outbox and pull reference data once, or keep doing it.
    Sync {
        /// Keep syncing (pushes after each round, pulls every interval).
        #[arg(long)]
        follow: bool,
    },
    /// Verify the audit chain.
    VerifyAudit,
    /// What the outbox holds.
    Outbox,
    /// Ring up random sales on the open session (opening one if needed).
    #[command(hide = true)]
    Simulate {
        #[arg(long, default_value_t = 10)]
        sales: u64,
    },
}

#[derive(Args)]
struct SetupArgs {
    /// Load the demo store of seed/demo.json instead.
    #[arg(long, conflicts_with_all = ["store_name", "owner_name"])]
    demo: bool,
    #[arg(long, required_unless_present = "demo")]
    store_name: Option<String>,
    #[arg(long, required_unless_present = "demo")]
    owner_name: Option<String>,
    #[arg(long, env = "NEXUS_OWNER_PIN", hide_env_values = true)]
    owner_pin: Option<String>,
}

#[derive(Args)]
struct SellArgs {
    /// CODE[:QUANTITY[:DISCOUNT%]] — barcode or part number.
    #[arg(long = "item", required = true)]
    items: Vec<String>,
    #[arg(long, default_value_t = 1)]
    tier: u8,
    #[arg(long)]
    cash: Option<String>,
    #[arg(long)]
    card: Option<String>,
    #[arg(long)]
    transfer: Option<String>,
    #[arg(long)]
    customer: Option<Uuid>,
}

#[derive(Subcommand)]
enum EmployeeCommand {
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

#[derive(Subcommand)]
enum RegisterCommand {
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

#[derive(Args)]
struct AssignArgs {
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

fn default_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("nexus-pos/terminal")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if cli.json {
                eprintln!("{}", serde_json::to_string(&e.to_body()).unwrap_or_default());
            } else {
                eprintln!("error [{}]: {e}", e.code());
            }
            ExitCode::from(if matches!(e, Error::Storage(_) | Error::Internal(_)) { 1 } else { 2 })
        }
    }
}

struct Out {
    json: bool,
}

impl Out {
    fn show<T: Serialize>(&self, value: &T, text: impl FnOnce(&T) -> String) -> Result<(), Error> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            println!("{}", text(value));
        }
        Ok(())
    }
}

fn money(cents: i64) -> String {
    Money::from_cents(cents).to_mxn_string()
}

fn login(terminal: &Terminal, cli: &Cli) -> Result<(), Error> {
    let pin = cli.pin.as_deref().ok_or(Error::NotLoggedIn)?;
    terminal.login(pin)?;
    Ok(())
}

fn open_session_id(terminal: &Terminal) -> Result<Uuid, Error> {
    terminal.home()?.open_cash_session_id.ok_or(Error::Rule(nexus_domain::DomainError::InvalidSession))
}

fn percent_bp(text: &str) -> Result<u16, Error> {
    Ok(nexus_domain::Percent::parse(text).map_err(nexus_domain::DomainError::from)?.hundredths())
}

fn run(cli: &Cli) -> Result<(), Error> {
    let dir = cli.data_dir.clone().unwrap_or_else(default_dir);
    let terminal = std::sync::Arc::new(Terminal::open(
        &dir,
        Options { keyring_service: cli.keyring_service.clone(), ..Options::default() },
    )?);
    let out = Out { json: cli.json };
    match &cli.command {
        Command::Setup(args) => {
            let summary = if args.demo {
                terminal.setup_demo()?
            } else {
                let pin = args
                    .owner_pin
                    .clone()
                    .ok_or_else(|| Error::Rule(nexus_domain::DomainError::Required { field: "owner_pin" }))?;
                terminal.setup_standalone(&StandaloneSetup {
                    store_name: args.store_name.clone().unwrap_or_default(),
                    owner_name: args.owner_name.clone().unwrap_or_default(),
                    owner_pin: pin.clone(),
                    owner_pin_confirmation: pin,
                })?
            };
            out.show(&summary, |s| {
                format!("Tienda «{}» lista en {} (dispositivo {})", s.store_name, dir.display(), s.device_id)
            })
        }
        Command::Login => {
            let pin = cli.pin.as_deref().ok_or(Error::NotLoggedIn)?;
            let who = terminal.login(pin)?;
            out.show(&who, |w| format!("{} ({})", w.name, w.role))
        }
        Command::Home => {
            login(&terminal, cli)?;
            let home = terminal.home()?;
            out.show(&home, |h| {
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
        Command::Open { register, amount } => {
            login(&terminal, cli)?;
            let home = terminal.home()?;
            let register_id = match register {
                Some(r) => match Uuid::parse_str(r) {
                    Ok(id) => id,
                    Err(_) => home
                        .registers
                        .iter()
                        .find(|x| x.register_number.to_string() == *r)
                        .map(|x| x.id)
                        .ok_or_else(|| Error::not_found("register_not_found", "Caja no encontrada"))?,
                },
                None => home
                    .single_cash_register_id
                    .ok_or_else(|| Error::Rule(nexus_domain::DomainError::Required { field: "register" }))?,
            };
            let session = terminal.open_session(&OpenSession {
                cash_register_id: register_id,
                opening_amount: amount.clone(),
            })?;
            out.show(&session, |s| {
                format!("Sesión {} abierta en {} con fondo {}", s.id, s.register_name, money(s.opening_cents))
            })
        }
        Command::Sell(args) => {
            login(&terminal, cli)?;
            let session = open_session_id(&terminal)?;
            let mut lines = Vec::new();
            for item in &args.items {
                let mut parts = item.split(':');
                let code = parts.next().unwrap_or_default();
                let quantity = parts.next().map_or(Ok(1), str::parse).map_err(|_| {
                    Error::Rule(nexus_domain::DomainError::Invalid {
                        field: "quantity",
                        reason: "no es un entero",
                    })
                })?;
                let discount_bp = parts.next().map(percent_bp).transpose()?.unwrap_or(0);
                let product = terminal
                    .search_products(code, 1)?
                    .into_iter()
                    .find(|p| p.barcode.as_deref() == Some(code) || p.part_number.eq_ignore_ascii_case(code))
                    .ok_or_else(|| {
                        Error::not_found("product_not_found", format!("Producto {code} no encontrado"))
                    })?;
                lines.push(NewSaleLine { product_id: product.id, quantity, discount_bp });
            }
            let receipt = terminal.sell(&NewSale {
                cash_session_id: session,
                customer_id: args.customer,
                price_tier: PriceTier::try_from(args.tier)?,
                lines,
                payment: PaymentInput {
                    cash: args.cash.clone(),
                    card: args.card.clone(),
                    transfer: args.transfer.clone(),
                },
            })?;
            out.show(&receipt, receipt_text)
        }
        Command::Cancel { sale, reason } => {
            login(&terminal, cli)?;
            let receipt = terminal.cancel_sale(&CancelSale {
                sale_id: *sale,
                reason: reason.clone(),
                cash_session_id: None,
            })?;
            out.show(&receipt, |r| format!("Venta {} cancelada", r.sale_id))
        }
        Command::Move { kind, amount, reason } => {
            login(&terminal, cli)?;
            let kind = match kind.as_str() {
                "in" => MovementKind::In,
                "out" => MovementKind::Out,
                _ => MovementKind::Expense,
            };
            let m = terminal.move_cash(&NewMovement {
                cash_session_id: open_session_id(&terminal)?,
                kind,
                amount: amount.clone(),
                reason: reason.clone(),
            })?;
            out.show(&m, |m| {
                format!("{} de {}; en caja: {}", m.kind.label(), money(m.amount_cents), money(m.drawer_cents))
            })
        }
        Command::Close { counted, count } => {
            login(&terminal, cli)?;
            let denominations = count.as_deref().map(parse_count).transpose()?;
            let report = terminal.close_session(&CloseSession {
                cash_session_id: open_session_id(&terminal)?,
                counted_amount: counted.clone(),
                denominations,
            })?;
            out.show(&report, report_text)
        }
        Command::Report { session } => {
            login(&terminal, cli)?;
            let id = match session {
                Some(id) => *id,
                None => open_session_id(&terminal)?,
            };
            out.show(&terminal.session_report(id)?, report_text)
        }
        Command::Products { query } => {
            login(&terminal, cli)?;
            let products = terminal.search_products(query.as_deref().unwrap_or(""), 50)?;
            out.show(&products, |ps| {
                ps.iter()
                    .map(|p| {
                        format!(
                            "{:<20} {:<14} {:>10} existencia {:>4}  {}",
                            p.part_number,
                            p.barcode.as_deref().unwrap_or(""),
                            money(p.price_1_cents),
                            p.stock,
                            p.name
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        Command::Employees(cmd) => {
            login(&terminal, cli)?;
            match cmd {
                EmployeeCommand::List { all } => out.show(&terminal.employees(*all)?, |es| {
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
                }),
                EmployeeCommand::Create { name, role, branch, max_discount } => {
                    let e = terminal.create_employee(&NewEmployee {
                        name: name.clone(),
                        email: None,
                        phone: None,
                        role: role.clone(),
                        branch_id: branch.map(nexus_domain::BranchId),
                        max_discount_bp: max_discount.as_deref().map(percent_bp).transpose()?,
                        permissions: None,
                    })?;
                    out.show(&e, |e| {
                        format!(
                            "Empleado {} creado: {}\nPIN: {} (entrégalo al empleado; no se volverá a mostrar)",
                            e.employee.name, e.employee.id, e.pin
                        )
                    })
                }
                EmployeeCommand::Update { id, name, role, max_discount, active } => {
                    let e = terminal.update_employee(
                        EmployeeId(*id),
                        &EmployeeChanges {
                            name: name.clone(),
                            role: role.clone(),
                            max_discount_bp: max_discount.as_deref().map(percent_bp).transpose()?,
                            is_active: *active,
                            ..EmployeeChanges::default()
                        },
                    )?;
                    out.show(&e, |e| format!("Empleado {} actualizado", e.name))
                }
                EmployeeCommand::Deactivate { id } => {
                    let e = terminal.deactivate_employee(EmployeeId(*id))?;
                    out.show(&e, |e| format!("Empleado {} desactivado", e.name))
                }
                EmployeeCommand::ResetPin { id } => {
                    let issued = terminal.reset_pin(EmployeeId(*id))?;
                    out.show(&issued, |p| {
                        format!("PIN nuevo: {} (entrégalo al empleado; no se volverá a mostrar)", p.pin)
                    })
                }
            }
        }
        Command::Registers(cmd) => {
            login(&terminal, cli)?;
            match cmd {
                RegisterCommand::List => out.show(&terminal.registers()?, |rs| {
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
                }),
                RegisterCommand::Create { name, number } => {
                    let r = terminal.create_register(&NewRegister {
                        name: name.clone(),
                        register_number: *number,
                        branch_id: None,
                    })?;
                    out.show(&r, |r| format!("Caja {} creada: {}", r.name, r.id))
                }
                RegisterCommand::Update { id, name, number, active } => {
                    let r = terminal.update_register(
                        *id,
                        &RegisterChanges { name: name.clone(), register_number: *number, is_active: *active },
                    )?;
                    out.show(&r, |r| format!("Caja {} actualizada", r.name))
                }
            }
        }
        Command::Assign(args) => {
            login(&terminal, cli)?;
            let a = match (args.deactivate, args.activate, args.register, args.employee) {
                (Some(id), _, _, _) => terminal.set_assignment_active(id, false)?,
                (_, Some(id), _, _) => terminal.set_assignment_active(id, true)?,
                (_, _, Some(register), Some(employee)) => terminal.assign_register(&NewAssignment {
                    cash_register_id: register,
                    user_id: EmployeeId(employee),
                    note: args.note.clone(),
                })?,
                _ => return Err(Error::Rule(nexus_domain::DomainError::Required { field: "register" })),
            };
            out.show(&a, |a| {
                format!(
                    "{} → {} ({})",
                    a.cash_register_name,
                    a.user_name,
                    if a.is_active { "activa" } else { "inactiva" }
                )
            })
        }
        Command::Assignments { employee, branch, active, inactive } => {
            login(&terminal, cli)?;
            let filter = AssignmentFilter {
                user_id: employee.map(EmployeeId),
                branch_id: branch.map(nexus_domain::BranchId),
                is_active: if *active {
                    Some(true)
                } else if *inactive {
                    Some(false)
                } else {
                    None
                },
            };
            out.show(&terminal.assignments(&filter)?, |rows| {
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
        Command::Status => {
            let status = terminal.status()?;
            out.show(&status, |s| match &s.store_name {
                Some(name) => {
                    format!("{name} ({}); {} operaciones pendientes", s.sync.mode, s.sync.pending_ops)
                }
                None => "Sin configurar".to_owned(),
            })
        }
        Command::Enroll { central, code, name } => {
            let runtime = runtime()?;
            runtime
                .block_on(nexus_terminal::sync::enroll(terminal.clone(), central, code, name))
                .map_err(sync_error)?;
            out.show(&terminal.status()?, |s| {
                format!("Enrolada en {central}: {}", s.store_name.as_deref().unwrap_or_default())
            })
        }
        Command::Sync { follow } => {
            let runtime = runtime()?;
            let client = nexus_terminal::sync::SyncClient::new(terminal.clone(), Default::default())?
                .ok_or_else(|| {
                    Error::conflict("not_enrolled", "Esta terminal no está enrolada con una central")
                })?;
            if *follow {
                runtime.block_on(client.run());
                return Err(Error::conflict("device_refused", "La central rechazó este dispositivo"));
            }
            let round = runtime.block_on(client.round()).map_err(sync_error)?;
            out.show(
                &serde_json::json!({ "pushed": round.pushed, "settled_seq": round.settled_seq,
                                     "rejected": round.rejected, "pulled": round.pulled }),
                |_| {
                    format!(
                        "{} enviadas (hasta {}), {} rechazadas, {} cambios recibidos",
                        round.pushed, round.settled_seq, round.rejected, round.pulled
                    )
                },
            )
        }
        Command::VerifyAudit => {
            let v = terminal.verify_audit()?;
            let intact = v.intact;
            out.show(&v, |v| match &v.broken {
                None => {
                    format!("Cadena íntegra: {} entradas, cabeza {} {}", v.entries, v.head_seq, v.head_hash)
                }
                Some(b) => format!("Cadena ROTA en la entrada {} ({}): {}", b.seq, b.kind, b.message),
            })?;
            if intact {
                Ok(())
            } else {
                Err(Error::conflict("audit_chain_broken", "La cadena de auditoría está rota"))
            }
        }
        Command::Outbox => {
            let s = terminal.outbox_status()?;
            out.show(&s, |s| {
                format!(
                    "{} operaciones registradas, {} confirmadas, {} pendientes",
                    s.head_seq, s.acked_seq, s.pending
                )
            })
        }
        Command::Simulate { sales } => {
            login(&terminal, cli)?;
            simulate(&terminal, *sales, &out)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(e.to_string()))
}

fn sync_error(e: nexus_terminal::sync::SyncError) -> Error {
    match e {
        nexus_terminal::sync::SyncError::Engine(e) => e,
        other => Error::conflict("sync_failed", other.to_string()),
    }
}

fn parse_count(text: &str) -> Result<DenominationCount, Error> {
    let invalid =
        || Error::Rule(nexus_domain::DomainError::Invalid { field: "count", reason: "use B500=2,C10=3" });
    let mut count = DenominationCount::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (code, pieces) = part.split_once('=').ok_or_else(invalid)?;
        let d: Denomination =
            serde_json::from_value(serde_json::json!(code.trim())).map_err(|_| invalid())?;
        count.insert(d, pieces.trim().parse().map_err(|_| invalid())?);
    }
    Ok(count)
}

fn receipt_text(r: &Receipt) -> String {
    let mut text =
        format!("{}\nVenta {}  {}\n", r.store_name, r.sale_id, r.created_at.format("%Y-%m-%d %H:%M"));
    for l in &r.lines {
        text.push_str(&format!("{:>4} x {:<40} {:>12}\n", l.quantity, l.name, money(l.total_cents)));
    }
    text.push_str(&format!(
        "Subtotal {}  Descuento {}  IVA {}\nTOTAL {}  ({})  Cambio {}",
        money(r.totals.subtotal.cents()),
        money(r.totals.discount_total.cents()),
        money(r.totals.tax_total.cents()),
        money(r.totals.total.cents()),
        r.payment_method.code(),
        money(r.change_cents)
    ));
    text
}

fn report_text(z: &ZReport) -> String {
    let mut text = format!(
        "{} — {} — {}\nFondo inicial {}\nVentas: {} ({} canceladas), total {}\n",
        z.store_name,
        z.session.register_name,
        z.session.opened_by_name,
        money(z.session.opening_cents),
        z.sales_count,
        z.cancelled_count,
        money(z.sales_total_cents)
    );
    for m in &z.sales_by_method {
        text.push_str(&format!("  {:<14} {:>4} {:>14}\n", m.method, m.count, money(m.amount_cents)));
    }
    text.push_str(&format!(
        "Entradas {}  Salidas {} (gastos {})\nEsperado {}  Contado {}  Diferencia {}\nCadena de auditoría: {} {}",
        money(z.cash_in_cents),
        money(z.cash_out_cents),
        money(z.expenses_cents),
        money(z.expected_cents),
        z.counted_cents.map_or("—".to_owned(), money),
        z.difference_cents.map_or("—".to_owned(), money),
        z.audit_head_seq,
        z.audit_head_hash
    ));
    text
}

/// A small generator for simulated sales; quality randomness is not needed.
struct XorShift(u64);

impl XorShift {
    fn new() -> XorShift {
        let mut seed = [0u8; 8];
        let _ = getrandom::fill(&mut seed);
        XorShift(u64::from_le_bytes(seed) | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn simulate(terminal: &Terminal, sales: u64, out: &Out) -> Result<(), Error> {
    let home = terminal.home()?;
    let session = match home.open_cash_session_id {
        Some(id) => id,
        None => {
            let register = home
                .registers
                .iter()
                .find(|r| !r.in_use)
                .ok_or_else(|| Error::Rule(nexus_domain::DomainError::NotAssigned))?;
            terminal
                .open_session(&OpenSession { cash_register_id: register.id, opening_amount: "1000".into() })?
                .id
        }
    };
    let products = terminal.search_products("", 200)?;
    let mut rng = XorShift::new();
    for _ in 0..sales {
        let lines: Vec<NewSaleLine> = (0..1 + rng.below(5))
            .map(|_| NewSaleLine {
                product_id: products[rng.below(products.len() as u64) as usize].id,
                quantity: 1 + rng.below(3) as i64,
                discount_bp: 0,
            })
            .collect();
        let preview: i64 = lines
            .iter()
            .map(|l| {
                let p = products.iter().find(|p| p.id == l.product_id).map_or(0, |p| p.price_1_cents);
                p * l.quantity * 117 / 100
            })
            .sum();
        let tender = Money::from_cents((preview / 10_000 + 1) * 10_000);
        let receipt = terminal.sell(&NewSale {
            cash_session_id: session,
            customer_id: None,
            price_tier: PriceTier::Counter,
            lines,
            payment: PaymentInput { cash: Some(tender.to_decimal_string()), card: None, transfer: None },
        })?;
        if out.json {
            println!(
                "{}",
                serde_json::json!({ "sale_id": receipt.sale_id, "total_cents": receipt.totals.total.cents() })
            );
        }
    }
    Ok(())
}
