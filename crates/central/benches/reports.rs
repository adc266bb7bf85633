//! Headquarters' reports over a large tenant: each report's server time
//! through its real HTTP route, against the bare SQL aggregate of the
//! figures it shows, measured in the same run (these machines are shared
//! and noisy); and, once each, the scan of `sales` the summary tables spare.
//!
//! `cargo bench -p nexus-central --bench reports` with PostgreSQL reachable
//! at `NEXUS_PG_URL` (default `postgres://postgres@127.0.0.1:5432`). Knobs:
//! `NEXUS_BENCH_SALES` (default 1,000,000), `NEXUS_BENCH_BRANCHES` (50),
//! `NEXUS_BENCH_REGISTERS` (200), `NEXUS_BENCH_DAYS` (90, the range every
//! report covers), `NEXUS_BENCH_SAMPLES` (median of, default 15).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nexus_central::provision::{self, NewTenant};
use nexus_central::{Central, Settings, http};
use secrecy::SecretString;
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};
use uuid::Uuid;

const PASSWORD: &str = "contraseña-de-prueba-2026";

fn pg_url() -> String {
    std::env::var("NEXUS_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn admin() -> PgConnection {
    PgConnection::connect(&format!("{}/postgres", pg_url())).await.expect("PostgreSQL answers")
}

async fn sql(conn: &mut PgConnection, text: String) {
    sqlx::raw_sql(AssertSqlSafe(text)).execute(conn).await.unwrap();
}

async fn timed<F: Future>(f: F) -> (Duration, F::Output) {
    let start = Instant::now();
    let out = f.await;
    (start.elapsed(), out)
}

#[tokio::main]
async fn main() {
    let prefix = format!("nxb_{}", &Uuid::new_v4().simple().to_string()[..10]);
    let mut conn = admin().await;
    sql(&mut conn, format!("CREATE DATABASE \"{prefix}_master\"")).await;
    let outcome = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(run(&prefix))).await;
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE $1 || '%'")
            .bind(&prefix)
            .fetch_all(&mut conn)
            .await
            .unwrap();
    for name in names {
        sql(&mut conn, format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

struct Size {
    sales: usize,
    branches: usize,
    registers: usize,
    days: usize,
}

async fn run(prefix: &str) {
    let size = Size {
        sales: knob("NEXUS_BENCH_SALES", 1_000_000),
        branches: knob("NEXUS_BENCH_BRANCHES", 50),
        registers: knob("NEXUS_BENCH_REGISTERS", 200),
        days: knob("NEXUS_BENCH_DAYS", 90),
    };
    let samples = knob("NEXUS_BENCH_SAMPLES", 15);
    let settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        master_database_url: format!("{}/{prefix}_master", pg_url()),
        template_database: format!("{prefix}_tpl"),
        tenant_database_prefix: format!("{prefix}_t_"),
        jwt_secret: SecretString::from(format!("bench-{}", Uuid::new_v4().simple())),
        pin_key_secret: SecretString::from(format!("bench-{}", Uuid::new_v4().simple())),
        bcrypt_cost: 10,
        ..Settings::default()
    };
    let central: Arc<Central> = Central::new(settings).unwrap();
    central.migrate_master().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(http::serve(central.clone(), listener, std::future::pending()));

    let email = format!("dueno-{}@bench.example.mx", Uuid::new_v4().simple());
    let t = provision::provision(
        &central,
        &NewTenant {
            name: "Reportes".into(),
            rfc: None,
            plan: None,
            owner_name: "Dueño".into(),
            owner_email: email.clone(),
            owner_password: Some(SecretString::from(PASSWORD)),
        },
    )
    .await
    .unwrap();
    let (_, db) = central.tenant(t.tenant_id.0).await.unwrap();
    let (filled, _) = timed(fill(&db, &size)).await;
    eprintln!("filled in {:.1} s", filled.as_secs_f64());
    sqlx::raw_sql("VACUUM ANALYZE").execute(&db).await.unwrap();

    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("http://{addr}/v1/hq/login"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let (from, to): (chrono::NaiveDate, chrono::NaiveDate) = sqlx::query_as(
        "SELECT (min(hour) AT TIME ZONE 'America/Mexico_City')::date,
                (max(hour) AT TIME ZONE 'America/Mexico_City')::date FROM report_sales_hourly",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let branch: Uuid = sqlx::query_scalar("SELECT branch_id FROM cash_registers ORDER BY branch_id LIMIT 1")
        .fetch_one(&db)
        .await
        .unwrap();

    println!(
        "{} sales, {} branches, {} registers, {} days ({from} to {to}), median of {samples}:\n",
        size.sales, size.branches, size.registers, size.days
    );
    println!("| report | over HTTP | bare SQL aggregate | ratio | scan of `sales` (once) | target |");
    println!("|---|---|---|---|---|---|");
    for (name, bare, scan) in REPORTS {
        for branch in [None, Some(branch)] {
            let mut query = format!("from={from}&to={to}");
            if let Some(b) = branch {
                query.push_str(&format!("&branch={b}"));
            }
            let url = format!("http://{addr}/v1/reports/{name}?{query}");
            let get = || async {
                let res = client.get(&url).bearer_auth(&token).send().await.unwrap();
                assert!(res.status().is_success(), "{url}: {}", res.status());
                res.bytes().await.unwrap()
            };
            let aggregate = |text: &'static str| {
                let db = db.clone();
                async move {
                    sqlx::query(AssertSqlSafe(text))
                        .bind(from)
                        .bind(to)
                        .bind(branch)
                        .fetch_all(&db)
                        .await
                        .unwrap()
                        .len()
                }
            };
            // Warm the pools and the caches on both sides.
            get().await;
            aggregate(bare).await;
            let mut served = Vec::with_capacity(samples);
            let mut bares = Vec::with_capacity(samples);
            for _ in 0..samples {
                served.push(timed(get()).await.0);
                bares.push(timed(aggregate(bare)).await.0);
            }
            let (scanned, _) = timed(aggregate(scan)).await;
            let (s, b) = (median(served), median(bares));
            println!(
                "| {name}{} | {} | {} | {:.2} | {} | ≤ 1.5, < 300 ms |",
                if branch.is_some() { ", one branch" } else { "" },
                ms(s),
                ms(b),
                s.as_secs_f64() / b.as_secs_f64(),
                ms(scanned)
            );
        }
    }
}

/// Each report, the bare aggregate of what it shows (over the summary
/// tables or `cash_sessions`, as the report reads them, without names or
/// formatting), and the same figures from a scan of `sales`. `$1`, `$2`
/// are the local dates, `$3` the branch or NULL.
const REPORTS: [(&str, &str, &str); 7] = [
    (
        "sales-by-day",
        "SELECT (hour AT TIME ZONE 'America/Mexico_City')::date, sum(sales), sum(total), sum(cancelled), sum(cancelled_total)
         FROM report_sales_hourly
         WHERE hour >= ($1::date::timestamp AT TIME ZONE 'America/Mexico_City')
           AND hour < (($2::date + 1)::timestamp AT TIME ZONE 'America/Mexico_City')
           AND ($3::uuid IS NULL OR branch_id = $3) GROUP BY 1",
        "SELECT (created_at AT TIME ZONE 'America/Mexico_City')::date, count(*) FILTER (WHERE status = 'completed'),
                sum(total) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status <> 'completed')
         FROM sales
         WHERE created_at >= ($1::date::timestamp AT TIME ZONE 'America/Mexico_City')
           AND created_at < (($2::date + 1)::timestamp AT TIME ZONE 'America/Mexico_City')
           AND ($3::uuid IS NULL OR branch_id = $3) GROUP BY 1",
    ),
    (
        "sales-by-hour",
        "SELECT extract(hour FROM hour AT TIME ZONE 'America/Mexico_City'), sum(sales), sum(total)
         FROM report_sales_hourly
         WHERE hour >= ($1::date::timestamp AT TIME ZONE 'America/Mexico_City')
           AND hour < (($2::date + 1)::timestamp AT TIME ZONE 'America/Mexico_City')
           AND ($3::uuid IS NULL OR branch_id = $3) GROUP BY 1",
        "SELECT extract(hour FROM created_at AT TIME ZONE 'America/Mexico_City'), count(*), sum(total)
         FROM sales
         WHERE status = 'completed' AND created_at >= ($1::date::timestamp AT TIME ZONE 'America/Mexico_City')
           AND created_at < (($2::date + 1)::timestamp AT TIME ZONE 'America/Mexico_City')
           AND ($3::uuid IS NULL OR branch_id = $3) GROUP BY 1",
    ),
    (
        "sales-by-cashier",
        "SELECT employee_id, sum(sales), sum(total), sum(cancelled), sum(cancelled_total)
         FROM report_sales_hourly
         WHERE hour >= ($1::date::timestamp AT TIME ZONE 'America/Mexico_City')
           AND hour < (($2::date + 1)::timestamp AT TIME ZONE 'America/Mexico_City')
           AND ($3::uuid IS NULL OR branch_id = $3) GROUP BY 1",
        "SELECT employee_id, count(*), sum(total)
         FROM sales
         WHERE status = 'completed' AND created_at >= ($1::date::timestamp AT TIME ZONE 'America/Mexico_City')
           AND created_at < (($2::date + 1)::timestamp AT TIME ZONE 'America/Mexico_City')
           AND ($3::uuid IS NULL OR branch_id = $3) GROUP BY 1",
    ),
    (
        "sales-by-payment-method",
        "SELECT method, sum(payments), sum(amount)
         FROM report_payments_hourly
         WHERE hour >= ($1::date::timestamp AT TIME ZONE 'America/Mexico_City')
           AND hour < (($2::date + 1)::timestamp AT TIME ZONE 'America/Mexico_City')
           AND ($3::uuid IS NULL OR branch_id = $3) GROUP BY 1",
        "SELECT p.method, count(*), sum(p.amount)
         FROM sale_payments p JOIN sales s ON s.id = p.sale_id
         WHERE s.status = 'completed' AND s.created_at >= ($1::date::timestamp AT TIME ZONE 'America/Mexico_City')
           AND s.created_at < (($2::date + 1)::timestamp AT TIME ZONE 'America/Mexico_City')
           AND ($3::uuid IS NULL OR s.branch_id = $3) GROUP BY 1",
    ),
    (
        "sales-by-register",
        "SELECT register_id, branch_id, sum(sales), sum(total)
         FROM report_sales_hourly
         WHERE hour >= ($1::date::timestamp AT TIME ZONE 'America/Mexico_City')
           AND hour < (($2::date + 1)::timestamp AT TIME ZONE 'America/Mexico_City')
           AND ($3::uuid IS NULL OR branch_id = $3) GROUP BY 1, 2",
        "SELECT register_id, branch_id, count(*), sum(total)
         FROM sales
         WHERE status = 'completed' AND created_at >= ($1::date::timestamp AT TIME ZONE 'America/Mexico_City')
           AND created_at < (($2::date + 1)::timestamp AT TIME ZONE 'America/Mexico_City')
           AND ($3::uuid IS NULL OR branch_id = $3) GROUP BY 1, 2",
    ),
    (
        "cash-differences",
        "SELECT (s.closed_at AT TIME ZONE 'America/Mexico_City')::date, s.opened_by, count(*), sum(s.difference)
         FROM cash_sessions s JOIN cash_registers c ON c.id = s.cash_register_id
         WHERE s.status = 'CLOSED' AND s.closed_at >= ($1::date::timestamp AT TIME ZONE 'America/Mexico_City')
           AND s.closed_at < (($2::date + 1)::timestamp AT TIME ZONE 'America/Mexico_City')
           AND ($3::uuid IS NULL OR c.branch_id = $3) GROUP BY 1, 2",
        "SELECT (s.closed_at AT TIME ZONE 'America/Mexico_City')::date, s.opened_by, count(*), sum(s.difference)
         FROM cash_sessions s JOIN cash_registers c ON c.id = s.cash_register_id
         WHERE s.status = 'CLOSED' AND s.closed_at >= ($1::date::timestamp AT TIME ZONE 'America/Mexico_City')
           AND s.closed_at < (($2::date + 1)::timestamp AT TIME ZONE 'America/Mexico_City')
           AND ($3::uuid IS NULL OR c.branch_id = $3) GROUP BY 1, 2",
    ),
    (
        "register-rotation",
        "SELECT s.opened_by, s.cash_register_id, count(*), sum(s.closed_at - s.opened_at)
         FROM cash_sessions s JOIN cash_registers c ON c.id = s.cash_register_id
         WHERE s.opened_at >= ($1::date::timestamp AT TIME ZONE 'America/Mexico_City')
           AND s.opened_at < (($2::date + 1)::timestamp AT TIME ZONE 'America/Mexico_City')
           AND ($3::uuid IS NULL OR c.branch_id = $3) GROUP BY 1, 2",
        "SELECT s.opened_by, s.cash_register_id, count(*), sum(s.closed_at - s.opened_at)
         FROM cash_sessions s JOIN cash_registers c ON c.id = s.cash_register_id
         WHERE s.opened_at >= ($1::date::timestamp AT TIME ZONE 'America/Mexico_City')
           AND s.opened_at < (($2::date + 1)::timestamp AT TIME ZONE 'America/Mexico_City')
           AND ($3::uuid IS NULL OR c.branch_id = $3) GROUP BY 1, 2",
    ),
];

/// Branches, registers (spread over them), two cashiers per register,
/// two shifts a day per register (08:00–14:00 and 14:00–20:00 local, the
/// cashiers taking turns), and the sales spread over the shifts, one in ten
/// paid half in cash and half by card. Rows are made by SQL (the work
/// tables are unlogged tables, seen by every connection of the pool, dropped
/// at the end); the summary
/// tables are filled by the ingest's own function, 100,000 sales at a time.
async fn fill(db: &PgPool, size: &Size) {
    let mut tx = db.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO branches (id, name) SELECT gen_random_uuid(), 'Sucursal ' || b FROM generate_series(1, $1) b",
    )
    .bind(size.branches as i32)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "CREATE UNLOGGED TABLE bench_registers AS
         SELECT r, gen_random_uuid() AS id, (SELECT id FROM branches ORDER BY name OFFSET (r % $2) LIMIT 1) AS branch_id,
                gen_random_uuid() AS cashier_a, gen_random_uuid() AS cashier_b
         FROM generate_series(0, $1 - 1) r",
    )
    .bind(size.registers as i32)
    .bind(size.branches as i32)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::raw_sql(
        "INSERT INTO employees (id, name, role, branch_id)
             SELECT cashier_a, 'Cajero ' || r || 'A', 'cashier', branch_id FROM bench_registers
             UNION ALL SELECT cashier_b, 'Cajero ' || r || 'B', 'cashier', branch_id FROM bench_registers;
         INSERT INTO cash_registers (id, branch_id, name, register_number)
             SELECT id, branch_id, 'Caja ' || r, r + 1 FROM bench_registers;",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "CREATE UNLOGGED TABLE bench_sessions AS
         SELECT row_number() OVER (ORDER BY d, s, r.r) - 1 AS n, gen_random_uuid() AS id, r.id AS register_id, r.branch_id,
                CASE WHEN (d + s) % 2 = 0 THEN r.cashier_a ELSE r.cashier_b END AS cashier,
                ((date '2026-01-01' + d)::timestamp + make_interval(hours => 8 + 6 * s)) AT TIME ZONE 'America/Mexico_City'
                    AS opened_at
         FROM bench_registers r, generate_series(0, $1 - 1) d, generate_series(0, 1) s",
    )
    .bind(size.days as i32)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::raw_sql(
        "INSERT INTO cash_sessions (id, cash_register_id, opened_by, opening_amount, counted_amount, expected_amount,
                                    difference, status, opened_at, closed_at, closed_by)
         SELECT id, register_id, cashier, 500, 1500 + (n % 7) - 3, 1500, (n % 7) - 3, 'CLOSED', opened_at,
                opened_at + interval '6 hours', cashier
         FROM bench_sessions;
         CREATE INDEX ON bench_sessions(n);",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let sessions = (size.registers * size.days * 2) as i64;
    let per_session = (size.sales as u64).div_ceil(sessions as u64) as i64;
    let chunk = 100_000i64;
    let mut start = 0i64;
    while start < size.sales as i64 {
        let end = (start + chunk).min(size.sales as i64);
        let mut tx = db.begin().await.unwrap();
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "INSERT INTO sales (id, branch_id, employee_id, register_id, cash_session_id, sale_type, payment_method,
                                subtotal, tax_total, total, amount_paid, status, created_at)
             SELECT gen_random_uuid(), s.branch_id, s.cashier, s.register_id, s.id, 'cash',
                    CASE WHEN g % 10 = 0 THEN 'mixto' WHEN g % 3 = 0 THEN 'tarjeta' ELSE 'efectivo' END,
                    100 + g % 900, 16 + g % 144, 116 + g % 1044, 116 + g % 1044, 'completed',
                    s.opened_at + ((g / $3) % $4) * (interval '6 hours' / $4)
             FROM generate_series($1, $2 - 1) g JOIN bench_sessions s ON s.n = g % $3
             RETURNING id",
        )
        .bind(start)
        .bind(end)
        .bind(sessions)
        .bind(per_session)
        .fetch_all(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO sale_payments (id, sale_id, method, amount, tendered)
             SELECT gen_random_uuid(), s.id, CASE WHEN s.payment_method = 'mixto' THEN 'efectivo' ELSE s.payment_method END,
                    CASE WHEN s.payment_method = 'mixto' THEN s.total - round(s.total / 2, 2) ELSE s.total END,
                    CASE WHEN s.payment_method = 'mixto' THEN s.total - round(s.total / 2, 2) ELSE s.total END
             FROM sales s WHERE s.id = ANY($1)
             UNION ALL
             SELECT gen_random_uuid(), s.id, 'tarjeta', round(s.total / 2, 2), round(s.total / 2, 2)
             FROM sales s WHERE s.id = ANY($1) AND s.payment_method = 'mixto'",
        )
        .bind(&ids)
        .execute(&mut *tx)
        .await
        .unwrap();
        nexus_central::reports::summary::record_sales(&mut tx, &ids).await.unwrap();
        tx.commit().await.unwrap();
        start = end;
    }
    sqlx::raw_sql("DROP TABLE bench_sessions, bench_registers").execute(db).await.unwrap();
}
