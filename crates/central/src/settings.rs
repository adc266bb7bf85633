//! Typed settings: defaults, then an optional TOML file, then `NEXUS_*`
//! environment variables, each overriding the one before.
//!
//! Secrets (the token key, the PIN key master secret, the platform admin
//! token) have no default: the service refuses to start without them, or with
//! one too weak to protect anything.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

pub use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// The master database (tenants, devices, login attempts).
    pub master_database_url: String,
    /// PostgreSQL clusters that may hold tenant databases, as URLs without a
    /// database name and without a password (use `~/.pgpass` or `PGPASSWORD`).
    /// A new tenant goes to the cluster holding the fewest tenants. Empty
    /// means the master's cluster.
    pub clusters: Vec<String>,
    /// Name of the template database every tenant database is copied from,
    /// one per cluster.
    pub template_database: String,
    /// Prefix of tenant database names; the rest is the tenant's UUID.
    pub tenant_database_prefix: String,
    /// HS256 key for tokens; at least 32 bytes.
    pub jwt_secret: SecretString,
    /// Master secret from which each tenant's PIN lookup key is derived.
    pub pin_key_secret: SecretString,
    /// Bearer token of the platform administrator (tenant provisioning over
    /// HTTP). Without it, `POST /v1/tenants` is refused.
    pub platform_admin_token: Option<SecretString>,
    /// bcrypt cost of PIN hashes (at least 10).
    pub bcrypt_cost: u32,
    /// bcrypt cost of headquarters passwords (at least 12).
    pub hq_bcrypt_cost: u32,
    /// An HQ session ends after this many minutes without a request.
    pub hq_session_idle_minutes: u32,
    /// An HQ session ends this many hours after login, however busy.
    pub hq_session_hours: u32,
    /// Addresses of the load balancers or proxies in front of central. From
    /// them, the client's address is read from `X-Forwarded-For` (the last
    /// hop that is not one of them); from anyone else the header is ignored,
    /// so nobody dodges a per-address throttle by writing it.
    pub trusted_proxies: Vec<IpAddr>,
    /// At most this many tenant connection pools stay open; the least recently
    /// used one is closed to make room.
    pub max_tenant_pools: usize,
    /// Connections per tenant pool.
    pub tenant_pool_size: u32,
    /// Connections of the master pool.
    pub master_pool_size: u32,
    /// Tenant databases migrated at once by `migrate`.
    pub migrate_concurrency: usize,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// A live board sends a fresh copy at least this often (seconds), even
    /// without a change: time alone makes a silent device offline.
    pub board_refresh_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".parse().expect("valid address"),
            master_database_url: "postgres://postgres@127.0.0.1:5432/nexus_master".to_owned(),
            clusters: Vec::new(),
            template_database: "nexus_tenant_template".to_owned(),
            tenant_database_prefix: "tenant_".to_owned(),
            jwt_secret: SecretString::default(),
            pin_key_secret: SecretString::default(),
            platform_admin_token: None,
            bcrypt_cost: 10,
            hq_bcrypt_cost: MIN_HQ_BCRYPT_COST,
            hq_session_idle_minutes: 30,
            hq_session_hours: 12,
            trusted_proxies: Vec::new(),
            max_tenant_pools: 200,
            tenant_pool_size: 4,
            master_pool_size: 10,
            migrate_concurrency: 8,
            max_body_bytes: 256 * 1024,
            board_refresh_secs: 30,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read settings file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("settings file {path} is invalid: {source}")]
    Parse { path: String, source: Box<toml::de::Error> },
    #[error("environment variable {name} is invalid: {reason}")]
    Env { name: String, reason: String },
    #[error("{0}")]
    Invalid(String),
}

/// Secrets shipped in examples and old configurations; never acceptable.
const KNOWN_SECRETS: &[&str] = &["nexus-pos-secret-change-in-prod-2026", "secret", "changeme"];

/// The smallest bcrypt cost of a headquarters password.
pub const MIN_HQ_BCRYPT_COST: u32 = 12;

fn check_secret(name: &str, secret: &SecretString) -> Result<(), SettingsError> {
    let value = secret.expose_secret();
    if value.is_empty() {
        return Err(SettingsError::Invalid(format!("{name} is not set (NEXUS_{})", name.to_uppercase())));
    }
    let distinct = value.bytes().collect::<std::collections::BTreeSet<_>>().len();
    if value.len() < 32 || distinct < 10 || KNOWN_SECRETS.iter().any(|k| value.eq_ignore_ascii_case(k)) {
        return Err(SettingsError::Invalid(format!(
            "{name} is too weak: use at least 32 random bytes (e.g. `openssl rand -hex 32`)"
        )));
    }
    Ok(())
}

impl Settings {
    /// Loads defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, SettingsError> {
        let mut settings = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| SettingsError::Read { path: path.display().to_string(), source })?;
                toml::from_str(&text).map_err(|source| SettingsError::Parse {
                    path: path.display().to_string(),
                    source: Box::new(source),
                })?
            }
            None => Settings::default(),
        };
        settings.apply_env(|name| std::env::var(name).ok())?;
        Ok(settings)
    }

    /// Overrides fields from `NEXUS_<FIELD>` variables read through `var`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), SettingsError> {
        fn parse<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, SettingsError>
        where
            T::Err: fmt::Display,
        {
            value
                .parse()
                .map_err(|e: T::Err| SettingsError::Env { name: name.to_owned(), reason: e.to_string() })
        }
        let get = |field: &str| {
            let name = format!("NEXUS_{}", field.to_uppercase());
            var(&name).map(|v| (name, v))
        };
        if let Some((n, v)) = get("listen") {
            self.listen = parse(&n, &v)?;
        }
        if let Some((_, v)) = get("master_database_url") {
            self.master_database_url = v;
        }
        if let Some((_, v)) = get("clusters") {
            self.clusters =
                v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        }
        if let Some((_, v)) = get("template_database") {
            self.template_database = v;
        }
        if let Some((_, v)) = get("tenant_database_prefix") {
            self.tenant_database_prefix = v;
        }
        if let Some((_, v)) = get("jwt_secret") {
            self.jwt_secret = SecretString::from(v);
        }
        if let Some((_, v)) = get("pin_key_secret") {
            self.pin_key_secret = SecretString::from(v);
        }
        if let Some((_, v)) = get("platform_admin_token") {
            self.platform_admin_token = Some(SecretString::from(v)).filter(|s| !s.expose_secret().is_empty());
        }
        if let Some((n, v)) = get("bcrypt_cost") {
            self.bcrypt_cost = parse(&n, &v)?;
        }
        if let Some((n, v)) = get("hq_bcrypt_cost") {
            self.hq_bcrypt_cost = parse(&n, &v)?;
        }
        if let Some((n, v)) = get("hq_session_idle_minutes") {
            self.hq_session_idle_minutes = parse(&n, &v)?;
        }
        if let Some((n, v)) = get("hq_session_hours") {
            self.hq_session_hours = parse(&n, &v)?;
        }
        if let Some((n, v)) = get("trusted_proxies") {
            self.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| parse(&n, s))
                .collect::<Result<_, _>>()?;
        }
        if let Some((n, v)) = get("max_tenant_pools") {
            self.max_tenant_pools = parse(&n, &v)?;
        }
        if let Some((n, v)) = get("tenant_pool_size") {
            self.tenant_pool_size = parse(&n, &v)?;
        }
        if let Some((n, v)) = get("master_pool_size") {
            self.master_pool_size = parse(&n, &v)?;
        }
        if let Some((n, v)) = get("migrate_concurrency") {
            self.migrate_concurrency = parse(&n, &v)?;
        }
        if let Some((n, v)) = get("max_body_bytes") {
            self.max_body_bytes = parse(&n, &v)?;
        }
        if let Some((n, v)) = get("board_refresh_secs") {
            self.board_refresh_secs = parse(&n, &v)?;
        }
        Ok(())
    }

    /// Refuses settings the service must not run with.
    pub fn validate(&self) -> Result<(), SettingsError> {
        check_secret("jwt_secret", &self.jwt_secret)?;
        check_secret("pin_key_secret", &self.pin_key_secret)?;
        if let Some(token) = &self.platform_admin_token {
            check_secret("platform_admin_token", token)?;
        }
        if self.bcrypt_cost < nexus_domain::pin::MIN_BCRYPT_COST || self.bcrypt_cost > 31 {
            return Err(SettingsError::Invalid("bcrypt_cost must be between 10 and 31".into()));
        }
        if self.hq_bcrypt_cost < MIN_HQ_BCRYPT_COST || self.hq_bcrypt_cost > 31 {
            return Err(SettingsError::Invalid("hq_bcrypt_cost must be between 12 and 31".into()));
        }
        if self.hq_session_idle_minutes == 0 || self.hq_session_hours == 0 {
            return Err(SettingsError::Invalid("HQ session lengths must be positive".into()));
        }
        let ident_ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 30
                && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        if !ident_ok(&self.template_database) || !ident_ok(&self.tenant_database_prefix) {
            return Err(SettingsError::Invalid(
                "template_database and tenant_database_prefix must be lowercase letters, digits or _ (≤ 30)"
                    .into(),
            ));
        }
        for url in self.tenant_clusters() {
            url.parse::<sqlx::postgres::PgConnectOptions>().map_err(|e| {
                SettingsError::Invalid(format!("cluster URL {} is invalid: {e}", strip_password(&url)))
            })?;
        }
        if self.max_tenant_pools == 0 || self.tenant_pool_size == 0 || self.migrate_concurrency == 0 {
            return Err(SettingsError::Invalid("pool sizes and concurrency must be positive".into()));
        }
        if !(1..=86_400).contains(&self.board_refresh_secs) {
            return Err(SettingsError::Invalid("board_refresh_secs must be between 1 and 86400".into()));
        }
        Ok(())
    }

    /// The clusters new tenants may be placed on, as configured (possibly
    /// with credentials).
    pub fn tenant_clusters(&self) -> Vec<String> {
        if self.clusters.is_empty() {
            vec![cluster_of(&self.master_database_url)]
        } else {
            self.clusters.clone()
        }
    }
}

/// The cluster part of a database URL: the URL with its path and query removed.
pub fn cluster_of(database_url: &str) -> String {
    let (scheme, rest) = database_url.split_once("://").unwrap_or(("postgres", database_url));
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    format!("{scheme}://{authority}")
}

/// A cluster URL without its password: what the master database stores, so
/// credentials stay in configuration.
pub fn strip_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, tail) = rest.find(['/', '?']).map_or((rest, ""), |i| rest.split_at(i));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRONG: &str = "3f1c9a7e5b2d8f4a6c0e9b7d5a3f1c8e";

    fn strong() -> Settings {
        Settings {
            jwt_secret: SecretString::from(STRONG),
            pin_key_secret: SecretString::from(STRONG.chars().rev().collect::<String>()),
            platform_admin_token: Some(SecretString::from(STRONG.to_uppercase())),
            ..Settings::default()
        }
    }

    #[test]
    fn missing_or_weak_secrets_are_refused() {
        let err = Settings::default().validate().unwrap_err().to_string();
        assert!(err.contains("jwt_secret is not set"), "{err}");
        for weak in ["short", "nexus-pos-secret-change-in-prod-2026", &"a".repeat(64)] {
            let s = Settings { jwt_secret: SecretString::from(weak), ..strong() };
            assert!(s.validate().unwrap_err().to_string().contains("too weak"), "{weak}");
        }
        assert!(strong().validate().is_ok());
    }

    #[test]
    fn environment_overrides_the_file() {
        let mut s = strong();
        s.apply_env(|name| match name {
            "NEXUS_LISTEN" => Some("0.0.0.0:9000".into()),
            "NEXUS_CLUSTERS" => Some("postgres://a@h1:5432, postgres://a@h2:5432".into()),
            "NEXUS_BCRYPT_COST" => Some("12".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.clusters, vec!["postgres://a@h1:5432", "postgres://a@h2:5432"]);
        assert_eq!(s.bcrypt_cost, 12);
        let bad = strong().apply_env(|n| (n == "NEXUS_BCRYPT_COST").then(|| "many".into()));
        assert!(bad.is_err());
    }

    #[test]
    fn secrets_never_print() {
        let printed = format!("{:?}", strong());
        for secret in [STRONG.to_owned(), STRONG.chars().rev().collect(), STRONG.to_uppercase()] {
            assert!(!printed.contains(&secret), "{printed}");
        }
    }

    #[test]
    fn trusted_proxies_come_from_the_environment_and_a_weak_hq_cost_is_refused() {
        let mut s = strong();
        s.apply_env(|n| (n == "NEXUS_TRUSTED_PROXIES").then(|| "10.0.0.1, ::1".into())).unwrap();
        assert_eq!(s.trusted_proxies, ["10.0.0.1".parse::<IpAddr>().unwrap(), "::1".parse().unwrap()]);
        assert!(strong().apply_env(|n| (n == "NEXUS_TRUSTED_PROXIES").then(|| "proxy".into())).is_err());
        let weak = Settings { hq_bcrypt_cost: 10, ..strong() };
        assert!(weak.validate().unwrap_err().to_string().contains("hq_bcrypt_cost"));
    }

    #[test]
    fn clusters_are_database_urls_without_the_database_or_the_password() {
        assert_eq!(cluster_of("postgres://u@h:5432/master?sslmode=disable"), "postgres://u@h:5432");
        assert_eq!(strip_password("postgres://u:p@ss@h:5432"), "postgres://u@h:5432");
        assert_eq!(strip_password("postgres://h:5432"), "postgres://h:5432");
        let s = Settings { clusters: vec!["postgres://u:pw@h:notaport".into()], ..strong() };
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("is invalid") && !err.contains("pw"), "{err}");
    }
}
