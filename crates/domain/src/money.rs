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
    #[error("la coma solo separa miles en grupos de tres (1,250.00); los decimales van con punto")]
    BadGrouping,
    #[error("el importe no puede ser negativo")]
    Negative,
    #[error("el importe tiene más de dos decimales")]
    TooManyDecimals,
    #[error("el importe excede el máximo permitido (9,999,999,999.99)")]
    TooLarge,
}

/// The integer part without its thousands separators. Without a comma it is
/// returned as is; with commas it must be one to three digits (not a lone
/// zero) followed by groups of exactly three.
fn ungroup(whole: &str) -> Result<String, MoneyError> {
    if !whole.contains(',') {
        return Ok(whole.to_owned());
    }
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or_default();
    let digits = |g: &str| g.bytes().all(|b| b.is_ascii_digit());
    let first_ok = (1..=3).contains(&first.len()) && digits(first) && !first.starts_with('0');
    let rest: Vec<&str> = groups.collect();
    if !first_ok || !rest.iter().all(|g| g.len() == 3 && digits(g)) {
        return Err(MoneyError::BadGrouping);
    }
    Ok(std::iter::once(first).chain(rest).collect())
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
    /// at most two decimals, and an optional leading `$`, with surrounding
    /// spaces ignored. A comma is only a thousands separator between groups
    /// of exactly three digits (`1,250.00`); anything else with a comma
    /// (`12,50`, `1.234,50`, `,5`) is refused rather than guessed at, since
    /// dropping it would turn `12,50` into 1,250 pesos. Never signed, never
    /// above [`Money::MAX`].
    pub fn parse_amount(text: &str) -> Result<Money, MoneyError> {
        let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
        let text =
            text.strip_prefix('$').map_or(text, |t| t.trim_start_matches(|c: char| c.is_ascii_whitespace()));
        if text.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (text, None),
        };
        let frac = frac.unwrap_or("");
        if frac.contains(',') {
            return Err(MoneyError::BadGrouping);
        }
        let whole = ungroup(whole)?;
        if whole.is_empty() && frac.is_empty() {
            return Err(MoneyError::Invalid);
        }
        if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::Invalid);
        }
        if frac.len() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 10 {
            return Err(MoneyError::TooLarge);
        }
        let digits = |s: &str| s.bytes().fold(0i64, |n, b| n * 10 + i64::from(b - b'0'));
        let cents = digits(whole) * 100 + digits(frac) * if frac.len() == 1 { 10 } else { 1 };
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

    /// Every case a person (or someone probing) might type, with what it
    /// must give. A comma is only ever a thousands separator.
    #[test]
    fn typed_amounts_follow_one_table() {
        use MoneyError::*;
        let table: &[(&str, Result<i64, MoneyError>)] = &[
            ("0", Ok(0)),
            ("12", Ok(1200)),
            (" 12", Ok(1200)),
            ("12 ", Ok(1200)),
            ("\t12\n", Ok(1200)),
            ("$12", Ok(1200)),
            ("$ 12", Ok(1200)),
            ("12.", Ok(1200)),
            ("12.5", Ok(1250)),
            ("12.50", Ok(1250)),
            (".5", Ok(50)),
            ("0.05", Ok(5)),
            ("007", Ok(700)),
            ("1,250.00", Ok(125_000)),
            ("1,250", Ok(125_000)),
            ("12,345,678.9", Ok(1_234_567_890)),
            ("999,999", Ok(99_999_900)),
            ("$9,999,999,999.99", Ok(Money::MAX.cents())),
            ("9999999999.99", Ok(Money::MAX.cents())),
            // A comma anywhere but between groups of three.
            ("12,50", Err(BadGrouping)),
            ("1,2,3", Err(BadGrouping)),
            (",5", Err(BadGrouping)),
            (",500", Err(BadGrouping)),
            ("1,,000", Err(BadGrouping)),
            ("1,000,", Err(BadGrouping)),
            ("1,0000", Err(BadGrouping)),
            ("1234,567", Err(BadGrouping)),
            ("0,500", Err(BadGrouping)),
            ("1.234,50", Err(BadGrouping)),
            ("12.5,0", Err(BadGrouping)),
            (",", Err(BadGrouping)),
            ("1,a00", Err(BadGrouping)),
            // Signs.
            ("-0", Err(Negative)),
            ("-12.50", Err(Negative)),
            ("$-5", Err(Negative)),
            ("+5", Err(Invalid)),
            // Not plain ASCII decimal digits.
            ("１２", Err(Invalid)),
            ("١٢", Err(Invalid)),
            ("12\u{a0}", Err(Invalid)),
            ("1 000", Err(Invalid)),
            ("1e3", Err(Invalid)),
            ("0x10", Err(Invalid)),
            ("1.2.3", Err(Invalid)),
            ("inf", Err(Invalid)),
            ("$", Err(Invalid)),
            ("   ", Err(Invalid)),
            ("12$", Err(Invalid)),
            // Precision and range.
            ("0.001", Err(TooManyDecimals)),
            ("1,000.505", Err(TooManyDecimals)),
            ("10,000,000,000", Err(TooLarge)),
            ("99999999999999999999999999999999", Err(TooLarge)),
            ("000000000000000000000001.00", Ok(100)),
        ];
        for (text, expected) in table {
            assert_eq!(Money::parse_amount(text).map(Money::cents), *expected, "parsing {text:?}");
        }
    }

    #[test]
    fn a_misplaced_comma_says_how_to_write_the_amount() {
        let e = crate::DomainError::from(Money::parse_amount("12,50").unwrap_err());
        assert_eq!(e.code(), "invalid_amount");
        assert!(e.to_string().contains("1,250.00"), "{e}");
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
        fn a_comma_between_other_than_three_digits_is_never_taken(
            head in 1u32..1000, tail in "[0-9]{1,2}|[0-9]{4,6}"
        ) {
            let text = format!("{head},{tail}");
            prop_assert_eq!(Money::parse_amount(&text), Err(MoneyError::BadGrouping));
        }

        #[test]
        fn addition_is_exact_or_refused(a in any::<i64>(), b in any::<i64>()) {
            let sum = Money::from_cents(a).checked_add(Money::from_cents(b));
            prop_assert_eq!(sum.map(Money::cents), a.checked_add(b));
        }
    }
}
