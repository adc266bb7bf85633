//! Reports as CSV for a spreadsheet: RFC 4180 quoting, money as `123.45`,
//! and text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`,
//! a tab or a carriage return first) prefixed with `'` so it stays text.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use nexus_domain::Money;
use uuid::Uuid;

use super::{CashierRow, DayRow, DifferenceRow, HourRow, MethodRow, RegisterRow, RotationRow};

/// One cell, by what it holds: only text is guarded against formulas, so
/// a negative amount stays a number.
pub enum Cell {
    Text(String),
    Int(i64),
    Money(Money),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    Id(Uuid),
}

/// A row of a report as CSV cells, under its header.
pub trait CsvRow {
    const HEADER: &'static [&'static str];
    fn cells(&self) -> Vec<Cell>;
}

/// The rows under their header, lines ending in CRLF.
pub fn write<T: CsvRow>(rows: &[T]) -> String {
    let mut out = String::new();
    line(&mut out, T::HEADER.iter().map(|h| Cell::Text((*h).to_owned())));
    for row in rows {
        line(&mut out, row.cells());
    }
    out
}

fn line(out: &mut String, cells: impl IntoIterator<Item = Cell>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match cell {
            Cell::Text(text) => push_text(out, &text),
            Cell::Int(n) => out.push_str(&n.to_string()),
            Cell::Money(m) => out.push_str(&m.to_decimal_string()),
            Cell::Date(d) => out.push_str(&d.format("%Y-%m-%d").to_string()),
            Cell::Time(t) => out.push_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            Cell::Id(id) => out.push_str(&id.to_string()),
        }
    }
    out.push_str("\r\n");
}

fn push_text(out: &mut String, text: &str) {
    let guarded =
        if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() };
    if guarded.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&guarded.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&guarded);
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

impl CsvRow for DayRow {
    const HEADER: &'static [&'static str] = &["fecha", "ventas", "total", "canceladas", "total_cancelado"];
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Date(self.day),
            Cell::Int(self.sales),
            Cell::Money(self.total_cents),
            Cell::Int(self.cancelled),
            Cell::Money(self.cancelled_total_cents),
        ]
    }
}

impl CsvRow for HourRow {
    const HEADER: &'static [&'static str] = &["hora", "ventas", "total"];
    fn cells(&self) -> Vec<Cell> {
        vec![Cell::Int(i64::from(self.hour)), Cell::Int(self.sales), Cell::Money(self.total_cents)]
    }
}

impl CsvRow for CashierRow {
    const HEADER: &'static [&'static str] =
        &["cajero_id", "cajero", "ventas", "total", "canceladas", "total_cancelado"];
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Id(self.cashier_id),
            text(&self.cashier_name),
            Cell::Int(self.sales),
            Cell::Money(self.total_cents),
            Cell::Int(self.cancelled),
            Cell::Money(self.cancelled_total_cents),
        ]
    }
}

impl CsvRow for MethodRow {
    const HEADER: &'static [&'static str] = &["forma_de_pago", "pagos", "importe"];
    fn cells(&self) -> Vec<Cell> {
        vec![text(&self.method), Cell::Int(self.payments), Cell::Money(self.amount_cents)]
    }
}

impl CsvRow for RegisterRow {
    const HEADER: &'static [&'static str] =
        &["caja_id", "caja", "numero", "sucursal_id", "sucursal", "ventas", "total"];
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Id(self.register_id),
            text(&self.register_name),
            Cell::Int(i64::from(self.register_number)),
            Cell::Id(self.branch_id),
            text(&self.branch_name),
            Cell::Int(self.sales),
            Cell::Money(self.total_cents),
        ]
    }
}

impl CsvRow for DifferenceRow {
    const HEADER: &'static [&'static str] =
        &["fecha", "cajero_id", "cajero", "sesiones", "diferencia", "faltantes", "sobrantes"];
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Date(self.day),
            Cell::Id(self.cashier_id),
            text(&self.cashier_name),
            Cell::Int(self.sessions),
            Cell::Money(self.difference_cents),
            Cell::Money(self.shortage_cents),
            Cell::Money(self.overage_cents),
        ]
    }
}

impl CsvRow for RotationRow {
    const HEADER: &'static [&'static str] = &[
        "cajero_id",
        "cajero",
        "caja_id",
        "caja",
        "sucursal_id",
        "sucursal",
        "sesiones",
        "abiertas",
        "segundos_abierta",
        "primera_apertura",
        "ultima_apertura",
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Id(self.cashier_id),
            text(&self.cashier_name),
            Cell::Id(self.register_id),
            text(&self.register_name),
            Cell::Id(self.branch_id),
            text(&self.branch_name),
            Cell::Int(self.sessions),
            Cell::Int(self.open_sessions),
            Cell::Int(self.seconds_open),
            Cell::Time(self.first_opened_at),
            Cell::Time(self.last_opened_at),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_a_spreadsheet_would_run_is_kept_as_quoted_text() {
        let mut out = String::new();
        push_text(&mut out, "=cmd|\"x\",y");
        assert_eq!(out, "\"'=cmd|\"\"x\"\",y\"");
        let mut out = String::new();
        push_text(&mut out, "Ana López");
        assert_eq!(out, "Ana López");
        let mut out = String::new();
        line(&mut out, [Cell::Money(Money::from_cents(-1250)), Cell::Text("-1".into())]);
        assert_eq!(out, "-12.50,'-1\r\n");
    }
}
