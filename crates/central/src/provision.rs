//! Creating tenants: a database copied from the template, its first branch,
//! its owner (a counter employee and a headquarters account) and its chart of
//! accounts.
//!
//! The master row is written first, marked `provisioning`; the database is
//! then copied from the template and filled in one transaction; only then is
//! the row marked `ready`, in the master transaction that also writes the
//! owner's HQ account. Any failure drops the database and deletes the row.
//! Provisioning holds the schema lock, so a row still `provisioning` when the
//! lock is taken is the remains of a crashed run and is cleaned up before
//! anything else.
//!
//! The owner's counter PIN is made here (6 digits) and their HQ password is
//! theirs or made here; whatever was made is in the answer, once.

use nexus_domain::audit::CENTRAL_CHAIN;
use nexus_domain::error::{optional_text, required_text};
use nexus_domain::pin::Pin;
use nexus_domain::tenant::{normalize_rfc, slugify};
use nexus_domain::{BranchId, DomainError, EmployeeId, Permission, Role, TenantId};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use sqlx::{AssertSqlSafe, Connection};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, Change, Origin};
use crate::db::{TenantRecord, quote_database_name};
use crate::hq::{self, HqRole, NewHqAccount, PreparedAccount};
use crate::migrate::{self, SchemaLock};
use crate::secret::ShownOnce;
use crate::{Central, Error, Result};

const SAT_ACCOUNTS: &str = include_str!("../../../seed/sat_accounts.sql");

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    /// 12 or 13 characters of a Mexican RFC.
    #[serde(default)]
    pub rfc: Option<String>,
    #[serde(default)]
    #[schema(max_length = 50, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    pub plan: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub owner_name: String,
    /// The owner's headquarters login, unique across the platform.
    #[schema(max_length = 254)]
    pub owner_email: String,
    /// The owner's headquarters password (12 characters or more); made and
    /// returned once when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 12, max_length = 72, format = Password)]
    pub owner_password: Option<SecretString>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Provisioned {
    #[schema(value_type = String, format = Uuid)]
    pub tenant_id: TenantId,
    pub slug: String,
    pub db_name: String,
    pub cluster: String,
    #[schema(value_type = String, format = Uuid)]
    pub branch_id: BranchId,
    #[schema(value_type = String, format = Uuid)]
    pub owner_id: EmployeeId,
    pub owner_account_id: Uuid,
    pub owner_email: String,
    /// The owner's counter PIN (6 digits), shown this once.
    #[schema(value_type = String)]
    pub owner_pin: ShownOnce,
    /// The owner's HQ password when it was made here, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub owner_password: Option<ShownOnce>,
    pub schema_version: i32,
}

struct Checked {
    name: String,
    rfc: Option<String>,
    plan: String,
    owner_name: String,
    owner_email: String,
}

fn check(new: &NewTenant) -> Result<Checked, DomainError> {
    if let Some(password) = &new.owner_password {
        hq::check_password("owner_password", password)?;
    }
    Ok(Checked {
        name: required_text("name", &new.name, 200)?,
        rfc: new.rfc.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(normalize_rfc).transpose()?,
        plan: optional_text("plan", new.plan.as_deref(), 50)?.unwrap_or_else(|| "basic".to_owned()),
        owner_name: required_text("owner_name", &new.owner_name, 200)?,
        owner_email: hq::normalize_email(&new.owner_email).map_err(|e| match e {
            DomainError::Required { .. } => DomainError::Required { field: "owner_email" },
            DomainError::TooLong { max, .. } => DomainError::TooLong { field: "owner_email", max },
            _ => DomainError::Invalid { field: "owner_email", reason: "no es un correo válido" },
        })?,
    })
}

/// Creates a tenant, its database and its owner; all or nothing. The owner's
/// PIN is made here.
pub async fn provision(central: &Central, new: &NewTenant) -> Result<Provisioned> {
    let len = nexus_domain::pin::required_len(Role::Owner, &Role::Owner.default_permissions());
    provision_with_pin(central, new, Pin::generate(len, crate::employees::random_u32)).await
}

/// [`provision`] with a given owner PIN: the demo tenant's is in its seed.
pub(crate) async fn provision_with_pin(
    central: &Central,
    new: &NewTenant,
    owner_pin: Pin,
) -> Result<Provisioned> {
    let checked = check(new)?;
    hq::check_email_free(central, &checked.owner_email).await?;
    let lock = SchemaLock::acquire(&central.dbs).await?;
    let result = provision_locked(central, checked, new.owner_password.as_ref(), owner_pin).await;
    lock.release().await?;
    result
}

async fn provision_locked(
    central: &Central,
    checked: Checked,
    owner_password: Option<&SecretString>,
    owner_pin: Pin,
) -> Result<Provisioned> {
    clean_up_interrupted(central).await?;
    let cluster = pick_cluster(central).await?;
    let tenant_migrations = migrate::tenant_migrations();
    let template = &central.settings.template_database;
    migrate::ensure_template(&central.dbs, &cluster, template, &tenant_migrations)
        .await
        .map_err(|e| anyhow::anyhow!("template on {cluster} cannot be prepared: {e}"))?;

    let tenant_id = TenantId::new_v7();
    let owner_id = EmployeeId::new_v7();
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
        // The password's bcrypt (cost ≥ 12) runs while PostgreSQL copies the template.
        let new_account = NewHqAccount {
            tenant_id,
            email: &checked.owner_email,
            name: &checked.owner_name,
            role: HqRole::Owner,
            employee_id: Some(owner_id),
            password: owner_password,
        };
        let (account, created) = tokio::join!(
            hq::prepare(central, &new_account),
            create_database(central, &cluster, &db_name, template)
        );
        let (account, ()) = (account?, created?);
        let owner = Owner { id: owner_id, pin: &owner_pin, account: &account };
        let branch_id = fill_database(central, tenant_id, &cluster, &db_name, &checked, &owner).await?;
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
        hq::insert(&mut tx, &account).await?;
        tx.commit().await?;
        Ok::<_, Error>((branch_id, version, account))
    }
    .await;
    match made {
        Ok((branch_id, schema_version, account)) => Ok(Provisioned {
            tenant_id,
            slug,
            db_name,
            cluster,
            branch_id,
            owner_id,
            owner_account_id: account.id,
            owner_email: account.email.clone(),
            owner_pin: ShownOnce::new(owner_pin.expose()),
            owner_password: account.generated_password.clone(),
            schema_version,
        }),
        Err(e) => {
            if let Err(cleanup) = discard(central, tenant_id.0, &cluster, &db_name).await {
                tracing::error!(tenant = %tenant_id, error = %cleanup, "cleaning up a failed provisioning failed");
            }
            Err(e)
        }
    }
}

/// The owner as the new database gets them.
struct Owner<'a> {
    id: EmployeeId,
    pin: &'a Pin,
    account: &'a PreparedAccount,
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
    owner: &Owner<'_>,
) -> Result<BranchId> {
    let pin_hash = central.hash_pin(tenant_id, owner.pin).await?;
    let branch_id = BranchId::new_v7();
    let owner_id = owner.id;
    let lookup = central.pin_key(tenant_id).lookup(owner.pin);
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
    audit::record(
        &mut tx,
        &Origin { device_id: Some(CENTRAL_CHAIN.to_owned()), ..Origin::default() },
        hq::created_change(owner.account),
    )
    .await?;
    tx.commit().await?;
    conn.close().await?;
    Ok(branch_id)
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

    fn new(name: &str, email: &str) -> NewTenant {
        NewTenant {
            name: name.into(),
            rfc: None,
            plan: None,
            owner_name: "Dueño".into(),
            owner_email: email.into(),
            owner_password: None,
        }
    }

    #[test]
    fn provisioning_input_is_checked_before_anything_is_written() {
        assert!(check(&new("Refac Demo", "dueno@refac.mx")).is_ok());
        assert!(matches!(check(&new("  ", "dueno@refac.mx")), Err(DomainError::Required { field: "name" })));
        assert!(matches!(
            check(&new("Refac", "no-arroba")),
            Err(DomainError::Invalid { field: "owner_email", .. })
        ));
        let mut bad_rfc = new("Refac", "dueno@refac.mx");
        bad_rfc.rfc = Some("XYZ".into());
        assert!(matches!(check(&bad_rfc), Err(DomainError::Invalid { field: "rfc", .. })));
        let mut short = new("Refac", "dueno@refac.mx");
        short.owner_password = Some(SecretString::from("corta"));
        assert!(matches!(check(&short), Err(DomainError::Invalid { field: "owner_password", .. })));
    }

    #[test]
    fn a_new_tenant_never_prints_its_password() {
        let mut t = new("Refac", "dueno@refac.mx");
        t.owner_password = Some(SecretString::from("contraseña-muy-secreta"));
        assert!(!format!("{t:?}").contains("muy-secreta"));
    }
}
