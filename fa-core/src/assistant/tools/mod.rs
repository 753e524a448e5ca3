//! The built-in tools: time, reminders, habits, check-ins, memory notes, a sub-assistant, and
//! (feature `weather`) the weather.
//!
//! | tool | changes state | what it does |
//! |---|---|---|
//! | `current_time` | no | now, in the member's or another time zone |
//! | `convert_time` | no | a wall-clock time from one time zone to another |
//! | `create_reminder` | yes | a one-shot or repeating reminder from a phrase ("tomorrow at 9") |
//! | `list_reminders` | no | upcoming reminders, numbered |
//! | `cancel_reminder` | yes | cancels a reminder by its number |
//! | `snooze_reminder` | yes | moves a reminder's next firing |
//! | `create_habit` / `log_habit` | yes | habits and their completions |
//! | `habit_stats` | no | streak and completion rate |
//! | `record_check_in` | yes | mood 1–5 and answers |
//! | `mood_trend` | no | average mood per day over recent days |
//! | `remember` / `forget` | yes | the member's saved facts |
//! | `recall` | no | searches the member's saved facts |
//! | `ask_assistant` | no | hands a question to another assistant profile |
//! | `weather` | no | Open-Meteo forecast (feature `weather`) |

mod check_ins;
mod delegate;
mod habits;
mod memory;
mod reminders;
mod time;
#[cfg(feature = "weather")]
mod weather;

use chrono::{DateTime, TimeZone};
use serde::de::DeserializeOwned;

pub use check_ins::{MoodTrendTool, RecordCheckInTool};
pub use delegate::AskAssistantTool;
pub use habits::{CreateHabitTool, HabitStatsTool, LogHabitTool};
pub(crate) use habits::{find_habit, habit_stats};
pub use memory::{ForgetTool, RecallTool, RememberTool};
pub use reminders::{
    CancelReminderTool, CreateReminderTool, ListRemindersTool, SnoozeReminderTool, reminder_text,
    upcoming_reminders,
};
pub(crate) use reminders::{nth_reminder, reminder_set, render_list, trigger_for};
pub use time::{ConvertTimeTool, CurrentTimeTool};
#[cfg(feature = "weather")]
pub use weather::{WeatherOptions, WeatherTool};

use super::{ToolError, Toolbox};

/// Every built-in tool except `weather` (which needs its options): time, reminders, habits,
/// check-ins, memory and `ask_assistant`.
pub fn builtin_toolbox() -> Toolbox {
    let mut toolbox = Toolbox::new();
    let tools: Vec<super::DynTool> = vec![
        std::sync::Arc::new(CurrentTimeTool),
        std::sync::Arc::new(ConvertTimeTool),
        std::sync::Arc::new(CreateReminderTool),
        std::sync::Arc::new(ListRemindersTool),
        std::sync::Arc::new(CancelReminderTool),
        std::sync::Arc::new(SnoozeReminderTool),
        std::sync::Arc::new(CreateHabitTool),
        std::sync::Arc::new(LogHabitTool),
        std::sync::Arc::new(HabitStatsTool),
        std::sync::Arc::new(RecordCheckInTool),
        std::sync::Arc::new(MoodTrendTool),
        std::sync::Arc::new(RememberTool),
        std::sync::Arc::new(RecallTool),
        std::sync::Arc::new(ForgetTool),
        std::sync::Arc::new(AskAssistantTool),
    ];
    for tool in tools {
        // Built-in names are valid by construction; a failure here would be a typo in this file.
        if let Err(error) = toolbox.add_shared(tool) {
            tracing::error!(%error, "built-in tool refused");
        }
    }
    toolbox
}

/// Reads a tool's arguments into `T`. Models sometimes send the arguments object as a JSON
/// string; that is accepted too. The error names the problem for the model to correct.
pub fn parse_arguments<T: DeserializeOwned>(arguments: &serde_json::Value) -> Result<T, ToolError> {
    let parsed = match arguments {
        serde_json::Value::String(text) => serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| ToolError::invalid(format!("arguments are not a JSON object: {e}")))?,
        serde_json::Value::Null => serde_json::json!({}),
        other => other.clone(),
    };
    serde_json::from_value(parsed).map_err(|e| ToolError::invalid(e.to_string()))
}

/// An instant as the member reads it: `Thu 19 Nov 09:00`.
pub fn format_local<Tz: TimeZone>(at: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    at.format("%a %-d %b %H:%M").to_string()
}
