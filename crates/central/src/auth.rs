//! Counter tokens: PIN login at central and the authenticated caller.
//!
//! A PIN is typed at a counter, so a PIN login must come from an enrolled
//! device: its credential is the bearer, and the tenant and the device come
//! from it, never from the body. Login finds the one employee whose
//! `pin_lookup` matches the keyed hash of the PIN and verifies bcrypt once.
//! Attempts are throttled per device, per source address and per tenant in
//! the master database (`crate::throttle`), so every central instance — and
//! one restarted a second ago — counts the same failures. Every attempt is
//! audited in the tenant database. The token carries `scope: counter`: it
//! opens a shift, and every headquarters endpoint refuses it
//! (`crate::hq` has those logins).

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use nexus_domain::claims::{AUDIENCE, Claims, EmployeeGrant, ISSUER, TokenScope, TokenType};
use nexus_domain::employee::Actor;
use nexus_domain::permission::Grants;
use nexus_domain::pin::Pin;
use nexus_domain::{BranchId, EmployeeId, Percent, Permission, PermissionSet, Role, TenantId};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::alerts;
use crate::audit::{self, Change, Origin};
use crate::db::TenantRecord;
use crate::devices::DeviceCaller;
use crate::secret::ShownOnce;
use crate::throttle::{self, Ledger, Scope, Subject};
use crate::{Central, Error, Result};

/// Signs and verifies tokens with the configured HS256 key. The algorithm
/// is pinned: a token claiming any other algorithm is refused.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn new(secret: &SecretString) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 30;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret.expose_secret().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose_secret().as_bytes()),
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
    let (Some(employee_id), TokenType::Employee, TokenScope::Counter) =
        (claims.employee_id, claims.token_type, claims.scope)
    else {
        return Err(Error::unauthorized("wrong_token_type", "Este token no es de un empleado"));
    };
    let (tenant, db) = central.tenant(claims.tenant_id.0).await.map_err(|e| match e {
        Error::NotFound { .. } => {
            Error::unauthorized("tenant_inactive", "La empresa no existe o está desactivada")
        }
        other => other,
    })?;
    // A revoked device's tokens stop with it.
    let device = claims.device_id.as_deref().and_then(|d| d.parse::<Uuid>().ok());
    let device_live: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM devices WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL)",
    )
    .bind(device)
    .bind(tenant.id)
    .fetch_one(&central.dbs.master)
    .await?;
    if !device_live {
        return Err(Error::unauthorized(
            "device_revoked",
            "Este dispositivo fue revocado; pide a un administrador que lo enrole de nuevo",
        ));
    }
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

/// `POST /v1/auth/login`: only the PIN. The tenant and the device come from
/// the device credential the request is made with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// 4 to 6 digits; never printed.
    #[schema(value_type = String, pattern = "^[0-9]{4,6}$", format = Password)]
    pub pin: SecretString,
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
    /// A counter token: it opens a shift, never headquarters' powers.
    #[schema(value_type = String)]
    pub token: ShownOnce,
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

/// PIN login at a counter: the device's throttles, one keyed lookup, one
/// bcrypt verify, the attempt recorded and audited, and a shift-long
/// counter token.
pub async fn login(
    central: &Central,
    device: &DeviceCaller,
    req: &LoginRequest,
    ip_address: Option<String>,
) -> Result<LoginResponse> {
    let pin = Pin::parse(req.pin.expose_secret()).map_err(nexus_domain::DomainError::from)?;
    let (tenant, db) = (&device.tenant, &device.db);
    let tenant_id = TenantId(tenant.id);
    let device_id = device.device_id.to_string();
    let mut subjects = vec![Subject::new(Scope::Device, device_id.clone())];
    if let Some(ip) = &ip_address {
        subjects.push(Subject::new(Scope::CounterAddress, ip.clone()));
    }
    subjects.push(Subject::new(Scope::Tenant, tenant.id.to_string()));
    let origin = Origin {
        employee_id: None,
        device_id: Some(device_id.clone()),
        ip_address: ip_address.clone(),
        branch_id: Some(device.branch_id),
    };
    let ledger = Ledger::Counter {
        tenant_id: tenant.id,
        device_id: device.device_id,
        ip_address: ip_address.as_deref(),
    };
    let attempt = match throttle::begin(&central.dbs.master, ledger, &subjects).await? {
        Ok(attempt) => attempt,
        Err(blocked) => {
            audit_attempt(
                db,
                &origin,
                "LOGIN_BLOCKED",
                serde_json::json!({ "throttle": blocked.scope.code() }),
            )
            .await?;
            return Err(blocked.into_error());
        }
    };

    let lookup = central.pin_key(tenant_id).lookup(&pin);
    let candidate: Option<Candidate> = sqlx::query_as(
        "SELECT e.id, e.name, e.role, e.branch_id, e.max_discount_pct::text AS max_discount_pct, e.pin_hash,
                ARRAY(SELECT p.permission::text FROM employee_permissions p WHERE p.employee_id = e.id) AS permissions
         FROM employees e WHERE e.pin_lookup = $1 AND e.is_active",
    )
    .bind(&lookup.as_bytes()[..])
    .fetch_optional(db)
    .await?;
    let verified =
        central.verify_pin(tenant_id, &pin, candidate.as_ref().and_then(|c| c.pin_hash.clone())).await?;
    let Some(employee) = candidate.filter(|_| verified) else {
        let locked = throttle::fail(&central.dbs.master, attempt, &subjects).await?;
        audit_attempt(db, &origin, "LOGIN_FAILED", serde_json::json!({})).await?;
        if let Some((_, until)) = locked.iter().find(|(scope, _)| *scope == Scope::Device) {
            let mut conn = db.acquire().await?;
            let at = attempt.at;
            let (branch, device) = (Some(device.branch_id), device.device_id);
            alerts::pin_lockout(&mut conn, branch, device, "central", at, *until, central.clock.now())
                .await?;
        }
        return Err(Error::unauthorized("wrong_pin", "PIN incorrecto"));
    };
    throttle::succeed(&central.dbs.master, attempt, employee.id).await?;

    let role: Role = employee.role.parse().map_err(nexus_domain::DomainError::from)?;
    let permissions =
        PermissionSet::from_codes(&employee.permissions).map_err(nexus_domain::DomainError::from)?;
    let employee_id = EmployeeId(employee.id);
    let branch_id = employee.branch_id.map(BranchId);
    let jti = Uuid::now_v7();
    let now = attempt.at;
    let claims = Claims::for_employee(
        EmployeeGrant {
            tenant: tenant_id,
            employee: employee_id,
            role,
            branch: branch_id,
            permissions: &permissions,
            device_id: &device_id,
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
        .bind(&device_id)
        .bind(jti.to_string())
        .bind(expires_at)
        .execute(&mut *ttx)
        .await?;
    let origin = Origin { employee_id: Some(employee.id), ..origin };
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
        token: ShownOnce::new(token),
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
