//! The audit log: who did what, per household.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{AuditEntryId, HouseholdId, MemberId, Result};

/// One audited action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AuditEntry {
    /// Its id.
    pub id: AuditEntryId,
    /// The household.
    pub household_id: HouseholdId,
    /// The member who acted, or `None` for fa itself.
    pub actor: Option<MemberId>,
    /// What was done, e.g. `integration.connect`.
    pub action: String,
    /// What it was done to, e.g. an integration id.
    pub subject: Option<String>,
    /// Details; never secrets or message text.
    pub detail: serde_json::Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// An action to audit.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct NewAuditEntry {
    /// The member who acted, or `None` for fa itself.
    pub actor: Option<MemberId>,
    /// What was done.
    pub action: String,
    /// What it was done to.
    pub subject: Option<String>,
    /// Details; never secrets or message text.
    pub detail: serde_json::Value,
}

impl NewAuditEntry {
    /// An entry for `action` by `actor`.
    pub fn new(actor: Option<MemberId>, action: impl Into<String>) -> Self {
        Self {
            actor,
            action: action.into(),
            subject: None,
            detail: serde_json::Value::Null,
        }
    }

    /// Names what the action was done to.
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Adds details.
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        super::validate_name("audit action", &self.action, 128)?;
        if let Some(subject) = &self.subject {
            super::validate_text("audit subject", subject, 512)?;
        }
        super::validate_json("audit detail", &self.detail, 64 * 1024)
    }
}
