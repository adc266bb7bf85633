//! The local SQLite database.
//!
//! One writer connection and one reader; every write goes through
//! [`Store::write`], which runs the closure in `BEGIN IMMEDIATE` and commits
//! only if it returns `Ok`, so an action is whole or absent. WAL with
//! `synchronous=FULL`: a commit that returned survived a power cut. The
//! schema version lives in `PRAGMA user_version`; migrations are embedded
//! and applied in one transaction when the database opens.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, Row, Transaction, TransactionBehavior};
use uuid::Uuid;

use crate::error::{Error, Result};

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

impl Store {
    /// Opens (creating if needed) the database at `path` and brings it to
    /// the latest schema.
    pub fn open(path: &Path, durability: Durability) -> Result<Store> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Internal(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut writer = Connection::open(path)?;
        configure(&writer, durability)?;
        migrate(&mut writer, MIGRATIONS)?;
        let reader = Connection::open_with_flags(
            path,
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
        let fresh = Store::open(&fresh_path, Durability::Full).unwrap();
        let fresh_schema = schema(&lock(&fresh.writer));
        let fresh_version: i64 =
            lock(&fresh.writer).pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(fresh_version, MIGRATIONS.len() as i64);
        for start in 0..MIGRATIONS.len() {
            let path = dir.path().join(format!("from-{start}.db"));
            let mut old = Connection::open(&path).unwrap();
            migrate(&mut old, &MIGRATIONS[..start]).unwrap();
            drop(old);
            let upgraded = Store::open(&path, Durability::Full).unwrap();
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
        assert!(matches!(Store::open(&path, Durability::Full), Err(Error::SchemaTooNew { found: 99, .. })));
    }

    #[test]
    fn the_database_runs_in_wal_with_full_sync_and_foreign_keys() {
        let dir = tempdir();
        let store = Store::open(&dir.path().join("t.db"), Durability::Full).unwrap();
        let conn = lock(&store.writer);
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        let sync: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
        let fk: i64 = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0)).unwrap();
        assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = tempdir();
        let store = Store::open(&dir.path().join("t.db"), Durability::Full).unwrap();
        let result: Result<()> = store.write(|tx| {
            settings_set(tx, "a", "1")?;
            Err(Error::Internal("boom".into()))
        });
        assert!(result.is_err());
        assert_eq!(store.read(|c| settings_get(c, "a")).unwrap(), None);
        store.write(|tx| settings_set(tx, "a", "2")).unwrap();
        assert_eq!(store.read(|c| settings_get(c, "a")).unwrap().as_deref(), Some("2"));
    }

    #[test]
    fn a_panic_inside_a_read_leaves_no_transaction_open() {
        let dir = tempdir();
        let store = Store::open(&dir.path().join("t.db"), Durability::Full).unwrap();
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
