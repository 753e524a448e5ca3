//! `Store`: households, members and everything they keep, on SQLite or PostgreSQL. Every method
//! returns an awaitable; records come back as dicts that the Python package turns into
//! dataclasses.

mod household_data;
mod personal;
mod routing;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use fa_core::{
    ChannelIdentity, Clock, DynStore, HouseholdId, MasterKey, NewMember, Role, Secret, Vault,
};
use pyo3::prelude::*;
use serde::Serialize;

use crate::clock::{ManualClock, clock_or_system};
use crate::convert::{id, instant, scope, spawn};
use crate::errors::{invalid, to_py};

/// A store opened from a URL, with the clock and vault that go with it.
#[pyclass(module = "family_assistant._native", frozen)]
pub(crate) struct Store {
    pub(crate) store: DynStore,
    pub(crate) clock: Arc<dyn Clock>,
    vault: Option<Arc<Vault>>,
}

impl Store {
    /// A store already open elsewhere (the bot's), with its vault.
    pub(crate) fn from_parts(
        store: DynStore,
        clock: Arc<dyn Clock>,
        vault: Option<Arc<Vault>>,
    ) -> Self {
        Self {
            store,
            clock,
            vault,
        }
    }

    /// The vault for credentials: the master key given at open, else `FA_MASTER_KEY(_FILE)`.
    pub(crate) fn vault(&self) -> PyResult<Arc<Vault>> {
        match &self.vault {
            Some(vault) => Ok(vault.clone()),
            None => Vault::from_env().map(Arc::new).map_err(to_py),
        }
    }
}

/// Opens (and migrates) a store: `sqlite:PATH`, `sqlite::memory:` or `postgres://…` (with
/// `schema`, fa's tables live in that PostgreSQL schema, created if missing).
#[pyfunction]
#[pyo3(signature = (url, clock = None, master_key = None, schema = None, previous_keys = Vec::new()))]
pub(crate) fn open_store<'py>(
    py: Python<'py>,
    url: String,
    clock: Option<&Bound<'py, ManualClock>>,
    master_key: Option<String>,
    schema: Option<String>,
    previous_keys: Vec<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let clock = clock_or_system(clock);
    if master_key.is_none() && !previous_keys.is_empty() {
        return Err(invalid(
            "previous_keys",
            "previous keys need the current master_key beside them".to_owned(),
        ));
    }
    let vault = master_key
        .map(|key| -> fa_core::Result<Arc<Vault>> {
            let mut vault = Vault::new(MasterKey::from_base64(&key, "master_key")?);
            for previous in &previous_keys {
                vault = vault.with_previous(MasterKey::from_base64(previous, "previous_keys")?);
            }
            Ok(Arc::new(vault))
        })
        .transpose()
        .map_err(to_py)?;
    crate::bridge::future(py, async move {
        let store = fa_core::open_url(&url, schema, clock.clone())
            .await
            .map_err(to_py)?;
        Ok(Store {
            store,
            clock,
            vault,
        })
    })
}

/// What `rotate_credentials()` returns.
#[derive(Serialize)]
struct Rotation {
    rotated: usize,
    already_current: usize,
    changed_meanwhile: usize,
    failed: Vec<(String, String)>,
}

/// A new master key: 32 random bytes in base64, for `FA_MASTER_KEY` or `master_key=`.
#[pyfunction]
pub(crate) fn generate_master_key() -> PyResult<String> {
    let key = MasterKey::generate().map_err(to_py)?;
    Ok(key.to_base64().expose().to_owned())
}

/// What `status()` returns.
#[derive(Serialize)]
struct Status {
    backend: &'static str,
    location: String,
    schema_version: i64,
}

#[pymethods]
impl Store {
    /// Backend, location and schema version; also a liveness check.
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let store = self.store.clone();
        spawn(py, async move {
            let status = store.status().await?;
            Ok(Status {
                backend: status.backend,
                location: status.location,
                schema_version: status.schema_version,
            })
        })
    }

    /// The store's clock reading, RFC 3339 (the manual clock when one was given).
    fn now(&self) -> String {
        self.clock.now().to_rfc3339()
    }

    fn create_household<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        let store = self.store.clone();
        spawn(py, async move { store.create_household(&name).await })
    }

    fn household<'py>(&self, py: Python<'py>, household: &str) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        spawn(py, async move { store.household(household).await })
    }

    fn household_ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let store = self.store.clone();
        spawn(py, async move { store.household_ids().await })
    }

    #[pyo3(signature = (household, name, role, timezone = None, locale = None))]
    fn add_member<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        name: String,
        role: &str,
        timezone: Option<String>,
        locale: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        let mut member = NewMember::new(name, role.parse::<Role>().map_err(to_py)?);
        if let Some(timezone) = timezone {
            member = member.with_timezone(timezone);
        }
        if let Some(locale) = locale {
            member = member.with_locale(locale);
        }
        spawn(py, async move { store.add_member(household, member).await })
    }

    fn member<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        spawn(py, async move { store.member(scope).await })
    }

    fn members<'py>(&self, py: Python<'py>, household: &str) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        spawn(py, async move { store.members(household).await })
    }

    /// Changes a member's name, role, timezone or locale (`None` keeps it); returns the member.
    #[pyo3(signature = (household, member, name = None, role = None, timezone = None, locale = None))]
    #[allow(clippy::too_many_arguments)]
    fn update_member<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        name: Option<String>,
        role: Option<String>,
        timezone: Option<String>,
        locale: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let role = role.map(|r| r.parse::<Role>()).transpose().map_err(to_py)?;
        spawn(py, async move {
            let mut member = store
                .member(scope)
                .await?
                .ok_or(fa_core::Error::NotFound { what: "member" })?;
            if let Some(name) = name {
                member.display_name = name;
            }
            if let Some(role) = role {
                member.role = role;
            }
            if let Some(timezone) = timezone {
                member.timezone = fa_core::parse_timezone(&timezone)?;
            }
            if let Some(locale) = locale {
                member.locale = locale;
            }
            store.update_member(&member).await?;
            Ok(member)
        })
    }

    fn remove_member<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        spawn(py, async move { store.remove_member(scope).await })
    }

    fn link_identity<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        channel: String,
        external_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let identity = ChannelIdentity::new(channel, external_id);
        spawn(
            py,
            async move { store.link_identity(scope, &identity).await },
        )
    }

    fn unlink_identity<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        channel: String,
        external_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let identity = ChannelIdentity::new(channel, external_id);
        spawn(
            py,
            async move { store.unlink_identity(scope, &identity).await },
        )
    }

    fn identities<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        spawn(py, async move { store.identities(scope).await })
    }

    fn member_by_identity<'py>(
        &self,
        py: Python<'py>,
        channel: String,
        external_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let store = self.store.clone();
        let identity = ChannelIdentity::new(channel, external_id);
        spawn(py, async move { store.member_by_identity(&identity).await })
    }

    /// Records whether fa can reach an identity (a Telegram user who blocked the bot cannot);
    /// returns the member whose identity it is, or `None`.
    fn set_identity_reachable<'py>(
        &self,
        py: Python<'py>,
        channel: String,
        external_id: String,
        reachable: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, now) = (self.store.clone(), self.clock.now());
        let identity = ChannelIdentity::new(channel, external_id);
        spawn(py, async move {
            store
                .set_identity_reachable(&identity, reachable, now)
                .await
        })
    }

    fn unreachable_identities<'py>(
        &self,
        py: Python<'py>,
        household: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        spawn(
            py,
            async move { store.unreachable_identities(household).await },
        )
    }

    /// Creates a single-use invite with a fresh code; returns `(code, invite)`.
    fn create_invite<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        role: &str,
        expires_at: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope) = (self.store.clone(), scope(household, member)?);
        let role = role.parse::<Role>().map_err(to_py)?;
        let expires_at = instant("expires_at", expires_at)?;
        spawn(py, async move {
            let code = fa_core::engine::new_code()?;
            let invite = store
                .create_invite(
                    scope.household,
                    scope.member,
                    role,
                    code.expose(),
                    expires_at,
                )
                .await?;
            Ok((code.expose().to_owned(), invite))
        })
    }

    /// Accepts an invite for a new member on `channel`/`external_id`; `None` if the code is not
    /// a valid unused invite.
    #[pyo3(signature = (code, name, channel, external_id, timezone = None))]
    fn accept_invite<'py>(
        &self,
        py: Python<'py>,
        code: String,
        name: String,
        channel: String,
        external_id: String,
        timezone: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, now) = (self.store.clone(), self.clock.now());
        let mut member = NewMember::new(name, Role::Guest);
        if let Some(timezone) = timezone {
            member = member.with_timezone(timezone);
        }
        let identity = ChannelIdentity::new(channel, external_id);
        spawn(py, async move {
            store.accept_invite(&code, member, &identity, now).await
        })
    }

    fn invites<'py>(&self, py: Python<'py>, household: &str) -> PyResult<Bound<'py, PyAny>> {
        let (store, household) = (self.store.clone(), id::<HouseholdId>(household)?);
        spawn(py, async move { store.invites(household).await })
    }

    /// Seals `secret` with the vault and stores it as the integration's credential.
    fn store_credential<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        integration: &str,
        secret: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope, vault) = (self.store.clone(), scope(household, member)?, self.vault()?);
        let integration = id(integration)?;
        let secret = Secret::new(secret);
        spawn(py, async move {
            vault
                .store_credential(&*store, scope, integration, &secret)
                .await
        })
    }

    /// Re-seals every credential under the current master key (after a key change, with the old
    /// key among `previous_keys` at open); returns the counts.
    fn rotate_credentials<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (store, vault) = (self.store.clone(), self.vault()?);
        spawn(py, async move {
            let report = vault.rotate(&*store).await?;
            Ok(Rotation {
                rotated: report.rotated,
                already_current: report.already_current,
                changed_meanwhile: report.changed_meanwhile,
                failed: report
                    .failed
                    .iter()
                    .map(|(id, e)| (id.to_string(), e.to_string()))
                    .collect(),
            })
        })
    }

    /// Loads and opens the integration's credential (`None` if it has none).
    fn load_credential<'py>(
        &self,
        py: Python<'py>,
        household: &str,
        member: &str,
        integration: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (store, scope, vault) = (self.store.clone(), scope(household, member)?, self.vault()?);
        let integration = id(integration)?;
        spawn(py, async move {
            let secret = vault.load_credential(&*store, scope, integration).await?;
            Ok(secret.map(|s| s.expose().to_owned()))
        })
    }
}

/// An optional instant argument, parsed.
pub(crate) fn maybe_instant(
    field: &'static str,
    text: Option<&str>,
) -> PyResult<Option<DateTime<Utc>>> {
    text.map(|t| instant(field, t)).transpose()
}
