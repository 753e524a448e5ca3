//! Where access tokens for the OAuth providers (Google, Microsoft Graph) come from.

use async_trait::async_trait;
use fa_core::Secret;
use fa_core::calendar::CalendarError;

/// A source of access tokens.
#[async_trait]
pub trait AccessToken: Send + Sync {
    /// A token valid now (refreshed when it is about to expire).
    async fn access_token(&self) -> Result<Secret, CalendarError>;
}

/// One token that never changes (tests, scripts).
pub struct FixedToken(pub Secret);

#[async_trait]
impl AccessToken for FixedToken {
    async fn access_token(&self) -> Result<Secret, CalendarError> {
        Ok(self.0.clone())
    }
}
