//! The terminal as a replica of its tenant: becoming one (enrollment),
//! taking reference data from central's feed, and settling pushed ops.
//!
//! Pulled rows are applied in one transaction with the new cursor. Rows a
//! terminal can edit itself (employees, registers, assignments) follow last
//! writer wins by (hybrid logical clock, origin): a local edit not yet
//! pushed carries a newer stamp than the central row it changed, so a pull
//! does not undo it; central decides the same way when the edit arrives.
//! The owner's remote-close request for a session this till still has open
//! closes it, in the pull's transaction, as a local action with its audit
//! entry and outbox op (`cash_session::close_by_owner`).

use nexus_domain::hlc::{Hlc, Version};
use nexus_domain::pin::PinKey;
use nexus_domain::sync::{Change, EnrollResponse, PullPage, PushResponse, feed, payload, unhex};
use nexus_domain::{BranchId, DomainError};
use rusqlite::{OptionalExtension, Transaction, params};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::error::{Error, Result};
use crate::journal::{self, Entry};
use crate::secrets::DeviceSecrets;
use crate::store::{settings_get, settings_set, ts};
use crate::{CentralLink, Device, Terminal};

/// Where the sync client stands, kept in memory by the running client.
#[derive(Clone, Debug, Default)]
pub struct Link {
    pub online: bool,
    pub last_error: Option<String>,
}

impl Terminal {
    /// Becomes the enrolled terminal central just described: secrets in the
    /// OS store first, then the settings. Reference data follows with the
    /// first pull.
    pub fn become_enrolled(
        &self,
        central_url: &str,
        insecure: bool,
        enrolled: &EnrollResponse,
    ) -> Result<()> {
        if self.is_set_up() {
            return Err(Error::AlreadySetUp);
        }
        let mut key = [0u8; 32];
        hex::decode_to_slice(enrolled.pin_key.expose_secret(), &mut key)
            .map_err(|_| Error::Internal("central sent a malformed PIN key".into()))?;
        let secrets = DeviceSecrets {
            device_id: enrolled.device_id,
            pin_key: PinKey::from_bytes(key),
            credential: Some(enrolled.credential.clone()),
        };
        self.secret_store.save(&secrets)?;
        let now = self.now();
        let written = self.store.write(|tx| {
            if settings_get(tx, "tenant_id")?.is_some() {
                return Err(Error::AlreadySetUp);
            }
            settings_set(tx, "tenant_id", &enrolled.tenant_id.to_string())?;
            settings_set(tx, "store_name", &enrolled.tenant_name)?;
            settings_set(tx, "branch_id", &enrolled.branch_id.to_string())?;
            settings_set(tx, "mode", "enrolled")?;
            settings_set(tx, "central_url", central_url)?;
            if insecure {
                settings_set(tx, "central_insecure", "1")?;
            }
            journal::record(
                tx,
                enrolled.device_id,
                now,
                Entry {
                    kind: nexus_domain::sync::OpKind::Access,
                    employee_id: None,
                    branch_id: Some(enrolled.branch_id.0),
                    action: "DEVICE_ENROLLED",
                    entity_type: "device",
                    entity_id: Some(enrolled.device_id.to_string()),
                    old_value: None,
                    new_value: Some(
                        json!({ "central_url": central_url, "insecure": insecure, "tenant_id": enrolled.tenant_id }),
                    ),
                },
                &payload::Access { event: "enrolled".into() },
            )?;
            Ok(())
        });
        if let Err(e) = written {
            let _ = self.secret_store.forget();
            return Err(e);
        }
        let device = Device {
            device_id: enrolled.device_id,
            tenant_id: enrolled.tenant_id.0,
            store_name: enrolled.tenant_name.clone(),
            branch_id: enrolled.branch_id,
            pin_key: secrets.pin_key,
            central: Some(CentralLink {
                url: central_url.to_owned(),
                insecure,
                credential: enrolled.credential.clone(),
            }),
        };
        *self.device.write().unwrap_or_else(|p| p.into_inner()) = Some(std::sync::Arc::new(device));
        Ok(())
    }

    /// The cursor of the last applied pull.
    pub fn pull_cursor(&self) -> Result<i64> {
        self.store.read(|c| {
            let cursor: Option<String> =
                c.query_row("SELECT pull_cursor FROM sync_state WHERE id = 1", [], |r| r.get(0))?;
            Ok(cursor.and_then(|v| v.parse().ok()).unwrap_or(0))
        })
    }

    /// The seq up to which central has settled this device's ops.
    pub fn acked_seq(&self) -> Result<i64> {
        self.store
            .read(|c| Ok(c.query_row("SELECT acked_seq FROM sync_state WHERE id = 1", [], |r| r.get(0))?))
    }

    /// Ops central has not settled yet, in seq order.
    pub fn unsettled_ops(&self, limit: usize) -> Result<Vec<nexus_domain::sync::Op>> {
        let acked = self.acked_seq()?;
        self.ops_after(acked, limit)
    }

    /// Records what central settled. The ops stay in the outbox; only the
    /// mark moves, and never backwards.
    pub fn settle(&self, response: &PushResponse) -> Result<()> {
        let now = self.now();
        self.store.write(|tx| {
            tx.execute(
                "UPDATE sync_state SET acked_seq = max(acked_seq, min(?1, head_seq)), last_sync_at = ?2, last_error = NULL WHERE id = 1",
                params![response.settled_seq, ts(now)],
            )?;
            Ok(())
        })
    }

    /// Applies a page of central's feed, with its cursor, in one transaction.
    ///
    /// A row that cannot live beside a local one not pushed yet (the same
    /// PIN, the same register number) is kept aside in `sync_deferred` and
    /// tried again on every pull: central settles the clash when the local
    /// edit arrives, and the next version of the row replaces the kept one.
    /// Any other failure aborts the page, so the cursor never moves past a
    /// row that was not applied.
    pub fn apply_pull(&self, page: &PullPage) -> Result<()> {
        let device = self.device()?;
        let at = self.now();
        let now = ts(at);
        self.store.write(|tx| {
            let mut seen = Hlc::ZERO;
            let mut changes: Vec<&Change> = page.changes.iter().collect();
            changes.sort_by_key(|c| c.rank());
            let deferred: Vec<String> = {
                let mut stmt = tx.prepare_cached("SELECT change FROM sync_deferred ORDER BY deferred_at, entity")?;
                stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
            };
            let deferred: Vec<Change> = deferred.iter().filter_map(|c| serde_json::from_str(c).ok()).collect();
            let fresh: std::collections::HashSet<String> = changes.iter().map(|c| c.key()).collect();
            let retried = deferred.iter().filter(|c| !fresh.contains(&c.key()));
            for change in retried.chain(changes.iter().copied()) {
                tx.execute_batch("SAVEPOINT row")?;
                let applied = match change {
                    Change::RemoteClose(r) => crate::cash_session::close_by_owner(tx, &device, r, at),
                    change => apply_change(tx, change, &mut seen),
                };
                match applied {
                    Ok(()) => {
                        tx.execute("DELETE FROM sync_deferred WHERE entity = ?1", [change.key()])?;
                        tx.execute_batch("RELEASE SAVEPOINT row")?;
                    }
                    Err(Error::Storage(e)) if crate::store::is_unique_violation(&e) => {
                        tx.execute_batch("ROLLBACK TO SAVEPOINT row; RELEASE SAVEPOINT row")?;
                        let body = serde_json::to_string(change).map_err(|e| Error::Internal(e.to_string()))?;
                        tx.execute(
                            "INSERT INTO sync_deferred (entity, change, reason, deferred_at) VALUES (?1, ?2, ?3, ?4)
                             ON CONFLICT (entity) DO UPDATE SET change = excluded.change, reason = excluded.reason",
                            params![change.key(), body, e.to_string(), now],
                        )?;
                    }
                    Err(e) => return Err(e),
                }
            }
            tx.execute(
                "UPDATE sync_state SET pull_cursor = ?1, hlc = max(hlc, ?2), last_sync_at = ?3 WHERE id = 1",
                params![page.cursor.to_string(), seen.0, now],
            )?;
            Ok(())
        })
    }

    /// Rows of central's feed waiting for a local clash to settle.
    pub fn deferred_rows(&self) -> Result<i64> {
        self.store.read(|c| Ok(c.query_row("SELECT count(*) FROM sync_deferred", [], |r| r.get(0))?))
    }

    /// Notes the sync client's state for the status bar.
    pub fn set_link(&self, link: Link) -> Result<()> {
        if let Some(error) = &link.last_error {
            self.store.write(|tx| {
                tx.execute("UPDATE sync_state SET last_error = ?1 WHERE id = 1", [error])?;
                Ok(())
            })?;
        }
        *self.link.lock().unwrap_or_else(|p| p.into_inner()) = link;
        Ok(())
    }

    pub fn link(&self) -> Link {
        self.link.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn local_version(tx: &Transaction<'_>, table: &str, id: &str) -> Result<Option<Version>> {
    let row: Option<(i64, String)> = tx
        .query_row(&format!("SELECT hlc, origin FROM {table} WHERE id = ?1"), [id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    Ok(row.map(|(hlc, origin)| Version { hlc: Hlc(hlc), origin }))
}

/// Whether an incoming versioned row replaces the local one.
fn newer(
    tx: &Transaction<'_>,
    table: &str,
    id: &str,
    hlc: Hlc,
    origin: &str,
    seen: &mut Hlc,
) -> Result<bool> {
    *seen = (*seen).max(hlc);
    let incoming = Version { hlc, origin: origin.to_owned() };
    Ok(local_version(tx, table, id)?.is_none_or(|local| incoming.wins_over(&local)))
}

fn apply_change(tx: &Transaction<'_>, change: &Change, seen: &mut Hlc) -> Result<()> {
    let now = ts(chrono::Utc::now());
    match change {
        Change::Branch(b) => {
            tx.execute(
                "INSERT INTO branches (id, name, address, phone, is_active, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address, phone = excluded.phone,
                     is_active = excluded.is_active, updated_at = excluded.updated_at",
                params![b.id.to_string(), b.name, b.address, b.phone, b.is_active, now],
            )?;
        }
        Change::Employee(e) => apply_employee(tx, e, seen, &now)?,
        Change::Register(r) => {
            if newer(tx, "cash_registers", &r.id.to_string(), r.hlc, &r.origin, seen)? {
                tx.execute(
                    "INSERT INTO cash_registers (id, branch_id, name, register_number, device_id, is_active, created_at, updated_at, hlc, origin)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)
                     ON CONFLICT (id) DO UPDATE SET branch_id = excluded.branch_id, name = excluded.name,
                         register_number = excluded.register_number, device_id = excluded.device_id, is_active = excluded.is_active,
                         updated_at = excluded.updated_at, hlc = excluded.hlc, origin = excluded.origin",
                    params![r.id.to_string(), r.branch_id.to_string(), r.name, r.register_number, r.device_id, r.is_active, now, r.hlc.0, r.origin],
                )?;
            }
        }
        Change::Assignment(a) => {
            // The pair is what counts: the same assignment may carry another id here.
            let local: Option<String> = tx
                .query_row(
                    "SELECT id FROM cash_register_assignments WHERE cash_register_id = ?1 AND user_id = ?2",
                    params![a.cash_register_id.to_string(), a.user_id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            let id = local.unwrap_or_else(|| a.id.to_string());
            if newer(tx, "cash_register_assignments", &id, a.hlc, &a.origin, seen)? {
                tx.execute(
                    "INSERT INTO cash_register_assignments (id, cash_register_id, user_id, is_active, assigned_at, assigned_by, note, hlc, origin)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (id) DO UPDATE SET is_active = excluded.is_active, assigned_at = excluded.assigned_at,
                         assigned_by = excluded.assigned_by, note = excluded.note, hlc = excluded.hlc, origin = excluded.origin",
                    params![id, a.cash_register_id.to_string(), a.user_id.to_string(), a.is_active, ts(a.assigned_at),
                        a.assigned_by.map(|e| e.to_string()), a.note, a.hlc.0, a.origin],
                )?;
            }
        }
        Change::Product(p) => {
            tx.execute(
                "INSERT INTO inventory (id, branch_id, part_number, barcode, name, brand, unit, cost, price_1, price_2, price_3, tax_rate,
                                        is_active, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                 ON CONFLICT (id) DO UPDATE SET branch_id = excluded.branch_id, part_number = excluded.part_number,
                     barcode = excluded.barcode, name = excluded.name, brand = excluded.brand, unit = excluded.unit,
                     cost = excluded.cost, price_1 = excluded.price_1, price_2 = excluded.price_2, price_3 = excluded.price_3,
                     tax_rate = excluded.tax_rate, is_active = excluded.is_active",
                params![p.id.to_string(), p.branch_id.map(|b| b.to_string()), p.part_number, p.barcode, p.name, p.brand, p.unit,
                    p.cost_cents, p.price_1_cents, p.price_2_cents, p.price_3_cents, p.tax_rate_bp.hundredths(), p.is_active, now],
            )?;
        }
        Change::Theme(t) => apply_theme(tx, t, &now)?,
        // A local action with its evidence: `Terminal::apply_pull` does it.
        Change::RemoteClose(_) => {}
        Change::Deleted { entity_type, id } => {
            let table = match entity_type.as_str() {
                "branch" => Some("branches"),
                "employee" => Some("employees"),
                "register" => Some("cash_registers"),
                "assignment" => Some("cash_register_assignments"),
                "product" => Some("inventory"),
                _ => None,
            };
            match table {
                // Rows sales and sessions refer to are deactivated, never deleted.
                Some(table) => {
                    tx.execute(&format!("UPDATE {table} SET is_active = 0 WHERE id = ?1"), [id])?;
                }
                None if entity_type == "theme" => {
                    tx.execute("DELETE FROM theme_settings", [])?;
                }
                None => {}
            }
        }
    }
    Ok(())
}

fn apply_employee(tx: &Transaction<'_>, e: &feed::Employee, seen: &mut Hlc, now: &str) -> Result<()> {
    if !newer(tx, "employees", &e.id.to_string(), e.hlc, &e.origin, seen)? {
        return Ok(());
    }
    let lookup = e.pin_lookup.as_deref().and_then(|l| unhex(l).ok()).map(|l| l.to_vec());
    tx.execute(
        "INSERT INTO employees (id, name, email, phone, pin_hash, pin_lookup, role, branch_id, max_discount_pct, is_active,
                                created_at, updated_at, hlc, origin)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, phone = excluded.phone,
             pin_hash = excluded.pin_hash, pin_lookup = excluded.pin_lookup, role = excluded.role, branch_id = excluded.branch_id,
             max_discount_pct = excluded.max_discount_pct, is_active = excluded.is_active, updated_at = excluded.updated_at,
             hlc = excluded.hlc, origin = excluded.origin",
        params![
            e.id.to_string(),
            e.name,
            e.email,
            e.phone,
            e.pin_hash,
            lookup,
            e.role.code(),
            e.branch_id.map(|b: BranchId| b.to_string()),
            e.max_discount_bp.hundredths(),
            e.is_active,
            now,
            e.hlc.0,
            e.origin,
        ],
    )?;
    tx.execute("DELETE FROM employee_permissions WHERE employee_id = ?1", [e.id.to_string()])?;
    let mut stmt =
        tx.prepare_cached("INSERT INTO employee_permissions (employee_id, permission) VALUES (?1, ?2)")?;
    for p in e.permissions.iter() {
        stmt.execute(params![e.id.to_string(), p.code()])?;
    }
    Ok(())
}

fn apply_theme(tx: &Transaction<'_>, t: &feed::Theme, now: &str) -> Result<()> {
    nexus_domain::theme::validate(&t.overrides).map_err(|e: DomainError| Error::Rule(e))?;
    tx.execute("DELETE FROM theme_settings", [])?;
    let mut stmt =
        tx.prepare_cached("INSERT INTO theme_settings (variable, value, updated_at) VALUES (?1, ?2, ?3)")?;
    for (k, v) in &t.overrides {
        stmt.execute(params![k, v, now])?;
    }
    Ok(())
}
