//! `/calendar`: each member connects and manages their own calendars from the chat.
//!
//! ```text
//! /calendar                                   your connections and their state
//! /calendar connect google | microsoft        a sign-in link (works once, 15 minutes)
//! /calendar connect caldav <server> <user> <app password>     iCloud, Fastmail, Nextcloud
//! /calendar use <calendar name>               where new events go
//! /calendar sync                              read busy time now
//! /calendar disconnect <name>                 remove a connection and its secret
//! ```

use std::sync::Arc;

use async_trait::async_trait;
use fa_core::assistant::{ToolContext, ToolError};
use fa_core::engine::ChatCommand;
use fa_core::{IntegrationStatus, Role};

use crate::accounts::{CalendarAccounts, Provider};
use crate::jobs::{SYNC_DAYS, schedule_member_jobs};

/// The usage text.
pub const USAGE: &str = "\
/calendar — your calendars
/calendar connect google | microsoft
/calendar connect caldav <server> <user> <app password>   (iCloud: https://caldav.icloud.com)
/calendar use <calendar name>
/calendar sync
/calendar disconnect <name>";

/// The `/calendar` command over `accounts`.
pub struct CalendarCommand(pub Arc<CalendarAccounts>);

impl CalendarCommand {
    async fn state(&self, ctx: &ToolContext) -> Result<String, ToolError> {
        let connections = self.0.connections(ctx.scope()).await?;
        if connections.is_empty() {
            return Ok(format!("No calendar is connected.\n{USAGE}"));
        }
        let mut lines = Vec::new();
        for integration in connections {
            let settings = integration.settings.clone();
            let target = settings["default_calendar_name"]
                .as_str()
                .unwrap_or("-")
                .to_owned();
            let synced = settings["cache"]["synced_at"]
                .as_str()
                .and_then(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok())
                .map(|t| {
                    fa_core::assistant::tools::format_local(&t.with_timezone(&ctx.timezone()))
                });
            let state = match integration.status {
                IntegrationStatus::Active => "connected",
                IntegrationStatus::NeedsReauth => "needs signing in",
                IntegrationStatus::Paused => "paused",
                IntegrationStatus::Revoked => "removed",
            };
            lines.push(format!(
                "- {} ({state}): new events go to \"{target}\"{}",
                integration.label,
                synced
                    .map(|s| format!("; busy time read {s}"))
                    .unwrap_or_default()
            ));
        }
        Ok(format!("Your calendars:\n{}", lines.join("\n")))
    }

    async fn connect(&self, ctx: &ToolContext, rest: &str) -> Result<String, ToolError> {
        let words: Vec<&str> = rest.split_whitespace().collect();
        let Some(provider) = words.first().and_then(|w| Provider::parse(w)) else {
            return Err(ToolError::invalid(USAGE));
        };
        let scheduled = match schedule_member_jobs(ctx.scheduler().as_ref(), ctx.scope()).await {
            Ok(_) => String::new(),
            Err(error) => format!(" (The calendar sync could not be scheduled: {error}.)"),
        };
        match provider {
            Provider::CalDav => {
                let [_, server, user, password] = words.as_slice() else {
                    return Err(ToolError::invalid(USAGE));
                };
                self.connect_caldav(ctx, server, user, password, &scheduled)
                    .await
            }
            #[cfg(feature = "oauth")]
            oauth => {
                let link = self
                    .0
                    .start_sign_in(ctx.scope(), oauth)
                    .await
                    .map_err(|e| ToolError::failed(e.to_string()))?;
                Ok(format!(
                    "Open this link to let me use your {} (it works once, for {} minutes): {}{scheduled}",
                    oauth.title(),
                    crate::accounts::SIGN_IN_TTL_MINUTES,
                    link.url
                ))
            }
            #[cfg(not(feature = "oauth"))]
            other => Err(ToolError::failed(format!(
                "this bot is built without {} support",
                other.title()
            ))),
        }
    }

    #[cfg(feature = "caldav")]
    async fn connect_caldav(
        &self,
        ctx: &ToolContext,
        server: &str,
        user: &str,
        password: &str,
        scheduled: &str,
    ) -> Result<String, ToolError> {
        let label = reqwest::Url::parse(server)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "CalDAV".to_owned());
        let connection = self
            .0
            .connect_caldav(
                ctx.scope(),
                &label,
                server,
                user,
                fa_core::Secret::new(password),
            )
            .await
            .map_err(|e| ToolError::failed(e.to_string()))?;
        let target = connection
            .settings()
            .default_calendar_name
            .clone()
            .unwrap_or_else(|| "-".to_owned());
        Ok(format!(
            "Connected {label}: new events go to \"{target}\". The password is stored encrypted; \
             delete your message with it from this chat.{scheduled}"
        ))
    }

    #[cfg(not(feature = "caldav"))]
    async fn connect_caldav(
        &self,
        _: &ToolContext,
        _: &str,
        _: &str,
        _: &str,
        _: &str,
    ) -> Result<String, ToolError> {
        Err(ToolError::failed(
            "this bot is built without CalDAV support",
        ))
    }

    async fn use_calendar(&self, ctx: &ToolContext, name: &str) -> Result<String, ToolError> {
        let name = name.trim();
        let (open, _) = self.0.open_active(ctx.scope()).await?;
        let mut known = Vec::new();
        for connection in &open {
            let calendars = connection
                .calendar()
                .calendars()
                .await
                .map_err(|e| ToolError::failed(e.message))?;
            for calendar in calendars {
                if calendar.name.eq_ignore_ascii_case(name) && !calendar.read_only {
                    self.0
                        .set_default_calendar(ctx.scope(), connection.integration().id, &calendar)
                        .await?;
                    return Ok(format!(
                        "New events in {} go to \"{}\".",
                        connection.integration().label,
                        calendar.name
                    ));
                }
                known.push(calendar.name);
            }
        }
        Err(ToolError::invalid(format!(
            "no writable calendar is called \"{name}\"; yours: {}",
            known.join(", ")
        )))
    }
}

#[async_trait]
impl ChatCommand for CalendarCommand {
    fn name(&self) -> &str {
        "calendar"
    }

    fn description(&self) -> &str {
        "your calendars: connect, choose, sync"
    }

    fn allowed_for(&self, role: Role) -> bool {
        role != Role::Guest
    }

    async fn run(&self, ctx: &ToolContext, arguments: &str) -> Result<String, ToolError> {
        let (sub, rest) = arguments
            .trim()
            .split_once(char::is_whitespace)
            .unwrap_or((arguments.trim(), ""));
        match sub.to_ascii_lowercase().as_str() {
            "" | "status" => self.state(ctx).await,
            "help" => Ok(USAGE.to_owned()),
            "connect" => self.connect(ctx, rest).await,
            "use" => self.use_calendar(ctx, rest).await,
            "sync" => {
                let report = self.0.sync(ctx.scope(), SYNC_DAYS).await?;
                let mut text = format!(
                    "Read {} calendar connection(s): {} busy stretch(es) in the next {SYNC_DAYS} days.",
                    report.synced, report.intervals
                );
                if !report.failed.is_empty() {
                    text.push_str(&format!(" Not read: {}.", report.failed.join("; ")));
                }
                Ok(text)
            }
            "disconnect" => {
                let name = rest.trim();
                let target = self
                    .0
                    .connections(ctx.scope())
                    .await?
                    .into_iter()
                    .find(|i| {
                        i.label.eq_ignore_ascii_case(name)
                            || Provider::parse(name).is_some_and(|p| p.kind() == i.kind)
                    })
                    .ok_or_else(|| {
                        ToolError::invalid(format!("no calendar connection \"{name}\""))
                    })?;
                self.0.disconnect(ctx.scope(), target.id).await?;
                Ok(format!(
                    "Disconnected {}; its secret is deleted.",
                    target.label
                ))
            }
            _ => Err(ToolError::invalid(USAGE)),
        }
    }
}
