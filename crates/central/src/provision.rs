//! Creating tenants: a database copied from the template, its first branch,
//! its owner and its chart of accounts.
//!
//! The master row is written first, marked `provisioning`; the database is
//! then copied from the template and filled in one transaction; only then is
//! the row marked `ready`. Any failure drops the database and deletes the
//! row. Provisioning holds the schema lock, so a row still `provisioning`
//! when the lock is taken is the remains of a crashed run and is cleaned up
//! before anything else.

use nexus_domain::audit::CENTRAL_CHAIN;
use nexus_domain::error::{optional_text, required_text};
use nexus_domain::pin::Pin;
use nexus_domain::tenant::{normalize_rfc, slugify};
use nexus_domain::{BranchId, DomainError, EmployeeId, Permission, TenantId};
use serde::{Deserialize, Serialize};
use sqlx::{AssertSqlSafe, Connection};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, Change, Origin};
use crate::db::{TenantRecord, quote_database_name};
use crate::migrate::{self, SchemaLock};
use crate::{Central, Error, Result};

const SAT_ACCOUNTS: &str = include_str!("../../../seed/sat_accounts.sql");

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct NewTenant {
    pub name: String,
    #[serde(default)]
    pub rfc: Option<String>,
    #[serde(default)]
    pub plan: Option<String>,
    pub owner_name: String,
    #[serde(default)]
    pub owner_email: Option<String>,
    /// 4 to 6 digits; never stored in clear.
    pub owner_pin: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Provisioned {
    pub tenant_id: TenantId,
    pub slug: String,
    pub db_name: String,
    pub cluster: String,
    pub branch_id: BranchId,
    pub owner_id: EmployeeId,
    pub schema_version: i32,
}

struct Checked {
    name: String,
    rfc: Option<String>,
    plan: String,
    owner_name: String,
    owner_email: Option<String>,
    owner_pin: Pin,
}

fn check(new: &NewTenant) -> Result<Checked, DomainError> {
    Ok(Checked {
        name: required_text("name", &new.name, 200)?,
        rfc: new.rfc.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(normalize_rfc).transpose()?,
        plan: optional_text("plan", new.plan.as_deref(), 50)?.unwrap_or_else(|| "basic".to_owned()),
        owner_name: required_text("owner_name", &new.owner_name, 200)?,
        owner_email: optional_text("owner_email", new.owner_email.as_deref(), 200)?,
        owner_pin: Pin::parse(&new.owner_pin)?,
    })
}

/// Creates a tenant, its database and its owner; all or nothing.
pub async fn provision(central: &Central, new: &NewTenant) -> Result<Provisioned> {
    let checked = check(new)?;
    let lock = SchemaLock::acquire(&central.dbs).await?;
    let result = provision_locked(central, checked).await;
    lock.release().await?;
    result
}

async fn provision_locked(central: &Central, checked: Checked) -> Result<Provisioned> {
    clean_up_interrupted(central).await?;
    let cluster = pick_cluster(central).await?;
    let tenant_migrations = migrate::tenant_migrations();
    let template = &central.settings.template_database;
    migrate::ensure_template(&central.dbs, &cluster, template, &tenant_migrations)
        .await
        .map_err(|e| anyhow::anyhow!("template on {cluster} cannot be prepared: {e}"))?;

    let tenant_id = TenantId::new_v7();
    let db_name = format!("{}{}", central.settings.tenant_database_prefix, tenant_id.0.simple());
    let slug = unique_slug(central, &slugify(&checked.name)).await?;
    sqlx::query(
        "INSERT INTO tenants (id, name, slug, rfc, plan, status, cluster_url, db_name)
         VALUES ($1, $2, $3, $4, $5, 'provisioning', $6, $7)",
    )
    .bind(tenant_id.0)
    .bind(&checked.name)
    .bind(&slug)
    .bind(&checked.rfc)
    .bind(&checked.plan)
    .bind(&cluster)
    .bind(&db_name)
    .execute(&central.dbs.master)
    .await?;

    let made = async {
        create_database(central, &cluster, &db_name, template).await?;
        let ids = fill_database(central, tenant_id, &cluster, &db_name, &checked).await?;
        let version = migrate::latest_version(&tenant_migrations);
        let mut tx = central.dbs.master.begin().await?;
        sqlx::query("UPDATE tenants SET status = 'ready', schema_version = $2 WHERE id = $1")
            .bind(tenant_id.0)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO subscriptions (tenant_id, plan) VALUES ($1, $2)")
            .bind(tenant_id.0)
            .bind(&checked.plan)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok::<_, Error>((ids, version))
    }
    .await;
    match made {
        Ok(((branch_id, owner_id), schema_version)) => {
            Ok(Provisioned { tenant_id, slug, db_name, cluster, branch_id, owner_id, schema_version })
        }
        Err(e) => {
            if let Err(cleanup) = discard(central, tenant_id.0, &cluster, &db_name).await {
                tracing::error!(tenant = %tenant_id, error = %cleanup, "cleaning up a failed provisioning failed");
            }
            Err(e)
        }
    }
}

async fn create_database(central: &Central, cluster: &str, db_name: &str, template: &str) -> Result<()> {
    let mut admin = central.dbs.connect_database(cluster, "postgres").await?;
    let ddl = format!(
        "CREATE DATABASE {} TEMPLATE {}",
        quote_database_name(db_name)?,
        quote_database_name(template)?
    );
    let created = sqlx::raw_sql(AssertSqlSafe(ddl)).execute(&mut admin).await;
    let _ = admin.close().await;
    created?;
    Ok(())
}

async fn fill_database(
    central: &Central,
    tenant_id: TenantId,
    cluster: &str,
    db_name: &str,
    checked: &Checked,
) -> Result<(BranchId, EmployeeId)> {
    let pin_hash = central.hash_pin(tenant_id, &checked.owner_pin).await?;
    let branch_id = BranchId::new_v7();
    let owner_id = EmployeeId::new_v7();
    let lookup = central.pin_key(tenant_id).lookup(&checked.owner_pin);
    let mut conn = central.dbs.connect_database(cluster, db_name).await?;
    let mut tx = conn.begin().await?;
    sqlx::query("INSERT INTO branches (id, name) VALUES ($1, 'Principal')")
        .bind(branch_id.0)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO employees (id, name, email, pin_hash, pin_lookup, role, branch_id, max_discount_pct)
         VALUES ($1, $2, $3, $4, $5, 'owner', $6, 100)",
    )
    .bind(owner_id.0)
    .bind(&checked.owner_name)
    .bind(&checked.owner_email)
    .bind(pin_hash)
    .bind(&lookup.as_bytes()[..])
    .bind(branch_id.0)
    .execute(&mut *tx)
    .await?;
    let codes: Vec<&str> = Permission::ALL.iter().map(|p| p.code()).collect();
    sqlx::query("INSERT INTO employee_permissions (employee_id, permission) SELECT $1, unnest($2::text[])")
        .bind(owner_id.0)
        .bind(&codes)
        .execute(&mut *tx)
        .await?;
    sqlx::raw_sql(SAT_ACCOUNTS).execute(&mut *tx).await?;
    audit::record(
        &mut tx,
        &Origin { device_id: Some(CENTRAL_CHAIN.to_owned()), ..Origin::default() },
        Change {
            action: "TENANT_PROVISIONED",
            entity_type: "tenant",
            entity_id: Some(tenant_id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({
                "name": checked.name,
                "branch_id": branch_id,
                "owner_id": owner_id,
                "owner_name": checked.owner_name,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    conn.close().await?;
    Ok((branch_id, owner_id))
}

/// Drops a tenant's database (if it was made) and deletes its master row.
async fn discard(central: &Central, tenant_id: Uuid, cluster: &str, db_name: &str) -> anyhow::Result<()> {
    central.dbs.close_tenant_pool(tenant_id).await;
    let mut admin = central.dbs.connect_database(cluster, "postgres").await?;
    let ddl = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_database_name(db_name)?);
    sqlx::raw_sql(AssertSqlSafe(ddl)).execute(&mut admin).await?;
    admin.close().await?;
    sqlx::query("DELETE FROM tenants WHERE id = $1").bind(tenant_id).execute(&central.dbs.master).await?;
    Ok(())
}

/// Removes what a provisioning interrupted by a crash left behind. Only
/// called under the schema lock, when no provisioning can be under way.
async fn clean_up_interrupted(central: &Central) -> Result<()> {
    let leftovers: Vec<(Uuid, String, String)> =
        sqlx::query_as("SELECT id, cluster_url, db_name FROM tenants WHERE status = 'provisioning'")
            .fetch_all(&central.dbs.master)
            .await?;
    for (id, cluster, db_name) in leftovers {
        tracing::warn!(tenant = %id, "removing the remains of an interrupted provisioning");
        discard(central, id, &cluster, &db_name).await?;
    }
    Ok(())
}

/// The configured cluster holding the fewest tenants.
async fn pick_cluster(central: &Central) -> Result<String> {
    let counts: Vec<(String, i64)> =
        sqlx::query_as("SELECT cluster_url, count(*) FROM tenants GROUP BY cluster_url")
            .fetch_all(&central.dbs.master)
            .await?;
    let cluster = central
        .dbs
        .cluster_names()
        .into_iter()
        .min_by_key(|c| counts.iter().find(|(url, _)| url == c).map_or(0, |(_, n)| *n))
        .ok_or_else(|| anyhow::anyhow!("no cluster is configured"))?;
    Ok(cluster)
}

/// `base`, or `base-2`, `base-3`… whichever is free.
async fn unique_slug(central: &Central, base: &str) -> Result<String> {
    let taken: Vec<String> =
        sqlx::query_scalar("SELECT slug FROM tenants WHERE slug = $1 OR slug LIKE $1 || '-%'")
            .bind(base)
            .fetch_all(&central.dbs.master)
            .await?;
    let slug = std::iter::once(base.to_owned())
        .chain((2..).map(|n| format!("{base}-{n}")))
        .find(|candidate| !taken.contains(candidate))
        .expect("an unbounded sequence has a free slug");
    Ok(slug)
}

/// Every tenant, oldest first.
pub async fn list(central: &Central) -> Result<Vec<TenantRecord>> {
    Ok(sqlx::query_as(
        "SELECT id, name, slug, rfc, plan, is_active, status, cluster_url, db_name, schema_version, created_at
         FROM tenants ORDER BY created_at",
    )
    .fetch_all(&central.dbs.master)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(name: &str, pin: &str) -> NewTenant {
        NewTenant {
            name: name.into(),
            rfc: None,
            plan: None,
            owner_name: "Dueño".into(),
            owner_email: None,
            owner_pin: pin.into(),
        }
    }

    #[test]
    fn provisioning_input_is_checked_before_anything_is_written() {
        assert!(check(&new("Refac Demo", "1234")).is_ok());
        assert!(matches!(check(&new("  ", "1234")), Err(DomainError::Required { field: "name" })));
        assert!(matches!(check(&new("Refac", "12")), Err(DomainError::InvalidPin(_))));
        let mut bad_rfc = new("Refac", "1234");
        bad_rfc.rfc = Some("XYZ".into());
        assert!(matches!(check(&bad_rfc), Err(DomainError::Invalid { field: "rfc", .. })));
    }
}
