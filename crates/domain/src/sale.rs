//! Pricing a sale: price tiers, discounts, IVA per line, and settling the
//! payment with change.
//!
//! Prices (`price_1` mostrador, `price_2` taller, `price_3` mayoreo) are
//! before IVA. Each line is priced on its own — gross, discount, subtotal,
//! IVA — with half-up rounding to the cent, as a CFDI prices each concept;
//! the sale's totals are the sums of its lines, so they always add up:
//! `total = subtotal − discount_total + tax_total`.

use serde::{Deserialize, Serialize};

use crate::Permission;
use crate::error::DomainError;
use crate::money::{Money, MoneyError, Percent};
use crate::permission::Grants;

/// IVA in Mexico: 16 %.
pub const IVA: Percent = match Percent::from_hundredths_const(1600) {
    Some(p) => p,
    None => panic!("16 % is a percentage"),
};

/// The largest quantity of one line.
pub const MAX_QUANTITY: i64 = 9_999;

/// Which of a product's three prices applies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "1 | 2 | 3"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "u8", into = "u8")]
pub enum PriceTier {
    /// Precio de mostrador.
    #[default]
    Counter,
    /// Precio de taller.
    Workshop,
    /// Precio de mayoreo.
    Wholesale,
}

impl TryFrom<u8> for PriceTier {
    type Error = DomainError;
    fn try_from(n: u8) -> Result<Self, DomainError> {
        match n {
            1 => Ok(PriceTier::Counter),
            2 => Ok(PriceTier::Workshop),
            3 => Ok(PriceTier::Wholesale),
            _ => Err(DomainError::Invalid { field: "price_tier", reason: "debe ser 1, 2 o 3" }),
        }
    }
}

impl From<PriceTier> for u8 {
    fn from(t: PriceTier) -> u8 {
        match t {
            PriceTier::Counter => 1,
            PriceTier::Workshop => 2,
            PriceTier::Wholesale => 3,
        }
    }
}

/// A line as the cashier rang it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    pub unit_price: Money,
    pub quantity: i64,
    pub discount: Percent,
    pub tax_rate: Percent,
}

/// A priced line; every amount is exact to the cent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedLine {
    /// unit price × quantity.
    pub gross: Money,
    pub discount: Money,
    /// gross − discount, before IVA.
    pub subtotal: Money,
    pub tax: Money,
    /// subtotal + tax.
    pub total: Money,
}

/// `amount × percent`, rounded half up to the cent. `amount` is not negative.
pub fn percent_of(amount: Money, percent: Percent) -> Money {
    let scaled = i128::from(amount.cents()) * i128::from(percent.hundredths());
    Money::from_cents(((scaled + 5_000) / 10_000) as i64)
}

pub fn price_line(line: &Line) -> Result<PricedLine, DomainError> {
    if !(1..=MAX_QUANTITY).contains(&line.quantity) {
        return Err(DomainError::Invalid { field: "quantity", reason: "debe ser un entero de 1 a 9,999" });
    }
    let unit = line.unit_price.ensure_amount()?;
    let gross = unit.checked_mul(line.quantity).ok_or(MoneyError::TooLarge)?.ensure_amount()?;
    let discount = percent_of(gross, line.discount);
    let subtotal = Money::from_cents(gross.cents() - discount.cents());
    let tax = percent_of(subtotal, line.tax_rate);
    let total = subtotal.checked_add(tax).ok_or(MoneyError::TooLarge)?.ensure_amount()?;
    Ok(PricedLine { gross, discount, subtotal, tax, total })
}

/// The totals of a sale, as the `sales` row keeps them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaleTotals {
    /// Sum of the lines' gross amounts, before discounts.
    pub subtotal: Money,
    pub discount_total: Money,
    pub tax_total: Money,
    pub total: Money,
}

pub fn totals(lines: &[PricedLine]) -> Result<SaleTotals, DomainError> {
    if lines.is_empty() {
        return Err(DomainError::EmptySale);
    }
    let sum = |f: fn(&PricedLine) -> Money| {
        lines.iter().try_fold(Money::ZERO, |acc, l| acc.checked_add(f(l))).ok_or(MoneyError::TooLarge)
    };
    let t = SaleTotals {
        subtotal: sum(|l| l.gross)?,
        discount_total: sum(|l| l.discount)?,
        tax_total: sum(|l| l.tax)?,
        total: sum(|l| l.total)?,
    };
    t.total.ensure_amount()?;
    Ok(t)
}

/// A discount needs `pos.discount` and may not exceed the employee's maximum.
pub fn check_discount(grants: &Grants, max: Percent, wanted: Percent) -> Result<(), DomainError> {
    if wanted == Percent::ZERO {
        return Ok(());
    }
    let missing = grants.missing(&[Permission::PosDiscount]);
    if !missing.is_empty() {
        return Err(DomainError::Forbidden { missing });
    }
    if wanted > max {
        return Err(DomainError::DiscountAboveMax { max });
    }
    Ok(())
}

/// How a sale was paid, with the seed's `payment_method` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PaymentMethod {
    Efectivo,
    Tarjeta,
    Transferencia,
    Mixto,
}

impl PaymentMethod {
    pub const fn code(self) -> &'static str {
        match self {
            PaymentMethod::Efectivo => "efectivo",
            PaymentMethod::Tarjeta => "tarjeta",
            PaymentMethod::Transferencia => "transferencia",
            PaymentMethod::Mixto => "mixto",
        }
    }

    /// The SAT's *forma de pago*: 01 efectivo, 04 tarjeta, 03 transferencia,
    /// 99 por definir for a mixed payment.
    pub const fn forma_pago_sat(self) -> &'static str {
        match self {
            PaymentMethod::Efectivo => "01",
            PaymentMethod::Tarjeta => "04",
            PaymentMethod::Transferencia => "03",
            PaymentMethod::Mixto => "99",
        }
    }
}

/// What the customer handed over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tender {
    pub cash: Money,
    pub card: Money,
    pub transfer: Money,
}

/// How a total was settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub method: PaymentMethod,
    /// Cash handed over.
    pub cash_tendered: Money,
    /// Cash kept for the sale: tendered − change.
    pub cash_applied: Money,
    pub card: Money,
    pub transfer: Money,
    pub change: Money,
}

impl Settlement {
    /// Everything handed over, as `sales.amount_paid` keeps it.
    pub fn amount_paid(&self) -> Money {
        Money::from_cents(self.cash_tendered.cents() + self.card.cents() + self.transfer.cents())
    }
}

/// Settles `total` with what the customer handed over. Card and transfer are
/// charged exactly (no change on them); cash covers the rest and gets change.
pub fn settle(total: Money, tender: Tender) -> Result<Settlement, DomainError> {
    let cash = tender.cash.ensure_amount()?;
    let card = tender.card.ensure_amount()?;
    let transfer = tender.transfer.ensure_amount()?;
    let electronic = Money::from_cents(card.cents() + transfer.cents());
    if electronic > total {
        return Err(DomainError::ElectronicAboveTotal);
    }
    let due_in_cash = Money::from_cents(total.cents() - electronic.cents());
    if cash < due_in_cash {
        return Err(DomainError::InsufficientPayment {
            missing: Money::from_cents(due_in_cash.cents() - cash.cents()),
        });
    }
    let change = Money::from_cents(cash.cents() - due_in_cash.cents());
    let used = [
        (due_in_cash, PaymentMethod::Efectivo),
        (card, PaymentMethod::Tarjeta),
        (transfer, PaymentMethod::Transferencia),
    ];
    let mut methods = used.iter().filter(|(m, _)| !m.is_zero()).map(|(_, k)| *k);
    let method = match (methods.next(), methods.next()) {
        (Some(only), None) => only,
        (None, _) => PaymentMethod::Efectivo,
        (Some(_), Some(_)) => PaymentMethod::Mixto,
    };
    Ok(Settlement { method, cash_tendered: cash, cash_applied: due_in_cash, card, transfer, change })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PermissionSet, Role};
    use proptest::prelude::*;

    fn line(unit: i64, qty: i64, discount: u16) -> Line {
        Line {
            unit_price: Money::from_cents(unit),
            quantity: qty,
            discount: Percent::from_hundredths(discount).unwrap(),
            tax_rate: IVA,
        }
    }

    #[test]
    fn a_line_is_priced_to_the_cent_with_iva() {
        let l = price_line(&line(9_500, 2, 0)).unwrap();
        assert_eq!(
            (l.gross.cents(), l.discount.cents(), l.subtotal.cents(), l.tax.cents(), l.total.cents()),
            (19_000, 0, 19_000, 3_040, 22_040)
        );
        // 3 × $33.33 with 5 %: gross 99.99, discount 5.00 (4.9995 rounds up), IVA of 94.99 is 15.1984 → 15.20.
        let l = price_line(&line(3_333, 3, 500)).unwrap();
        assert_eq!(
            (l.gross.cents(), l.discount.cents(), l.subtotal.cents(), l.tax.cents(), l.total.cents()),
            (9_999, 500, 9_499, 1_520, 11_019)
        );
    }

    #[test]
    fn bad_lines_are_refused() {
        assert!(matches!(price_line(&line(100, 0, 0)), Err(DomainError::Invalid { field: "quantity", .. })));
        assert!(matches!(
            price_line(&line(100, 10_000, 0)),
            Err(DomainError::Invalid { field: "quantity", .. })
        ));
        assert!(matches!(price_line(&line(-1, 1, 0)), Err(DomainError::InvalidAmount(MoneyError::Negative))));
        assert!(matches!(
            price_line(&line(Money::MAX.cents(), 2, 0)),
            Err(DomainError::InvalidAmount(MoneyError::TooLarge))
        ));
        assert_eq!(totals(&[]), Err(DomainError::EmptySale));
    }

    #[test]
    fn discounts_need_the_permission_and_stay_within_the_maximum() {
        let cashier = Grants { role: Role::Cashier, permissions: Role::Cashier.default_permissions() };
        let five = Percent::from_hundredths(500).unwrap();
        let ten = Percent::from_hundredths(1000).unwrap();
        assert_eq!(check_discount(&cashier, five, five), Ok(()));
        assert_eq!(check_discount(&cashier, five, ten), Err(DomainError::DiscountAboveMax { max: five }));
        let no_discount = Grants { role: Role::Cashier, permissions: PermissionSet::default() };
        assert!(matches!(check_discount(&no_discount, ten, five), Err(DomainError::Forbidden { .. })));
        assert_eq!(check_discount(&no_discount, Percent::ZERO, Percent::ZERO), Ok(()));
    }

    #[test]
    fn cash_gets_change_and_electronic_payments_are_exact() {
        let total = Money::from_cents(22_040);
        let s = settle(total, Tender { cash: Money::from_pesos(500), ..Tender::default() }).unwrap();
        assert_eq!(
            (s.method, s.cash_applied.cents(), s.change.cents()),
            (PaymentMethod::Efectivo, 22_040, 27_960)
        );
        let s = settle(total, Tender { card: total, ..Tender::default() }).unwrap();
        assert_eq!((s.method, s.change), (PaymentMethod::Tarjeta, Money::ZERO));
        let s = settle(
            total,
            Tender { cash: Money::from_pesos(100), card: Money::from_cents(12_040), ..Tender::default() },
        )
        .unwrap();
        assert_eq!((s.method, s.cash_applied.cents(), s.change.cents()), (PaymentMethod::Mixto, 10_000, 0));
        assert_eq!(s.amount_paid(), total);
        assert_eq!(
            settle(total, Tender { cash: Money::from_pesos(200), ..Tender::default() }),
            Err(DomainError::InsufficientPayment { missing: Money::from_cents(2_040) })
        );
        assert_eq!(
            settle(total, Tender { card: Money::from_pesos(300), ..Tender::default() }),
            Err(DomainError::ElectronicAboveTotal)
        );
        assert_eq!(PaymentMethod::Mixto.forma_pago_sat(), "99");
    }

    proptest! {
        #[test]
        fn every_line_adds_up(unit in 0i64..5_000_000, qty in 1i64..=MAX_QUANTITY, discount in 0u16..=10_000) {
            let l = price_line(&line(unit, qty, discount)).unwrap();
            prop_assert_eq!(l.gross.cents(), unit * qty);
            prop_assert!(l.discount <= l.gross);
            prop_assert_eq!(l.subtotal.cents(), l.gross.cents() - l.discount.cents());
            prop_assert_eq!(l.total.cents(), l.subtotal.cents() + l.tax.cents());
            // IVA is within half a cent of the exact 16 %.
            let exact_hundredths = i128::from(l.subtotal.cents()) * 16;
            prop_assert!((i128::from(l.tax.cents()) * 100 - exact_hundredths).abs() <= 50);
        }

        #[test]
        fn sale_totals_are_the_sum_of_their_lines(lines in proptest::collection::vec((0i64..100_000, 1i64..50, 0u16..=2_000), 1..8)) {
            let priced: Vec<PricedLine> = lines.iter().map(|(u, q, d)| price_line(&line(*u, *q, *d)).unwrap()).collect();
            let t = totals(&priced).unwrap();
            prop_assert_eq!(t.total.cents(), t.subtotal.cents() - t.discount_total.cents() + t.tax_total.cents());
            prop_assert_eq!(t.total.cents(), priced.iter().map(|l| l.total.cents()).sum::<i64>());
        }

        #[test]
        fn a_settlement_covers_the_total_exactly(total in 0i64..10_000_000, card_part in 0i64..=100, transfer_part in 0i64..=100, extra in 0i64..100_000) {
            let card = total * card_part / 100;
            let transfer = (total - card) * transfer_part / 100;
            let cash = total - card - transfer + extra;
            let s = settle(Money::from_cents(total), Tender { cash: Money::from_cents(cash), card: Money::from_cents(card), transfer: Money::from_cents(transfer) }).unwrap();
            prop_assert_eq!(s.cash_applied.cents() + s.card.cents() + s.transfer.cents(), total);
            prop_assert_eq!(s.change.cents(), extra);
            prop_assert_eq!(s.cash_tendered.cents() - s.change.cents(), s.cash_applied.cents());
        }
    }
}
