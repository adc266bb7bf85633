//! The terminal engine's errors: each a stable code and a Spanish message.
//!
//! The desktop shell sends `{code, message}` to the UI, which matches codes
//! and shows messages; the CLI prints both.

use nexus_domain::DomainError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A business rule refused the action; nothing was written.
    #[error(transparent)]
    Rule(#[from] DomainError),
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("PIN incorrecto")]
    WrongPin,
    #[error("{message}")]
    Throttled { code: &'static str, message: String, retry_after_secs: i64 },
    #[error("Ingresa tu PIN para continuar")]
    NotLoggedIn,
    #[error("La sesión se bloqueó por inactividad; ingresa tu PIN")]
    IdleLocked,
    #[error("Esta terminal aún no está configurada")]
    NotSetUp,
    #[error("Esta terminal ya está configurada")]
    AlreadySetUp,
    /// The OS secret store (Secret Service on Linux) is missing or refused.
    #[error("No se puede usar el almacén de secretos del sistema: {0}")]
    SecretStore(String),
    /// The database belongs to a device whose secrets are not in this
    /// machine's secret store.
    #[error("Faltan los secretos de este dispositivo en el almacén del sistema")]
    SecretsMissing,
    /// The database is encrypted and its key is not in this machine's
    /// secret store (or is not its key): its data cannot be read.
    #[error(
        "La base de datos local está cifrada y su llave no está en el almacén de secretos de este equipo; sin ella sus datos no se pueden leer"
    )]
    DatabaseKeyMissing,
    #[error("La base de datos local es de una versión más nueva ({found}) que esta aplicación ({known})")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("Error de la base de datos local: {0}")]
    Storage(#[from] rusqlite::Error),
    #[error("Error interno: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Error {
        Error::NotFound { code, message: message.into() }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Error {
        Error::Conflict { code, message: message.into() }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::Rule(rule) => rule.code(),
            Error::NotFound { code, .. } | Error::Conflict { code, .. } | Error::Throttled { code, .. } => {
                code
            }
            Error::WrongPin => "wrong_pin",
            Error::NotLoggedIn => "not_logged_in",
            Error::IdleLocked => "session_locked",
            Error::NotSetUp => "not_set_up",
            Error::AlreadySetUp => "already_set_up",
            Error::SecretStore(_) => "secret_store_unavailable",
            Error::SecretsMissing => "device_secrets_missing",
            Error::DatabaseKeyMissing => "database_key_missing",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::Storage(_) => "storage",
            Error::Internal(_) => "internal",
        }
    }

    /// What crosses to the UI or a script.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code().to_owned(),
            message: self.to_string(),
            retry_after_secs: match self {
                Error::Throttled { retry_after_secs, .. } => Some(*retry_after_secs),
                _ => None,
            },
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::Internal(format!("JSON: {e}"))
    }
}

impl From<nexus_domain::money::MoneyError> for Error {
    fn from(e: nexus_domain::money::MoneyError) -> Error {
        Error::Rule(e.into())
    }
}

/// An error as data: `{code, message}` plus the wait for throttling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub retry_after_secs: Option<i64>,
}
