//! The platform operator's console login and the overview it opens.
//!
//! The operator runs central for every tenant; the API knows them by the
//! configured `platform_admin_token`. In a browser they type that token once
//! at `/console/operator/login` and get a session of their own (a row in
//! `platform_sessions`, a cookie scoped to `/console/operator`), separate
//! from any tenant's HQ accounts: no HQ session reaches the operator's
//! pages and no operator session reaches a tenant's. Attempts are throttled
//! and locked like HQ logins (per source address, and as the pseudo-email
//! `platform-operator`).

use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::throttle::{self, Ledger, Scope, Subject};
use crate::{Central, Error, Result, migrate, settings};

const TOKEN_PREFIX: &str = "nxo.";
const LEDGER_EMAIL: &str = "platform-operator";

/// An operator session, re-checked on every request.
#[derive(Clone, Debug)]
pub struct OperatorSession {
    pub id: Uuid,
}

fn disabled() -> Error {
    Error::forbidden(
        "platform_admin_disabled",
        "La administración de la plataforma no está habilitada en este servidor",
    )
}

fn login_failed() -> Error {
    Error::unauthorized("operator_login_failed", "Token de operador incorrecto")
}

/// Exchanges the platform token for a console session token.
pub async fn login(central: &Central, token: &SecretString, ip_address: Option<String>) -> Result<String> {
    let Some(expected) = &central.settings.platform_admin_token else { return Err(disabled()) };
    let mut subjects = vec![Subject::new(Scope::HqEmail, LEDGER_EMAIL)];
    if let Some(ip) = &ip_address {
        subjects.push(Subject::new(Scope::HqAddress, ip.clone()));
    }
    let ledger = Ledger::Hq { email: LEDGER_EMAIL, ip_address: ip_address.as_deref() };
    let attempt = match throttle::begin(&central.dbs.master, ledger, &subjects).await? {
        Ok(attempt) => attempt,
        Err(blocked) => return Err(blocked.into_error()),
    };
    let given = Sha256::digest(token.expose_secret().as_bytes());
    if !bool::from(given.ct_eq(&Sha256::digest(expected.expose_secret().as_bytes()))) {
        throttle::fail(&central.dbs.master, attempt, &subjects).await?;
        tracing::info!("operator login refused");
        return Err(login_failed());
    }
    let id = Uuid::now_v7();
    throttle::succeed(&central.dbs.master, attempt, id).await?;
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("no random source: {e}"))?;
    let expires_at = attempt.at + Duration::hours(i64::from(central.settings.hq_session_hours));
    sqlx::query(
        "INSERT INTO platform_sessions (id, secret_hash, ip_address, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(id)
    .bind(Sha256::digest(secret).to_vec())
    .bind(&ip_address)
    .bind(attempt.at)
    .bind(expires_at)
    .execute(&central.dbs.master)
    .await?;
    tracing::info!(session = %id, "operator logged in");
    Ok(format!("{TOKEN_PREFIX}{id}.{}", hex::encode(secret)))
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    secret_hash: Vec<u8>,
    expires_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
}

/// Checks an operator session token: live, not idle, not ended.
pub async fn authenticate(central: &Central, token: &str) -> Result<OperatorSession> {
    let invalid = || Error::unauthorized("operator_session_invalid", "Sesión de operador inválida");
    if central.settings.platform_admin_token.is_none() {
        return Err(disabled());
    }
    let rest = token.strip_prefix(TOKEN_PREFIX).ok_or_else(invalid)?;
    let (id, secret) = rest.split_once('.').ok_or_else(invalid)?;
    let id: Uuid = id.parse().map_err(|_| invalid())?;
    let secret = hex::decode(secret).map_err(|_| invalid())?;
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT secret_hash, expires_at, last_seen_at, ended_at, clock_timestamp() AS now
         FROM platform_sessions WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&central.dbs.master)
    .await?;
    let row = row.ok_or_else(invalid)?;
    if !bool::from(Sha256::digest(&secret).as_slice().ct_eq(&row.secret_hash)) || row.ended_at.is_some() {
        return Err(invalid());
    }
    let idle = Duration::minutes(i64::from(central.settings.hq_session_idle_minutes));
    if row.now >= row.expires_at || row.now - row.last_seen_at >= idle {
        return Err(invalid());
    }
    if row.now - row.last_seen_at >= Duration::minutes(1) {
        sqlx::query("UPDATE platform_sessions SET last_seen_at = $2 WHERE id = $1")
            .bind(id)
            .bind(row.now)
            .execute(&central.dbs.master)
            .await?;
    }
    Ok(OperatorSession { id })
}

pub async fn logout(central: &Central, session: &OperatorSession) -> Result<()> {
    sqlx::query(
        "UPDATE platform_sessions SET ended_at = clock_timestamp() WHERE id = $1 AND ended_at IS NULL",
    )
    .bind(session.id)
    .execute(&central.dbs.master)
    .await?;
    Ok(())
}

/// A tenant as the operator oversees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TenantOverview {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub status: String,
    pub is_active: bool,
    /// Where its database lives (the cluster's address, no password).
    pub cluster: String,
    pub db_name: String,
    pub schema_version: i32,
    /// The version every tenant database should be at.
    pub latest_version: i32,
    pub devices_active: i64,
    pub devices_revoked: i64,
    /// The last time any of its devices reached central.
    pub last_sync_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct OverviewRow {
    id: Uuid,
    name: String,
    slug: String,
    status: String,
    is_active: bool,
    cluster_url: String,
    db_name: String,
    schema_version: i32,
    devices_active: i64,
    devices_revoked: i64,
    last_sync_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

/// Every tenant with its cluster, migration version, devices and last sync,
/// from the master database alone (one query, whatever the number of tenants).
pub async fn tenants(central: &Central) -> Result<Vec<TenantOverview>> {
    let rows: Vec<OverviewRow> = sqlx::query_as(
        "SELECT t.id, t.name, t.slug, t.status, t.is_active, t.cluster_url, t.db_name, t.schema_version,
                count(d.id) FILTER (WHERE d.revoked_at IS NULL) AS devices_active,
                count(d.id) FILTER (WHERE d.revoked_at IS NOT NULL) AS devices_revoked,
                max(d.last_seen_at) AS last_sync_at, t.created_at
         FROM tenants t LEFT JOIN devices d ON d.tenant_id = t.id
         GROUP BY t.id ORDER BY t.created_at, t.id",
    )
    .fetch_all(&central.dbs.master)
    .await?;
    let latest = migrate::latest_version(&migrate::tenant_migrations());
    Ok(rows
        .into_iter()
        .map(|r| TenantOverview {
            id: r.id,
            name: r.name,
            slug: r.slug,
            status: r.status,
            is_active: r.is_active,
            cluster: settings::strip_password(&r.cluster_url),
            db_name: r.db_name,
            schema_version: r.schema_version,
            latest_version: latest,
            devices_active: r.devices_active,
            devices_revoked: r.devices_revoked,
            last_sync_at: r.last_sync_at,
            created_at: r.created_at,
        })
        .collect())
}
