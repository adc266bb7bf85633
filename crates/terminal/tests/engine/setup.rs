use nexus_terminal::secrets::SecretStore;
use nexus_terminal::setup::StandaloneSetup;
use nexus_terminal::{Error, Terminal};

use crate::helpers::{KEYRING_SERVICE, TestTerminal, assert_code, options};

fn standalone(pin: &str, confirmation: &str) -> StandaloneSetup {
    StandaloneSetup {
        store_name: "Refaccionaria El Pistón".into(),
        owner_name: "Lucía Dueña".into(),
        owner_pin: pin.into(),
        owner_pin_confirmation: confirmation.into(),
    }
}

#[test]
fn a_standalone_setup_makes_the_store_its_branch_a_register_and_the_owner() {
    let t = TestTerminal::blank();
    assert!(!t.is_set_up());
    assert_code(t.login("1234"), "not_set_up");
    let summary = t.setup_standalone(&standalone("246810", "246810")).unwrap();
    assert_eq!(summary.store_name, "Refaccionaria El Pistón");
    let owner = t.login("246810").unwrap();
    assert_eq!(owner.name, "Lucía Dueña");
    assert_eq!(owner.role, nexus_domain::Role::Owner);
    let home = t.home().unwrap();
    assert_eq!(home.assigned_registers_count, 1, "the owner can open the first register right away");
    assert_eq!(home.registers[0].id, summary.register_id);
    assert_eq!(t.count("SELECT count(*) FROM branches WHERE name = 'Principal'"), 1);
}

#[test]
fn the_owner_pin_must_be_typed_the_same_twice_and_follow_the_policy() {
    let t = TestTerminal::blank();
    assert_code(t.setup_standalone(&standalone("1234", "1243")), "pin_mismatch");
    assert_code(t.setup_standalone(&standalone("12", "12")), "invalid_pin");
    let mut no_name = standalone("1234", "1234");
    no_name.store_name = "  ".into();
    assert_code(t.setup_standalone(&no_name), "field_required");
    assert!(!t.is_set_up());
    assert_eq!(t.count("SELECT count(*) FROM employees"), 0, "nothing was written");
}

#[test]
fn a_terminal_is_set_up_once() {
    let t = TestTerminal::demo();
    assert_code(t.setup_standalone(&standalone("1234", "1234")), "already_set_up");
    assert_code(t.setup_demo(), "already_set_up");
}

#[test]
fn device_secrets_live_in_the_os_secret_store_and_not_in_the_database() {
    let t = TestTerminal::demo();
    let installation: String = t
        .raw()
        .query_row("SELECT value FROM settings WHERE key = 'installation_id'", [], |r| r.get(0))
        .unwrap();
    let secrets = SecretStore::new(KEYRING_SERVICE, installation.parse().unwrap()).load().unwrap();
    assert_eq!(secrets.device_id, t.device().unwrap().device_id);
    let file = std::fs::read(Terminal::database_path(t.path())).unwrap();
    let wal = std::fs::read(t.path().join("nexus-terminal.db-wal")).unwrap_or_default();
    let key = secrets.pin_key.as_bytes();
    for bytes in [&file, &wal] {
        assert!(!bytes.windows(32).any(|w| w == key), "the PIN key is not in the database files");
    }
    // After a restart the secrets come back from the store and PINs still work.
    let mut t = t;
    t.reopen();
    t.login(crate::helpers::MARIA).unwrap();
    // Without them, the terminal says so instead of guessing.
    t.forget_secrets().unwrap();
    let reopened = Terminal::open(t.dir.path(), options(&t.clock));
    assert!(matches!(reopened, Err(Error::SecretsMissing)));
}

#[test]
fn no_reachable_secret_store_is_a_clear_error() {
    let dir = crate::helpers::tempdir();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pos-terminal"))
        .args(["--json", "setup", "--demo"])
        .env("NEXUS_TERMINAL_DIR", dir.path())
        .env("NEXUS_KEYRING_SERVICE", KEYRING_SERVICE)
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let body: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(body["code"], "secret_store_unavailable", "{body}");
    assert!(body["message"].as_str().unwrap().contains("almacén de secretos"));
    // Without the secret store there is no database key: no database is made.
    assert!(!Terminal::database_path(dir.path()).exists(), "a terminal is never set up without its secrets");
}

#[test]
fn the_database_is_encrypted_with_a_key_kept_in_the_os_secret_store() {
    let mut t = TestTerminal::demo();
    t.login(crate::helpers::MARIA).unwrap();
    let path = Terminal::database_path(t.path());
    let file = std::fs::read(&path).unwrap();
    assert!(!file.starts_with(b"SQLite format 3"), "the file is not plaintext SQLite");
    let name = t.device().unwrap().store_name.clone();
    assert!(!file.windows(name.len()).any(|w| w == name.as_bytes()), "no store data readable in the file");
    // Without the key the file is not a database; with it, it is.
    let bare = rusqlite::Connection::open(&path).unwrap();
    assert!(bare.query_row("SELECT count(*) FROM settings", [], |r| r.get::<_, i64>(0)).is_err());
    let employees: i64 = t.raw().query_row("SELECT count(*) FROM employees", [], |r| r.get(0)).unwrap();
    assert!(employees > 0);
    // The key survives a restart; losing it is a clear error, never a new empty store.
    t.reopen();
    t.login(crate::helpers::MARIA).unwrap();
    let installation: String = t
        .raw()
        .query_row("SELECT value FROM settings WHERE key = 'installation_id'", [], |r| r.get(0))
        .unwrap();
    SecretStore::new(KEYRING_SERVICE, installation.parse().unwrap()).forget_database_key().unwrap();
    let reopened = Terminal::open(t.path(), options(&t.clock));
    let refused = assert_code(reopened.map(|_| ()), "database_key_missing");
    assert!(refused.to_string().contains("llave"), "{refused}");
    assert!(!std::fs::read(&path).unwrap().starts_with(b"SQLite format 3"), "nothing was made in its place");
}
