//! Commands, run without a model: what keeps the assistant useful when the model is offline.

use super::tools::{
    find_habit, format_local, habit_stats, nth_reminder, reminder_set, render_list, trigger_for,
    upcoming_reminders,
};
use super::{Command, HELP, HabitCommand, Reply, ToolContext, ToolError, parse_command};
use crate::scheduler::NewJob;
use crate::{CheckInAnswer, ConversationId, MessageRole, Mood, NewHabit, NewMessage, Result};

/// Runs a command the member typed and stores it and its answer in the conversation.
pub(crate) async fn run_command(
    ctx: &ToolContext,
    conversation: ConversationId,
    text: &str,
) -> Result<Reply> {
    let answer = match parse_command(text, ctx.now(), ctx.timezone()) {
        Ok(Some(command)) => match execute(ctx, command).await {
            Ok(answer) => answer,
            Err(ToolError::Internal) => {
                return Err(crate::Error::Io {
                    context: "the command failed on an internal error".to_owned(),
                    source: std::io::Error::other("see the logs"),
                });
            }
            Err(error) => error.to_string(),
        },
        Ok(None) => format!("That is not a command.\n{HELP}"),
        Err(error) => error.to_string(),
    };
    let scope = ctx.scope();
    let store = ctx.store();
    store
        .append_message(
            scope,
            conversation,
            NewMessage::new(MessageRole::User, text),
        )
        .await?;
    store
        .append_message(
            scope,
            conversation,
            NewMessage::new(MessageRole::Assistant, &answer),
        )
        .await?;
    Ok(Reply::text(answer))
}

async fn execute(ctx: &ToolContext, command: Command) -> Result<String, ToolError> {
    let tz = ctx.timezone();
    Ok(match command {
        Command::Remind { when, text } => {
            ctx.scheduler()
                .schedule(ctx.scope(), NewJob::reminder(&text, trigger_for(&when)))
                .await?;
            reminder_set(&when, tz, &text)
        }
        Command::Reminders => render_list(&upcoming_reminders(ctx).await?, tz),
        Command::Cancel { index } => {
            let target = nth_reminder(ctx, index).await.map_err(|_| {
                ToolError::failed(format!("There is no reminder {index}. See /reminders."))
            })?;
            ctx.scheduler().cancel(ctx.scope(), target.job.id).await?;
            format!("Cancelled: {}", super::tools::reminder_text(&target.job))
        }
        Command::Habit(HabitCommand::List) => {
            let habits = ctx.store().habits(ctx.scope()).await?;
            let mut lines = Vec::new();
            for habit in habits.iter().filter(|h| !h.archived) {
                lines.push(format!(
                    "{}: {}",
                    habit.name,
                    habit_stats(ctx, habit, 28).await?
                ));
            }
            if lines.is_empty() {
                "No habits yet. Start one with /habit new stretch 5 per week".to_owned()
            } else {
                lines.join("\n")
            }
        }
        Command::Habit(HabitCommand::Create {
            name,
            target_per_week,
        }) => {
            let mut habit = NewHabit::new(&name);
            if let Some(n) = target_per_week {
                habit = habit.with_target_per_week(n);
            }
            let habit = ctx.store().create_habit(ctx.scope(), habit).await?;
            format!(
                "Now tracking \"{}\". Log it with /habit done {}",
                habit.name, habit.name
            )
        }
        Command::Habit(HabitCommand::Done { name }) => {
            let habit = find_habit(ctx, &name).await?;
            ctx.store()
                .log_habit(ctx.scope(), habit.id, ctx.now(), None)
                .await?;
            format!(
                "Logged \"{}\". {}",
                habit.name,
                habit_stats(ctx, &habit, 28).await?
            )
        }
        Command::CheckIn { mood, note } => {
            let mood = Mood::new(mood).map_err(|e| ToolError::failed(e.to_string()))?;
            let answers = note
                .map(|answer| {
                    vec![CheckInAnswer {
                        question: "note".to_owned(),
                        answer,
                    }]
                })
                .unwrap_or_default();
            ctx.store()
                .record_check_in(ctx.scope(), mood, answers)
                .await?;
            format!("Check-in recorded: mood {}/5.", mood.get())
        }
        Command::Tz { timezone: None } => format!(
            "Your time zone is {tz}; it is {} there. Change it with /tz Europe/Berlin",
            format_local(&ctx.local_now())
        ),
        Command::Tz {
            timezone: Some(name),
        } => {
            let parsed: chrono_tz::Tz = name.parse().map_err(|_| {
                ToolError::failed(format!("Unknown time zone {name:?}; try /tz Europe/Berlin"))
            })?;
            let mut member = ctx.member().clone();
            member.timezone = parsed;
            ctx.store().update_member(&member).await?;
            format!(
                "Time zone set to {parsed}; it is {} there.",
                format_local(&ctx.now().with_timezone(&parsed))
            )
        }
        Command::Help => HELP.to_owned(),
        #[allow(unreachable_patterns)]
        _ => format!("That command is not available here.\n{HELP}"),
    })
}
