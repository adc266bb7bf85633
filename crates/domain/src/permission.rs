//! Roles, the permission catalogue and who may grant what.
//!
//! The catalogue is the foundation spec's dotted permissions plus the cash and
//! user-management permissions of the register-assignment spec. Role defaults
//! are defined here once; the owner holds every permission implicitly.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! permissions {
    // `$code:tt`, not `:literal`: a `literal` fragment reaches derives as an
    // invisible group, and `utoipa` then ignores the `rename` and documents
    // the Rust name (`PosSell`) instead of the wire's (`pos.sell`).
    ($($variant:ident => $code:tt,)*) => {
        /// One thing an employee may be allowed to do.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum Permission {
            $(#[serde(rename = $code)] $variant,)*
        }

        impl Permission {
            /// The whole catalogue, in a stable order.
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            /// The stable code stored in `employee_permissions.permission`.
            pub const fn code(self) -> &'static str {
                match self {
                    $(Permission::$variant => $code,)*
                }
            }
        }

        impl FromStr for Permission {
            type Err = UnknownPermission;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok(Permission::$variant),)*
                    _ => Err(UnknownPermission(s.to_owned())),
                }
            }
        }
    };
}

permissions! {
    PosSell => "pos.sell",
    PosDiscount => "pos.discount",
    PosCancel => "pos.cancel",
    PosViewCost => "pos.view_cost",
    InventoryView => "inventory.view",
    InventoryCreate => "inventory.create",
    InventoryEdit => "inventory.edit",
    InventoryAdjust => "inventory.adjust",
    InventoryTransfer => "inventory.transfer",
    CatalogView => "catalog.view",
    CatalogEdit => "catalog.edit",
    CustomersView => "customers.view",
    CustomersCreate => "customers.create",
    CustomersEdit => "customers.edit",
    CustomersEditCredit => "customers.edit_credit",
    CustomersDelete => "customers.delete",
    AccountingView => "accounting.view",
    AccountingCreate => "accounting.create",
    AccountingClose => "accounting.close",
    InvoicingView => "invoicing.view",
    InvoicingCreate => "invoicing.create",
    InvoicingCancel => "invoicing.cancel",
    ReportsView => "reports.view",
    ReportsFinancial => "reports.financial",
    ConfigView => "config.view",
    ConfigEdit => "config.edit",
    ConfigEditPrices => "config.edit_prices",
    CashSessionOpen => "CASH.SESSION.OPEN",
    CashSessionClose => "CASH.SESSION.CLOSE",
    CashView => "CASH.VIEW",
    CashAssign => "CASH.ASSIGN",
    CashRegisterManage => "CASH.REGISTER.MANAGE",
    SecurityUsersManage => "SECURITY.USERS.MANAGE",
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("permiso desconocido: {0}")]
pub struct UnknownPermission(pub String);

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The job of an employee. Decides the default permissions; `Owner` bypasses
/// every permission check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Cashier,
    Warehouse,
    Accountant,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("rol desconocido: {0} (owner, admin, cashier, warehouse o accountant)")]
pub struct UnknownRole(pub String);

impl Role {
    pub const ALL: [Role; 5] = [Role::Owner, Role::Admin, Role::Cashier, Role::Warehouse, Role::Accountant];

    pub const fn code(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Cashier => "cashier",
            Role::Warehouse => "warehouse",
            Role::Accountant => "accountant",
        }
    }

    /// The permissions an employee of this role starts with.
    #[rustfmt::skip]
    pub fn default_permissions(self) -> PermissionSet {
        use Permission::*;
        let list: &[Permission] = match self {
            Role::Owner => Permission::ALL,
            Role::Admin => &[
                PosSell, PosDiscount, PosCancel, PosViewCost,
                InventoryView, InventoryCreate, InventoryEdit, InventoryAdjust, InventoryTransfer,
                CatalogView, CatalogEdit,
                CustomersView, CustomersCreate, CustomersEdit, CustomersEditCredit,
                InvoicingView, InvoicingCreate,
                ReportsView, ReportsFinancial,
                ConfigView, ConfigEdit, ConfigEditPrices,
                CashSessionOpen, CashSessionClose, CashView, CashAssign, CashRegisterManage,
                SecurityUsersManage,
            ],
            Role::Cashier => &[
                PosSell, PosDiscount, PosCancel,
                CatalogView, CustomersView, CustomersCreate,
                CashSessionOpen, CashSessionClose, CashView,
            ],
            Role::Warehouse => &[
                InventoryView, InventoryCreate, InventoryEdit, InventoryAdjust, InventoryTransfer,
                CatalogView,
            ],
            Role::Accountant => &[
                AccountingView, AccountingCreate,
                InvoicingView, InvoicingCreate, InvoicingCancel,
                ReportsView, ReportsFinancial,
                CustomersView, CashView,
            ],
        };
        list.iter().copied().collect()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.code() == s).ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// A set of permissions, kept sorted so it prints and serialises stably.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = Vec<Permission>))]
#[serde(transparent)]
pub struct PermissionSet(BTreeSet<Permission>);

impl PermissionSet {
    pub fn contains(&self, p: Permission) -> bool {
        self.0.contains(&p)
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Parses stored codes; an unknown code is an error rather than silently
    /// dropped, since it would mean a newer schema than this build knows.
    pub fn from_codes<I, S>(codes: I) -> Result<PermissionSet, UnknownPermission>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        codes.into_iter().map(|c| c.as_ref().parse()).collect()
    }

    pub fn codes(&self) -> Vec<&'static str> {
        self.iter().map(Permission::code).collect()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<T: IntoIterator<Item = Permission>>(iter: T) -> Self {
        PermissionSet(iter.into_iter().collect())
    }
}

/// Who is acting, as far as permission rules care.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grants {
    pub role: Role,
    pub permissions: PermissionSet,
}

impl Grants {
    /// The owner passes every check; everyone else needs the permission.
    pub fn allows(&self, p: Permission) -> bool {
        self.role == Role::Owner || self.permissions.contains(p)
    }

    /// The permissions of `required` this actor lacks, in catalogue order.
    pub fn missing(&self, required: &[Permission]) -> Vec<Permission> {
        let mut missing: Vec<Permission> = required.iter().copied().filter(|p| !self.allows(*p)).collect();
        missing.sort();
        missing.dedup();
        missing
    }

    /// What this actor would give away by granting `wanted` and does not hold:
    /// nobody grants a permission they lack.
    pub fn ungrantable(&self, wanted: &PermissionSet) -> Vec<Permission> {
        wanted.iter().filter(|p| !self.allows(*p)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_parses_back_to_its_permission() {
        for p in Permission::ALL {
            assert_eq!(p.code().parse::<Permission>().unwrap(), *p);
            assert_eq!(serde_json::to_string(p).unwrap(), format!("\"{}\"", p.code()));
        }
        assert!("pos.fly".parse::<Permission>().is_err());
    }

    #[test]
    fn the_catalogue_has_the_foundation_and_the_cash_permissions() {
        assert_eq!(Permission::ALL.len(), 27 + 6);
    }

    #[test]
    fn cashiers_can_open_and_close_but_not_assign() {
        let cashier = Role::Cashier.default_permissions();
        assert!(cashier.contains(Permission::CashSessionOpen));
        assert!(cashier.contains(Permission::CashSessionClose));
        assert!(!cashier.contains(Permission::CashAssign));
        assert!(!cashier.contains(Permission::SecurityUsersManage));
    }

    #[test]
    fn admins_hold_every_cash_and_user_permission_but_not_accounting_close() {
        let admin = Role::Admin.default_permissions();
        for p in [
            Permission::CashAssign,
            Permission::CashRegisterManage,
            Permission::SecurityUsersManage,
            Permission::CashView,
        ] {
            assert!(admin.contains(p), "{p}");
        }
        assert!(!admin.contains(Permission::AccountingClose));
    }

    #[test]
    fn the_owner_is_allowed_everything_without_holding_it() {
        let owner = Grants { role: Role::Owner, permissions: PermissionSet::default() };
        assert!(Permission::ALL.iter().all(|p| owner.allows(*p)));
        assert!(owner.ungrantable(&Role::Admin.default_permissions()).is_empty());
    }

    #[test]
    fn nobody_grants_what_they_lack() {
        let admin = Grants { role: Role::Admin, permissions: Role::Admin.default_permissions() };
        let wanted: PermissionSet = [Permission::PosSell, Permission::AccountingClose].into_iter().collect();
        assert_eq!(admin.ungrantable(&wanted), vec![Permission::AccountingClose]);
        let cashier = Grants { role: Role::Cashier, permissions: Role::Cashier.default_permissions() };
        assert_eq!(
            cashier.missing(&[Permission::ConfigEdit, Permission::PosSell]),
            vec![Permission::ConfigEdit]
        );
    }
}
