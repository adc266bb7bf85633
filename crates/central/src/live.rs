//! Live changes, fanned out between central's processes and to whoever
//! watches them.
//!
//! Several `pos-central` processes may serve one platform behind a load
//! balancer: the push that changes a tenant's board lands on any of them,
//! and the browser watching that board is connected to one. So a change is
//! announced with PostgreSQL's `NOTIFY` on the master database — one
//! channel, the tenant's id as payload — after the tenant's transaction
//! committed: tenant databases may live on other clusters, the master is the
//! one place every process shares. Each process keeps one `LISTEN`
//! connection to the master, opened when the first watcher arrives and
//! opened again whenever it drops, and passes each notice to its own
//! watchers of that tenant over a `tokio::sync::broadcast` channel.
//!
//! A notice only says "look again": a watcher reads the board afresh, so a
//! lost or repeated notice costs a refresh, never a wrong figure. Notices
//! sent while the listener was down are lost, so after it connects again
//! every watcher looks again; and every watcher looks again after a quiet
//! interval anyway, since time alone changes the board (a device falls
//! silent, a session grows older).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, watch};
use tokio::task::AbortHandle;
use tokio::time::Instant;
use uuid::Uuid;

use crate::db::Databases;

/// The master's channel for "a tenant's board changed"; the payload is the
/// tenant's id.
pub const CHANNEL: &str = "nexus_board";

/// Wake-ups of one watcher are at least this far apart, so a burst of
/// changes (a push of many ops, several tills at once) becomes one.
pub const SETTLE: Duration = Duration::from_millis(250);

/// How long a new watcher waits for the listener to be listening.
const LISTEN_WAIT: Duration = Duration::from_secs(5);

/// One per process: announces changes and passes them on to watchers.
pub struct Hub {
    shared: Arc<Shared>,
    master: PgPool,
    listen_pool: PgPool,
    refresh: Duration,
    listener: OnceLock<AbortHandle>,
}

struct Shared {
    tenants: Mutex<HashMap<Uuid, broadcast::Sender<()>>>,
    /// Whether the listener is listening now.
    listening: watch::Sender<bool>,
}

impl Shared {
    /// Wakes the watchers of `tenant`, and forgets a tenant nobody watches.
    fn changed(&self, tenant: Uuid) {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = tenants.get(&tenant)
            && sender.send(()).is_err()
        {
            tenants.remove(&tenant);
        }
    }

    /// Wakes every watcher: notices may have been lost.
    fn everyone(&self) {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants.retain(|_, sender| sender.send(()).is_ok());
    }
}

impl Hub {
    /// A hub over the master database; nothing connects until the first
    /// watcher or notice. Watchers look again after `refresh` without news.
    pub fn new(dbs: &Databases, refresh: Duration) -> Hub {
        Hub {
            shared: Arc::new(Shared { tenants: Mutex::default(), listening: watch::Sender::new(false) }),
            master: dbs.master.clone(),
            listen_pool: dbs.master_listen_pool(),
            refresh,
            listener: OnceLock::new(),
        }
    }

    /// Tells every central process that `tenant`'s board changed. Call it
    /// after the change committed. A failure is logged, not returned: the
    /// change stands, and watchers catch up at their next refresh.
    pub async fn notify(&self, tenant: Uuid) {
        let sent = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(tenant.to_string())
            .execute(&self.master)
            .await;
        if let Err(e) = sent {
            tracing::warn!(%tenant, error = %e, "board change not announced");
        }
    }

    /// Starts watching `tenant`'s board. The first watcher of the process
    /// starts the listener; this waits (a few seconds at most) until it
    /// listens, so a change committed after this returns is seen.
    pub async fn watch(&self, tenant: Uuid) -> Watch {
        self.listener.get_or_init(|| {
            tokio::spawn(listen(self.shared.clone(), self.listen_pool.clone())).abort_handle()
        });
        let receiver = {
            let mut tenants = self.shared.tenants.lock().unwrap_or_else(|e| e.into_inner());
            tenants.entry(tenant).or_insert_with(|| broadcast::channel(16).0).subscribe()
        };
        let mut listening = self.shared.listening.subscribe();
        if tokio::time::timeout(LISTEN_WAIT, listening.wait_for(|on| *on)).await.is_err() {
            tracing::warn!(%tenant, "the board's listener is not listening yet; watching on the refresh interval");
        }
        Watch { receiver, refresh: self.refresh, last: None }
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        if let Some(task) = self.listener.get() {
            task.abort();
        }
    }
}

/// One watcher of one tenant's board.
pub struct Watch {
    receiver: broadcast::Receiver<()>,
    refresh: Duration,
    last: Option<Instant>,
}

impl Watch {
    /// Waits until the board may have changed — a notice, or the refresh
    /// interval without one — at least [`SETTLE`] after the previous
    /// wake-up, taking every notice that arrived meanwhile as one.
    pub async fn changed(&mut self) {
        tokio::select! {
            received = self.receiver.recv() => {
                if let Err(broadcast::error::RecvError::Closed) = received {
                    tokio::time::sleep(self.refresh).await;
                }
            }
            () = tokio::time::sleep(self.refresh) => {}
        }
        if let Some(last) = self.last {
            tokio::time::sleep_until(last + SETTLE).await;
        }
        while let Ok(()) | Err(broadcast::error::TryRecvError::Lagged(_)) = self.receiver.try_recv() {}
        self.last = Some(Instant::now());
    }
}

/// The process's listener: listens on the master, passes notices on, and
/// connects again (backing off up to 30 s) whenever the connection drops.
async fn listen(shared: Arc<Shared>, pool: PgPool) {
    let mut failures: u32 = 0;
    loop {
        let connected = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.ignore_pool_close_event(true);
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        }
        .await;
        match connected {
            Ok(mut listener) => {
                failures = 0;
                shared.listening.send_replace(true);
                shared.everyone();
                loop {
                    match listener.try_recv().await {
                        Ok(Some(notice)) => match notice.payload().parse::<Uuid>() {
                            Ok(tenant) => shared.changed(tenant),
                            Err(_) => {
                                tracing::warn!(payload = notice.payload(), "a board notice without a tenant")
                            }
                        },
                        // The connection dropped and came back: what was
                        // sent meanwhile is lost.
                        Ok(None) => shared.everyone(),
                        Err(e) => {
                            tracing::warn!(error = %e, "the board's listener lost the master database");
                            break;
                        }
                    }
                }
                shared.listening.send_replace(false);
            }
            Err(e) => tracing::warn!(error = %e, "the board's listener cannot listen on the master database"),
        }
        failures = failures.saturating_add(1);
        let wait = Duration::from_secs(1 << failures.min(5)).min(Duration::from_secs(30));
        tokio::time::sleep(wait).await;
    }
}
