//! Products, sales, customers and layaways.

use nexus_terminal::layaways::{Customer, Layaway, NewCustomer, NewLayaway, NewLayawayPayment};
use nexus_terminal::products::Product;
use nexus_terminal::sales::{CancelSale, NewSale, Receipt};
use tauri::State;
use uuid::Uuid;

use super::Reply;
use crate::Engine;

#[tauri::command]
pub async fn search_products(engine: State<'_, Engine>, query: String, limit: usize) -> Reply<Vec<Product>> {
    engine.run(move |t| t.search_products(&query, limit)).await
}

#[tauri::command]
pub async fn sell(engine: State<'_, Engine>, input: NewSale) -> Reply<Receipt> {
    engine.run(move |t| t.sell(&input)).await
}

#[tauri::command]
pub async fn cancel_sale(engine: State<'_, Engine>, input: CancelSale) -> Reply<Receipt> {
    engine.run(move |t| t.cancel_sale(&input)).await
}

#[tauri::command]
pub async fn receipt(engine: State<'_, Engine>, sale_id: Uuid) -> Reply<Receipt> {
    engine.run(move |t| t.receipt(sale_id)).await
}

#[tauri::command]
pub async fn create_customer(engine: State<'_, Engine>, input: NewCustomer) -> Reply<Customer> {
    engine.run(move |t| t.create_customer(&input)).await
}

#[tauri::command]
pub async fn create_layaway(engine: State<'_, Engine>, input: NewLayaway) -> Reply<Layaway> {
    engine.run(move |t| t.create_layaway(&input)).await
}

#[tauri::command]
pub async fn pay_layaway(engine: State<'_, Engine>, input: NewLayawayPayment) -> Reply<Layaway> {
    engine.run(move |t| t.pay_layaway(&input)).await
}

#[tauri::command]
pub async fn layaways(engine: State<'_, Engine>) -> Reply<Vec<Layaway>> {
    engine.run(move |t| t.layaways()).await
}
