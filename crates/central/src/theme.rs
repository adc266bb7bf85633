//! The tenant's theme, stored in its own database.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use utoipa::ToSchema;

use crate::Result;
use crate::audit::{self, Change};
use crate::hq::HqCaller;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Theme {
    /// Every themeable CSS variable with the value in force.
    pub variables: BTreeMap<String, String>,
    /// Only the variables this tenant changed.
    pub overrides: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThemeUpdate {
    /// The complete set of overrides; variables left out return to their defaults.
    pub variables: BTreeMap<String, String>,
}

async fn overrides(conn: &mut sqlx::PgConnection) -> Result<BTreeMap<String, String>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT variable, value FROM theme_settings").fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().collect())
}

pub async fn get(db: &PgPool) -> Result<Theme> {
    let mut conn = db.acquire().await?;
    let overrides = overrides(&mut conn).await?;
    Ok(Theme { variables: nexus_domain::theme::resolve(&overrides), overrides })
}

pub async fn put(caller: &HqCaller, update: &ThemeUpdate) -> Result<Theme> {
    let wanted: BTreeMap<String, String> =
        update.variables.iter().map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    nexus_domain::theme::validate(&wanted)?;
    let mut tx = caller.db.begin().await?;
    let before = overrides(&mut tx).await?;
    sqlx::query("DELETE FROM theme_settings").execute(&mut *tx).await?;
    let (keys, values): (Vec<&String>, Vec<&String>) = wanted.iter().unzip();
    sqlx::query(
        "INSERT INTO theme_settings (variable, value, updated_by) SELECT k, v, $3 FROM unnest($1::text[], $2::text[]) AS t(k, v)",
    )
    .bind(keys)
    .bind(values)
    .bind(caller.employee_id.map(|e| e.0))
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &caller.origin(),
        Change {
            action: "THEME_UPDATE",
            entity_type: "theme",
            entity_id: None,
            old_value: Some(json!(before)),
            new_value: Some(json!(wanted)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Theme { variables: nexus_domain::theme::resolve(&wanted), overrides: wanted })
}
