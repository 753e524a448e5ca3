//! The Vault: credentials sealed with AES-256-GCM under per-member keys.
//!
//! - A 32-byte [`MasterKey`] comes from the operator (`FA_MASTER_KEY` or `FA_MASTER_KEY_FILE`).
//! - Each member's data key is derived from it with HKDF-SHA256 and the member id, so one member's
//!   key opens nothing of another's.
//! - Each seal uses a fresh random 96-bit nonce. The blob carries a format version and the
//!   master key's [`KeyId`]; the household, member and integration ids are bound in as associated
//!   data, so a blob copied to another row does not open.
//! - [`Vault::rotate`] re-seals every credential under the current key; until then, blobs sealed
//!   under a previous key still open when that key is listed.
//!
//! The store only ever receives [`SealedCredential`]s: there is no call that writes a plaintext
//! credential.

mod key;

pub(crate) use key::fill_random;
mod secret;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

pub use key::{KeyId, MASTER_KEY_ENV, MASTER_KEY_FILE_ENV, MasterKey, PREVIOUS_KEYS_ENV};
pub use secret::Secret;

use crate::{Error, IntegrationId, MemberScope, Result, Store};

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + 8 + NONCE_LEN;
const AAD_LABEL: &[u8] = b"fa/credential/v1";

/// A credential sealed by the [`Vault`]: `version (1) ‖ key id (8) ‖ nonce (12) ‖ ciphertext ‖ tag
/// (16)`. This is the only form in which credentials reach a store.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedCredential(Vec<u8>);

impl SealedCredential {
    /// Re-wraps bytes read back from storage, checking the header. Crate-private so that nothing
    /// outside the vault can present arbitrary bytes as a sealed credential.
    pub(crate) fn from_bytes(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() < HEADER_LEN + TAG_LEN {
            return Err(Error::Decrypt {
                reason: "the sealed blob is truncated",
            });
        }
        if bytes[0] != FORMAT_V1 {
            return Err(Error::Decrypt {
                reason: "the sealed blob has an unknown format version",
            });
        }
        Ok(Self(bytes))
    }

    /// The id of the master key it was sealed under.
    pub fn key_id(&self) -> KeyId {
        let mut id = [0u8; 8];
        id.copy_from_slice(&self.0[1..9]);
        KeyId(id)
    }

    /// The bytes to store.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes to store, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl std::fmt::Debug for SealedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedCredential")
            .field("key_id", &self.key_id())
            .field("len", &self.0.len())
            .finish()
    }
}

/// What [`Vault::rotate`] did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct RotationReport {
    /// Credentials re-sealed under the current key.
    pub rotated: usize,
    /// Credentials already under the current key.
    pub already_current: usize,
    /// Credentials that changed between reading and re-sealing (someone stored a new one); they
    /// were left as the newer write made them.
    pub changed_meanwhile: usize,
    /// Credentials that could not be opened (unknown key, damaged); left untouched.
    pub failed: Vec<(crate::IntegrationId, Error)>,
}

/// Seals and opens credentials. Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct Vault {
    current: MasterKey,
    previous: Vec<MasterKey>,
}

impl Vault {
    /// A vault sealing under `current`.
    pub fn new(current: MasterKey) -> Self {
        Self {
            current,
            previous: Vec::new(),
        }
    }

    /// Adds an earlier key so credentials sealed under it still open (until [`Vault::rotate`]).
    pub fn with_previous(mut self, key: MasterKey) -> Self {
        if key.id() != self.current.id() && !self.previous.iter().any(|k| k.id() == key.id()) {
            self.previous.push(key);
        }
        self
    }

    /// A vault configured from the environment: the current key from `FA_MASTER_KEY` or
    /// `FA_MASTER_KEY_FILE`, earlier keys from `FA_MASTER_KEY_PREVIOUS` (comma-separated base64).
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Vault::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut vault = Self::new(MasterKey::from_lookup(&lookup)?);
        if let Some(list) = lookup(PREVIOUS_KEYS_ENV) {
            let list = zeroize::Zeroizing::new(list);
            for (i, text) in list.split(',').filter(|t| !t.trim().is_empty()).enumerate() {
                let origin = format!("{PREVIOUS_KEYS_ENV} (entry {})", i + 1);
                vault = vault.with_previous(MasterKey::from_base64(text, &origin)?);
            }
        }
        Ok(vault)
    }

    /// The id of the key new seals use.
    pub fn current_key_id(&self) -> KeyId {
        self.current.id()
    }

    /// Seals `secret` for one member's integration.
    pub fn seal(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
        secret: &Secret,
    ) -> Result<SealedCredential> {
        let key_id = self.current.id();
        let mut nonce = [0u8; NONCE_LEN];
        key::fill_random(&mut nonce)?;
        let mut header = Vec::with_capacity(HEADER_LEN + secret.len() + TAG_LEN);
        header.push(FORMAT_V1);
        header.extend_from_slice(key_id.as_bytes());
        header.extend_from_slice(&nonce);
        let aad = associated_data(&header[..9], scope, integration);
        let cipher = cipher_for(&self.current, scope)?;
        let ciphertext = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: secret.expose().as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| Error::Encrypt {
                reason: "AES-GCM refused the input",
            })?;
        header.extend_from_slice(&ciphertext);
        Ok(SealedCredential(header))
    }

    /// Opens a credential sealed for `scope` and `integration`. Fails, changing nothing, if the
    /// key is unknown, the blob was altered, or it was sealed for another member or integration.
    pub fn open(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
        sealed: &SealedCredential,
    ) -> Result<Secret> {
        let key_id = sealed.key_id();
        let master = self.key(key_id).ok_or_else(|| Error::UnknownKey {
            key_id: key_id.to_string(),
        })?;
        let bytes = sealed.as_bytes();
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&bytes[9..HEADER_LEN]);
        let aad = associated_data(&bytes[..9], scope, integration);
        let plaintext = zeroize::Zeroizing::new(
            cipher_for(master, scope)?
                .decrypt(
                    &Nonce::from(nonce),
                    Payload {
                        msg: &bytes[HEADER_LEN..],
                        aad: &aad,
                    },
                )
                .map_err(|_| Error::Decrypt {
                    reason: "authentication failed: the blob was altered, or it belongs to \
                             another member or integration",
                })?,
        );
        let text = std::str::from_utf8(&plaintext).map_err(|_| Error::Decrypt {
            reason: "the sealed secret is not UTF-8",
        })?;
        Ok(Secret::new(text))
    }

    /// Seals `secret` and stores it as the credential of `integration`.
    pub async fn store_credential(
        &self,
        store: &dyn Store,
        scope: MemberScope,
        integration: IntegrationId,
        secret: &Secret,
    ) -> Result<()> {
        let sealed = self.seal(scope, integration, secret)?;
        store.put_credential(scope, integration, &sealed).await
    }

    /// Loads and opens the credential of `integration`, if it has one.
    pub async fn load_credential(
        &self,
        store: &dyn Store,
        scope: MemberScope,
        integration: IntegrationId,
    ) -> Result<Option<Secret>> {
        match store.credential(scope, integration).await? {
            Some(sealed) => self.open(scope, integration, &sealed).map(Some),
            None => Ok(None),
        }
    }

    /// Re-seals every credential in the store under the current key. Credentials that do not open
    /// are reported and left as they are; each re-seal replaces the old blob only if it is still
    /// the one that was read, so a concurrent update is never overwritten.
    pub async fn rotate(&self, store: &dyn Store) -> Result<RotationReport> {
        let mut report = RotationReport::default();
        let current = self.current.id();
        for household in store.household_ids().await? {
            for stored in store.sealed_credentials(household).await? {
                if stored.sealed.key_id() == current {
                    report.already_current += 1;
                    continue;
                }
                let scope = MemberScope::new(stored.household_id, stored.member_id);
                let secret = match self.open(scope, stored.integration_id, &stored.sealed) {
                    Ok(secret) => secret,
                    Err(e) => {
                        report.failed.push((stored.integration_id, e));
                        continue;
                    }
                };
                let resealed = self.seal(scope, stored.integration_id, &secret)?;
                if store
                    .replace_credential(scope, stored.integration_id, &stored.sealed, &resealed)
                    .await?
                {
                    report.rotated += 1;
                } else {
                    report.changed_meanwhile += 1;
                }
            }
        }
        tracing::info!(
            rotated = report.rotated,
            already_current = report.already_current,
            changed_meanwhile = report.changed_meanwhile,
            failed = report.failed.len(),
            key_id = %current,
            "vault rotation finished"
        );
        Ok(report)
    }

    fn key(&self, id: KeyId) -> Option<&MasterKey> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id() == id)
    }
}

fn cipher_for(master: &MasterKey, scope: MemberScope) -> Result<Aes256Gcm> {
    let key = master.member_key(scope.member)?;
    // From the slice, so no unwiped copy of the key is made; the cipher wipes its round keys on
    // drop (aes-gcm's `zeroize` feature).
    Aes256Gcm::new_from_slice(key.as_ref()).map_err(|_| Error::Encrypt {
        reason: "the derived key has the wrong length",
    })
}

fn associated_data(header: &[u8], scope: MemberScope, integration: IntegrationId) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_LABEL.len() + header.len() + 48);
    aad.extend_from_slice(AAD_LABEL);
    aad.extend_from_slice(header);
    aad.extend_from_slice(scope.household.as_uuid().as_bytes());
    aad.extend_from_slice(scope.member.as_uuid().as_bytes());
    aad.extend_from_slice(integration.as_uuid().as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HouseholdId, MemberId};

    fn scope() -> MemberScope {
        MemberScope::new(HouseholdId::new(), MemberId::new())
    }

    #[test]
    fn seal_then_open_round_trips() {
        let vault = Vault::new(MasterKey::from_bytes([9; 32]));
        let (s, i) = (scope(), IntegrationId::new());
        let sealed = vault.seal(s, i, &Secret::new("refresh-token-123")).unwrap();
        assert_eq!(sealed.key_id(), vault.current_key_id());
        assert_eq!(
            vault.open(s, i, &sealed).unwrap().expose(),
            "refresh-token-123"
        );
    }

    #[test]
    fn nonces_are_fresh_per_seal() {
        let vault = Vault::new(MasterKey::from_bytes([9; 32]));
        let (s, i) = (scope(), IntegrationId::new());
        let a = vault.seal(s, i, &Secret::new("same")).unwrap();
        let b = vault.seal(s, i, &Secret::new("same")).unwrap();
        assert_ne!(a.as_bytes()[9..HEADER_LEN], b.as_bytes()[9..HEADER_LEN]);
        assert_ne!(a, b);
    }

    #[test]
    fn one_members_key_cannot_open_anothers_ciphertext() {
        // Same associated data on purpose: only the derived key differs, so this shows the key
        // separation itself, not the binding of ids.
        let master = MasterKey::from_bytes([5; 32]);
        let household = HouseholdId::new();
        let a = MemberScope::new(household, MemberId::new());
        let b = MemberScope::new(household, MemberId::new());
        let integration = IntegrationId::new();
        let vault = Vault::new(master.clone());
        let sealed_for_b = vault
            .seal(b, integration, &Secret::new("b's token"))
            .unwrap();
        let bytes = sealed_for_b.as_bytes();
        let aad = associated_data(&bytes[..9], b, integration);
        let nonce = Nonce::from(<[u8; NONCE_LEN]>::try_from(&bytes[9..HEADER_LEN]).unwrap());
        let with_a_key = cipher_for(&master, a).unwrap().decrypt(
            &nonce,
            Payload {
                msg: &bytes[HEADER_LEN..],
                aad: &aad,
            },
        );
        assert!(with_a_key.is_err());
        let with_b_key = cipher_for(&master, b).unwrap().decrypt(
            &nonce,
            Payload {
                msg: &bytes[HEADER_LEN..],
                aad: &aad,
            },
        );
        assert_eq!(with_b_key.unwrap(), b"b's token");
    }

    #[test]
    fn a_blob_moved_to_another_member_or_integration_does_not_open() {
        let vault = Vault::new(MasterKey::from_bytes([5; 32]));
        let (s, i) = (scope(), IntegrationId::new());
        let sealed = vault.seal(s, i, &Secret::new("x")).unwrap();
        let other_member = MemberScope::new(s.household, MemberId::new());
        assert!(matches!(
            vault.open(other_member, i, &sealed),
            Err(Error::Decrypt { .. })
        ));
        assert!(matches!(
            vault.open(s, IntegrationId::new(), &sealed),
            Err(Error::Decrypt { .. })
        ));
        let other_household = MemberScope::new(HouseholdId::new(), s.member);
        assert!(matches!(
            vault.open(other_household, i, &sealed),
            Err(Error::Decrypt { .. })
        ));
    }

    #[test]
    fn every_tampered_byte_is_rejected() {
        let vault = Vault::new(MasterKey::from_bytes([3; 32]));
        let (s, i) = (scope(), IntegrationId::new());
        let sealed = vault.seal(s, i, &Secret::new("token")).unwrap();
        for pos in 0..sealed.as_bytes().len() {
            let mut bytes = sealed.as_bytes().to_vec();
            bytes[pos] ^= 0x01;
            let opened = SealedCredential::from_bytes(bytes).and_then(|b| vault.open(s, i, &b));
            assert!(opened.is_err(), "flipping byte {pos} went unnoticed");
        }
        let truncated = sealed.as_bytes()[..HEADER_LEN + TAG_LEN - 1].to_vec();
        assert!(SealedCredential::from_bytes(truncated).is_err());
    }

    #[test]
    fn a_wrong_master_key_is_refused_by_key_id() {
        let right = Vault::new(MasterKey::from_bytes([1; 32]));
        let wrong = Vault::new(MasterKey::from_bytes([2; 32]));
        let (s, i) = (scope(), IntegrationId::new());
        let sealed = right.seal(s, i, &Secret::new("x")).unwrap();
        let err = wrong.open(s, i, &sealed).unwrap_err();
        assert!(matches!(err, Error::UnknownKey { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains(&right.current_key_id().to_string())
        );
    }

    #[test]
    fn previous_keys_still_open_old_blobs() {
        let old = MasterKey::from_bytes([1; 32]);
        let new = MasterKey::from_bytes([2; 32]);
        let (s, i) = (scope(), IntegrationId::new());
        let sealed_old = Vault::new(old.clone())
            .seal(s, i, &Secret::new("x"))
            .unwrap();
        let rotated = Vault::new(new.clone()).with_previous(old);
        assert_eq!(rotated.open(s, i, &sealed_old).unwrap().expose(), "x");
        assert_eq!(
            rotated.seal(s, i, &Secret::new("y")).unwrap().key_id(),
            new.id()
        );
    }

    #[test]
    fn previous_keys_come_from_the_environment() {
        use base64::Engine;
        let enc = |b: u8| base64::engine::general_purpose::STANDARD.encode([b; 32]);
        let (current, p1, p2) = (enc(1), enc(2), enc(3));
        let previous = format!("{p1}, {p2}");
        let vault = Vault::from_lookup(|name| match name {
            MASTER_KEY_ENV => Some(current.clone()),
            PREVIOUS_KEYS_ENV => Some(previous.clone()),
            _ => None,
        })
        .unwrap();
        assert_eq!(vault.previous.len(), 2);
        let bad = Vault::from_lookup(|name| match name {
            MASTER_KEY_ENV => Some(current.clone()),
            PREVIOUS_KEYS_ENV => Some("abc".to_owned()),
            _ => None,
        })
        .unwrap_err();
        assert!(
            bad.to_string().contains("FA_MASTER_KEY_PREVIOUS (entry 1)"),
            "{bad}"
        );
    }
}
