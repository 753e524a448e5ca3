#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod peers {
    //! Where the local test peers are, as `scripts/test` announces them.

    use std::sync::Arc;

    use fa_core::{DynStore, PostgresOptions, PostgresStore, Result, SqliteStore};

    /// The PostgreSQL server for tests, from `FA_TEST_POSTGRES_URL`; `None` skips PostgreSQL
    /// cases, unless `FA_TEST_REQUIRE_POSTGRES` is set, which makes a missing URL an error.
    pub fn postgres_url() -> Result<Option<String>> {
        match std::env::var("FA_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Ok(Some(url)),
            _ if std::env::var_os("FA_TEST_REQUIRE_POSTGRES").is_some() => {
                Err(fa_core::Error::InvalidInput {
                    field: "FA_TEST_POSTGRES_URL",
                    reason: "FA_TEST_REQUIRE_POSTGRES is set but FA_TEST_POSTGRES_URL is not"
                        .to_owned(),
                })
            }
            _ => Ok(None),
        }
    }

    /// A fresh store on every backend available here: a SQLite file in `dir`, and a new schema on
    /// the test PostgreSQL server when there is one. Each comes with its backend's name.
    pub async fn every_backend(dir: &std::path::Path) -> Result<Vec<(&'static str, DynStore)>> {
        let mut stores: Vec<(&'static str, DynStore)> = vec![(
            "sqlite",
            Arc::new(SqliteStore::open(dir.join("fa.db")).await?),
        )];
        if let Some(url) = postgres_url()? {
            let schema = format!("fa_e2e_{}", uuid::Uuid::now_v7().simple());
            let store =
                PostgresStore::connect_with(PostgresOptions::new(url).schema(schema)).await?;
            stores.push(("postgres", Arc::new(store)));
        }
        Ok(stores)
    }
}

/// The workspace README's examples, compiled as doc tests so they stay true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeExamples;
