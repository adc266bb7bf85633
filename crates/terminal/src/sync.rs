//! The terminal's side of sync: enrollment, pushing the outbox and pulling
//! reference data, in a background task that never blocks the counter.
//!
//! Push sends unsettled ops in seq order, in batches, and moves the settled
//! mark only to what central says it settled; an op is never deleted or
//! skipped. Pull applies central's feed page by page, each page with its
//! cursor in one transaction. The loop pushes soon after each commit,
//! pulls on an interval, and backs off with jitter while central cannot be
//! reached. Engine calls run on blocking threads. Every push and pull
//! carries the device's report (ops not settled, since when, the app's
//! version) for headquarters' live board.

use std::sync::Arc;
use std::time::Duration;

use chrono::SecondsFormat;
use nexus_domain::sync::{DeviceReport, EnrollRequest, EnrollResponse, PullPage, PushRequest, PushResponse};
use secrecy::ExposeSecret;
use tokio::sync::Notify;

use crate::error::{Error, ErrorBody};
use crate::replica::Link;
use crate::{CentralLink, Terminal};

/// Ops per push (central takes up to 1,000).
pub const PUSH_BATCH: usize = 1_000;
/// Changes per pull page.
pub const PULL_PAGE: i64 = 1_000;

/// How the loop paces itself.
#[derive(Clone, Copy, Debug)]
pub struct Pacing {
    /// Pull at least this often when all is well.
    pub interval: Duration,
    /// Wait this long after a commit before pushing, to gather a few.
    pub debounce: Duration,
    /// Backoff after failures: from `min_backoff` doubling up to `max_backoff`, ±50 % jitter.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// Time limit of one request.
    pub request_timeout: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            interval: Duration::from_secs(30),
            debounce: Duration::from_millis(200),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            request_timeout: Duration::from_secs(20),
        }
    }
}

/// Central's code for a device it revoked: the only refusal that is final.
pub const DEVICE_REVOKED: &str = "device_revoked";
/// Central's code for an enrollment code it does not know, already used or expired.
pub const ENROLLMENT_CODE_INVALID: &str = "enrollment_code_invalid";

/// Our code for plain `http://` to another machine without the opt-in.
pub const INSECURE_CENTRAL: &str = "insecure_central";

/// Why a sync round failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("Sin conexión con la central: {0}")]
    Offline(String),
    /// Central revoked this device. Final: it must be enrolled again.
    #[error("{message}")]
    Revoked { message: String },
    /// The enrollment code was mistyped, already used or has expired.
    #[error(
        "El código de enrolamiento es incorrecto o ya venció; revísalo o pide uno nuevo a la oficina central"
    )]
    CodeInvalid,
    /// Central did not accept the credential this time (an inactive
    /// company, a credential it cannot check now). Retried with backoff:
    /// it may pass once headquarters sets things right.
    #[error("La central no aceptó la credencial de este dispositivo: {message}")]
    Refused { code: String, message: String },
    /// Plain `http://` to another machine without the explicit opt-in.
    #[error(
        "La central está en http:// sin cifrar y en otro equipo: la credencial y las ventas viajarían legibles por la red. Usa https:// (TLS delante de la central) o, bajo tu responsabilidad, enrola con pos-terminal enroll --insecure"
    )]
    InsecureCentral,
    #[error("La central respondió {status}: {message}")]
    Central { status: u16, code: String, message: String },
    #[error(transparent)]
    Engine(#[from] Error),
}

impl SyncError {
    /// What a 401 from central means, by its stable code.
    pub fn unauthorized(code: String, message: String) -> SyncError {
        match code.as_str() {
            DEVICE_REVOKED => SyncError::Revoked { message },
            ENROLLMENT_CODE_INVALID => SyncError::CodeInvalid,
            _ => SyncError::Refused { code, message },
        }
    }

    /// Whether retrying cannot help: only a revoked device. Every other
    /// refusal, a server error or a lost network may pass on a later try.
    pub fn is_permanent(&self) -> bool {
        matches!(self, SyncError::Revoked { .. })
    }

    /// The error as the UI shows it: a stable code and a Spanish message.
    pub fn to_body(&self) -> ErrorBody {
        let code = match self {
            SyncError::Offline(_) => "central_unreachable",
            SyncError::Revoked { .. } => DEVICE_REVOKED,
            SyncError::CodeInvalid => ENROLLMENT_CODE_INVALID,
            SyncError::InsecureCentral => INSECURE_CENTRAL,
            SyncError::Refused { code, .. } => code,
            // Central's own Spanish message says what it refused.
            SyncError::Central { code, message, .. } => {
                return ErrorBody { code: code.clone(), message: message.clone(), retry_after_secs: None };
            }
            SyncError::Engine(e) => return e.to_body(),
        };
        ErrorBody { code: code.to_owned(), message: self.to_string(), retry_after_secs: None }
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Engine(Error::Internal(e.to_string())))?
        .map_err(SyncError::from)
}

/// The client every request to central goes through. It never follows a
/// redirect: one could lead the device credential to a plain `http://` address.
fn http(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// Whether the device credential and the store's data may travel to `url`:
/// over `https://` anywhere; over plain `http://` only to this machine
/// (127.0.0.0/8, ::1, `localhost`), or anywhere when `insecure` was chosen
/// explicitly at enrollment.
pub fn check_transport(url: &str, insecure: bool) -> Result<(), SyncError> {
    let invalid = || {
        let reason = "debe ser una dirección que empiece con https:// (o http:// en este mismo equipo)";
        SyncError::from(Error::from(nexus_domain::DomainError::Invalid { field: "central_url", reason }))
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| invalid())?;
    let host = parsed.host_str().filter(|h| !h.is_empty()).ok_or_else(invalid)?;
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback || insecure => Ok(()),
        "http" => Err(SyncError::InsecureCentral),
        _ => Err(invalid()),
    }
}

async fn answer<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T, SyncError> {
    let status = response.status();
    if status.is_success() {
        return response.json().await.map_err(|e| SyncError::Offline(e.to_string()));
    }
    let body: ErrorBody = response.json().await.unwrap_or(ErrorBody {
        code: "unknown".into(),
        message: format!("respuesta {status}"),
        retry_after_secs: None,
    });
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err(SyncError::unauthorized(body.code, body.message));
    }
    Err(SyncError::Central { status: status.as_u16(), code: body.code, message: body.message })
}

fn offline(e: reqwest::Error) -> SyncError {
    SyncError::Offline(e.to_string())
}

/// What the first-run screen asks to enroll a terminal.
#[derive(Clone, Debug, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Enrollment {
    /// Central's address, e.g. `https://central.example.mx`.
    pub central_url: String,
    /// The one-time code from headquarters, e.g. `K7QX-M2PD-9HTA`.
    pub code: String,
    /// How this terminal shows up at headquarters.
    pub device_name: String,
}

/// Enrolls a blank terminal with a one-time code and takes its first
/// snapshot of reference data. Central must be at an `https://` address,
/// or plain `http://` on this same machine.
pub async fn enroll(
    terminal: Arc<Terminal>,
    central_url: &str,
    code: &str,
    device_name: &str,
) -> Result<(), SyncError> {
    enroll_over(terminal, central_url, code, device_name, false).await
}

/// [`enroll`], also accepting plain `http://` to another machine: the
/// credential and every sale then cross the network readable. Only on the
/// explicit `--insecure` choice; the choice is stored with the address.
pub async fn enroll_insecure(
    terminal: Arc<Terminal>,
    central_url: &str,
    code: &str,
    device_name: &str,
) -> Result<(), SyncError> {
    enroll_over(terminal, central_url, code, device_name, true).await
}

async fn enroll_over(
    terminal: Arc<Terminal>,
    central_url: &str,
    code: &str,
    device_name: &str,
    insecure: bool,
) -> Result<(), SyncError> {
    if terminal.is_set_up() {
        return Err(Error::AlreadySetUp.into());
    }
    let url = central_url.trim().trim_end_matches('/').to_owned();
    if url.len() > 500 {
        let reason = "es demasiado larga";
        return Err(Error::from(nexus_domain::DomainError::Invalid { field: "central_url", reason }).into());
    }
    check_transport(&url, insecure)?;
    if code.trim().is_empty() {
        let reason = "escribe el código que te dio la oficina central";
        return Err(Error::from(nexus_domain::DomainError::Invalid { field: "code", reason }).into());
    }
    let response = http(Pacing::default().request_timeout)
        .post(format!("{url}/v1/devices/enroll"))
        .json(&EnrollRequest { code: code.trim().to_owned(), device_name: device_name.trim().to_owned() })
        .send()
        .await
        .map_err(offline)?;
    let enrolled: EnrollResponse = answer(response).await?;
    let t = terminal.clone();
    blocking(move || t.become_enrolled(&url, insecure, &enrolled)).await?;
    let client =
        SyncClient::new(terminal.clone(), Pacing::default())?.expect("an enrolled terminal has a link");
    client.pull().await?;
    blocking(move || terminal.set_link(Link { online: true, last_error: None })).await?;
    Ok(())
}

/// What one round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub pushed: usize,
    pub settled_seq: i64,
    pub rejected: usize,
    pub pulled: usize,
}

pub struct SyncClient {
    terminal: Arc<Terminal>,
    link: CentralLink,
    http: reqwest::Client,
    pacing: Pacing,
    wake: Notify,
}

impl SyncClient {
    /// The client of an enrolled terminal; `None` for a standalone one.
    pub fn new(terminal: Arc<Terminal>, pacing: Pacing) -> Result<Option<Arc<SyncClient>>, Error> {
        let Some(link) = terminal.device().ok().and_then(|d| d.central.clone()) else { return Ok(None) };
        Ok(Some(Arc::new(SyncClient {
            terminal,
            link,
            http: http(pacing.request_timeout),
            pacing,
            wake: Notify::new(),
        })))
    }

    /// The address of `path` at central, if the link may carry the
    /// credential there (see [`check_transport`]).
    fn endpoint(&self, path: &str) -> Result<String, SyncError> {
        check_transport(&self.link.url, self.link.insecure)?;
        Ok(format!("{}{path}", self.link.url))
    }

    /// Asks the loop to sync now ("sincronizar ahora", or after a commit).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Pushes every unsettled op, batch after batch. The next batch is read
    /// from the outbox while central applies the current one.
    pub async fn push(&self) -> Result<(usize, i64, usize), SyncError> {
        let (mut pushed, mut rejected) = (0, 0);
        let t = self.terminal.clone();
        let mut ops = blocking(move || t.unsettled_ops(PUSH_BATCH)).await?;
        loop {
            let (Some(first), Some(last)) = (ops.first().map(|op| op.seq), ops.last().map(|op| op.seq))
            else {
                let t = self.terminal.clone();
                return Ok((pushed, blocking(move || t.acked_seq()).await?, rejected));
            };
            let t = self.terminal.clone();
            let report = blocking(move || t.device_report()).await?;
            let send = self
                .http
                .post(self.endpoint("/v1/sync/push")?)
                .bearer_auth(self.link.credential.expose_secret())
                .json(&PushRequest { ops, report: Some(report) })
                .send();
            let t = self.terminal.clone();
            let read_ahead = blocking(move || t.ops_after(last, PUSH_BATCH));
            let (response, next) = tokio::join!(send, read_ahead);
            let settled: PushResponse = answer(response.map_err(offline)?).await?;
            pushed += settled.applied + settled.duplicates + settled.rejected.len();
            rejected += settled.rejected.len();
            let t = self.terminal.clone();
            let s = settled.clone();
            blocking(move || t.settle(&s)).await?;
            if settled.settled_seq < first {
                // Central is missing an earlier op than ours: it cannot be,
                // since ours start right after what it settled. Stop here.
                return Err(SyncError::Central {
                    status: 409,
                    code: "sync_gap".into(),
                    message: format!("la central quedó en {} y faltan operaciones", settled.settled_seq),
                });
            }
            ops = if settled.settled_seq >= last {
                next?
            } else {
                // Central settled only part of the batch: go on from there.
                let t = self.terminal.clone();
                blocking(move || t.unsettled_ops(PUSH_BATCH)).await?
            };
        }
    }

    /// The address of the feed's page after `after`, carrying the device's
    /// report as query parameters.
    fn pull_url(&self, after: i64, report: &DeviceReport) -> Result<reqwest::Url, SyncError> {
        let mut url = reqwest::Url::parse(&self.endpoint("/v1/sync/pull")?)
            .map_err(|e| SyncError::Offline(e.to_string()))?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("after", &after.to_string())
                .append_pair("limit", &PULL_PAGE.to_string())
                .append_pair("pending_ops", &report.pending_ops.to_string())
                .append_pair("app_version", &report.app_version);
            if let Some(oldest) = report.oldest_pending_at {
                query.append_pair("oldest_pending_at", &oldest.to_rfc3339_opts(SecondsFormat::Micros, true));
            }
        }
        Ok(url)
    }

    /// Applies central's feed until it has nothing newer.
    pub async fn pull(&self) -> Result<usize, SyncError> {
        let mut pulled = 0;
        let t = self.terminal.clone();
        let report = blocking(move || t.device_report()).await?;
        loop {
            let t = self.terminal.clone();
            let after = blocking(move || t.pull_cursor()).await?;
            let response = self
                .http
                .get(self.pull_url(after, &report)?)
                .bearer_auth(self.link.credential.expose_secret())
                .send()
                .await
                .map_err(offline)?;
            let page: PullPage = answer(response).await?;
            pulled += page.changes.len();
            let more = page.more;
            let t = self.terminal.clone();
            blocking(move || t.apply_pull(&page)).await?;
            if !more {
                return Ok(pulled);
            }
        }
    }

    /// One round: push, then pull. Records the outcome for the status bar.
    pub async fn round(&self) -> Result<Round, SyncError> {
        let result: Result<Round, SyncError> = async {
            let (pushed, _, rejected) = self.push().await?;
            let pulled = self.pull().await?;
            // A pull may close a session the owner asked to close: that
            // close goes up in the same round (nothing to send is no request).
            let (more, settled_seq, more_rejected) = self.push().await?;
            Ok(Round { pushed: pushed + more, settled_seq, rejected: rejected + more_rejected, pulled })
        }
        .await;
        let link = match &result {
            Ok(_) => Link { online: true, last_error: None },
            Err(e) => Link { online: false, last_error: Some(e.to_string()) },
        };
        let t = self.terminal.clone();
        let _ = blocking(move || t.set_link(link)).await;
        result
    }

    /// Runs rounds until the task is dropped: soon after each wake-up, at
    /// least every interval, backing off with jitter after failures. Only
    /// a device central revoked stops trying (its data stays); any other
    /// refusal, a server error or a lost network is tried again.
    pub async fn run(self: Arc<Self>) {
        let mut failures: u32 = 0;
        loop {
            match self.round().await {
                Ok(_) => failures = 0,
                Err(e) if e.is_permanent() => return,
                Err(_) => failures = failures.saturating_add(1),
            }
            let wait = if failures == 0 { self.pacing.interval } else { backoff(&self.pacing, failures) };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.wake.notified() => tokio::time::sleep(self.pacing.debounce).await,
            }
        }
    }
}

/// The wait after `failures` failures in a row: doubling, capped, ±50 %.
pub fn backoff(pacing: &Pacing, failures: u32) -> Duration {
    let base =
        pacing.min_backoff.saturating_mul(1u32 << failures.saturating_sub(1).min(16)).min(pacing.max_backoff);
    let mut r = [0u8; 2];
    let _ = getrandom::fill(&mut r);
    let factor = 0.5 + f64::from(u16::from_le_bytes(r)) / f64::from(u16::MAX);
    base.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_except_to_this_machine_or_when_chosen() {
        for url in [
            "https://central.example.mx",
            "https://10.0.0.5:8443",
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://localhost:8080",
            "http://LOCALHOST",
            "http://[::1]:8080",
        ] {
            assert!(check_transport(url, false).is_ok(), "{url}");
        }
        for url in [
            "http://192.168.1.20:8080",
            "http://10.0.0.5",
            "http://central.example.mx",
            "http://[fe80::1]",
            "http://127.0.0.1.example.mx",
            "http://localhost.example.mx",
            "http://0.0.0.0:8080",
        ] {
            let refused = check_transport(url, false).unwrap_err();
            assert_eq!(refused.to_body().code, INSECURE_CENTRAL, "{url}");
            assert!(refused.to_string().contains("--insecure"));
            assert!(check_transport(url, true).is_ok(), "{url} with the opt-in");
        }
        for url in ["central.example.mx", "ftp://central.example.mx", "file:///etc/passwd", "https://"] {
            assert_eq!(check_transport(url, true).unwrap_err().to_body().code, "field_invalid", "{url}");
        }
    }

    #[test]
    fn only_a_revoked_device_is_final() {
        let revoked = SyncError::unauthorized(DEVICE_REVOKED.into(), "revocado".into());
        assert!(revoked.is_permanent());
        assert_eq!(revoked.to_body().code, DEVICE_REVOKED);
        for code in ["device_credential_invalid", "tenant_inactive", "token_invalid", "unknown"] {
            let refused = SyncError::unauthorized(code.into(), "no".into());
            assert!(!refused.is_permanent(), "{code}");
            assert_eq!(refused.to_body().code, code);
        }
        let others = [
            SyncError::Offline("connection refused".into()),
            SyncError::Central { status: 503, code: "unavailable".into(), message: "x".into() },
            SyncError::unauthorized(ENROLLMENT_CODE_INVALID.into(), "x".into()),
        ];
        assert!(others.iter().all(|e| !e.is_permanent()));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let p = Pacing::default();
        for failures in 1..20 {
            let expected = p.min_backoff.saturating_mul(1 << (failures - 1).min(16)).min(p.max_backoff);
            let wait = backoff(&p, failures);
            assert!(wait >= expected.mul_f64(0.5) && wait <= expected.mul_f64(1.5), "{failures}: {wait:?}");
        }
    }
}
