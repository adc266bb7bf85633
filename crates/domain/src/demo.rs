//! The demo tenant of `seed/demo.json`: a small auto-parts store with two
//! branches, staff in every role, registers, assignments and products.
//!
//! Central and the terminal load the same file, so a demo behaves the same on
//! both. The data is parsed and checked here; storing it is each side's job.

use serde::Deserialize;

use crate::money::Money;
use crate::pin::Pin;
use crate::{DomainError, Percent, Role};

const DEMO_JSON: &str = include_str!("../../../seed/demo.json");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoData {
    pub tenant: DemoTenant,
    pub branches: Vec<DemoBranch>,
    pub employees: Vec<DemoEmployee>,
    pub registers: Vec<DemoRegister>,
    pub assignments: Vec<DemoAssignment>,
    pub products: Vec<DemoProduct>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoTenant {
    pub name: String,
    pub rfc: String,
    pub owner_name: String,
    pub owner_pin: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoBranch {
    /// How other records refer to it; `principal` is the branch every tenant
    /// starts with.
    pub key: String,
    pub name: String,
    pub address: String,
    pub phone: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoEmployee {
    pub key: String,
    pub name: String,
    pub role: Role,
    pub pin: String,
    pub branch: String,
    pub max_discount: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoRegister {
    pub key: String,
    pub name: String,
    pub number: i16,
    pub branch: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoAssignment {
    pub register: String,
    pub employee: String,
    pub note: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoProduct {
    pub part_number: String,
    pub barcode: String,
    pub name: String,
    pub brand: String,
    pub cost: String,
    pub price_1: String,
    pub price_2: String,
    pub price_3: String,
    pub stock: i32,
}

impl DemoEmployee {
    pub fn pin(&self) -> Result<Pin, DomainError> {
        Ok(Pin::parse(&self.pin)?)
    }

    pub fn max_discount(&self) -> Result<Percent, DomainError> {
        Ok(Percent::parse(&self.max_discount)?)
    }
}

impl DemoProduct {
    /// Cost and the three price tiers.
    pub fn amounts(&self) -> Result<[Money; 4], DomainError> {
        Ok([
            Money::parse_amount(&self.cost)?,
            Money::parse_amount(&self.price_1)?,
            Money::parse_amount(&self.price_2)?,
            Money::parse_amount(&self.price_3)?,
        ])
    }
}

impl DemoData {
    /// The demo shipped with this build, checked: every reference resolves,
    /// every PIN and amount is valid, no owner among the staff.
    pub fn embedded() -> DemoData {
        let data: DemoData = serde_json::from_str(DEMO_JSON).expect("seed/demo.json is valid");
        data.check().expect("seed/demo.json is consistent");
        data
    }

    fn check(&self) -> Result<(), String> {
        let branch = |k: &str| self.branches.iter().any(|b| b.key == k);
        let employee = |k: &str| self.employees.iter().any(|e| e.key == k);
        let register = |k: &str| self.registers.iter().any(|r| r.key == k);
        Pin::parse(&self.tenant.owner_pin).map_err(|e| e.to_string())?;
        if !branch("principal") {
            return Err("the demo needs the branch `principal`".into());
        }
        for e in &self.employees {
            e.pin().map_err(|err| format!("{}: {err}", e.key))?;
            e.max_discount().map_err(|err| format!("{}: {err}", e.key))?;
            if e.role == Role::Owner || !branch(&e.branch) {
                return Err(format!("employee {} is an owner or has an unknown branch", e.key));
            }
        }
        for r in &self.registers {
            if !branch(&r.branch) {
                return Err(format!("register {} has an unknown branch", r.key));
            }
        }
        for a in &self.assignments {
            if !register(&a.register) || !employee(&a.employee) {
                return Err(format!("assignment {}/{} refers to nothing", a.register, a.employee));
            }
        }
        for p in &self.products {
            p.amounts().map_err(|err| format!("{}: {err}", p.part_number))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_demo_is_consistent_and_covers_the_home_cases() {
        let demo = DemoData::embedded();
        let registers_of = |who: &str| demo.assignments.iter().filter(|a| a.employee == who).count();
        assert_eq!(registers_of("maria"), 1, "one register: the amount field");
        assert_eq!(registers_of("juan"), 2, "several: the selector");
        assert_eq!(registers_of("luis"), 0, "none: the alert");
        let pins: std::collections::BTreeSet<&str> =
            demo.employees.iter().map(|e| e.pin.as_str()).chain([demo.tenant.owner_pin.as_str()]).collect();
        assert_eq!(pins.len(), demo.employees.len() + 1, "PINs are unique");
    }
}
