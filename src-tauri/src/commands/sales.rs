//! Products, sales, customers and layaways.

use nexus_terminal::layaways::{Customer, Layaway, NewCustomer, NewLayaway, NewLayawayPayment};
use nexus_terminal::products::Product;
use nexus_terminal::sales::{CancelSale, NewSale, Receipt};
use tauri::State;
use uuid::Uuid;

use super::{IntoReply, Reply};
use crate::Engine;

#[tauri::command(async)]
pub fn search_products(engine: State<'_, Engine>, query: String, limit: usize) -> Reply<Vec<Product>> {
    engine.get()?.search_products(&query, limit).reply()
}

#[tauri::command(async)]
pub fn sell(engine: State<'_, Engine>, input: NewSale) -> Reply<Receipt> {
    engine.get()?.sell(&input).reply()
}

#[tauri::command(async)]
pub fn cancel_sale(engine: State<'_, Engine>, input: CancelSale) -> Reply<Receipt> {
    engine.get()?.cancel_sale(&input).reply()
}

#[tauri::command(async)]
pub fn receipt(engine: State<'_, Engine>, sale_id: Uuid) -> Reply<Receipt> {
    engine.get()?.receipt(sale_id).reply()
}

#[tauri::command(async)]
pub fn create_customer(engine: State<'_, Engine>, input: NewCustomer) -> Reply<Customer> {
    engine.get()?.create_customer(&input).reply()
}

#[tauri::command(async)]
pub fn create_layaway(engine: State<'_, Engine>, input: NewLayaway) -> Reply<Layaway> {
    engine.get()?.create_layaway(&input).reply()
}

#[tauri::command(async)]
pub fn pay_layaway(engine: State<'_, Engine>, input: NewLayawayPayment) -> Reply<Layaway> {
    engine.get()?.pay_layaway(&input).reply()
}

#[tauri::command(async)]
pub fn layaways(engine: State<'_, Engine>) -> Reply<Vec<Layaway>> {
    engine.get()?.layaways().reply()
}
