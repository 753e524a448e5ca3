use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use fa_core::vault::MasterKey;
use fa_core::*;
use sqlx::Connection;

mod conformance {
    use super::*;

    async fn make_store(clock: Arc<dyn Clock>) -> Option<DynStore> {
        // A real file (WAL and all), in a directory that lives as long as the test process.
        let dir = tempfile::tempdir().unwrap().keep();
        let store = SqliteStore::open_with(SqliteOptions::file(dir.join("fa.db")).clock(clock))
            .await
            .unwrap();
        Some(Arc::new(store))
    }

    fa_core::store_conformance_tests!();
}

mod conformance_in_memory {
    use super::*;

    async fn make_store(clock: Arc<dyn Clock>) -> Option<DynStore> {
        let store = SqliteStore::open_with(SqliteOptions::memory().clock(clock))
            .await
            .unwrap();
        Some(Arc::new(store))
    }

    fa_core::store_conformance_tests!();
}

fn read_all(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn credential_plaintext_never_reaches_the_database_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("fa.db")).await.unwrap();
    let home = store.create_household("Home").await.unwrap();
    let owner = store
        .add_member(home.id, NewMember::new("Alex", Role::Owner))
        .await
        .unwrap();
    let amazon = store
        .create_integration(owner.scope(), NewIntegration::new("amazon_sp_api", "Shop"))
        .await
        .unwrap();
    let plaintext = "Atzr|IwEBIPlaintextRefreshTokenThatMustNeverBeStored";
    let vault = Vault::new(MasterKey::from_bytes([42; 32]));
    vault
        .store_credential(&store, owner.scope(), amazon.id, &Secret::new(plaintext))
        .await
        .unwrap();
    // The label written the same way shows the scan would find plain text if it were there.
    let canary = "CanaryLabelWrittenInPlainText";
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

    for phase in ["before checkpoint", "after checkpoint"] {
        let bytes = read_all(dir.path());
        assert!(
            contains(&bytes, canary.as_bytes()),
            "{phase}: scan found no plain text at all"
        );
        assert!(
            !contains(&bytes, plaintext.as_bytes()),
            "{phase}: plaintext found on disk"
        );
        assert!(
            !contains(&bytes, b"PlaintextRefreshToken"),
            "{phase}: fragment found on disk"
        );
        assert!(
            !contains(&bytes, invite_code.as_bytes()),
            "{phase}: invite code found on disk"
        );
        // Move the WAL into the main file and scan again.
        let mut conn = sqlx::SqliteConnection::connect(&format!(
            "sqlite://{}",
            dir.path().join("fa.db").display()
        ))
        .await
        .unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    let loaded = vault
        .load_credential(&store, owner.scope(), amazon.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(loaded.expose(), plaintext);
}

#[tokio::test]
async fn a_garbage_file_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 13) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let err = SqliteStore::open(&path).await.unwrap_err();
    assert!(matches!(err, Error::NotADatabase { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Incompatible);
    let msg = err.to_string();
    assert!(
        msg.contains("notes.txt") && msg.contains("not a usable fa database"),
        "{msg}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "the file was modified"
    );
}

#[tokio::test]
async fn a_database_from_a_newer_fa_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fa.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let home = store.create_household("Home").await.unwrap();
    store.close().await;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO fa_schema_migrations (version, description, checksum, applied_at) \
         VALUES (99, 'from the future', 'x', 0)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    let err = SqliteStore::open(&path).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::SchemaTooNew {
                found: 99,
                supported: SCHEMA_VERSION
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("upgrade fa"), "{err}");

    // Nothing was lost or changed: remove the future row and the household is still there.
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("DELETE FROM fa_schema_migrations WHERE version = 99")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.household(home.id).await.unwrap().unwrap(), home);
}

#[tokio::test]
async fn a_locked_database_fails_after_the_busy_timeout_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fa.db");
    let store =
        SqliteStore::open_with(SqliteOptions::file(&path).busy_timeout(Duration::from_millis(200)))
            .await
            .unwrap();
    let home = store.create_household("Home").await.unwrap();

    // Another process's writer, holding the lock.
    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();

    let err = store
        .add_member(home.id, NewMember::new("Alex", Role::Owner))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Busy { .. }), "{err:?}");
    assert!(err.is_retryable());
    let msg = err.to_string();
    assert!(msg.contains("locked") && msg.contains("200ms"), "{msg}");
    // Readers are not blocked by a writer in WAL mode.
    assert_eq!(store.household(home.id).await.unwrap().unwrap(), home);

    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    let alex = store
        .add_member(home.id, NewMember::new("Alex", Role::Owner))
        .await
        .unwrap();
    assert_eq!(store.members(home.id).await.unwrap(), vec![alex]);
}

#[tokio::test]
async fn the_file_is_in_wal_mode_and_reopens_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/fa.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let home = store.create_household("Home").await.unwrap();
    let status = store.status().await.unwrap();
    assert_eq!(status.backend, "sqlite");
    assert_eq!(status.location, path.display().to_string());
    store.close().await;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    conn.close().await.unwrap();
    let reopened = SqliteStore::open(&path).await.unwrap();
    assert_eq!(reopened.household_ids().await.unwrap(), vec![home.id]);
}

#[tokio::test]
async fn fa_shares_a_database_with_a_host_application() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("host.db");
    let mut host =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", path.display()))
            .await
            .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE members (id INTEGER PRIMARY KEY, name TEXT); \
         CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY); \
         INSERT INTO members (name) VALUES ('host row');",
    )
    .execute(&mut host)
    .await
    .unwrap();
    let store = SqliteStore::open(&path).await.unwrap();
    store.create_household("Home").await.unwrap();
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM members")
        .fetch_all(&mut host)
        .await
        .unwrap();
    assert_eq!(names, ["host row"]);
    let fa_versions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM fa_schema_migrations")
        .fetch_one(&mut host)
        .await
        .unwrap();
    assert_eq!(fa_versions, SCHEMA_VERSION);
}
