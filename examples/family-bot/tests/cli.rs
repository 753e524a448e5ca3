//! The reference bot, run as a newcomer would: first run, second run, bad configuration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

fn run(data_dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_family-bot"));
    cmd.arg("--data-dir").arg(data_dir);
    for name in [
        "FA_MASTER_KEY",
        "FA_MASTER_KEY_FILE",
        "FA_MASTER_KEY_PREVIOUS",
        "TELEGRAM_BOT_TOKEN",
        "TZ",
    ] {
        cmd.env_remove(name);
    }
    cmd.env("FA_OWNER_NAME", "Alex")
        .env("FA_TIMEZONE", "Europe/Berlin");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn first_run_sets_up_and_second_run_reuses() {
    let dir = tempfile::tempdir().unwrap();
    let first = run(dir.path(), &[]);
    assert!(first.status.success(), "{first:?}");
    let text = stdout(&first);
    assert!(
        text.contains("created household \"Home\" with owner Alex"),
        "{text}"
    );
    let schema = format!("schema v{}", fa_core::SCHEMA_VERSION);
    assert!(text.contains(&schema), "{text}");
    assert!(text.contains("new: written to"), "{text}");
    assert!(text.contains("Alex (owner, Europe/Berlin, en)"), "{text}");
    let key_file = dir.path().join("master.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert!(!text.contains(key.trim()), "the key was printed");

    let second = run(dir.path(), &[]);
    assert!(second.status.success(), "{second:?}");
    let again = stdout(&second);
    assert!(!again.contains("created household"), "{again}");
    assert!(
        again.contains("household: \"Home\" with 1 member(s)"),
        "{again}"
    );
    assert!(
        again.contains(&format!("(from {})", key_file.display())),
        "{again}"
    );
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key);
}

#[test]
fn a_malformed_master_key_stops_with_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &[("FA_MASTER_KEY", "c2hvcnQ=")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("FA_MASTER_KEY") && err.contains("exactly 32"),
        "{err}"
    );
    assert!(
        !dir.path().join("fa.db").exists(),
        "nothing should be created on a bad key"
    );
}

#[test]
fn a_garbage_database_stops_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fa.db"), vec![0x5a; 4096]).unwrap();
    let out = run(dir.path(), &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a usable fa database"), "{err}");
}

/// Runs the bot with `lines` typed into its console chat, without a model (Ollama's address is
/// a closed local port).
fn chat(data_dir: &Path, lines: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_family-bot"));
    cmd.arg("--data-dir").arg(data_dir);
    for name in [
        "FA_MASTER_KEY",
        "FA_MASTER_KEY_FILE",
        "TELEGRAM_BOT_TOKEN",
        "TZ",
        "FA_OPENAI_BASE_URL",
    ] {
        cmd.env_remove(name);
    }
    let mut child = cmd
        .env("FA_OWNER_NAME", "Alex")
        .env("FA_TIMEZONE", "Europe/Berlin")
        .env("OLLAMA_HOST", format!("127.0.0.1:{port}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_console_chat_sets_and_lists_a_reminder_offline() {
    let dir = tempfile::tempdir().unwrap();
    let out = chat(
        dir.path(),
        "/remind me tomorrow at 9 to call grandma\n/reminders\n/quit\n",
    );
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(
        text.contains("model:     offline for now — cannot reach Ollama"),
        "{text}"
    );
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let tomorrow = (chrono::Utc::now().with_timezone(&berlin) + chrono::Duration::days(1))
        .format("%a %-d %b")
        .to_string();
    assert!(
        text.contains(&format!(
            "Reminder set for {tomorrow} 09:00 (Europe/Berlin): call grandma"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("1. {tomorrow} 09:00 — call grandma")),
        "{text}"
    );
    // The reminder is kept: a second run lists it again.
    let again = stdout(&chat(dir.path(), "/reminders\n"));
    assert!(
        again.contains(&format!("1. {tomorrow} 09:00 — call grandma")),
        "{again}"
    );
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(
        !logs.contains("grandma"),
        "message text in the logs: {logs}"
    );
}
