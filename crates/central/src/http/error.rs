//! Every HTTP error in one place: its status and its `{code, message}` body.
//!
//! Internal errors are logged with their detail and answered with a generic
//! message; nothing about the database or the code leaks to the client.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::Error;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, for programs.
    pub code: String,
    /// In Spanish, for people.
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    extra: Map<String, Value>,
    retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), extra: Map::new(), retry_after: None }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    fn with(mut self, key: &str, value: Value) -> ApiError {
        self.extra.insert(key.to_owned(), value);
        self
    }

    fn internal(detail: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %detail, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Error interno; intenta de nuevo")
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        match e {
            Error::Rule(rule) => {
                let status = if rule.is_forbidden() {
                    StatusCode::FORBIDDEN
                } else if rule.is_not_found() {
                    StatusCode::NOT_FOUND
                } else if rule.is_conflict() {
                    StatusCode::CONFLICT
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                ApiError::new(status, rule.code(), rule.to_string())
            }
            Error::NotFound { code, message } => ApiError::new(StatusCode::NOT_FOUND, code, message),
            Error::Conflict { code, message } => ApiError::new(StatusCode::CONFLICT, code, message),
            Error::Unprocessable { code, message } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
            }
            Error::Unauthorized { code, message } => ApiError::new(StatusCode::UNAUTHORIZED, code, message),
            Error::Forbidden { code, message } => ApiError::new(StatusCode::FORBIDDEN, code, message),
            Error::MissingPermissions { ref missing } => {
                let codes: Vec<&str> = missing.iter().map(|p| p.code()).collect();
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string()).with("missing", json!(codes))
            }
            Error::Throttled { code, message, retry_after_secs } => {
                let mut err = ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, message)
                    .with("retry_after_secs", json!(retry_after_secs));
                err.retry_after = Some(retry_after_secs);
                err
            }
            Error::Database(db) => ApiError::internal(&db),
            Error::Internal(other) => ApiError::internal(&format!("{other:#}")),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        match r {
            JsonRejection::JsonDataError(e) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("Cuerpo inválido: {}", e.body_text()),
            ),
            JsonRejection::JsonSyntaxError(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", "El cuerpo no es JSON válido")
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Se espera Content-Type: application/json",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "El cuerpo es demasiado grande",
            ),
            other => ApiError::new(other.status(), "bad_request", "Solicitud inválida"),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", "Un identificador de la ruta no es válido")
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("Parámetros inválidos: {}", r.body_text()),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = self.extra;
        body.insert("code".into(), json!(self.code));
        body.insert("message".into(), json!(self.message));
        let mut response = (self.status, Json(Value::Object(body))).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
