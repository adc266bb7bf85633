//! The local SQLite database.
//!
//! One writer connection and one reader; every write goes through
//! [`Store::write`], which runs the closure in `BEGIN IMMEDIATE` and commits
//! only if it returns `Ok`, so an action is whole or absent. WAL with
//! `synchronous=FULL`: a commit that returned survived a power cut. The
//! schema version lives in `PRAGMA user_version`; migrations are embedded
//! and applied in one transaction when the database opens.
//!
//! The file is encrypted with SQLCipher under a random 32-byte key kept in
//! the OS secret store: `PRAGMA key` is the first statement on every
//! connection, and a copied file is noise without the key. A plaintext
//! database of an older version is encrypted in place when it opens.
//!
//! The data directory is the owner's alone (0700) and its files too (0600):
//! they hold every sale, employee and PIN hash of the store. Modes are set
//! when created and tightened on every open, so an older, world-readable
//! installation is fixed by starting it.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, Row, Transaction, TransactionBehavior};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::secrets::DatabaseKey;

/// Every terminal migration, in order; `user_version` is how many ran.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/terminal/0001_terminal.sql"),
    include_str!("../../../migrations/terminal/0002_sync.sql"),
    include_str!("../../../migrations/terminal/0003_pin_changes.sql"),
];

/// How hard a commit waits for the disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: the commit is on disk when it returns. For money.
    #[default]
    Full,
    /// `synchronous=NORMAL`: a power cut may lose the last commits (never
    /// corrupt them). Only for measuring the difference.
    Normal,
}

pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the connection leaves SQLite consistent (the
    // transaction rolls back on drop), so the poison carries no meaning.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn configure(conn: &Connection, durability: Durability) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", if durability == Durability::Full { "FULL" } else { "NORMAL" })?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Owner-only modes of the data directory and its files.
pub const DIR_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

/// SQLite's companions of a database file, which hold its data too.
const COMPANIONS: [&str; 3] = ["-wal", "-shm", "-journal"];

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Internal(format!("{}: {e}", path.display()))
}

/// Creates `dir` (and missing parents) owner-only, and tightens it if it
/// already existed.
pub fn private_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)
            .map_err(|e| io_error(dir, e))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE)).map_err(|e| io_error(dir, e))
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))
}

/// Creates `file` empty and owner-only if missing, and tightens it if it
/// exists. SQLite gives its `-wal` and `-shm` files the database's mode.
pub fn private_file(file: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(FILE_MODE)
            .open(file)
            .map_err(|e| io_error(file, e))?;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(FILE_MODE))
            .map_err(|e| io_error(file, e))
    }
    #[cfg(not(unix))]
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .map(|_| ())
        .map_err(|e| io_error(file, e))
}

/// Tightens the database's companion files that exist.
fn private_companions(path: &Path) -> Result<()> {
    for suffix in COMPANIONS {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let companion = PathBuf::from(name);
        if companion.exists() {
            private_file(&companion)?;
        }
    }
    Ok(())
}

/// What every plaintext SQLite file begins with (an encrypted one never does).
const PLAINTEXT_HEADER: &[u8] = b"SQLite format 3\0";

/// Whether the file at `path` is an unencrypted SQLite database.
pub fn is_plaintext(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut header = [0u8; 16];
    match std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut header)) {
        Ok(()) => Ok(header == PLAINTEXT_HEADER),
        Err(e)
            if e.kind() == std::io::ErrorKind::UnexpectedEof || e.kind() == std::io::ErrorKind::NotFound =>
        {
            Ok(false)
        }
        Err(e) => Err(io_error(path, e)),
    }
}

/// Gives `conn` the key before anything else touches the file, then reads
/// the schema so a missing or wrong key is a clear error here and not a
/// "file is not a database" at the first sale.
pub fn unlock(conn: &Connection, key: &DatabaseKey) -> Result<()> {
    let pragma = secrecy::SecretString::from(format!("PRAGMA key = \"x'{}'\";", hex::encode(key.expose())));
    conn.execute_batch(secrecy::ExposeSecret::expose_secret(&pragma))?;
    // SQLCipher writes a wrong key's failures to stderr, where `--json` errors go: the error says it.
    let _ = conn.query_row("PRAGMA cipher_log_level = NONE", [], |_| Ok(()));
    match conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::NotADatabase => {
            Err(Error::DatabaseKeyMissing)
        }
        Err(e) => Err(e.into()),
    }
}

/// Opens the database at `path` with its key, outside a [`Store`].
pub fn open_connection(path: &Path, key: &DatabaseKey, flags: OpenFlags) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, flags)?;
    unlock(&conn, key)?;
    Ok(conn)
}

/// Encrypts a plaintext database under `key`, in place: a copy is
/// exported encrypted beside it and renamed over it only once complete.
pub fn encrypt_in_place(path: &Path, key: &DatabaseKey) -> Result<()> {
    let mut name = path.as_os_str().to_owned();
    name.push(".encrypting");
    let encrypted = PathBuf::from(name);
    let _ = std::fs::remove_file(&encrypted);
    private_file(&encrypted)?;
    let plain = Connection::open(path)?;
    let version: i64 = plain.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let attach = secrecy::SecretString::from(format!(
        "ATTACH DATABASE '{}' AS encrypted KEY \"x'{}'\";",
        encrypted.display().to_string().replace('\'', "''"),
        hex::encode(key.expose())
    ));
    plain.execute_batch(secrecy::ExposeSecret::expose_secret(&attach))?;
    plain.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
    plain.execute_batch(&format!("PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;"))?;
    drop(plain);
    std::fs::rename(&encrypted, path).map_err(|e| io_error(path, e))?;
    for suffix in COMPANIONS {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the database at `path`, owner-only and
    /// encrypted under `key`, and brings it to the latest schema.
    pub fn open(path: &Path, durability: Durability, key: &DatabaseKey) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private_dir(dir)?;
        }
        private_file(path)?;
        private_companions(path)?;
        if is_plaintext(path)? {
            encrypt_in_place(path, key)?;
        }
        let mut writer = open_connection(path, key, OpenFlags::default())?;
        configure(&writer, durability)?;
        migrate(&mut writer, MIGRATIONS)?;
        let reader = open_connection(
            path,
            key,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        reader.busy_timeout(Duration::from_secs(5))?;
        reader.set_prepared_statement_cache_capacity(64);
        Ok(Store { path: path.to_owned(), writer: Mutex::new(writer), reader: Mutex::new(reader) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction; commits if it returns
    /// `Ok`, rolls back otherwise.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `f` on the reader inside a read transaction (one snapshot). The
    /// transaction is a guard: it ends when `f` returns or panics, so a
    /// panic inside one read never leaves the reader stuck in a transaction
    /// that every later read would fail to begin.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.reader);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let value = f(&tx);
        tx.commit()?;
        value
    }
}

/// Applies the migrations the database lacks, in one transaction.
pub fn migrate(conn: &mut Connection, migrations: &[&str]) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = migrations.len() as i64;
    if version > known {
        return Err(Error::SchemaTooNew { found: version, known });
    }
    for (i, sql) in migrations.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

/// Times are stored as UTC RFC 3339 with microseconds: sortable as text and
/// the same precision PostgreSQL keeps.
pub fn ts(t: DateTime<Utc>) -> String {
    nexus_domain::audit::format_time(t)
}

pub fn parse_ts(text: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

pub fn uuid_of(text: &str) -> rusqlite::Result<Uuid> {
    Uuid::parse_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

/// Column helpers for rows holding our text encodings.
pub trait RowExt {
    fn uuid(&self, idx: usize) -> rusqlite::Result<Uuid>;
    fn opt_uuid(&self, idx: usize) -> rusqlite::Result<Option<Uuid>>;
    fn time(&self, idx: usize) -> rusqlite::Result<DateTime<Utc>>;
    fn opt_time(&self, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>>;
}

impl RowExt for Row<'_> {
    fn uuid(&self, idx: usize) -> rusqlite::Result<Uuid> {
        uuid_of(&self.get::<_, String>(idx)?)
    }

    fn opt_uuid(&self, idx: usize) -> rusqlite::Result<Option<Uuid>> {
        self.get::<_, Option<String>>(idx)?.as_deref().map(uuid_of).transpose()
    }

    fn time(&self, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
        parse_ts(&self.get::<_, String>(idx)?)
    }

    fn opt_time(&self, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
        self.get::<_, Option<String>>(idx)?.as_deref().map(parse_ts).transpose()
    }
}

/// Whether a SQLite error is a unique or check constraint of the given name
/// (SQLite names the index or the columns in the message).
pub fn violates(err: &rusqlite::Error, needle: &str) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(e, Some(msg))
        if e.code == rusqlite::ErrorCode::ConstraintViolation && msg.contains(needle))
}

/// Whether a SQLite error is any constraint violation.
pub fn is_constraint(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::ConstraintViolation)
}

/// A UNIQUE or PRIMARY KEY constraint failed.
pub fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(e, _)
        if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

pub fn settings_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

pub fn settings_set(tx: &Transaction<'_>, key: &str, value: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(conn: &Connection) -> Vec<(String, String, String)> {
        let mut stmt = conn
            .prepare("SELECT type, name, coalesce(sql, '') FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    }

    #[test]
    fn upgrading_from_every_earlier_version_equals_a_fresh_database() {
        let dir = tempdir();
        let fresh_path = dir.path().join("fresh.db");
        let fresh = Store::open(&fresh_path, Durability::Full, &key()).unwrap();
        let fresh_schema = schema(&lock(&fresh.writer));
        let fresh_version: i64 =
            lock(&fresh.writer).pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(fresh_version, MIGRATIONS.len() as i64);
        for start in 0..MIGRATIONS.len() {
            let path = dir.path().join(format!("from-{start}.db"));
            let mut old = Connection::open(&path).unwrap();
            migrate(&mut old, &MIGRATIONS[..start]).unwrap();
            drop(old);
            let upgraded = Store::open(&path, Durability::Full, &key()).unwrap();
            assert_eq!(schema(&lock(&upgraded.writer)), fresh_schema, "upgrading from version {start}");
        }
    }

    #[test]
    fn a_database_newer_than_the_app_is_refused() {
        let dir = tempdir();
        let path = dir.path().join("new.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        assert!(matches!(
            Store::open(&path, Durability::Full, &key()),
            Err(Error::SchemaTooNew { found: 99, .. })
        ));
    }

    #[test]
    fn the_database_runs_in_wal_with_full_sync_and_foreign_keys() {
        let dir = tempdir();
        let store = Store::open(&dir.path().join("t.db"), Durability::Full, &key()).unwrap();
        let conn = lock(&store.writer);
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        let sync: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
        let fk: i64 = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0)).unwrap();
        assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = tempdir();
        let store = Store::open(&dir.path().join("t.db"), Durability::Full, &key()).unwrap();
        let result: Result<()> = store.write(|tx| {
            settings_set(tx, "a", "1")?;
            Err(Error::Internal("boom".into()))
        });
        assert!(result.is_err());
        assert_eq!(store.read(|c| settings_get(c, "a")).unwrap(), None);
        store.write(|tx| settings_set(tx, "a", "2")).unwrap();
        assert_eq!(store.read(|c| settings_get(c, "a")).unwrap().as_deref(), Some("2"));
    }

    fn key() -> DatabaseKey {
        DatabaseKey::generate().unwrap()
    }

    #[test]
    fn the_file_is_encrypted_and_opens_only_with_its_key() {
        let dir = tempdir();
        let path = dir.path().join("t.db");
        let k = key();
        let store = Store::open(&path, Durability::Full, &k).unwrap();
        store.write(|tx| settings_set(tx, "store_name", "Refaccionaria Secreta")).unwrap();
        drop(store);
        let file = std::fs::read(&path).unwrap();
        assert!(!file.starts_with(b"SQLite format 3"));
        assert!(!file.windows(11).any(|w| w == b"Refaccionar"), "no plaintext in the file");
        let bare = Connection::open(&path).unwrap();
        assert!(bare.query_row("SELECT count(*) FROM settings", [], |r| r.get::<_, i64>(0)).is_err());
        assert!(matches!(Store::open(&path, Durability::Full, &key()), Err(Error::DatabaseKeyMissing)));
        let store = Store::open(&path, Durability::Full, &k).unwrap();
        assert_eq!(
            store.read(|c| settings_get(c, "store_name")).unwrap().as_deref(),
            Some("Refaccionaria Secreta")
        );
    }

    #[test]
    fn a_plaintext_database_of_an_older_version_is_encrypted_when_it_opens() {
        let dir = tempdir();
        let path = dir.path().join("t.db");
        let mut old = Connection::open(&path).unwrap();
        migrate(&mut old, MIGRATIONS).unwrap();
        old.execute("INSERT INTO settings (key, value) VALUES ('store_name', 'Antigua')", []).unwrap();
        drop(old);
        assert!(is_plaintext(&path).unwrap());
        let k = key();
        let store = Store::open(&path, Durability::Full, &k).unwrap();
        assert_eq!(store.read(|c| settings_get(c, "store_name")).unwrap().as_deref(), Some("Antigua"));
        drop(store);
        assert!(!is_plaintext(&path).unwrap());
        assert!(!std::fs::read(&path).unwrap().windows(7).any(|w| w == b"Antigua"));
        let store = Store::open(&path, Durability::Full, &k).unwrap();
        assert_eq!(store.read(|c| settings_get(c, "store_name")).unwrap().as_deref(), Some("Antigua"));
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn the_data_directory_and_its_files_are_the_owners_alone() {
        let dir = tempdir();
        let data = dir.path().join("data/nested");
        let path = data.join("t.db");
        let k = key();
        let store = Store::open(&path, Durability::Full, &k).unwrap();
        store.write(|tx| settings_set(tx, "a", "1")).unwrap();
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&dir.path().join("data")), 0o700, "created parents too");
        for file in ["t.db", "t.db-wal", "t.db-shm"] {
            assert_eq!(mode(&data.join(file)), 0o600, "{file}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_older_world_readable_installation_is_tightened_on_open() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempdir();
        let data = dir.path().join("data");
        let path = data.join("t.db");
        let k = key();
        let store = Store::open(&path, Durability::Full, &k).unwrap();
        store.write(|tx| settings_set(tx, "a", "1")).unwrap();
        drop(store);
        let open_to_all =
            |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
        open_to_all(&data, 0o755);
        open_to_all(&path, 0o644);
        std::fs::write(data.join("t.db-journal"), b"").unwrap();
        open_to_all(&data.join("t.db-journal"), 0o666);
        let store = Store::open(&path, Durability::Full, &k).unwrap();
        assert_eq!(store.read(|c| settings_get(c, "a")).unwrap().as_deref(), Some("1"));
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&data.join("t.db-journal")), 0o600);
    }

    #[test]
    fn a_panic_inside_a_read_leaves_no_transaction_open() {
        let dir = tempdir();
        let store = Store::open(&dir.path().join("t.db"), Durability::Full, &key()).unwrap();
        store.write(|tx| settings_set(tx, "a", "1")).unwrap();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            store.read(|c| -> Result<()> {
                settings_get(c, "a")?;
                panic!("a bug inside a read");
            })
        }));
        assert!(panicked.is_err());
        assert!(lock(&store.reader).is_autocommit(), "the read transaction ended with the panic");
        assert_eq!(store.read(|c| settings_get(c, "a")).unwrap().as_deref(), Some("1"));
        store.write(|tx| settings_set(tx, "a", "2")).unwrap();
        assert_eq!(store.read(|c| settings_get(c, "a")).unwrap().as_deref(), Some("2"));
    }

    fn tempdir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }
}
