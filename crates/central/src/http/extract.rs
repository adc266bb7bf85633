//! Request extractors: JSON, paths and queries that answer with our error
//! shape, the authenticated caller, the permission gate and the platform
//! administrator.

use std::marker::PhantomData;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use nexus_domain::Permission;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;
use crate::auth::{self, Caller};

/// `Json<T>` whose rejections are `{code, message}`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(value))
    }
}

/// `Path<T>` whose rejections are `{code, message}`.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(value) = Path::<T>::from_request_parts(parts, state).await?;
        Ok(ApiPath(value))
    }
}

/// `Query<T>` whose rejections are `{code, message}`.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(value) = Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(value))
    }
}

/// The peer's address, when the server was started with connection info.
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip().to_string()),
        ))
    }
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "token_required", "Se requiere un token"))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?.to_owned();
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await.unwrap_or(ClientIp(None));
        Ok(auth::authenticate(state, &token, ip).await?)
    }
}

impl FromRequestParts<AppState> for crate::devices::DeviceCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let credential = bearer(parts)?.to_owned();
        Ok(crate::devices::authenticate(state, &credential).await?)
    }
}

/// The permissions an endpoint requires.
pub trait Requirement {
    const PERMISSIONS: &'static [Permission];
}

macro_rules! requirements {
    ($($(#[$meta:meta])* $name:ident => [$($p:ident),+];)*) => {$(
        $(#[$meta])*
        pub struct $name;
        impl Requirement for $name {
            const PERMISSIONS: &'static [Permission] = &[$(Permission::$p),+];
        }
    )*};
}

requirements! {
    /// Create, change, deactivate and re-PIN employees.
    ManageUsers => [SecurityUsersManage];
    /// Read the tenant's configuration.
    ViewConfig => [ConfigView];
    /// Change the tenant's configuration.
    EditConfig => [ConfigEdit];
    /// Read reports (sync conflicts).
    ViewReports => [ReportsView];
}

/// A caller holding every permission of `P`; otherwise 403 naming what is
/// missing.
pub struct Can<P>(pub Caller, pub PhantomData<P>);

impl<P: Requirement + Send> FromRequestParts<AppState> for Can<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(P::PERMISSIONS)?;
        Ok(Can(caller, PhantomData))
    }
}

/// The platform administrator, by the configured bearer token.
pub struct PlatformAdmin;

impl FromRequestParts<AppState> for PlatformAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(expected) = &state.settings.platform_admin_token else {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "platform_admin_disabled",
                "La administración de la plataforma no está habilitada en este servidor",
            ));
        };
        let given = bearer(parts)?;
        // Comparing digests keeps the comparison time independent of where the
        // strings first differ.
        if Sha256::digest(given.as_bytes()) == Sha256::digest(expected.expose().as_bytes()) {
            Ok(PlatformAdmin)
        } else {
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "token_invalid", "Token inválido"))
        }
    }
}
