//! Versioned schema migrations for the master database, the template and
//! every tenant database.
//!
//! Each database records what it has applied in `schema_migrations` with the
//! SHA-256 of the applied text; an edited migration that was already applied
//! is an error, never silently skipped or re-run. A run holds an advisory lock
//! on the master database for its whole length, so two runners (or a runner
//! and a provisioning) never work at once; each database is migrated in one
//! transaction, under its own lock as well. Tenants are migrated several at a
//! time; a failing tenant is reported and the others still get migrated.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use futures::StreamExt;
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use uuid::Uuid;

use crate::db::{Databases, TenantRecord, quote_database_name};

/// Key of the advisory lock that serialises schema work on a master database.
pub const SCHEMA_LOCK: i64 = 0x6e65_7875_735f_0001;
/// Key of the transaction lock taken inside each migrated database.
const DATABASE_LOCK: i64 = 0x6e65_7875_735f_0002;

#[derive(Clone, Debug)]
pub struct Migration {
    pub version: i32,
    pub name: Cow<'static, str>,
    pub sql: Cow<'static, str>,
}

impl Migration {
    pub fn checksum(&self) -> Vec<u8> {
        Sha256::digest(self.sql.as_bytes()).to_vec()
    }
}

macro_rules! embedded {
    ($dir:literal: $($version:literal => $file:literal),* $(,)?) => {
        vec![$(Migration {
            version: $version,
            name: Cow::Borrowed($file),
            sql: Cow::Borrowed(include_str!(concat!("../../../migrations/central/", $dir, "/", $file))),
        }),*]
    };
}

/// The master database's migrations, in order.
pub fn master_migrations() -> Vec<Migration> {
    embedded!("master": 1 => "0001_master.sql", 2 => "0002_enrollment.sql", 3 => "0003_hq.sql", 4 => "0004_invitations.sql", 5 => "0005_totp.sql", 6 => "0006_operator.sql")
}

/// Every tenant database's migrations, in order.
pub fn tenant_migrations() -> Vec<Migration> {
    embedded!("tenant": 1 => "0001_tenant.sql", 2 => "0002_sync.sql", 3 => "0003_central_versions.sql", 4 => "0004_trust.sql", 5 => "0005_board.sql", 6 => "0006_reports.sql", 7 => "0007_alerts.sql", 9 => "0009_remote_close.sql", 10 => "0010_audit_search.sql")
}

pub fn latest_version(migrations: &[Migration]) -> i32 {
    migrations.iter().map(|m| m.version).max().unwrap_or(0)
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("migration {version} ({name}) was edited after it was applied: its checksum differs")]
    ChecksumMismatch { version: i32, name: String },
    #[error("the database has migration {version}, which this build does not know (is the binary older?)")]
    UnknownVersion { version: i32 },
    #[error("migration {version} ({name}) failed: {source}")]
    Failed { version: i32, name: String, source: sqlx::Error },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// What one database went through.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    pub from: i32,
    pub to: i32,
    pub applied: Vec<i32>,
}

/// Applies to the connected database every migration it lacks, in one
/// transaction. A database that is up to date is left untouched.
pub async fn apply(conn: &mut PgConnection, migrations: &[Migration]) -> Result<Applied, MigrateError> {
    let mut sorted: Vec<&Migration> = migrations.iter().collect();
    sorted.sort_by_key(|m| m.version);
    let mut tx = conn.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(DATABASE_LOCK).execute(&mut *tx).await?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            checksum BYTEA NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
        )",
    )
    .execute(&mut *tx)
    .await?;
    let done: Vec<(i32, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *tx)
            .await?;
    for (version, checksum) in &done {
        match sorted.iter().find(|m| m.version == *version) {
            None => return Err(MigrateError::UnknownVersion { version: *version }),
            Some(m) if m.checksum() != *checksum => {
                return Err(MigrateError::ChecksumMismatch { version: m.version, name: m.name.to_string() });
            }
            Some(_) => {}
        }
    }
    let from = done.last().map_or(0, |(v, _)| *v);
    let mut applied = Vec::new();
    for m in sorted.iter().filter(|m| !done.iter().any(|(v, _)| *v == m.version)) {
        sqlx::raw_sql(AssertSqlSafe(m.sql.to_string())).execute(&mut *tx).await.map_err(|source| {
            MigrateError::Failed { version: m.version, name: m.name.to_string(), source }
        })?;
        sqlx::query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name.as_ref())
            .bind(m.checksum())
            .execute(&mut *tx)
            .await?;
        applied.push(m.version);
    }
    tx.commit().await?;
    Ok(Applied { from, to: from.max(latest_version(migrations)), applied })
}

/// The schema lock of a master database, held for as long as this value
/// lives (and released by PostgreSQL if the process dies).
pub struct SchemaLock {
    conn: PgConnection,
}

impl SchemaLock {
    pub async fn acquire(dbs: &Databases) -> anyhow::Result<SchemaLock> {
        let mut conn = dbs.master_connection().await?;
        sqlx::query("SELECT pg_advisory_lock($1)").bind(SCHEMA_LOCK).execute(&mut conn).await?;
        Ok(SchemaLock { conn })
    }

    pub async fn release(mut self) -> anyhow::Result<()> {
        sqlx::query("SELECT pg_advisory_unlock($1)").bind(SCHEMA_LOCK).execute(&mut self.conn).await?;
        self.conn.close().await?;
        Ok(())
    }
}

/// Makes sure the cluster has the template database and that it carries
/// every tenant migration.
pub async fn ensure_template(
    dbs: &Databases,
    cluster: &str,
    template: &str,
    migrations: &[Migration],
) -> Result<Applied, MigrateError> {
    let mut admin = dbs.connect_database(cluster, "postgres").await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(template)
        .fetch_one(&mut admin)
        .await?;
    if !exists {
        let ddl = format!("CREATE DATABASE {}", quote_database_name(template)?);
        sqlx::raw_sql(AssertSqlSafe(ddl)).execute(&mut admin).await?;
    }
    admin.close().await?;
    let mut conn = dbs.connect_database(cluster, template).await?;
    let applied = apply(&mut conn, migrations).await;
    // A template must have no open connection when it is copied.
    conn.close().await?;
    applied
}

/// The outcome for one tenant.
#[derive(Debug, serde::Serialize)]
pub struct TenantReport {
    pub tenant_id: Uuid,
    pub name: String,
    pub db_name: String,
    #[serde(with = "outcome")]
    pub outcome: Result<Applied, String>,
    pub millis: u128,
}

mod outcome {
    use super::Applied;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(v: &Result<Applied, String>, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            ok: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            applied: Option<&'a Applied>,
            #[serde(skip_serializing_if = "Option::is_none")]
            error: Option<&'a str>,
        }
        let out = match v {
            Ok(a) => Out { ok: true, applied: Some(a), error: None },
            Err(e) => Out { ok: false, applied: None, error: Some(e) },
        };
        serde::Serialize::serialize(&out, s)
    }
}

#[derive(Debug, serde::Serialize)]
pub struct Report {
    pub master: Applied,
    pub templates: Vec<(String, Result<Applied, String>)>,
    pub tenants: Vec<TenantReport>,
    pub skipped_inactive: usize,
}

impl Report {
    /// Tenants or templates that failed.
    pub fn failures(&self) -> usize {
        self.tenants.iter().filter(|t| t.outcome.is_err()).count()
            + self.templates.iter().filter(|(_, r)| r.is_err()).count()
    }

    /// A table for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let describe = |a: &Applied| {
            if a.applied.is_empty() {
                format!("up to date at v{}", a.to)
            } else {
                format!("v{} → v{} (applied {:?})", a.from, a.to, a.applied)
            }
        };
        let _ = writeln!(out, "master: {}", describe(&self.master));
        for (cluster, r) in &self.templates {
            let text = r.as_ref().map_or_else(|e| format!("FAILED: {e}"), describe);
            let _ = writeln!(out, "template on {cluster}: {text}");
        }
        let _ = writeln!(out, "{:<36}  {:<24}  {:>7}  result", "tenant", "name", "ms");
        for t in &self.tenants {
            let text = t.outcome.as_ref().map_or_else(|e| format!("FAILED: {e}"), describe);
            let name: String = t.name.chars().take(24).collect();
            let _ = writeln!(out, "{:<36}  {:<24}  {:>7}  {text}", t.tenant_id, name, t.millis);
        }
        let ok = self.tenants.iter().filter(|t| t.outcome.is_ok()).count();
        let _ = writeln!(
            out,
            "{} tenants migrated, {} failed, {} inactive skipped",
            ok,
            self.tenants.len() - ok,
            self.skipped_inactive
        );
        out
    }
}

/// What a run applies and how.
pub struct Plan {
    pub master: Vec<Migration>,
    pub tenant: Vec<Migration>,
    pub template: String,
    pub concurrency: usize,
    /// Draw a progress bar on standard error.
    pub progress: bool,
}

/// Migrates master, the templates and every active tenant.
pub async fn run(dbs: &Databases, plan: &Plan) -> Result<Report, MigrateError> {
    let lock = SchemaLock::acquire(dbs).await?;
    let result = run_locked(dbs, plan).await;
    lock.release().await?;
    result
}

async fn run_locked(dbs: &Databases, plan: &Plan) -> Result<Report, MigrateError> {
    let master = {
        let mut conn = dbs.master_connection().await?;
        let applied = apply(&mut conn, &plan.master).await?;
        conn.close().await?;
        applied
    };
    let tenants: Vec<TenantRecord> = sqlx::query_as(
        "SELECT id, name, slug, rfc, plan, is_active, status, cluster_url, db_name, schema_version, created_at
         FROM tenants WHERE status = 'ready' ORDER BY created_at",
    )
    .fetch_all(&dbs.master)
    .await?;
    let mut clusters = dbs.cluster_names();
    clusters.extend(tenants.iter().map(|t| t.cluster_url.clone()));
    clusters.sort();
    clusters.dedup();
    let mut templates = Vec::new();
    for cluster in clusters {
        let r = ensure_template(dbs, &cluster, &plan.template, &plan.tenant).await.map_err(|e| e.to_string());
        templates.push((cluster, r));
    }
    let (active, inactive): (Vec<_>, Vec<_>) = tenants.into_iter().partition(|t| t.is_active);
    let bar = plan.progress.then(|| {
        let bar = indicatif::ProgressBar::new(active.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} tenants {pos}/{len} [{bar:40}] {elapsed} {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    });
    let reports: Vec<TenantReport> = futures::stream::iter(active)
        .map(|tenant| {
            let bar = bar.clone();
            async move {
                let started = Instant::now();
                let outcome = migrate_tenant(dbs, &tenant, &plan.tenant).await.map_err(|e| e.to_string());
                if let Some(bar) = &bar {
                    bar.inc(1);
                    if outcome.is_err() {
                        bar.set_message(format!("{} failed", tenant.name));
                    }
                }
                TenantReport {
                    tenant_id: tenant.id,
                    name: tenant.name,
                    db_name: tenant.db_name,
                    outcome,
                    millis: started.elapsed().as_millis(),
                }
            }
        })
        .buffer_unordered(plan.concurrency.max(1))
        .collect()
        .await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut reports = reports;
    reports.sort_by_key(|r| r.tenant_id);
    Ok(Report { master, templates, tenants: reports, skipped_inactive: inactive.len() })
}

async fn migrate_tenant(
    dbs: &Databases,
    tenant: &TenantRecord,
    migrations: &[Migration],
) -> Result<Applied, MigrateError> {
    let mut conn = dbs.connect_database(&tenant.cluster_url, &tenant.db_name).await?;
    let applied = apply(&mut conn, migrations).await;
    let _ = conn.close().await;
    let applied = applied?;
    sqlx::query("UPDATE tenants SET schema_version = $2 WHERE id = $1")
        .bind(tenant.id)
        .bind(applied.to)
        .execute(&dbs.master)
        .await?;
    Ok(applied)
}
