//! `pos-simulate`: a load generator, not a product command. It rings up
//! random sales on the open session of the employee whose PIN is given
//! (opening one if needed), as fast as the engine takes them. Benchmarks
//! and the crash test drive it and kill it at random points.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use nexus_domain::money::Money;
use nexus_domain::sale::PriceTier;
use nexus_terminal::cash_session::OpenSession;
use nexus_terminal::products::Product;
use nexus_terminal::sales::{NewSale, NewSaleLine, PaymentInput};
use nexus_terminal::{Error, Options, Terminal};
use uuid::Uuid;

#[derive(Parser)]
#[command(name = "pos-simulate", about = "Rings up random sales on a Nexus POS terminal")]
struct Cli {
    /// Where the terminal keeps its database.
    #[arg(long, env = "NEXUS_TERMINAL_DIR")]
    data_dir: PathBuf,
    /// The PIN of the employee selling.
    #[arg(long, env = "NEXUS_PIN", hide_env_values = true)]
    pin: String,
    /// Name of the application in the OS secret store.
    #[arg(long, env = "NEXUS_KEYRING_SERVICE", default_value = "nexus-pos")]
    keyring_service: String,
    /// How many sales to ring up.
    #[arg(long, default_value_t = 10)]
    sales: u64,
    /// Print each sale as a JSON line.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<(), Error> {
    let terminal = Terminal::open(
        &cli.data_dir,
        Options { keyring_service: cli.keyring_service.clone(), ..Options::default() },
    )?;
    terminal.login(&cli.pin)?;
    let session = open_session(&terminal)?;
    let products = terminal.search_products("", 200)?;
    if products.is_empty() {
        return Err(Error::not_found("product_not_found", "No hay productos que vender"));
    }
    for _ in 0..cli.sales {
        let lines = random_lines(&products);
        let receipt = terminal.sell(&NewSale {
            cash_session_id: session,
            customer_id: None,
            price_tier: PriceTier::Counter,
            payment: PaymentInput {
                cash: Some(tender(&products, &lines).to_decimal_string()),
                card: None,
                transfer: None,
            },
            lines,
        })?;
        if cli.json {
            println!(
                "{}",
                serde_json::json!({ "sale_id": receipt.sale_id, "total_cents": receipt.totals.total.cents() })
            );
        }
    }
    Ok(())
}

/// The employee's open session, or a new one on their first free register.
fn open_session(terminal: &Terminal) -> Result<Uuid, Error> {
    let home = terminal.home()?;
    if let Some(id) = home.open_cash_session_id {
        return Ok(id);
    }
    let register = home
        .registers
        .iter()
        .find(|r| !r.in_use)
        .ok_or(Error::Rule(nexus_domain::DomainError::NotAssigned))?;
    Ok(terminal
        .open_session(&OpenSession { cash_register_id: register.id, opening_amount: "1000".into() })?
        .id)
}

/// One to five lines of one to three pieces of random products.
fn random_lines(products: &[Product]) -> Vec<NewSaleLine> {
    (0..fastrand::usize(1..=5))
        .map(|_| NewSaleLine {
            product_id: products[fastrand::usize(..products.len())].id,
            quantity: fastrand::i64(1..=3),
            discount_bp: 0,
        })
        .collect()
}

/// Cash that surely covers the sale: its price with tax, rounded up to the
/// next hundred pesos.
fn tender(products: &[Product], lines: &[NewSaleLine]) -> Money {
    let preview: i64 = lines
        .iter()
        .map(|l| {
            let price = products.iter().find(|p| p.id == l.product_id).map_or(0, |p| p.price_1_cents);
            price * l.quantity * 117 / 100
        })
        .sum();
    Money::from_cents((preview / 10_000 + 1) * 10_000)
}
