//! Integrations (a connected calendar, a seller account, …) and their sealed credentials.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::vault::SealedCredential;
use crate::{HouseholdId, IntegrationId, MemberId, Result};

/// The state of an integration's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum IntegrationStatus {
    /// Connected and working.
    Active,
    /// The provider refused the credentials: the member must sign in again.
    NeedsReauth,
    /// Switched off by the member; credentials are kept.
    Paused,
    /// Disconnected; credentials are deleted.
    Revoked,
}

named_enum!(IntegrationStatus, "integration status", {
    Active => "active",
    NeedsReauth => "needs_reauth",
    Paused => "paused",
    Revoked => "revoked",
});

/// A member's connection to an outside service. Secrets are not here: they live, sealed by the
/// [`Vault`](crate::Vault), in the credential attached to the integration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Integration {
    /// Its id.
    pub id: IntegrationId,
    /// The household.
    pub household_id: HouseholdId,
    /// The member who connected it.
    pub member_id: MemberId,
    /// The connector kind, e.g. `google_calendar`, `amazon_sp_api`.
    pub kind: String,
    /// A label the member recognises, e.g. "Work calendar".
    pub label: String,
    /// Its state.
    pub status: IntegrationStatus,
    /// Non-secret settings (calendar ids, marketplace, region).
    pub settings: serde_json::Value,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// An integration to create.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct NewIntegration {
    /// The connector kind.
    pub kind: String,
    /// A label the member recognises.
    pub label: String,
    /// Non-secret settings.
    pub settings: serde_json::Value,
}

impl NewIntegration {
    /// An integration of `kind` with empty settings.
    pub fn new(kind: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            label: label.into(),
            settings: serde_json::Value::Object(Default::default()),
        }
    }

    /// Sets the non-secret settings.
    pub fn with_settings(mut self, settings: serde_json::Value) -> Self {
        self.settings = settings;
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        super::validate_name("integration kind", &self.kind, 64)?;
        super::validate_name("integration label", &self.label, 200)?;
        super::validate_json("integration settings", &self.settings, 64 * 1024)
    }
}

/// A sealed credential as stored, with the row it belongs to. Returned for key rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredential {
    /// The household.
    pub household_id: HouseholdId,
    /// The member who owns the integration.
    pub member_id: MemberId,
    /// The integration.
    pub integration_id: IntegrationId,
    /// The sealed secret.
    pub sealed: SealedCredential,
}
