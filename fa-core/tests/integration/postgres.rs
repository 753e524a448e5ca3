use std::sync::Arc;

use fa_core::vault::MasterKey;
use fa_core::*;
use sqlx::Connection;

/// The test server's URL, from `FA_TEST_POSTGRES_URL`. Without it these tests skip, unless
/// `FA_TEST_REQUIRE_POSTGRES` is set (as the test script does), in which case they fail.
pub(crate) fn server_url() -> Option<String> {
    match std::env::var("FA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("FA_TEST_REQUIRE_POSTGRES").is_some() => {
            panic!("FA_TEST_REQUIRE_POSTGRES is set but FA_TEST_POSTGRES_URL is not")
        }
        _ => None,
    }
}

/// A fresh schema per store, so tests run in parallel on one server without seeing each other.
pub(crate) fn fresh_schema() -> String {
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
    // Written in plain text on purpose, to show the scan below finds plain text where it is.
    let canary = "CanaryLabelInPlainText";
    store
        .create_integration(owner.scope(), NewIntegration::new("caldav", canary))
        .await
        .unwrap();
    // Invite codes are secrets too: only their hash is kept.
    let invite_code = "InviteCodeThatMustNeverBeStored";
    store
        .create_invite(
            home.id,
            owner.id,
            Role::Adult,
            invite_code,
            chrono::DateTime::<chrono::Utc>::MAX_UTC,
        )
        .await
        .unwrap();
    // Every row of every fa table as text, with bytea decoded byte for byte ('escape' keeps
    // printable ASCII as is), so a plaintext token anywhere would show.
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
    )
    .bind(&schema)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(tables.len() > 10, "{tables:?}");
    let mut dump = String::new();
    for table in tables {
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT row_to_json(t)::text FROM {schema}.{table} t"
        )))
        .fetch_all(&mut conn)
        .await
        .unwrap();
        dump.extend(rows);
    }
    let sealed: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT encode(sealed, 'escape') FROM {schema}.fa_credentials"
    )))
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(sealed.len(), 1);
    dump.extend(sealed);
    assert!(dump.contains(canary), "the scan found no plain text at all");
    assert!(!dump.contains("PlaintextGoogle"), "plaintext found: {dump}");
    assert!(!dump.contains(invite_code), "invite code found: {dump}");
}

#[tokio::test]
async fn the_url_password_never_shows() {
    let Some(url) = server_url() else { return };
    // The test server trusts loopback, so any password connects; it must not leak anywhere.
    let with_password = url.replacen("postgres://postgres@", "postgres://postgres:hunter2-pw@", 1);
    assert_ne!(
        with_password, url,
        "test URL has an unexpected shape: {url}"
    );
    let store =
        PostgresStore::connect_with(PostgresOptions::new(with_password).schema(fresh_schema()))
            .await
            .unwrap();
    let status = store.status().await.unwrap();
    assert!(status.location.contains("127.0.0.1"), "{status:?}");
    for shown in [format!("{status:?}"), format!("{store:?}")] {
        assert!(!shown.contains("hunter2"), "{shown}");
    }
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
