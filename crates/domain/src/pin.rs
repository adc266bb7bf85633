//! PINs: the policy, the keyed lookup and the bcrypt hash.
//!
//! A PIN alone identifies an employee at the counter, so it must be unique
//! within a tenant and findable without trying bcrypt against every employee.
//! Each employee row keeps `pin_lookup = HMAC-SHA256(tenant PIN key, PIN)`
//! (unique per tenant) next to the bcrypt hash: login finds the one candidate
//! by the lookup and verifies bcrypt once. The key never sits next to the
//! data it protects (keyring on a terminal, secret configuration on central),
//! so a stolen database does not reveal PINs by a 10,000-guess table.

use std::fmt;

use hmac::{KeyInit, Mac};
use sha2::Sha256;

use crate::TenantId;

/// The smallest bcrypt cost accepted anywhere.
pub const MIN_BCRYPT_COST: u32 = 10;

/// A PIN that passed the policy: 4 to 6 ASCII digits. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("el PIN debe tener de 4 a 6 dígitos")]
pub struct InvalidPin;

impl Pin {
    pub fn parse(text: &str) -> Result<Pin, InvalidPin> {
        if (4..=6).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Pin(text.to_owned()))
        } else {
            Err(InvalidPin)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(***)")
    }
}

/// The tenant's secret key for PIN lookups. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct PinKey([u8; 32]);

impl PinKey {
    pub const fn from_bytes(bytes: [u8; 32]) -> PinKey {
        PinKey(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key of one tenant, derived from central's master PIN secret. The
    /// derivation binds the tenant id so one tenant's key says nothing about
    /// another's.
    pub fn derive_for_tenant(master_secret: &[u8], tenant: TenantId) -> PinKey {
        let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(master_secret)
            .expect("HMAC accepts keys of any length");
        mac.update(b"nexus-pos/pin-key/v1/");
        mac.update(tenant.as_uuid().as_bytes());
        PinKey(mac.finalize().into_bytes().into())
    }

    /// The value of the `pin_lookup` column for this PIN.
    pub fn lookup(&self, pin: &Pin) -> PinLookup {
        let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC accepts keys of any length");
        mac.update(pin.0.as_bytes());
        PinLookup(mac.finalize().into_bytes().into())
    }
}

impl fmt::Debug for PinKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinKey(***)")
    }
}

/// `HMAC-SHA256(tenant PIN key, PIN)`, stored as 32 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PinLookup(pub [u8; 32]);

impl PinLookup {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for PinLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinLookup(***)")
    }
}

/// The bcrypt hash of `pin` with the given cost and salt. The caller supplies
/// the salt from the operating system's random source.
pub fn hash_pin(pin: &Pin, cost: u32, salt: [u8; 16]) -> String {
    let cost = cost.max(MIN_BCRYPT_COST);
    bcrypt::hash_with_salt(pin.0.as_bytes(), cost, salt)
        .expect("a 4-6 digit PIN with cost 10..=31 always hashes")
        .format_for_version(bcrypt::Version::TwoB)
}

/// Whether `pin` matches a stored bcrypt hash. A malformed hash never matches.
pub fn verify_pin(pin: &Pin, hash: &str) -> bool {
    bcrypt::verify(pin.0.as_bytes(), hash).unwrap_or(false)
}

/// A valid hash of no PIN anyone can type, verified when the lookup found no
/// candidate so a wrong PIN costs the same time as a right one.
pub fn decoy_hash(cost: u32) -> String {
    bcrypt::hash_with_salt(b"not-a-pin", cost.max(MIN_BCRYPT_COST), [0x5a; 16])
        .expect("fixed input hashes")
        .format_for_version(bcrypt::Version::TwoB)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn pins_are_four_to_six_digits() {
        for ok in ["1234", "00000", "999999"] {
            assert!(Pin::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["123", "1234567", "12a4", "", " 1234", "１２３４"] {
            assert_eq!(Pin::parse(bad), Err(InvalidPin), "{bad}");
        }
    }

    #[test]
    fn a_pin_never_prints() {
        let pin = Pin::parse("4321").unwrap();
        assert!(!format!("{pin:?}").contains("4321"));
    }

    #[test]
    fn lookups_depend_on_the_tenant_key() {
        let pin = Pin::parse("1234").unwrap();
        let a = PinKey::derive_for_tenant(b"master", TenantId(Uuid::from_u128(1)));
        let b = PinKey::derive_for_tenant(b"master", TenantId(Uuid::from_u128(2)));
        assert_ne!(a.lookup(&pin), b.lookup(&pin));
        assert_eq!(a.lookup(&pin), a.lookup(&Pin::parse("1234").unwrap()));
        assert_ne!(a.lookup(&pin), a.lookup(&Pin::parse("1235").unwrap()));
    }

    #[test]
    fn a_hash_verifies_only_its_own_pin() {
        let pin = Pin::parse("2468").unwrap();
        let hash = hash_pin(&pin, MIN_BCRYPT_COST, [7; 16]);
        assert!(hash.starts_with("$2b$10$"));
        assert!(verify_pin(&pin, &hash));
        assert!(!verify_pin(&Pin::parse("2469").unwrap(), &hash));
        assert!(!verify_pin(&pin, "not a hash"));
        assert!(!verify_pin(&pin, &decoy_hash(MIN_BCRYPT_COST)));
    }
}
