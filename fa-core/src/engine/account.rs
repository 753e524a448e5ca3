//! A member's account commands, answered by the engine on any channel: `/invite` (owner),
//! `/forget` (erase my memory), `/export` (my data as a file) and `/settings`.

use chrono::Duration;

use super::Outbound;
use super::access::new_code;
use crate::{Clock, DynStore, Member, Result, Role};

/// How long an invite code can be used.
const INVITE_DAYS: i64 = 7;

/// The answer to an account command, or `None` when `text` is not one.
pub(crate) async fn answer(
    store: &DynStore,
    clock: &dyn Clock,
    member: &Member,
    text: &str,
) -> Option<Result<Outbound>> {
    let text = text.trim();
    let (command, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let command = command
        .split('@')
        .next()
        .unwrap_or(command)
        .to_ascii_lowercase();
    let rest = rest.trim();
    let answer = match command.as_str() {
        "/invite" => invite(store, clock, member, rest).await,
        "/forget" => forget(store, member, rest).await,
        "/export" => export(store, clock, member).await,
        "/settings" => settings(store, member).await,
        _ => return None,
    };
    Some(answer)
}

fn text(text: impl Into<String>) -> Outbound {
    Outbound::Text(text.into())
}

async fn invite(
    store: &DynStore,
    clock: &dyn Clock,
    member: &Member,
    rest: &str,
) -> Result<Outbound> {
    if member.role != Role::Owner {
        return Ok(text("Only the household's owner can invite people."));
    }
    let role = match rest.to_ascii_lowercase().as_str() {
        "" | "adult" => Role::Adult,
        "child" => Role::Child,
        "guest" => Role::Guest,
        other => {
            return Ok(text(format!(
                "/invite: \"{other}\" is not a role one can invite; usage: /invite [adult|child|guest], e.g. /invite child"
            )));
        }
    };
    let code = new_code()?;
    let expires = clock.now() + Duration::days(INVITE_DAYS);
    store
        .create_invite(member.household_id, member.id, role, code.expose(), expires)
        .await?;
    let until = expires
        .with_timezone(&member.timezone)
        .format("%a %-d %b %H:%M");
    Ok(text(format!(
        "Invite code for one {role}, valid until {until} ({}): {}\n\
         They send me: /start {}\nIt works once.",
        member.timezone,
        code.expose(),
        code.expose()
    )))
}

async fn forget(store: &DynStore, member: &Member, rest: &str) -> Result<Outbound> {
    if !rest.eq_ignore_ascii_case("confirm") {
        return Ok(text(
            "This erases what I remember about you: your saved notes, our conversations and \
             their summary. Reminders, habits and check-ins stay. Send /forget confirm to go ahead.",
        ));
    }
    let forgotten = store.forget_memory(member.scope()).await?;
    Ok(text(format!(
        "Done: I erased {} note(s), {} message(s) and {} summary(ies).",
        forgotten.notes, forgotten.messages, forgotten.summaries
    )))
}

async fn export(store: &DynStore, clock: &dyn Clock, member: &Member) -> Result<Outbound> {
    let data = crate::export_member(store.as_ref(), member.scope()).await?;
    let bytes = serde_json::to_vec_pretty(&data).map_err(|e| crate::Error::Io {
        context: "writing the export".to_owned(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let date = clock
        .now()
        .with_timezone(&member.timezone)
        .format("%Y-%m-%d");
    Ok(Outbound::Document {
        name: format!("fa-export-{date}.json"),
        caption: format!(
            "Everything I keep about you, {} — as of {}.",
            member.display_name,
            clock.now().format("%Y-%m-%d %H:%M UTC")
        ),
        bytes,
    })
}

async fn settings(store: &DynStore, member: &Member) -> Result<Outbound> {
    let unconfirmed = store.tools_without_confirmation(member.scope()).await?;
    let asking = if unconfirmed.is_empty() {
        "every tool that changes something asks you first".to_owned()
    } else {
        format!("these tools run without asking: {}", unconfirmed.join(", "))
    };
    Ok(text(format!(
        "Name: {}\nRole: {}\nTime zone: {} (change with /tz <zone>)\nLanguage: {}\nConfirmations: {asking} (change with /confirm)",
        member.display_name, member.role, member.timezone, member.locale
    )))
}
