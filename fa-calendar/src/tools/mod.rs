//! The assistant's calendar tools: list my events, find free time (for me or several members),
//! create an event, move it, cancel it. The three that change a calendar are confirmed by the
//! member first: the preview pins the exact instants, the connection and the event's version
//! (ETag), so what is confirmed is what happens, and a change made elsewhere in between is
//! reported instead of overwritten.
//!
//! Times are read with fa's natural-language date parser on the member's clock ("thursday at
//! 4pm", "tomorrow at 9", "2026-12-24 18:00").

mod read;
mod write;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use fa_core::assistant::tools::format_local;
use fa_core::assistant::{DynTool, ToolContext, ToolError};
use fa_core::calendar::CalendarEntry;
use fa_core::dates::{When, parse_when};

pub use read::{CalendarEventsTool, FindFreeTimeTool};
pub use write::{CancelEventTool, CreateEventTool, MoveEventTool};

use crate::accounts::{CalendarAccounts, CalendarConnection};

/// Every calendar tool, over `accounts`.
pub fn tools(accounts: Arc<CalendarAccounts>) -> Vec<DynTool> {
    vec![
        Arc::new(CalendarEventsTool(accounts.clone())),
        Arc::new(FindFreeTimeTool(accounts.clone())),
        Arc::new(CreateEventTool(accounts.clone())),
        Arc::new(MoveEventTool(accounts.clone())),
        Arc::new(CancelEventTool(accounts)),
    ]
}

/// How far ahead an event named by its title is looked for.
const SEARCH_DAYS: i64 = 60;

/// Midnight starting `date` on `tz`'s clock (the first instant of the day after a DST gap).
fn day_start(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    (0..=180)
        .step_by(30)
        .find_map(|m| {
            tz.from_local_datetime(&(midnight + chrono::Duration::minutes(m)))
                .earliest()
        })
        .map_or_else(
            || Utc.from_utc_datetime(&midnight),
            |t| t.with_timezone(&Utc),
        )
}

/// A day the member names: "today", "tomorrow", "friday", "24 december", "2026-12-24".
fn parse_day(ctx: &ToolContext, text: Option<&str>) -> Result<NaiveDate, ToolError> {
    let today = ctx.local_now().date_naive();
    let text = text.map(str::trim).unwrap_or("");
    if text.is_empty() || text.eq_ignore_ascii_case("today") {
        return Ok(today);
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date);
    }
    // A day alone means 09:00 to the parser, which has passed on a late "tomorrow"-less
    // today; naming the end of the day finds the same day.
    let phrase = format!("{text} at 23:59");
    match parse_when(&phrase, ctx.now(), ctx.timezone())
        .or_else(|_| parse_when(text, ctx.now(), ctx.timezone()))
    {
        Ok(When::Once(at)) => Ok(at.with_timezone(&ctx.timezone()).date_naive()),
        Ok(When::Recurring { .. }) => Err(ToolError::invalid(format!(
            "\"{text}\" repeats; name one day"
        ))),
        Err(e) => Err(ToolError::invalid(format!("\"{text}\": {}", e.reason()))),
    }
}

/// A start time the member names: a phrase for the date parser, or an ISO date-time on their
/// clock ("2026-12-24T18:00", "2026-12-24 18:00") or with an offset.
fn parse_start(ctx: &ToolContext, text: &str) -> Result<DateTime<Utc>, ToolError> {
    let tz = ctx.timezone();
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return future(ctx, at.with_timezone(&Utc), text);
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            let at = tz
                .from_local_datetime(&naive)
                .earliest()
                .ok_or_else(|| ToolError::invalid(format!("{text} does not exist in {tz}")))?;
            return future(ctx, at.with_timezone(&Utc), text);
        }
    }
    match parse_when(text, ctx.now(), tz) {
        Ok(When::Once(at)) => Ok(at),
        Ok(When::Recurring { .. }) => Err(ToolError::invalid(format!(
            "\"{text}\" repeats; fa adds single events (add a repeating one in the calendar app)"
        ))),
        Err(e) => Err(ToolError::invalid(format!(
            "\"{text}\" is not a time fa understands ({}); say e.g. \"thursday at 4pm\" or \
             \"2026-12-24 18:00\"",
            e.reason()
        ))),
    }
}

fn future(ctx: &ToolContext, at: DateTime<Utc>, text: &str) -> Result<DateTime<Utc>, ToolError> {
    if at <= ctx.now() {
        return Err(ToolError::invalid(format!("{text} has passed")));
    }
    Ok(at)
}

/// "Thu 19 Nov 16:00–17:00" on `tz`'s clock (the end's date too when it is another day).
fn span(tz: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let (s, e) = (start.with_timezone(&tz), end.with_timezone(&tz));
    if s.date_naive() == e.date_naive() {
        format!("{}–{}", format_local(&s), e.format("%H:%M"))
    } else {
        format!("{} – {}", format_local(&s), format_local(&e))
    }
}

/// One line for an event.
fn describe_entry(tz: Tz, entry: &CalendarEntry) -> String {
    let when = if entry.all_day {
        entry
            .start
            .with_timezone(&tz)
            .format("%a %-d %b (all day)")
            .to_string()
    } else {
        span(tz, entry.start, entry.end)
    };
    let mut line = format!("{when} {}", entry.summary);
    if let Some(location) = &entry.location {
        line.push_str(&format!(" @ {location}"));
    }
    line
}

/// The member's active connections, or a failure saying how to connect one.
async fn connections(
    accounts: &CalendarAccounts,
    ctx: &ToolContext,
) -> Result<(Vec<CalendarConnection>, Vec<String>), ToolError> {
    let (open, failed) = accounts.open_active(ctx.scope()).await?;
    if open.is_empty() {
        let mut text = "No calendar is connected yet: send /calendar connect google, /calendar \
                        connect microsoft, or /calendar connect caldav <server> <user> <app \
                        password>."
            .to_owned();
        if !failed.is_empty() {
            text = format!("No calendar can be read now: {}.", failed.join("; "));
        }
        return Err(ToolError::failed(text));
    }
    Ok((open, failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_its_first_instant_even_in_a_gap() {
        // Santiago moved from 00:00 to 01:00 on 2026-09-06: the day starts at 01:00 local.
        let tz: Tz = "America/Santiago".parse().unwrap_or(Tz::UTC);
        let date = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap_or_default();
        let start = day_start(tz, date).with_timezone(&tz);
        assert_eq!(start.date_naive(), date);
        assert!(chrono::Timelike::hour(&start) <= 1, "{start}");
        let berlin: Tz = "Europe/Berlin".parse().unwrap_or(Tz::UTC);
        assert_eq!(
            day_start(
                berlin,
                NaiveDate::from_ymd_opt(2026, 11, 19).unwrap_or_default()
            ),
            "2026-11-18T23:00:00Z"
                .parse::<DateTime<Utc>>()
                .unwrap_or_default()
        );
    }
}
