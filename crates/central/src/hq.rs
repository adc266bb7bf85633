//! Headquarters accounts: email and password, sessions, and the caller they
//! authenticate.
//!
//! A PIN of 4 to 6 digits opens a shift at a counter; it never opens the
//! powers of headquarters (managing staff, devices, branches, the theme,
//! conflicts, approvals). Those need an HQ account: an email unique across the
//! platform, a bcrypt password (cost ≥ 12, hashed off the async threads) and
//! a server-side session row whose secret the client holds as
//! `nxh.<session id>.<secret>` — the same rows will back the console's cookie.
//! A session ends at logout, after `hq_session_idle_minutes` without use, or
//! `hq_session_hours` after login, whichever comes first. Logins are
//! throttled per email and per source address (`crate::throttle`), and every
//! login, failed or not, and every change is audited in the tenant's chain.

use chrono::{DateTime, Duration, Utc};
use nexus_domain::employee::Actor;
use nexus_domain::permission::Grants;
use nexus_domain::{DomainError, EmployeeId, Percent, Permission, PermissionSet, Role, TenantId};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, Change, Origin};
use crate::db::TenantRecord;
use crate::secret::ShownOnce;
use crate::throttle::{self, Ledger, Scope, Subject};
use crate::totp;
use crate::{Central, Error, Result};

/// Shortest password an HQ account may have.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// bcrypt reads at most 72 bytes; a longer password would be cut silently.
pub const MAX_PASSWORD_BYTES: usize = 72;
pub const MAX_EMAIL_CHARS: usize = 254;

const TOKEN_PREFIX: &str = "nxh.";

/// What a person does at headquarters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HqRole {
    /// Every power, including approving what a till asked for.
    Owner,
    /// Staff, branches, devices and configuration, like an admin at a store.
    Admin,
    /// The books and the reports.
    Accountant,
    /// Reads configuration, reports and cash; changes nothing.
    Auditor,
}

impl HqRole {
    pub const ALL: [HqRole; 4] = [HqRole::Owner, HqRole::Admin, HqRole::Accountant, HqRole::Auditor];

    pub const fn code(self) -> &'static str {
        match self {
            HqRole::Owner => "owner",
            HqRole::Admin => "admin",
            HqRole::Accountant => "accountant",
            HqRole::Auditor => "auditor",
        }
    }

    pub fn parse(text: &str) -> Result<HqRole, DomainError> {
        HqRole::ALL.into_iter().find(|r| r.code() == text.trim()).ok_or(DomainError::Invalid {
            field: "role",
            reason: "debe ser owner, admin, accountant o auditor",
        })
    }

    /// What the role may do, in the terms every permission check uses. The
    /// `Role` only matters for the owner, who passes every check.
    pub fn grants(self) -> Grants {
        match self {
            HqRole::Owner => Grants { role: Role::Owner, permissions: Role::Owner.default_permissions() },
            HqRole::Admin => Grants { role: Role::Admin, permissions: Role::Admin.default_permissions() },
            HqRole::Accountant => {
                Grants { role: Role::Accountant, permissions: Role::Accountant.default_permissions() }
            }
            HqRole::Auditor => Grants {
                role: Role::Accountant,
                permissions: [Permission::ConfigView, Permission::ReportsView, Permission::CashView]
                    .into_iter()
                    .collect(),
            },
        }
    }

    /// The largest discount this role may hand out to staff.
    fn max_discount(self) -> Percent {
        match self {
            HqRole::Owner | HqRole::Admin => Percent::from_hundredths(10_000).unwrap_or(Percent::ZERO),
            HqRole::Accountant | HqRole::Auditor => Percent::ZERO,
        }
    }
}

/// An HQ account as its holder and the API see it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HqAccount {
    pub id: Uuid,
    #[schema(value_type = String, format = Uuid)]
    pub tenant_id: TenantId,
    pub tenant_name: String,
    pub email: String,
    pub name: String,
    pub role: HqRole,
    pub permissions: PermissionSet,
    pub created_at: DateTime<Utc>,
}

/// `POST /v1/hq/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HqLoginRequest {
    #[schema(max_length = 254, example = "dueno@demo.nexuspos.mx")]
    pub email: String,
    #[schema(value_type = String, min_length = 1, max_length = 72, format = Password)]
    pub password: SecretString,
    /// The current code of the authenticator app, when the account has
    /// two-factor login on.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{6}$")]
    pub totp: Option<SecretString>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HqLoginResponse {
    /// `nxh.<session id>.<secret>`, for `Authorization: Bearer`; shown once.
    #[schema(value_type = String)]
    pub token: ShownOnce,
    pub expires_at: DateTime<Utc>,
    pub account: HqAccount,
}

/// Someone authenticated by a live HQ session, re-checked on every request:
/// a deactivated account, an ended or expired session is refused at once.
#[derive(Clone, Debug)]
pub struct HqCaller {
    pub tenant: TenantRecord,
    pub db: PgPool,
    pub account_id: Uuid,
    pub session_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: HqRole,
    pub grants: Grants,
    /// The tenant employee this person also is (the owner), if any.
    pub employee_id: Option<EmployeeId>,
    pub ip_address: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The tenant requires two-factor login and this account has not set it
    /// up: the session may only do that (and log out).
    pub needs_totp: bool,
}

impl HqCaller {
    pub fn tenant_id(&self) -> TenantId {
        TenantId(self.tenant.id)
    }

    /// Refuses with the permissions the caller lacks.
    pub fn require(&self, required: &[Permission]) -> Result<()> {
        let missing = self.grants.missing(required);
        if missing.is_empty() { Ok(()) } else { Err(Error::MissingPermissions { missing }) }
    }

    /// Refuses anyone but the tenant's owner.
    pub fn require_owner(&self) -> Result<()> {
        if self.role == HqRole::Owner {
            Ok(())
        } else {
            Err(Error::forbidden(
                "hq_owner_required",
                "Solo el dueño puede hacer esto desde la oficina central",
            ))
        }
    }

    /// Where audit entries say a change came from: the account (as a
    /// `hq:<account id>` device) and, for the owner, the owner employee.
    pub fn origin(&self) -> Origin {
        Origin {
            employee_id: self.employee_id.map(|e| e.0),
            device_id: Some(format!("hq:{}", self.account_id)),
            ip_address: self.ip_address.clone(),
            branch_id: None,
        }
    }

    /// The caller as the employee rules see an actor. An account that is not
    /// an employee acts under its own id, which matches no employee.
    pub fn actor(&self) -> Actor {
        Actor {
            employee_id: self.employee_id.unwrap_or(EmployeeId(self.account_id)),
            grants: self.grants.clone(),
            max_discount: self.role.max_discount(),
        }
    }

    pub fn account(&self) -> HqAccount {
        HqAccount {
            id: self.account_id,
            tenant_id: self.tenant_id(),
            tenant_name: self.tenant.name.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role,
            permissions: self.grants.permissions.clone(),
            created_at: self.created_at,
        }
    }
}

/// Trims and lower-cases an email and checks its shape.
pub fn normalize_email(text: &str) -> Result<String, DomainError> {
    let email = text.trim().to_lowercase();
    if email.is_empty() {
        return Err(DomainError::Required { field: "email" });
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(DomainError::TooLong { field: "email", max: MAX_EMAIL_CHARS });
    }
    let shaped = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
    });
    if !shaped
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
        || email.matches('@').count() != 1
    {
        return Err(DomainError::Invalid { field: "email", reason: "no es un correo válido" });
    }
    Ok(email)
}

/// Checks a password someone chose.
pub fn check_password(field: &'static str, password: &SecretString) -> Result<(), DomainError> {
    let text = password.expose_secret();
    if text.chars().count() < MIN_PASSWORD_CHARS {
        return Err(DomainError::Invalid { field, reason: "debe tener al menos 12 caracteres" });
    }
    if text.len() > MAX_PASSWORD_BYTES {
        return Err(DomainError::Invalid { field, reason: "admite a lo más 72 bytes" });
    }
    if text.chars().any(char::is_control) {
        return Err(DomainError::Invalid { field, reason: "contiene caracteres de control" });
    }
    Ok(())
}

/// Letters and digits that read aloud and type without doubt.
const PASSWORD_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A random password of 4 groups of 5 (about 114 bits), to be shown once.
pub fn generate_password() -> Result<SecretString> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no random source: {e}"))?;
    // 256 is not a multiple of the alphabet's length; the bias is far below
    // what a guesser could use.
    let chars: Vec<char> =
        bytes.iter().map(|b| PASSWORD_ALPHABET[usize::from(*b) % PASSWORD_ALPHABET.len()] as char).collect();
    let text = chars.chunks(5).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-");
    Ok(SecretString::from(text))
}

/// An account to create.
pub struct NewHqAccount<'a> {
    pub tenant_id: TenantId,
    pub email: &'a str,
    pub name: &'a str,
    pub role: HqRole,
    pub employee_id: Option<EmployeeId>,
    /// Chosen by the person; a generated one is returned when absent.
    pub password: Option<&'a SecretString>,
}

/// An account checked and hashed, ready to be written.
pub struct PreparedAccount {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub email: String,
    pub name: String,
    pub role: HqRole,
    pub employee_id: Option<EmployeeId>,
    password_hash: String,
    /// The password, when it was generated here: show it once.
    pub generated_password: Option<ShownOnce>,
}

/// Checks an account and hashes its password (off the async threads); writes nothing.
pub async fn prepare(central: &Central, new: &NewHqAccount<'_>) -> Result<PreparedAccount> {
    let email = normalize_email(new.email)?;
    let name = nexus_domain::error::required_text("name", new.name, 200)?;
    let (password, generated) = match new.password {
        Some(p) => {
            check_password("password", p)?;
            (p.clone(), None)
        }
        None => {
            let p = generate_password()?;
            let shown = ShownOnce::new(p.expose_secret());
            (p, Some(shown))
        }
    };
    let password_hash = central.hash_password(&password).await?;
    Ok(PreparedAccount {
        id: Uuid::now_v7(),
        tenant_id: new.tenant_id,
        email,
        name,
        role: new.role,
        employee_id: new.employee_id,
        password_hash,
        generated_password: generated,
    })
}

fn email_taken() -> Error {
    Error::conflict("hq_email_taken", "Ese correo ya tiene una cuenta de oficina central")
}

/// Refuses an email some account already has (before slow work is done).
pub async fn check_email_free(central: &Central, email: &str) -> Result<()> {
    let taken: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM hq_accounts WHERE email = $1)")
        .bind(email)
        .fetch_one(&central.dbs.master)
        .await?;
    if taken { Err(email_taken()) } else { Ok(()) }
}

/// Writes a prepared account in the master database.
pub async fn insert(master: &mut PgConnection, a: &PreparedAccount) -> Result<()> {
    sqlx::query(
        "INSERT INTO hq_accounts (id, tenant_id, email, name, role, employee_id, password_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(a.id)
    .bind(a.tenant_id.0)
    .bind(&a.email)
    .bind(&a.name)
    .bind(a.role.code())
    .bind(a.employee_id.map(|e| e.0))
    .bind(&a.password_hash)
    .execute(&mut *master)
    .await
    .map_err(|e| match crate::error::violated_constraint(&e) {
        Some("hq_accounts_email_key") => email_taken(),
        _ => e.into(),
    })?;
    Ok(())
}

/// The audit entry of a new account (never its password).
pub fn created_change(a: &PreparedAccount) -> Change {
    Change {
        action: "HQ_ACCOUNT_CREATE",
        entity_type: "hq_account",
        entity_id: Some(a.id.to_string()),
        old_value: None,
        new_value: Some(serde_json::json!({
            "email": a.email,
            "name": a.name,
            "role": a.role,
            "employee_id": a.employee_id,
        })),
    }
}

/// Creates an account of an existing tenant (`pos-central hq add`), audited
/// in the tenant's chain as done by `origin`.
pub async fn add(central: &Central, new: &NewHqAccount<'_>, origin: &Origin) -> Result<PreparedAccount> {
    let (_, db) = central.tenant(new.tenant_id.0).await?;
    check_email_free(central, &normalize_email(new.email)?).await?;
    let prepared = prepare(central, new).await?;
    let mut master = central.dbs.master.begin().await?;
    insert(&mut master, &prepared).await?;
    let mut tx = db.begin().await?;
    audit::record(&mut tx, origin, created_change(&prepared)).await?;
    // The master row commits last: an account never exists unaudited.
    tx.commit().await?;
    master.commit().await?;
    Ok(prepared)
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: Uuid,
    tenant_id: Uuid,
    email: String,
    name: String,
    role: String,
    employee_id: Option<Uuid>,
    password_hash: String,
    is_active: bool,
    created_at: DateTime<Utc>,
    totp_secret: Option<Vec<u8>>,
    totp_last_step: i64,
}

fn login_failed() -> Error {
    Error::unauthorized("hq_login_failed", "Correo o contraseña incorrectos")
}

fn random_secret() -> Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no random source: {e}"))?;
    Ok(bytes)
}

/// Email and password login: throttles, one bcrypt verify (against a decoy
/// when the email is unknown, so both cost the same), the attempt recorded
/// and audited, and a new session.
pub async fn login(
    central: &Central,
    req: &HqLoginRequest,
    ip_address: Option<String>,
) -> Result<HqLoginResponse> {
    let email = normalize_email(&req.email)?;
    if req.password.expose_secret().is_empty() {
        return Err(DomainError::Required { field: "password" }.into());
    }
    let mut subjects = vec![Subject::new(Scope::HqEmail, email.clone())];
    if let Some(ip) = &ip_address {
        subjects.push(Subject::new(Scope::HqAddress, ip.clone()));
    }
    let account: Option<AccountRow> = sqlx::query_as(
        "SELECT id, tenant_id, email, name, role, employee_id, password_hash, is_active, created_at,
                totp_secret, totp_last_step
         FROM hq_accounts WHERE email = $1",
    )
    .bind(&email)
    .fetch_optional(&central.dbs.master)
    .await?;
    let tenant_db = match &account {
        Some(a) => central.tenant(a.tenant_id).await.ok(),
        None => None,
    };
    let origin = |employee_id: Option<Uuid>| Origin {
        employee_id,
        device_id: account.as_ref().map(|a| format!("hq:{}", a.id)),
        ip_address: ip_address.clone(),
        branch_id: None,
    };
    let attempt = match throttle::begin(
        &central.dbs.master,
        Ledger::Hq { email: &email, ip_address: ip_address.as_deref() },
        &subjects,
    )
    .await?
    {
        Ok(attempt) => attempt,
        Err(blocked) => {
            if let (Some(a), Some((_, db))) = (&account, &tenant_db) {
                audit_attempt(
                    db,
                    &origin(None),
                    "HQ_LOGIN_BLOCKED",
                    a.id,
                    Some(serde_json::json!({ "throttle": blocked.scope.code() })),
                )
                .await?;
            }
            return Err(blocked.into_error());
        }
    };
    let verified =
        central.verify_password(&req.password, account.as_ref().map(|a| a.password_hash.clone())).await?;
    let usable = account.as_ref().filter(|a| verified && a.is_active);
    let (Some(a), Some((tenant, db))) = (usable, tenant_db.clone()) else {
        throttle::fail(&central.dbs.master, attempt, &subjects).await?;
        if let (Some(a), Some((_, db))) = (&account, &tenant_db) {
            audit_attempt(db, &origin(None), "HQ_LOGIN_FAILED", a.id, None).await?;
        }
        tracing::info!(email = %email, "HQ login refused");
        return Err(login_failed());
    };
    // The second factor, when the account has it on: a current code, once.
    let factor = totp::LoginFactor::from_row(central, a.id, a.totp_secret.as_deref(), a.totp_last_step);
    if factor.enabled() {
        let code = req.totp.as_ref().map(|c| c.expose_secret().trim().to_owned()).unwrap_or_default();
        let step = if code.is_empty() { None } else { factor.check(&code, attempt.at)? };
        let spent = match step {
            Some(step) => totp::spend_step(central, a.id, step).await?,
            None => false,
        };
        if !spent {
            throttle::fail(&central.dbs.master, attempt, &subjects).await?;
            let detail = serde_json::json!({ "factor": "totp" });
            audit_attempt(&db, &origin(None), "HQ_LOGIN_FAILED", a.id, Some(detail)).await?;
            return Err(if code.is_empty() {
                Error::unauthorized("totp_required", "Escribe el código de verificación de tu aplicación")
            } else {
                Error::unauthorized("totp_invalid", "El código de verificación no es correcto o ya se usó")
            });
        }
    }
    throttle::succeed(&central.dbs.master, attempt, a.id).await?;
    let role = HqRole::parse(&a.role)?;
    let secret = random_secret()?;
    let session_id = Uuid::now_v7();
    let expires_at = attempt.at + Duration::hours(i64::from(central.settings.hq_session_hours));
    sqlx::query(
        "INSERT INTO hq_sessions (id, account_id, secret_hash, ip_address, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $5, $6)",
    )
    .bind(session_id)
    .bind(a.id)
    .bind(Sha256::digest(secret).to_vec())
    .bind(&ip_address)
    .bind(attempt.at)
    .bind(expires_at)
    .execute(&central.dbs.master)
    .await?;
    let mut tx = db.begin().await?;
    audit::record(
        &mut tx,
        &origin(a.employee_id),
        Change {
            action: "HQ_LOGIN",
            entity_type: "hq_account",
            entity_id: Some(a.id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({ "session": session_id })),
        },
    )
    .await?;
    tx.commit().await?;
    let grants = role.grants();
    Ok(HqLoginResponse {
        token: ShownOnce::new(format!("{TOKEN_PREFIX}{session_id}.{}", hex::encode(secret))),
        expires_at,
        account: HqAccount {
            id: a.id,
            tenant_id: TenantId(tenant.id),
            tenant_name: tenant.name,
            email: a.email.clone(),
            name: a.name.clone(),
            role,
            permissions: grants.permissions,
            created_at: a.created_at,
        },
    })
}

async fn audit_attempt(
    db: &PgPool,
    origin: &Origin,
    action: &'static str,
    account: Uuid,
    detail: Option<serde_json::Value>,
) -> Result<()> {
    let mut tx = db.begin().await?;
    audit::record(
        &mut tx,
        origin,
        Change {
            action,
            entity_type: "hq_account",
            entity_id: Some(account.to_string()),
            old_value: None,
            new_value: detail,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether a bearer token is an HQ session token at all (as opposed to a
/// counter token or a device credential).
pub fn is_hq_token(token: &str) -> bool {
    token.starts_with(TOKEN_PREFIX)
}

fn parse_token(token: &str) -> Option<(Uuid, Vec<u8>)> {
    let rest = token.strip_prefix(TOKEN_PREFIX)?;
    let (id, secret) = rest.split_once('.')?;
    let secret = hex::decode(secret).ok().filter(|s| s.len() == 32)?;
    Some((id.parse().ok()?, secret))
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    secret_hash: Vec<u8>,
    expires_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    account_id: Uuid,
    tenant_id: Uuid,
    email: String,
    name: String,
    role: String,
    employee_id: Option<Uuid>,
    is_active: bool,
    created_at: DateTime<Utc>,
    totp_on: bool,
    totp_required: bool,
}

/// Authenticates an HQ session token.
pub async fn authenticate(central: &Central, token: &str, ip_address: Option<String>) -> Result<HqCaller> {
    let invalid = || Error::unauthorized("hq_session_invalid", "Sesión inválida; inicia sesión de nuevo");
    let (session_id, secret) = parse_token(token).ok_or_else(invalid)?;
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT s.secret_hash, s.expires_at, s.last_seen_at, s.ended_at, clock_timestamp() AS now,
                a.id AS account_id, a.tenant_id, a.email, a.name, a.role, a.employee_id, a.is_active, a.created_at,
                a.totp_enabled_at IS NOT NULL AS totp_on, t.hq_totp_required AS totp_required
         FROM hq_sessions s JOIN hq_accounts a ON a.id = s.account_id JOIN tenants t ON t.id = a.tenant_id
         WHERE s.id = $1",
    )
    .bind(session_id)
    .fetch_optional(&central.dbs.master)
    .await?;
    let row = row.ok_or_else(invalid)?;
    if !bool::from(Sha256::digest(&secret).as_slice().ct_eq(&row.secret_hash)) {
        return Err(invalid());
    }
    if row.ended_at.is_some() {
        return Err(Error::unauthorized("hq_session_ended", "La sesión terminó; inicia sesión de nuevo"));
    }
    let idle = Duration::minutes(i64::from(central.settings.hq_session_idle_minutes));
    if row.now >= row.expires_at || row.now - row.last_seen_at >= idle {
        return Err(Error::unauthorized("hq_session_expired", "La sesión expiró; inicia sesión de nuevo"));
    }
    if !row.is_active {
        return Err(Error::unauthorized("hq_account_inactive", "La cuenta está desactivada"));
    }
    let (tenant, db) = central.tenant(row.tenant_id).await.map_err(|e| match e {
        Error::NotFound { .. } => {
            Error::unauthorized("tenant_inactive", "La empresa no existe o está desactivada")
        }
        other => other,
    })?;
    // Keeping the session alive costs a write at most once a minute.
    if row.now - row.last_seen_at >= Duration::minutes(1) {
        sqlx::query("UPDATE hq_sessions SET last_seen_at = $2 WHERE id = $1")
            .bind(session_id)
            .bind(row.now)
            .execute(&central.dbs.master)
            .await?;
    }
    let role = HqRole::parse(&row.role)?;
    Ok(HqCaller {
        tenant,
        db,
        account_id: row.account_id,
        session_id,
        email: row.email,
        name: row.name,
        role,
        grants: role.grants(),
        employee_id: row.employee_id.map(EmployeeId),
        ip_address,
        created_at: row.created_at,
        needs_totp: row.totp_required && !row.totp_on,
    })
}

/// Ends the caller's session, or every session of their account.
pub async fn logout(central: &Central, caller: &HqCaller, everywhere: bool) -> Result<()> {
    let ended: Vec<Uuid> = if everywhere {
        sqlx::query_scalar(
            "UPDATE hq_sessions SET ended_at = clock_timestamp() WHERE account_id = $1 AND ended_at IS NULL
             RETURNING id",
        )
        .bind(caller.account_id)
        .fetch_all(&central.dbs.master)
        .await?
    } else {
        sqlx::query_scalar(
            "UPDATE hq_sessions SET ended_at = clock_timestamp() WHERE id = $1 AND ended_at IS NULL RETURNING id",
        )
        .bind(caller.session_id)
        .fetch_all(&central.dbs.master)
        .await?
    };
    let mut tx = caller.db.begin().await?;
    audit::record(
        &mut tx,
        &caller.origin(),
        Change {
            action: if everywhere { "HQ_LOGOUT_EVERYWHERE" } else { "HQ_LOGOUT" },
            entity_type: "hq_account",
            entity_id: Some(caller.account_id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({ "sessions": ended })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A tenant's HQ accounts as the owner manages them.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct AccountSummary {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
}

/// Every HQ account of a tenant.
pub async fn accounts(central: &Central, tenant: Uuid) -> Result<Vec<AccountSummary>> {
    Ok(sqlx::query_as(
        "SELECT id, email, name, role, is_active, created_at FROM hq_accounts
         WHERE tenant_id = $1 ORDER BY created_at, id",
    )
    .bind(tenant)
    .fetch_all(&central.dbs.master)
    .await?)
}

/// Deactivates or reactivates an HQ account of the caller's tenant (the
/// owner only, never their own): a deactivated account's sessions are
/// refused at once, and they end.
pub async fn set_active(
    central: &Central,
    caller: &HqCaller,
    id: Uuid,
    active: bool,
) -> Result<AccountSummary> {
    caller.require_owner()?;
    if id == caller.account_id {
        return Err(DomainError::Invalid {
            field: "account",
            reason: "no puedes desactivar tu propia cuenta",
        }
        .into());
    }
    let mut master = central.dbs.master.begin().await?;
    let changed: Option<AccountSummary> = sqlx::query_as(
        "UPDATE hq_accounts SET is_active = $3 WHERE id = $1 AND tenant_id = $2
         RETURNING id, email, name, role, is_active, created_at",
    )
    .bind(id)
    .bind(caller.tenant.id)
    .bind(active)
    .fetch_optional(&mut *master)
    .await?;
    let changed = changed.ok_or_else(|| Error::not_found("hq_account_not_found", "Cuenta no encontrada"))?;
    if !active {
        sqlx::query(
            "UPDATE hq_sessions SET ended_at = clock_timestamp() WHERE account_id = $1 AND ended_at IS NULL",
        )
        .bind(id)
        .execute(&mut *master)
        .await?;
    }
    let mut tx = caller.db.begin().await?;
    audit::record(
        &mut tx,
        &caller.origin(),
        Change {
            action: if active { "HQ_ACCOUNT_REACTIVATE" } else { "HQ_ACCOUNT_DEACTIVATE" },
            entity_type: "hq_account",
            entity_id: Some(id.to_string()),
            old_value: Some(serde_json::json!({ "is_active": !active })),
            new_value: Some(serde_json::json!({ "is_active": active })),
        },
    )
    .await?;
    tx.commit().await?;
    master.commit().await?;
    Ok(changed)
}
