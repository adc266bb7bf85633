//! The UI's TypeScript types are generated from the Rust types that cross
//! the shell; this test fails when the committed ones in `ui/src/bindings`
//! are stale. Regenerate them with:
//!
//! ```sh
//! NEXUS_WRITE_BINDINGS=1 cargo test -p nexus-desktop --test bindings
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nexus_domain::employee::{EmployeeChanges, NewEmployee, PinChange};
use nexus_terminal::ErrorBody;
use nexus_terminal::access::LoggedIn;
use nexus_terminal::audit::AuditVerification;
use nexus_terminal::cash_session::{CloseSession, HomeContext, OpenSession, SessionView, ZReport};
use nexus_terminal::employees::{CreatedEmployee, Employee, IssuedPin};
use nexus_terminal::layaways::{Customer, Layaway, NewCustomer, NewLayaway, NewLayawayPayment};
use nexus_terminal::movements::{Movement, NewMovement};
use nexus_terminal::outbox::OutboxStatus;
use nexus_terminal::products::Product;
use nexus_terminal::registers::{
    Assignment, AssignmentFilter, NewAssignment, NewRegister, Register, RegisterChanges,
};
use nexus_terminal::sales::{CancelSale, NewSale, Receipt};
use nexus_terminal::setup::{SetupSummary, StandaloneSetup};
use nexus_terminal::status::TerminalStatus;
use nexus_terminal::sync::Enrollment;
use ts_rs::{Config, TS};

fn generate(dir: &Path) {
    let cfg = Config::new().with_large_int("number").with_out_dir(dir);
    macro_rules! export {
        ($($t:ty),* $(,)?) => {$(
            <$t as TS>::export_all(&cfg).unwrap_or_else(|e| panic!("{}: {e}", stringify!($t)));
        )*};
    }
    export!(
        TerminalStatus,
        LoggedIn,
        HomeContext,
        SessionView,
        OpenSession,
        CloseSession,
        ZReport,
        Movement,
        NewMovement,
        Product,
        NewSale,
        Receipt,
        CancelSale,
        Customer,
        NewCustomer,
        Layaway,
        NewLayaway,
        NewLayawayPayment,
        Employee,
        NewEmployee,
        EmployeeChanges,
        CreatedEmployee,
        IssuedPin,
        PinChange,
        Register,
        NewRegister,
        RegisterChanges,
        Assignment,
        AssignmentFilter,
        NewAssignment,
        StandaloneSetup,
        SetupSummary,
        Enrollment,
        AuditVerification,
        OutboxStatus,
        ErrorBody,
    );
    let names: String = nexus_desktop::commands::NAMES.iter().map(|n| format!("  \"{n}\",\n")).collect();
    std::fs::write(
        dir.join("commands.ts"),
        format!(
            "// Generated from src-tauri/src/commands/mod.rs. Do not edit.\n\n\
             /** Every command the shell answers. */\nexport const COMMANDS = [\n{names}] as const;\n\n\
             export type CommandName = (typeof COMMANDS)[number];\n"
        ),
    )
    .unwrap();
}

fn files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "ts"))
                .map(|p| {
                    (
                        p.file_name().unwrap().to_string_lossy().into_owned(),
                        std::fs::read_to_string(&p).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_ui_bindings_match_the_rust_types() {
    let committed: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings");
    if std::env::var_os("NEXUS_WRITE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed);
        std::fs::create_dir_all(&committed).unwrap();
        generate(&committed);
        return;
    }
    let fresh = std::env::temp_dir().join(format!("nexus-bindings-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&fresh).unwrap();
    generate(&fresh);
    let (expected, actual) = (files(&fresh), files(&committed));
    let _ = std::fs::remove_dir_all(&fresh);
    let stale: Vec<&String> = expected
        .keys()
        .chain(actual.keys())
        .filter(|name| expected.get(*name) != actual.get(*name))
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/bindings is stale ({stale:?}); run NEXUS_WRITE_BINDINGS=1 cargo test -p nexus-desktop --test bindings"
    );
}
