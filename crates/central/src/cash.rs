//! What a cash session's drawer holds by central's own rows.
//!
//! The close of a session (`nexus_domain::cash::DrawerTotals::expected`) and
//! headquarters' live board both need the money that went through a drawer:
//! the opening, cash received (sales and layaway payments), change given,
//! cash in, and cash out (withdrawals, expenses, refunds). It is read here
//! once, in cents, and the arithmetic stays in the domain, so the board's
//! expected cash is the close's to the cent.

use std::collections::HashMap;

use nexus_domain::Money;
use nexus_domain::cash::DrawerTotals;
use sqlx::PgConnection;
use uuid::Uuid;

/// The drawer of each of `sessions` that exists.
pub async fn drawers(
    conn: &mut PgConnection,
    sessions: &[Uuid],
) -> Result<HashMap<Uuid, DrawerTotals>, sqlx::Error> {
    let rows: Vec<(Uuid, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT s.id,
                (s.opening_amount * 100)::int8,
                ((coalesce(p.cash, 0) + coalesce(l.cash, 0)) * 100)::int8,
                (coalesce(v.change, 0) * 100)::int8,
                (coalesce(m.cash_in, 0) * 100)::int8,
                (coalesce(m.cash_out, 0) * 100)::int8
         FROM cash_sessions s
         LEFT JOIN LATERAL (SELECT sum(p.tendered) AS cash FROM sale_payments p JOIN sales x ON x.id = p.sale_id
                            WHERE x.cash_session_id = s.id AND p.method = 'efectivo') p ON TRUE
         LEFT JOIN LATERAL (SELECT sum(amount) AS cash FROM layaway_payments
                            WHERE cash_session_id = s.id AND payment_method = 'efectivo') l ON TRUE
         LEFT JOIN LATERAL (SELECT sum(change_given) AS change FROM sales WHERE cash_session_id = s.id) v ON TRUE
         LEFT JOIN LATERAL (SELECT sum(amount) FILTER (WHERE type = 'in') AS cash_in,
                                   sum(amount) FILTER (WHERE type IN ('out', 'expense')) AS cash_out
                            FROM cash_movements WHERE cash_session_id = s.id) m ON TRUE
         WHERE s.id = ANY($1)",
    )
    .bind(sessions)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, opening, received, change, cash_in, cash_out)| {
            let drawer = DrawerTotals {
                opening: Money::from_cents(opening),
                cash_received: Money::from_cents(received),
                change_given: Money::from_cents(change),
                cash_in: Money::from_cents(cash_in),
                cash_out: Money::from_cents(cash_out),
            };
            (id, drawer)
        })
        .collect())
}
