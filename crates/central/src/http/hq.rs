//! `/v1/hq`: headquarters login, the current account, logout.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::ExposeSecret;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, ClientIp, HqEnrolling};
use crate::hq::{self, HqAccount, HqCaller, HqLoginRequest, HqLoginResponse};
use crate::invitations::{
    self, AcceptInvitation, CreatedInvitation, Invitation, InvitationPreview, NewInvitation,
};
use crate::totp::{self, HqSettings, TotpCode, TotpSetup, TotpStatus};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(me))
        .routes(routes!(logout))
        .routes(routes!(invite, invitations))
        .routes(routes!(revoke_invitation))
        .routes(routes!(preview_invitation))
        .routes(routes!(accept_invitation))
        .routes(routes!(totp_status))
        .routes(routes!(totp_setup))
        .routes(routes!(totp_enable))
        .routes(routes!(totp_disable))
        .routes(routes!(settings, set_settings))
}

/// Whether this account logs in with a second factor, and whether the tenant requires it.
#[utoipa::path(get, path = "/v1/hq/totp", tag = "hq", security(("bearer" = [])),
    responses((status = 200, body = TotpStatus),
        (status = 403, description = "Not an HQ session (`hq_login_required`)", body = ErrorBody)))]
async fn totp_status(
    State(central): State<AppState>,
    HqEnrolling(caller): HqEnrolling,
) -> ApiResult<Json<TotpStatus>> {
    Ok(Json(totp::status(&central, &caller).await?))
}

/// Starts two-factor setup: a new secret for the authenticator app, shown once.
#[utoipa::path(post, path = "/v1/hq/totp/setup", tag = "hq", security(("bearer" = [])),
    responses((status = 200, body = TotpSetup),
        (status = 403, description = "Not an HQ session (`hq_login_required`)", body = ErrorBody)))]
async fn totp_setup(
    State(central): State<AppState>,
    HqEnrolling(caller): HqEnrolling,
) -> ApiResult<Json<TotpSetup>> {
    Ok(Json(totp::setup(&central, &caller).await?))
}

/// Turns two-factor login on with a code made from the secret of the setup.
#[utoipa::path(post, path = "/v1/hq/totp/enable", tag = "hq", request_body = TotpCode, security(("bearer" = [])),
    responses((status = 200, body = TotpStatus),
        (status = 401, description = "A wrong or used code (`totp_invalid`)", body = ErrorBody),
        (status = 403, description = "Not an HQ session (`hq_login_required`)", body = ErrorBody),
        (status = 409, description = "No setup was started (`totp_setup_required`)", body = ErrorBody)))]
async fn totp_enable(
    State(central): State<AppState>,
    HqEnrolling(caller): HqEnrolling,
    ApiJson(body): ApiJson<TotpCode>,
) -> ApiResult<Json<TotpStatus>> {
    Ok(Json(totp::enable(&central, &caller, body.code.expose_secret()).await?))
}

/// Turns two-factor login off with a current code, unless the tenant requires it.
#[utoipa::path(post, path = "/v1/hq/totp/disable", tag = "hq", request_body = TotpCode, security(("bearer" = [])),
    responses((status = 200, body = TotpStatus),
        (status = 401, description = "A wrong or used code (`totp_invalid`)", body = ErrorBody),
        (status = 403, description = "Not an HQ session (`hq_login_required`)", body = ErrorBody),
        (status = 409, description = "The tenant requires it (`totp_required_by_tenant`)", body = ErrorBody)))]
async fn totp_disable(
    State(central): State<AppState>,
    caller: HqCaller,
    ApiJson(body): ApiJson<TotpCode>,
) -> ApiResult<Json<TotpStatus>> {
    Ok(Json(totp::disable(&central, &caller, body.code.expose_secret()).await?))
}

/// The tenant's headquarters settings.
#[utoipa::path(get, path = "/v1/hq/settings", tag = "hq", security(("bearer" = [])),
    responses((status = 200, body = HqSettings),
        (status = 403, description = "Not an HQ session (`hq_login_required`)", body = ErrorBody)))]
async fn settings(State(central): State<AppState>, caller: HqCaller) -> ApiResult<Json<HqSettings>> {
    Ok(Json(totp::settings(&central, caller.tenant.id).await?))
}

/// Changes the tenant's headquarters settings (the owner only).
#[utoipa::path(put, path = "/v1/hq/settings", tag = "hq", request_body = HqSettings, security(("bearer" = [])),
    responses((status = 200, body = HqSettings),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or not the owner (`hq_owner_required`)", body = ErrorBody)))]
async fn set_settings(
    State(central): State<AppState>,
    caller: HqCaller,
    ApiJson(new): ApiJson<HqSettings>,
) -> ApiResult<Json<HqSettings>> {
    Ok(Json(totp::set_settings(&central, &caller, &new).await?))
}

/// Invites a person to headquarters by email and role (the owner only);
/// answers the one-time code, shown once.
#[utoipa::path(post, path = "/v1/hq/invitations", tag = "hq", request_body = NewInvitation, security(("bearer" = [])),
    responses((status = 201, body = CreatedInvitation),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or not the owner (`hq_owner_required`)", body = ErrorBody),
        (status = 409, description = "The email already has an account (`hq_email_taken`)", body = ErrorBody),
        (status = 422, description = "A malformed email", body = ErrorBody)))]
async fn invite(
    State(central): State<AppState>,
    caller: HqCaller,
    ApiJson(new): ApiJson<NewInvitation>,
) -> ApiResult<(StatusCode, Json<CreatedInvitation>)> {
    let created = invitations::create(&central, caller.tenant.id, Some(&caller), &new).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The tenant's invitations, newest first (the owner only).
#[utoipa::path(get, path = "/v1/hq/invitations", tag = "hq", security(("bearer" = [])),
    responses((status = 200, body = Vec<Invitation>),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or not the owner (`hq_owner_required`)", body = ErrorBody)))]
async fn invitations(State(central): State<AppState>, caller: HqCaller) -> ApiResult<Json<Vec<Invitation>>> {
    caller.require_owner()?;
    Ok(Json(invitations::list(&central, caller.tenant.id).await?))
}

/// Withdraws an invitation not yet accepted (the owner only).
#[utoipa::path(post, path = "/v1/hq/invitations/{id}/revoke", tag = "hq", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Invitation),
        (status = 403, description = "Not an HQ session (`hq_login_required`) or not the owner (`hq_owner_required`)", body = ErrorBody),
        (status = 404, description = "No such open invitation in this tenant (`invitation_invalid`)", body = ErrorBody)))]
async fn revoke_invitation(
    State(central): State<AppState>,
    caller: HqCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Invitation>> {
    Ok(Json(invitations::revoke(&central, &caller, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct InvitationCode {
    code: String,
}

/// What an invitation offers, before accepting it (the code is the credential).
#[utoipa::path(post, path = "/v1/hq/invitations/preview", tag = "hq", request_body = InvitationCode,
    responses((status = 200, body = InvitationPreview),
        (status = 404, description = "Unknown or withdrawn (`invitation_invalid`)", body = ErrorBody),
        (status = 409, description = "Already used (`invitation_used`) or expired (`invitation_expired`)", body = ErrorBody)))]
async fn preview_invitation(
    State(central): State<AppState>,
    ApiJson(body): ApiJson<InvitationCode>,
) -> ApiResult<Json<InvitationPreview>> {
    Ok(Json(invitations::preview(&central, &body.code).await?))
}

/// Accepts an invitation with a name and a chosen password; the account exists from then on.
#[utoipa::path(post, path = "/v1/hq/invitations/accept", tag = "hq", request_body = AcceptInvitation,
    responses((status = 201, body = HqAccount),
        (status = 404, description = "Unknown or withdrawn (`invitation_invalid`)", body = ErrorBody),
        (status = 409, description = "Already used (`invitation_used`), expired (`invitation_expired`) or the email got an account meanwhile (`hq_email_taken`)", body = ErrorBody),
        (status = 422, description = "A missing name or a password too short or too long", body = ErrorBody)))]
async fn accept_invitation(
    State(central): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<AcceptInvitation>,
) -> ApiResult<(StatusCode, Json<HqAccount>)> {
    Ok((StatusCode::CREATED, Json(invitations::accept(&central, &req, ip).await?)))
}

/// Logs in with an HQ account's email and password; returns a session token.
#[utoipa::path(post, path = "/v1/hq/login", tag = "hq", request_body = HqLoginRequest,
    responses(
        (status = 200, body = HqLoginResponse),
        (status = 401, description = "Wrong email or password, or an inactive account or tenant", body = ErrorBody),
        (status = 422, description = "A malformed email or an empty password", body = ErrorBody),
        (status = 429, description = "Too many attempts for this email or from this address; see retry_after_secs", body = ErrorBody),
    ))]
async fn login(
    State(central): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<HqLoginRequest>,
) -> ApiResult<Json<HqLoginResponse>> {
    Ok(Json(hq::login(&central, &req, ip).await?))
}

/// The account of this session, as the database has it now.
#[utoipa::path(get, path = "/v1/hq/me", tag = "hq", security(("bearer" = [])),
    responses((status = 200, body = HqAccount),
        (status = 403, description = "Not an HQ session (`hq_login_required`)", body = ErrorBody)))]
async fn me(HqEnrolling(caller): HqEnrolling) -> Json<HqAccount> {
    Json(caller.account())
}

#[derive(Deserialize, IntoParams)]
struct LogoutQuery {
    /// End every session of this account, not only this one.
    #[serde(default)]
    everywhere: bool,
}

/// Ends this session (or, with `everywhere=true`, every session of the account).
#[utoipa::path(post, path = "/v1/hq/logout", tag = "hq", params(LogoutQuery), security(("bearer" = [])),
    responses((status = 204),
        (status = 403, description = "Not an HQ session (`hq_login_required`)", body = ErrorBody)))]
async fn logout(
    State(central): State<AppState>,
    HqEnrolling(caller): HqEnrolling,
    ApiQuery(q): ApiQuery<LogoutQuery>,
) -> ApiResult<StatusCode> {
    hq::logout(&central, &caller, q.everywhere).await?;
    Ok(StatusCode::NO_CONTENT)
}
