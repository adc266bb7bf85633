//! Customers registered at a till.

use nexus_domain::sync::{Op, payload};
use sqlx::PgConnection;

use super::planner::{Failure, Planner, parse};

impl Planner {
    /// A customer registered at a till; one central already has stays as it is.
    pub(super) async fn customer_saved(&mut self, tx: &mut PgConnection, op: &Op) -> Result<(), Failure> {
        let c: payload::CustomerSaved = parse(op)?;
        sqlx::query(
            "INSERT INTO customers (id, branch_id, name, rfc, phone, price_tier, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(c.id)
        .bind(c.branch_id.map(|b| b.0))
        .bind(&c.name)
        .bind(&c.rfc)
        .bind(&c.phone)
        .bind(i16::from(c.price_tier))
        .bind(c.created_at)
        .execute(&mut *tx)
        .await?;
        self.customers.insert(c.id, true);
        Ok(())
    }
}
