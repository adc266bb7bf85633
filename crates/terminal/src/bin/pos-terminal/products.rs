//! `products`: searches the catalogue by barcode, part number or name.

use clap::Args;
use nexus_terminal::Error;

use crate::Ctx;
use crate::output::money;

#[derive(Args)]
pub struct ProductsArgs {
    query: Option<String>,
}

pub fn run(ctx: &Ctx, args: &ProductsArgs) -> Result<(), Error> {
    ctx.login()?;
    let products = ctx.terminal.search_products(args.query.as_deref().unwrap_or(""), 50)?;
    ctx.out.show(&products, |ps| {
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
