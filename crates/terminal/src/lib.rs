//! The terminal engine of Nexus POS: everything a counter does, offline.
//!
//! A local SQLite replica of the tenant schema, the services a cashier and a
//! store owner use (PIN login, employees, registers and assignments, cash
//! sessions, sales, cash movements, layaways), the audit chain and the
//! outbox. It has no window and no Tauri dependency: the desktop shell and
//! the `pos-terminal` CLI call this API, and its tests call it directly.
//!
//! Every action commits its rows, its audit entry and its outbox op in one
//! transaction; an error writes nothing.
#![forbid(unsafe_code)]

pub mod access;
pub mod audit;
pub mod cash_session;
pub mod employees;
pub mod error;
mod journal;
pub mod layaways;
pub mod movements;
pub mod outbox;
pub mod own_pin;
pub mod products;
pub mod registers;
pub mod replica;
pub mod sales;
pub mod secrets;
pub mod setup;
pub mod status;
pub mod store;
pub mod sync;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use chrono::{DateTime, Duration, Utc};
use nexus_domain::permission::Grants;
use nexus_domain::pin::PinKey;
use nexus_domain::{BranchId, EmployeeId, Percent, Permission, PermissionSet, Role};
use rusqlite::{OptionalExtension, Transaction};
use uuid::Uuid;

pub use error::{Error, ErrorBody, Result};
use secrets::SecretStore;
use store::{Durability, Store, settings_get};

/// Where the engine reads the time. Rules never read the clock themselves;
/// tests move a [`ManualClock`].
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new(start))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// How to open a terminal.
pub struct Options {
    /// Name of the application in the OS secret store.
    pub keyring_service: String,
    pub clock: Arc<dyn Clock>,
    pub durability: Durability,
    /// bcrypt cost of PINs made here (at least 10).
    pub bcrypt_cost: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            keyring_service: "nexus-pos".to_owned(),
            clock: Arc::new(SystemClock),
            durability: Durability::Full,
            bcrypt_cost: nexus_domain::pin::MIN_BCRYPT_COST,
        }
    }
}

/// The identity of a set-up terminal.
#[derive(Clone, Debug)]
pub struct Device {
    pub device_id: Uuid,
    pub tenant_id: Uuid,
    pub store_name: String,
    pub branch_id: BranchId,
    pin_key: PinKey,
    /// Central's address and this device's credential, once enrolled.
    pub central: Option<CentralLink>,
}

/// How an enrolled terminal reaches central.
#[derive(Clone)]
pub struct CentralLink {
    pub url: String,
    /// Plain `http://` to another machine was chosen explicitly at enrollment.
    pub insecure: bool,
    pub credential: secrecy::SecretString,
}

impl std::fmt::Debug for CentralLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CentralLink")
            .field("url", &self.url)
            .field("insecure", &self.insecure)
            .field("credential", &"***")
            .finish()
    }
}

/// The employee logged in at the counter.
#[derive(Clone, Debug)]
struct Active {
    employee_id: EmployeeId,
    last_activity: DateTime<Utc>,
}

/// The acting employee as the database has them now.
#[derive(Clone, Debug)]
pub(crate) struct Actor {
    pub id: EmployeeId,
    pub name: String,
    pub grants: Grants,
    pub max_discount: Percent,
}

impl Actor {
    pub fn require(&self, permissions: &[Permission]) -> Result<()> {
        let missing = self.grants.missing(permissions);
        if missing.is_empty() { Ok(()) } else { Err(nexus_domain::DomainError::Forbidden { missing }.into()) }
    }

    pub fn as_domain_actor(&self) -> nexus_domain::employee::Actor {
        nexus_domain::employee::Actor {
            employee_id: self.id,
            grants: self.grants.clone(),
            max_discount: self.max_discount,
        }
    }
}

/// Everything an action needs: who, where, when.
pub(crate) struct Ctx<'a> {
    pub actor: Actor,
    pub device: &'a Device,
    pub now: DateTime<Utc>,
}

/// A terminal: its database, its secrets and who is at the counter.
pub struct Terminal {
    store: Store,
    options: Options,
    secret_store: SecretStore,
    device: RwLock<Option<Arc<Device>>>,
    active: Mutex<Option<Active>>,
    /// Seconds of inactivity before the counter locks; read once at open.
    auto_lock_secs: AtomicI64,
    /// What the sync client last reported.
    link: Mutex<replica::Link>,
    /// Called after every committed action (the sync client's wake-up).
    on_commit: Mutex<Option<CommitListener>>,
}

/// Something to call after every committed action.
pub type CommitListener = Arc<dyn Fn() + Send + Sync>;

const DB_FILE: &str = "nexus-terminal.db";
/// The installation id, beside the database: it names the keyring entries,
/// the database key among them, so it cannot live inside the encrypted file.
const INSTALLATION_FILE: &str = "nexus-terminal.installation";

/// The installation id of the data directory: from its file, else from the
/// settings of a plaintext database of an older version, else a new one.
/// Written to its file (owner-only) before any secret is made under it.
fn installation_id(data_dir: &Path, db: &Path) -> Result<Uuid> {
    let file = data_dir.join(INSTALLATION_FILE);
    if let Ok(text) = std::fs::read_to_string(&file) {
        return store::uuid_of(text.trim()).map_err(Error::from);
    }
    let legacy = if store::is_plaintext(db)? {
        let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        settings_get(&conn, "installation_id").ok().flatten().map(|id| store::uuid_of(&id)).transpose()?
    } else if db.metadata().is_ok_and(|m| m.len() > 0) {
        // An encrypted database whose id is lost: its key cannot be found.
        return Err(Error::DatabaseKeyMissing);
    } else {
        None
    };
    let id = legacy.unwrap_or_else(Uuid::now_v7);
    store::private_file(&file)?;
    std::fs::write(&file, id.to_string()).map_err(|e| Error::Internal(format!("{}: {e}", file.display())))?;
    Ok(id)
}

/// The key of the database at `db`: the stored one, or a new one (saved
/// first) when there is no data yet. Data without its key is an error.
fn database_key(secret_store: &SecretStore, db: &Path) -> Result<secrets::DatabaseKey> {
    match secret_store.load_database_key() {
        Err(Error::DatabaseKeyMissing)
            if store::is_plaintext(db)? || !db.metadata().is_ok_and(|m| m.len() > 0) =>
        {
            let key = secrets::DatabaseKey::generate()?;
            secret_store.save_database_key(&key)?;
            Ok(key)
        }
        other => other,
    }
}

/// Opens the database of `data_dir` with its key, outside the engine: for
/// tools and tests that look behind it.
pub fn open_database(data_dir: &Path, keyring_service: &str) -> Result<rusqlite::Connection> {
    let db = data_dir.join(DB_FILE);
    let id =
        std::fs::read_to_string(data_dir.join(INSTALLATION_FILE)).map_err(|_| Error::DatabaseKeyMissing)?;
    let key = SecretStore::new(keyring_service, store::uuid_of(id.trim())?).load_database_key()?;
    store::open_connection(&db, &key, rusqlite::OpenFlags::default())
}

impl Terminal {
    /// Opens the terminal whose data lives in `data_dir`, creating the
    /// database on first use. A set-up terminal loads its secrets from the
    /// OS secret store; a missing store or missing secrets is an error.
    pub fn open(data_dir: &Path, options: Options) -> Result<Terminal> {
        let db = data_dir.join(DB_FILE);
        store::private_dir(data_dir)?;
        let installation = installation_id(data_dir, &db)?;
        let secret_store = SecretStore::new(&options.keyring_service, installation);
        let key = database_key(&secret_store, &db)?;
        let store = Store::open(&db, options.durability, &key)?;
        drop(key);
        store.write(|tx| match settings_get(tx, "installation_id")? {
            Some(id) if store::uuid_of(&id)? == installation => Ok(()),
            Some(_) => Err(Error::Internal("the installation file does not match the database".into())),
            None => store::settings_set(tx, "installation_id", &installation.to_string()),
        })?;
        let auto_lock = store.read(|c| settings_get(c, "auto_lock_secs"))?;
        let terminal = Terminal {
            store,
            options,
            secret_store,
            device: RwLock::new(None),
            active: Mutex::new(None),
            auto_lock_secs: AtomicI64::new(
                auto_lock.and_then(|v| v.parse().ok()).unwrap_or(access::DEFAULT_AUTO_LOCK_SECS),
            ),
            link: Mutex::new(replica::Link::default()),
            on_commit: Mutex::new(None),
        };
        terminal.load_device()?;
        Ok(terminal)
    }

    /// The database file.
    pub fn database_path(data_dir: &Path) -> PathBuf {
        data_dir.join(DB_FILE)
    }

    fn load_device(&self) -> Result<()> {
        let stored = self.store.read(|c| {
            Ok((
                settings_get(c, "tenant_id")?,
                settings_get(c, "store_name")?,
                settings_get(c, "branch_id")?,
                settings_get(c, "central_url")?,
                settings_get(c, "central_insecure")?.is_some_and(|v| v == "1"),
            ))
        })?;
        let (Some(tenant_id), Some(store_name), Some(branch_id), central_url, insecure) = stored else {
            return Ok(());
        };
        let secrets = self.secret_store.load()?;
        let central = match (central_url, secrets.credential) {
            (Some(url), Some(credential)) => Some(CentralLink { url, insecure, credential }),
            _ => None,
        };
        let device = Device {
            device_id: secrets.device_id,
            tenant_id: store::uuid_of(&tenant_id)?,
            store_name,
            branch_id: BranchId(store::uuid_of(&branch_id)?),
            pin_key: secrets.pin_key,
            central,
        };
        *self.device.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(device));
        Ok(())
    }

    /// The terminal's identity, once it is set up.
    pub fn device(&self) -> Result<Arc<Device>> {
        self.device.read().unwrap_or_else(|p| p.into_inner()).clone().ok_or(Error::NotSetUp)
    }

    pub fn is_set_up(&self) -> bool {
        self.device().is_ok()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.options.clock.now()
    }

    /// Removes this terminal's secrets from the OS store. The database stays.
    pub fn forget_secrets(&self) -> Result<()> {
        self.secret_store.forget()
    }

    fn active(&self) -> MutexGuard<'_, Option<Active>> {
        self.active.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs an action for the employee at the counter, in one transaction.
    pub(crate) fn act<T>(&self, f: impl FnOnce(&Transaction<'_>, &Ctx<'_>) -> Result<T>) -> Result<T> {
        let device = self.device()?;
        let employee_id = self.awake_employee()?;
        let now = self.now();
        let result = self.store.write(|tx| {
            let actor = load_actor(tx, employee_id)?.ok_or(Error::NotLoggedIn)?;
            f(tx, &Ctx { actor, device: &device, now })
        });
        match &result {
            Ok(_) => self.committed(),
            // The employee was deactivated meanwhile: nobody is at the counter.
            Err(Error::NotLoggedIn) => *self.active() = None,
            Err(_) => {}
        }
        result
    }

    /// Calls `listener` after every committed action from now on.
    pub fn set_commit_listener(&self, listener: CommitListener) {
        *self.on_commit.lock().unwrap_or_else(|p| p.into_inner()) = Some(listener);
    }

    fn committed(&self) {
        let listener = self.on_commit.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(listener) = listener {
            listener();
        }
    }

    /// Reads as the employee at the counter.
    pub(crate) fn view<T>(&self, f: impl FnOnce(&rusqlite::Connection, &Ctx<'_>) -> Result<T>) -> Result<T> {
        let device = self.device()?;
        let employee_id = self.awake_employee()?;
        let now = self.now();
        self.store.read(|conn| {
            let actor = load_actor(conn, employee_id)?.ok_or(Error::NotLoggedIn)?;
            f(conn, &Ctx { actor, device: &device, now })
        })
    }
}

/// Loads an active employee with their current permissions.
pub(crate) fn load_actor(conn: &rusqlite::Connection, id: EmployeeId) -> Result<Option<Actor>> {
    let row = conn
        .prepare_cached("SELECT name, role, max_discount_pct FROM employees WHERE id = ?1 AND is_active = 1")?
        .query_row([id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
        })
        .optional()?;
    let Some((name, role, max_discount)) = row else { return Ok(None) };
    let role: Role = role.parse().map_err(nexus_domain::DomainError::from)?;
    let permissions = load_permissions(conn, id)?;
    let max_discount =
        Percent::from_hundredths(u16::try_from(max_discount).unwrap_or(0)).unwrap_or(Percent::ZERO);
    Ok(Some(Actor { id, name, grants: Grants { role, permissions }, max_discount }))
}

pub(crate) fn load_permissions(conn: &rusqlite::Connection, id: EmployeeId) -> Result<PermissionSet> {
    let mut stmt =
        conn.prepare_cached("SELECT permission FROM employee_permissions WHERE employee_id = ?1")?;
    let codes: Vec<String> =
        stmt.query_map([id.to_string()], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(PermissionSet::from_codes(codes).map_err(nexus_domain::DomainError::from)?)
}
