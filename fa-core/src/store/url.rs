//! Opening a store from a URL, the way configuration files and the bindings name one.

use std::sync::Arc;

use crate::{Clock, DynStore, Error, Result};

/// Opens (and migrates) the store a URL names: `sqlite:PATH`, `sqlite::memory:` or
/// `postgres://USER@HOST/DB`. With `schema`, fa's tables live in that PostgreSQL schema,
/// created if missing. `clock` is the store's clock (a [`crate::ManualClock`] in tests).
///
/// A URL this build cannot open (an unknown scheme, `postgres://` without the `postgres`
/// feature) is refused with [`Error::InvalidInput`] naming `url`; the message repeats only
/// the scheme, never the rest of a URL that may hold a password.
pub async fn open_url(
    url: &str,
    schema: Option<String>,
    clock: Arc<dyn Clock>,
) -> Result<DynStore> {
    let url = url.trim();
    let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
    if scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql") {
        #[cfg(feature = "postgres")]
        {
            let mut options = crate::PostgresOptions::new(crate::Secret::new(url)).clock(clock);
            if let Some(schema) = schema {
                options = options.schema(schema);
            }
            return Ok(Arc::new(crate::PostgresStore::connect_with(options).await?));
        }
        #[cfg(not(feature = "postgres"))]
        return Err(Error::invalid(
            "url",
            "this build has no PostgreSQL support (feature `postgres`)",
        ));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| {
            Error::invalid(
                "url",
                format!(
                    "a store URL starting {scheme:?} is not one fa opens; use sqlite:PATH, sqlite::memory: or postgres://USER@HOST/DB"
                ),
            )
        })?;
    if schema.is_some() {
        return Err(Error::invalid(
            "schema",
            "a schema applies to PostgreSQL only",
        ));
    }
    open_sqlite(path, clock).await
}

#[cfg(feature = "sqlite")]
async fn open_sqlite(path: &str, clock: Arc<dyn Clock>) -> Result<DynStore> {
    let options = if path == ":memory:" {
        crate::SqliteOptions::memory()
    } else if path.is_empty() {
        return Err(Error::invalid(
            "url",
            "sqlite: needs a file path, e.g. sqlite:family.db",
        ));
    } else {
        crate::SqliteOptions::file(path)
    };
    Ok(Arc::new(
        crate::SqliteStore::open_with(options.clock(clock)).await?,
    ))
}

#[cfg(not(feature = "sqlite"))]
async fn open_sqlite(_path: &str, _clock: Arc<dyn Clock>) -> Result<DynStore> {
    Err(Error::invalid(
        "url",
        "this build has no SQLite support (feature `sqlite`)",
    ))
}
