//! The read-only tools: the member's events, and free time for one or several members.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::Duration;
use fa_core::Role;
use fa_core::assistant::tools::parse_arguments;
use fa_core::assistant::{Tool, ToolContext, ToolError};
use serde::Deserialize;
use serde_json::json;

use super::{connections, day_start, describe_entry, parse_day, span};
use crate::accounts::CalendarAccounts;
use crate::slots::{Attendee, Interval, SlotQuery, WorkingHours, find_slots};

/// How old a busy cache may be for free-time answers.
pub const CACHE_MAX_AGE: StdDuration = StdDuration::from_secs(6 * 3600);

/// `calendar_events`: the member's events over one or more days.
pub struct CalendarEventsTool(pub Arc<CalendarAccounts>);

#[derive(Deserialize)]
struct EventsArgs {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    days: Option<u32>,
}

#[async_trait]
impl Tool for CalendarEventsTool {
    fn name(&self) -> &str {
        "calendar_events"
    }

    fn description(&self) -> &str {
        "List the member's calendar events, starting on a day (\"today\", \"tomorrow\", \
         \"friday\", \"2026-12-24\") for a number of days (1-31)."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "from": { "type": "string", "description": "the first day, e.g. \"today\", \"friday\"" },
                "days": { "type": "integer", "minimum": 1, "maximum": 31, "description": "how many days (default 1)" }
            }
        })
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        let args: EventsArgs = parse_arguments(&arguments)?;
        let days = args.days.unwrap_or(1);
        if !(1..=31).contains(&days) {
            return Err(ToolError::invalid("days must be 1 to 31"));
        }
        let tz = ctx.timezone();
        let first = parse_day(ctx, args.from.as_deref())?;
        let range = Interval::new(
            day_start(tz, first),
            day_start(tz, first + chrono::Days::new(u64::from(days))),
        );
        let (open, failed) = connections(&self.0, ctx).await?;
        let mut events = Vec::new();
        let mut unread = failed;
        for connection in &open {
            match connection.events(range.start, range.end).await {
                Ok(found) => events.extend(found),
                Err(e) => unread.push(format!("{} ({e})", connection.integration().label)),
            }
        }
        events.sort_by(|a, b| a.start.cmp(&b.start).then(a.summary.cmp(&b.summary)));
        let period = if days == 1 {
            first.format("%a %-d %b").to_string()
        } else {
            format!(
                "{} and the {} days after",
                first.format("%a %-d %b"),
                days - 1
            )
        };
        let mut out = if events.is_empty() {
            format!("No events on {period}.")
        } else {
            let lines: Vec<String> = events
                .iter()
                .map(|e| format!("- {}", describe_entry(tz, e)))
                .collect();
            format!("Events on {period}:\n{}", lines.join("\n"))
        };
        if !unread.is_empty() {
            out.push_str(&format!("\nNot read: {}.", unread.join("; ")));
        }
        Ok(out)
    }
}

/// `find_free_time`: the best free slots for the member, or for several members of the
/// household (only their busy time is read, never what their events are).
pub struct FindFreeTimeTool(pub Arc<CalendarAccounts>);

#[derive(Deserialize)]
struct FreeArgs {
    #[serde(default)]
    duration_minutes: Option<i64>,
    #[serde(default)]
    with: Vec<String>,
    #[serde(default)]
    within_days: Option<i64>,
    #[serde(default)]
    earliest_hour: Option<u32>,
    #[serde(default)]
    latest_hour: Option<u32>,
    #[serde(default)]
    buffer_minutes: Option<i64>,
}

#[async_trait]
impl Tool for FindFreeTimeTool {
    fn name(&self) -> &str {
        "find_free_time"
    }

    fn description(&self) -> &str {
        "Find free time slots in the calendars: for the member, or for the member together with \
         other household members named in `with` (\"everyone\" for all)."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "duration_minutes": { "type": "integer", "minimum": 5, "maximum": 720, "description": "default 60" },
                "with": { "type": "array", "items": { "type": "string" }, "description": "names of other members, or [\"everyone\"]" },
                "within_days": { "type": "integer", "minimum": 1, "maximum": 31, "description": "how far ahead to look (default 7)" },
                "earliest_hour": { "type": "integer", "minimum": 0, "maximum": 23, "description": "default 8" },
                "latest_hour": { "type": "integer", "minimum": 1, "maximum": 24, "description": "default 20" },
                "buffer_minutes": { "type": "integer", "minimum": 0, "maximum": 120, "description": "free time needed before and after" }
            }
        })
    }

    fn allowed_for(&self, role: Role) -> bool {
        role != Role::Guest
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        let args: FreeArgs = parse_arguments(&arguments)?;
        let minutes = args.duration_minutes.unwrap_or(60);
        let days = args.within_days.unwrap_or(7);
        let (earliest, latest) = (
            args.earliest_hour.unwrap_or(8),
            args.latest_hour.unwrap_or(20),
        );
        let buffer = args.buffer_minutes.unwrap_or(0);
        if !(5..=720).contains(&minutes)
            || !(1..=31).contains(&days)
            || !(0..=120).contains(&buffer)
        {
            return Err(ToolError::invalid(
                "duration_minutes is 5-720, within_days 1-31, buffer_minutes 0-120",
            ));
        }
        if earliest >= latest || latest > 24 {
            return Err(ToolError::invalid(
                "earliest_hour must be before latest_hour (at most 24)",
            ));
        }
        let members = ctx.store().members(ctx.member().household_id).await?;
        let mut people = vec![ctx.member().clone()];
        for name in &args.with {
            let name = name.trim();
            if name.eq_ignore_ascii_case("everyone") || name.eq_ignore_ascii_case("all") {
                people.extend(members.iter().filter(|m| m.role != Role::Guest).cloned());
                continue;
            }
            let found = members
                .iter()
                .find(|m| m.display_name.eq_ignore_ascii_case(name))
                .or_else(|| {
                    members.iter().find(|m| {
                        m.display_name
                            .split_whitespace()
                            .next()
                            .is_some_and(|first| first.eq_ignore_ascii_case(name))
                    })
                })
                .ok_or_else(|| {
                    let names: Vec<&str> =
                        members.iter().map(|m| m.display_name.as_str()).collect();
                    ToolError::invalid(format!(
                        "no member is called \"{name}\"; the household: {}",
                        names.join(", ")
                    ))
                })?;
            people.push(found.clone());
        }
        people.sort_by_key(|m| m.id);
        people.dedup_by_key(|m| m.id);
        // The asker first: days are counted on their clock.
        if let Some(i) = people.iter().position(|m| m.id == ctx.member().id) {
            people.swap(0, i);
        }

        let now = ctx.now();
        let window = Interval::new(now, now + Duration::days(days));
        let mut attendees = Vec::new();
        let mut notes = Vec::new();
        for person in &people {
            let busy = self.0.busy(person.scope(), window, CACHE_MAX_AGE).await?;
            let hours = if latest == 24 {
                WorkingHours::every_day(earliest, 0)
            } else {
                WorkingHours::every_day(earliest, latest)
            };
            for label in &busy.stale {
                notes.push(format!(
                    "{}'s {label} is from the last sync",
                    person.display_name
                ));
            }
            for label in &busy.unread {
                notes.push(format!(
                    "{}'s {label} could not be read",
                    person.display_name
                ));
            }
            if self.0.connections(person.scope()).await?.is_empty() {
                notes.push(format!("{} has no calendar connected", person.display_name));
            }
            attendees.push(Attendee::new(person.timezone, hours).busy(busy.intervals));
        }
        let query = SlotQuery::new(Duration::minutes(minutes), window)
            .buffers(Duration::minutes(buffer), Duration::minutes(buffer))
            .min_notice(Duration::minutes(30))
            .limit(5, 2);
        let slots = find_slots(now, &attendees, &query);
        let tz = ctx.timezone();
        let names: Vec<&str> = people.iter().map(|m| m.display_name.as_str()).collect();
        let who = if people.len() == 1 {
            "you".to_owned()
        } else {
            names.join(", ")
        };
        let mut out = if slots.is_empty() {
            format!(
                "No free {minutes}-minute slot for {who} in the next {days} days between {earliest}:00 and {latest}:00."
            )
        } else {
            let lines: Vec<String> = slots
                .iter()
                .enumerate()
                .map(|(i, s)| format!("{}. {}", i + 1, span(tz, s.start, s.end)))
                .collect();
            format!("Free for {who} ({minutes} min):\n{}", lines.join("\n"))
        };
        if !notes.is_empty() {
            out.push_str(&format!("\nNote: {}.", notes.join("; ")));
        }
        Ok(out)
    }
}
