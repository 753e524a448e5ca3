//! The one error type of `fa-core`.

use std::path::PathBuf;
use std::time::Duration;

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `fa-core`.
///
/// Branch on [`Error::kind`] rather than on variants when deciding what to do (retry, tell the
/// user, give up); the variants carry the details for messages and logs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value passed in is not acceptable; `field` names it.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The field or argument at fault, e.g. `"timezone"`.
        field: &'static str,
        /// What is wrong with it and, where possible, what would be accepted.
        reason: String,
    },

    /// The addressed row does not exist in this household (or for this member).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `"member"`.
        what: &'static str,
    },

    /// The write collides with an existing row.
    #[error("{what} already exists: {detail}")]
    Conflict {
        /// What collided, e.g. `"channel identity"`.
        what: &'static str,
        /// Which value collided.
        detail: String,
    },

    /// The file is not a SQLite database, or it is damaged.
    #[error(
        "{} is not a usable fa database (not SQLite, or corrupt); move it away or point the store at another path",
        path.display()
    )]
    NotADatabase {
        /// The file that was opened.
        path: PathBuf,
        /// What the database driver reported.
        #[source]
        source: sqlx::Error,
    },

    /// The database was last written by a newer fa, whose schema this build does not know.
    #[error(
        "the database has schema version {found}, newer than the {supported} this fa {version} knows; \
         upgrade fa (nothing was changed)",
        version = env!("CARGO_PKG_VERSION")
    )]
    SchemaTooNew {
        /// Highest migration version recorded in the database.
        found: i64,
        /// Highest migration version this build ships.
        supported: i64,
    },

    /// A migration recorded as applied differs from the one this build ships.
    #[error(
        "migration {version} recorded in the database differs from the one in this build \
         (checksum mismatch); the database was changed by hand or by a different build of fa"
    )]
    MigrationMismatch {
        /// The migration version whose checksum differs.
        version: i64,
    },

    /// The database stayed locked by another writer for longer than the configured busy timeout.
    #[error(
        "the database is locked by another writer and stayed locked for {waited:?}; \
         check for another fa process on the same file, or raise the busy timeout"
    )]
    Busy {
        /// How long the store waited for the lock.
        waited: Duration,
        /// What the database driver reported.
        #[source]
        source: sqlx::Error,
    },

    /// The database could not be reached (connection refused, pool exhausted, I/O error).
    #[error("the database is unavailable: {source}")]
    Unavailable {
        /// What the database driver reported.
        #[source]
        source: sqlx::Error,
    },

    /// The addressed row exists but is past the point where this change applies (a pending
    /// action that was already answered or has expired).
    #[error("{what} {reason}")]
    WrongState {
        /// What was addressed, e.g. `"pending action"`.
        what: &'static str,
        /// Where it stands and what to do instead.
        reason: String,
    },

    /// A row read back from the database does not form a valid value.
    #[error("stored {what} is unreadable: {detail}")]
    CorruptRow {
        /// Which kind of row, e.g. `"member"`.
        what: &'static str,
        /// What was wrong with it.
        detail: String,
    },

    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),

    /// No master key was configured.
    #[error(
        "no master key: set FA_MASTER_KEY to 32 random bytes in base64 \
         (e.g. `head -c 32 /dev/urandom | base64`), or FA_MASTER_KEY_FILE to a file holding that text"
    )]
    MasterKeyMissing,

    /// A master key was configured but is not usable.
    #[error("the master key from {origin} is unusable: {reason}")]
    MasterKeyInvalid {
        /// Where the key came from, e.g. `"FA_MASTER_KEY"` or a file path.
        origin: String,
        /// What is wrong and what to set instead.
        reason: String,
    },

    /// A sealed credential names a master key this vault does not hold.
    #[error(
        "credential sealed with master key {key_id}, which this vault does not hold; \
         set FA_MASTER_KEY to that key, or list it in FA_MASTER_KEY_PREVIOUS (nothing was changed)"
    )]
    UnknownKey {
        /// The key id found in the sealed blob.
        key_id: String,
    },

    /// A sealed credential failed authentication: tampered, truncated, or sealed for another member
    /// or integration.
    #[error("credential cannot be decrypted: {reason} (nothing was changed)")]
    Decrypt {
        /// Why decryption was refused.
        reason: &'static str,
    },

    /// Sealing a credential failed (key derivation or encryption refused its input).
    #[error("credential cannot be sealed: {reason} (nothing was stored)")]
    Encrypt {
        /// Why sealing failed.
        reason: &'static str,
    },

    /// The operating system could not provide random bytes or file access.
    #[error("{context}: {source}")]
    Io {
        /// What fa was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// The coarse class of an [`Error`]: what a caller should do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Fix the input and try again.
    InvalidInput,
    /// The thing does not exist (in this scope).
    NotFound,
    /// It already exists.
    Conflict,
    /// Temporary: retrying later may succeed.
    Unavailable,
    /// The database belongs to another version of fa or is not an fa database; an operator must act.
    Incompatible,
    /// Stored data is damaged.
    Corrupt,
    /// A key or a sealed secret is wrong or missing; an operator must act.
    Crypto,
    /// Configuration is missing or malformed.
    Configuration,
    /// Anything else.
    Internal,
}

impl Error {
    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidInput { .. } => ErrorKind::InvalidInput,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Conflict { .. } | Error::WrongState { .. } => ErrorKind::Conflict,
            Error::Busy { .. } | Error::Unavailable { .. } => ErrorKind::Unavailable,
            Error::NotADatabase { .. }
            | Error::SchemaTooNew { .. }
            | Error::MigrationMismatch { .. } => ErrorKind::Incompatible,
            Error::CorruptRow { .. } => ErrorKind::Corrupt,
            Error::UnknownKey { .. } | Error::Decrypt { .. } | Error::Encrypt { .. } => {
                ErrorKind::Crypto
            }
            Error::MasterKeyMissing | Error::MasterKeyInvalid { .. } => ErrorKind::Configuration,
            Error::Database(_) | Error::Io { .. } => ErrorKind::Internal,
        }
    }

    /// Whether retrying the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        self.kind() == ErrorKind::Unavailable
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    pub(crate) fn corrupt(what: &'static str, detail: impl Into<String>) -> Self {
        Error::CorruptRow {
            what,
            detail: detail.into(),
        }
    }
}
