//! The first run of a terminal: a standalone store made here, or the demo
//! store of `seed/demo.json`.
//!
//! Setting up makes the device's secrets (its id and the tenant's PIN key)
//! and saves them in the OS secret store *before* writing the database, so a
//! database is never set up without its secrets. Enrollment against central
//! is the other way to set up; it fills the same settings and secrets from
//! what central sends.

use std::collections::HashMap;

use nexus_domain::demo::DemoData;
use nexus_domain::error::required_text;
use nexus_domain::pin::{Pin, PinKey};
use nexus_domain::sync::{OpKind, payload};
use nexus_domain::{BranchId, DomainError, EmployeeId, Permission, Role};
use rusqlite::{Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::journal::{self, Entry};
use crate::secrets::{DeviceSecrets, random_key};
use crate::store::{settings_set, ts};
use crate::{Device, Terminal};

/// What the first-run screen asks.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StandaloneSetup {
    pub store_name: String,
    pub owner_name: String,
    pub owner_pin: String,
    /// The PIN typed a second time.
    pub owner_pin_confirmation: String,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SetupSummary {
    pub tenant_id: Uuid,
    pub store_name: String,
    pub branch_id: BranchId,
    pub owner_id: EmployeeId,
    pub register_id: Uuid,
    pub device_id: Uuid,
}

pub(crate) fn new_salt() -> Result<[u8; 16]> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::Internal(format!("no random source: {e}")))?;
    Ok(salt)
}

impl Terminal {
    /// Sets this terminal up as a store of its own, with no central.
    pub fn setup_standalone(&self, input: &StandaloneSetup) -> Result<SetupSummary> {
        let store_name = required_text("store_name", &input.store_name, 200)?;
        let owner_name = required_text("owner_name", &input.owner_name, 200)?;
        let pin = Pin::parse(&input.owner_pin).map_err(DomainError::from)?;
        if input.owner_pin != input.owner_pin_confirmation {
            return Err(Error::conflict("pin_mismatch", "Los PIN no coinciden"));
        }
        self.set_up(&store_name, &owner_name, &pin, |_, _| Ok(()))
    }

    /// Sets this terminal up as the demo store of `seed/demo.json`.
    pub fn setup_demo(&self) -> Result<SetupSummary> {
        let demo = DemoData::embedded();
        let pin = Pin::parse(&demo.tenant.owner_pin).map_err(DomainError::from)?;
        let cost = self.options.bcrypt_cost;
        self.set_up(&demo.tenant.name, &demo.tenant.owner_name, &pin, |tx, ctx| {
            let hashes = demo
                .employees
                .iter()
                .map(|e| Ok(ctx.pin_key.hash(&e.pin()?, cost, new_salt()?)))
                .collect::<Result<Vec<_>>>()?;
            load_demo(tx, ctx, &demo, hashes)
        })
    }

    fn set_up(
        &self,
        store_name: &str,
        owner_name: &str,
        pin: &Pin,
        extra: impl FnOnce(&Transaction<'_>, &SetupCtx<'_>) -> Result<()>,
    ) -> Result<SetupSummary> {
        if self.is_set_up() {
            return Err(Error::AlreadySetUp);
        }
        let secrets = DeviceSecrets {
            device_id: Uuid::now_v7(),
            pin_key: PinKey::from_bytes(random_key()?),
            credential: None,
        };
        let pin_hash = secrets.pin_key.hash(pin, self.options.bcrypt_cost, new_salt()?);
        self.secret_store.save(&secrets)?;
        let now = self.now();
        let summary = SetupSummary {
            tenant_id: Uuid::now_v7(),
            store_name: store_name.to_owned(),
            branch_id: BranchId::new_v7(),
            owner_id: EmployeeId::new_v7(),
            register_id: Uuid::now_v7(),
            device_id: secrets.device_id,
        };
        let written = self.store.write(|tx| {
            if crate::store::settings_get(tx, "tenant_id")?.is_some() {
                return Err(Error::AlreadySetUp);
            }
            let t = ts(now);
            settings_set(tx, "tenant_id", &summary.tenant_id.to_string())?;
            settings_set(tx, "store_name", store_name)?;
            settings_set(tx, "branch_id", &summary.branch_id.to_string())?;
            settings_set(tx, "mode", "standalone")?;
            tx.execute(
                "INSERT INTO branches (id, name, created_at, updated_at) VALUES (?1, 'Principal', ?2, ?2)",
                params![summary.branch_id.to_string(), t],
            )?;
            insert_employee(
                tx,
                &NewRow {
                    id: summary.owner_id,
                    name: owner_name,
                    role: Role::Owner,
                    branch: Some(summary.branch_id),
                    max_discount_hundredths: 10_000,
                    pin_hash: &pin_hash,
                    pin_lookup: secrets.pin_key.lookup(pin).as_bytes(),
                    now: &t,
                },
                Permission::ALL.iter().copied(),
            )?;
            tx.execute(
                "INSERT INTO cash_registers (id, branch_id, name, register_number, device_id, created_at, updated_at)
                 VALUES (?1, ?2, 'Caja 1', 1, ?3, ?4, ?4)",
                params![summary.register_id.to_string(), summary.branch_id.to_string(), secrets.device_id.to_string(), t],
            )?;
            tx.execute(
                "INSERT INTO cash_register_assignments (id, cash_register_id, user_id, assigned_at, assigned_by, note)
                 VALUES (?1, ?2, ?3, ?4, ?3, 'Asignación inicial')",
                params![Uuid::now_v7().to_string(), summary.register_id.to_string(), summary.owner_id.to_string(), t],
            )?;
            journal::record(
                tx,
                secrets.device_id,
                now,
                Entry {
                    kind: OpKind::StoreSetUp,
                    employee_id: Some(summary.owner_id),
                    branch_id: Some(summary.branch_id.0),
                    action: "STORE_SET_UP",
                    entity_type: "tenant",
                    entity_id: Some(summary.tenant_id.to_string()),
                    old_value: None,
                    new_value: Some(json!({
                        "store_name": store_name,
                        "owner_name": owner_name,
                        "branch_id": summary.branch_id,
                        "register_id": summary.register_id,
                    })),
                },
                &payload::StoreSetUp {
                    tenant_id: summary.tenant_id,
                    store_name: store_name.to_owned(),
                    branch_id: summary.branch_id,
                    owner_id: summary.owner_id,
                },
            )?;
            extra(tx, &SetupCtx { summary: &summary, pin_key: &secrets.pin_key, device_id: secrets.device_id, now: &t })
        });
        if let Err(e) = written {
            let _ = self.secret_store.forget();
            return Err(e);
        }
        let device = Device {
            device_id: secrets.device_id,
            tenant_id: summary.tenant_id,
            store_name: store_name.to_owned(),
            branch_id: summary.branch_id,
            pin_key: secrets.pin_key,
            central: None,
        };
        *self.device.write().unwrap_or_else(|p| p.into_inner()) = Some(std::sync::Arc::new(device));
        Ok(summary)
    }
}

struct SetupCtx<'a> {
    summary: &'a SetupSummary,
    pin_key: &'a PinKey,
    device_id: Uuid,
    now: &'a str,
}

pub(crate) struct NewRow<'a> {
    pub id: EmployeeId,
    pub name: &'a str,
    pub role: Role,
    pub branch: Option<BranchId>,
    pub max_discount_hundredths: u16,
    pub pin_hash: &'a str,
    pub pin_lookup: &'a [u8; 32],
    pub now: &'a str,
}

pub(crate) fn insert_employee(
    tx: &Transaction<'_>,
    row: &NewRow<'_>,
    permissions: impl IntoIterator<Item = Permission>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO employees (id, name, pin_hash, pin_lookup, role, branch_id, max_discount_pct, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?
    .execute(params![
        row.id.to_string(),
        row.name,
        row.pin_hash,
        &row.pin_lookup[..],
        row.role.code(),
        row.branch.map(|b| b.to_string()),
        row.max_discount_hundredths,
        row.now,
    ])?;
    let mut stmt =
        tx.prepare_cached("INSERT INTO employee_permissions (employee_id, permission) VALUES (?1, ?2)")?;
    for p in permissions {
        stmt.execute(params![row.id.to_string(), p.code()])?;
    }
    Ok(())
}

fn load_demo(tx: &Transaction<'_>, ctx: &SetupCtx<'_>, demo: &DemoData, hashes: Vec<String>) -> Result<()> {
    let mut branches: HashMap<&str, String> = HashMap::new();
    for b in &demo.branches {
        let id =
            if b.key == "principal" { ctx.summary.branch_id.to_string() } else { Uuid::now_v7().to_string() };
        tx.execute(
            "INSERT INTO branches (id, name, address, phone, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address, phone = excluded.phone",
            params![id, b.name, b.address, b.phone, ctx.now],
        )?;
        branches.insert(&b.key, id);
    }
    let mut employees: HashMap<&str, EmployeeId> = HashMap::new();
    for (e, hash) in demo.employees.iter().zip(&hashes) {
        let id = EmployeeId::new_v7();
        let branch = BranchId(crate::store::uuid_of(&branches[e.branch.as_str()])?);
        insert_employee(
            tx,
            &NewRow {
                id,
                name: &e.name,
                role: e.role,
                branch: Some(branch),
                max_discount_hundredths: e.max_discount()?.hundredths(),
                pin_hash: hash,
                pin_lookup: ctx.pin_key.lookup(&e.pin()?).as_bytes(),
                now: ctx.now,
            },
            e.role.default_permissions().iter(),
        )?;
        employees.insert(&e.key, id);
    }
    // The demo's first register of the main branch is the one set-up made.
    let mut registers: HashMap<&str, String> = HashMap::new();
    for r in &demo.registers {
        if r.branch == "principal" && r.number == 1 {
            tx.execute(
                "UPDATE cash_registers SET name = ?2 WHERE id = ?1",
                params![ctx.summary.register_id.to_string(), r.name],
            )?;
            registers.insert(&r.key, ctx.summary.register_id.to_string());
            continue;
        }
        let id = Uuid::now_v7().to_string();
        tx.execute(
            "INSERT INTO cash_registers (id, branch_id, name, register_number, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![id, branches[r.branch.as_str()], r.name, r.number, ctx.now],
        )?;
        registers.insert(&r.key, id);
    }
    let admin = employees.get("admin").map(|e| e.to_string());
    for a in &demo.assignments {
        tx.execute(
            "INSERT INTO cash_register_assignments (id, cash_register_id, user_id, assigned_at, assigned_by, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![Uuid::now_v7().to_string(), registers[a.register.as_str()], employees[a.employee.as_str()].to_string(), ctx.now, admin, a.note],
        )?;
    }
    for p in &demo.products {
        let [cost, p1, p2, p3] = p.amounts()?;
        let id = Uuid::now_v7().to_string();
        tx.execute(
            "INSERT INTO inventory (id, branch_id, part_number, barcode, name, brand, cost, price_1, price_2, price_3, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![id, ctx.summary.branch_id.to_string(), p.part_number, p.barcode, p.name, p.brand, cost.cents(), p1.cents(), p2.cents(), p3.cents(), ctx.now],
        )?;
        tx.execute(
            "INSERT INTO inventory_operations (id, inventory_id, branch_id, operation_type, quantity, cost_at_time, notes, created_at)
             VALUES (?1, ?2, ?3, 'INITIAL', ?4, ?5, 'Inventario inicial de demostración', ?6)",
            params![Uuid::now_v7().to_string(), id, ctx.summary.branch_id.to_string(), p.stock, cost.cents(), ctx.now],
        )?;
    }
    journal::record(
        tx,
        ctx.device_id,
        crate::store::parse_ts(ctx.now)?,
        Entry {
            kind: OpKind::StoreSetUp,
            employee_id: Some(ctx.summary.owner_id),
            branch_id: Some(ctx.summary.branch_id.0),
            action: "DEMO_LOADED",
            entity_type: "tenant",
            entity_id: Some(ctx.summary.tenant_id.to_string()),
            old_value: None,
            new_value: Some(json!({
                "branches": demo.branches.len(),
                "employees": demo.employees.len(),
                "registers": demo.registers.len(),
                "products": demo.products.len(),
            })),
        },
        &payload::StoreSetUp {
            tenant_id: ctx.summary.tenant_id,
            store_name: ctx.summary.store_name.clone(),
            branch_id: ctx.summary.branch_id,
            owner_id: ctx.summary.owner_id,
        },
    )?;
    Ok(())
}
