//! Invitations to headquarters.
//!
//! The owner names an email and a role; central makes a one-time code
//! (256 random bits, kept only as its SHA-256) that is shown once — in the
//! console, in the JSON answer, or printed by `pos-central hq invite` — as a
//! link to `/console/invite/<code>`. Whoever opens it sees the tenant, the
//! email and the role, chooses a name and a password, and gets the account;
//! the code then opens nothing. A code expires after
//! [`INVITATION_TTL_HOURS`]; a new invitation to the same email replaces the
//! open one. No mail server is needed; every step is audited in the tenant's
//! chain.

use chrono::{DateTime, Utc};
use nexus_domain::DomainError;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, Change, Origin};
use crate::hq::{self, HqCaller, HqRole, NewHqAccount};
use crate::secret::ShownOnce;
use crate::{Central, Error, Result};

/// How long an invitation stays valid.
pub const INVITATION_TTL_HOURS: i64 = 72;

/// `POST /v1/hq/invitations`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    #[schema(max_length = 254, example = "contadora@tienda.mx")]
    pub email: String,
    pub role: HqRole,
}

/// An invitation just made: its code is shown this once.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CreatedInvitation {
    pub invitation: Invitation,
    /// The one-time code; the link is `/console/invite/<code>`.
    #[schema(value_type = String)]
    pub code: ShownOnce,
}

#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    #[sqlx(try_from = "String")]
    pub role: HqRole,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// `open`, `accepted`, `expired` or `revoked`.
    #[sqlx(skip)]
    pub status: &'static str,
}

impl TryFrom<String> for HqRole {
    type Error = DomainError;
    fn try_from(text: String) -> Result<HqRole, DomainError> {
        HqRole::parse(&text)
    }
}

impl Invitation {
    fn with_status(mut self, now: DateTime<Utc>) -> Invitation {
        self.status = if self.accepted_at.is_some() {
            "accepted"
        } else if self.revoked_at.is_some() {
            "revoked"
        } else if self.expires_at <= now {
            "expired"
        } else {
            "open"
        };
        self
    }
}

/// What the person who opens an invitation sees before accepting it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InvitationPreview {
    pub tenant_name: String,
    pub email: String,
    pub role: HqRole,
    pub expires_at: DateTime<Utc>,
}

/// `POST /v1/hq/invitations/accept`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    pub code: String,
    #[schema(max_length = 200)]
    pub name: String,
    /// At least 12 characters, at most 72 bytes.
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

const COLUMNS: &str = "id, email, role, created_at, expires_at, accepted_at, revoked_at";

fn code_hash(code: &str) -> Vec<u8> {
    Sha256::digest(code.trim().as_bytes()).to_vec()
}

fn invalid() -> Error {
    Error::not_found("invitation_invalid", "La invitación no existe o ya no es válida; pide una nueva")
}

fn used() -> Error {
    Error::conflict("invitation_used", "Esta invitación ya se usó; inicia sesión o pide una nueva")
}

fn expired() -> Error {
    Error::conflict("invitation_expired", "Esta invitación venció; pide una nueva al dueño")
}

fn audit_origin(caller: Option<&HqCaller>) -> Origin {
    caller.map(HqCaller::origin).unwrap_or_default()
}

/// Invites `new.email` to the tenant with `new.role` (the owner only, or
/// the platform operator through the command line when `caller` is None).
pub async fn create(
    central: &Central,
    tenant_id: Uuid,
    caller: Option<&HqCaller>,
    new: &NewInvitation,
) -> Result<CreatedInvitation> {
    if let Some(caller) = caller {
        caller.require_owner()?;
    }
    let email = hq::normalize_email(&new.email)?;
    hq::check_email_free(central, &email).await?;
    let (_, db) = central.tenant(tenant_id).await?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no random source: {e}"))?;
    let code = hex::encode(bytes);
    let id = Uuid::now_v7();
    let mut master = central.dbs.master.begin().await?;
    // A new invitation to the same email replaces the open one.
    sqlx::query(
        "UPDATE hq_invitations SET revoked_at = NOW()
         WHERE email = $1 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(&email)
    .execute(&mut *master)
    .await?;
    let invitation: Invitation = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO hq_invitations (id, tenant_id, email, role, code_hash, created_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, NOW() + make_interval(hours => $7)) RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(tenant_id)
    .bind(&email)
    .bind(new.role.code())
    .bind(code_hash(&code))
    .bind(caller.map(|c| c.account_id))
    .bind(INVITATION_TTL_HOURS as i32)
    .fetch_one(&mut *master)
    .await?;
    let mut tx = db.begin().await?;
    audit::record(
        &mut tx,
        &audit_origin(caller),
        Change {
            action: "HQ_INVITE_CREATE",
            entity_type: "hq_invitation",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({ "email": email, "role": new.role })),
        },
    )
    .await?;
    tx.commit().await?;
    master.commit().await?;
    let invitation = invitation.with_status(Utc::now());
    Ok(CreatedInvitation { invitation, code: ShownOnce::new(code) })
}

/// The tenant's invitations, newest first.
pub async fn list(central: &Central, tenant_id: Uuid) -> Result<Vec<Invitation>> {
    let rows: Vec<Invitation> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM hq_invitations WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 200"
    )))
    .bind(tenant_id)
    .fetch_all(&central.dbs.master)
    .await?;
    let now = Utc::now();
    Ok(rows.into_iter().map(|i| i.with_status(now)).collect())
}

/// Withdraws an open invitation of the caller's tenant (the owner only).
pub async fn revoke(central: &Central, caller: &HqCaller, id: Uuid) -> Result<Invitation> {
    caller.require_owner()?;
    let revoked: Option<Invitation> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE hq_invitations SET revoked_at = coalesce(revoked_at, NOW())
         WHERE id = $1 AND tenant_id = $2 AND accepted_at IS NULL RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(caller.tenant.id)
    .fetch_optional(&central.dbs.master)
    .await?;
    let revoked = revoked.ok_or_else(invalid)?;
    let mut tx = caller.db.begin().await?;
    audit::record(
        &mut tx,
        &caller.origin(),
        Change {
            action: "HQ_INVITE_REVOKE",
            entity_type: "hq_invitation",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({ "email": revoked.email })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(revoked.with_status(Utc::now()))
}

#[derive(sqlx::FromRow)]
struct Found {
    id: Uuid,
    tenant_id: Uuid,
    email: String,
    role: String,
    expires_at: DateTime<Utc>,
    accepted_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
}

async fn find(master: &PgPool, code: &str) -> Result<Found> {
    let found: Option<Found> = sqlx::query_as(
        "SELECT id, tenant_id, email, role, expires_at, accepted_at, revoked_at, clock_timestamp() AS now
         FROM hq_invitations WHERE code_hash = $1",
    )
    .bind(code_hash(code))
    .fetch_optional(master)
    .await?;
    let found = found.ok_or_else(invalid)?;
    if found.accepted_at.is_some() {
        return Err(used());
    }
    if found.revoked_at.is_some() {
        return Err(invalid());
    }
    if found.expires_at <= found.now {
        return Err(expired());
    }
    Ok(found)
}

/// What an open invitation offers.
pub async fn preview(central: &Central, code: &str) -> Result<InvitationPreview> {
    let found = find(&central.dbs.master, code).await?;
    let (tenant, _) = central.tenant(found.tenant_id).await?;
    Ok(InvitationPreview {
        tenant_name: tenant.name,
        email: found.email,
        role: HqRole::parse(&found.role)?,
        expires_at: found.expires_at,
    })
}

/// Accepts an invitation: the account is made with the password its holder
/// chose, and the code is spent — in one master transaction, so two
/// browsers racing with the same code make one account.
pub async fn accept(
    central: &Central,
    req: &AcceptInvitation,
    ip_address: Option<String>,
) -> Result<hq::HqAccount> {
    let found = find(&central.dbs.master, &req.code).await?;
    hq::check_password("password", &req.password)?;
    let (tenant, db) = central.tenant(found.tenant_id).await?;
    let role = HqRole::parse(&found.role)?;
    let prepared = hq::prepare(
        central,
        &NewHqAccount {
            tenant_id: nexus_domain::TenantId(found.tenant_id),
            email: &found.email,
            name: &req.name,
            role,
            employee_id: None,
            password: Some(&req.password),
        },
    )
    .await?;
    let mut master = central.dbs.master.begin().await?;
    // The invitation row points at the account: the account is written first.
    hq::insert(&mut master, &prepared).await?;
    let spent = sqlx::query(
        "UPDATE hq_invitations SET accepted_at = NOW(), account_id = $2
         WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > NOW()",
    )
    .bind(found.id)
    .bind(prepared.id)
    .execute(&mut *master)
    .await?;
    if spent.rows_affected() != 1 {
        return Err(used());
    }
    let origin = Origin {
        employee_id: None,
        device_id: Some(format!("hq:{}", prepared.id)),
        ip_address,
        branch_id: None,
    };
    let mut tx = db.begin().await?;
    audit::record(&mut tx, &origin, hq::created_change(&prepared)).await?;
    audit::record(
        &mut tx,
        &origin,
        Change {
            action: "HQ_INVITE_ACCEPT",
            entity_type: "hq_invitation",
            entity_id: Some(found.id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({ "account": prepared.id, "email": prepared.email })),
        },
    )
    .await?;
    tx.commit().await?;
    master.commit().await?;
    let grants = role.grants();
    Ok(hq::HqAccount {
        id: prepared.id,
        tenant_id: nexus_domain::TenantId(tenant.id),
        tenant_name: tenant.name,
        email: prepared.email,
        name: prepared.name,
        role,
        permissions: grants.permissions,
        created_at: Utc::now(),
    })
}
