//! Slash commands, parsed deterministically so the assistant works without a language model.
//!
//! A command is a message starting with `/`: a name (case-insensitive, optionally followed by
//! Telegram's `@BotName`), then arguments. Anything else is not a command.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::dates::{self, DateParseError, When};

/// The help text: one line per command with an example.
pub const HELP: &str = "\
/remind <when> <what>: set a reminder, e.g. /remind me tomorrow at 9 to call grandma
/reminders: list your upcoming reminders, e.g. /reminders
/cancel <n>: cancel reminder n of the last list, e.g. /cancel 2
/habit [new <name> [<n> per week] | done <name> | <name>]: list, create or tick off habits, e.g. /habit new stretch 3 per week
/checkin <mood 1-5> [note]: say how you feel, e.g. /checkin 4 slept well
/tz [zone]: show or set your time zone, e.g. /tz Europe/Berlin
/retry: answer the message kept while the model was offline, e.g. /retry
/confirm [on|off <tool>]: list tools that ask first, or stop / start asking, e.g. /confirm off remember
/settings: show your name, role, time zone and which tools ask first, e.g. /settings
/forget: erase what I remember about you (notes, our conversations), e.g. /forget
/export: get all your data as a file, e.g. /export
/invite [adult|child|guest]: (owner) a single-use code that lets someone join, e.g. /invite child
/help: show this help, e.g. /help";

/// The longest habit name accepted, in characters (the store's limit).
const MAX_HABIT_NAME_CHARS: usize = 200;
/// The longest check-in note accepted, in characters.
const MAX_NOTE_CHARS: usize = 2000;

const REMIND_USAGE: &str = "/remind <when> <what>, e.g. /remind me tomorrow at 9 to call grandma";
const REMINDERS_USAGE: &str = "/reminders";
const CANCEL_USAGE: &str = "/cancel <n>, e.g. /cancel 2 (the number from /reminders)";
const HABIT_USAGE: &str = "/habit, /habit new <name> [<n> per week], /habit done <name>, e.g. /habit new stretch 3 per week";
const CHECKIN_USAGE: &str = "/checkin <mood 1-5> [note], e.g. /checkin 4 slept well";
const TZ_USAGE: &str = "/tz or /tz <zone>, e.g. /tz Europe/Berlin";

/// A command a member typed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `/remind <sentence>`: "/remind me tomorrow at 9 to call grandma".
    Remind {
        /// When to remind.
        when: When,
        /// What to remind of.
        text: String,
    },
    /// `/reminders`: list upcoming reminders.
    Reminders,
    /// `/cancel <n>`: cancel the n-th reminder of the last list (1-based).
    Cancel {
        /// Position in the last list, from 1.
        index: u32,
    },
    /// `/habit` (list), `/habit new <name> [<n> per week|<n>/week]`, `/habit done <name>`,
    /// `/habit <name>` (= done).
    Habit(HabitCommand),
    /// `/checkin <mood 1-5> [note]`: "/checkin 4 slept well".
    CheckIn {
        /// Mood from 1 (very low) to 5 (very good).
        mood: u8,
        /// Anything said after the mood.
        note: Option<String>,
    },
    /// `/tz` (show) or `/tz Europe/Berlin` (set).
    Tz {
        /// The IANA zone to set, validated, in its canonical spelling; `None` to show.
        timezone: Option<String>,
    },
    /// `/help` or `/start`.
    Help,
}

/// Sub-commands of `/habit`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HabitCommand {
    /// `/habit` or `/habit list`.
    List,
    /// `/habit new <name> [<n> per week]`.
    Create {
        /// The habit's name as typed.
        name: String,
        /// The weekly goal, 1–100, if given.
        target_per_week: Option<u8>,
    },
    /// `/habit done <name>` or `/habit <name>`.
    Done {
        /// The habit's name as typed.
        name: String,
    },
}

/// Why a command was not understood: `Display` says what is wrong and shows the right usage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// No such command.
    #[error("there is no command /{command}; send /help to see the commands")]
    Unknown {
        /// The name as typed, lowercased, without the leading `/`.
        command: String,
    },
    /// The command exists but its arguments are wrong.
    #[error("/{command}: {problem}; usage: {usage}")]
    Usage {
        /// The command's name.
        command: &'static str,
        /// What is wrong.
        problem: String,
        /// How to use it, with an example.
        usage: &'static str,
    },
    /// `/remind` with a time that was not understood.
    #[error("/remind: {0}")]
    Date(#[from] DateParseError),
    /// `/tz` with a name that is not an IANA time zone.
    #[error(
        "/tz: \"{value}\" is not a time zone I know; give an IANA name such as Europe/Berlin or \
         America/New_York, e.g. /tz Europe/Berlin"
    )]
    TimeZone {
        /// The value given.
        value: String,
    },
}

fn usage(command: &'static str, problem: impl Into<String>, usage: &'static str) -> CommandError {
    CommandError::Usage {
        command,
        problem: problem.into(),
        usage,
    }
}

/// Parses `text` if it is a command (starts with '/'); Ok(None) if it is not a command.
/// Accepts Telegram's "/remind@MyBot ..." form (the @suffix is dropped). Command names are
/// case-insensitive. `now` and `tz` place `/remind`'s time.
pub fn parse_command(
    text: &str,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Option<Command>, CommandError> {
    let Some(body) = text.trim_start().strip_prefix('/') else {
        return Ok(None);
    };
    let (head, rest) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
    let rest = rest.trim();
    let name = head.split('@').next().unwrap_or(head).to_lowercase();
    let command = match name.as_str() {
        "remind" => {
            if rest.is_empty() {
                return Err(usage("remind", "say when and what", REMIND_USAGE));
            }
            let (when, text) = dates::parse_reminder(rest, now, tz)?;
            Command::Remind { when, text }
        }
        "reminders" => {
            if !rest.is_empty() {
                return Err(usage(
                    "reminders",
                    "it takes nothing after it",
                    REMINDERS_USAGE,
                ));
            }
            Command::Reminders
        }
        "cancel" => Command::Cancel {
            index: parse_index(rest)?,
        },
        "habit" | "habits" => Command::Habit(parse_habit(rest)?),
        "checkin" | "check_in" => parse_checkin(rest)?,
        "tz" | "timezone" => parse_tz(rest)?,
        "help" | "start" => Command::Help,
        _ => {
            return Err(CommandError::Unknown {
                command: name.chars().take(40).collect(),
            });
        }
    };
    Ok(Some(command))
}

fn parse_index(rest: &str) -> Result<u32, CommandError> {
    let digits = rest.strip_prefix('#').unwrap_or(rest);
    if rest.is_empty() {
        return Err(usage("cancel", "say which reminder", CANCEL_USAGE));
    }
    match digits.parse::<u32>() {
        Ok(0) => Err(usage(
            "cancel",
            "reminders are numbered from 1",
            CANCEL_USAGE,
        )),
        Ok(n) if digits.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(usage(
            "cancel",
            format!("\"{}\" is not a reminder number", clip(rest)),
            CANCEL_USAGE,
        )),
    }
}

fn parse_habit(rest: &str) -> Result<HabitCommand, CommandError> {
    let (verb, args) = rest
        .split_once(char::is_whitespace)
        .map_or((rest, ""), |(v, a)| (v, a.trim()));
    match verb.to_lowercase().as_str() {
        "" => Ok(HabitCommand::List),
        "list" if args.is_empty() => Ok(HabitCommand::List),
        "new" | "add" | "create" => {
            let (name, target_per_week) = split_target(args)?;
            Ok(HabitCommand::Create {
                name: habit_name(name, "new")?,
                target_per_week,
            })
        }
        "done" | "did" => Ok(HabitCommand::Done {
            name: habit_name(args, "done")?,
        }),
        _ => Ok(HabitCommand::Done {
            name: habit_name(rest, "done")?,
        }),
    }
}

fn habit_name(name: &str, verb: &str) -> Result<String, CommandError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(usage(
            "habit",
            format!("\"{verb}\" needs a habit name"),
            HABIT_USAGE,
        ));
    }
    if name.chars().count() > MAX_HABIT_NAME_CHARS {
        return Err(usage(
            "habit",
            format!("a habit name has at most {MAX_HABIT_NAME_CHARS} characters"),
            HABIT_USAGE,
        ));
    }
    Ok(name.to_owned())
}

/// Splits "stretch 3 per week" into ("stretch", Some(3)). The goal is only looked for at the
/// end, so a name may contain numbers ("run 5k").
fn split_target(args: &str) -> Result<(&str, Option<u8>), CommandError> {
    const SUFFIXES: [&str; 9] = [
        "times per week",
        "times a week",
        "x per week",
        "x a week",
        "per week",
        "a week",
        "x/week",
        "/week",
        "/wk",
    ];
    let lower = args.to_ascii_lowercase();
    let Some(suffix) = SUFFIXES.iter().find(|s| lower.ends_with(*s)) else {
        return Ok((args, None));
    };
    let head = args
        .get(..args.len() - suffix.len())
        .unwrap_or("")
        .trim_end();
    let digits_at = head
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let (name, digits) = head.split_at(digits_at);
    let separated = name.is_empty() || name.ends_with(char::is_whitespace);
    if digits.is_empty() || !separated {
        return Err(usage(
            "habit",
            "give the weekly goal as a number, e.g. 3 per week",
            HABIT_USAGE,
        ));
    }
    match digits.parse::<u8>() {
        Ok(n @ 1..=100) => Ok((name.trim_end(), Some(n))),
        _ => Err(usage(
            "habit",
            format!("the weekly goal must be 1 to 100, not {}", clip(digits)),
            HABIT_USAGE,
        )),
    }
}

fn parse_checkin(rest: &str) -> Result<Command, CommandError> {
    let (first, note) = rest
        .split_once(char::is_whitespace)
        .map_or((rest, ""), |(m, n)| (m, n.trim()));
    if first.is_empty() {
        return Err(usage(
            "checkin",
            "give your mood from 1 to 5",
            CHECKIN_USAGE,
        ));
    }
    let digits = first.strip_suffix("/5").unwrap_or(first);
    let mood = match digits.parse::<u8>() {
        Ok(m @ 1..=5) if digits.bytes().all(|b| b.is_ascii_digit()) => m,
        _ => {
            return Err(usage(
                "checkin",
                format!(
                    "the mood must be a number from 1 to 5, not \"{}\"",
                    clip(first)
                ),
                CHECKIN_USAGE,
            ));
        }
    };
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(usage(
            "checkin",
            format!("a note has at most {MAX_NOTE_CHARS} characters"),
            CHECKIN_USAGE,
        ));
    }
    Ok(Command::CheckIn {
        mood,
        note: (!note.is_empty()).then(|| note.to_owned()),
    })
}

fn parse_tz(rest: &str) -> Result<Command, CommandError> {
    if rest.is_empty() {
        return Ok(Command::Tz { timezone: None });
    }
    if rest.contains(char::is_whitespace) {
        return Err(usage("tz", "give one zone name, without spaces", TZ_USAGE));
    }
    match rest.parse::<Tz>() {
        Ok(tz) => Ok(Command::Tz {
            timezone: Some(tz.name().to_owned()),
        }),
        Err(_) => Err(CommandError::TimeZone { value: clip(rest) }),
    }
}

/// A value quoted in an error, cut so the message stays readable.
fn clip(value: &str) -> String {
    const MAX: usize = 40;
    if value.chars().count() <= MAX {
        return value.to_owned();
    }
    let mut cut: String = value.chars().take(MAX - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use proptest::prelude::*;

    const B: Tz = chrono_tz::Europe::Berlin;

    fn now() -> DateTime<Utc> {
        "2026-11-18T10:15:00Z".parse().unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    enum Want {
        NotCommand,
        Is(Command),
        Unknown(&'static str),
        Usage(&'static str),
        Date,
        TimeZone,
    }

    fn remind(at: &str, text: &str) -> Want {
        Want::Is(Command::Remind {
            when: When::Once(utc(at)),
            text: text.to_owned(),
        })
    }

    fn create(name: &str, target: Option<u8>) -> Want {
        Want::Is(Command::Habit(HabitCommand::Create {
            name: name.to_owned(),
            target_per_week: target,
        }))
    }

    fn done(name: &str) -> Want {
        Want::Is(Command::Habit(HabitCommand::Done {
            name: name.to_owned(),
        }))
    }

    fn checkin(mood: u8, note: Option<&str>) -> Want {
        Want::Is(Command::CheckIn {
            mood,
            note: note.map(str::to_owned),
        })
    }

    fn tz(zone: Option<&str>) -> Want {
        Want::Is(Command::Tz {
            timezone: zone.map(str::to_owned),
        })
    }

    #[rustfmt::skip]
    fn rows() -> Vec<(&'static str, Want)> {
        use Want::{Date, Is, NotCommand, TimeZone, Unknown, Usage};
        vec![
            ("hello there", NotCommand),
            ("", NotCommand),
            ("remind me /later", NotCommand),
            ("/remind me tomorrow at 9 to call grandma", remind("2026-11-19T08:00:00Z", "call grandma")),
            ("/remind@FamilyBot in 2 hours: check the oven", remind("2026-11-18T12:15:00Z", "check the oven")),
            ("  /REMIND to call grandma tomorrow at 9", remind("2026-11-19T08:00:00Z", "call grandma")),
            ("/remind every Monday at 8am take out the bins", Is(Command::Remind {
                when: When::Recurring {
                    rule: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0;BYSECOND=0".to_owned(),
                    start: "2026-11-23T08:00:00".parse().unwrap(),
                    first: utc("2026-11-23T07:00:00Z"),
                },
                text: "take out the bins".to_owned(),
            })),
            ("/remind", Usage("remind")),
            ("/remind me to call grandma", Date),
            ("/remind tomorrow at 9", Date),
            ("/reminders", Is(Command::Reminders)),
            ("/Reminders@FamilyBot", Is(Command::Reminders)),
            ("/reminders all", Usage("reminders")),
            ("/cancel 2", Is(Command::Cancel { index: 2 })),
            ("/cancel #3", Is(Command::Cancel { index: 3 })),
            ("/cancel", Usage("cancel")),
            ("/cancel 0", Usage("cancel")),
            ("/cancel two", Usage("cancel")),
            ("/cancel -1", Usage("cancel")),
            ("/cancel 99999999999", Usage("cancel")),
            ("/habit", Is(Command::Habit(HabitCommand::List))),
            ("/habit list", Is(Command::Habit(HabitCommand::List))),
            ("/habit new stretch", create("stretch", None)),
            ("/habit new Stretch 3 per week", create("Stretch", Some(3))),
            ("/habit add run 5k 2/week", create("run 5k", Some(2))),
            ("/habit new drink water 14 times a week", create("drink water", Some(14))),
            ("/habit new read 3x per week", create("read", Some(3))),
            ("/habit new read 0 per week", Usage("habit")),
            ("/habit new read 101 per week", Usage("habit")),
            ("/habit new", Usage("habit")),
            ("/habit new read many per week", Usage("habit")),
            ("/habit done stretch", done("stretch")),
            ("/habit Stretch", done("Stretch")),
            ("/habit done", Usage("habit")),
            ("/checkin 4 slept well", checkin(4, Some("slept well"))),
            ("/checkin 5", checkin(5, None)),
            ("/checkin 3/5  tired ", checkin(3, Some("tired"))),
            ("/checkin 6", Usage("checkin")),
            ("/checkin 0 bad", Usage("checkin")),
            ("/checkin great", Usage("checkin")),
            ("/checkin", Usage("checkin")),
            ("/tz", tz(None)),
            ("/tz Europe/Berlin", tz(Some("Europe/Berlin"))),
            ("/tz@FamilyBot America/New_York", tz(Some("America/New_York"))),
            ("/tz Mars/Olympus_Mons", TimeZone),
            ("/tz Europe / Berlin", Usage("tz")),
            ("/help", Is(Command::Help)),
            ("/start", Is(Command::Help)),
            ("/HELP@FamilyBot", Is(Command::Help)),
            ("/frobnicate now", Unknown("frobnicate")),
            ("/", Unknown("")),
        ]
    }

    #[test]
    fn command_table() {
        let rows = rows();
        assert!(rows.len() >= 25);
        let mut wrong = Vec::new();
        for (text, want) in &rows {
            let got = parse_command(text, now(), B);
            let ok = match (want, &got) {
                (Want::NotCommand, Ok(None)) => true,
                (Want::Is(command), Ok(Some(c))) => c == command,
                (Want::Unknown(name), Err(CommandError::Unknown { command })) => command == name,
                (Want::Usage(name), Err(CommandError::Usage { command, usage, .. })) => {
                    command == name && got.as_ref().unwrap_err().to_string().contains(usage)
                }
                (Want::Date, Err(CommandError::Date(_))) => true,
                (Want::TimeZone, Err(CommandError::TimeZone { value })) => got
                    .as_ref()
                    .unwrap_err()
                    .to_string()
                    .contains(value.as_str()),
                _ => false,
            };
            if !ok {
                wrong.push(format!("{text:?}: got {got:?}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn errors_read_as_sentences() {
        let err = |t: &str| parse_command(t, now(), B).unwrap_err().to_string();
        assert_eq!(
            err("/frobnicate"),
            "there is no command /frobnicate; send /help to see the commands"
        );
        assert_eq!(
            err("/checkin 7"),
            "/checkin: the mood must be a number from 1 to 5, not \"7\"; usage: /checkin \
             <mood 1-5> [note], e.g. /checkin 4 slept well"
        );
        assert!(err("/tz Europe/Berlni").contains("\"Europe/Berlni\""));
        assert!(err("/tz Europe/Berlni").contains("e.g. /tz Europe/Berlin"));
        assert!(err("/remind blorp").starts_with("/remind: could not find a time in \"blorp\""));
    }

    #[test]
    fn help_has_one_line_per_command_with_an_example() {
        let lines: Vec<&str> = HELP.lines().collect();
        for command in [
            "/remind",
            "/reminders",
            "/cancel",
            "/habit",
            "/checkin",
            "/tz",
            "/retry",
            "/confirm",
            "/settings",
            "/forget",
            "/export",
            "/invite",
            "/help",
        ] {
            let line = lines
                .iter()
                .find(|l| {
                    l.starts_with(&format!("{command} ")) || l.starts_with(&format!("{command}:"))
                })
                .unwrap_or_else(|| panic!("no line for {command}"));
            assert!(line.contains("e.g. /"), "{line}");
        }
        assert_eq!(lines.len(), 13);
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in any::<String>()) {
            let _ = parse_command(&text, now(), B);
            let _ = parse_command(&format!("/{text}"), now(), B);
        }

        #[test]
        fn command_like_text_never_panics(
            name in prop::sample::select(vec!["remind", "reminders", "cancel", "habit", "checkin", "tz", "help", "x"]),
            bot in "(@[A-Za-z]{0,8})?",
            args in "[ -~éü日]{0,60}",
        ) {
            let _ = parse_command(&format!("/{name}{bot} {args}"), now(), B);
        }
    }
}
