//! Branches (sucursales) of a tenant.

use chrono::{DateTime, Utc};
use nexus_domain::error::{optional_text, required_text};
use nexus_domain::{BranchId, DomainError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::hq::HqCaller;
use crate::{Error, Result};

#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Branch {
    #[sqlx(try_from = "Uuid")]
    pub id: BranchId,
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBranch {
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 500, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    pub address: Option<String>,
    #[serde(default)]
    #[schema(max_length = 20, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    pub phone: Option<String>,
}

/// Fields to change; absent fields stay as they are.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BranchChanges {
    #[serde(default)]
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 500, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    pub address: Option<String>,
    #[serde(default)]
    #[schema(max_length = 20, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    pub phone: Option<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

fn not_found() -> Error {
    Error::not_found("branch_not_found", "Sucursal no encontrada")
}

fn snapshot(b: &Branch) -> serde_json::Value {
    json!({ "name": b.name, "address": b.address, "phone": b.phone, "is_active": b.is_active })
}

async fn load(conn: &mut PgConnection, id: Uuid, for_update: bool) -> Result<Option<Branch>> {
    let sql = if for_update {
        "SELECT id, name, address, phone, is_active, created_at FROM branches WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT id, name, address, phone, is_active, created_at FROM branches WHERE id = $1"
    };
    Ok(sqlx::query_as(sql).bind(id).fetch_optional(&mut *conn).await?)
}

pub async fn list(db: &PgPool) -> Result<Vec<Branch>> {
    Ok(sqlx::query_as(
        "SELECT id, name, address, phone, is_active, created_at FROM branches ORDER BY created_at, id",
    )
    .fetch_all(db)
    .await?)
}

pub async fn create(caller: &HqCaller, new: &NewBranch) -> Result<Branch> {
    let name = required_text("name", &new.name, 200)?;
    let address = optional_text("address", new.address.as_deref(), 500)?;
    let phone = optional_text("phone", new.phone.as_deref(), 20)?;
    let id = Uuid::now_v7();
    let mut tx = caller.db.begin().await?;
    sqlx::query("INSERT INTO branches (id, name, address, phone) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(&name)
        .bind(&address)
        .bind(&phone)
        .execute(&mut *tx)
        .await?;
    let created = load(&mut tx, id, false).await?.ok_or_else(not_found)?;
    audit::record(
        &mut tx,
        &caller.origin(),
        Change {
            action: "BRANCH_CREATE",
            entity_type: "branch",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: Some(snapshot(&created)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update(caller: &HqCaller, id: Uuid, changes: &BranchChanges) -> Result<Branch> {
    let mut tx = caller.db.begin().await?;
    // Serialises deactivations so two of them cannot leave no branch active.
    sqlx::query("LOCK TABLE branches IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
    let before = load(&mut tx, id, true).await?.ok_or_else(not_found)?;
    let name = match &changes.name {
        Some(n) => required_text("name", n, 200)?,
        None => before.name.clone(),
    };
    let address = match &changes.address {
        Some(a) => optional_text("address", Some(a), 500)?,
        None => before.address.clone(),
    };
    let phone = match &changes.phone {
        Some(p) => optional_text("phone", Some(p), 20)?,
        None => before.phone.clone(),
    };
    let active = changes.is_active.unwrap_or(before.is_active);
    if before.is_active && !active {
        let others: i64 = sqlx::query_scalar("SELECT count(*) FROM branches WHERE is_active AND id <> $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if others == 0 {
            return Err(DomainError::LastActiveBranch.into());
        }
    }
    sqlx::query(
        "UPDATE branches SET name = $2, address = $3, phone = $4, is_active = $5, updated_at = NOW() WHERE id = $1",
    )
    .bind(id)
    .bind(&name)
    .bind(&address)
    .bind(&phone)
    .bind(active)
    .execute(&mut *tx)
    .await?;
    let after = load(&mut tx, id, false).await?.ok_or_else(not_found)?;
    let action = if before.is_active && !after.is_active { "BRANCH_DEACTIVATE" } else { "BRANCH_UPDATE" };
    audit::record(
        &mut tx,
        &caller.origin(),
        Change {
            action,
            entity_type: "branch",
            entity_id: Some(id.to_string()),
            old_value: Some(snapshot(&before)),
            new_value: Some(snapshot(&after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn deactivate(caller: &HqCaller, id: Uuid) -> Result<Branch> {
    update(caller, id, &BranchChanges { is_active: Some(false), ..BranchChanges::default() }).await
}
