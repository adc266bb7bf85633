//! The outbox as the sync client and support staff see it.

use nexus_domain::sync::{DeviceReport, Op};
use serde::Serialize;

use crate::Terminal;
use crate::error::Result;
use crate::store::RowExt;

/// The version a terminal reports to headquarters.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OutboxStatus {
    /// Ops recorded here.
    pub head_seq: i64,
    /// Ops central has settled.
    pub acked_seq: i64,
    /// Ops waiting to be pushed.
    pub pending: i64,
}

impl Terminal {
    pub fn outbox_status(&self) -> Result<OutboxStatus> {
        self.store.read(|c| {
            let (head_seq, acked_seq): (i64, i64) =
                c.query_row("SELECT head_seq, acked_seq FROM sync_state WHERE id = 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            let pending: i64 =
                c.query_row("SELECT count(*) FROM outbox WHERE seq > ?1", [acked_seq], |r| r.get(0))?;
            Ok(OutboxStatus { head_seq, acked_seq, pending })
        })
    }

    /// What this terminal tells central about itself with each push and
    /// pull: the ops central has not settled, since when, and the version.
    pub fn device_report(&self) -> Result<DeviceReport> {
        self.store.read(|c| {
            let (pending_ops, oldest_pending_at) = c.query_row(
                "SELECT (SELECT count(*) FROM outbox WHERE seq > s.acked_seq),
                        (SELECT device_time FROM outbox WHERE seq > s.acked_seq ORDER BY seq LIMIT 1)
                 FROM sync_state s WHERE s.id = 1",
                [],
                |r| Ok((r.get(0)?, r.opt_time(1)?)),
            )?;
            Ok(DeviceReport { pending_ops, oldest_pending_at, app_version: APP_VERSION.to_owned() })
        })
    }

    /// Ops after `after_seq`, in seq order, at most `limit`.
    pub fn ops_after(&self, after_seq: i64, limit: usize) -> Result<Vec<Op>> {
        self.store.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT payload FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
            let texts = stmt
                .query_map(rusqlite::params![after_seq, limit as i64], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(texts.iter().map(|t| serde_json::from_str(t)).collect::<Result<_, _>>()?)
        })
    }
}
