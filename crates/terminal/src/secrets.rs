//! Device secrets in the operating system's secret store.
//!
//! The device id and the tenant's PIN key never sit in the SQLite file: a
//! copied database cannot be used to look up PINs. They live in the OS
//! keyring through the `keyring` crate (Secret Service on Linux, Keychain on
//! macOS, Credential Manager on Windows), in one entry named after the
//! database's installation id, so several terminals' data directories on one
//! machine never mix their secrets.
//!
//! The key that encrypts the database (SQLCipher) sits in a second entry of
//! the same installation, made when the database is: it must outlive the
//! device secrets (a failed enrollment forgets those, never the data).

use nexus_domain::pin::PinKey;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};

/// The secrets of one terminal. `Debug` shows none of them.
#[derive(Clone, Debug)]
pub struct DeviceSecrets {
    pub device_id: Uuid,
    pub pin_key: PinKey,
    /// The credential central issued at enrollment (none for a standalone store).
    pub credential: Option<SecretString>,
}

/// The keyring entry's JSON; it exists only while being written or read.
#[derive(Serialize, Deserialize)]
struct Stored {
    device_id: Uuid,
    pin_key: String,
    #[serde(default)]
    credential: Option<String>,
}

impl Drop for Stored {
    fn drop(&mut self) {
        use secrecy::zeroize::Zeroize;
        self.pin_key.zeroize();
        self.credential.zeroize();
    }
}

/// Where a terminal keeps its secrets.
#[derive(Clone, Debug)]
pub struct SecretStore {
    service: String,
    installation: Uuid,
}

fn store_error(e: keyring::Error) -> Error {
    match e {
        keyring::Error::NoEntry => Error::SecretsMissing,
        other => Error::SecretStore(other.to_string()),
    }
}

impl SecretStore {
    /// `service` names the application in the keyring (normally
    /// `nexus-pos`); `installation` is the database's own id.
    pub fn new(service: &str, installation: Uuid) -> SecretStore {
        SecretStore { service: service.to_owned(), installation }
    }

    fn entry(&self) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, &format!("terminal/{}", self.installation)).map_err(store_error)
    }

    /// Checks that the platform's secret store can be reached.
    pub fn check_available() -> Result<()> {
        keyring::Entry::store_status().as_ref().map(|_| ()).map_err(|e| Error::SecretStore(e.to_string()))
    }

    pub fn save(&self, secrets: &DeviceSecrets) -> Result<()> {
        Self::check_available()?;
        let stored = Stored {
            device_id: secrets.device_id,
            pin_key: hex::encode(secrets.pin_key.as_bytes()),
            credential: secrets.credential.as_ref().map(|c| c.expose_secret().to_owned()),
        };
        let text = SecretString::from(serde_json::to_string(&stored)?);
        self.entry()?.set_password(text.expose_secret()).map_err(store_error)
    }

    pub fn load(&self) -> Result<DeviceSecrets> {
        Self::check_available()?;
        let text = SecretString::from(self.entry()?.get_password().map_err(store_error)?);
        let stored: Stored = serde_json::from_str(text.expose_secret()).map_err(|_| Error::SecretsMissing)?;
        let mut key = [0u8; 32];
        hex::decode_to_slice(&stored.pin_key, &mut key).map_err(|_| Error::SecretsMissing)?;
        Ok(DeviceSecrets {
            device_id: stored.device_id,
            pin_key: PinKey::from_bytes(key),
            credential: stored.credential.as_deref().map(SecretString::from),
        })
    }

    /// Removes this terminal's secrets (tests, decommissioning).
    pub fn forget(&self) -> Result<()> {
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }
}

/// The 32-byte key of the local database. `Debug` prints `***`; the bytes
/// are zeroed when dropped.
pub struct DatabaseKey(SecretBox<[u8; 32]>);

impl DatabaseKey {
    pub fn from_bytes(bytes: [u8; 32]) -> DatabaseKey {
        DatabaseKey(SecretBox::new(Box::new(bytes)))
    }

    /// A new random key.
    pub fn generate() -> Result<DatabaseKey> {
        Ok(DatabaseKey::from_bytes(random_key()?))
    }

    pub fn expose(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for DatabaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseKey(***)")
    }
}

impl SecretStore {
    fn database_entry(&self) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, &format!("terminal/{}/database", self.installation))
            .map_err(store_error)
    }

    /// The database key; a missing one is `DatabaseKeyMissing`.
    pub fn load_database_key(&self) -> Result<DatabaseKey> {
        Self::check_available()?;
        let text =
            secrecy::SecretString::from(self.database_entry()?.get_password().map_err(|e| match e {
                keyring::Error::NoEntry => Error::DatabaseKeyMissing,
                other => store_error(other),
            })?);
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text.expose_secret(), &mut bytes).map_err(|_| Error::DatabaseKeyMissing)?;
        Ok(DatabaseKey::from_bytes(bytes))
    }

    pub fn save_database_key(&self, key: &DatabaseKey) -> Result<()> {
        Self::check_available()?;
        let text = secrecy::SecretString::from(hex::encode(key.expose()));
        self.database_entry()?.set_password(text.expose_secret()).map_err(store_error)
    }

    /// Removes the database key: the database can never be read again.
    pub fn forget_database_key(&self) -> Result<()> {
        match self.database_entry()?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }
}

/// 32 bytes from the operating system's random source.
pub fn random_key() -> Result<[u8; 32]> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| Error::Internal(format!("no random source: {e}")))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_shows_no_secret() {
        let credential = "nxd.0190c6a1-0000-7000-8000-000000000001.s3cr3t-credential";
        let secrets = DeviceSecrets {
            device_id: Uuid::nil(),
            pin_key: PinKey::from_bytes([0xAB; 32]),
            credential: Some(SecretString::from(credential)),
        };
        let key = DatabaseKey::from_bytes([0xCD; 32]);
        let link = crate::CentralLink {
            url: "https://central.example.mx".into(),
            insecure: false,
            credential: SecretString::from(credential),
        };
        let answer: nexus_domain::sync::EnrollResponse = serde_json::from_value(serde_json::json!({
            "device_id": Uuid::nil(), "credential": credential, "tenant_id": Uuid::nil(),
            "tenant_name": "Demo", "branch_id": Uuid::nil(), "pin_key": "ab".repeat(32),
        }))
        .unwrap();
        for shown in [format!("{secrets:?}"), format!("{key:?}"), format!("{link:?}"), format!("{answer:?}")]
        {
            for secret in [credential, "s3cr3t", &"ab".repeat(16), &"cd".repeat(16), "171, 171", "205, 205"] {
                assert!(!shown.to_lowercase().contains(secret), "{shown} shows {secret}");
            }
        }
        assert!(format!("{link:?}").contains("central.example.mx"), "what is not secret still shows");
    }
}
