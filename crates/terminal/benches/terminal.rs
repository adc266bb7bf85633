//! The terminal engine's benchmarks, each a ratio to a baseline measured in
//! the same run on the same disk and CPU.
//!
//! Needs the OS secret store: `scripts/with-keyring.sh cargo bench -p
//! nexus-terminal --bench terminal`. Knobs: `NEXUS_BENCH_LOGINS` (default
//! 40), `NEXUS_BENCH_SALES` (default 300), `NEXUS_BENCH_AUDIT` (entries,
//! default 100000).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use nexus_domain::audit::{self, AuditEntry, ChainedEntry, GENESIS};
use nexus_domain::pin::Pin;
use nexus_terminal::cash_session::OpenSession;
use nexus_terminal::sales::{NewSale, NewSaleLine, PaymentInput};
use nexus_terminal::secrets::SecretStore;
use nexus_terminal::store::Durability;
use nexus_terminal::{Options, Terminal};
use rusqlite::{Connection, params};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

const SERVICE: &str = "nexus-pos-bench";

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

struct Row {
    what: String,
    measured: String,
    baseline: String,
    ratio: f64,
    ratio_means: &'static str,
    target: &'static str,
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    // Under target/, on the same disk as a real terminal's data would be.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/bench-data")
        .join(format!("{name}-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn demo(dir: &Path, durability: Durability) -> Terminal {
    let t =
        Terminal::open(dir, Options { keyring_service: SERVICE.into(), durability, ..Options::default() })
            .unwrap();
    t.setup_demo().unwrap();
    t
}

fn main() {
    // `NEXUS_BENCH_ONLY=login|sale|audit` runs one part.
    let only = std::env::var("NEXUS_BENCH_ONLY").unwrap_or_default();
    let run = |part: &str| only.is_empty() || only == part;
    let mut rows = Vec::new();
    if run("login") {
        login(&mut rows);
    }
    if run("sale") {
        for durability in [Durability::Full, Durability::Normal] {
            sale_commit(&mut rows, durability);
        }
    }
    if run("audit") {
        audit_chain(&mut rows);
    }
    println!("| what | measured | baseline | ratio | target |");
    println!("|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {:.2} ({}) | {} |",
            r.what, r.measured, r.baseline, r.ratio, r.ratio_means, r.target
        );
    }
}

fn login(rows: &mut Vec<Row>) {
    let samples = knob("NEXUS_BENCH_LOGINS", 40);
    let dir = scratch("login");
    let t = demo(&dir.0, Durability::Full);
    let installation: String = nexus_terminal::open_database(&dir.0, SERVICE)
        .unwrap()
        .query_row("SELECT value FROM settings WHERE key = 'installation_id'", [], |r| r.get(0))
        .unwrap();
    let secrets = SecretStore::new(SERVICE, installation.parse().unwrap()).load().unwrap();
    // Staff up to 1,000 with real bcrypt hashes, made on every core.
    let existing = 7;
    let pins: Vec<Pin> =
        (existing..1000).map(|i| Pin::parse(&format!("{:06}", 100_000 + i)).unwrap()).collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let hashes: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = pins
            .chunks(pins.len().div_ceil(threads))
            .map(|part| {
                let key = &secrets.pin_key;
                s.spawn(move || {
                    part.iter()
                        .map(|p| {
                            let mut salt = [0u8; 16];
                            getrandom::fill(&mut salt).unwrap();
                            key.hash(p, 10, salt)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    {
        let mut conn = nexus_terminal::open_database(&dir.0, SERVICE).unwrap();
        let tx = conn.transaction().unwrap();
        for (pin, hash) in pins.iter().zip(&hashes) {
            tx.execute(
                "INSERT INTO employees (id, name, pin_hash, pin_lookup, role, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'cashier', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')",
                params![Uuid::now_v7().to_string(), format!("Empleado {}", pin.expose()), hash, &secrets.pin_key.lookup(pin).as_bytes()[..]],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let pin = pins.last().unwrap().clone();
    let hash = hashes.last().unwrap().clone();
    t.login(pin.expose()).unwrap();
    let mut logins = Vec::new();
    let mut verifies = Vec::new();
    for _ in 0..samples {
        let start = Instant::now();
        t.login(pin.expose()).unwrap();
        logins.push(start.elapsed());
        let start = Instant::now();
        assert!(secrets.pin_key.verify(&pin, &hash));
        verifies.push(start.elapsed());
    }
    let (l, v) = (median(logins), median(verifies));
    rows.push(Row {
        what: format!("PIN login, 1,000 employees (median of {samples})"),
        measured: ms(l),
        baseline: format!("{} (one bcrypt verify, cost 10)", ms(v)),
        ratio: l.as_secs_f64() / v.as_secs_f64(),
        ratio_means: "login ÷ verify",
        target: "≤ 1.1",
    });
    let _ = t.forget_secrets();
}

fn sale_commit(rows: &mut Vec<Row>, durability: Durability) {
    let samples = knob("NEXUS_BENCH_SALES", 300);
    let dir = scratch("sale");
    let t = demo(&dir.0, durability);
    t.login("1111").unwrap();
    let register = t.home().unwrap().registers[0].id;
    let session =
        t.open_session(&OpenSession { cash_register_id: register, opening_amount: "1000".into() }).unwrap();
    let products = t.search_products("", 5).unwrap();
    let sale = NewSale {
        cash_session_id: session.id,
        customer_id: None,
        price_tier: Default::default(),
        lines: products
            .iter()
            .map(|p| NewSaleLine { product_id: p.id, quantity: 1, discount_bp: 0 })
            .collect(),
        payment: PaymentInput { cash: Some("20000".into()), ..PaymentInput::default() },
    };
    // The baseline: a bare one-row insert, committed alone, under the same settings and disk.
    let bare = Connection::open(dir.0.join("bare.db")).unwrap();
    bare.pragma_update(None, "journal_mode", "WAL").unwrap();
    let sync = if durability == Durability::Full { "FULL" } else { "NORMAL" };
    bare.pragma_update(None, "synchronous", sync).unwrap();
    bare.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)").unwrap();
    let mut sales = Vec::new();
    let mut commits = Vec::new();
    for i in 0..samples {
        let start = Instant::now();
        t.sell(&sale).unwrap();
        sales.push(start.elapsed());
        let start = Instant::now();
        bare.execute_batch("BEGIN IMMEDIATE").unwrap();
        bare.execute("INSERT INTO t (v) VALUES (?1)", [format!("row {i}")]).unwrap();
        bare.execute_batch("COMMIT").unwrap();
        commits.push(start.elapsed());
    }
    let (s, c) = (median(sales), median(commits));
    rows.push(Row {
        what: format!(
            "Commit of a 5-line sale with audit entry and op, `synchronous={sync}` (median of {samples})"
        ),
        measured: format!("{} ({:.0}/s)", ms(s), 1.0 / s.as_secs_f64()),
        baseline: format!("{} ({:.0}/s, bare one-row insert commit)", ms(c), 1.0 / c.as_secs_f64()),
        ratio: c.as_secs_f64() / s.as_secs_f64(),
        ratio_means: "sale rate ÷ bare commit rate",
        target: if durability == Durability::Full {
            "≥ 0.8 (one fsync per sale)"
        } else {
            "— (no fsync per commit)"
        },
    });
    let _ = t.forget_secrets();
}

fn audit_chain(rows: &mut Vec<Row>) {
    let n = knob("NEXUS_BENCH_AUDIT", 100_000);
    let start_time = DateTime::parse_from_rfc3339("2026-11-23T15:00:00Z").unwrap().with_timezone(&Utc);
    let mut chain: Vec<ChainedEntry> = Vec::with_capacity(n);
    for i in 0..n {
        let (seq, prev) = chain.last().map_or((0, GENESIS), |e| (e.entry.seq, e.hash));
        chain.push(audit::append(
            seq,
            prev,
            AuditEntry {
                id: Uuid::now_v7(),
                chain: "0196a3f0-0000-7000-8000-000000000001".into(),
                seq: 0,
                device_id: Some("0196a3f0-0000-7000-8000-000000000001".into()),
                employee_id: Some(Uuid::now_v7()),
                action: "SALE".into(),
                entity_type: Some("sale".into()),
                entity_id: Some(Uuid::now_v7().to_string()),
                old_value: None,
                new_value: Some(json!({
                    "cash_session_id": Uuid::now_v7(), "lines": 5, "total_cents": 123_456 + i,
                    "payment_method": "efectivo", "change_cents": 4_321,
                })),
                ip_address: None,
                branch_id: Some(Uuid::now_v7()),
                created_at: start_time + chrono::Duration::seconds(i as i64),
            },
        ));
    }
    // The same bytes the verification hashes: prev ‖ canonical entry, per entry.
    let inputs: Vec<Vec<u8>> = chain
        .iter()
        .map(|e| {
            let mut bytes = e.prev_hash.to_vec();
            e.entry.write_canonical(&mut bytes);
            bytes
        })
        .collect();
    let total_bytes: usize = inputs.iter().map(Vec::len).sum();
    let mut verify = Vec::new();
    let mut raw = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let head = audit::verify_chain(&chain, 1, GENESIS).unwrap();
        verify.push(start.elapsed());
        assert_eq!(head, chain.last().unwrap().hash);
        let start = Instant::now();
        let mut last = [0u8; 32];
        for input in &inputs {
            last = Sha256::digest(input).into();
        }
        raw.push(start.elapsed());
        assert_eq!(last, chain.last().unwrap().hash);
    }
    let (v, r) = (median(verify), median(raw));
    let mb = |d: Duration| total_bytes as f64 / d.as_secs_f64() / 1e6;
    rows.push(Row {
        what: format!("Audit chain verification, {n} entries ({:.1} MB canonical)", total_bytes as f64 / 1e6),
        measured: format!("{} ({:.0} MB/s)", ms(v), mb(v)),
        baseline: format!("{} ({:.0} MB/s, raw SHA-256 of the same bytes)", ms(r), mb(r)),
        ratio: r.as_secs_f64() / v.as_secs_f64(),
        ratio_means: "verify throughput ÷ SHA-256 throughput",
        target: "≥ 0.5",
    });
}
