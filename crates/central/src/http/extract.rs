//! Request extractors: JSON, paths and queries that answer with our error
//! shape; the client's address; the callers — a counter (PIN token), a
//! device, headquarters (HQ session), the platform administrator — and the
//! permission gates.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use nexus_domain::Permission;
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::AppState;
use super::error::ApiError;
use crate::auth::{self, Caller};
use crate::hq::{self, HqCaller};

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

/// The client's address: the peer's, or — when the peer is a configured
/// trusted proxy — the last address in `X-Forwarded-For` that is not one.
pub struct ClientIp(pub Option<String>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
        Ok(ClientIp(
            peer.map(|peer| {
                client_address(peer, &parts.headers, &state.settings.trusted_proxies).to_string()
            }),
        ))
    }
}

fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // A hop a trusted proxy did not write cannot be told from a forged one.
        let Ok(ip) = hop.parse::<IpAddr>().map(|ip| ip.to_canonical()) else { break };
        client = ip;
        if !trusted.contains(&ip) {
            break;
        }
    }
    client
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    bearer_token(&parts.headers)
}

/// The bearer token of a request.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
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

/// Refuses anything but an HQ session at an HQ endpoint: above all a
/// counter's PIN token, which may look valid and must still open nothing here.
fn hq_token(parts: &Parts) -> Result<&str, ApiError> {
    let token = bearer(parts)?;
    if hq::is_hq_token(token) {
        Ok(token)
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "hq_login_required",
            "Esto se hace desde la oficina central: inicia sesión con tu correo y contraseña (un PIN de mostrador no basta)",
        ))
    }
}

impl FromRequestParts<AppState> for HqCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let HqEnrolling(caller) = HqEnrolling::from_request_parts(parts, state).await?;
        if caller.needs_totp {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "totp_enrollment_required",
                "La empresa exige verificación en dos pasos: actívala antes de seguir",
            ));
        }
        Ok(caller)
    }
}

/// An HQ session that may still have to set two-factor login up (the tenant
/// requires it and the account has not): for the routes that do just that,
/// and for `me` and logout.
pub struct HqEnrolling(pub HqCaller);

impl FromRequestParts<AppState> for HqEnrolling {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = hq_token(parts)?.to_owned();
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await.unwrap_or(ClientIp(None));
        Ok(HqEnrolling(hq::authenticate(state, &token, ip).await?))
    }
}

/// Anyone of the tenant — a counter token or an HQ session — for what both
/// need to read.
pub struct TenantReader {
    pub db: sqlx::PgPool,
}

impl FromRequestParts<AppState> for TenantReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if hq::is_hq_token(bearer(parts)?) {
            Ok(TenantReader { db: HqCaller::from_request_parts(parts, state).await?.db })
        } else {
            Ok(TenantReader { db: Caller::from_request_parts(parts, state).await?.db })
        }
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
    /// Read reports (sales, cash differences, register rotation, sync conflicts).
    ViewReports => [ReportsView];
    /// Read cash sessions, Z reports, remote-close requests, registers and who is assigned to them.
    ViewCash => [CashView];
    /// Create, change, activate and deactivate registers.
    ManageRegisters => [CashRegisterManage];
    /// Assign registers to employees and switch assignments on or off.
    AssignRegisters => [CashAssign];
}

/// An HQ caller holding every permission of `P`; otherwise 403 naming what
/// is missing.
pub struct HqCan<P>(pub HqCaller, pub PhantomData<P>);

impl<P: Requirement + Send> FromRequestParts<AppState> for HqCan<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = HqCaller::from_request_parts(parts, state).await?;
        caller.require(P::PERMISSIONS)?;
        Ok(HqCan(caller, PhantomData))
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
        // Digests have one length whatever was sent; `ct_eq` takes the same
        // time wherever they first differ.
        let given = Sha256::digest(given.as_bytes());
        if bool::from(given.ct_eq(&Sha256::digest(expected.expose_secret().as_bytes()))) {
            Ok(PlatformAdmin)
        } else {
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "token_invalid", "Token inválido"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn a_forwarded_address_counts_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let stranger: IpAddr = "198.51.100.2".parse().unwrap();
        // From a stranger, the header is the stranger's to write: ignored.
        assert_eq!(client_address(stranger, &forwarded("1.2.3.4"), &[proxy]), stranger);
        // From the proxy, the last hop it did not write is the client.
        assert_eq!(client_address(proxy, &forwarded("1.2.3.4, 203.0.113.7"), &[proxy]), client);
        assert_eq!(client_address(proxy, &forwarded("203.0.113.7, 10.0.0.1"), &[proxy]), client);
        // A garbled hop stops the walk at the last address known good.
        assert_eq!(client_address(proxy, &forwarded("203.0.113.7, junk"), &[proxy]), proxy);
        assert_eq!(client_address(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }
}
