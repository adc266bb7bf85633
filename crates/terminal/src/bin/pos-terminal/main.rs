//! `pos-terminal`: the terminal engine from the command line, for support
//! staff and scripts. Every command that acts as an employee logs in with
//! the PIN given by `--pin` (or `NEXUS_PIN`) first, and is audited like the
//! same action at the counter. One module per subcommand; this file only
//! parses the command line, opens the terminal and dispatches.

mod assignments;
mod audit;
mod cancel;
mod change_pin;
mod close;
mod employees;
mod enroll;
mod home;
mod login;
mod movements;
mod open;
mod outbox;
mod output;
mod products;
mod registers;
mod report;
mod sell;
mod setup;
mod status;
mod sync;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use nexus_terminal::{Error, Options, Terminal};
use uuid::Uuid;

use crate::output::Out;

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
    Setup(setup::SetupArgs),
    /// Check a PIN and show who it belongs to.
    Login,
    /// Change your own PIN (the one given with --pin).
    ChangePin(change_pin::ChangePinArgs),
    /// The home context: open session and assigned registers.
    Home,
    /// Open a cash session.
    Open(open::OpenArgs),
    /// Sell on the open session.
    Sell(sell::SellArgs),
    /// Cancel a sale, refunding its cash from the open session.
    Cancel(cancel::CancelArgs),
    /// Cash in, cash out or an expense on the open session.
    Move(movements::MoveArgs),
    /// Close the open session with the counted cash.
    Close(close::CloseArgs),
    /// The report of a session (the open one by default).
    Report(report::ReportArgs),
    /// Search products by barcode, part number or name.
    Products(products::ProductsArgs),
    #[command(subcommand)]
    Employees(employees::EmployeeCommand),
    #[command(subcommand)]
    Registers(registers::RegisterCommand),
    /// Assign a register to an employee, or activate/deactivate an assignment.
    Assign(assignments::AssignArgs),
    /// The assignments, filtered.
    Assignments(assignments::AssignmentsArgs),
    /// Whether the terminal is set up, its store, settings and sync state.
    Status,
    /// Enroll this blank terminal with central using a one-time code.
    Enroll(enroll::EnrollArgs),
    /// Push the outbox and pull reference data once, or keep doing it.
    Sync(sync::SyncArgs),
    /// Verify the audit chain.
    VerifyAudit,
    /// What the outbox holds.
    Outbox,
}

/// What every subcommand works with: the opened terminal, the PIN given and
/// the output format.
struct Ctx {
    terminal: Arc<Terminal>,
    dir: PathBuf,
    pin: Option<String>,
    out: Out,
}

impl Ctx {
    /// Logs in the employee whose PIN was given; commands acting as someone
    /// start here.
    fn login(&self) -> Result<(), Error> {
        let pin = self.pin.as_deref().ok_or(Error::NotLoggedIn)?;
        self.terminal.login(pin)?;
        Ok(())
    }

    /// The session the logged-in employee has open.
    fn open_session_id(&self) -> Result<Uuid, Error> {
        self.terminal
            .home()?
            .open_cash_session_id
            .ok_or(Error::Rule(nexus_domain::DomainError::InvalidSession))
    }
}

fn default_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("nexus-pos/terminal")
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
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

/// A command line clap refuses. With `--json` anywhere on it, a script
/// reads the refusal as JSON like every other error; help and version are
/// not errors and print as usual.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let json = std::env::args_os().any(|a| a == "--json");
    if !json || matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit();
    }
    let rendered = e.to_string();
    let message = rendered.lines().next().unwrap_or_default().trim_start_matches("error: ").trim();
    eprintln!("{}", serde_json::json!({ "code": "invalid_arguments", "message": message }));
    ExitCode::from(2)
}

/// Only `setup` and `enroll` make a terminal; any other command on a data
/// directory without one says so instead of creating an empty database
/// where a mistyped path points.
fn ensure_terminal_exists(command: &Command, dir: &std::path::Path) -> Result<(), Error> {
    if matches!(command, Command::Setup(_) | Command::Enroll(_)) || Terminal::database_path(dir).is_file() {
        return Ok(());
    }
    Err(Error::not_found(
        "data_dir_missing",
        format!("No hay una terminal en {}: usa «setup» o «enroll» primero", dir.display()),
    ))
}

fn run(cli: &Cli) -> Result<(), Error> {
    let dir = cli.data_dir.clone().unwrap_or_else(default_dir);
    ensure_terminal_exists(&cli.command, &dir)?;
    let terminal = Arc::new(Terminal::open(
        &dir,
        Options { keyring_service: cli.keyring_service.clone(), ..Options::default() },
    )?);
    let ctx = Ctx { terminal, dir, pin: cli.pin.clone(), out: Out { json: cli.json } };
    match &cli.command {
        Command::Setup(args) => setup::run(&ctx, args),
        Command::Login => login::run(&ctx),
        Command::ChangePin(args) => change_pin::run(&ctx, args),
        Command::Home => home::run(&ctx),
        Command::Open(args) => open::run(&ctx, args),
        Command::Sell(args) => sell::run(&ctx, args),
        Command::Cancel(args) => cancel::run(&ctx, args),
        Command::Move(args) => movements::run(&ctx, args),
        Command::Close(args) => close::run(&ctx, args),
        Command::Report(args) => report::run(&ctx, args),
        Command::Products(args) => products::run(&ctx, args),
        Command::Employees(cmd) => employees::run(&ctx, cmd),
        Command::Registers(cmd) => registers::run(&ctx, cmd),
        Command::Assign(args) => assignments::assign(&ctx, args),
        Command::Assignments(args) => assignments::list(&ctx, args),
        Command::Status => status::run(&ctx),
        Command::Enroll(args) => enroll::run(&ctx, args),
        Command::Sync(args) => sync::run(&ctx, args),
        Command::VerifyAudit => audit::run(&ctx),
        Command::Outbox => outbox::run(&ctx),
    }
}
