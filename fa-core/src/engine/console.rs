//! [`ConsoleChannel`]: a terminal chat, for trying fa on a fresh machine and for tests.

use std::collections::VecDeque;

use async_trait::async_trait;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;

use super::{Channel, Inbound, Outbound};
use crate::PendingActionId;
use crate::scheduler::{DeliveryError, Sent};

/// The chat id of the console's one chat.
pub const CONSOLE_CHAT: &str = "console";

struct Input {
    lines: Box<dyn AsyncBufRead + Send + Unpin>,
    queued: VecDeque<Inbound>,
}

/// A chat on a terminal (or any line reader and writer): each line read is a message from one
/// member, known on the `console` channel by `sender`; answers are written back. Pending actions
/// are confirmed by typing `yes` and cancelled with `no`.
pub struct ConsoleChannel {
    sender: String,
    input: Mutex<Input>,
    output: Mutex<Box<dyn AsyncWrite + Send + Unpin>>,
    shown: std::sync::Mutex<Vec<PendingActionId>>,
}

impl std::fmt::Debug for ConsoleChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleChannel")
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

impl ConsoleChannel {
    /// A console over any reader and writer, speaking for the member whose `console` identity is
    /// `sender`.
    pub fn new(
        reader: impl tokio::io::AsyncRead + Send + Unpin + 'static,
        writer: impl AsyncWrite + Send + Unpin + 'static,
        sender: impl Into<String>,
    ) -> Self {
        Self {
            sender: sender.into(),
            input: Mutex::new(Input {
                lines: Box::new(BufReader::new(reader)),
                queued: VecDeque::new(),
            }),
            output: Mutex::new(Box::new(writer)),
            shown: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// A console on the process's standard input and output.
    pub fn stdio(sender: impl Into<String>) -> Self {
        Self::new(tokio::io::stdin(), tokio::io::stdout(), sender)
    }

    async fn write(&self, text: &str) -> Result<(), DeliveryError> {
        let mut output = self.output.lock().await;
        output
            .write_all(text.as_bytes())
            .await
            .and(output.flush().await)
            .map_err(|e| DeliveryError::permanent(format!("console output closed: {}", e.kind())))
    }

    fn take_shown(&self) -> Vec<PendingActionId> {
        self.shown
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }
}

#[async_trait]
impl Channel for ConsoleChannel {
    fn name(&self) -> &str {
        "console"
    }

    async fn next(&self) -> Option<Inbound> {
        let mut input = self.input.lock().await;
        loop {
            if let Some(queued) = input.queued.pop_front() {
                return Some(queued);
            }
            let mut line = String::new();
            match input.lines.read_line(&mut line).await {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if line.eq_ignore_ascii_case("/quit") || line.eq_ignore_ascii_case("/exit") {
                return None;
            }
            let answer = match line.to_lowercase().as_str() {
                "yes" | "y" | "ok" | "confirm" => Some(true),
                "no" | "n" | "cancel" => Some(false),
                _ => None,
            };
            let shown = if answer.is_some() {
                self.take_shown()
            } else {
                Vec::new()
            };
            match answer {
                Some(confirm) if !shown.is_empty() => {
                    for action in shown {
                        input.queued.push_back(Inbound::answer(
                            CONSOLE_CHAT,
                            &self.sender,
                            action,
                            confirm,
                        ));
                    }
                }
                _ => return Some(Inbound::text(CONSOLE_CHAT, &self.sender, line)),
            }
        }
    }

    async fn send(&self, _chat_id: &str, message: Outbound) -> Result<Sent, DeliveryError> {
        let text = match message {
            Outbound::Text(text) => format!("{text}\n"),
            Outbound::Pending { text, actions } => {
                let mut out = format!("{text}\n");
                for (i, action) in actions.iter().enumerate() {
                    out.push_str(&format!("  [{}] {}\n", i + 1, action.summary));
                }
                out.push_str("Type yes to confirm or no to cancel.\n");
                if let Ok(mut shown) = self.shown.lock() {
                    *shown = actions.iter().map(|a| a.id).collect();
                }
                out
            }
            Outbound::Notification(notification) => format!("⏰ {}\n", notification.body),
            Outbound::Document {
                name,
                caption,
                bytes,
            } => format!(
                "{caption}\n--- {name} ({} bytes) ---\n{}\n--- end of {name} ---\n",
                bytes.len(),
                String::from_utf8_lossy(&bytes)
            ),
        };
        self.write(&text).await?;
        Ok(Sent::default())
    }
}
