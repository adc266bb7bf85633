//! The claims carried by every token central issues.
//!
//! The tenant of a request comes only from here, after the signature was
//! verified; never from a path, a query or a body field.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{BranchId, EmployeeId, Permission, PermissionSet, Role, TenantId};

pub const ISSUER: &str = "nexus-central";
pub const AUDIENCE: &str = "nexus-pos";

/// A whole shift, as the foundation spec has it.
pub const EMPLOYEE_TOKEN_TTL: Duration = Duration::hours(8);

/// Who a token speaks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    /// A person logged in with a PIN.
    Employee,
    /// An enrolled terminal, for sync.
    Device,
    /// Headquarters tools.
    Hq,
}

/// What a token may be used for. PIN tokens open a shift at a counter and
/// nothing else: headquarters' powers need an HQ account's session, and every
/// HQ endpoint refuses a counter token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    Counter,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    #[serde(rename = "type")]
    pub token_type: TokenType,
    /// Required: a token without it (issued before scopes) is refused.
    pub scope: TokenScope,
    pub tenant_id: TenantId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<EmployeeId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch_id: Option<BranchId>,
    #[serde(default)]
    pub permissions: Vec<Permission>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
}

/// What an employee token says about its holder.
pub struct EmployeeGrant<'a> {
    pub tenant: TenantId,
    pub employee: EmployeeId,
    pub role: Role,
    pub branch: Option<BranchId>,
    pub permissions: &'a PermissionSet,
    pub device_id: &'a str,
}

impl Claims {
    /// Claims of a shift-long counter token issued at `now`.
    pub fn for_employee(grant: EmployeeGrant<'_>, now: DateTime<Utc>, jti: Uuid) -> Claims {
        Claims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: format!("employee:{}", grant.employee),
            token_type: TokenType::Employee,
            scope: TokenScope::Counter,
            tenant_id: grant.tenant,
            employee_id: Some(grant.employee),
            role: Some(grant.role),
            branch_id: grant.branch,
            permissions: grant.permissions.iter().collect(),
            device_id: Some(grant.device_id.to_owned()),
            iat: now.timestamp(),
            exp: (now + EMPLOYEE_TOKEN_TTL).timestamp(),
            jti,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn employee_claims_last_a_shift_name_the_tenant_and_open_only_a_counter() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let perms = Role::Cashier.default_permissions();
        let claims = Claims::for_employee(
            EmployeeGrant {
                tenant: TenantId(Uuid::from_u128(9)),
                employee: EmployeeId(Uuid::from_u128(3)),
                role: Role::Cashier,
                branch: None,
                permissions: &perms,
                device_id: "caja-1",
            },
            now,
            Uuid::from_u128(1),
        );
        assert_eq!(claims.exp - claims.iat, 8 * 3600);
        let json = serde_json::to_value(&claims).unwrap();
        assert_eq!(json["type"], "employee");
        assert_eq!(json["scope"], "counter");
        assert_eq!(json["tenant_id"], "00000000-0000-0000-0000-000000000009");
        assert_eq!(json["role"], "cashier");
        assert!(json["permissions"].as_array().unwrap().iter().any(|p| p == "CASH.SESSION.OPEN"));
        let mut unscoped = json.clone();
        unscoped.as_object_mut().unwrap().remove("scope");
        assert!(serde_json::from_value::<Claims>(unscoped).is_err(), "a token without a scope is refused");
    }
}
