//! Terminals enrolled with central: one-time enrollment codes, device
//! credentials, revocation, and authenticating a device's sync requests.
//!
//! An admin makes a code for a branch; the terminal exchanges it (once,
//! before it expires) for a device credential `nxd.<device id>.<secret>`
//! that it keeps in its OS secret store. Central keeps only the SHA-256 of
//! the secret and of the code. The tenant of a sync request comes from the
//! device's row, found by the verified credential.

use chrono::{DateTime, Utc};
use nexus_domain::error::required_text;
use nexus_domain::sync::{EnrollRequest, device_credential, hex, parse_device_credential};
use nexus_domain::{BranchId, DomainError, TenantId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, Change, Origin};
use crate::db::TenantRecord;
use crate::hq::HqCaller;
use crate::secret::ShownOnce;
use crate::{Central, Error, Result};

/// Letters and digits that cannot be mistaken for one another when read aloud.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

pub const DEFAULT_CODE_TTL_MINUTES: i64 = 60;

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnrollmentCode {
    #[schema(value_type = String, format = Uuid)]
    pub branch_id: BranchId,
    /// Minutes the code stays valid (1 to 10,080); 60 by default.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10080)]
    pub ttl_minutes: Option<i64>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EnrollmentCode {
    /// Shown once: `XXXX-XXXX-XXXX`.
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Device {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub name: String,
    pub enrolled_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// The answer to an enrollment: `nexus_domain::sync::EnrollResponse` on the
/// wire, with its secrets wrapped so they never reach a log.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Enrolled {
    pub device_id: Uuid,
    /// The device's secret credential (`nxd.…`), shown once.
    #[schema(value_type = String)]
    pub credential: ShownOnce,
    pub tenant_id: TenantId,
    pub tenant_name: String,
    pub branch_id: BranchId,
    /// Hex of the tenant's PIN lookup key, so the terminal finds PINs offline.
    #[schema(value_type = String)]
    pub pin_key: ShownOnce,
}

/// A device authenticated by its credential.
#[derive(Clone, Debug)]
pub struct DeviceCaller {
    pub tenant: TenantRecord,
    pub db: PgPool,
    pub device_id: Uuid,
    pub branch_id: Uuid,
    /// Central's clock when the request arrived.
    pub received_at: DateTime<Utc>,
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no random source: {e}"))?;
    Ok(bytes)
}

fn new_code() -> Result<String> {
    let bytes: [u8; 12] = random_bytes()?;
    let chars: Vec<char> =
        bytes.iter().map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char).collect();
    Ok(chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-"))
}

/// The hash a code is stored under: case, spaces and dashes do not matter.
fn code_hash(code: &str) -> Vec<u8> {
    let normalized: String =
        code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect();
    Sha256::digest(normalized.as_bytes()).to_vec()
}

/// Makes a one-time enrollment code for a branch of the tenant.
pub async fn create_code(
    central: &Central,
    tenant: &TenantRecord,
    db: &PgPool,
    created_by: Option<Uuid>,
    new: &NewEnrollmentCode,
) -> Result<EnrollmentCode> {
    let ttl = new.ttl_minutes.unwrap_or(DEFAULT_CODE_TTL_MINUTES);
    if !(1..=7 * 24 * 60).contains(&ttl) {
        return Err(
            DomainError::Invalid { field: "ttl_minutes", reason: "debe ser de 1 a 10,080 minutos" }.into()
        );
    }
    let active: Option<bool> = sqlx::query_scalar("SELECT is_active FROM branches WHERE id = $1")
        .bind(new.branch_id.0)
        .fetch_optional(db)
        .await?;
    if active != Some(true) {
        return Err(DomainError::Invalid {
            field: "branch_id",
            reason: "la sucursal no existe o está desactivada",
        }
        .into());
    }
    let code = new_code()?;
    let mut tx = db.begin().await?;
    let expires_at: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO enrollment_codes (code_hash, tenant_id, branch_id, created_by, expires_at)
         VALUES ($1, $2, $3, $4, NOW() + make_interval(mins => $5)) RETURNING expires_at",
    )
    .bind(code_hash(&code))
    .bind(tenant.id)
    .bind(new.branch_id.0)
    .bind(created_by)
    .bind(ttl as i32)
    .fetch_one(&central.dbs.master)
    .await?;
    // Never the code itself: only that one was made, for which branch, until when.
    audit::record(
        &mut tx,
        &Origin { device_id: created_by.map(|a| format!("hq:{a}")), ..Origin::default() },
        Change {
            action: "DEVICE_CODE_CREATE",
            entity_type: "branch",
            entity_id: Some(new.branch_id.0.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({ "expires_at": expires_at })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(EnrollmentCode { code, expires_at })
}

/// Exchanges a code for a device credential.
pub async fn enroll(central: &Central, req: &EnrollRequest) -> Result<Enrolled> {
    let name = required_text("device_name", &req.device_name, 200)?;
    let invalid = || {
        Error::unauthorized("enrollment_code_invalid", "El código de enrolamiento no es válido o ya venció")
    };
    let mut tx = central.dbs.master.begin().await?;
    let found: Option<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT tenant_id, branch_id FROM enrollment_codes
         WHERE code_hash = $1 AND used_at IS NULL AND expires_at > NOW() FOR UPDATE",
    )
    .bind(code_hash(&req.code))
    .fetch_optional(&mut *tx)
    .await?;
    let (tenant_id, branch_id) = found.ok_or_else(invalid)?;
    let tenant = central
        .dbs
        .find_tenant(tenant_id)
        .await?
        .filter(|t| t.status == "ready" && t.is_active)
        .ok_or_else(invalid)?;
    let device_id = Uuid::now_v7();
    let secret: [u8; 32] = random_bytes()?;
    sqlx::query(
        "INSERT INTO devices (id, tenant_id, branch_id, name, credential_hash, last_seen_at) VALUES ($1, $2, $3, $4, $5, NOW())",
    )
    .bind(device_id)
    .bind(tenant_id)
    .bind(branch_id)
    .bind(&name)
    .bind(Sha256::digest(secret).to_vec())
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE enrollment_codes SET used_at = NOW(), device_id = $2 WHERE code_hash = $1")
        .bind(code_hash(&req.code))
        .bind(device_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let db = central.dbs.tenant_pool(&tenant)?;
    let mut ttx = db.begin().await?;
    audit::record(
        &mut ttx,
        &audit::Origin {
            device_id: Some(device_id.to_string()),
            branch_id: Some(branch_id),
            ..Default::default()
        },
        Change {
            action: "DEVICE_ENROLL",
            entity_type: "device",
            entity_id: Some(device_id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({ "name": name, "branch_id": branch_id })),
        },
    )
    .await?;
    ttx.commit().await?;
    Ok(Enrolled {
        device_id,
        credential: ShownOnce::new(device_credential(device_id, &secret)),
        tenant_id: TenantId(tenant_id),
        tenant_name: tenant.name,
        branch_id: BranchId(branch_id),
        pin_key: ShownOnce::new(hex(central.pin_key(TenantId(tenant_id)).as_bytes())),
    })
}

#[derive(sqlx::FromRow)]
struct DeviceRow {
    tenant_id: Uuid,
    branch_id: Uuid,
    name: String,
    credential_hash: Vec<u8>,
    revoked_at: Option<DateTime<Utc>>,
}

/// Authenticates a device credential; a revoked device is refused, and its
/// attempt recorded as an alert for headquarters.
pub async fn authenticate(central: &Central, credential: &str) -> Result<DeviceCaller> {
    let invalid = || Error::unauthorized("device_credential_invalid", "Credencial de dispositivo inválida");
    let (device_id, secret) = parse_device_credential(credential).ok_or_else(invalid)?;
    let row: Option<DeviceRow> = sqlx::query_as(
        "SELECT tenant_id, branch_id, name, credential_hash, revoked_at FROM devices WHERE id = $1",
    )
    .bind(device_id)
    .fetch_optional(&central.dbs.master)
    .await?;
    let DeviceRow { tenant_id, branch_id, name, credential_hash: hash, revoked_at } =
        row.ok_or_else(invalid)?;
    if !bool::from(Sha256::digest(secret).as_slice().ct_eq(&hash)) {
        return Err(invalid());
    }
    let received_at = central.clock.now();
    if let Some(revoked_at) = revoked_at {
        // The refusal stands whether or not the attempt could be recorded.
        if let Err(e) =
            record_revoked_attempt(central, tenant_id, device_id, branch_id, &name, revoked_at, received_at)
                .await
        {
            tracing::warn!(device = %device_id, error = %e, "a revoked device's attempt was not recorded");
        }
        return Err(Error::unauthorized(
            "device_revoked",
            "Este dispositivo fue revocado; pide a un administrador que lo enrole de nuevo",
        ));
    }
    let (tenant, db) = central.tenant(tenant_id).await.map_err(|e| match e {
        Error::NotFound { .. } => {
            Error::unauthorized("tenant_inactive", "La empresa no existe o está desactivada")
        }
        other => other,
    })?;
    sqlx::query("UPDATE devices SET last_seen_at = NOW() WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < NOW() - interval '1 minute')")
        .bind(device_id)
        .execute(&central.dbs.master)
        .await?;
    Ok(DeviceCaller { tenant, db, device_id, branch_id, received_at })
}

async fn record_revoked_attempt(
    central: &Central,
    tenant_id: Uuid,
    device_id: Uuid,
    branch_id: Uuid,
    name: &str,
    revoked_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<()> {
    let (_, db) = central.tenant(tenant_id).await?;
    let mut conn = db.acquire().await?;
    crate::alerts::revoked_device_knocked(&mut conn, device_id, branch_id, name, revoked_at, at).await?;
    Ok(())
}

/// The tenant's devices.
pub async fn list(central: &Central, tenant: Uuid) -> Result<Vec<Device>> {
    Ok(sqlx::query_as(
        "SELECT id, branch_id, name, enrolled_at, revoked_at, last_seen_at FROM devices WHERE tenant_id = $1 ORDER BY enrolled_at",
    )
    .bind(tenant)
    .fetch_all(&central.dbs.master)
    .await?)
}

/// Revokes a device of the tenant: its pushes and pulls are refused from now on.
pub async fn revoke(central: &Central, tenant: Uuid, device: Uuid, by: Option<&HqCaller>) -> Result<Device> {
    let revoked: Option<Device> = sqlx::query_as(
        "UPDATE devices SET revoked_at = coalesce(revoked_at, NOW()) WHERE id = $1 AND tenant_id = $2
         RETURNING id, branch_id, name, enrolled_at, revoked_at, last_seen_at",
    )
    .bind(device)
    .bind(tenant)
    .fetch_optional(&central.dbs.master)
    .await?;
    let revoked = revoked.ok_or_else(|| Error::not_found("device_not_found", "Dispositivo no encontrado"))?;
    let (_, db) = central.tenant(tenant).await?;
    let mut tx = db.begin().await?;
    audit::record(
        &mut tx,
        &by.map(HqCaller::origin).unwrap_or_default(),
        Change {
            action: "DEVICE_REVOKE",
            entity_type: "device",
            entity_id: Some(device.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({ "revoked_at": revoked.revoked_at })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(revoked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_their_hash_ignores_case_and_dashes() {
        let code = new_code().unwrap();
        assert_eq!(code.len(), 14);
        assert!(code.chars().all(|c| c == '-' || CODE_ALPHABET.contains(&(c as u8))));
        assert_eq!(code_hash(&code), code_hash(&code.to_lowercase().replace('-', " ")));
    }
}
