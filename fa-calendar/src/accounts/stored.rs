//! What an OAuth connection's sealed credential holds, by stage: a sign-in in progress (the
//! PKCE verifier and the state's digest), a sign-in whose state was used, or the tokens.
//!
//! The JSON exists only inside a [`Secret`] (zeroized on drop) and the vault's seal.

use chrono::{DateTime, Utc};
use fa_core::Secret;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

#[derive(Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub(crate) enum Stored {
    /// Waiting for the provider's callback.
    SigningIn {
        verifier: String,
        state_digest: String,
        expires_at: DateTime<Utc>,
    },
    /// The callback came; the state cannot be used again.
    Used,
    /// Signed in.
    Tokens {
        access_token: String,
        refresh_token: Option<String>,
        expires_at: DateTime<Utc>,
    },
}

impl Stored {
    pub(crate) fn read(secret: &Secret) -> Result<Self> {
        serde_json::from_str(secret.expose()).map_err(|_| {
            Error::invalid(
                "calendar sign-in",
                "the stored credential is not readable; connect the calendar again",
            )
        })
    }

    pub(crate) fn to_secret(&self) -> Result<Secret> {
        serde_json::to_string(self)
            .map(Secret::new)
            .map_err(|e| Error::invalid("calendar sign-in", e.to_string()))
    }
}

impl From<crate::oauth::Tokens> for Stored {
    fn from(tokens: crate::oauth::Tokens) -> Self {
        Stored::Tokens {
            access_token: tokens.access_token.expose().to_owned(),
            refresh_token: tokens.refresh_token.map(|t| t.expose().to_owned()),
            expires_at: tokens.expires_at,
        }
    }
}
