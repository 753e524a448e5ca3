//! A small `text/event-stream` (server-sent events) reader: bytes in, events out.
//!
//! It follows the event-stream format of the HTML standard as far as chat completions need it:
//! lines end in `\n`, `\r\n` or `\r`; a blank line ends an event; `data:` lines are joined with
//! `\n`; `event:` names the event; lines starting with `:` are comments; other fields (`id:`,
//! `retry:`) are ignored. Bytes may arrive split anywhere, even inside a line ending or a UTF-8
//! character.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field, when the server named the event.
    pub(crate) event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub(crate) data: String,
}

/// Reads events out of a byte stream fed in pieces.
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    /// Bytes of the current, unfinished line.
    line: Vec<u8>,
    /// The last byte seen was a `\r`: a `\n` right after it belongs to the same line ending.
    after_cr: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Feeds the next bytes; returns the events they complete, in order.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        let mut start = 0;
        for (i, &byte) in bytes.iter().enumerate() {
            match byte {
                b'\n' if self.after_cr => {
                    // The `\n` of a `\r\n` whose `\r` already ended the line.
                    self.after_cr = false;
                    start = i + 1;
                }
                b'\n' | b'\r' => {
                    self.line.extend_from_slice(&bytes[start..i]);
                    start = i + 1;
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.process_line(&line) {
                        events.push(event);
                    }
                }
                _ => self.after_cr = false,
            }
        }
        self.line.extend_from_slice(&bytes[start..]);
        events
    }

    /// Ends the stream: returns an event left without its closing blank line, if it has data.
    /// (The standard drops such an event; servers that omit the last blank line are common
    /// enough that keeping it is the better trade.)
    pub(crate) fn finish(&mut self) -> Option<SseEvent> {
        let line = std::mem::take(&mut self.line);
        let mut event = None;
        if !line.is_empty() {
            event = self.process_line(&line);
        }
        event.or_else(|| self.dispatch())
    }

    fn process_line(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.first() == Some(&b':') {
            return None; // A comment (often a keep-alive).
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_owned()),
            _ => {} // id, retry, and anything unknown.
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        if !self.has_data {
            return None;
        }
        self.has_data = false;
        Some(SseEvent {
            event,
            data: std::mem::take(&mut self.data),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(text: &str) -> SseEvent {
        SseEvent {
            event: None,
            data: text.to_owned(),
        }
    }

    fn parse_in_pieces(body: &[u8], cuts: &[usize]) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        let mut start = 0;
        for &cut in cuts {
            events.extend(parser.push(&body[start..cut]));
            start = cut;
        }
        events.extend(parser.push(&body[start..]));
        events.extend(parser.finish());
        events
    }

    // A stream shaped like the chat completion chunks in OpenAI's API reference
    // (openai/openai-openapi, openapi.yaml, createChatCompletion "Streaming" example), with the
    // keep-alive comments, `\r\n` line endings and multi-line data the event-stream format allows,
    // and a non-ASCII character so a cut can fall inside it.
    const BODY: &str = concat!(
        ": keep-alive\r\n",
        "\r\n",
        "data: {\"id\":\"chatcmpl-123\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n",
        "\n",
        "id: 7\r\n",
        "retry: 1000\r\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Grüße\"},\"finish_reason\":null}]}\r\n",
        "\r\n",
        "event: error\n",
        "data: first\n",
        "data:second\n",
        "\n",
        "\n",
        ":another comment\r",
        "data: [DONE]\r",
        "\r",
    );

    fn expected() -> Vec<SseEvent> {
        vec![
            data(
                "{\"id\":\"chatcmpl-123\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}",
            ),
            data(
                "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Grüße\"},\"finish_reason\":null}]}",
            ),
            SseEvent {
                event: Some("error".to_owned()),
                data: "first\nsecond".to_owned(),
            },
            data("[DONE]"),
        ]
    }

    #[test]
    fn parses_a_whole_body() {
        assert_eq!(parse_in_pieces(BODY.as_bytes(), &[]), expected());
    }

    #[test]
    fn gives_the_same_events_whatever_byte_the_body_is_split_at() {
        let body = BODY.as_bytes();
        for cut in 0..=body.len() {
            assert_eq!(
                parse_in_pieces(body, &[cut]),
                expected(),
                "split at byte {cut}"
            );
        }
    }

    #[test]
    fn gives_the_same_events_when_fed_one_byte_at_a_time() {
        let body = BODY.as_bytes();
        let cuts: Vec<usize> = (1..body.len()).collect();
        assert_eq!(parse_in_pieces(body, &cuts), expected());
    }

    #[test]
    fn gives_the_same_events_split_at_every_pair_of_positions() {
        let body = BODY.as_bytes();
        for first in 0..=body.len() {
            for second in first..=body.len() {
                assert_eq!(parse_in_pieces(body, &[first, second]), expected());
            }
        }
    }

    #[test]
    fn keeps_a_last_event_without_its_blank_line() {
        assert_eq!(
            parse_in_pieces(b"data: a\n\ndata: [DONE]", &[]),
            vec![data("a"), data("[DONE]")]
        );
        assert_eq!(
            parse_in_pieces(b"data: [DONE]\n", &[]),
            vec![data("[DONE]")]
        );
    }

    #[test]
    fn ignores_events_without_data() {
        assert_eq!(
            parse_in_pieces(b"event: ping\n\n: hi\n\nid: 3\n\n", &[]),
            vec![]
        );
        // The event name does not leak into the next event.
        assert_eq!(
            parse_in_pieces(b"event: ping\n\ndata: x\n\n", &[]),
            vec![data("x")]
        );
    }

    #[test]
    fn a_field_without_colon_or_space_is_read_as_the_standard_says() {
        // `data` alone is an empty data line; `data:x` has no space to strip.
        assert_eq!(parse_in_pieces(b"data\ndata:x\n\n", &[]), vec![data("\nx")]);
    }
}
