//! [`MasterKey`]: the one key fa needs from the operator, and where it comes from.

use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::Secret;
use crate::{Error, MemberId, Result};

/// Environment variable holding the master key as base64.
pub const MASTER_KEY_ENV: &str = "FA_MASTER_KEY";
/// Environment variable naming a file that holds the master key as base64.
pub const MASTER_KEY_FILE_ENV: &str = "FA_MASTER_KEY_FILE";
/// Environment variable listing earlier master keys (base64, comma-separated) still needed to read
/// credentials sealed before a rotation.
pub const PREVIOUS_KEYS_ENV: &str = "FA_MASTER_KEY_PREVIOUS";

const KEY_LEN: usize = 32;
const HKDF_SALT: &[u8] = b"fa/vault/v1";

/// Identifies a master key without revealing it: the first 8 bytes of a domain-separated SHA-256
/// of the key.
/// Stored in every sealed blob so the right key is picked after a rotation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub(crate) [u8; 8]);

impl KeyId {
    /// The raw id bytes.
    pub const fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// A 32-byte master key. Per-member data keys are derived from it; it never encrypts anything
/// itself. Wiped from memory on drop; `Debug` shows only its [`KeyId`].
#[derive(Clone)]
pub struct MasterKey {
    bytes: Zeroizing<[u8; KEY_LEN]>,
    id: KeyId,
}

impl MasterKey {
    /// A key from raw bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        let bytes = Zeroizing::new(bytes);
        // A domain-separated SHA-256 fingerprint: names the key, reveals nothing usable.
        let digest = Sha256::new()
            .chain_update(b"fa/master-key-id/v1")
            .chain_update(bytes.as_ref())
            .finalize();
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        Self {
            bytes,
            id: KeyId(id),
        }
    }

    /// A fresh random key from the operating system.
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        fill_random(bytes.as_mut())?;
        Ok(Self::from_bytes(*bytes))
    }

    /// Parses base64 text (standard or URL-safe alphabet, surrounding whitespace ignored).
    /// `origin` names where the text came from, for the error message.
    pub fn from_base64(text: &str, origin: &str) -> Result<Self> {
        let text = text.trim();
        let invalid = |reason: String| Error::MasterKeyInvalid {
            origin: origin.to_owned(),
            reason,
        };
        if text.is_empty() {
            return Err(invalid(
                "it is empty; it must be 32 random bytes in base64 (44 characters), \
                 e.g. from `head -c 32 /dev/urandom | base64`"
                    .to_owned(),
            ));
        }
        let decoded = Zeroizing::new(
            STANDARD
                .decode(text)
                .or_else(|_| URL_SAFE.decode(text))
                .map_err(|e| {
                    invalid(format!(
                        "it is not valid base64 ({e}); it must be 32 random bytes in base64 \
                         (44 characters), e.g. from `head -c 32 /dev/urandom | base64`"
                    ))
                })?,
        );
        let bytes: [u8; KEY_LEN] = decoded.as_slice().try_into().map_err(|_| {
            invalid(format!(
                "it decodes to {} bytes but must be exactly {KEY_LEN} \
                 (base64 of 32 random bytes is 44 characters), e.g. from `head -c 32 /dev/urandom | base64`",
                decoded.len()
            ))
        })?;
        Ok(Self::from_bytes(bytes))
    }

    /// Reads a key file holding base64 text. On Unix, warns if others may read the file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text =
            Zeroizing::new(
                std::fs::read_to_string(path).map_err(|e| Error::MasterKeyInvalid {
                    origin: path.display().to_string(),
                    reason: format!("the file cannot be read ({e})"),
                })?,
            );
        warn_if_shared(path);
        Self::from_base64(&text, &path.display().to_string())
    }

    /// Generates a key and writes it to a new file readable only by its owner. Refuses to
    /// overwrite an existing file.
    pub fn create_file(path: &Path) -> Result<Self> {
        let key = Self::generate()?;
        let io_err = |source| Error::Io {
            context: format!("writing a new master key to {}", path.display()),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io_err)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(io_err)?;
        let text = key.to_base64();
        file.write_all(text.expose().as_bytes()).map_err(io_err)?;
        file.write_all(b"\n").map_err(io_err)?;
        file.sync_all().map_err(io_err)?;
        Ok(key)
    }

    /// Loads the key named by the environment: `FA_MASTER_KEY` (base64) or `FA_MASTER_KEY_FILE`
    /// (a path). Exactly one must be set.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`MasterKey::from_env`], reading variables through `lookup` (for tests and for hosts
    /// with their own configuration).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let inline = lookup(MASTER_KEY_ENV).filter(|v| !v.trim().is_empty());
        let file = lookup(MASTER_KEY_FILE_ENV).filter(|v| !v.trim().is_empty());
        match (inline, file) {
            (Some(text), None) => Self::from_base64(&Zeroizing::new(text), MASTER_KEY_ENV),
            (None, Some(path)) => Self::from_file(Path::new(path.trim())),
            (Some(_), Some(_)) => Err(Error::MasterKeyInvalid {
                origin: format!("{MASTER_KEY_ENV} and {MASTER_KEY_FILE_ENV}"),
                reason: "both are set; set only one of them".to_owned(),
            }),
            (None, None) => Err(Error::MasterKeyMissing),
        }
    }

    /// The key as base64 text, to show once or write to a file.
    pub fn to_base64(&self) -> Secret {
        Secret::new(STANDARD.encode(self.bytes.as_ref()))
    }

    /// The key's id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The AES-256-GCM key for one member's credentials:
    /// HKDF-SHA256(salt "fa/vault/v1", master key, info "fa/member-data-key/" ‖ member id).
    pub(crate) fn member_key(&self, member: MemberId) -> Result<Zeroizing<[u8; KEY_LEN]>> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        Hkdf::<Sha256>::new(Some(HKDF_SALT), self.bytes.as_ref())
            .expand_multi_info(
                &[b"fa/member-data-key/", member.as_uuid().as_bytes()],
                key.as_mut(),
            )
            .map_err(|_| Error::Encrypt {
                reason: "HKDF refused the output length",
            })?;
        Ok(key)
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey").field("id", &self.id).finish()
    }
}

pub(crate) fn fill_random(out: &mut [u8]) -> Result<()> {
    getrandom::fill(out).map_err(|e| Error::Io {
        context: "reading random bytes from the operating system".to_owned(),
        source: std::io::Error::other(e.to_string()),
    })
}

fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                "the master key file can be read by other users; run `chmod 600` on it"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn a_missing_key_says_what_to_set() {
        let err = MasterKey::from_lookup(env(&[])).unwrap_err();
        assert!(matches!(err, Error::MasterKeyMissing));
        let msg = err.to_string();
        assert!(
            msg.contains("FA_MASTER_KEY") && msg.contains("FA_MASTER_KEY_FILE"),
            "{msg}"
        );
    }

    #[test]
    fn a_short_key_is_refused_with_its_length() {
        let short = STANDARD.encode([7u8; 16]);
        let err = MasterKey::from_lookup(env(&[(MASTER_KEY_ENV, &short)])).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("16 bytes") && msg.contains("exactly 32"),
            "{msg}"
        );
        assert!(msg.contains("FA_MASTER_KEY"), "{msg}");
    }

    #[test]
    fn malformed_base64_is_refused() {
        let err =
            MasterKey::from_lookup(env(&[(MASTER_KEY_ENV, "not base64 at all!")])).unwrap_err();
        assert!(err.to_string().contains("not valid base64"), "{err}");
        assert_eq!(err.kind(), crate::ErrorKind::Configuration);
    }

    #[test]
    fn both_sources_at_once_are_refused() {
        let key = STANDARD.encode([1u8; 32]);
        let err = MasterKey::from_lookup(env(&[
            (MASTER_KEY_ENV, &key),
            (MASTER_KEY_FILE_ENV, "/tmp/k"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("only one"), "{err}");
    }

    #[test]
    fn key_file_round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/master.key");
        let created = MasterKey::create_file(&path).unwrap();
        let path_text = path.display().to_string();
        let loaded = MasterKey::from_lookup(env(&[(MASTER_KEY_FILE_ENV, &path_text)])).unwrap();
        assert_eq!(created.id(), loaded.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Never overwritten.
        assert!(MasterKey::create_file(&path).is_err());
    }

    #[test]
    fn debug_never_shows_key_bytes() {
        let key = MasterKey::from_bytes([0xAB; 32]);
        let shown = format!("{key:?}");
        assert!(shown.starts_with("MasterKey { id: KeyId("), "{shown}");
        assert!(!shown.contains(&STANDARD.encode([0xAB; 32])));
        assert!(!shown.to_lowercase().contains("abababab"));
    }

    #[test]
    fn member_keys_differ_per_member_and_per_master() {
        let a = MemberId::new();
        let b = MemberId::new();
        let k1 = MasterKey::from_bytes([1; 32]);
        let k2 = MasterKey::from_bytes([2; 32]);
        let key = |k: &MasterKey, m| *k.member_key(m).unwrap();
        assert_ne!(key(&k1, a), key(&k1, b));
        assert_ne!(key(&k1, a), key(&k2, a));
        assert_eq!(key(&k1, a), key(&k1, a));
        assert_ne!(k1.id(), k2.id());
    }
}
