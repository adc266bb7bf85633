//! Connections to the master database and to tenant databases.
//!
//! A tenant's pool is opened on its first request and kept while it is used;
//! at most `max_tenant_pools` stay cached, the least recently used one being
//! dropped from the cache to make room, so a service in front of thousands of
//! tenants holds a bounded number of connections. An evicted pool is never
//! closed under the requests still running on it: they hold their own handle,
//! and the pool closes its connections when the last of them lets go.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection};
use uuid::Uuid;

use crate::settings::{Settings, strip_password};

/// A row of the master `tenants` table.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TenantRecord {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub rfc: Option<String>,
    pub plan: String,
    pub is_active: bool,
    pub status: String,
    pub cluster_url: String,
    pub db_name: String,
    pub schema_version: i32,
    pub created_at: DateTime<Utc>,
}

struct CachedPool {
    pool: PgPool,
    last_used: u64,
}

#[derive(Default)]
struct PoolCache {
    pools: HashMap<Uuid, CachedPool>,
    clock: u64,
}

pub struct Databases {
    pub master: PgPool,
    master_options: PgConnectOptions,
    /// Configured cluster URLs (with credentials) by their stored form.
    clusters: HashMap<String, String>,
    cache: Mutex<PoolCache>,
    max_pools: usize,
    pool_size: u32,
}

impl Databases {
    /// Connects to the master database (lazily: the first query connects).
    pub fn new(settings: &Settings) -> anyhow::Result<Databases> {
        let master_options = PgConnectOptions::from_str(&settings.master_database_url)
            .context("master_database_url is invalid")?
            .log_statements(tracing::log::LevelFilter::Trace);
        let master = PgPoolOptions::new()
            .max_connections(settings.master_pool_size)
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(master_options.clone());
        let clusters =
            settings.tenant_clusters().into_iter().map(|url| (strip_password(&url), url)).collect();
        Ok(Databases {
            master,
            master_options,
            clusters,
            cache: Mutex::new(PoolCache::default()),
            max_pools: settings.max_tenant_pools,
            pool_size: settings.tenant_pool_size,
        })
    }

    /// A pool of one master connection that is never recycled, for a
    /// `LISTEN` that must stay open (lazy: nothing connects until it is used).
    pub fn master_listen_pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(self.master_options.clone())
    }

    /// A single connection to the master database, for session-level locks.
    pub async fn master_connection(&self) -> sqlx::Result<PgConnection> {
        PgConnection::connect_with(&self.master_options).await
    }

    /// The stored (password-free) names of the configured clusters.
    pub fn cluster_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.clusters.keys().cloned().collect();
        names.sort();
        names
    }

    /// How to reach a database on a cluster known by its stored name: the
    /// configured URL supplies credentials; an unconfigured cluster is
    /// reached as stored (credentials from `PGPASSWORD` or `~/.pgpass`).
    pub fn database_options(&self, cluster: &str, database: &str) -> anyhow::Result<PgConnectOptions> {
        let url = self.clusters.get(cluster).map_or(cluster, String::as_str);
        let options = PgConnectOptions::from_str(url)
            .with_context(|| format!("cluster URL {cluster} is invalid"))?
            .database(database)
            .log_statements(tracing::log::LevelFilter::Trace);
        Ok(options)
    }

    pub async fn connect_database(&self, cluster: &str, database: &str) -> anyhow::Result<PgConnection> {
        let options = self.database_options(cluster, database)?;
        PgConnection::connect_with(&options)
            .await
            .with_context(|| format!("cannot connect to database {database} on {cluster}"))
    }

    pub async fn find_tenant(&self, id: Uuid) -> sqlx::Result<Option<TenantRecord>> {
        sqlx::query_as(
            "SELECT id, name, slug, rfc, plan, is_active, status, cluster_url, db_name, schema_version, created_at
             FROM tenants WHERE id = $1",
        )
            .bind(id)
            .fetch_optional(&self.master)
            .await
    }

    /// The pool of a tenant's database, opened on first use.
    pub fn tenant_pool(&self, tenant: &TenantRecord) -> anyhow::Result<PgPool> {
        let mut cache = self.cache.lock().expect("pool cache lock");
        cache.clock += 1;
        let now = cache.clock;
        if let Some(cached) = cache.pools.get_mut(&tenant.id) {
            cached.last_used = now;
            return Ok(cached.pool.clone());
        }
        if cache.pools.len() >= self.max_pools
            && let Some(oldest) = cache.pools.iter().min_by_key(|(_, c)| c.last_used).map(|(id, _)| *id)
        {
            cache.pools.remove(&oldest);
        }
        let options = self.database_options(&tenant.cluster_url, &tenant.db_name)?;
        let pool = PgPoolOptions::new()
            .max_connections(self.pool_size)
            .min_connections(0)
            .idle_timeout(Duration::from_secs(300))
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(options);
        cache.pools.insert(tenant.id, CachedPool { pool: pool.clone(), last_used: now });
        Ok(pool)
    }

    /// Closes a tenant's pool, e.g. before its database is dropped.
    pub async fn close_tenant_pool(&self, id: Uuid) {
        let removed = self.cache.lock().expect("pool cache lock").pools.remove(&id);
        if let Some(cached) = removed {
            cached.pool.close().await;
        }
    }

    pub fn open_tenant_pools(&self) -> usize {
        self.cache.lock().expect("pool cache lock").pools.len()
    }
}

/// Quotes a database name made by this service (lowercase letters, digits
/// and `_` only). Anything else is refused rather than escaped: names never
/// come from user text.
pub fn quote_database_name(name: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        !name.is_empty()
            && name.len() <= 63
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "refusing database name {name:?}"
    );
    Ok(format!("\"{name}\""))
}
