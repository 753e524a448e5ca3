use std::sync::Arc;

use fa_core::vault::MasterKey;
use fa_core::*;
use sqlx::Connection;

/// The test server's URL, from `FA_TEST_POSTGRES_URL`. Without it these tests skip, unless
/// `FA_TEST_REQUIRE_POSTGRES` is set (as the test script does), in which case they fail.
fn server_url() -> Option<String> {
    match std::env::var("FA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("FA_TEST_REQUIRE_POSTGRES").is_some() => {
            panic!("FA_TEST_REQUIRE_POSTGRES is set but FA_TEST_POSTGRES_URL is not")
        }
        _ => None,
    }
}

/// A fresh schema per store, so tests run in parallel on one server without seeing each other.
fn fresh_schema() -> String {
    format!("fa_test_{}", uuid::Uuid::now_v7().simple())
}

mod conformance {
    use super::*;

    async fn make_store(clock: Arc<dyn Clock>) -> Option<DynStore> {
        let url = server_url()?;
        let options = PostgresOptions::new(url)
            .schema(fresh_schema())
            .max_connections(4)
            .clock(clock);
        Some(Arc::new(
            PostgresStore::connect_with(options).await.unwrap(),
        ))
    }

    fa_core::store_conformance_tests!();
}

#[tokio::test]
async fn a_database_from_a_newer_fa_is_refused() {
    let Some(url) = server_url() else { return };
    let schema = fresh_schema();
    let store = PostgresStore::connect_with(PostgresOptions::new(url.clone()).schema(&schema))
        .await
        .unwrap();
    let home = store.create_household("Home").await.unwrap();
    store.close().await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "INSERT INTO {schema}.fa_schema_migrations VALUES (99, 'future', 'x', 0)"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    let err = PostgresStore::connect_with(PostgresOptions::new(url.clone()).schema(&schema))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::SchemaTooNew { found: 99, .. }),
        "{err:?}"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DELETE FROM {schema}.fa_schema_migrations WHERE version = 99"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    let store = PostgresStore::connect_with(PostgresOptions::new(url).schema(&schema))
        .await
        .unwrap();
    assert_eq!(store.household(home.id).await.unwrap().unwrap(), home);
}

#[tokio::test]
async fn instances_starting_together_migrate_once() {
    let Some(url) = server_url() else { return };
    let schema = fresh_schema();
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let options = PostgresOptions::new(url.clone())
                .schema(&schema)
                .max_connections(2);
            tokio::spawn(PostgresStore::connect_with(options))
        })
        .collect();
    let mut stores = Vec::new();
    for start in starts {
        stores.push(start.await.unwrap().unwrap());
    }
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {schema}.fa_schema_migrations"
    )))
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(rows, SCHEMA_VERSION);
    let home = stores[0].create_household("Home").await.unwrap();
    assert_eq!(stores[3].household(home.id).await.unwrap().unwrap(), home);
}

#[tokio::test]
async fn credential_plaintext_never_reaches_the_table() {
    let Some(url) = server_url() else { return };
    let schema = fresh_schema();
    let store = PostgresStore::connect_with(PostgresOptions::new(url.clone()).schema(&schema))
        .await
        .unwrap();
    let home = store.create_household("Home").await.unwrap();
    let owner = store
        .add_member(home.id, NewMember::new("Alex", Role::Owner))
        .await
        .unwrap();
    let cal = store
        .create_integration(
            owner.scope(),
            NewIntegration::new("google_calendar", "Family"),
        )
        .await
        .unwrap();
    let plaintext = "1//0gPlaintextGoogleRefreshToken";
    Vault::new(MasterKey::from_bytes([8; 32]))
        .store_credential(&store, owner.scope(), cal.id, &Secret::new(plaintext))
        .await
        .unwrap();
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let dump: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT row_to_json(c)::text FROM {schema}.fa_credentials c"
    )))
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(dump.len(), 1);
    let sealed: Vec<u8> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT sealed FROM {schema}.fa_credentials"
    )))
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(!dump[0].contains("PlaintextGoogle"), "{}", dump[0]);
    assert!(!sealed.windows(15).any(|w| w == b"PlaintextGoogle"));
}

#[tokio::test]
async fn an_unreachable_server_is_reported_as_unavailable() {
    // Port 1 on loopback: nothing listens there.
    let err = PostgresStore::connect_with(
        PostgresOptions::new("postgres://fa:secret-pw@127.0.0.1:1/fa")
            .acquire_timeout(std::time::Duration::from_millis(500)),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err:?}");
    assert!(!format!("{err:?}").contains("secret-pw"));
    let err = PostgresStore::connect("not a url").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn a_missing_database_is_reported_against_the_url() {
    let Some(url) = server_url() else { return };
    let (server, _) = url.rsplit_once('/').unwrap();
    let err = PostgresStore::connect(&format!("{server}/no_such_database"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err:?}");
    assert!(err.to_string().contains("does not exist"), "{err}");
}
