//! PINs: the policy, generation, the keyed lookup and the keyed bcrypt hash.
//!
//! A PIN alone identifies an employee at the counter, so it must be unique
//! within a tenant and findable without trying bcrypt against every employee.
//! Each employee row keeps `pin_lookup = HMAC-SHA256(tenant PIN key, PIN)`
//! (unique per tenant) next to the hash: login finds the one candidate by the
//! lookup and verifies bcrypt once.
//!
//! A 4-digit PIN has 10,000 values, so a bcrypt hash of the bare PIN falls to
//! a few minutes of guessing once the database is stolen. The hash is
//! therefore bcrypt over a second keyed HMAC of the PIN: without the tenant
//! key (OS secret store on a terminal, secret configuration on central) a
//! stolen database holds nothing a guess can be checked against.
//!
//! PINs are made by the system, never chosen by an administrator: a "this PIN
//! is taken" answer to a chosen PIN would tell whoever tries PINs which ones
//! open someone's till.

use std::fmt;

use hmac::{KeyInit, Mac};
use sha2::Sha256;

use crate::TenantId;
use crate::permission::{Permission, PermissionSet, Role};

/// The smallest bcrypt cost accepted anywhere.
pub const MIN_BCRYPT_COST: u32 = 10;

/// Digits of a PIN that opens no more than a counter.
pub const COUNTER_PIN_LEN: usize = 4;
/// Digits of a PIN that can manage people, registers or the books.
pub const MANAGER_PIN_LEN: usize = 6;

/// A PIN that passed the policy: 4 to 6 ASCII digits. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("el PIN debe tener de 4 a 6 dígitos")]
pub struct InvalidPin;

/// Why a PIN someone chose for themselves is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WeakPin {
    #[error("tu PIN debe tener {required} dígitos")]
    TooShort { required: usize },
    #[error("el PIN es demasiado fácil de adivinar (repetido o consecutivo)")]
    Guessable,
}

impl Pin {
    pub fn parse(text: &str) -> Result<Pin, InvalidPin> {
        if (4..=6).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Pin(text.to_owned()))
        } else {
            Err(InvalidPin)
        }
    }

    /// A random PIN of `len` digits (4 to 6) drawn from `next_u32`, the
    /// caller's random source. Guessable PINs (one digit repeated, a run up or
    /// down) are never made. The caller retries when the PIN is taken.
    pub fn generate(len: usize, mut next_u32: impl FnMut() -> u32) -> Pin {
        let len = len.clamp(4, 6);
        let bound = 10u32.pow(len as u32);
        // Rejection sampling keeps every PIN equally likely.
        let zone = u32::MAX - u32::MAX % bound;
        loop {
            let draw = next_u32();
            if draw >= zone {
                continue;
            }
            let pin = Pin(format!("{:0len$}", draw % bound));
            if !pin.is_guessable() {
                return pin;
            }
        }
    }

    /// One digit repeated (`0000`), or a run up or down (`1234`, `987654`).
    pub fn is_guessable(&self) -> bool {
        let d = self.0.as_bytes();
        let steps: Vec<i16> = d.windows(2).map(|w| i16::from(w[1]) - i16::from(w[0])).collect();
        steps.iter().all(|s| *s == 0) || steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1)
    }

    /// Checks a PIN an employee chose for themselves: long enough for what
    /// their role can do and not guessable.
    pub fn check_chosen(&self, role: Role, permissions: &PermissionSet) -> Result<(), WeakPin> {
        let required = required_len(role, permissions);
        if self.0.len() < required {
            return Err(WeakPin::TooShort { required });
        }
        if self.is_guessable() {
            return Err(WeakPin::Guessable);
        }
        Ok(())
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

/// How many digits the PIN of an employee with this role and these
/// permissions has: 6 for the owner, admins and anyone who can manage people,
/// registers, configuration or the books; 4 for a counter.
pub fn required_len(role: Role, permissions: &PermissionSet) -> usize {
    use Permission::*;
    let manages =
        [SecurityUsersManage, CashAssign, CashRegisterManage, ConfigEdit, AccountingCreate, AccountingClose];
    if matches!(role, Role::Owner | Role::Admin) || manages.iter().any(|p| permissions.contains(*p)) {
        MANAGER_PIN_LEN
    } else {
        COUNTER_PIN_LEN
    }
}

/// The tenant's secret key for PIN lookups and hashes. Never printed.
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

    /// What bcrypt hashes: a second HMAC of the PIN under a separate label,
    /// as hex (64 bytes, within bcrypt's 72). It differs from the lookup, which
    /// sits in the same row.
    fn hash_input(&self, pin: &Pin) -> String {
        let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC accepts keys of any length");
        mac.update(b"nexus-pos/pin-hash/v1/");
        mac.update(pin.0.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The stored hash of `pin`: bcrypt (the given cost, at least
    /// [`MIN_BCRYPT_COST`]) over the keyed HMAC of the PIN. The caller supplies
    /// the salt from the operating system's random source.
    pub fn hash(&self, pin: &Pin, cost: u32, salt: [u8; 16]) -> String {
        bcrypt::hash_with_salt(self.hash_input(pin), cost.max(MIN_BCRYPT_COST), salt)
            .expect("a 64-byte input with cost 10..=31 always hashes")
            .format_for_version(bcrypt::Version::TwoB)
    }

    /// Whether `pin` matches a hash made by [`PinKey::hash`] with this key. A
    /// malformed hash, or one made with another key, never matches.
    pub fn verify(&self, pin: &Pin, hash: &str) -> bool {
        bcrypt::verify(self.hash_input(pin), hash).unwrap_or(false)
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
    fn a_hash_verifies_only_its_own_pin_under_its_own_key() {
        let key = PinKey::derive_for_tenant(b"master", TenantId(Uuid::from_u128(1)));
        let other = PinKey::derive_for_tenant(b"master", TenantId(Uuid::from_u128(2)));
        let pin = Pin::parse("2468").unwrap();
        let hash = key.hash(&pin, MIN_BCRYPT_COST, [7; 16]);
        assert!(hash.starts_with("$2b$10$"));
        assert!(key.verify(&pin, &hash));
        assert!(!key.verify(&Pin::parse("2469").unwrap(), &hash));
        assert!(!other.verify(&pin, &hash), "another tenant's key must not verify");
        assert!(!key.verify(&pin, "not a hash"));
        assert!(!key.verify(&pin, &decoy_hash(MIN_BCRYPT_COST)));
    }

    #[test]
    fn a_stolen_hash_cannot_be_checked_against_the_bare_pin() {
        let key = PinKey::derive_for_tenant(b"master", TenantId(Uuid::from_u128(1)));
        let pin = Pin::parse("2468").unwrap();
        let hash = key.hash(&pin, MIN_BCRYPT_COST, [7; 16]);
        assert!(!bcrypt::verify("2468", &hash).unwrap_or(false));
        let lookup_hex: String = key.lookup(&pin).as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert!(!bcrypt::verify(lookup_hex, &hash).unwrap_or(false), "the stored lookup must not verify");
    }

    #[test]
    fn generated_pins_have_the_asked_length_and_are_never_guessable() {
        let mut state = 0x2545_f491_u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        for len in [4, 6] {
            for _ in 0..2000 {
                let pin = Pin::generate(len, &mut next);
                assert_eq!(pin.len(), len);
                assert!(Pin::parse(pin.expose()).is_ok());
                assert!(!pin.is_guessable(), "{}", pin.expose());
            }
        }
        // A source that first offers guessable values still ends with a good PIN.
        let mut draws = [1111u32, 1234, 4321, 9876 + 10_000 * 7, 5081].into_iter();
        assert_eq!(Pin::generate(4, || draws.next().unwrap()).expose(), "5081");
    }

    #[test]
    fn managers_get_six_digits_and_counters_four() {
        assert_eq!(required_len(Role::Owner, &PermissionSet::default()), 6);
        assert_eq!(required_len(Role::Admin, &Role::Admin.default_permissions()), 6);
        assert_eq!(required_len(Role::Cashier, &Role::Cashier.default_permissions()), 4);
        let cashier_who_assigns: PermissionSet =
            [Permission::PosSell, Permission::CashAssign].into_iter().collect();
        assert_eq!(required_len(Role::Cashier, &cashier_who_assigns), 6);
    }

    #[test]
    fn a_chosen_pin_must_fit_the_role_and_not_be_guessable() {
        let cashier = Role::Cashier.default_permissions();
        assert_eq!(Pin::parse("5081").unwrap().check_chosen(Role::Cashier, &cashier), Ok(()));
        assert_eq!(
            Pin::parse("1111").unwrap().check_chosen(Role::Cashier, &cashier),
            Err(WeakPin::Guessable)
        );
        assert_eq!(
            Pin::parse("5081").unwrap().check_chosen(Role::Admin, &Role::Admin.default_permissions()),
            Err(WeakPin::TooShort { required: 6 })
        );
        assert_eq!(
            Pin::parse("654321").unwrap().check_chosen(Role::Owner, &PermissionSet::default()),
            Err(WeakPin::Guessable)
        );
    }
}
