//! Loads the demo tenant of `seed/demo.json` into central, once.

use std::collections::HashMap;

use nexus_domain::TenantId;
use nexus_domain::demo::DemoData;
use nexus_domain::pin::Pin;
use nexus_domain::tenant::slugify;
use secrecy::SecretString;
use uuid::Uuid;

use crate::audit::{self, Change, Origin};
use crate::hq;
use crate::provision::{self, NewTenant};
use crate::{Central, Result};

pub struct DemoTenant {
    pub tenant_id: Uuid,
    pub created: bool,
}

/// The demo tenant's headquarters owner.
pub const HQ_OWNER_EMAIL: &str = "dueno@demo.nexuspos.mx";

/// Provisions the demo tenant and fills it, unless it exists already; its HQ
/// owner logs in as [`HQ_OWNER_EMAIL`] with `hq_password` (a tenant made
/// before HQ accounts existed gets the account now).
pub async fn ensure(central: &Central, hq_password: &SecretString) -> Result<DemoTenant> {
    let data = DemoData::embedded();
    hq::check_password("NEXUS_DEMO_HQ_PASSWORD", hq_password)?;
    let existing: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM tenants WHERE slug = $1 AND status = 'ready'")
            .bind(slugify(&data.tenant.name))
            .fetch_optional(&central.dbs.master)
            .await?;
    if let Some(tenant_id) = existing {
        let has_owner: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM hq_accounts WHERE email = $1)")
                .bind(HQ_OWNER_EMAIL)
                .fetch_one(&central.dbs.master)
                .await?;
        if !has_owner {
            let owner: Option<Uuid> = {
                let (_, db) = central.tenant(tenant_id).await?;
                sqlx::query_scalar(
                    "SELECT id FROM employees WHERE role = 'owner' ORDER BY created_at LIMIT 1",
                )
                .fetch_optional(&db)
                .await?
            };
            hq::add(
                central,
                &hq::NewHqAccount {
                    tenant_id: TenantId(tenant_id),
                    email: HQ_OWNER_EMAIL,
                    name: &data.tenant.owner_name,
                    role: hq::HqRole::Owner,
                    employee_id: owner.map(nexus_domain::EmployeeId),
                    password: Some(hq_password),
                },
                &Origin::default(),
            )
            .await?;
        }
        return Ok(DemoTenant { tenant_id, created: false });
    }
    let owner_pin = Pin::parse(&data.tenant.owner_pin).map_err(nexus_domain::DomainError::from)?;
    let provisioned = provision::provision_with_pin(
        central,
        &NewTenant {
            name: data.tenant.name.clone(),
            rfc: Some(data.tenant.rfc.clone()),
            plan: Some("demo".into()),
            owner_name: data.tenant.owner_name.clone(),
            owner_email: HQ_OWNER_EMAIL.to_owned(),
            owner_password: Some(hq_password.clone()),
        },
        owner_pin,
    )
    .await?;
    fill(central, provisioned.tenant_id, provisioned.branch_id.0, &data).await?;
    Ok(DemoTenant { tenant_id: provisioned.tenant_id.0, created: true })
}

async fn fill(central: &Central, tenant_id: TenantId, principal: Uuid, data: &DemoData) -> Result<()> {
    let (_, db) = central.tenant(tenant_id.0).await?;
    let mut hashes = Vec::new();
    for e in &data.employees {
        hashes.push(central.hash_pin(tenant_id, &e.pin()?).await?);
    }
    let key = central.pin_key(tenant_id);
    let mut tx = db.begin().await?;
    let mut branches: HashMap<&str, Uuid> = HashMap::new();
    for b in &data.branches {
        let id = if b.key == "principal" { principal } else { Uuid::now_v7() };
        sqlx::query(
            "INSERT INTO branches (id, name, address, phone) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address, phone = EXCLUDED.phone",
        )
        .bind(id)
        .bind(&b.name)
        .bind(&b.address)
        .bind(&b.phone)
        .execute(&mut *tx)
        .await?;
        branches.insert(&b.key, id);
    }
    let mut employees: HashMap<&str, Uuid> = HashMap::new();
    for (e, hash) in data.employees.iter().zip(hashes) {
        let id = Uuid::now_v7();
        let lookup = key.lookup(&e.pin()?);
        sqlx::query(
            "INSERT INTO employees (id, name, pin_hash, pin_lookup, role, branch_id, max_discount_pct)
             VALUES ($1, $2, $3, $4, $5, $6, $7::numeric / 100)",
        )
        .bind(id)
        .bind(&e.name)
        .bind(hash)
        .bind(&lookup.as_bytes()[..])
        .bind(e.role.code())
        .bind(branches[e.branch.as_str()])
        .bind(i32::from(e.max_discount()?.hundredths()))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO employee_permissions (employee_id, permission) SELECT $1, unnest($2::text[])",
        )
        .bind(id)
        .bind(e.role.default_permissions().codes())
        .execute(&mut *tx)
        .await?;
        employees.insert(&e.key, id);
    }
    let mut registers: HashMap<&str, Uuid> = HashMap::new();
    for r in &data.registers {
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO cash_registers (id, branch_id, name, register_number) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(branches[r.branch.as_str()])
        .bind(&r.name)
        .bind(r.number)
        .execute(&mut *tx)
        .await?;
        registers.insert(&r.key, id);
    }
    for a in &data.assignments {
        sqlx::query(
            "INSERT INTO cash_register_assignments (id, cash_register_id, user_id, assigned_by, note)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(Uuid::now_v7())
        .bind(registers[a.register.as_str()])
        .bind(employees[a.employee.as_str()])
        .bind(employees.get("admin").copied())
        .bind(&a.note)
        .execute(&mut *tx)
        .await?;
    }
    for p in &data.products {
        let [cost, p1, p2, p3] = p.amounts()?;
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO inventory (id, branch_id, part_number, barcode, name, brand, cost, price_1, price_2, price_3)
             VALUES ($1, $2, $3, $4, $5, $6, $7::numeric / 100, $8::numeric / 100, $9::numeric / 100, $10::numeric / 100)",
        )
        .bind(id)
        .bind(principal)
        .bind(&p.part_number)
        .bind(&p.barcode)
        .bind(&p.name)
        .bind(&p.brand)
        .bind(cost.cents())
        .bind(p1.cents())
        .bind(p2.cents())
        .bind(p3.cents())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO inventory_operations (id, inventory_id, branch_id, operation_type, quantity, cost_at_time, notes)
             VALUES ($1, $2, $3, 'INITIAL', $4, $5::numeric / 100, 'Inventario inicial de demostración')",
        )
        .bind(Uuid::now_v7())
        .bind(id)
        .bind(principal)
        .bind(p.stock)
        .bind(cost.cents())
        .execute(&mut *tx)
        .await?;
    }
    audit::record(
        &mut tx,
        &Origin::default(),
        Change {
            action: "DEMO_LOADED",
            entity_type: "tenant",
            entity_id: Some(tenant_id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({
                "branches": data.branches.len(),
                "employees": data.employees.len(),
                "registers": data.registers.len(),
                "products": data.products.len(),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
