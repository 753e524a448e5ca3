//! fa's own migration runner. fa records applied migrations in its own table,
//! `fa_schema_migrations`, so it can share a database with a host application (all fa tables
//! start with `fa_`). Each backend has its own folder of migrations with the same version numbers.
//! On open, the store applies what is missing in one transaction, and refuses a database that
//! records a migration it does not know (written by a newer fa) or one whose text changed.

use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// One migration, embedded in the binary.
#[derive(Debug)]
pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) description: &'static str,
    pub(crate) sql: &'static str,
}

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: i64 = 6;

/// Created before anything else; identical on both backends.
pub(crate) const TRACKING_TABLE: &str = "CREATE TABLE IF NOT EXISTS fa_schema_migrations (\
     version BIGINT NOT NULL PRIMARY KEY, \
     description TEXT NOT NULL, \
     checksum TEXT NOT NULL, \
     applied_at BIGINT NOT NULL)";

/// SHA-256 of the migration text, with line endings normalised so a checkout with CRLF line
/// endings has the same checksum.
pub(crate) fn checksum(sql: &str) -> String {
    let mut hasher = Sha256::new();
    for chunk in sql.split('\r') {
        hasher.update(chunk.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The migrations still to apply, given those recorded as applied; or why the database must not
/// be touched.
pub(crate) fn pending<'a>(
    known: &'a [Migration],
    applied: &[(i64, String)],
) -> Result<Vec<&'a Migration>> {
    let supported = known.iter().map(|m| m.version).max().unwrap_or(0);
    if let Some(found) = applied
        .iter()
        .map(|(v, _)| *v)
        .filter(|v| *v > supported)
        .max()
    {
        return Err(Error::SchemaTooNew { found, supported });
    }
    let mut todo = Vec::new();
    for migration in known {
        match applied.iter().find(|(v, _)| *v == migration.version) {
            Some((_, sum)) if *sum != checksum(migration.sql) => {
                return Err(Error::MigrationMismatch {
                    version: migration.version,
                });
            }
            Some(_) => {}
            None => todo.push(migration),
        }
    }
    Ok(todo)
}

/// Expands `async fn migrate(&self) -> Result<i64>` for a store: lock, read what was applied,
/// apply what is missing, record it, commit. `$lock` is an extra statement run first inside the
/// transaction (Postgres takes an advisory lock so concurrent starts apply migrations once).
macro_rules! impl_migrate {
    ($store:ty, $migrations:expr, $lock:expr) => {
        impl $store {
            async fn migrate(&self) -> $crate::Result<i64> {
                use $crate::store::sql::migrate::{TRACKING_TABLE, checksum, pending};
                let mut tx = self.begin_write().await?;
                let lock: Option<&'static str> = $lock;
                if let Some(lock) = lock {
                    sqlx::query(lock).execute(&mut *tx).await.map_err(|e| self.err(e))?;
                }
                sqlx::raw_sql(TRACKING_TABLE)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| self.err(e))?;
                let applied: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT version, checksum FROM fa_schema_migrations ORDER BY version",
                )
                .fetch_all(&mut *tx)
                .await
                .map_err(|e| self.err(e))?;
                let todo = pending($migrations, &applied)?;
                for migration in &todo {
                    sqlx::raw_sql(migration.sql)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| self.err(e))?;
                    sqlx::query(
                        "INSERT INTO fa_schema_migrations (version, description, checksum, applied_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(migration.version)
                    .bind(migration.description)
                    .bind(checksum(migration.sql))
                    .bind($crate::store::sql::micros(self.now()))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| self.err(e))?;
                    tracing::info!(
                        version = migration.version,
                        description = migration.description,
                        "applied fa migration"
                    );
                }
                tx.commit().await.map_err(|e| self.err(e))?;
                Ok(applied
                    .iter()
                    .map(|(v, _)| *v)
                    .chain(todo.iter().map(|m| m.version))
                    .max()
                    .unwrap_or(0))
            }
        }
    };
}

pub(crate) use impl_migrate;

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[Migration] = &[
        Migration {
            version: 1,
            description: "one",
            sql: "CREATE TABLE a (x INTEGER);",
        },
        Migration {
            version: 2,
            description: "two",
            sql: "CREATE TABLE b (x INTEGER);",
        },
    ];

    #[test]
    fn a_fresh_database_gets_everything() {
        let todo = pending(KNOWN, &[]).unwrap();
        assert_eq!(todo.iter().map(|m| m.version).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn applied_migrations_are_skipped() {
        let applied = [(1, checksum(KNOWN[0].sql))];
        let todo = pending(KNOWN, &applied).unwrap();
        assert_eq!(todo.iter().map(|m| m.version).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let applied = [(1, checksum(KNOWN[0].sql)), (3, "x".to_owned())];
        let err = pending(KNOWN, &applied).unwrap_err();
        assert!(
            matches!(
                err,
                Error::SchemaTooNew {
                    found: 3,
                    supported: 2
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("upgrade fa"), "{err}");
    }

    #[test]
    fn a_changed_migration_is_refused() {
        let applied = [(1, checksum("something else"))];
        let err = pending(KNOWN, &applied).unwrap_err();
        assert!(
            matches!(err, Error::MigrationMismatch { version: 1 }),
            "{err:?}"
        );
    }

    #[test]
    fn checksums_ignore_carriage_returns() {
        assert_eq!(checksum("a\r\nb\r\n"), checksum("a\nb\n"));
        assert_ne!(checksum("a\nb"), checksum("a\nc"));
    }
}
