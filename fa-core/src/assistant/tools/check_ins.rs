//! Check-in tools: record a mood and answers; the mood trend over recent days.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;

use super::parse_arguments;
use crate::assistant::{Tool, ToolContext, ToolError};
use crate::{CheckIn, CheckInAnswer, Mood};

#[derive(Deserialize)]
struct RecordArgs {
    mood: u8,
    #[serde(default)]
    answers: Vec<CheckInAnswer>,
    note: Option<String>,
}

impl RecordArgs {
    fn read(arguments: &serde_json::Value) -> Result<(Mood, Vec<CheckInAnswer>), ToolError> {
        let args: RecordArgs = parse_arguments(arguments)?;
        let mood = Mood::new(args.mood).map_err(|e| ToolError::invalid(e.to_string()))?;
        let mut answers = args.answers;
        if let Some(note) = args.note.filter(|n| !n.trim().is_empty()) {
            answers.push(CheckInAnswer {
                question: "note".to_owned(),
                answer: note.trim().to_owned(),
            });
        }
        Ok((mood, answers))
    }
}

/// `record_check_in`: the member's mood (1–5) and optional answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordCheckInTool;

#[async_trait]
impl Tool for RecordCheckInTool {
    fn name(&self) -> &str {
        "record_check_in"
    }

    fn description(&self) -> &str {
        "Records the member's check-in: mood from 1 (very low) to 5 (very good), with optional answers or a note."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "mood": {"type": "integer", "minimum": 1, "maximum": 5},
                "note": {"type": "string"},
                "answers": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
                        "required": ["question", "answer"]
                    }
                }
            },
            "required": ["mood"]
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
        let (mood, answers) = RecordArgs::read(arguments)?;
        Ok(format!(
            "Record a check-in: mood {}/5{}",
            mood.get(),
            if answers.is_empty() {
                String::new()
            } else {
                format!(" with {} answer(s)", answers.len())
            }
        ))
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        let (mood, answers) = RecordArgs::read(&arguments)?;
        ctx.store()
            .record_check_in(ctx.scope(), mood, answers)
            .await?;
        Ok(format!("Check-in recorded: mood {}/5.", mood.get()))
    }
}

/// Average mood per local day, oldest first. Pure, for tests.
pub(crate) fn mood_by_day(
    check_ins: &[CheckIn],
    tz: chrono_tz::Tz,
) -> Vec<(chrono::NaiveDate, f64)> {
    let mut days: BTreeMap<chrono::NaiveDate, (u32, u32)> = BTreeMap::new();
    for c in check_ins {
        let day = c.recorded_at.with_timezone(&tz).date_naive();
        let entry = days.entry(day).or_default();
        entry.0 += u32::from(c.mood.get());
        entry.1 += 1;
    }
    days.into_iter()
        .map(|(day, (sum, n))| (day, f64::from(sum) / f64::from(n.max(1))))
        .collect()
}

/// `mood_trend`: average mood per day over recent days, and whether it is rising or falling.
#[derive(Debug, Clone, Copy, Default)]
pub struct MoodTrendTool;

#[async_trait]
impl Tool for MoodTrendTool {
    fn name(&self) -> &str {
        "mood_trend"
    }

    fn description(&self) -> &str {
        "The member's average mood per day over the last days (default 14) and its trend."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {"days": {"type": "integer", "minimum": 1, "maximum": 365}}
        })
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        #[derive(Deserialize)]
        struct Args {
            days: Option<u32>,
        }
        let args: Args = parse_arguments(&arguments)?;
        let days = args.days.unwrap_or(14).clamp(1, 365);
        let now = ctx.now();
        let check_ins = ctx
            .store()
            .check_ins(
                ctx.scope(),
                now - Duration::days(i64::from(days)),
                now + Duration::seconds(1),
            )
            .await?;
        let by_day = mood_by_day(&check_ins, ctx.timezone());
        if by_day.is_empty() {
            return Ok(format!("No check-ins in the last {days} days."));
        }
        let mut text: Vec<String> = by_day
            .iter()
            .map(|(day, mood)| format!("{}: {mood:.1}", day.format("%a %-d %b")))
            .collect();
        let half = by_day.len() / 2;
        if half > 0 {
            let mean = |xs: &[(chrono::NaiveDate, f64)]| {
                xs.iter().map(|(_, m)| m).sum::<f64>() / xs.len() as f64
            };
            let (early, late) = (mean(&by_day[..half]), mean(&by_day[half..]));
            let trend = if late - early > 0.25 {
                "rising"
            } else if early - late > 0.25 {
                "falling"
            } else {
                "steady"
            };
            text.push(format!("Trend: {trend} ({early:.1} → {late:.1})."));
        }
        Ok(text.join("\n"))
    }
}
