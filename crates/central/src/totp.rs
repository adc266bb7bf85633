//! Two-factor login for headquarters: time-based one-time codes (RFC 6238,
//! SHA-1, 6 digits, 30-second steps — what every authenticator app reads)
//! through the `totp-rs` crate.
//!
//! An account turns it on in two steps: `setup` makes a 160-bit secret, kept
//! as *pending* and shown once (text and an `otpauth://` QR code); `enable`
//! takes a code made from it, proving the app holds it. From then on a login
//! needs the password and a current code; a code is accepted one step early
//! or late (clock drift) and only once (the last step used is kept). Secrets
//! are sealed at rest: XORed with an HMAC-SHA256 keystream keyed by a key
//! derived from the server's secret, over the account id and a random nonce
//! — so the database alone does not yield them. (Rotating the server secret
//! therefore makes accounts set two-factor up again.) A tenant setting makes
//! it mandatory: an account without it may then only set it up.

use chrono::{DateTime, Utc};
use hmac::{KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::hq::HqCaller;
use crate::secret::ShownOnce;
use crate::{Central, Error, Result};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

const SECRET_BYTES: usize = 20;
const NONCE_BYTES: usize = 16;
const STEP_SECS: i64 = 30;
const ISSUER: &str = "Nexus POS";

/// `POST /v1/hq/totp/setup`: what to put in the authenticator app, shown once.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TotpSetup {
    /// The secret in base32, to type in by hand.
    #[schema(value_type = String)]
    pub secret: ShownOnce,
    /// `otpauth://totp/…`, the content of the QR code.
    #[schema(value_type = String)]
    pub otpauth_url: ShownOnce,
}

/// A code from the authenticator app.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    #[schema(value_type = String, pattern = "^[0-9]{6}$")]
    pub code: SecretString,
}

/// Whether two-factor is on for the caller and required by their tenant.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TotpStatus {
    pub enabled: bool,
    pub enabled_at: Option<DateTime<Utc>>,
    pub required_by_tenant: bool,
}

fn seal_key(central: &Central) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(central.settings.jwt_secret.expose_secret().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(b"nexus-hq-totp-seal");
    let key = mac.finalize().into_bytes();
    HmacSha256::new_from_slice(&key).expect("HMAC takes a key of any length")
}

fn keystream(central: &Central, account: Uuid, nonce: &[u8]) -> [u8; 32] {
    let mut mac = seal_key(central);
    mac.update(account.as_bytes());
    mac.update(nonce);
    mac.finalize().into_bytes().into()
}

/// Seals a secret for one account: nonce ‖ (secret ⊕ keystream).
fn seal(central: &Central, account: Uuid, secret: &[u8]) -> Result<Vec<u8>> {
    let mut nonce = [0u8; NONCE_BYTES];
    getrandom::fill(&mut nonce).map_err(|e| anyhow::anyhow!("no random source: {e}"))?;
    let stream = keystream(central, account, &nonce);
    let mut sealed = nonce.to_vec();
    sealed.extend(secret.iter().zip(stream).map(|(s, k)| s ^ k));
    Ok(sealed)
}

fn open(central: &Central, account: Uuid, sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() != NONCE_BYTES + SECRET_BYTES {
        return None;
    }
    let (nonce, body) = sealed.split_at(NONCE_BYTES);
    let stream = keystream(central, account, nonce);
    Some(body.iter().zip(stream).map(|(s, k)| s ^ k).collect())
}

fn totp(secret: Vec<u8>) -> Result<TOTP> {
    TOTP::new(Algorithm::SHA1, 6, 1, STEP_SECS as u64, secret)
        .map_err(|e| anyhow::anyhow!("TOTP: {e}").into())
}

/// The time step a code belongs to — now, one before or one after — if it
/// matches at all (compared in constant time).
pub fn matching_step(secret: &[u8], code: &str, now: DateTime<Utc>) -> Result<Option<i64>> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let totp = totp(secret.to_vec())?;
    let step = now.timestamp().div_euclid(STEP_SECS);
    let mut found = None;
    for candidate in [step - 1, step, step + 1] {
        let expected = totp.generate((candidate * STEP_SECS) as u64);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
            found = Some(candidate);
        }
    }
    Ok(found)
}

/// Percent-encodes all but RFC 3986's unreserved characters (`%20` for a
/// space, as authenticator apps read it).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn invalid_code() -> Error {
    Error::unauthorized("totp_invalid", "El código de verificación no es correcto o ya se usó")
}

/// An account's two-factor state as login needs it.
pub struct LoginFactor {
    secret: Option<Vec<u8>>,
    last_step: i64,
}

impl LoginFactor {
    pub fn from_row(central: &Central, account: Uuid, sealed: Option<&[u8]>, last_step: i64) -> LoginFactor {
        LoginFactor { secret: sealed.and_then(|s| open(central, account, s)), last_step }
    }

    pub fn enabled(&self) -> bool {
        self.secret.is_some()
    }

    /// The step of a fresh, correct code; None when wrong or already used.
    pub fn check(&self, code: &str, now: DateTime<Utc>) -> Result<Option<i64>> {
        let Some(secret) = &self.secret else { return Ok(None) };
        Ok(matching_step(secret, code, now)?.filter(|step| *step > self.last_step))
    }
}

/// Records the step a login used, so the same code cannot log in again.
/// Only moves forward: of two racing logins with one code, one wins.
pub async fn spend_step(central: &Central, account: Uuid, step: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE hq_accounts SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2")
            .bind(account)
            .bind(step)
            .execute(&central.dbs.master)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Starts setting two-factor up: a new pending secret, shown once.
pub async fn setup(central: &Central, caller: &HqCaller) -> Result<TotpSetup> {
    let mut secret = [0u8; SECRET_BYTES];
    getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("no random source: {e}"))?;
    let sealed = seal(central, caller.account_id, &secret)?;
    sqlx::query("UPDATE hq_accounts SET totp_pending_secret = $2 WHERE id = $1")
        .bind(caller.account_id)
        .bind(sealed)
        .execute(&central.dbs.master)
        .await?;
    let Secret::Encoded(encoded) = Secret::Raw(secret.to_vec()).to_encoded() else {
        return Err(anyhow::anyhow!("base32 encoding failed").into());
    };
    let label = format!("{ISSUER}:{}", caller.email);
    let url = format!(
        "otpauth://totp/{}?secret={encoded}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECS}",
        percent_encode(&label),
        percent_encode(ISSUER),
    );
    Ok(TotpSetup { secret: ShownOnce::new(encoded), otpauth_url: ShownOnce::new(url) })
}

async fn record(caller: &HqCaller, action: &'static str) -> Result<()> {
    let mut tx = caller.db.begin().await?;
    audit::record(
        &mut tx,
        &caller.origin(),
        Change {
            action,
            entity_type: "hq_account",
            entity_id: Some(caller.account_id.to_string()),
            old_value: None,
            new_value: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Turns two-factor on with a code from the pending secret.
pub async fn enable(central: &Central, caller: &HqCaller, code: &str) -> Result<TotpStatus> {
    let pending: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT totp_pending_secret FROM hq_accounts WHERE id = $1")
            .bind(caller.account_id)
            .fetch_one(&central.dbs.master)
            .await?;
    let secret = pending.as_deref().and_then(|s| open(central, caller.account_id, s)).ok_or_else(|| {
        Error::conflict("totp_setup_required", "Primero genera el código QR de verificación en dos pasos")
    })?;
    let step = matching_step(&secret, code, Utc::now())?.ok_or_else(invalid_code)?;
    let sealed = seal(central, caller.account_id, &secret)?;
    sqlx::query(
        "UPDATE hq_accounts SET totp_secret = $2, totp_pending_secret = NULL, totp_enabled_at = NOW(),
                totp_last_step = $3
         WHERE id = $1",
    )
    .bind(caller.account_id)
    .bind(sealed)
    .bind(step)
    .execute(&central.dbs.master)
    .await?;
    record(caller, "HQ_TOTP_ENABLE").await?;
    status(central, caller).await
}

/// Turns two-factor off with a current code, unless the tenant requires it.
pub async fn disable(central: &Central, caller: &HqCaller, code: &str) -> Result<TotpStatus> {
    let now = status(central, caller).await?;
    if now.required_by_tenant {
        return Err(Error::conflict(
            "totp_required_by_tenant",
            "La empresa exige verificación en dos pasos; no se puede desactivar",
        ));
    }
    let row: (Option<Vec<u8>>, i64) =
        sqlx::query_as("SELECT totp_secret, totp_last_step FROM hq_accounts WHERE id = $1")
            .bind(caller.account_id)
            .fetch_one(&central.dbs.master)
            .await?;
    let factor = LoginFactor::from_row(central, caller.account_id, row.0.as_deref(), row.1);
    if !factor.enabled() {
        return Ok(now);
    }
    factor.check(code, Utc::now())?.ok_or_else(invalid_code)?;
    sqlx::query(
        "UPDATE hq_accounts SET totp_secret = NULL, totp_pending_secret = NULL, totp_enabled_at = NULL WHERE id = $1",
    )
    .bind(caller.account_id)
    .execute(&central.dbs.master)
    .await?;
    record(caller, "HQ_TOTP_DISABLE").await?;
    status(central, caller).await
}

/// The caller's two-factor state.
pub async fn status(central: &Central, caller: &HqCaller) -> Result<TotpStatus> {
    let (enabled_at, required): (Option<DateTime<Utc>>, bool) = sqlx::query_as(
        "SELECT a.totp_enabled_at, t.hq_totp_required FROM hq_accounts a JOIN tenants t ON t.id = a.tenant_id
         WHERE a.id = $1",
    )
    .bind(caller.account_id)
    .fetch_one(&central.dbs.master)
    .await?;
    Ok(TotpStatus { enabled: enabled_at.is_some(), enabled_at, required_by_tenant: required })
}

/// `PUT /v1/hq/settings`: the tenant's headquarters settings.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HqSettings {
    /// Every HQ account of the tenant must log in with a second factor.
    pub totp_required: bool,
}

pub async fn settings(central: &Central, tenant: Uuid) -> Result<HqSettings> {
    let required: bool = sqlx::query_scalar("SELECT hq_totp_required FROM tenants WHERE id = $1")
        .bind(tenant)
        .fetch_one(&central.dbs.master)
        .await?;
    Ok(HqSettings { totp_required: required })
}

/// Changes the tenant's HQ settings (the owner only; audited).
pub async fn set_settings(central: &Central, caller: &HqCaller, new: &HqSettings) -> Result<HqSettings> {
    caller.require_owner()?;
    if new.totp_required && !status(central, caller).await?.enabled {
        return Err(Error::conflict(
            "totp_owner_first",
            "Activa primero tu propia verificación en dos pasos; después podrás exigirla a todos",
        ));
    }
    let old = settings(central, caller.tenant.id).await?;
    sqlx::query("UPDATE tenants SET hq_totp_required = $2 WHERE id = $1")
        .bind(caller.tenant.id)
        .bind(new.totp_required)
        .execute(&central.dbs.master)
        .await?;
    let mut tx = caller.db.begin().await?;
    audit::record(
        &mut tx,
        &caller.origin(),
        Change {
            action: "HQ_SETTINGS",
            entity_type: "tenant",
            entity_id: Some(caller.tenant.id.to_string()),
            old_value: Some(serde_json::json!(old)),
            new_value: Some(serde_json::json!(new)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(new.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_own_step_and_its_neighbours_only() {
        let secret = vec![7u8; SECRET_BYTES];
        let t = totp(secret.clone()).unwrap();
        let now = DateTime::from_timestamp(1_800_000_015, 0).unwrap();
        let step = now.timestamp() / STEP_SECS;
        let code = t.generate((step * STEP_SECS) as u64);
        assert_eq!(matching_step(&secret, &code, now).unwrap(), Some(step));
        let later = now + chrono::Duration::seconds(STEP_SECS);
        assert_eq!(matching_step(&secret, &code, later).unwrap(), Some(step));
        let much_later = now + chrono::Duration::seconds(3 * STEP_SECS);
        assert_eq!(matching_step(&secret, &code, much_later).unwrap(), None);
        for bad in ["", "12345", "1234567", "abcdef", " 12 34 "] {
            assert_eq!(matching_step(&secret, bad, now).unwrap(), None, "{bad}");
        }
    }
}
