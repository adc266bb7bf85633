//! Login throttles, persisted in the master database.
//!
//! Counter PIN logins are counted per device, per source address (across
//! tenants) and per tenant over a wider window; headquarters logins per email
//! and per source address. What the numbers mean is
//! `nexus_domain::throttle`'s; this module stores attempts and locks so every
//! central instance — and one restarted a second ago — counts the same.
//!
//! An attempt is written as a failure *before* the secret is checked and
//! turned into a success afterwards: attempts in flight on any instance count
//! against each other, and no lock is held while bcrypt runs. Rows no
//! throttle window needs any more are pruned a batch at a time as attempts
//! finish, so the tables stay as small as the windows.

use chrono::{DateTime, Duration, Utc};
use nexus_domain::throttle::{ThrottlePolicy, Verdict};
use sqlx::{AssertSqlSafe, PgConnection, PgPool};
use uuid::Uuid;

use crate::{Error, Result};

/// What a throttle counts failures of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// An enrolled device's counter logins.
    Device,
    /// Counter logins from one source address, whatever the tenant.
    CounterAddress,
    /// Counter logins of one tenant, over an hour.
    Tenant,
    /// Headquarters logins to one email.
    HqEmail,
    /// Headquarters logins from one source address.
    HqAddress,
}

/// Rows older than this are needed by no throttle.
fn longest_lookback() -> Duration {
    [Scope::Device, Scope::CounterAddress, Scope::Tenant, Scope::HqEmail, Scope::HqAddress]
        .into_iter()
        .map(|s| s.policy().lookback())
        .max()
        .unwrap_or_else(|| Duration::hours(1))
}

/// Old rows deleted per finished attempt: more than one attempt adds, so the
/// tables shrink back to the windows however they grew.
const PRUNE_BATCH: i64 = 500;

impl Scope {
    pub fn code(self) -> &'static str {
        match self {
            Scope::Device => "device",
            Scope::CounterAddress => "counter_ip",
            Scope::Tenant => "tenant",
            Scope::HqEmail => "hq_email",
            Scope::HqAddress => "hq_ip",
        }
    }

    /// The numbers of each throttle. A device and an email get the
    /// foundation spec's; an address may front a whole shop (or an office)
    /// behind one router, and a tenant many devices, so theirs are wider.
    pub fn policy(self) -> ThrottlePolicy {
        let wide = ThrottlePolicy {
            max_failures_per_minute: 20,
            lockout_threshold: 50,
            lockout_window: Duration::minutes(15),
            lockout_duration: Duration::minutes(15),
        };
        match self {
            Scope::Device | Scope::HqEmail => ThrottlePolicy::default(),
            Scope::CounterAddress | Scope::HqAddress => wide,
            Scope::Tenant => ThrottlePolicy {
                max_failures_per_minute: 50,
                lockout_threshold: 200,
                lockout_window: Duration::hours(1),
                lockout_duration: Duration::minutes(15),
            },
        }
    }

    fn failures_sql(self) -> &'static str {
        match self {
            Scope::Device => {
                "SELECT attempted_at FROM login_attempts
                 WHERE device_id = $1 AND NOT succeeded AND attempted_at > $2"
            }
            Scope::CounterAddress => {
                "SELECT attempted_at FROM login_attempts
                 WHERE ip_address = $1 AND NOT succeeded AND attempted_at > $2"
            }
            Scope::Tenant => {
                "SELECT attempted_at FROM login_attempts
                 WHERE tenant_id = $1::uuid AND NOT succeeded AND attempted_at > $2"
            }
            Scope::HqEmail => {
                "SELECT attempted_at FROM hq_login_attempts
                 WHERE email = $1 AND NOT succeeded AND attempted_at > $2"
            }
            Scope::HqAddress => {
                "SELECT attempted_at FROM hq_login_attempts
                 WHERE ip_address = $1 AND NOT succeeded AND attempted_at > $2"
            }
        }
    }

    /// The answer to a refused attempt, in the seed's words where it has them.
    pub fn refusal(self, verdict: Verdict) -> Error {
        let retry_after_secs = verdict.retry_after_secs().unwrap_or(1);
        let minutes = self.policy().lockout_duration.num_minutes();
        let (code, message) = match (self, verdict) {
            (_, Verdict::SlowDown { .. }) | (_, Verdict::Allowed) => {
                ("too_many_attempts", "Demasiados intentos. Espere un momento.".to_owned())
            }
            (Scope::Device, Verdict::Locked { .. }) => {
                ("device_locked", format!("Dispositivo bloqueado. Intente en {minutes} minutos."))
            }
            (Scope::CounterAddress | Scope::HqAddress, Verdict::Locked { .. }) => (
                "address_locked",
                format!("Demasiados intentos fallidos desde esta dirección. Intente en {minutes} minutos."),
            ),
            (Scope::Tenant, Verdict::Locked { .. }) => (
                "tenant_logins_locked",
                format!("Demasiados intentos fallidos en esta empresa. Intente en {minutes} minutos."),
            ),
            (Scope::HqEmail, Verdict::Locked { .. }) => (
                "account_locked",
                format!("Cuenta bloqueada por intentos fallidos. Intente en {minutes} minutos."),
            ),
        };
        Error::Throttled { code, message, retry_after_secs }
    }
}

/// One thing an attempt is counted against.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subject {
    pub scope: Scope,
    pub key: String,
}

impl Subject {
    pub fn new(scope: Scope, key: impl Into<String>) -> Subject {
        Subject { scope, key: key.into() }
    }
}

/// Where an attempt is recorded.
#[derive(Clone, Copy, Debug)]
pub enum Ledger<'a> {
    Counter { tenant_id: Uuid, device_id: Uuid, ip_address: Option<&'a str> },
    Hq { email: &'a str, ip_address: Option<&'a str> },
}

/// An attempt under way: recorded as a failure until it succeeds.
#[derive(Clone, Copy, Debug)]
pub struct Attempt {
    id: i64,
    hq: bool,
    pub at: DateTime<Utc>,
}

/// An attempt the throttles refused; nothing was recorded.
#[derive(Clone, Copy, Debug)]
pub struct Blocked {
    pub scope: Scope,
    pub verdict: Verdict,
}

impl Blocked {
    pub fn into_error(self) -> Error {
        self.scope.refusal(self.verdict)
    }
}

/// Takes the subjects' locks for this transaction, always in the same order
/// so two attempts never wait on each other crosswise.
async fn lock(conn: &mut PgConnection, subjects: &[Subject]) -> sqlx::Result<()> {
    let mut sorted: Vec<&Subject> = subjects.iter().collect();
    sorted.sort();
    for s in sorted {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
            .bind(format!("login:{}:{}", s.scope.code(), s.key))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn failures(
    conn: &mut PgConnection,
    s: &Subject,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<DateTime<Utc>>> {
    sqlx::query_scalar(s.scope.failures_sql()).bind(&s.key).bind(since).fetch_all(&mut *conn).await
}

/// Judges an attempt against every subject; when all allow it, records it
/// (as a failure, for now).
pub async fn begin(
    master: &PgPool,
    ledger: Ledger<'_>,
    subjects: &[Subject],
) -> Result<Result<Attempt, Blocked>> {
    let mut tx = master.begin().await?;
    lock(&mut tx, subjects).await?;
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT clock_timestamp()").fetch_one(&mut *tx).await?;
    for s in subjects {
        let policy = s.scope.policy();
        let locked_until: Option<DateTime<Utc>> =
            sqlx::query_scalar("SELECT locked_until FROM login_lockouts WHERE scope = $1 AND subject = $2")
                .bind(s.scope.code())
                .bind(&s.key)
                .fetch_optional(&mut *tx)
                .await?;
        let failed = failures(&mut tx, s, now - policy.lookback()).await?;
        let verdict = policy.check(now, locked_until, &failed);
        if verdict != Verdict::Allowed {
            tx.commit().await?;
            return Ok(Err(Blocked { scope: s.scope, verdict }));
        }
    }
    let (id, hq): (i64, bool) = match ledger {
        Ledger::Counter { tenant_id, device_id, ip_address } => (
            sqlx::query_scalar(
                "INSERT INTO login_attempts (tenant_id, device_id, succeeded, ip_address, attempted_at)
                 VALUES ($1, $2, false, $3, $4) RETURNING id",
            )
            .bind(tenant_id)
            .bind(device_id.to_string())
            .bind(ip_address)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?,
            false,
        ),
        Ledger::Hq { email, ip_address } => (
            sqlx::query_scalar(
                "INSERT INTO hq_login_attempts (email, succeeded, ip_address, attempted_at)
                 VALUES ($1, false, $2, $3) RETURNING id",
            )
            .bind(email)
            .bind(ip_address)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?,
            true,
        ),
    };
    tx.commit().await?;
    Ok(Ok(Attempt { id, hq, at: now }))
}

/// The attempt succeeded: it no longer counts as a failure.
pub async fn succeed(master: &PgPool, attempt: Attempt, who: Uuid) -> Result<()> {
    let sql = if attempt.hq {
        "UPDATE hq_login_attempts SET succeeded = true, account_id = $2 WHERE id = $1"
    } else {
        "UPDATE login_attempts SET succeeded = true, employee_id = $2 WHERE id = $1"
    };
    sqlx::query(sql).bind(attempt.id).bind(who).execute(master).await?;
    prune(master, attempt).await
}

/// The attempt failed: each subject whose window now holds enough failures
/// is locked. Returns the scopes this failure locked, with until when.
pub async fn fail(
    master: &PgPool,
    attempt: Attempt,
    subjects: &[Subject],
) -> Result<Vec<(Scope, DateTime<Utc>)>> {
    let mut tx = master.begin().await?;
    lock(&mut tx, subjects).await?;
    let mut locked = Vec::new();
    for s in subjects {
        let policy = s.scope.policy();
        let failed = failures(&mut tx, s, attempt.at - policy.lockout_window).await?;
        if let Some(until) = policy.lock_after_failure(attempt.at, failed.len()) {
            sqlx::query(
                "INSERT INTO login_lockouts (scope, subject, locked_until) VALUES ($1, $2, $3)
                 ON CONFLICT (scope, subject) DO UPDATE
                 SET locked_until = GREATEST(login_lockouts.locked_until, EXCLUDED.locked_until)",
            )
            .bind(s.scope.code())
            .bind(&s.key)
            .bind(until)
            .execute(&mut *tx)
            .await?;
            locked.push((s.scope, until));
        }
    }
    tx.commit().await?;
    prune(master, attempt).await?;
    Ok(locked)
}

/// Deletes a batch of the attempts and locks no throttle window needs.
async fn prune(master: &PgPool, attempt: Attempt) -> Result<()> {
    let table = if attempt.hq { "hq_login_attempts" } else { "login_attempts" };
    sqlx::query(AssertSqlSafe(format!(
        "DELETE FROM {table} WHERE id IN (
             SELECT id FROM {table} WHERE attempted_at < $1 ORDER BY attempted_at LIMIT $2 FOR UPDATE SKIP LOCKED)"
    )))
    .bind(attempt.at - longest_lookback())
    .bind(PRUNE_BATCH)
    .execute(master)
    .await?;
    sqlx::query("DELETE FROM login_lockouts WHERE locked_until < $1")
        .bind(attempt.at)
        .execute(master)
        .await?;
    Ok(())
}
