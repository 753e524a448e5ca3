//! Tool calls that local models write as text in the message content instead of in the
//! structured `tool_calls` field.
//!
//! Shapes recognised, with the public reports they come from:
//!
//! | shape | seen in |
//! |---|---|
//! | bare `{"name": …, "arguments"/"parameters": …}`, one or several, `;`-separated | sgomez/ollama-ai-provider#11, ollama/ollama#13519, atwmarshall/dead-reckoning#30 |
//! | `{"type": "function", "function": {…}}` and flat `{"type": "function", "name": …}` | vllm-project/vllm#11786, vllm-project/vllm#46863 |
//! | the above in ```` ```json ```` fences | ollama/ollama#13519 |
//! | `<tool_call>{…}</tool_call>` (Hermes, Qwen), `<tool_calls>`, `<function_call>` (Qwen2.5) | jundot/omlx#2565, NousResearch/hermes-agent#35129, UKGovernmentBEIS/inspect_ai#1871, thinking-machines-lab/tinker-cookbook#58 |
//! | `<tool_call><function=n><parameter=p>v</parameter></function></tool_call>` (Qwen3-Coder, Qwen3.5) | AtomicBot-ai/atomic-agent#105, ggml-org/llama.cpp#24202 |
//! | `<\|python_tag\|>{…}` and bare JSON ending in `<\|eom_id\|>`/`<\|eot_id\|>` (Llama 3.x) | raullenchai/Rapid-MLX#700, unslothai/unsloth#5620, waybarrios/vllm-mlx#580 |
//! | `<function=name>{…}</function>` (Llama 3.1 custom format) | waybarrios/vllm-mlx#580, NousResearch/hermes-agent#35129 |
//! | `[TOOL_CALLS] [{…}]`, `[TOOL_CALLS]name[ARGS]{…}` (Mistral, Devstral) | ml-explore/mlx-lm#1374, #1643, #1448, raullenchai/Rapid-MLX#1071 |
//! | `arguments` given as a JSON string | ml-explore/mlx-lm#1393 |
//! | prose before the call | vllm-project/vllm#22917 |

use serde_json::{Map, Value};

use super::ToolCall;
use shape::{Candidate, MAX_NAME, Trust, arguments, candidates, parameter_value, valid_name};

/// Only this much of a message is searched: a call is written at the start or right after a
/// short preamble, and a bound keeps a pathological message from costing much.
const SCAN_LIMIT: usize = 64 * 1024;
/// JSON parses that may fail (or be thrown away) per message. Each costs at most
/// [`SCAN_LIMIT`] bytes, so this bounds the work on inputs full of brackets.
const PARSE_BUDGET: u32 = 128;
const END_TOKENS: [&str; 2] = ["<|eom_id|>", "<|eot_id|>"];
const TAGS: [(&str, &str); 3] = [
    ("<tool_call>", "</tool_call>"),
    ("<tool_calls>", "</tool_calls>"),
    ("<function_call>", "</function_call>"),
];

/// What [`scan_text_tool_calls`] found in a message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextToolCalls {
    /// Calls to known tools, with ids `text_call_0`, `text_call_1`, … in order of appearance.
    pub calls: Vec<ToolCall>,
    /// Names of tools that were called but are not known, in order of appearance.
    pub unknown: Vec<String>,
    /// The content with every recognised call (known or not) removed, trimmed; the content
    /// unchanged when nothing was recognised.
    pub remaining_text: String,
}

/// Tool calls a model wrote as text. Returns the calls found (only for names in `known_tools`)
/// and the content with those calls removed (trimmed). Returns an empty Vec and the content
/// unchanged when there are none.
///
/// Calls to names outside `known_tools` are taken out of the text as well, so raw call syntax
/// never reaches the member; [`scan_text_tool_calls`] reports their names.
pub fn recover_text_tool_calls(content: &str, known_tools: &[&str]) -> (Vec<ToolCall>, String) {
    let found = scan_text_tool_calls(content, known_tools);
    (found.calls, found.remaining_text)
}

/// Like [`recover_text_tool_calls`], but also reports calls to names not in `known_tools` (they
/// are removed from the text too).
pub fn scan_text_tool_calls(content: &str, known_tools: &[&str]) -> TextToolCalls {
    let mut limit = content.len().min(SCAN_LIMIT);
    while !content.is_char_boundary(limit) {
        limit -= 1;
    }
    let mut scanner = Scanner::new(content.get(..limit).unwrap_or(""));
    scanner.run();
    if scanner.spans.is_empty() {
        return TextToolCalls {
            remaining_text: content.to_owned(),
            ..TextToolCalls::default()
        };
    }
    let mut found = TextToolCalls {
        remaining_text: stitch(content, &scanner.spans),
        ..TextToolCalls::default()
    };
    for candidate in scanner.spans.into_iter().flat_map(|span| span.calls) {
        if known_tools.contains(&candidate.name.as_str()) {
            found.calls.push(ToolCall {
                id: format!("text_call_{}", found.calls.len()),
                name: candidate.name,
                arguments: candidate.arguments,
            });
        } else {
            found.unknown.push(candidate.name);
        }
    }
    found
}

struct Span {
    start: usize,
    end: usize,
    calls: Vec<Candidate>,
}

/// Remembers where the next closing marker is, so that many opening markers without a close do
/// not make every lookup rescan the rest of the text.
struct Finder {
    needle: &'static str,
    next: Option<usize>,
    none_from: Option<usize>,
}

impl Finder {
    fn new(needle: &'static str) -> Self {
        Self {
            needle,
            next: None,
            none_from: None,
        }
    }

    fn find(&mut self, text: &str, from: usize) -> Option<usize> {
        if let Some(next) = self.next.filter(|&next| next >= from) {
            return Some(next);
        }
        if self.none_from.is_some_and(|none_from| from >= none_from) {
            return None;
        }
        match text.get(from..).and_then(|rest| rest.find(self.needle)) {
            Some(at) => self.next = Some(from + at),
            None => self.none_from = Some(from),
        }
        self.next.filter(|&next| next >= from)
    }
}

enum Step {
    Call(usize, Vec<Candidate>),
    Skip(usize),
    Nothing,
}

struct Scanner<'a> {
    text: &'a str,
    budget: u32,
    spans: Vec<Span>,
    closers: [Finder; 3],
    fence: Finder,
    parameter_end: Finder,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            budget: PARSE_BUDGET,
            spans: Vec::new(),
            closers: TAGS.map(|(_, close)| Finder::new(close)),
            fence: Finder::new("```"),
            parameter_end: Finder::new("</parameter>"),
        }
    }

    fn run(&mut self) {
        let bytes = self.text.as_bytes();
        let mut at = 0;
        while self.budget > 0 {
            let Some(offset) = bytes
                .get(at..)
                .and_then(|rest| rest.iter().position(|b| b"<[{`".contains(b)))
            else {
                break;
            };
            at += offset;
            match self.step(at) {
                Step::Call(end, calls) => {
                    let end = self.end_tokens(end);
                    self.spans.push(Span {
                        start: at,
                        end,
                        calls,
                    });
                    at = end;
                }
                Step::Skip(end) => at = end.max(at + 1),
                Step::Nothing => at += 1,
            }
        }
    }

    fn step(&mut self, at: usize) -> Step {
        let rest = self.text.get(at..).unwrap_or("");
        let result = if let Some(tag) = TAGS.iter().position(|(open, _)| rest.starts_with(open)) {
            self.tagged(at, tag)
        } else if rest.starts_with("<|python_tag|>") {
            self.items(
                at + "<|python_tag|>".len(),
                self.text.len(),
                Trust::Tagged,
                false,
            )
        } else if rest.starts_with("<function=") {
            self.function_block(at, self.text.len())
                .map(|(end, call)| (end, vec![call]))
        } else if rest.starts_with("[TOOL_CALLS]") {
            self.mistral(at + "[TOOL_CALLS]".len())
        } else if rest.starts_with("```") {
            return self.fenced(at);
        } else if rest.starts_with('{') || rest.starts_with('[') {
            return self.bare(at);
        } else {
            return Step::Nothing;
        };
        match result {
            Some((end, calls)) if !calls.is_empty() => Step::Call(end, calls),
            _ => {
                self.budget = self.budget.saturating_sub(1);
                Step::Nothing
            }
        }
    }

    /// `<tool_call>…</tool_call>` and its kin. The close is optional, as a model stopped by its
    /// end-of-turn token may not write it; an unclosed tag ends where its calls end.
    fn tagged(&mut self, at: usize, tag: usize) -> Option<(usize, Vec<Candidate>)> {
        let (open, close) = TAGS.get(tag)?;
        let body = at + open.len();
        let Some(close_at) = self.closers.get_mut(tag)?.find(self.text, body) else {
            return self.items(body, self.text.len(), Trust::Tagged, true);
        };
        let (end, calls) = self.items(body, close_at, Trust::Tagged, true)?;
        if self.skip_separators(end) < close_at {
            return None;
        }
        Some((close_at + close.len(), calls))
    }

    /// JSON calls (and, when `functions`, `<function=…>` blocks) one after another from `at`,
    /// separated by whitespace, `,` or `;`.
    fn items(
        &mut self,
        at: usize,
        limit: usize,
        trust: Trust,
        functions: bool,
    ) -> Option<(usize, Vec<Candidate>)> {
        let mut calls = Vec::new();
        let mut end = at;
        loop {
            let next = self.skip_separators(end);
            if next >= limit {
                break;
            }
            let rest = self.text.get(next..limit).unwrap_or("");
            if rest.starts_with('{') || rest.starts_with('[') {
                let (value, value_end) = self.json_at(next, limit)?;
                calls.extend(candidates(value, trust)?);
                end = value_end;
            } else if functions && rest.starts_with("<function=") {
                let (block_end, call) = self.function_block(next, limit)?;
                calls.push(call);
                end = block_end;
            } else {
                break;
            }
        }
        Some((end, calls))
    }

    /// `<function=name>{…}</function>`, or the XML form with `<parameter=p>v</parameter>`.
    fn function_block(&mut self, at: usize, limit: usize) -> Option<(usize, Candidate)> {
        let name_at = at + "<function=".len();
        let name_len = self.name_len(name_at, limit)?;
        let name = self.text.get(name_at..name_at + name_len)?.trim();
        if !valid_name(name, Trust::Tagged) {
            return None;
        }
        let name = name.to_owned();
        let mut next = self.skip_ws(name_at + name_len + 1);
        if self.text.get(next..limit)?.starts_with('{') {
            let (value, value_end) = self.json_at(next, limit)?;
            let arguments = arguments(Some(value), Trust::Tagged)?;
            let close_at = self.skip_ws(value_end);
            let end = match self.text.get(close_at..limit) {
                Some(rest) if rest.starts_with("</function>") => close_at + "</function>".len(),
                _ => value_end,
            };
            return Some((end, Candidate { name, arguments }));
        }
        let mut parameters = Map::new();
        loop {
            let rest = self.text.get(next..limit)?;
            if rest.starts_with("</function>") {
                let arguments = Value::Object(parameters);
                return Some((next + "</function>".len(), Candidate { name, arguments }));
            }
            let key_at = next + "<parameter=".len();
            if !rest.starts_with("<parameter=") {
                return None;
            }
            let key_len = self.name_len(key_at, limit)?;
            let key = self.text.get(key_at..key_at + key_len)?.trim();
            let value_at = key_at + key_len + 1;
            let value_end = self.parameter_end.find(self.text, value_at)?;
            if key.is_empty() || key.len() > MAX_NAME || value_end > limit {
                return None;
            }
            let value = self.text.get(value_at..value_end)?;
            parameters.insert(key.to_owned(), parameter_value(value));
            next = self.skip_ws(value_end + "</parameter>".len());
        }
    }

    /// After `[TOOL_CALLS]`: a JSON list (Mistral 7B v0.3, Nemo, Small) or `name[ARGS]{…}` /
    /// `name{…}` (Mistral v11+ tokenizers, Devstral).
    fn mistral(&mut self, at: usize) -> Option<(usize, Vec<Candidate>)> {
        let at = self.skip_ws(at);
        let rest = self.text.get(at..)?;
        if rest.starts_with('[') || rest.starts_with('{') {
            return self.items(at, self.text.len(), Trust::Tagged, false);
        }
        let name_len = rest
            .bytes()
            .take(MAX_NAME + 1)
            .position(|b| !(b.is_ascii_alphanumeric() || b"_-.".contains(&b)))?;
        let name = rest.get(..name_len)?;
        let mut args_at = at + name_len;
        if self.text.get(args_at..)?.starts_with("[ARGS]") {
            args_at += "[ARGS]".len();
        }
        let args_at = self.skip_ws(args_at);
        if !valid_name(name, Trust::Tagged) || !self.text.get(args_at..)?.starts_with('{') {
            return None;
        }
        let (value, end) = self.json_at(args_at, self.text.len())?;
        let arguments = arguments(Some(value), Trust::Tagged)?;
        let name = name.to_owned();
        Some((end, vec![Candidate { name, arguments }]))
    }

    /// A fenced block is a call only when all it holds is calls; any other block is code the
    /// model meant to show, so nothing inside it is touched.
    fn fenced(&mut self, at: usize) -> Step {
        let info_at = at + "```".len();
        let info_len =
            self.skip_while(info_at, |b| b.is_ascii_alphanumeric() || b"_-".contains(&b)) - info_at;
        let body = info_at + info_len;
        let Some(close_at) = self.fence.find(self.text, body) else {
            return Step::Nothing;
        };
        let end = close_at + "```".len();
        match self.items(body, close_at, Trust::Bare, false) {
            Some((items_end, calls))
                if !calls.is_empty() && self.skip_separators(items_end) >= close_at =>
            {
                Step::Call(end, calls)
            }
            _ => Step::Skip(end),
        }
    }

    /// Untagged JSON. Any well-formed value is skipped whole, so brackets inside it are never
    /// tried again; that keeps the scan linear.
    fn bare(&mut self, at: usize) -> Step {
        let bytes = self.text.as_bytes();
        let opener = bytes.get(at).copied();
        let first = bytes.get(self.skip_ws(at + 1)).copied();
        let plausible = matches!(
            (opener, first),
            (Some(b'{'), Some(b'"')) | (Some(b'['), Some(b'{'))
        );
        if !plausible {
            return Step::Nothing;
        }
        match self.json_at(at, self.text.len()) {
            Some((value, end)) => match candidates(value, Trust::Bare) {
                Some(calls) => Step::Call(end, calls),
                None => Step::Skip(end),
            },
            None => Step::Nothing,
        }
    }

    fn json_at(&mut self, at: usize, limit: usize) -> Option<(Value, usize)> {
        if self.budget == 0 {
            return None;
        }
        let text = self.text.get(at..limit)?;
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        match stream.next() {
            Some(Ok(value)) => Some((value, at + stream.byte_offset())),
            _ => {
                self.budget -= 1;
                None
            }
        }
    }

    /// Where the `>` closing a tag's name is, looked for only as far as a name may reach.
    fn name_len(&self, at: usize, limit: usize) -> Option<usize> {
        let rest = self.text.as_bytes().get(at..limit)?;
        rest.iter().take(MAX_NAME + 1).position(|&b| b == b'>')
    }

    /// Llama's end-of-message tokens that follow a call belong to it.
    fn end_tokens(&self, mut end: usize) -> usize {
        loop {
            let next = self.skip_ws(end);
            let rest = self.text.get(next..).unwrap_or("");
            match END_TOKENS.iter().find(|token| rest.starts_with(**token)) {
                Some(token) => end = next + token.len(),
                None => return end,
            }
        }
    }

    fn skip_ws(&self, at: usize) -> usize {
        self.skip_while(at, |b| b.is_ascii_whitespace())
    }

    fn skip_separators(&self, at: usize) -> usize {
        self.skip_while(at, |b| b.is_ascii_whitespace() || b == b',' || b == b';')
    }

    fn skip_while(&self, at: usize, keep: impl Fn(u8) -> bool) -> usize {
        let rest = self.text.as_bytes().get(at..).unwrap_or(&[]);
        at + rest.iter().take_while(|b| keep(**b)).count()
    }
}

/// The content without the spans, with the text around each span joined by one space or, where
/// the span stood on its own line, a newline. Separators left between two calls go too.
fn stitch(content: &str, spans: &[Span]) -> String {
    let mut pieces = Vec::with_capacity(spans.len() + 1);
    let mut from = 0;
    for span in spans {
        pieces.push(content.get(from..span.start).unwrap_or(""));
        from = span.end;
    }
    pieces.push(content.get(from..).unwrap_or(""));

    let mut out = String::new();
    let mut newline = false;
    for piece in pieces {
        let trimmed = piece.trim();
        if trimmed.chars().all(|c| c == ';' || c == ',') {
            newline |= piece.contains('\n');
            continue;
        }
        let leading = piece
            .get(..piece.len() - piece.trim_start().len())
            .unwrap_or("");
        if !out.is_empty() {
            out.push_str(if newline || leading.contains('\n') {
                "\n"
            } else {
                " "
            });
        }
        out.push_str(trimmed);
        newline = piece
            .get(piece.trim_end().len()..)
            .unwrap_or("")
            .contains('\n');
    }
    out
}

mod shape;
#[cfg(test)]
mod tests;
