//! Central's benchmarks, each reported as a ratio to a baseline measured in
//! the same run on the same machine (these machines are shared and noisy).
//!
//! `cargo bench -p nexus-central --bench central` with PostgreSQL reachable at
//! `NEXUS_PG_URL` (default `postgres://postgres@127.0.0.1:5432`). Knobs:
//! `NEXUS_BENCH_LOGINS` (samples per login figure, default 40),
//! `NEXUS_BENCH_TENANTS` (tenants migrated, default 100).

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nexus_central::migrate::{self, Migration};
use nexus_central::provision::{self, NewTenant};
use nexus_central::{Central, Settings, http};
use nexus_domain::pin::{Pin, PinKey};
use secrecy::SecretString;
use serde_json::json;
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use uuid::Uuid;

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

struct Row {
    what: String,
    measured: String,
    baseline: String,
    ratio: f64,
    target: &'static str,
}

#[tokio::main]
async fn main() {
    let prefix = format!("nxb_{}", &Uuid::new_v4().simple().to_string()[..10]);
    let mut conn = admin().await;
    sql(&mut conn, format!("CREATE DATABASE \"{prefix}_master\"")).await;
    let result = std::panic::AssertUnwindSafe(run(&prefix));
    let outcome = futures::FutureExt::catch_unwind(result).await;
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

async fn run(prefix: &str) {
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
    let central = Central::new(settings).unwrap();
    central.migrate_master().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(http::serve(central.clone(), listener, std::future::pending()));

    let mut rows = Vec::new();
    login(&central, addr, &mut rows).await;
    provisioning(&central, &mut rows).await;
    migration(&central, &mut rows).await;

    println!("| what | measured | baseline | ratio | target |");
    println!("|---|---|---|---|---|");
    for r in rows {
        println!("| {} | {} | {} | {:.2} | {} |", r.what, r.measured, r.baseline, r.ratio, r.target);
    }
}

fn new_tenant(name: &str) -> NewTenant {
    NewTenant {
        name: name.into(),
        rfc: None,
        plan: None,
        owner_name: "Dueño".into(),
        owner_email: format!("dueno-{}@bench.example.mx", Uuid::new_v4().simple()),
        owner_password: Some(SecretString::from("contraseña-de-prueba-2026")),
    }
}

/// Real keyed bcrypt hashes for `pins`, on every core.
fn hashes(key: &PinKey, pins: &[Pin], cost: u32) -> Vec<String> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = pins.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = pins
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|p| {
                            let mut salt = [0u8; 16];
                            getrandom::fill(&mut salt).unwrap();
                            key.hash(p, cost, salt)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    })
}

async fn login(central: &Arc<Central>, addr: std::net::SocketAddr, rows: &mut Vec<Row>) {
    let samples = knob("NEXUS_BENCH_LOGINS", 40);
    let t = provision::provision(central, &new_tenant("Login")).await.unwrap();
    let (tenant, db) = central.tenant(t.tenant_id.0).await.unwrap();
    // A counter logs in through an enrolled device.
    let code = nexus_central::devices::create_code(
        central,
        &tenant,
        &db,
        None,
        &nexus_central::devices::NewEnrollmentCode { branch_id: t.branch_id, ttl_minutes: None },
    )
    .await
    .unwrap();
    let device = nexus_central::devices::enroll(
        central,
        &nexus_domain::sync::EnrollRequest { code: code.code, device_name: "Banco de pruebas".into() },
    )
    .await
    .unwrap();
    let credential = device.credential.expose().to_owned();
    let key = central.pin_key(t.tenant_id);
    let client = reqwest::Client::new();
    let cost = central.settings.bcrypt_cost;
    let mut staff = 1; // the owner
    for target in [1usize, 100, 1000] {
        let pins: Vec<Pin> =
            // Five digits: never the owner's (six), so the lookup stays unique.
            (staff..target).map(|i| Pin::parse(&format!("{:05}", 10_000 + i)).unwrap()).collect();
        let hashed = hashes(&key, &pins, cost);
        let lookups: Vec<Vec<u8>> = pins.iter().map(|p| key.lookup(p).as_bytes().to_vec()).collect();
        let names: Vec<String> = (staff..target).map(|i| format!("Empleado {i}")).collect();
        let ids: Vec<Uuid> = (staff..target).map(|_| Uuid::now_v7()).collect();
        sqlx::query(
            "INSERT INTO employees (id, name, pin_hash, pin_lookup, role)
             SELECT id, name, hash, lookup, 'cashier' FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[])
                 AS t(id, name, hash, lookup)",
        )
        .bind(&ids)
        .bind(&names)
        .bind(&hashed)
        .bind(&lookups)
        .execute(&db)
        .await
        .unwrap();
        staff = target;
        // The PIN whose hash is measured on both sides.
        let (pin, hash) = if target == 1 {
            let hash: String = sqlx::query_scalar("SELECT pin_hash FROM employees WHERE role = 'owner'")
                .fetch_one(&db)
                .await
                .unwrap();
            (Pin::parse(t.owner_pin.expose()).unwrap(), hash)
        } else {
            (pins.last().unwrap().clone(), hashed.last().unwrap().clone())
        };
        let body = json!({ "pin": pin.expose() });
        let login = || {
            client.post(format!("http://{addr}/v1/auth/login")).bearer_auth(&credential).json(&body).send()
        };
        // Warm the connection pools.
        login().await.unwrap();
        let mut logins = Vec::with_capacity(samples);
        let mut verifies = Vec::with_capacity(samples);
        for _ in 0..samples {
            let (d, res) = timed(login()).await;
            assert!(res.unwrap().status().is_success());
            logins.push(d);
            let start = Instant::now();
            assert!(key.verify(&pin, &hash));
            verifies.push(start.elapsed());
        }
        let (login, verify) = (median(logins), median(verifies));
        rows.push(Row {
            what: format!(
                "PIN login over HTTP, {target} employee{} (median of {samples})",
                if target == 1 { "" } else { "s" }
            ),
            measured: ms(login),
            baseline: format!("{} (one bcrypt verify, cost {cost})", ms(verify)),
            ratio: login.as_secs_f64() / verify.as_secs_f64(),
            target: "≤ 1.1",
        });
    }
}

async fn provisioning(central: &Arc<Central>, rows: &mut Vec<Row>) {
    let template = central.settings.template_database.clone();
    let copy = format!("{}copy", central.settings.tenant_database_prefix);
    let mut conn = admin().await;
    let mut copies = Vec::new();
    let mut provisions = Vec::new();
    for i in 0..7 {
        let (d, _) =
            timed(sql(&mut conn, format!("CREATE DATABASE \"{copy}\" TEMPLATE \"{template}\""))).await;
        copies.push(d);
        sql(&mut conn, format!("DROP DATABASE \"{copy}\"")).await;
        let (d, made) = timed(provision::provision(central, &new_tenant(&format!("Provision {i}")))).await;
        made.unwrap();
        provisions.push(d);
    }
    let (p, c) = (median(provisions), median(copies));
    rows.push(Row {
        what: "Provisioning one tenant (median of 7)".into(),
        measured: ms(p),
        baseline: format!("{} (bare CREATE DATABASE … TEMPLATE)", ms(c)),
        ratio: p.as_secs_f64() / c.as_secs_f64(),
        target: "< 300 ms absolute",
    });
}

async fn migration(central: &Arc<Central>, rows: &mut Vec<Row>) {
    let wanted = knob("NEXUS_BENCH_TENANTS", 100);
    let existing: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tenants").fetch_one(&central.dbs.master).await.unwrap();
    for i in existing as usize..wanted {
        provision::provision(central, &new_tenant(&format!("Migrate {i}"))).await.unwrap();
    }
    let tenants: Vec<(String, String)> = sqlx::query_as("SELECT cluster_url, db_name FROM tenants")
        .fetch_all(&central.dbs.master)
        .await
        .unwrap();
    let ddl = |table: &str| {
        format!(
            "CREATE TABLE {table} (customer_id UUID PRIMARY KEY REFERENCES customers(id), points INTEGER NOT NULL DEFAULT 0,
                                   updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW());
             CREATE INDEX {table}_points ON {table}(points);"
        )
    };
    // Baseline: the same kind of change applied by hand, one database after another.
    let (bare, _) = timed(async {
        for (cluster, db) in &tenants {
            let mut c = central.dbs.connect_database(cluster, db).await.unwrap();
            sql(&mut c, ddl("bench_baseline")).await;
            c.close().await.unwrap();
        }
    })
    .await;
    let mut plan = central.migration_plan(false);
    let sql_text: &'static str = Box::leak(ddl("loyalty_points").into_boxed_str());
    let version = migrate::latest_version(&plan.tenant) + 1;
    plan.tenant.push(Migration {
        version,
        name: Cow::Owned(format!("{version:04}_loyalty.sql")),
        sql: Cow::Borrowed(sql_text),
    });
    let (runner, report) = timed(migrate::run(&central.dbs, &plan)).await;
    let report = report.unwrap();
    assert_eq!(report.failures(), 0);
    assert_eq!(report.tenants.len(), tenants.len());
    let per_thousand = runner.as_secs_f64() * 1000.0 / tenants.len() as f64;
    rows.push(Row {
        what: format!(
            "Migrating {} tenant DBs by one new migration ({} at once); ≈ {:.0} s per 1,000",
            tenants.len(),
            plan.concurrency,
            per_thousand
        ),
        measured: ms(runner),
        baseline: format!("{} (same DDL by hand, one DB after another)", ms(bare)),
        ratio: runner.as_secs_f64() / bare.as_secs_f64(),
        target: "1,000 DBs < 2 min",
    });
}
