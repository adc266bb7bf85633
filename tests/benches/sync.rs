//! Sync after a day offline, against PostgreSQL's binary COPY of the very
//! same rows into the very same tables, measured in the same run.
//!
//! A terminal enrolled with central (in this process, on loopback HTTP)
//! works offline until it has `NEXUS_BENCH_OPS` ops waiting (default
//! 10,000: sales of one to three lines, a cash movement every 25 sales, one
//! session opened and closed). Then:
//!
//! 1. **Catch-up**: one sync round of the terminal (push every op in
//!    batches, settle them locally, pull), timed end to end.
//! 2. **Ingest**: the same ops applied by central's ingest alone, in the
//!    terminal's batch size, into a copy of the tenant database taken before
//!    the catch-up.
//! 3. **Baseline**: the rows the catch-up wrote (sessions, sales, items,
//!    payments, stock moves, cash movements, audit entries, op log) exported
//!    with `COPY … TO STDOUT (FORMAT binary)` and loaded with
//!    `COPY … FROM STDIN (FORMAT binary)` into another copy taken before the
//!    catch-up, in one transaction, with the same indexes and foreign keys.
//! 4. **Duplicate replay**: every op pushed again over HTTP; central must
//!    settle all of them as duplicates and write nothing.
//!
//! ```sh
//! scripts/with-keyring.sh cargo bench -p nexus-e2e --bench sync
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use nexus_central::devices::{self, DeviceCaller, NewEnrollmentCode};
use nexus_central::settings::ExposeSecret;
use nexus_central::sync::incoming::Arrived;
use nexus_central::sync::ingest;
use nexus_central::testing::{Scratch, Server, admin_connection, pg_url};
use nexus_domain::BranchId;
use nexus_domain::sync::{PushRequest, PushResponse};
use nexus_e2e::TempDir;
use nexus_e2e::proxy::Rng;
use nexus_terminal::cash_session::{CloseSession, OpenSession};
use nexus_terminal::movements::{MovementKind, NewMovement};
use nexus_terminal::sales::{NewSale, NewSaleLine, PaymentInput};
use nexus_terminal::sync::{PUSH_BATCH, Pacing, SyncClient, enroll};
use nexus_terminal::{Options, Terminal};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use uuid::Uuid;

const KEYRING: &str = "nexus-pos-bench-sync";

/// The tables a day of counter work lands in, parents first.
const TABLES: [&str; 8] = [
    "cash_sessions",
    "sales",
    "sale_items",
    "sale_payments",
    "inventory_operations",
    "cash_movements",
    "audit_log",
    "sync_ops",
];

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

async fn sql(conn: &mut PgConnection, text: String) {
    sqlx::raw_sql(AssertSqlSafe(text)).execute(conn).await.expect("SQL runs");
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(run());
}

async fn run() {
    let wanted = knob("NEXUS_BENCH_OPS", 10_000);
    let scratch = Scratch::new("nxbs");
    scratch.create_master().await;
    let server = Server::start(scratch.settings(), "127.0.0.1:0".parse().expect("an address")).await;
    let central = server.central.clone();
    let demo = nexus_central::testing::demo_tenant(&central).await.expect("the demo tenant");
    let (tenant, db) = central.tenant(demo.tenant_id).await.expect("the tenant");
    let branch: Uuid = sqlx::query_scalar("SELECT id FROM branches WHERE name = 'Principal'")
        .fetch_one(&db)
        .await
        .expect("the main branch");
    let code = devices::create_code(
        &central,
        &tenant,
        &db,
        None,
        &NewEnrollmentCode { branch_id: BranchId(branch), ttl_minutes: None },
    )
    .await
    .expect("a code")
    .code;

    let dir = TempDir::new("bench-sync");
    let options = Options { keyring_service: KEYRING.into(), ..Options::default() };
    let terminal = Arc::new(Terminal::open(&dir.0, options).expect("a terminal"));
    enroll(terminal.clone(), &server.url(), &code, "Caja de medición").await.expect("enrolled");
    let client = SyncClient::new(terminal.clone(), Pacing::default()).expect("a client").expect("enrolled");

    let started = Instant::now();
    let t = terminal.clone();
    tokio::task::spawn_blocking(move || work_offline(&t, wanted)).await.expect("the day's work");
    let ops = terminal.ops_after(0, 1_000_000).expect("the outbox");
    eprintln!("{} ops written offline in {:.1} s", ops.len(), started.elapsed().as_secs_f64());
    let device = terminal.device().expect("the device");
    let credential = device.central.clone().expect("enrolled").credential;

    // Two copies of the tenant database as it is before the catch-up.
    let copy_db = format!("{}_copy", tenant.db_name);
    let ingest_db = format!("{}_ingest", tenant.db_name);
    clone_database(&tenant.db_name, &copy_db).await;
    clone_database(&tenant.db_name, &ingest_db).await;

    // 1. Catch-up, end to end.
    let begin = Instant::now();
    let round = client.round().await.expect("the catch-up round");
    let catch_up = begin.elapsed();
    assert_eq!(round.pushed, ops.len());
    assert_eq!(round.rejected, 0);
    assert_eq!(terminal.outbox_status().expect("status").pending, 0);

    // 2. Ingest alone, into the second copy.
    let caller = devices::authenticate(&central, credential.expose_secret()).await.expect("the device");
    let ingest_pool = sqlx::PgPool::connect(&format!("{}/{ingest_db}", pg_url())).await.expect("the copy");
    let alone = DeviceCaller { db: ingest_pool.clone(), ..caller };
    let begin = Instant::now();
    for batch in ops.chunks(PUSH_BATCH) {
        let arrived = batch.iter().cloned().map(Arrived::Known).collect();
        let r = ingest::push(&alone, arrived).await.expect("ingest");
        assert_eq!((r.applied, r.rejected.len()), (batch.len(), 0));
    }
    let ingest_time = begin.elapsed();
    ingest_pool.close().await;

    // 3. Binary COPY of the rows the catch-up wrote, into the first copy.
    let rows = export(&tenant.db_name, &copy_db, device.device_id).await;
    let row_count: u64 = rows.iter().map(|(_, _, n)| n).sum();
    let mut conn = PgConnection::connect(&format!("{}/{copy_db}", pg_url())).await.expect("the copy");
    let begin = Instant::now();
    let mut tx = conn.begin().await.expect("a transaction");
    for (table, data, count) in &rows {
        let mut copy =
            tx.copy_in_raw(&format!("COPY {table} FROM STDIN (FORMAT binary)")).await.expect("COPY starts");
        copy.send(data.as_slice()).await.expect("COPY data");
        assert_eq!(copy.finish().await.expect("COPY ends"), *count, "{table}");
    }
    tx.commit().await.expect("COPY commits");
    let copy_time = begin.elapsed();
    conn.close().await.expect("closed");

    // 4. Every op again, over HTTP: all duplicates, nothing written.
    let before = counts(&db).await;
    let http = reqwest::Client::new();
    let begin = Instant::now();
    for batch in ops.chunks(PUSH_BATCH) {
        let r: PushResponse = http
            .post(format!("{}/v1/sync/push", server.url()))
            .bearer_auth(credential.expose_secret())
            .json(&PushRequest { ops: batch.to_vec(), report: None })
            .send()
            .await
            .expect("the replay")
            .json()
            .await
            .expect("an answer");
        assert_eq!((r.applied, r.duplicates), (0, batch.len()));
    }
    let replay = begin.elapsed();
    assert_eq!(counts(&db).await, before, "a replay wrote nothing");

    let n = ops.len() as f64;
    let per_sec = |d: Duration| n / d.as_secs_f64();
    println!("{} ops ({} sales); {row_count} rows in {} tables", ops.len(), before[1], TABLES.len());
    println!("| what | measured | baseline | ratio | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| Catch-up of {} ops after a day offline (one sync round over loopback HTTP) | {} | {} (binary COPY of the same rows) | {:.2} | < 2 s absolute |",
        ops.len(),
        ms(catch_up),
        ms(copy_time),
        catch_up.as_secs_f64() / copy_time.as_secs_f64()
    );
    println!(
        "| Ingest alone, batches of {PUSH_BATCH} | {:.0} ops/s ({}) | {:.0} ops/s ({}, binary COPY) | {:.2} | ≥ 0.5 |",
        per_sec(ingest_time),
        ms(ingest_time),
        per_sec(copy_time),
        ms(copy_time),
        copy_time.as_secs_f64() / ingest_time.as_secs_f64()
    );
    println!(
        "| Full duplicate replay of {} ops over HTTP | {} | {} (the catch-up) | {:.2} | nothing written |",
        ops.len(),
        ms(replay),
        ms(catch_up),
        replay.as_secs_f64() / catch_up.as_secs_f64()
    );

    let _ = terminal.forget_secrets();
    server.stop().await;
    drop(central);
}

/// A day at the counter: one session, sales, a few cash movements, the close.
fn work_offline(t: &Terminal, wanted: usize) {
    t.login("1111").expect("María logs in");
    let home = t.home().expect("home");
    let register = home.registers.iter().find(|r| !r.in_use).expect("a free register");
    let session = t
        .open_session(&OpenSession { cash_register_id: register.id, opening_amount: "1500".into() })
        .expect("opens")
        .id;
    let products: Vec<Uuid> = t.search_products("", 50).expect("products").iter().map(|p| p.id).collect();
    assert!(!products.is_empty(), "the products came down with the snapshot");
    let mut rng = Rng::new(7);
    let mut sales = 0;
    // Every action queues one op: count them here rather than asking the
    // outbox after each (a count over a growing queue would dominate the setup).
    let mut pending = t.outbox_status().expect("status").pending as usize;
    while pending < wanted - 1 {
        pending += 1;
        sales += 1;
        if sales % 25 == 0 {
            t.move_cash(&NewMovement {
                cash_session_id: session,
                kind: MovementKind::In,
                amount: "100".into(),
                reason: "Cambio".into(),
            })
            .expect("cash in");
            continue;
        }
        let lines = (0..1 + rng.below(3))
            .map(|_| NewSaleLine {
                product_id: products[rng.below(products.len() as u64) as usize],
                quantity: 1 + rng.below(3) as i64,
                discount_bp: 0,
            })
            .collect();
        t.sell(&NewSale {
            cash_session_id: session,
            customer_id: None,
            price_tier: Default::default(),
            lines,
            payment: PaymentInput { cash: Some("50000".into()), ..Default::default() },
        })
        .expect("the sale commits");
    }
    assert_eq!(t.outbox_status().expect("status").pending as usize, pending, "one op per action");
    let z = t.session_report(session).expect("report");
    let counted = nexus_domain::Money::from_cents(z.expected_cents).to_decimal_string();
    t.close_session(&CloseSession {
        cash_session_id: session,
        counted_amount: Some(counted),
        denominations: None,
        confirm_zero: false,
    })
    .expect("closes");
}

/// `CREATE DATABASE to TEMPLATE from`, once central's idle connections to
/// `from` are closed.
async fn clone_database(from: &str, to: &str) {
    let mut admin = admin_connection().await;
    for _ in 0..50 {
        sql(
            &mut admin,
            format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{from}' AND pid <> pg_backend_pid()"),
        )
        .await;
        let made = sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{to}\" TEMPLATE \"{from}\"")))
            .execute(&mut admin)
            .await;
        if made.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not copy {from}");
}

/// The rows of `TABLES` in `source` that `copy` does not hold, in binary
/// COPY format, with their count.
async fn export(source: &str, copy: &str, device: Uuid) -> Vec<(&'static str, Vec<u8>, u64)> {
    let mut before = PgConnection::connect(&format!("{}/{copy}", pg_url())).await.expect("the copy");
    let mut after = PgConnection::connect(&format!("{}/{source}", pg_url())).await.expect("the tenant");
    let mut out = Vec::new();
    for table in TABLES {
        let filter = if table == "sync_ops" {
            format!("device_id = '{device}'")
        } else {
            let ids: Vec<Uuid> = sqlx::query_scalar(AssertSqlSafe(format!("SELECT id FROM {table}")))
                .fetch_all(&mut before)
                .await
                .expect("existing ids");
            let list: Vec<String> = ids.iter().map(Uuid::to_string).collect();
            format!("NOT (id = ANY('{{{}}}'::uuid[]))", list.join(","))
        };
        let count: i64 =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {table} WHERE {filter}")))
                .fetch_one(&mut after)
                .await
                .expect("a count");
        let mut data = Vec::new();
        let mut stream = after
            .copy_out_raw(&format!("COPY (SELECT * FROM {table} WHERE {filter}) TO STDOUT (FORMAT binary)"))
            .await
            .expect("COPY out");
        while let Some(chunk) = stream.next().await {
            data.extend_from_slice(&chunk.expect("COPY data"));
        }
        drop(stream);
        out.push((table, data, count as u64));
    }
    out
}

/// Row counts of `TABLES`.
async fn counts(db: &sqlx::PgPool) -> Vec<i64> {
    let mut out = Vec::new();
    for table in TABLES {
        out.push(
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(db)
                .await
                .expect("a count"),
        );
    }
    out
}
