//! `Store`: households, members and everything they keep, on SQLite or PostgreSQL.

mod records;
mod routing;

use std::future::Future;
use std::sync::Arc;

use fa_core::ffi::{Json, UtcTime};
use fa_core::{
    ChannelIdentity, Clock, DynStore, Household, HouseholdId, IntegrationId, Invite, MasterKey,
    Member, MemberScope, NewMember, Role, Secret, UnreachableIdentity, Vault,
};

use crate::clock::{ManualClock, clock_or_system};
use crate::error::{FaError, Result};
use crate::runtime::run;
use crate::secret::SecretText;

/// How to open a store, beyond its URL.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct StoreSettings {
    /// PostgreSQL only: the schema fa's tables live in (created if missing).
    #[uniffi(default = None)]
    pub schema: Option<String>,
    /// The vault's master key (base64 of 32 bytes, see `generate_master_key`, wrapped in a
    /// `SecretText`); without one, credentials use `FA_MASTER_KEY` / `FA_MASTER_KEY_FILE` from
    /// the environment.
    #[uniffi(default = None)]
    pub master_key: Option<Arc<SecretText>>,
    /// Keys used before the current one, so credentials sealed with them still open.
    #[uniffi(default = [])]
    pub previous_keys: Vec<Arc<SecretText>>,
}

/// What `Store.status` reports.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StoreInfo {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// A file path, `:memory:` or a server address (never a password).
    pub location: String,
    /// The highest migration applied.
    pub schema_version: i64,
}

/// What `Store.rotate_credentials` did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CredentialRotation {
    /// Re-sealed under the current key.
    pub rotated: u64,
    /// Already under the current key.
    pub already_current: u64,
    /// Changed by someone else meanwhile; left as they wrote it.
    pub changed_meanwhile: u64,
    /// Integration ids whose credential could not be opened, with the reason.
    pub failed: Vec<String>,
}

/// A store opened from a URL, with its clock and vault. Every call is scoped to a household or
/// to one member of it: none returns another household's rows.
#[derive(uniffi::Object)]
pub struct Store {
    pub(crate) store: DynStore,
    pub(crate) clock: Arc<dyn Clock>,
    vault: Option<Arc<Vault>>,
}

impl Store {
    pub(crate) fn from_parts(
        store: DynStore,
        clock: Arc<dyn Clock>,
        vault: Option<Arc<Vault>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            clock,
            vault,
        })
    }

    /// Runs `call` with the store on fa's runtime.
    async fn with<T, F>(&self, call: impl FnOnce(DynStore) -> F) -> Result<T>
    where
        T: Send + 'static,
        F: Future<Output = fa_core::Result<T>> + Send + 'static,
    {
        run(call(self.store.clone())).await
    }

    pub(crate) fn vault(&self) -> Result<Arc<Vault>> {
        match &self.vault {
            Some(vault) => Ok(vault.clone()),
            None => Ok(Arc::new(Vault::from_env()?)),
        }
    }
}

/// Opens (and migrates) a store: `sqlite:PATH`, `sqlite::memory:` or `postgres://USER@HOST/DB`.
/// With `clock`, the store (and what is built on it) reads time from it.
#[uniffi::export(default(clock = None))]
pub async fn open_store(
    url: String,
    settings: StoreSettings,
    clock: Option<Arc<ManualClock>>,
) -> Result<Arc<Store>> {
    let clock = clock_or_system(clock);
    if settings.master_key.is_none() && !settings.previous_keys.is_empty() {
        return Err(FaError::invalid(
            "previous_keys",
            "previous keys need the current master_key beside them",
        ));
    }
    let vault = match &settings.master_key {
        Some(key) => {
            let mut vault = Vault::new(MasterKey::from_base64(key.0.expose(), "master_key")?);
            for previous in &settings.previous_keys {
                vault = vault.with_previous(MasterKey::from_base64(
                    previous.0.expose(),
                    "previous_keys",
                )?);
            }
            Some(Arc::new(vault))
        }
        None => None,
    };
    let opened = clock.clone();
    let store = run(async move { fa_core::open_url(&url, settings.schema, opened).await }).await?;
    Ok(Store::from_parts(store, clock, vault))
}

/// A new master key: 32 random bytes in base64. Keep it in the platform's keystore.
#[uniffi::export]
pub fn generate_master_key() -> Result<String> {
    Ok(MasterKey::generate()?.to_base64().expose().to_owned())
}

#[uniffi::export]
impl Store {
    /// Backend, location and schema version; also a liveness check.
    pub async fn status(&self) -> Result<StoreInfo> {
        let status = self.with(|s| async move { s.status().await }).await?;
        Ok(StoreInfo {
            backend: status.backend.to_owned(),
            location: status.location,
            schema_version: status.schema_version,
        })
    }

    /// The store's clock reading (the manual clock's, when it was opened with one).
    pub fn now(&self) -> UtcTime {
        self.clock.now()
    }

    /// Creates a household.
    pub async fn create_household(&self, name: String) -> Result<Household> {
        self.with(|s| async move { s.create_household(&name).await })
            .await
    }

    /// A household by id.
    pub async fn household(&self, household: HouseholdId) -> Result<Option<Household>> {
        self.with(|s| async move { s.household(household).await })
            .await
    }

    /// Every household's id.
    pub async fn household_ids(&self) -> Result<Vec<HouseholdId>> {
        self.with(|s| async move { s.household_ids().await }).await
    }

    /// Adds a member to a household.
    pub async fn add_member(&self, household: HouseholdId, member: NewMember) -> Result<Member> {
        self.with(|s| async move { s.add_member(household, member).await })
            .await
    }

    /// A member, if they are in that household.
    pub async fn member(&self, scope: MemberScope) -> Result<Option<Member>> {
        self.with(|s| async move { s.member(scope).await }).await
    }

    /// The household's members.
    pub async fn members(&self, household: HouseholdId) -> Result<Vec<Member>> {
        self.with(|s| async move { s.members(household).await })
            .await
    }

    /// Saves a member's name, role, timezone and locale.
    pub async fn update_member(&self, member: Member) -> Result<()> {
        self.with(|s| async move { s.update_member(&member).await })
            .await
    }

    /// Removes a member and everything of theirs; false if there was none.
    pub async fn remove_member(&self, scope: MemberScope) -> Result<bool> {
        self.with(|s| async move { s.remove_member(scope).await })
            .await
    }

    /// Links a channel identity (e.g. a Telegram user id) to a member.
    pub async fn link_identity(&self, scope: MemberScope, identity: ChannelIdentity) -> Result<()> {
        self.with(|s| async move { s.link_identity(scope, &identity).await })
            .await
    }

    /// Unlinks a channel identity; false if it was not linked to that member.
    pub async fn unlink_identity(
        &self,
        scope: MemberScope,
        identity: ChannelIdentity,
    ) -> Result<bool> {
        self.with(|s| async move { s.unlink_identity(scope, &identity).await })
            .await
    }

    /// A member's channel identities.
    pub async fn identities(&self, scope: MemberScope) -> Result<Vec<ChannelIdentity>> {
        self.with(|s| async move { s.identities(scope).await })
            .await
    }

    /// The member a channel identity belongs to.
    pub async fn member_by_identity(&self, identity: ChannelIdentity) -> Result<Option<Member>> {
        self.with(|s| async move { s.member_by_identity(&identity).await })
            .await
    }

    /// Marks an identity (un)reachable (e.g. the member blocked the bot) at `at`; returns its
    /// member.
    pub async fn set_identity_reachable(
        &self,
        identity: ChannelIdentity,
        reachable: bool,
        at: UtcTime,
    ) -> Result<Option<Member>> {
        self.with(|s| async move { s.set_identity_reachable(&identity, reachable, at).await })
            .await
    }

    /// The household's identities marked unreachable.
    pub async fn unreachable_identities(
        &self,
        household: HouseholdId,
    ) -> Result<Vec<UnreachableIdentity>> {
        self.with(|s| async move { s.unreachable_identities(household).await })
            .await
    }

    /// Creates a single-use invite for `role` and returns its code (only a hash is stored).
    pub async fn create_invite(
        &self,
        scope: MemberScope,
        role: Role,
        expires_at: UtcTime,
    ) -> Result<String> {
        self.with(|s| async move {
            let code = fa_core::engine::new_code()?;
            s.create_invite(
                scope.household,
                scope.member,
                role,
                code.expose(),
                expires_at,
            )
            .await?;
            Ok(code.expose().to_owned())
        })
        .await
    }

    /// Accepts an invite code for a new member on `identity`; `None` if the code is unknown,
    /// used or expired.
    pub async fn accept_invite(
        &self,
        code: String,
        member: NewMember,
        identity: ChannelIdentity,
        now: UtcTime,
    ) -> Result<Option<Member>> {
        self.with(|s| async move { s.accept_invite(&code, member, &identity, now).await })
            .await
    }

    /// The household's invites.
    pub async fn invites(&self, household: HouseholdId) -> Result<Vec<Invite>> {
        self.with(|s| async move { s.invites(household).await })
            .await
    }

    /// Seals `secret` with the member's vault key and stores it for the integration.
    pub async fn store_credential(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
        secret: String,
    ) -> Result<()> {
        let vault = self.vault()?;
        self.with(|s| async move {
            vault
                .store_credential(&*s, scope, integration, &Secret::new(secret))
                .await
        })
        .await
    }

    /// Opens the integration's stored credential.
    pub async fn load_credential(
        &self,
        scope: MemberScope,
        integration: IntegrationId,
    ) -> Result<Option<String>> {
        let vault = self.vault()?;
        self.with(|s| async move {
            let secret = vault.load_credential(&*s, scope, integration).await?;
            Ok(secret.map(|secret| secret.expose().to_owned()))
        })
        .await
    }

    /// Re-seals every credential under the current master key.
    pub async fn rotate_credentials(&self) -> Result<CredentialRotation> {
        let vault = self.vault()?;
        self.with(|s| async move {
            let report = vault.rotate(&*s).await?;
            Ok(CredentialRotation {
                rotated: report.rotated as u64,
                already_current: report.already_current as u64,
                changed_meanwhile: report.changed_meanwhile as u64,
                failed: report
                    .failed
                    .iter()
                    .map(|(id, e)| format!("{id}: {e}"))
                    .collect(),
            })
        })
        .await
    }

    /// Everything the store keeps about one member, as JSON (their data export).
    pub async fn export_member(&self, scope: MemberScope) -> Result<Json> {
        self.with(|s| async move { fa_core::export_member(&*s, scope).await })
            .await
    }
}
