//! The errors of central's services, before HTTP.
//!
//! Each variant is something a caller can act on; the HTTP layer maps them to
//! status codes in one place (`http::error`).

use nexus_domain::{DomainError, Permission};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request breaks a business rule; nothing was written.
    #[error(transparent)]
    Rule(#[from] DomainError),
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// Well-formed, but not something that can be answered (a date range
    /// that ends before it starts); nothing was written.
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    /// Authenticated, but this kind of login may not do this.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("faltan permisos: {}", .missing.iter().map(|p| p.code()).collect::<Vec<_>>().join(", "))]
    MissingPermissions { missing: Vec<Permission> },
    #[error("{message}")]
    Throttled { code: &'static str, message: String, retry_after_secs: i64 },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Error {
        Error::NotFound { code, message: message.into() }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Error {
        Error::Conflict { code, message: message.into() }
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Error {
        Error::Unprocessable { code, message: message.into() }
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Error {
        Error::Unauthorized { code, message: message.into() }
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Error {
        Error::Forbidden { code, message: message.into() }
    }
}

/// The name of the constraint a database error violated, if any.
pub fn violated_constraint(err: &sqlx::Error) -> Option<&str> {
    match err {
        sqlx::Error::Database(db) => db.constraint(),
        _ => None,
    }
}
