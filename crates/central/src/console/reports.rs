//! `/console/reports`: headquarters' reports over a range of local dates and
//! a branch — each as a table, with a bar chart where people would rather
//! look than read, and as a CSV file — from `reports::*` (the JSON API's
//! functions, `reports.view`).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Datelike, NaiveDate};
use nexus_domain::{Money, Permission};
use serde::Deserialize;
use uuid::Uuid;

use super::devices::BranchOption;
use super::{Console, Nav, PageError, Tab, page};
use crate::http::AppState;
use crate::reports::csv::{self, Cell, CsvRow};
use crate::reports::{self, Scope};
use crate::{Error, branches};

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/reports", get(show)).route("/console/reports/csv", get(download))
}

/// The reports there are, as the form lists them.
const REPORTS: [(&str, &str); 7] = [
    ("sales-by-day", "Ventas por día"),
    ("sales-by-hour", "Ventas por hora del día"),
    ("sales-by-cashier", "Ventas por cajero"),
    ("sales-by-payment-method", "Ventas por forma de pago"),
    ("sales-by-register", "Ventas por caja"),
    ("cash-differences", "Diferencias de efectivo por cajero"),
    ("register-rotation", "Rotación de cajas (quién usó cada caja)"),
];

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    pub report: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub branch: String,
}

pub struct ReportOption {
    pub code: &'static str,
    pub label: &'static str,
}

pub struct Bar {
    pub label: String,
    pub value: String,
    /// Share of the longest bar, 0 to 100.
    pub width: i64,
    pub y: i64,
    pub negative: bool,
}

pub struct Table {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<(String, bool)>>,
    pub bars: Vec<Bar>,
}

#[derive(Template)]
#[template(path = "console/reports.html")]
struct ReportsPage {
    nav: Nav,
    form: ReportForm,
    title: &'static str,
    reports: Vec<ReportOption>,
    branches: Vec<BranchOption>,
    table: Option<Table>,
    csv_link: String,
    chart_height: i64,
    error: Option<String>,
}

/// `$1,234.50`, `-$12.00`.
pub fn pesos(m: Money) -> String {
    let cents = m.cents();
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}.{:02}", abs % 100)
}

fn shown(cell: &Cell) -> Option<(String, bool)> {
    match cell {
        Cell::Id(_) => None,
        Cell::Text(t) => Some((t.clone(), false)),
        Cell::Int(n) => Some((n.to_string(), true)),
        Cell::Money(m) => Some((pesos(*m), true)),
        Cell::Date(d) => Some((d.format("%Y-%m-%d").to_string(), false)),
        Cell::Time(t) => Some((super::devices::when(*t), false)),
    }
}

/// A table of a report's rows, its columns as the CSV names them (ids left
/// out), and bars of `bar(row)` when it has one.
fn table<T: CsvRow>(rows: &[T], bar: impl Fn(&T) -> Option<(String, i64, String)>) -> Table {
    let header_cells: Vec<bool> = rows
        .first()
        .map(|r| r.cells().iter().map(|c| !matches!(c, Cell::Id(_))).collect())
        .unwrap_or_else(|| T::HEADER.iter().map(|h| !h.ends_with("_id")).collect());
    let headers = T::HEADER.iter().zip(&header_cells).filter(|(_, keep)| **keep).map(|(h, _)| *h).collect();
    let body = rows.iter().map(|r| r.cells().iter().filter_map(shown).collect()).collect();
    let values: Vec<(String, i64, String)> = rows.iter().filter_map(&bar).collect();
    let longest = values.iter().map(|(_, v, _)| v.abs()).max().unwrap_or(0).max(1);
    let bars = values
        .into_iter()
        .enumerate()
        .map(|(i, (label, v, value))| Bar {
            label,
            value,
            width: (v.abs() * 100 / longest).max(i64::from(v != 0)),
            y: i as i64 * 22,
            negative: v < 0,
        })
        .collect();
    Table { headers, rows: body, bars }
}

fn default_range(form: &mut ReportForm, today: NaiveDate) {
    if form.to.trim().is_empty() {
        form.to = today.to_string();
    }
    if form.from.trim().is_empty() {
        form.from = today.with_day(1).unwrap_or(today).to_string();
    }
    if !REPORTS.iter().any(|(code, _)| *code == form.report) {
        form.report = REPORTS[0].0.to_owned();
    }
}

fn scope(form: &ReportForm) -> Result<Scope, Error> {
    let date = |field: &'static str, text: &str| {
        text.trim().parse::<NaiveDate>().map_err(|_| -> Error {
            nexus_domain::DomainError::Invalid { field, reason: "no es una fecha AAAA-MM-DD" }.into()
        })
    };
    let branch = Some(form.branch.trim())
        .filter(|b| !b.is_empty())
        .map(|b| {
            b.parse::<Uuid>().map_err(|_| -> Error {
                nexus_domain::DomainError::Invalid { field: "branch", reason: "la sucursal no existe" }.into()
            })
        })
        .transpose()?;
    Scope::new(date("from", &form.from)?, date("to", &form.to)?, branch)
}

/// Runs the report the form names: its table, and its CSV text.
async fn run(db: &sqlx::PgPool, form: &ReportForm) -> Result<(Table, String), Error> {
    let s = scope(form)?;
    let money = |m: Money| pesos(m);
    Ok(match form.report.as_str() {
        "sales-by-hour" => {
            let r = reports::sales_by_hour(db, &s).await?;
            let t = table(&r.rows, |x| {
                Some((format!("{:02}:00", x.hour), x.total_cents.cents(), money(x.total_cents)))
            });
            (t, csv::write(&r.rows))
        }
        "sales-by-cashier" => {
            let r = reports::sales_by_cashier(db, &s).await?;
            let t = table(&r.rows, |x| {
                Some((x.cashier_name.clone(), x.total_cents.cents(), money(x.total_cents)))
            });
            (t, csv::write(&r.rows))
        }
        "sales-by-payment-method" => {
            let r = reports::sales_by_payment_method(db, &s).await?;
            let t =
                table(&r.rows, |x| Some((x.method.clone(), x.amount_cents.cents(), money(x.amount_cents))));
            (t, csv::write(&r.rows))
        }
        "sales-by-register" => {
            let r = reports::sales_by_register(db, &s).await?;
            let t = table(&r.rows, |x| {
                Some((
                    format!("{} · {}", x.branch_name, x.register_name),
                    x.total_cents.cents(),
                    money(x.total_cents),
                ))
            });
            (t, csv::write(&r.rows))
        }
        "cash-differences" => {
            let r = reports::cash_differences(db, &s).await?;
            let t = table(&r.rows, |x| {
                Some((
                    format!("{} · {}", x.day, x.cashier_name),
                    x.difference_cents.cents(),
                    money(x.difference_cents),
                ))
            });
            (t, csv::write(&r.rows))
        }
        "register-rotation" => {
            let r = reports::register_rotation(db, &s).await?;
            let t = table(&r.rows, |x| {
                let hours = x.seconds_open as f64 / 3600.0;
                Some((
                    format!("{} → {}", x.cashier_name, x.register_name),
                    x.seconds_open,
                    format!("{hours:.1} h"),
                ))
            });
            (t, csv::write(&r.rows))
        }
        _ => {
            let r = reports::sales_by_day(db, &s).await?;
            let t =
                table(&r.rows, |x| Some((x.day.to_string(), x.total_cents.cents(), money(x.total_cents))));
            (t, csv::write(&r.rows))
        }
    })
}

/// Today in the reports' time zone, by central's clock.
pub async fn local_today(central: &crate::Central, db: &sqlx::PgPool) -> Result<NaiveDate, PageError> {
    let today: NaiveDate = sqlx::query_scalar("SELECT ($1::timestamptz AT TIME ZONE $2)::date")
        .bind(central.clock.now())
        .bind(reports::TIME_ZONE)
        .fetch_one(db)
        .await
        .map_err(Error::from)?;
    Ok(today)
}

async fn show(
    State(central): State<AppState>,
    console: Console,
    Query(mut form): Query<ReportForm>,
) -> Result<Response, PageError> {
    console.require(&[Permission::ReportsView])?;
    let c = &console.caller;
    default_range(&mut form, local_today(&central, &c.db).await?);
    let (table, error) = match run(&c.db, &form).await {
        Ok((table, _)) => (Some(table), None),
        Err(e @ Error::Rule(_)) => (None, Some(PageError::from(e).message().to_owned())),
        Err(e) => return Err(e.into()),
    };
    let branches = branches::list(&c.db)
        .await?
        .into_iter()
        .map(|b| BranchOption { id: b.id.0.to_string(), name: b.name })
        .collect();
    let csv_link = format!(
        "/console/reports/csv?{}",
        serde_urlencoded::to_string([
            ("report", form.report.as_str()),
            ("from", form.from.as_str()),
            ("to", form.to.as_str()),
            ("branch", form.branch.as_str()),
        ])
        .unwrap_or_default()
    );
    let title = REPORTS.iter().find(|(code, _)| *code == form.report).map_or("", |(_, l)| l);
    let chart_height = table.as_ref().map_or(0, |t| t.bars.len() as i64 * 22);
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let mut response = page(&ReportsPage {
        nav: console.nav(Tab::Reports),
        form,
        title,
        reports: REPORTS.iter().map(|(code, label)| ReportOption { code, label }).collect(),
        branches,
        table,
        csv_link,
        chart_height,
        error,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

async fn download(
    State(central): State<AppState>,
    console: Console,
    Query(mut form): Query<ReportForm>,
) -> Result<Response, PageError> {
    console.require(&[Permission::ReportsView])?;
    default_range(&mut form, local_today(&central, &console.caller.db).await?);
    let (_, text) = run(&console.caller.db, &form).await?;
    let name: String = format!("{}_{}_{}", form.report, form.from, form.to)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_".contains(*c))
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        text,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pesos_are_written_as_people_read_them() {
        assert_eq!(pesos(Money::from_cents(0)), "$0.00");
        assert_eq!(pesos(Money::from_cents(123_456_789)), "$1,234,567.89");
        assert_eq!(pesos(Money::from_cents(-1_250)), "-$12.50");
        assert_eq!(pesos(Money::from_cents(100_000)), "$1,000.00");
    }
}
