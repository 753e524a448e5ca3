//! Reminder tools, all through the [`Scheduler`](crate::scheduler::Scheduler).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::json;

use super::{format_local, parse_arguments};
use crate::assistant::{Proposal, Tool, ToolContext, ToolError};
use crate::dates::{When, parse_when};
use crate::scheduler::{JobKind, NewJob, Reminder, Trigger};
use crate::{Job, Upcoming};

/// The member's upcoming reminders, soonest first (at most 50).
pub async fn upcoming_reminders(ctx: &ToolContext) -> crate::Result<Vec<Upcoming>> {
    let upcoming = ctx.scheduler().upcoming(ctx.scope(), 200).await?;
    Ok(upcoming
        .into_iter()
        .filter(|u| u.job.kind == Reminder::NAME)
        .take(50)
        .collect())
}

/// What a reminder job says.
pub fn reminder_text(job: &Job) -> &str {
    job.payload
        .get("text")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("(no text)")
}

/// The scheduler trigger for a parsed time.
pub(crate) fn trigger_for(when: &When) -> Trigger {
    match when {
        When::Once(at) => Trigger::once(*at),
        When::Recurring { rule, start, .. } => Trigger::rrule(rule.clone(), *start),
    }
}

/// What the member is told once a reminder is set.
pub(crate) fn reminder_set(when: &When, tz: Tz, text: &str) -> String {
    format!(
        "Reminder set for {} ({tz}): {text}",
        describe_when(when, tz)
    )
}

/// The first firing of a parsed time.
pub(crate) fn first_firing(when: &When) -> DateTime<Utc> {
    match when {
        When::Once(at) => *at,
        When::Recurring { first, .. } => *first,
    }
}

/// "Thu 19 Nov 09:00" or "every …, first Thu 19 Nov 09:00".
pub(crate) fn describe_when(when: &When, tz: Tz) -> String {
    let first = format_local(&first_firing(when).with_timezone(&tz));
    match when {
        When::Once(_) => first,
        When::Recurring { rule, .. } => format!("{}, first {first}", describe_rule(rule)),
    }
}

/// An RRULE in words, for the rules the date parser writes: "every 2 weeks on Tuesday at 08:00".
pub(crate) fn describe_rule(rule: &str) -> String {
    let part = |key: &str| {
        rule.split(';')
            .find_map(|p| p.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
    };
    let interval = part("INTERVAL")
        .and_then(|i| i.parse::<u32>().ok())
        .unwrap_or(1);
    let every = |unit: &str| match interval {
        1 => format!("every {unit}"),
        2 if unit != "minute" && unit != "hour" => format!("every other {unit}"),
        n => format!("every {n} {unit}s"),
    };
    let days = part("BYDAY").map(|days| {
        let names: Vec<&str> = days
            .split(',')
            .map(
                |d| match d.trim_start_matches(|c: char| c == '-' || c.is_ascii_digit()) {
                    "MO" => "Monday",
                    "TU" => "Tuesday",
                    "WE" => "Wednesday",
                    "TH" => "Thursday",
                    "FR" => "Friday",
                    "SA" => "Saturday",
                    "SU" => "Sunday",
                    other => other,
                },
            )
            .collect();
        match names.as_slice() {
            [] => String::new(),
            [one] => (*one).to_owned(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        }
    });
    let mut text = match part("FREQ").unwrap_or("") {
        "MINUTELY" => every("minute"),
        "HOURLY" => every("hour"),
        "DAILY" => every("day"),
        "WEEKLY" => match (&days, interval) {
            (Some(d), 1) => format!("every {d}"),
            (Some(d), _) => format!("{} on {d}", every("week")),
            (None, _) => every("week"),
        },
        "MONTHLY" => match part("BYMONTHDAY") {
            Some(day) => format!("on day {day} of {}", every("month")),
            None => every("month"),
        },
        "YEARLY" => every("year"),
        _ => format!("repeating ({rule})"),
    };
    if let (Some(h), Some(m)) = (
        part("BYHOUR").and_then(|h| h.parse::<u32>().ok()),
        part("BYMINUTE").and_then(|m| m.parse::<u32>().ok()),
    ) {
        text.push_str(&format!(" at {h:02}:{m:02}"));
    }
    text
}

/// Reads a time the model proposed: a phrase ("tomorrow at 9") or an RFC 3339 instant; refuses
/// anything not in the future.
pub(crate) fn read_when(text: &str, ctx: &ToolContext) -> Result<When, ToolError> {
    let now = ctx.now();
    if let Ok(at) = DateTime::parse_from_rfc3339(text.trim()) {
        let at = at.with_timezone(&Utc);
        return if at > now {
            Ok(When::Once(at))
        } else {
            Err(ToolError::invalid(format!("{text} is in the past")))
        };
    }
    parse_when(text, now, ctx.timezone()).map_err(|e| ToolError::invalid(e.to_string()))
}

/// `create_reminder`: a reminder at a time phrase, once or repeating.
#[derive(Debug, Clone, Copy, Default)]
pub struct CreateReminderTool;

#[derive(Deserialize)]
struct CreateArgs {
    text: String,
    when: String,
}

impl CreateReminderTool {
    fn read(ctx: &ToolContext, arguments: &serde_json::Value) -> Result<(String, When), ToolError> {
        let args: CreateArgs = parse_arguments(arguments)?;
        let text = args.text.trim().to_owned();
        if text.is_empty() {
            return Err(ToolError::invalid("text must say what to remind of"));
        }
        Ok((text, read_when(&args.when, ctx)?))
    }
}

#[async_trait]
impl Tool for CreateReminderTool {
    fn name(&self) -> &str {
        "create_reminder"
    }

    fn description(&self) -> &str {
        "Reminds the member of something at a time. `when` is a phrase in English such as \
         'tomorrow at 9', 'in 2 hours', 'next Friday at 18:00', 'every Monday at 8am', \
         'on the 3rd of every month', or an RFC 3339 timestamp."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "text": {"type": "string", "description": "what to remind of, e.g. call grandma"},
                "when": {"type": "string", "description": "when, e.g. tomorrow at 9 or every Monday at 8am"}
            },
            "required": ["text", "when"]
        })
    }

    fn changes_state(&self) -> bool {
        true
    }

    async fn describe(
        &self,
        ctx: &ToolContext,
        arguments: &serde_json::Value,
    ) -> Result<String, ToolError> {
        let (text, when) = Self::read(ctx, arguments)?;
        Ok(format!(
            "Remind you {}: {text}",
            describe_when(&when, ctx.timezone())
        ))
    }

    async fn propose(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<Proposal, ToolError> {
        let (text, when) = Self::read(ctx, &arguments)?;
        let summary = format!(
            "Remind you {}: {text}",
            describe_when(&when, ctx.timezone())
        );
        // "in 5 minutes" must mean five minutes from the proposal, not from the confirmation.
        let when_text = match &when {
            When::Once(at) => at.to_rfc3339(),
            When::Recurring { .. } => parse_arguments::<CreateArgs>(&arguments)?.when,
        };
        Ok(Proposal::new(
            summary,
            json!({"text": text, "when": when_text}),
        ))
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        let (text, when) = Self::read(ctx, &arguments)?;
        ctx.scheduler()
            .schedule(ctx.scope(), NewJob::reminder(&text, trigger_for(&when)))
            .await?;
        Ok(reminder_set(&when, ctx.timezone(), &text))
    }
}

/// `list_reminders`: the member's upcoming reminders, numbered.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListRemindersTool;

/// The numbered list the member sees; numbers are what `cancel_reminder` and
/// `snooze_reminder` take.
pub(crate) fn render_list(upcoming: &[Upcoming], tz: Tz) -> String {
    if upcoming.is_empty() {
        return "No reminders are planned.".to_owned();
    }
    let mut out = String::new();
    for (i, u) in upcoming.iter().enumerate() {
        let at = u.occurrence.due_at.with_timezone(&tz);
        let repeats = if matches!(u.job.trigger, Trigger::Once { .. }) {
            ""
        } else {
            " (repeats)"
        };
        out.push_str(&format!(
            "{}. {} — {}{repeats}\n",
            i + 1,
            format_local(&at),
            reminder_text(&u.job)
        ));
    }
    out.push_str(&format!("(times in {tz})"));
    out
}

#[async_trait]
impl Tool for ListRemindersTool {
    fn name(&self) -> &str {
        "list_reminders"
    }

    fn description(&self) -> &str {
        "Lists the member's upcoming reminders, numbered soonest first."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({"type": "object", "properties": {}})
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        _arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        Ok(render_list(&upcoming_reminders(ctx).await?, ctx.timezone()))
    }
}

#[derive(Deserialize)]
struct NumberArgs {
    #[serde(default)]
    number: u32,
    until: Option<String>,
    /// Pinned by `propose`: the reminder's occurrence, so confirming acts on what was shown
    /// even if the numbering changed since.
    occurrence: Option<crate::OccurrenceId>,
}

/// The reminder the arguments name: the pinned occurrence, or the number in the list.
async fn target(ctx: &ToolContext, args: &NumberArgs) -> Result<Upcoming, ToolError> {
    match args.occurrence {
        Some(occurrence) => upcoming_reminders(ctx)
            .await?
            .into_iter()
            .find(|u| u.occurrence.id == occurrence)
            .ok_or_else(|| ToolError::failed("that reminder is no longer planned")),
        None => nth_reminder(ctx, args.number).await,
    }
}

pub(crate) async fn nth_reminder(ctx: &ToolContext, number: u32) -> Result<Upcoming, ToolError> {
    let list = upcoming_reminders(ctx).await?;
    let count = list.len();
    usize::try_from(number)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| list.into_iter().nth(i))
        .ok_or_else(|| {
            ToolError::invalid(format!(
                "there is no reminder number {number}; there are {count} (see list_reminders)"
            ))
        })
}

/// `cancel_reminder`: cancels a reminder by its number in `list_reminders`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CancelReminderTool;

#[async_trait]
impl Tool for CancelReminderTool {
    fn name(&self) -> &str {
        "cancel_reminder"
    }

    fn description(&self) -> &str {
        "Cancels one of the member's reminders by its number from list_reminders."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {"number": {"type": "integer", "minimum": 1}},
            "required": ["number"]
        })
    }

    fn changes_state(&self) -> bool {
        true
    }

    async fn describe(
        &self,
        ctx: &ToolContext,
        arguments: &serde_json::Value,
    ) -> Result<String, ToolError> {
        let args: NumberArgs = parse_arguments(arguments)?;
        let target = target(ctx, &args).await?;
        Ok(format!(
            "Cancel the reminder \"{}\"",
            reminder_text(&target.job)
        ))
    }

    async fn propose(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<Proposal, ToolError> {
        let summary = self.describe(ctx, &arguments).await?;
        let target = target(ctx, &parse_arguments::<NumberArgs>(&arguments)?).await?;
        Ok(Proposal::new(
            summary,
            json!({"occurrence": target.occurrence.id}),
        ))
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        let args: NumberArgs = parse_arguments(&arguments)?;
        let target = target(ctx, &args).await?;
        ctx.scheduler().cancel(ctx.scope(), target.job.id).await?;
        Ok(format!("Cancelled: {}", reminder_text(&target.job)))
    }
}

/// `snooze_reminder`: moves a reminder's next firing to a later time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SnoozeReminderTool;

impl SnoozeReminderTool {
    async fn read(
        ctx: &ToolContext,
        arguments: &serde_json::Value,
    ) -> Result<(Upcoming, DateTime<Utc>), ToolError> {
        let args: NumberArgs = parse_arguments(arguments)?;
        let until = args
            .until
            .clone()
            .ok_or_else(|| ToolError::invalid("until is required, e.g. in 10 minutes"))?;
        let until = match read_when(&until, ctx)? {
            When::Once(at) => at,
            When::Recurring { .. } => {
                return Err(ToolError::invalid(
                    "until must be one time, not a repetition",
                ));
            }
        };
        Ok((target(ctx, &args).await?, until))
    }
}

#[async_trait]
impl Tool for SnoozeReminderTool {
    fn name(&self) -> &str {
        "snooze_reminder"
    }

    fn description(&self) -> &str {
        "Moves the next firing of a reminder (by its number from list_reminders) to a later time such as 'in 10 minutes'."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "number": {"type": "integer", "minimum": 1},
                "until": {"type": "string", "description": "e.g. in 10 minutes, tomorrow at 8"}
            },
            "required": ["number", "until"]
        })
    }

    fn changes_state(&self) -> bool {
        true
    }

    async fn describe(
        &self,
        ctx: &ToolContext,
        arguments: &serde_json::Value,
    ) -> Result<String, ToolError> {
        let (target, until) = Self::read(ctx, arguments).await?;
        Ok(format!(
            "Snooze \"{}\" to {}",
            reminder_text(&target.job),
            format_local(&until.with_timezone(&ctx.timezone()))
        ))
    }

    async fn propose(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<Proposal, ToolError> {
        let (target, until) = Self::read(ctx, &arguments).await?;
        Ok(Proposal::new(
            format!(
                "Snooze \"{}\" to {}",
                reminder_text(&target.job),
                format_local(&until.with_timezone(&ctx.timezone()))
            ),
            json!({"occurrence": target.occurrence.id, "until": until.to_rfc3339()}),
        ))
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        let (target, until) = Self::read(ctx, &arguments).await?;
        ctx.scheduler()
            .snooze(ctx.scope(), target.occurrence.id, until)
            .await?;
        Ok(format!(
            "Snoozed \"{}\" to {}",
            reminder_text(&target.job),
            format_local(&until.with_timezone(&ctx.timezone()))
        ))
    }
}
