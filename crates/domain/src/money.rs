//! Money and percentages as exact integers.
//!
//! Money is integer cents of MXN everywhere in Rust and SQLite, and
//! `NUMERIC(12,2)` in PostgreSQL. A float never touches an amount: text is
//! parsed digit by digit and arithmetic is checked, so an overflow is an error
//! rather than a wrong total.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount in cents of a peso. May be negative (a difference, a reversal);
/// amounts typed by a person go through [`Money::parse_amount`], which is not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = i64))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "number"))]
#[serde(transparent)]
pub struct Money(i64);

/// Why a text or a number is not an acceptable amount.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("el importe no es un número válido")]
    Invalid,
    #[error("el importe no puede ser negativo")]
    Negative,
    #[error("el importe tiene más de dos decimales")]
    TooManyDecimals,
    #[error("el importe excede el máximo permitido (9,999,999,999.99)")]
    TooLarge,
}

impl Money {
    pub const ZERO: Money = Money(0);
    /// The largest absolute value a `NUMERIC(12,2)` column holds.
    pub const MAX: Money = Money(999_999_999_999);

    pub const fn from_cents(cents: i64) -> Money {
        Money(cents)
    }

    pub const fn from_pesos(pesos: i64) -> Money {
        Money(pesos * 100)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses an amount a person typed: digits, an optional decimal point with
    /// at most two decimals, optional thousands separators (`,`) and an
    /// optional leading `$`. Never negative, never above [`Money::MAX`].
    pub fn parse_amount(text: &str) -> Result<Money, MoneyError> {
        let text = text.trim();
        let text = text.strip_prefix('$').unwrap_or(text).trim_start();
        if text.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (text, None),
        };
        let whole: String = whole.chars().filter(|c| *c != ',').collect();
        if whole.is_empty() && frac.is_none_or(str::is_empty) {
            return Err(MoneyError::Invalid);
        }
        if !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::Invalid);
        }
        let frac = frac.unwrap_or("");
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::Invalid);
        }
        if frac.len() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 10 {
            return Err(MoneyError::TooLarge);
        }
        let mut cents: i64 = 0;
        for b in whole.bytes() {
            cents = cents * 10 + i64::from(b - b'0');
        }
        cents *= 100;
        let mut frac_digits = frac.bytes();
        let tens = frac_digits.next().map_or(0, |b| i64::from(b - b'0'));
        let units = frac_digits.next().map_or(0, |b| i64::from(b - b'0'));
        cents += tens * 10 + units;
        Money(cents).ensure_amount()
    }

    /// Checks that a value received as cents is an acceptable amount: not
    /// negative and within `NUMERIC(12,2)`.
    pub fn ensure_amount(self) -> Result<Money, MoneyError> {
        if self.0 < 0 {
            Err(MoneyError::Negative)
        } else if self.0 > Self::MAX.0 {
            Err(MoneyError::TooLarge)
        } else {
            Ok(self)
        }
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    pub fn checked_mul(self, quantity: i64) -> Option<Money> {
        self.0.checked_mul(quantity).map(Money)
    }

    /// The amount as PostgreSQL reads a `NUMERIC`: `-1234.50`.
    pub fn to_decimal_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    /// The amount as a cashier reads it: `$1,234.50`, `-$12.00`.
    pub fn to_mxn_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let pesos = (abs / 100).to_string();
        let mut grouped = String::with_capacity(pesos.len() + pesos.len() / 3);
        for (i, c) in pesos.chars().enumerate() {
            if i > 0 && (pesos.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{sign}${grouped}.{:02}", abs % 100)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_decimal_string())
    }
}

/// A percentage with two decimals, stored as hundredths of a percent
/// (`12.50 %` is `1250`), as `NUMERIC(5,2)` holds it. Between 0 and 100 %.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = u16))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "number"))]
#[serde(try_from = "u16", into = "u16")]
pub struct Percent(u16);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("el porcentaje debe estar entre 0 y 100 con a lo más dos decimales")]
pub struct PercentError;

impl Percent {
    pub const ZERO: Percent = Percent(0);
    pub const HUNDRED: Percent = Percent(10_000);

    /// [`Percent::from_hundredths`] for constants.
    pub const fn from_hundredths_const(value: u16) -> Option<Percent> {
        if value > Self::HUNDRED.0 { None } else { Some(Percent(value)) }
    }

    pub fn from_hundredths(value: u16) -> Result<Percent, PercentError> {
        if value > Self::HUNDRED.0 { Err(PercentError) } else { Ok(Percent(value)) }
    }

    pub const fn hundredths(self) -> u16 {
        self.0
    }

    /// `12.5` → 1250 hundredths. Used when reading `NUMERIC(5,2)` as text.
    pub fn parse(text: &str) -> Result<Percent, PercentError> {
        let amount = Money::parse_amount(text).map_err(|_| PercentError)?;
        let value = u16::try_from(amount.cents()).map_err(|_| PercentError)?;
        Percent::from_hundredths(value)
    }

    pub fn to_decimal_string(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl TryFrom<u16> for Percent {
    type Error = PercentError;
    fn try_from(value: u16) -> Result<Self, Self::Error> {
        Percent::from_hundredths(value)
    }
}

impl From<Percent> for u16 {
    fn from(p: Percent) -> u16 {
        p.0
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} %", self.to_decimal_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn typed_amounts_parse_to_exact_cents() {
        assert_eq!(Money::parse_amount("0").unwrap().cents(), 0);
        assert_eq!(Money::parse_amount("12").unwrap().cents(), 1200);
        assert_eq!(Money::parse_amount("12.5").unwrap().cents(), 1250);
        assert_eq!(Money::parse_amount("12.05").unwrap().cents(), 1205);
        assert_eq!(Money::parse_amount(".5").unwrap().cents(), 50);
        assert_eq!(Money::parse_amount("$1,234.56").unwrap().cents(), 123_456);
        assert_eq!(Money::parse_amount(" 50000 ").unwrap().cents(), 5_000_000);
        assert_eq!(Money::parse_amount("9999999999.99").unwrap(), Money::MAX);
    }

    #[test]
    fn bad_amounts_are_refused_with_the_reason() {
        assert_eq!(Money::parse_amount("-1"), Err(MoneyError::Negative));
        assert_eq!(Money::parse_amount("1.234"), Err(MoneyError::TooManyDecimals));
        assert_eq!(Money::parse_amount("10000000000"), Err(MoneyError::TooLarge));
        assert_eq!(Money::parse_amount(""), Err(MoneyError::Invalid));
        assert_eq!(Money::parse_amount("."), Err(MoneyError::Invalid));
        assert_eq!(Money::parse_amount("1e3"), Err(MoneyError::Invalid));
        assert_eq!(Money::parse_amount("12.3a"), Err(MoneyError::Invalid));
        assert_eq!(Money::parse_amount("NaN"), Err(MoneyError::Invalid));
    }

    #[test]
    fn amounts_print_for_the_database_and_for_the_cashier() {
        let m = Money::from_cents(123_456_789);
        assert_eq!(m.to_decimal_string(), "1234567.89");
        assert_eq!(m.to_mxn_string(), "$1,234,567.89");
        assert_eq!(Money::from_cents(-5).to_decimal_string(), "-0.05");
        assert_eq!(Money::from_cents(-1200).to_mxn_string(), "-$12.00");
        assert_eq!(Money::ZERO.to_mxn_string(), "$0.00");
        assert_eq!(Money::from_cents(100_000).to_mxn_string(), "$1,000.00");
    }

    #[test]
    fn percentages_are_bounded_to_a_hundred() {
        assert_eq!(Percent::parse("12.5").unwrap().hundredths(), 1250);
        assert_eq!(Percent::parse("100").unwrap(), Percent::HUNDRED);
        assert!(Percent::parse("100.01").is_err());
        assert!(Percent::parse("-1").is_err());
        assert!(Percent::from_hundredths(10_001).is_err());
        assert_eq!(Percent::from_hundredths(505).unwrap().to_decimal_string(), "5.05");
    }

    proptest! {
        #[test]
        fn decimal_text_round_trips_exactly(cents in 0i64..=Money::MAX.cents()) {
            let m = Money::from_cents(cents);
            prop_assert_eq!(Money::parse_amount(&m.to_decimal_string()), Ok(m));
            prop_assert_eq!(Money::parse_amount(&m.to_mxn_string()), Ok(m));
        }

        #[test]
        fn addition_is_exact_or_refused(a in any::<i64>(), b in any::<i64>()) {
            let sum = Money::from_cents(a).checked_add(Money::from_cents(b));
            prop_assert_eq!(sum.map(Money::cents), a.checked_add(b));
        }
    }
}
