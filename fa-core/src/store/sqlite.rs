//! [`SqliteStore`]: the embedded default. One file, WAL journal, foreign keys on.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::sql::migrate::{Migration, impl_migrate};
use super::sql::{SqlBackend, impl_sql_store};
use crate::{Clock, Error, Result, SystemClock};

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "initial schema",
        sql: include_str!("../../migrations/sqlite/0001_initial.sql"),
    },
    Migration {
        version: 2,
        description: "scheduler: jobs, occurrences, claimable outbox",
        sql: include_str!("../../migrations/sqlite/0002_scheduler.sql"),
    },
    Migration {
        version: 3,
        description: "assistant: profiles, pending actions, tool preferences, summaries",
        sql: include_str!("../../migrations/sqlite/0003_assistant.sql"),
    },
    Migration {
        version: 4,
        description: "access: invite codes, unreachable channel identities",
        sql: include_str!("../../migrations/sqlite/0004_access.sql"),
    },
    Migration {
        version: 5,
        description: "routing: route rules, failed inbound events, digest lines",
        sql: include_str!("../../migrations/sqlite/0005_routing.sql"),
    },
    Migration {
        version: 6,
        description: "inbox: channel deliveries journaled before they are acknowledged",
        sql: include_str!("../../migrations/sqlite/0006_inbox.sql"),
    },
];

/// Where a SQLite store keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SqliteLocation {
    /// A database file, created (with its directory) if missing.
    File(PathBuf),
    /// A private in-memory database that lives as long as the store (for tests and trials).
    Memory,
}

/// How hard SQLite works to keep the last commits across a power cut (see the SQLite
/// documentation of `PRAGMA synchronous`). Either way a crashed *process* loses nothing committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SqliteSync {
    /// `FULL`: every commit is on disk before it returns. The default.
    #[default]
    Full,
    /// `NORMAL`: in WAL mode, the newest commits may be lost on power loss or an OS crash, never
    /// the database. Faster on slow disks.
    Normal,
}

/// Options for [`SqliteStore::open_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// File or memory.
    pub location: SqliteLocation,
    /// How long a write waits for another writer's lock before failing with
    /// [`Error::Busy`]. Default 5 s.
    pub busy_timeout: Duration,
    /// Durability of the last commits on power loss. Default [`SqliteSync::Full`].
    pub synchronous: SqliteSync,
    /// Pool size: readers run in parallel, writers one at a time. Default 4 (1 in memory).
    pub max_connections: u32,
    /// The clock stamping rows. Default: the system clock.
    pub clock: Arc<dyn Clock>,
}

impl SqliteOptions {
    /// A database file at `path`.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self {
            location: SqliteLocation::File(path.into()),
            busy_timeout: Duration::from_secs(5),
            synchronous: SqliteSync::default(),
            max_connections: 4,
            clock: Arc::new(SystemClock),
        }
    }

    /// A private in-memory database.
    pub fn memory() -> Self {
        Self {
            location: SqliteLocation::Memory,
            max_connections: 1,
            ..Self::file(PathBuf::new())
        }
    }

    /// Sets the busy timeout.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Sets the durability level.
    pub fn synchronous(mut self, synchronous: SqliteSync) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// Sets the pool size (ignored in memory, which uses one connection).
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// Sets the clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// The SQLite [`Store`](crate::Store): one file, no server. Good for a household on one machine.
///
/// ```no_run
/// # async fn run() -> fa_core::Result<()> {
/// use std::sync::Arc;
/// use fa_core::{HouseholdStore, NewMember, Role, SqliteStore, Store};
///
/// let store: Arc<dyn Store> = Arc::new(SqliteStore::open("family.db").await?);
/// let home = store.create_household("Home").await?;
/// let me = store
///     .add_member(home.id, NewMember::new("Alex", Role::Owner).with_timezone("Europe/Berlin"))
///     .await?;
/// println!("{} joined {}", me.display_name, home.name);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    clock: Arc<dyn Clock>,
    location: String,
    path: Option<PathBuf>,
    busy_timeout: Duration,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (or creates) the database file at `path` with default options and brings its schema
    /// up to date.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(SqliteOptions::file(path.as_ref())).await
    }

    /// A fresh in-memory database.
    pub async fn in_memory() -> Result<Self> {
        Self::open_with(SqliteOptions::memory()).await
    }

    /// Opens a database with explicit options.
    ///
    /// Fails with [`Error::NotADatabase`] for a file that is not SQLite, [`Error::SchemaTooNew`]
    /// for a database written by a newer fa, and [`Error::Busy`] if another process holds the
    /// write lock past the busy timeout. None of these change the file.
    pub async fn open_with(options: SqliteOptions) -> Result<Self> {
        let synchronous = match options.synchronous {
            SqliteSync::Full => SqliteSynchronous::Full,
            SqliteSync::Normal => SqliteSynchronous::Normal,
        };
        let base = SqliteConnectOptions::new()
            .foreign_keys(true)
            .busy_timeout(options.busy_timeout)
            .synchronous(synchronous);
        let (connect, pool, location, path) = match &options.location {
            SqliteLocation::File(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                        context: format!("creating the directory {}", dir.display()),
                        source,
                    })?;
                }
                let connect = base
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal);
                let pool = SqlitePoolOptions::new().max_connections(options.max_connections);
                (
                    connect,
                    pool,
                    path.display().to_string(),
                    Some(path.clone()),
                )
            }
            SqliteLocation::Memory => {
                let connect = SqliteConnectOptions::from_str("sqlite::memory:")
                    .map_err(Error::Database)?
                    .foreign_keys(true)
                    .busy_timeout(options.busy_timeout);
                // One connection that never closes: the database lives as long as the store.
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
                (connect, pool, ":memory:".to_owned(), None)
            }
        };
        let pool = pool
            .connect_with(connect)
            .await
            .map_err(|e| map_error(e, path.as_deref(), options.busy_timeout))?;
        let store = Self {
            pool,
            clock: options.clock,
            location,
            path,
            busy_timeout: options.busy_timeout,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Closes every connection; later calls fail with [`Error::Unavailable`].
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        // IMMEDIATE takes the write lock up front, so waiting for it honours the busy timeout
        // instead of failing on a read-to-write upgrade.
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| self.err(e))
    }
}

impl SqlBackend for SqliteStore {
    const ANONYMOUS_PARAMETERS: bool = true;
    type Db = sqlx::Sqlite;

    fn clock(&self) -> &dyn Clock {
        &*self.clock
    }

    fn err(&self, e: sqlx::Error) -> Error {
        map_error(e, self.path.as_deref(), self.busy_timeout)
    }
}

fn map_error(e: sqlx::Error, path: Option<&Path>, busy_timeout: Duration) -> Error {
    let primary = e
        .as_database_error()
        .and_then(|db| db.code())
        .and_then(|code| code.parse::<i32>().ok())
        .map(|code| code & 0xff);
    match (primary, &e) {
        // SQLITE_BUSY, SQLITE_LOCKED
        (Some(5 | 6), _) => Error::Busy {
            waited: busy_timeout,
            source: e,
        },
        // SQLITE_CORRUPT, SQLITE_NOTADB
        (Some(11 | 26), _) => Error::NotADatabase {
            path: path.map(Path::to_path_buf).unwrap_or_default(),
            source: e,
        },
        (_, sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)) => {
            Error::Unavailable { source: e }
        }
        _ => Error::Database(e),
    }
}

impl_migrate!(SqliteStore, MIGRATIONS, None);
impl_sql_store!(SqliteStore, "sqlite", "");
