//! Scheduler job kinds for calendars: the busy-time sync (every four hours, and on demand with
//! `/calendar sync`) and the OAuth token refresh (every 30 minutes, so a token is renewed
//! before it expires, not at the moment it is needed). Both work on the job's member.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # fn wire(accounts: Arc<fa_calendar::accounts::CalendarAccounts>) {
//! let mut registry = fa_core::scheduler::JobRegistry::with_builtins();
//! fa_calendar::jobs::register(&mut registry, accounts);
//! # }
//! ```

use std::sync::Arc;

use async_trait::async_trait;
use fa_core::MemberScope;
use fa_core::MisfirePolicy;
use fa_core::scheduler::{
    JobContext, JobError, JobKind, JobOutput, JobRegistry, NewJob, Scheduler, Trigger,
};
use serde::{Deserialize, Serialize};

use crate::accounts::CalendarAccounts;

/// How many days ahead the sync reads by default.
pub const SYNC_DAYS: u32 = 31;

/// The jobs a member with a calendar gets, as (kind, cron on the member's clock): the busy-time
/// sync every four hours (so free-time answers come from a cache under the tools' six-hour
/// limit), and, with OAuth providers, the token refresh every 30 minutes.
pub const MEMBER_JOBS: &[(&str, &str)] = &[
    (CalendarSync::NAME, "0 */4 * * *"),
    #[cfg(feature = "oauth")]
    (TOKEN_REFRESH, "*/30 * * * *"),
];

#[cfg(feature = "oauth")]
const TOKEN_REFRESH: &str = "calendar_token_refresh";

/// Registers every fa-calendar job kind.
pub fn register(registry: &mut JobRegistry, accounts: Arc<CalendarAccounts>) {
    registry.register(CalendarSync(accounts.clone()));
    #[cfg(feature = "oauth")]
    registry.register(TokenRefresh(accounts));
}

/// Schedules the member's calendar jobs that are not scheduled yet; returns how many were added.
pub async fn schedule_member_jobs(
    scheduler: &dyn Scheduler,
    scope: MemberScope,
) -> fa_core::Result<u32> {
    let existing: Vec<String> = scheduler
        .jobs(scope)
        .await?
        .into_iter()
        .map(|j| j.kind)
        .collect();
    let mut added = 0;
    for &(kind, cron) in MEMBER_JOBS {
        if existing.iter().any(|k| k == kind) {
            continue;
        }
        scheduler
            .schedule(
                scope,
                NewJob::new(kind, serde_json::json!({}), Trigger::cron(cron)),
            )
            .await?;
        added += 1;
    }
    Ok(added)
}

/// Payload of [`CalendarSync`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncPayload {
    /// How many days ahead to read (default [`SYNC_DAYS`]).
    #[serde(default)]
    pub days: Option<u32>,
}

/// `calendar_sync`: reads the member's busy time for the coming weeks into the cache.
pub struct CalendarSync(pub Arc<CalendarAccounts>);

#[async_trait]
impl JobKind for CalendarSync {
    const NAME: &'static str = "calendar_sync";
    type Payload = SyncPayload;

    fn misfire(&self) -> MisfirePolicy {
        MisfirePolicy::FireOnce
    }

    async fn run(&self, ctx: &JobContext, payload: SyncPayload) -> Result<JobOutput, JobError> {
        let report = self
            .0
            .sync(ctx.scope(), payload.days.unwrap_or(SYNC_DAYS))
            .await?;
        if report.synced == 0 && !report.failed.is_empty() {
            return Err(JobError(format!(
                "no calendar could be read: {}",
                report.failed.join("; ")
            )));
        }
        Ok(JobOutput::Nothing)
    }
}

/// Payload of [`TokenRefresh`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshPayload {
    /// Renew tokens expiring within this many minutes (default 45: the job runs every 30).
    #[serde(default)]
    pub ahead_minutes: Option<u32>,
}

/// `calendar_token_refresh`: renews the member's Google and Microsoft access tokens before
/// they expire. A refused refresh token marks the connection `needs_reauth` and tells the
/// member.
#[cfg(feature = "oauth")]
pub struct TokenRefresh(pub Arc<CalendarAccounts>);

#[cfg(feature = "oauth")]
#[async_trait]
impl JobKind for TokenRefresh {
    const NAME: &'static str = TOKEN_REFRESH;
    type Payload = RefreshPayload;

    fn misfire(&self) -> MisfirePolicy {
        MisfirePolicy::FireOnce
    }

    async fn run(&self, ctx: &JobContext, payload: RefreshPayload) -> Result<JobOutput, JobError> {
        let minutes = u64::from(payload.ahead_minutes.unwrap_or(45));
        let report = self
            .0
            .refresh_tokens(ctx.scope(), std::time::Duration::from_secs(minutes * 60))
            .await?;
        if report.failed > 0 {
            return Err(JobError(format!(
                "{} token refresh(es) failed; retried next round",
                report.failed
            )));
        }
        Ok(JobOutput::Nothing)
    }
}
