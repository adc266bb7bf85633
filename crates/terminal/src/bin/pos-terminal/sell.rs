//! `sell`: rings up a sale on the open session from product codes.

use clap::Args;
use nexus_domain::sale::PriceTier;
use nexus_terminal::Error;
use nexus_terminal::sales::{NewSale, NewSaleLine, PaymentInput, Receipt};
use uuid::Uuid;

use crate::Ctx;
use crate::output::{money, percent_bp};

#[derive(Args)]
pub struct SellArgs {
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

pub fn run(ctx: &Ctx, args: &SellArgs) -> Result<(), Error> {
    ctx.login()?;
    let session = ctx.open_session_id()?;
    let lines = args.items.iter().map(|item| line(ctx, item)).collect::<Result<Vec<_>, _>>()?;
    let receipt = ctx.terminal.sell(&NewSale {
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
    ctx.out.show(&receipt, receipt_text)
}

/// One `CODE[:QUANTITY[:DISCOUNT%]]` argument as a sale line.
fn line(ctx: &Ctx, item: &str) -> Result<NewSaleLine, Error> {
    let mut parts = item.split(':');
    let code = parts.next().unwrap_or_default();
    let quantity = parts.next().map_or(Ok(1), str::parse).map_err(|_| {
        Error::Rule(nexus_domain::DomainError::Invalid { field: "quantity", reason: "no es un entero" })
    })?;
    let discount_bp = parts.next().map(percent_bp).transpose()?.unwrap_or(0);
    let product = ctx
        .terminal
        .search_products(code, 1)?
        .into_iter()
        .find(|p| p.barcode.as_deref() == Some(code) || p.part_number.eq_ignore_ascii_case(code))
        .ok_or_else(|| Error::not_found("product_not_found", format!("Producto {code} no encontrado")))?;
    Ok(NewSaleLine { product_id: product.id, quantity, discount_bp })
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
