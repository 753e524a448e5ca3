//! `Store`: route rules, events a source could not read, and recent events.

use fa_core::{
    FailedEvent, HouseholdId, InboundEvent, MemberScope, RouteRule, RouteRuleId, RouteSpec,
};

use super::Store;
use crate::error::Result;

#[uniffi::export]
impl Store {
    /// Sends the member the inbound events `spec` matches (kinds, minimum amount,
    /// marketplaces, quiet hours, immediate or digest).
    pub async fn add_route_rule(&self, scope: MemberScope, spec: RouteSpec) -> Result<RouteRule> {
        self.with(|s| async move { s.add_route_rule(scope, spec).await })
            .await
    }

    /// The household's route rules, oldest first.
    pub async fn route_rules(&self, household: HouseholdId) -> Result<Vec<RouteRule>> {
        self.with(|s| async move { s.route_rules(household).await })
            .await
    }

    /// Deletes one of the member's rules; false if it is not theirs or is gone.
    pub async fn delete_route_rule(&self, scope: MemberScope, rule: RouteRuleId) -> Result<bool> {
        self.with(|s| async move { s.delete_route_rule(scope, rule).await })
            .await
    }

    /// What sources received and could not read (e.g. malformed queue messages), newest first.
    pub async fn failed_events(
        &self,
        household: HouseholdId,
        limit: u32,
    ) -> Result<Vec<FailedEvent>> {
        self.with(|s| async move { s.failed_events(household, limit).await })
            .await
    }

    /// The household's latest events of `source` whose kind is one of `kinds`, newest first.
    pub async fn recent_events(
        &self,
        household: HouseholdId,
        source: String,
        kinds: Vec<String>,
        limit: u32,
    ) -> Result<Vec<InboundEvent>> {
        self.with(|s| async move { s.recent_events(household, &source, &kinds, limit).await })
            .await
    }
}
