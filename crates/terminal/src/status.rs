//! What the desktop shell shows around every screen: the store, the
//! terminal's settings and its sync state.

use std::collections::BTreeMap;

use nexus_domain::Permission;
use nexus_domain::error::DomainError;
use serde::Serialize;
use uuid::Uuid;

use nexus_domain::sync::{OpKind, payload};
use serde_json::json;

use crate::Terminal;
use crate::error::Result;
use crate::journal::{self, Entry};
use crate::outbox::OutboxStatus;
use crate::store::{settings_get, settings_set};

/// How the terminal reaches central.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncState {
    /// `standalone` (no central) or `enrolled`.
    pub mode: String,
    pub online: bool,
    pub pending_ops: i64,
    pub last_sync_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TerminalStatus {
    pub set_up: bool,
    pub store_name: Option<String>,
    pub branch_name: Option<String>,
    pub device_id: Option<Uuid>,
    /// The PIN pad submits by itself after this many digits; `None` waits for Enter.
    pub pin_length: Option<u8>,
    pub auto_lock_secs: i64,
    pub sync: SyncState,
}

/// The PIN pad's auto-submit length unless configured: the seed's 4 digits.
pub const DEFAULT_PIN_LENGTH: u8 = 4;

impl Terminal {
    pub fn status(&self) -> Result<TerminalStatus> {
        let device = self.device().ok();
        let outbox: OutboxStatus = self.outbox_status()?;
        let (pin_length, mode, branch_name, last_sync_at, last_error) = self.store.read(|c| {
            let pin_length = match settings_get(c, "pin_length")?.as_deref() {
                None => Some(DEFAULT_PIN_LENGTH),
                Some("") => None,
                Some(v) => v.parse().ok(),
            };
            let mode = settings_get(c, "mode")?.unwrap_or_else(|| "standalone".into());
            let branch_name: Option<String> = match &device {
                Some(d) => c
                    .query_row("SELECT name FROM branches WHERE id = ?1", [d.branch_id.to_string()], |r| {
                        r.get(0)
                    })
                    .ok(),
                None => None,
            };
            let (last_sync_at, last_error): (Option<String>, Option<String>) =
                c.query_row("SELECT last_sync_at, last_error FROM sync_state WHERE id = 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            Ok((pin_length, mode, branch_name, last_sync_at, last_error))
        })?;
        Ok(TerminalStatus {
            set_up: device.is_some(),
            store_name: device.as_ref().map(|d| d.store_name.clone()),
            branch_name,
            device_id: device.as_ref().map(|d| d.device_id),
            pin_length,
            auto_lock_secs: self.auto_lock_secs(),
            sync: SyncState {
                online: self.link().online,
                mode,
                pending_ops: outbox.pending,
                last_sync_at: last_sync_at.as_deref().map(crate::store::parse_ts).transpose()?,
                last_error: self.link().last_error.or(last_error),
            },
        })
    }

    /// Sets the PIN pad's auto-submit length (4 to 6), or `None` to always
    /// wait for Enter (`config.edit`).
    pub fn set_pin_length(&self, length: Option<u8>) -> Result<()> {
        if length.is_some_and(|l| !(4..=6).contains(&l)) {
            return Err(DomainError::Invalid { field: "pin_length", reason: "debe ser de 4 a 6" }.into());
        }
        self.act(|tx, ctx| {
            ctx.actor.require(&[Permission::ConfigEdit])?;
            let old = settings_get(tx, "pin_length")?;
            settings_set(tx, "pin_length", &length.map(|l| l.to_string()).unwrap_or_default())?;
            journal::record(
                tx,
                ctx.device.device_id,
                ctx.now,
                Entry {
                    kind: OpKind::Access,
                    employee_id: Some(ctx.actor.id),
                    branch_id: Some(ctx.device.branch_id.0),
                    action: "PIN_LENGTH_SET",
                    entity_type: "terminal",
                    entity_id: Some(ctx.device.device_id.to_string()),
                    old_value: old.map(|o| json!({ "pin_length": o })),
                    new_value: Some(json!({ "pin_length": length })),
                },
                &payload::Access { event: "pin_length_set".into() },
            )?;
            Ok(())
        })
    }

    /// The theme's CSS variables: the defaults with the store's overrides.
    pub fn theme(&self) -> Result<BTreeMap<String, String>> {
        let overrides = self.store.read(|c| {
            let mut stmt = c.prepare_cached("SELECT variable, value FROM theme_settings")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<BTreeMap<_, _>>>()?)
        })?;
        Ok(nexus_domain::theme::resolve(&overrides))
    }
}
