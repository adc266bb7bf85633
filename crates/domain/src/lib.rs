//! The rules of Nexus POS with no I/O at all.
//!
//! Both the terminal engine and the central service call into this crate, so a
//! rule (who may grant what, how a PIN is checked, how an audit entry is hashed)
//! is written once and cannot drift between the till and headquarters. Nothing
//! here reads the clock, the disk, the network or a random source: time and
//! randomness are passed in by the caller.
#![forbid(unsafe_code)]

pub mod audit;
pub mod cash;
pub mod claims;
pub mod demo;
pub mod employee;
pub mod error;
pub mod hlc;
pub mod ids;
pub mod money;
pub mod permission;
pub mod pin;
pub mod register;
pub mod sale;
pub mod sync;
pub mod tenant;
pub mod theme;
pub mod throttle;

pub use error::DomainError;
pub use ids::{BranchId, EmployeeId, TenantId};
pub use money::{Money, Percent};
pub use permission::{Permission, PermissionSet, Role};
