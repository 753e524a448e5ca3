//! Habit tools: create, log, and streak / completion statistics.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use serde_json::json;

use super::parse_arguments;
use crate::assistant::{Tool, ToolContext, ToolError};
use crate::{Habit, NewHabit};

/// One of the member's active habits by name (case-insensitive).
pub(crate) async fn find_habit(ctx: &ToolContext, name: &str) -> Result<Habit, ToolError> {
    let habits = ctx.store().habits(ctx.scope()).await?;
    let wanted = name.trim().to_lowercase();
    let active: Vec<Habit> = habits.into_iter().filter(|h| !h.archived).collect();
    if let Some(found) = active.iter().find(|h| h.name.to_lowercase() == wanted) {
        return Ok(found.clone());
    }
    let names: Vec<&str> = active.iter().map(|h| h.name.as_str()).collect();
    Err(ToolError::failed(if names.is_empty() {
        format!(
            "there is no habit called \"{}\"; none are set up yet",
            name.trim()
        )
    } else {
        format!(
            "there is no habit called \"{}\"; the habits are: {}",
            name.trim(),
            names.join(", ")
        )
    }))
}

#[derive(Deserialize)]
struct CreateArgs {
    name: String,
    target_per_week: Option<u8>,
}

/// `create_habit`: a habit to track, with an optional weekly goal.
#[derive(Debug, Clone, Copy, Default)]
pub struct CreateHabitTool;

#[async_trait]
impl Tool for CreateHabitTool {
    fn name(&self) -> &str {
        "create_habit"
    }

    fn description(&self) -> &str {
        "Starts tracking a habit for the member, optionally with a goal of times per week."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "e.g. stretch, read 20 pages"},
                "target_per_week": {"type": "integer", "minimum": 1, "maximum": 100}
            },
            "required": ["name"]
        })
    }

    fn changes_state(&self) -> bool {
        true
    }

    async fn describe(
        &self,
        _ctx: &ToolContext,
        arguments: &serde_json::Value,
    ) -> Result<String, ToolError> {
        let args: CreateArgs = parse_arguments(arguments)?;
        Ok(match args.target_per_week {
            Some(n) => format!("Track the habit \"{}\", {n} times a week", args.name.trim()),
            None => format!("Track the habit \"{}\"", args.name.trim()),
        })
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        let args: CreateArgs = parse_arguments(&arguments)?;
        let mut habit = NewHabit::new(args.name.trim());
        if let Some(n) = args.target_per_week {
            habit = habit.with_target_per_week(n);
        }
        let habit = ctx.store().create_habit(ctx.scope(), habit).await?;
        Ok(format!("Now tracking \"{}\"", habit.name))
    }
}

#[derive(Deserialize)]
struct NameArgs {
    name: String,
    note: Option<String>,
}

/// `log_habit`: records that the member did a habit now.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogHabitTool;

#[async_trait]
impl Tool for LogHabitTool {
    fn name(&self) -> &str {
        "log_habit"
    }

    fn description(&self) -> &str {
        "Records that the member just did one of their habits."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "note": {"type": "string"}
            },
            "required": ["name"]
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
        let args: NameArgs = parse_arguments(arguments)?;
        let habit = find_habit(ctx, &args.name).await?;
        Ok(format!("Log \"{}\" as done now", habit.name))
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        let args: NameArgs = parse_arguments(&arguments)?;
        let habit = find_habit(ctx, &args.name).await?;
        ctx.store()
            .log_habit(ctx.scope(), habit.id, ctx.now(), args.note.as_deref())
            .await?;
        let stats = habit_stats(ctx, &habit, 28).await?;
        Ok(format!("Logged \"{}\". {stats}", habit.name))
    }
}

/// Streak and completion of one habit over the last `days` local days.
pub(crate) async fn habit_stats(
    ctx: &ToolContext,
    habit: &Habit,
    days: u32,
) -> Result<String, ToolError> {
    let tz = ctx.timezone();
    let now = ctx.now();
    let today = now.with_timezone(&tz).date_naive();
    // The streak may run longer than the window; a year bounds the read.
    let from = now - Duration::days(366);
    let logs = ctx
        .store()
        .habit_logs(ctx.scope(), habit.id, from, now + Duration::seconds(1))
        .await?;
    let done: BTreeSet<NaiveDate> = logs
        .iter()
        .map(|l| l.done_at.with_timezone(&tz).date_naive())
        .collect();
    Ok(describe_stats(habit, &done, today, days))
}

/// The numbers, from the set of local days with a completion. Pure, for tests.
pub(crate) fn describe_stats(
    habit: &Habit,
    done: &BTreeSet<NaiveDate>,
    today: NaiveDate,
    days: u32,
) -> String {
    // A streak still counts if today is not done yet but yesterday was.
    let mut day = if done.contains(&today) {
        today
    } else {
        today - Duration::days(1)
    };
    let mut streak = 0u32;
    while done.contains(&day) {
        streak += 1;
        day -= Duration::days(1);
    }
    let window_start = today - Duration::days(i64::from(days) - 1);
    let in_window = done.range(window_start..=today).count();
    let completion = match habit.target_per_week {
        Some(target) => {
            let goal = f64::from(target) * f64::from(days) / 7.0;
            format!(
                "{in_window} days done in the last {days} days against a goal of {goal:.0} ({:.0} %)",
                100.0 * in_window as f64 / goal.max(1.0)
            )
        }
        None => format!(
            "{in_window} of the last {days} days done ({:.0} %)",
            100.0 * in_window as f64 / f64::from(days.max(1))
        ),
    };
    format!(
        "Streak: {streak} day{}. {completion}.",
        if streak == 1 { "" } else { "s" }
    )
}

/// `habit_stats`: streak and completion rate of one habit, or of all.
#[derive(Debug, Clone, Copy, Default)]
pub struct HabitStatsTool;

#[async_trait]
impl Tool for HabitStatsTool {
    fn name(&self) -> &str {
        "habit_stats"
    }

    fn description(&self) -> &str {
        "The member's habits with their current streak and completion rate; give a name for one habit."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "days": {"type": "integer", "minimum": 1, "maximum": 365, "description": "window, default 28"}
            }
        })
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        #[derive(Deserialize)]
        struct Args {
            name: Option<String>,
            days: Option<u32>,
        }
        let args: Args = parse_arguments(&arguments)?;
        let days = args.days.unwrap_or(28).clamp(1, 365);
        let habits = match args.name.as_deref().filter(|n| !n.trim().is_empty()) {
            Some(name) => vec![find_habit(ctx, name).await?],
            None => ctx
                .store()
                .habits(ctx.scope())
                .await?
                .into_iter()
                .filter(|h| !h.archived)
                .collect(),
        };
        if habits.is_empty() {
            return Ok("No habits are tracked yet.".to_owned());
        }
        let mut lines = Vec::new();
        for habit in &habits {
            lines.push(format!(
                "{}: {}",
                habit.name,
                habit_stats(ctx, habit, days).await?
            ));
        }
        Ok(lines.join("\n"))
    }
}
