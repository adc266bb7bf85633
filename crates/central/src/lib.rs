//! The central service of Nexus POS.
//!
//! A library so tests (and benchmarks) run the real service in-process on a
//! port of their choosing; `main.rs` only parses the command line. One
//! PostgreSQL database per tenant, a master database naming them, and an
//! HTTP API whose tenant always comes from a verified token.
#![forbid(unsafe_code)]

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod board;
pub mod branches;
pub mod cash;
pub mod cash_sessions;
pub mod clock;
pub mod console;
pub mod db;
pub mod demo;
pub mod devices;
pub mod employees;
pub mod error;
pub mod hq;
pub mod http;
pub mod invitations;
pub mod live;
pub mod migrate;
pub mod operator;
pub mod provision;
pub mod registers;
pub mod remote_close;
pub mod reports;
pub mod secret;
pub mod settings;
pub mod sync;
pub mod testing;
pub mod theme;
pub mod throttle;
pub mod totp;

use std::sync::{Arc, OnceLock};

use anyhow::Context;
use nexus_domain::TenantId;
use nexus_domain::pin::{Pin, PinKey};
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use uuid::Uuid;

pub use clock::Clock;
pub use error::{Error, Result};
pub use settings::Settings;

use db::{Databases, TenantRecord};

/// Everything a request or a command needs: settings, connections, keys.
pub struct Central {
    pub settings: Settings,
    pub dbs: Databases,
    pub tokens: auth::TokenKeys,
    /// The time the rules judge by (`crate::clock`).
    pub clock: Clock,
    /// Changes of a tenant's board, announced to every central process.
    pub live: live::Hub,
    decoy_hash: String,
    /// A password hash at the HQ cost, checked when an email is unknown so
    /// both answers cost the same; made on first need (it takes a while).
    hq_decoy_hash: OnceLock<String>,
}

impl Central {
    /// Validates the settings and prepares (lazy) connections.
    pub fn new(settings: Settings) -> anyhow::Result<Arc<Central>> {
        Central::with_clock(settings, Clock::System)
    }

    /// Like [`Central::new`], on the given clock (a shifted one in tests).
    pub fn with_clock(settings: Settings, clock: Clock) -> anyhow::Result<Arc<Central>> {
        settings.validate()?;
        let dbs = Databases::new(&settings)?;
        let tokens = auth::TokenKeys::new(&settings.jwt_secret);
        let decoy_hash = nexus_domain::pin::decoy_hash(settings.bcrypt_cost);
        let live = live::Hub::new(&dbs, std::time::Duration::from_secs(settings.board_refresh_secs));
        Ok(Arc::new(Central {
            settings,
            dbs,
            tokens,
            clock,
            live,
            decoy_hash,
            hq_decoy_hash: OnceLock::new(),
        }))
    }

    /// The PIN lookup key of a tenant.
    pub fn pin_key(&self, tenant: TenantId) -> PinKey {
        PinKey::derive_for_tenant(self.settings.pin_key_secret.expose_secret().as_bytes(), tenant)
    }

    /// The keyed bcrypt hash of a tenant's PIN with a fresh salt, off the
    /// async threads.
    pub async fn hash_pin(&self, tenant: TenantId, pin: &Pin) -> anyhow::Result<String> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no random source: {e}"))?;
        let pin = pin.clone();
        let key = self.pin_key(tenant);
        let cost = self.settings.bcrypt_cost;
        tokio::task::spawn_blocking(move || key.hash(&pin, cost, salt))
            .await
            .context("PIN hashing task failed")
    }

    /// Checks a PIN against a stored hash (or against the decoy when there is
    /// no candidate, so both cost the same), off the async threads.
    pub async fn verify_pin(
        &self,
        tenant: TenantId,
        pin: &Pin,
        hash: Option<String>,
    ) -> anyhow::Result<bool> {
        let pin = pin.clone();
        let key = self.pin_key(tenant);
        let (hash, real) = match hash {
            Some(h) => (h, true),
            None => (self.decoy_hash.clone(), false),
        };
        let ok = tokio::task::spawn_blocking(move || key.verify(&pin, &hash))
            .await
            .context("PIN verification task failed")?;
        Ok(ok && real)
    }

    /// The bcrypt hash of an HQ password, off the async threads.
    pub async fn hash_password(&self, password: &SecretString) -> anyhow::Result<String> {
        let password = password.clone();
        let cost = self.settings.hq_bcrypt_cost;
        tokio::task::spawn_blocking(move || bcrypt::hash(password.expose_secret(), cost))
            .await
            .context("password hashing task failed")?
            .context("password hashing failed")
    }

    /// Checks an HQ password against a stored hash (or against a decoy when
    /// there is none, so both cost the same), off the async threads.
    pub async fn verify_password(
        &self,
        password: &SecretString,
        hash: Option<String>,
    ) -> anyhow::Result<bool> {
        let password = password.clone();
        let cost = self.settings.hq_bcrypt_cost;
        let (hash, real) = match hash {
            Some(h) => (Some(h), true),
            None => (self.hq_decoy_hash.get().cloned(), false),
        };
        let (ok, decoy) = tokio::task::spawn_blocking(move || {
            let hash = hash.unwrap_or_else(|| bcrypt::hash("decoy password", cost).unwrap_or_default());
            (bcrypt::verify(password.expose_secret(), &hash).unwrap_or(false), hash)
        })
        .await
        .context("password verification task failed")?;
        if !real {
            let _ = self.hq_decoy_hash.set(decoy);
        }
        Ok(ok && real)
    }

    /// A tenant that may serve requests, with its pool.
    pub async fn tenant(&self, id: Uuid) -> Result<(TenantRecord, PgPool)> {
        let tenant = self
            .dbs
            .find_tenant(id)
            .await?
            .filter(|t| t.status == "ready" && t.is_active)
            .ok_or_else(|| Error::not_found("tenant_not_found", "Empresa no encontrada"))?;
        let pool = self.dbs.tenant_pool(&tenant)?;
        Ok((tenant, pool))
    }

    /// What `migrate` applies with these settings.
    pub fn migration_plan(&self, progress: bool) -> migrate::Plan {
        migrate::Plan {
            master: migrate::master_migrations(),
            tenant: migrate::tenant_migrations(),
            template: self.settings.template_database.clone(),
            concurrency: self.settings.migrate_concurrency,
            progress,
        }
    }

    /// Brings the master database to the latest version (at start-up of the
    /// server and of commands that need it).
    pub async fn migrate_master(&self) -> anyhow::Result<migrate::Applied> {
        let lock = migrate::SchemaLock::acquire(&self.dbs).await?;
        let mut conn = self.dbs.master_connection().await?;
        let applied = migrate::apply(&mut conn, &migrate::master_migrations()).await;
        drop(conn);
        lock.release().await?;
        Ok(applied?)
    }
}
