//! The tools that change a calendar: create, move, cancel. Each proposal pins what the member
//! sees (instants, connection, calendar, event id and ETag) in its arguments; a call with
//! unpinned arguments (a member who turned confirmation off) plans first, then acts.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use fa_core::IntegrationId;
use fa_core::assistant::tools::parse_arguments;
use fa_core::assistant::{Proposal, Tool, ToolContext, ToolError};
use fa_core::calendar::{CalendarEntry, CalendarError, EventDraft};
use fa_core::connector::ConnectorErrorKind;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{SEARCH_DAYS, connections, day_start, describe_entry, parse_day, parse_start, span};
use crate::accounts::{CalendarAccounts, CalendarConnection};
use crate::slots::Interval;

/// `impl Tool` for a tool that plans its change first (`self.plan`): the given methods, plus
/// `changes_state` (true), `describe` (the plan's words) and `propose` (the plan's pinned
/// arguments).
macro_rules! planned_tool {
    ($tool:ty { $($methods:tt)* }) => {
        #[async_trait]
        impl Tool for $tool {
            $($methods)*

            fn changes_state(&self) -> bool {
                true
            }

            async fn describe(
                &self,
                ctx: &ToolContext,
                arguments: &serde_json::Value,
            ) -> Result<String, ToolError> {
                unpinned(arguments)?;
                Ok(self.plan(ctx, arguments).await?.1)
            }

            async fn propose(
                &self,
                ctx: &ToolContext,
                arguments: serde_json::Value,
            ) -> Result<Proposal, ToolError> {
                unpinned(&arguments)?;
                let (pinned, summary) = self.plan(ctx, &arguments).await?;
                Ok(Proposal::new(summary, json!({ "pinned": pinned })))
            }
        }
    };
}

/// What a change is pinned to once planned.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pinned {
    integration: IntegrationId,
    calendar: String,
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    etag: Option<String>,
    title: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    #[serde(default)]
    location: Option<String>,
}

impl Pinned {
    /// The event as planned, on the member's clock.
    fn draft(&self, ctx: &ToolContext) -> EventDraft {
        let draft = EventDraft::new(self.title.clone(), self.start, self.end, ctx.timezone());
        match &self.location {
            Some(location) => draft.location(location.clone()),
            None => draft,
        }
    }
}

/// The pinned plan of a confirmed proposal, checked again: it reaches `call` from the pending
/// action, or from a model's call when the member turned confirmation off.
fn pinned(arguments: &serde_json::Value) -> Result<Option<Pinned>, ToolError> {
    let Some(value) = arguments.get("pinned") else {
        return Ok(None);
    };
    let p: Pinned = serde_json::from_value(value.clone())
        .map_err(|e| ToolError::invalid(format!("pinned: {e}")))?;
    let title = p.title.trim().chars().count();
    if title == 0 || title > 300 || p.end <= p.start || p.end - p.start > Duration::days(31) {
        return Err(ToolError::invalid(
            "pinned: a title of 1-300 characters and an end after the start",
        ));
    }
    Ok(Some(p))
}

/// Proposals are planned from the member's words; a plan is pinned by fa, never given.
fn unpinned(arguments: &serde_json::Value) -> Result<(), ToolError> {
    if arguments.get("pinned").is_some() {
        return Err(ToolError::invalid(
            "`pinned` is set by fa; describe the event in the tool's own arguments",
        ));
    }
    Ok(())
}

fn failed(error: CalendarError) -> ToolError {
    match error.kind {
        ConnectorErrorKind::Conflict => ToolError::failed(
            "the event was changed in the calendar since I showed it; nothing was changed. Ask \
             again to see it as it is now.",
        ),
        ConnectorErrorKind::NotFound => {
            ToolError::failed("the event is no longer in the calendar; nothing was changed.")
        }
        _ => ToolError::failed(error.message),
    }
}

/// After fa changed a connection's events: its busy cache no longer tells the truth.
async fn changed(accounts: &CalendarAccounts, ctx: &ToolContext, connection: &CalendarConnection) {
    if let Err(error) = accounts
        .forget_busy(ctx.scope(), connection.integration().id)
        .await
    {
        tracing::warn!(%error, "a busy cache could not be cleared after a change");
    }
}

/// The connection and the event a pinned change of an existing event is for.
async fn target(
    accounts: &CalendarAccounts,
    ctx: &ToolContext,
    p: &Pinned,
) -> Result<(CalendarConnection, String), ToolError> {
    let event = p
        .event
        .clone()
        .ok_or_else(|| ToolError::invalid("pinned: no event named"))?;
    Ok((open(accounts, ctx, p.integration).await?, event))
}

async fn open(
    accounts: &CalendarAccounts,
    ctx: &ToolContext,
    id: IntegrationId,
) -> Result<CalendarConnection, ToolError> {
    Ok(accounts.open(ctx.scope(), id).await?)
}

/// Other events of the member's overlapping `[start, end)` (`except` the one being moved).
async fn clashes(
    accounts: &CalendarAccounts,
    ctx: &ToolContext,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    except: Option<&str>,
) -> Vec<String> {
    let Ok((open, _)) = accounts.open_active(ctx.scope()).await else {
        return Vec::new();
    };
    let range = Interval::new(start, end);
    let mut out = Vec::new();
    for connection in &open {
        if let Ok(events) = connection.events(range.start, range.end).await {
            out.extend(
                events
                    .iter()
                    .filter(|e| e.busy && Some(e.id.as_str()) != except)
                    .filter(|e| Interval::new(e.start, e.end).overlaps(&range))
                    .map(|e| describe_entry(ctx.timezone(), e)),
            );
        }
    }
    out
}

fn with_clashes(mut summary: String, clashes: &[String]) -> String {
    if !clashes.is_empty() {
        summary.push_str(&format!(" ⚠ overlaps: {}", clashes.join("; ")));
    }
    summary
}

/// `create_event`: adds an event to the member's calendar, after they confirm.
pub struct CreateEventTool(pub Arc<CalendarAccounts>);

#[derive(Deserialize)]
struct CreateArgs {
    title: String,
    when: String,
    #[serde(default)]
    duration_minutes: Option<i64>,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    calendar: Option<String>,
}

impl CreateEventTool {
    async fn plan(
        &self,
        ctx: &ToolContext,
        arguments: &serde_json::Value,
    ) -> Result<(Pinned, String), ToolError> {
        if let Some(pinned) = pinned(arguments)? {
            return Ok((pinned, String::new()));
        }
        let args: CreateArgs = parse_arguments(arguments)?;
        let title = args.title.trim();
        if title.is_empty() || title.chars().count() > 300 {
            return Err(ToolError::invalid("title must be 1-300 characters"));
        }
        let minutes = args.duration_minutes.unwrap_or(60);
        if !(1..=24 * 60).contains(&minutes) {
            return Err(ToolError::invalid("duration_minutes must be 1-1440"));
        }
        let start = parse_start(ctx, &args.when)?;
        let end = start + Duration::minutes(minutes);
        let (open, _) = connections(&self.0, ctx).await?;
        let connection = match args
            .calendar
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => &open[0],
            Some(name) => open
                .iter()
                .find(|c| {
                    c.integration().label.eq_ignore_ascii_case(name)
                        || c.provider().slug().eq_ignore_ascii_case(name)
                        || crate::accounts::Provider::parse(name) == Some(c.provider())
                        || c.settings()
                            .default_calendar_name
                            .as_deref()
                            .is_some_and(|n| n.eq_ignore_ascii_case(name))
                })
                .ok_or_else(|| {
                    let names: Vec<&str> = open
                        .iter()
                        .map(|c| c.integration().label.as_str())
                        .collect();
                    ToolError::invalid(format!(
                        "no calendar \"{name}\"; connected: {}",
                        names.join(", ")
                    ))
                })?,
        };
        let calendar = connection.default_calendar().await?;
        let clashes = clashes(&self.0, ctx, start, end, None).await;
        let summary = with_clashes(
            format!(
                "Add to {} ({}): {}, {}{}",
                connection.integration().label,
                calendar.name,
                title,
                span(ctx.timezone(), start, end),
                args.location
                    .as_deref()
                    .map(|l| format!(" @ {l}"))
                    .unwrap_or_default()
            ),
            &clashes,
        );
        Ok((
            Pinned {
                integration: connection.integration().id,
                calendar: calendar.id,
                event: None,
                etag: None,
                title: title.to_owned(),
                start,
                end,
                location: args.location,
            },
            summary,
        ))
    }
}

planned_tool!(CreateEventTool {
    fn name(&self) -> &str {
        "create_event"
    }

    fn description(&self) -> &str {
        "Add an event to the member's calendar (they confirm first). `when` is its start, e.g. \
         \"thursday at 4pm\", \"tomorrow at 9\", \"2026-12-24 18:00\"."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "title": { "type": "string" },
                "when": { "type": "string", "description": "the start, e.g. \"thursday at 4pm\"" },
                "duration_minutes": { "type": "integer", "minimum": 1, "maximum": 1440, "description": "default 60" },
                "location": { "type": "string" },
                "calendar": { "type": "string", "description": "which connected calendar (default: the first)" }
            },
            "required": ["title", "when"]
        })
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        let (p, _) = self.plan(ctx, &arguments).await?;
        let connection = open(&self.0, ctx, p.integration).await?;
        let draft = p.draft(ctx);
        let created = connection
            .calendar()
            .create(&p.calendar, &draft)
            .await
            .map_err(failed)?;
        changed(&self.0, ctx, &connection).await;
        Ok(done("Added", ctx, &connection, &created))
    }
});

fn done(
    what: &str,
    ctx: &ToolContext,
    connection: &CalendarConnection,
    entry: &CalendarEntry,
) -> String {
    let mut text = format!(
        "{what} in {}: {}.",
        connection.integration().label,
        describe_entry(ctx.timezone(), entry)
    );
    if let Some(link) = &entry.link {
        text.push_str(&format!(" Open it: {link}"));
    }
    text
}

#[derive(Deserialize)]
struct FindArgs {
    event: String,
    #[serde(default)]
    on: Option<String>,
}

/// The one event matching `args` (its title contains the words; on the given day, or in the
/// next [`SEARCH_DAYS`] days).
async fn find_event(
    accounts: &CalendarAccounts,
    ctx: &ToolContext,
    args: &FindArgs,
) -> Result<(CalendarConnection, CalendarEntry), ToolError> {
    let words = args.event.trim().to_lowercase();
    if words.is_empty() {
        return Err(ToolError::invalid("name the event (words of its title)"));
    }
    let tz = ctx.timezone();
    let range = match args.on.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(day) => {
            let date = parse_day(ctx, Some(day))?;
            Interval::new(
                day_start(tz, date),
                day_start(tz, date + chrono::Days::new(1)),
            )
        }
        None => Interval::new(ctx.now(), ctx.now() + Duration::days(SEARCH_DAYS)),
    };
    let (open, _) = connections(accounts, ctx).await?;
    let mut found = Vec::new();
    for connection in open {
        let events = connection.events(range.start, range.end).await?;
        for entry in events {
            if entry.summary.to_lowercase().contains(&words) {
                found.push((connection.clone(), entry));
            }
        }
    }
    match found.len() {
        0 => Err(ToolError::failed(format!(
            "no event with \"{}\" in its title {}",
            args.event,
            if args.on.is_some() {
                "on that day"
            } else {
                "in the next 60 days"
            }
        ))),
        1 => {
            let (connection, entry) = found.remove(0);
            if entry.recurrence_id.is_some() {
                return Err(ToolError::failed(format!(
                    "\"{}\" repeats; change a repeating event in the calendar app",
                    entry.summary
                )));
            }
            Ok((connection, entry))
        }
        _ => {
            let lines: Vec<String> = found
                .iter()
                .take(5)
                .map(|(_, e)| describe_entry(tz, e))
                .collect();
            Err(ToolError::failed(format!(
                "several events match: {}; say which day (`on`)",
                lines.join("; ")
            )))
        }
    }
}

fn pin(connection: &CalendarConnection, entry: &CalendarEntry) -> Pinned {
    Pinned {
        integration: connection.integration().id,
        calendar: entry.calendar_id.clone(),
        event: Some(entry.id.clone()),
        etag: entry.etag.clone(),
        title: entry.summary.clone(),
        start: entry.start,
        end: entry.end,
        location: entry.location.clone(),
    }
}

/// `move_event`: moves one of the member's events to another time, after they confirm.
pub struct MoveEventTool(pub Arc<CalendarAccounts>);

#[derive(Deserialize)]
struct MoveArgs {
    #[serde(flatten)]
    find: FindArgs,
    to: String,
    #[serde(default)]
    duration_minutes: Option<i64>,
}

impl MoveEventTool {
    async fn plan(
        &self,
        ctx: &ToolContext,
        arguments: &serde_json::Value,
    ) -> Result<(Pinned, String), ToolError> {
        if let Some(pinned) = pinned(arguments)? {
            return Ok((pinned, String::new()));
        }
        let args: MoveArgs = parse_arguments(arguments)?;
        let (connection, entry) = find_event(&self.0, ctx, &args.find).await?;
        if entry.all_day {
            return Err(ToolError::failed(format!(
                "\"{}\" takes whole days; move it in the calendar app",
                entry.summary
            )));
        }
        let start = parse_start(ctx, &args.to)?;
        let length = match args.duration_minutes {
            Some(m) if (1..=1440).contains(&m) => Duration::minutes(m),
            Some(_) => return Err(ToolError::invalid("duration_minutes must be 1-1440")),
            None => entry.end - entry.start,
        };
        let mut p = pin(&connection, &entry);
        p.start = start;
        p.end = start + length;
        let clashes = clashes(&self.0, ctx, p.start, p.end, Some(&entry.id)).await;
        let summary = with_clashes(
            format!(
                "Move {} from {} to {}",
                entry.summary,
                span(ctx.timezone(), entry.start, entry.end),
                span(ctx.timezone(), p.start, p.end)
            ),
            &clashes,
        );
        Ok((p, summary))
    }
}

planned_tool!(MoveEventTool {
    fn name(&self) -> &str {
        "move_event"
    }

    fn description(&self) -> &str {
        "Move one of the member's events to a new start time (they confirm first). `event` is \
         words of its title, `on` its current day when several match, `to` the new start."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "event": { "type": "string", "description": "words of its title" },
                "on": { "type": "string", "description": "its current day, e.g. \"thursday\"" },
                "to": { "type": "string", "description": "the new start, e.g. \"friday at 10\"" },
                "duration_minutes": { "type": "integer", "minimum": 1, "maximum": 1440, "description": "default: as it is" }
            },
            "required": ["event", "to"]
        })
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        let (p, _) = self.plan(ctx, &arguments).await?;
        let (connection, event) = target(&self.0, ctx, &p).await?;
        let draft = p.draft(ctx);
        let moved = connection
            .calendar()
            .update(&p.calendar, &event, p.etag.as_deref(), &draft)
            .await
            .map_err(failed)?;
        changed(&self.0, ctx, &connection).await;
        Ok(done("Moved", ctx, &connection, &moved))
    }
});

/// `cancel_event`: deletes one of the member's events, after they confirm.
pub struct CancelEventTool(pub Arc<CalendarAccounts>);

impl CancelEventTool {
    async fn plan(
        &self,
        ctx: &ToolContext,
        arguments: &serde_json::Value,
    ) -> Result<(Pinned, String), ToolError> {
        if let Some(pinned) = pinned(arguments)? {
            return Ok((pinned, String::new()));
        }
        let args: FindArgs = parse_arguments(arguments)?;
        let (connection, entry) = find_event(&self.0, ctx, &args).await?;
        let summary = format!(
            "Cancel {} ({}) in {}",
            entry.summary,
            span(ctx.timezone(), entry.start, entry.end),
            connection.integration().label
        );
        Ok((pin(&connection, &entry), summary))
    }
}

planned_tool!(CancelEventTool {
    fn name(&self) -> &str {
        "cancel_event"
    }

    fn description(&self) -> &str {
        "Cancel (delete) one of the member's events (they confirm first). `event` is words of \
         its title, `on` its day when several match."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "event": { "type": "string", "description": "words of its title" },
                "on": { "type": "string", "description": "its day, e.g. \"thursday\"" }
            },
            "required": ["event"]
        })
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        let (p, _) = self.plan(ctx, &arguments).await?;
        let (connection, event) = target(&self.0, ctx, &p).await?;
        connection
            .calendar()
            .delete(&p.calendar, &event, p.etag.as_deref())
            .await
            .map_err(failed)?;
        changed(&self.0, ctx, &connection).await;
        Ok(format!(
            "Cancelled {} ({}) in {}.",
            p.title,
            span(ctx.timezone(), p.start, p.end),
            connection.integration().label
        ))
    }
});
