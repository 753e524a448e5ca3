//! [`PostgresStore`]: for several fa instances on one database.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::sql::migrate::{Migration, impl_migrate};
use super::sql::{SqlBackend, impl_sql_store};
use crate::{Clock, Error, Result, Secret, SystemClock};

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "initial schema",
        sql: include_str!("../../migrations/postgres/0001_initial.sql"),
    },
    Migration {
        version: 2,
        description: "scheduler: jobs, occurrences, claimable outbox",
        sql: include_str!("../../migrations/postgres/0002_scheduler.sql"),
    },
    Migration {
        version: 3,
        description: "assistant: profiles, pending actions, tool preferences, summaries",
        sql: include_str!("../../migrations/postgres/0003_assistant.sql"),
    },
    Migration {
        version: 4,
        description: "access: invite codes, unreachable channel identities",
        sql: include_str!("../../migrations/postgres/0004_access.sql"),
    },
    Migration {
        version: 5,
        description: "routing: route rules, failed inbound events, digest lines",
        sql: include_str!("../../migrations/postgres/0005_routing.sql"),
    },
    Migration {
        version: 6,
        description: "inbox: channel deliveries journaled before they are acknowledged",
        sql: include_str!("../../migrations/postgres/0006_inbox.sql"),
    },
];

/// Taken for the length of a migration so that instances starting together migrate once.
/// The bytes of "fa_migrt" as a big-endian integer.
const MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock(7377282588134044276)";

/// Options for [`PostgresStore::connect_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PostgresOptions {
    /// A `postgres://` URL. It may hold a password, so it is kept as a [`Secret`].
    pub url: Secret,
    /// A schema to keep fa's tables in (created if missing); default: the server's search path.
    pub schema: Option<String>,
    /// Pool size. Default 10.
    pub max_connections: u32,
    /// How long to wait for a free connection before [`Error::Unavailable`]. Default 10 s.
    pub acquire_timeout: Duration,
    /// The clock stamping rows. Default: the system clock.
    pub clock: Arc<dyn Clock>,
}

impl PostgresOptions {
    /// Options for the database at `url`.
    pub fn new(url: impl Into<Secret>) -> Self {
        Self {
            url: url.into(),
            schema: None,
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
            clock: Arc::new(SystemClock),
        }
    }

    /// Keeps fa's tables in `schema`.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// Sets the pool size.
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// Sets how long to wait for a connection.
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// Sets the clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// The PostgreSQL [`Store`](crate::Store). Several processes may share one database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    clock: Arc<dyn Clock>,
    location: String,
}

/// Shows where the store points, never the URL's credentials.
impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to `url` with default options and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(PostgresOptions::new(url)).await
    }

    /// Connects with explicit options and brings the schema up to date.
    pub async fn connect_with(options: PostgresOptions) -> Result<Self> {
        let mut connect: PgConnectOptions = options.url.expose().parse().map_err(|_| {
            Error::invalid(
                "postgres url",
                "is not a postgres:// URL (postgres://user:password@host:port/database)",
            )
        })?;
        if let Some(schema) = &options.schema {
            let valid = schema
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                && schema.len() <= 63
                && schema
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                return Err(Error::invalid(
                    "schema",
                    format!("{schema:?} must be lower-case letters, digits and _ (at most 63)"),
                ));
            }
            connect = connect.options([("search_path", schema.as_str())]);
        }
        let location = format!(
            "{}:{}/{}",
            connect.get_host(),
            connect.get_port(),
            connect.get_database().unwrap_or("")
        );
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await
            .map_err(connect_error)?;
        let store = Self {
            pool,
            clock: options.clock,
            location,
        };
        if let Some(schema) = &options.schema {
            store.create_schema(schema).await?;
        }
        store.migrate().await?;
        Ok(store)
    }

    /// Creates `schema` under the migration lock: concurrent `CREATE SCHEMA IF NOT EXISTS` can
    /// otherwise fail with a duplicate-key error.
    async fn create_schema(&self, schema: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.err(e))?;
        // The name was checked in `connect_with` to be a plain lower-case identifier.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
        )))
        .execute(&mut *tx)
        .await
        .map_err(|e| self.err(e))?;
        tx.commit().await.map_err(|e| self.err(e))
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.pool.begin().await.map_err(|e| self.err(e))
    }
}

impl SqlBackend for PostgresStore {
    const ANONYMOUS_PARAMETERS: bool = false;
    type Db = sqlx::Postgres;

    fn clock(&self) -> &dyn Clock {
        &*self.clock
    }

    fn err(&self, e: sqlx::Error) -> Error {
        let class = e
            .as_database_error()
            .and_then(|db| db.code())
            .map(|code| code.chars().take(2).collect::<String>());
        match (class.as_deref(), &e) {
            // 08: connection exception; 53: insufficient resources; 57: operator intervention.
            (Some("08" | "53" | "57"), _)
            | (_, sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)) => {
                Error::Unavailable { source: e }
            }
            _ => Error::Database(e),
        }
    }
}

/// Errors while connecting: a refused login or a missing database is the URL's fault and says so;
/// anything else is the server being unreachable.
fn connect_error(e: sqlx::Error) -> Error {
    let refused = e.as_database_error().and_then(|db| {
        let code = db.code()?;
        let hint = match &code[..2] {
            "28" => "the server refused the user or password in the postgres URL",
            "3D" => "the database named in the postgres URL does not exist",
            _ => return None,
        };
        Some(format!("{hint} ({})", db.message()))
    });
    match refused {
        Some(reason) => Error::invalid("postgres url", reason),
        None => Error::Unavailable { source: e },
    }
}

impl_migrate!(PostgresStore, MIGRATIONS, Some(MIGRATION_LOCK));
impl_sql_store!(PostgresStore, "postgres", "FOR UPDATE SKIP LOCKED");
