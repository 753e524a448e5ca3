//! `current_time` and `convert_time`.

use async_trait::async_trait;
use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::json;

use super::parse_arguments;
use crate::assistant::{Tool, ToolContext, ToolError};

fn timezone(name: &str) -> Result<Tz, ToolError> {
    name.trim().parse::<Tz>().map_err(|_| {
        ToolError::invalid(format!(
            "unknown time zone {name:?}; use an IANA name such as Europe/Berlin"
        ))
    })
}

/// `current_time`: now, on the member's wall clock or in another time zone.
#[derive(Debug, Clone, Copy, Default)]
pub struct CurrentTimeTool;

#[derive(Deserialize)]
struct CurrentTimeArgs {
    timezone: Option<String>,
}

#[async_trait]
impl Tool for CurrentTimeTool {
    fn name(&self) -> &str {
        "current_time"
    }

    fn description(&self) -> &str {
        "The current date and time, in the member's time zone or in the IANA time zone given."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "timezone": {"type": "string", "description": "IANA time zone, e.g. America/New_York; default: the member's"}
            }
        })
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        let args: CurrentTimeArgs = parse_arguments(&arguments)?;
        let tz = match args.timezone.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(name) => timezone(name)?,
            None => ctx.timezone(),
        };
        let now = ctx.now().with_timezone(&tz);
        Ok(format!("{} ({tz})", now.format("%A %-d %B %Y, %H:%M")))
    }
}

/// `convert_time`: a wall-clock time in one time zone, read in another.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConvertTimeTool;

#[derive(Deserialize)]
struct ConvertArgs {
    time: String,
    from: Option<String>,
    to: String,
}

#[async_trait]
impl Tool for ConvertTimeTool {
    fn name(&self) -> &str {
        "convert_time"
    }

    fn description(&self) -> &str {
        "Converts a wall-clock time (YYYY-MM-DD HH:MM) from one IANA time zone (default: the member's) to another."
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "time": {"type": "string", "description": "YYYY-MM-DD HH:MM"},
                "from": {"type": "string", "description": "IANA time zone of `time`; default: the member's"},
                "to": {"type": "string", "description": "IANA time zone to convert to"}
            },
            "required": ["time", "to"]
        })
    }

    async fn call(
        &self,
        ctx: &ToolContext,
        arguments: serde_json::Value,
    ) -> Result<String, ToolError> {
        let args: ConvertArgs = parse_arguments(&arguments)?;
        let from = match args.from.as_deref() {
            Some(name) => timezone(name)?,
            None => ctx.timezone(),
        };
        let to = timezone(&args.to)?;
        let naive = NaiveDateTime::parse_from_str(args.time.trim(), "%Y-%m-%d %H:%M")
            .map_err(|_| ToolError::invalid("time must look like 2026-11-19 09:00"))?;
        let local = from.from_local_datetime(&naive).earliest().ok_or_else(|| {
            ToolError::failed(format!(
                "{naive} does not exist in {from} (a clock change skips it)"
            ))
        })?;
        let converted = local.with_timezone(&to);
        Ok(format!(
            "{} {from} is {} {to}",
            local.format("%a %-d %b %H:%M"),
            converted.format("%a %-d %b %H:%M")
        ))
    }
}
