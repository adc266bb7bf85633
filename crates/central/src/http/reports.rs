//! `/v1/reports/*`: headquarters' reports over a range of local dates, as
//! JSON or, with `format=csv`, as a spreadsheet file (`reports.view`).

use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiQuery, HqCan, ViewReports};
use crate::reports::csv::{self, CsvRow};
use crate::reports::{
    self, CashierRow, DayRow, DifferenceRow, HourRow, MethodRow, RegisterRow, Report, RotationRow, Scope,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sales_by_day))
        .routes(routes!(sales_by_hour))
        .routes(routes!(sales_by_cashier))
        .routes(routes!(sales_by_payment_method))
        .routes(routes!(sales_by_register))
        .routes(routes!(cash_differences))
        .routes(routes!(register_rotation))
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Format {
    #[default]
    Json,
    Csv,
}

/// The range and branch of a report, and how to answer it.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    /// First local date (`YYYY-MM-DD`, America/Mexico_City).
    #[param(value_type = String, format = Date)]
    from: NaiveDate,
    /// Last local date, included; at most 366 days after `from`.
    #[param(value_type = String, format = Date)]
    to: NaiveDate,
    /// Only this branch.
    branch: Option<Uuid>,
    /// `json` (the default) or `csv`.
    #[param(value_type = Option<String>)]
    format: Option<Format>,
}

impl ReportQuery {
    fn scope(&self) -> ApiResult<Scope> {
        Ok(Scope::new(self.from, self.to, self.branch)?)
    }
}

/// The report as JSON, or its rows as a CSV file named after it.
fn respond<T: Serialize + CsvRow>(q: &ReportQuery, name: &str, report: Report<T>) -> Response {
    match q.format.unwrap_or_default() {
        Format::Json => Json(report).into_response(),
        Format::Csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}_{}_{}.csv\"", report.scope.from, report.scope.to),
                ),
            ],
            csv::write(&report.rows),
        )
            .into_response(),
    }
}

/// Sales per local day, every day of the range listed (`reports.view`).
#[utoipa::path(get, path = "/v1/reports/sales-by-day", tag = "reports", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, content((Report<DayRow> = "application/json"), (String = "text/csv"))),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or `reports.view` is missing (`forbidden`)", body = ErrorBody),
        (status = 422, description = "`from` after `to` (`report_range_inverted`) or more than 366 days (`report_range_too_long`)", body = ErrorBody)))]
async fn sales_by_day(
    HqCan(caller, _): HqCan<ViewReports>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    Ok(respond(&q, "ventas-por-dia", reports::sales_by_day(&caller.db, &q.scope()?).await?))
}

/// Sales per local hour of the day, 0 to 23 (`reports.view`).
#[utoipa::path(get, path = "/v1/reports/sales-by-hour", tag = "reports", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, content((Report<HourRow> = "application/json"), (String = "text/csv"))),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or `reports.view` is missing (`forbidden`)", body = ErrorBody),
        (status = 422, description = "`from` after `to` (`report_range_inverted`) or more than 366 days (`report_range_too_long`)", body = ErrorBody)))]
async fn sales_by_hour(
    HqCan(caller, _): HqCan<ViewReports>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    Ok(respond(&q, "ventas-por-hora", reports::sales_by_hour(&caller.db, &q.scope()?).await?))
}

/// Sales per cashier (`reports.view`).
#[utoipa::path(get, path = "/v1/reports/sales-by-cashier", tag = "reports", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, content((Report<CashierRow> = "application/json"), (String = "text/csv"))),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or `reports.view` is missing (`forbidden`)", body = ErrorBody),
        (status = 422, description = "`from` after `to` (`report_range_inverted`) or more than 366 days (`report_range_too_long`)", body = ErrorBody)))]
async fn sales_by_cashier(
    HqCan(caller, _): HqCan<ViewReports>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    Ok(respond(&q, "ventas-por-cajero", reports::sales_by_cashier(&caller.db, &q.scope()?).await?))
}

/// What was paid with each method; a split sale counts in each (`reports.view`).
#[utoipa::path(get, path = "/v1/reports/sales-by-payment-method", tag = "reports", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, content((Report<MethodRow> = "application/json"), (String = "text/csv"))),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or `reports.view` is missing (`forbidden`)", body = ErrorBody),
        (status = 422, description = "`from` after `to` (`report_range_inverted`) or more than 366 days (`report_range_too_long`)", body = ErrorBody)))]
async fn sales_by_payment_method(
    HqCan(caller, _): HqCan<ViewReports>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    Ok(respond(
        &q,
        "ventas-por-forma-de-pago",
        reports::sales_by_payment_method(&caller.db, &q.scope()?).await?,
    ))
}

/// Sales per register (`reports.view`).
#[utoipa::path(get, path = "/v1/reports/sales-by-register", tag = "reports", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, content((Report<RegisterRow> = "application/json"), (String = "text/csv"))),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or `reports.view` is missing (`forbidden`)", body = ErrorBody),
        (status = 422, description = "`from` after `to` (`report_range_inverted`) or more than 366 days (`report_range_too_long`)", body = ErrorBody)))]
async fn sales_by_register(
    HqCan(caller, _): HqCan<ViewReports>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    Ok(respond(&q, "ventas-por-caja", reports::sales_by_register(&caller.db, &q.scope()?).await?))
}

/// Cash differences of closed sessions per day of closing and cashier (`reports.view`).
#[utoipa::path(get, path = "/v1/reports/cash-differences", tag = "reports", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, content((Report<DifferenceRow> = "application/json"), (String = "text/csv"))),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or `reports.view` is missing (`forbidden`)", body = ErrorBody),
        (status = 422, description = "`from` after `to` (`report_range_inverted`) or more than 366 days (`report_range_too_long`)", body = ErrorBody)))]
async fn cash_differences(
    HqCan(caller, _): HqCan<ViewReports>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    Ok(respond(&q, "diferencias-de-caja", reports::cash_differences(&caller.db, &q.scope()?).await?))
}

/// Who used which register: sessions and time open per cashier and register (`reports.view`).
#[utoipa::path(get, path = "/v1/reports/register-rotation", tag = "reports", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, content((Report<RotationRow> = "application/json"), (String = "text/csv"))),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or `reports.view` is missing (`forbidden`)", body = ErrorBody),
        (status = 422, description = "`from` after `to` (`report_range_inverted`) or more than 366 days (`report_range_too_long`)", body = ErrorBody)))]
async fn register_rotation(
    HqCan(caller, _): HqCan<ViewReports>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    Ok(respond(&q, "rotacion-de-cajas", reports::register_rotation(&caller.db, &q.scope()?).await?))
}
