//! Tokens, PIN login and the authenticated caller.
//!
//! Login finds the one employee whose `pin_lookup` matches the keyed hash of
//! the PIN and verifies bcrypt once. Attempts are throttled per device in the
//! master database under a transaction lock, so every central instance — and
//! one restarted a second ago — counts the same failures. Every attempt is
//! audited in the tenant database.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use nexus_domain::claims::{AUDIENCE, Claims, EmployeeGrant, ISSUER, TokenType};
use nexus_domain::employee::Actor;
use nexus_domain::permission::Grants;
use nexus_domain::pin::Pin;
use nexus_domain::throttle::{ThrottlePolicy, Verdict};
use nexus_domain::{BranchId, EmployeeId, Percent, Permission, PermissionSet, Role, TenantId};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, Change, Origin};
use crate::db::TenantRecord;
use crate::settings::Secret;
use crate::{Central, Error, Result};

/// Signs and verifies tokens with the configured HS256 key. The algorithm
/// is pinned: a token claiming any other algorithm is refused.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn new(secret: &Secret) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 30;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
        }
    }

    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)?)
    }

    pub fn verify(&self, token: &str) -> Result<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => Error::unauthorized("token_expired", "El token expiró"),
                _ => Error::unauthorized("token_invalid", "Token inválido"),
            })
    }
}

/// An employee authenticated by a valid token, re-checked against the
/// database on every request: a deactivated employee or an ended session is
/// refused at once, whatever the token says.
#[derive(Clone, Debug)]
pub struct Caller {
    pub tenant: TenantRecord,
    pub db: PgPool,
    pub employee_id: EmployeeId,
    pub name: String,
    pub grants: Grants,
    pub branch_id: Option<BranchId>,
    pub max_discount: Percent,
    pub device_id: Option<String>,
    pub ip_address: Option<String>,
    pub token_id: Uuid,
}

impl Caller {
    pub fn tenant_id(&self) -> TenantId {
        TenantId(self.tenant.id)
    }

    pub fn role(&self) -> Role {
        self.grants.role
    }

    /// Refuses with the permissions the caller lacks.
    pub fn require(&self, required: &[Permission]) -> Result<()> {
        let missing = self.grants.missing(required);
        if missing.is_empty() { Ok(()) } else { Err(Error::MissingPermissions { missing }) }
    }

    pub fn origin(&self) -> Origin {
        Origin {
            employee_id: Some(self.employee_id.0),
            device_id: self.device_id.clone(),
            ip_address: self.ip_address.clone(),
            branch_id: self.branch_id.map(|b| b.0),
        }
    }

    pub fn actor(&self) -> Actor {
        Actor { employee_id: self.employee_id, grants: self.grants.clone(), max_discount: self.max_discount }
    }
}

#[derive(sqlx::FromRow)]
struct CallerRow {
    name: String,
    role: String,
    branch_id: Option<Uuid>,
    is_active: bool,
    max_discount_pct: String,
    permissions: Vec<String>,
    session_live: bool,
}

/// Authenticates a bearer token as an employee of the token's tenant.
pub async fn authenticate(central: &Central, token: &str, ip_address: Option<String>) -> Result<Caller> {
    let claims = central.tokens.verify(token)?;
    let (Some(employee_id), TokenType::Employee) = (claims.employee_id, claims.token_type) else {
        return Err(Error::unauthorized("wrong_token_type", "Este token no es de un empleado"));
    };
    let (tenant, db) = central.tenant(claims.tenant_id.0).await.map_err(|e| match e {
        Error::NotFound { .. } => {
            Error::unauthorized("tenant_inactive", "La empresa no existe o está desactivada")
        }
        other => other,
    })?;
    let row: Option<CallerRow> = sqlx::query_as(
        "SELECT e.name, e.role, e.branch_id, e.is_active, e.max_discount_pct::text AS max_discount_pct,
                ARRAY(SELECT p.permission::text FROM employee_permissions p WHERE p.employee_id = e.id) AS permissions,
                EXISTS (SELECT 1 FROM employee_sessions s
                        WHERE s.employee_id = e.id AND s.token = $2 AND s.expires_at > NOW()) AS session_live
         FROM employees e WHERE e.id = $1",
    )
    .bind(employee_id.0)
    .bind(claims.jti.to_string())
    .fetch_optional(&db)
    .await?;
    let row = row.filter(|r| r.is_active).ok_or_else(|| {
        Error::unauthorized("employee_inactive", "El empleado no existe o está desactivado")
    })?;
    if !row.session_live {
        return Err(Error::unauthorized("session_ended", "La sesión terminó; ingresa tu PIN de nuevo"));
    }
    let role: Role = row.role.parse().map_err(nexus_domain::DomainError::from)?;
    let permissions = PermissionSet::from_codes(&row.permissions).map_err(nexus_domain::DomainError::from)?;
    Ok(Caller {
        tenant,
        db,
        employee_id,
        name: row.name,
        grants: Grants { role, permissions },
        branch_id: row.branch_id.map(BranchId),
        max_discount: Percent::parse(&row.max_discount_pct).unwrap_or(Percent::ZERO),
        device_id: claims.device_id,
        ip_address,
        token_id: claims.jti,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub tenant_id: Uuid,
    /// 4 to 6 digits.
    pub pin: String,
    /// The terminal's id; attempts are throttled per device.
    pub device_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedInEmployee {
    pub id: EmployeeId,
    pub name: String,
    pub role: Role,
    pub branch_id: Option<BranchId>,
    /// Largest discount this employee may give, in hundredths of a percent.
    pub max_discount_bp: Percent,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub employee: LoggedInEmployee,
    pub permissions: PermissionSet,
}

#[derive(sqlx::FromRow)]
struct Candidate {
    id: Uuid,
    name: String,
    role: String,
    branch_id: Option<Uuid>,
    max_discount_pct: String,
    pin_hash: Option<String>,
    permissions: Vec<String>,
}

fn check_device_id(device_id: &str) -> Result<&str> {
    let device_id = device_id.trim();
    if device_id.is_empty() || device_id.len() > 200 || device_id.chars().any(char::is_control) {
        return Err(nexus_domain::DomainError::Invalid {
            field: "device_id",
            reason: "debe tener de 1 a 200 caracteres imprimibles",
        }
        .into());
    }
    Ok(device_id)
}

/// PIN login: throttle check, one keyed lookup, one bcrypt verify, the
/// attempt recorded and audited, and a shift-long token.
pub async fn login(
    central: &Central,
    req: &LoginRequest,
    ip_address: Option<String>,
) -> Result<LoginResponse> {
    let (tenant, db) = central.tenant(req.tenant_id).await?;
    let device_id = check_device_id(&req.device_id)?;
    let pin = Pin::parse(&req.pin).map_err(nexus_domain::DomainError::from)?;
    let tenant_id = TenantId(tenant.id);
    let policy = ThrottlePolicy::default();

    let mut tx = central.dbs.master.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
        .bind(format!("login:{}:{device_id}", tenant.id))
        .execute(&mut *tx)
        .await?;
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT clock_timestamp()").fetch_one(&mut *tx).await?;
    let locked_until: Option<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT locked_until FROM device_lockouts WHERE tenant_id = $1 AND device_id = $2",
    )
    .bind(tenant.id)
    .bind(device_id)
    .fetch_optional(&mut *tx)
    .await?;
    let failures: Vec<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT attempted_at FROM login_attempts
         WHERE tenant_id = $1 AND device_id = $2 AND NOT succeeded AND attempted_at > $3",
    )
    .bind(tenant.id)
    .bind(device_id)
    .bind(now - policy.lookback())
    .fetch_all(&mut *tx)
    .await?;
    let origin = Origin {
        employee_id: None,
        device_id: Some(device_id.to_owned()),
        ip_address: ip_address.clone(),
        branch_id: None,
    };
    let verdict = policy.check(now, locked_until, &failures);
    if let Some(retry_after_secs) = verdict.retry_after_secs() {
        tx.commit().await?;
        let (code, message) = match verdict {
            Verdict::Locked { .. } => (
                "device_locked",
                format!(
                    "Dispositivo bloqueado. Intente en {} minutos.",
                    policy.lockout_duration.num_minutes()
                ),
            ),
            _ => ("too_many_attempts", "Demasiados intentos. Espere un momento.".to_owned()),
        };
        audit_attempt(&db, &origin, "LOGIN_BLOCKED", serde_json::json!({ "reason": code })).await?;
        return Err(Error::Throttled { code, message, retry_after_secs });
    }

    let lookup = central.pin_key(tenant_id).lookup(&pin);
    let candidate: Option<Candidate> = sqlx::query_as(
        "SELECT e.id, e.name, e.role, e.branch_id, e.max_discount_pct::text AS max_discount_pct, e.pin_hash,
                ARRAY(SELECT p.permission::text FROM employee_permissions p WHERE p.employee_id = e.id) AS permissions
         FROM employees e WHERE e.pin_lookup = $1 AND e.is_active",
    )
    .bind(&lookup.as_bytes()[..])
    .fetch_optional(&db)
    .await?;
    let verified =
        central.verify_pin(tenant_id, &pin, candidate.as_ref().and_then(|c| c.pin_hash.clone())).await?;
    let employee = candidate.filter(|_| verified);

    sqlx::query(
        "INSERT INTO login_attempts (tenant_id, device_id, succeeded, employee_id, ip_address, attempted_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant.id)
    .bind(device_id)
    .bind(employee.is_some())
    .bind(employee.as_ref().map(|e| e.id))
    .bind(&ip_address)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let Some(employee) = employee else {
        if let Some(until) = policy.lock_after_failure(now, failures.len() + 1) {
            sqlx::query(
                "INSERT INTO device_lockouts (tenant_id, device_id, locked_until) VALUES ($1, $2, $3)
                 ON CONFLICT (tenant_id, device_id) DO UPDATE SET locked_until = EXCLUDED.locked_until",
            )
            .bind(tenant.id)
            .bind(device_id)
            .bind(until)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        audit_attempt(&db, &origin, "LOGIN_FAILED", serde_json::json!({})).await?;
        return Err(Error::unauthorized("wrong_pin", "PIN incorrecto"));
    };
    tx.commit().await?;

    let role: Role = employee.role.parse().map_err(nexus_domain::DomainError::from)?;
    let permissions =
        PermissionSet::from_codes(&employee.permissions).map_err(nexus_domain::DomainError::from)?;
    let employee_id = EmployeeId(employee.id);
    let branch_id = employee.branch_id.map(BranchId);
    let jti = Uuid::now_v7();
    let claims = Claims::for_employee(
        EmployeeGrant {
            tenant: tenant_id,
            employee: employee_id,
            role,
            branch: branch_id,
            permissions: &permissions,
            device_id,
        },
        now,
        jti,
    );
    let expires_at = DateTime::from_timestamp(claims.exp, 0).unwrap_or(now);
    let token = central.tokens.sign(&claims)?;

    let mut ttx = db.begin().await?;
    sqlx::query("INSERT INTO employee_sessions (id, employee_id, device_id, token, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(Uuid::now_v7())
        .bind(employee.id)
        .bind(device_id)
        .bind(jti.to_string())
        .bind(expires_at)
        .execute(&mut *ttx)
        .await?;
    let origin = Origin { employee_id: Some(employee.id), branch_id: employee.branch_id, ..origin };
    audit::record(
        &mut ttx,
        &origin,
        Change {
            action: "LOGIN",
            entity_type: "employee",
            entity_id: Some(employee.id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({ "session": jti })),
        },
    )
    .await?;
    ttx.commit().await?;

    Ok(LoginResponse {
        token,
        expires_at,
        employee: LoggedInEmployee {
            id: employee_id,
            name: employee.name,
            role,
            branch_id,
            max_discount_bp: Percent::parse(&employee.max_discount_pct).unwrap_or(Percent::ZERO),
        },
        permissions,
    })
}

async fn audit_attempt(
    db: &PgPool,
    origin: &Origin,
    action: &'static str,
    detail: serde_json::Value,
) -> Result<()> {
    let mut tx = db.begin().await?;
    audit::record(
        &mut tx,
        origin,
        Change {
            action,
            entity_type: "device",
            entity_id: origin.device_id.clone(),
            old_value: None,
            new_value: Some(detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends the caller's session: its token is refused from now on.
pub async fn logout(caller: &Caller) -> Result<()> {
    let mut tx = caller.db.begin().await?;
    sqlx::query("DELETE FROM employee_sessions WHERE employee_id = $1 AND token = $2")
        .bind(caller.employee_id.0)
        .bind(caller.token_id.to_string())
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        &caller.origin(),
        Change {
            action: "LOGOUT",
            entity_type: "employee",
            entity_id: Some(caller.employee_id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({ "session": caller.token_id })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub tenant_id: TenantId,
    pub tenant_name: String,
    pub employee: LoggedInEmployee,
    pub permissions: PermissionSet,
    pub device_id: Option<String>,
}

pub fn me(caller: &Caller) -> Me {
    Me {
        tenant_id: caller.tenant_id(),
        tenant_name: caller.tenant.name.clone(),
        employee: LoggedInEmployee {
            id: caller.employee_id,
            name: caller.name.clone(),
            role: caller.role(),
            branch_id: caller.branch_id,
            max_discount_bp: caller.max_discount,
        },
        permissions: caller.grants.permissions.clone(),
        device_id: caller.device_id.clone(),
    }
}
