//! The local product table: search by barcode, part number or name.

use nexus_domain::{BranchId, Percent};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use uuid::Uuid;

use crate::Terminal;
use crate::error::Result;
use crate::store::RowExt;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Product {
    pub id: Uuid,
    pub branch_id: Option<BranchId>,
    pub part_number: String,
    pub barcode: Option<String>,
    pub name: String,
    pub brand: Option<String>,
    pub unit: String,
    pub cost_cents: i64,
    /// Mostrador, taller, mayoreo; before IVA.
    pub price_1_cents: i64,
    pub price_2_cents: i64,
    pub price_3_cents: i64,
    pub tax_rate_bp: Percent,
    /// Stock at this terminal's branch.
    pub stock: i64,
    pub is_active: bool,
}

const SELECT: &str = "SELECT i.id, i.branch_id, i.part_number, i.barcode, i.name, i.brand, i.unit, i.cost, i.price_1, i.price_2,
        i.price_3, i.tax_rate, i.is_active,
        (SELECT coalesce(sum(o.quantity), 0) FROM inventory_operations o WHERE o.inventory_id = i.id AND o.branch_id IS ?1)
    FROM inventory i";

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Product> {
    let rate: i64 = r.get(11)?;
    Ok(Product {
        id: r.uuid(0)?,
        branch_id: r.opt_uuid(1)?.map(BranchId),
        part_number: r.get(2)?,
        barcode: r.get(3)?,
        name: r.get(4)?,
        brand: r.get(5)?,
        unit: r.get(6)?,
        cost_cents: r.get(7)?,
        price_1_cents: r.get(8)?,
        price_2_cents: r.get(9)?,
        price_3_cents: r.get(10)?,
        tax_rate_bp: Percent::from_hundredths(u16::try_from(rate).unwrap_or(1600))
            .unwrap_or(nexus_domain::sale::IVA),
        is_active: r.get::<_, i64>(12)? == 1,
        stock: r.get(13)?,
    })
}

/// What a sale needs of a product: no stock, which costs a sum.
#[derive(Clone, Debug)]
pub(crate) struct Priced {
    pub id: Uuid,
    pub part_number: String,
    pub name: String,
    pub cost_cents: i64,
    pub prices: [i64; 3],
    pub tax_rate_bp: Percent,
}

/// An active product sold at `branch` (or at every branch).
pub(crate) fn load_for_sale(conn: &Connection, branch: BranchId, id: Uuid) -> Result<Option<Priced>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, part_number, name, cost, price_1, price_2, price_3, tax_rate FROM inventory
             WHERE id = ?1 AND is_active = 1 AND (branch_id IS NULL OR branch_id = ?2)",
        )?
        .query_row(rusqlite::params![id.to_string(), branch.to_string()], |r| {
            let rate: i64 = r.get(7)?;
            Ok(Priced {
                id: r.uuid(0)?,
                part_number: r.get(1)?,
                name: r.get(2)?,
                cost_cents: r.get(3)?,
                prices: [r.get(4)?, r.get(5)?, r.get(6)?],
                tax_rate_bp: Percent::from_hundredths(u16::try_from(rate).unwrap_or(1600))
                    .unwrap_or(nexus_domain::sale::IVA),
            })
        })
        .optional()?)
}

/// `%text%` for LIKE, with LIKE's wildcards taken literally.
fn like_pattern(text: &str) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

impl Terminal {
    /// Active products of this branch (or of every branch) matching `query`:
    /// an exact barcode or part number first, then names, part numbers and
    /// brands containing it. At most `limit` (1..=200).
    pub fn search_products(&self, query: &str, limit: usize) -> Result<Vec<Product>> {
        let query = query.trim();
        let limit = limit.clamp(1, 200) as i64;
        self.view(|conn, ctx| {
            let branch = ctx.device.branch_id.to_string();
            if query.is_empty() {
                let mut stmt = conn.prepare_cached(&format!(
                    "{SELECT} WHERE i.is_active = 1 AND (i.branch_id IS NULL OR i.branch_id = ?1) ORDER BY i.name LIMIT ?2"
                ))?;
                return Ok(stmt.query_map(rusqlite::params![branch, limit], read)?.collect::<rusqlite::Result<_>>()?);
            }
            let mut stmt = conn.prepare_cached(&format!(
                "{SELECT} WHERE i.is_active = 1 AND (i.branch_id IS NULL OR i.branch_id = ?1)
                   AND (i.barcode = ?2 OR i.part_number = ?2 COLLATE NOCASE
                        OR i.name LIKE ?3 ESCAPE '\\' OR i.part_number LIKE ?3 ESCAPE '\\' OR i.brand LIKE ?3 ESCAPE '\\')
                 ORDER BY (i.barcode = ?2 OR i.part_number = ?2 COLLATE NOCASE) DESC, i.name
                 LIMIT ?4"
            ))?;
            let rows = stmt.query_map(rusqlite::params![branch, query, like_pattern(query), limit], read)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(super::like_pattern("50%_x"), "%50\\%\\_x%");
    }
}
