//! Finds the time phrase inside a reminder sentence.
//!
//! Every span of up to [`MAX_SPAN_TOKENS`] tokens that starts and ends on a word boundary is
//! read with the sentence grammar (where a bare number is not a time, so "buy 2 eggs" has no
//! time in it). Spans the grammar does not read as a time are dropped; of the rest, a span at
//! either end of the sentence (after a leading "me", "to", "that") beats one in the middle, then
//! the longer span wins, then one that works beats one that fails, then the earlier one. A span
//! that reads as a time but cannot be used ("today at 9am" at 10:00) is reported as such, so a
//! member hears why rather than "no time found". The cap on span length keeps the search
//! linear in the sentence's length.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::error::{DateErrorKind, DateParseError, Fail};
use super::grammar::{self, Mode};
use super::lexer::{self, Token};
use super::{When, resolve_spec};

/// The longest time phrase looked for, in tokens ("every monday, wednesday and friday at 7:30
/// pm" is 11).
const MAX_SPAN_TOKENS: usize = 16;

/// Words a reminder sentence may start with before its content.
const FILLERS: [&str; 3] = ["me", "to", "that"];

/// Punctuation that may stand between a time phrase and the text around it.
const EDGE_PUNCT: &[char] = &[',', ';', ':', '!', '?', '(', ')', '"', '\'', '.', '-'];

struct Candidate {
    start: usize,
    end: usize,
    score: (bool, usize, bool),
    outcome: Result<When, Fail>,
}

pub(super) fn parse(
    sentence: &str,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<(When, String), DateParseError> {
    let tokens = lexer::lex(sentence);
    let first = tokens
        .iter()
        .position(|t| !t.is_any_punct() && !t.word().is_some_and(|w| FILLERS.contains(&w)))
        .unwrap_or(tokens.len());
    let last = tokens
        .iter()
        .rposition(|t| !t.is_any_punct())
        .map_or(0, |p| p + 1);
    let mut best: Option<Candidate> = None;
    for start in 0..tokens.len() {
        if !can_start(&tokens, start) {
            continue;
        }
        // A grammar error stops reading at the piece that failed, so longer spans from the same
        // start fail alike; only the shortest is kept, to quote just the faulty words.
        let mut last_failure: Option<Fail> = None;
        for end in start + 1..=(start + MAX_SPAN_TOKENS).min(tokens.len()) {
            let Some(span) = tokens.get(start..end) else {
                break;
            };
            if !can_end(&tokens, end) {
                continue;
            }
            let outcome =
                grammar::parse(span, Mode::Sentence).and_then(|spec| resolve_spec(&spec, now, tz));
            if let Err(fail) = &outcome {
                if fail.is_syntax() || last_failure.as_ref() == Some(fail) {
                    continue;
                }
                last_failure = Some(fail.clone());
            }
            let score = (start == first || end == last, end - start, outcome.is_ok());
            if best.as_ref().is_none_or(|b| score > b.score) {
                best = Some(Candidate {
                    start,
                    end,
                    score,
                    outcome,
                });
            }
        }
    }
    let Some(best) = best else {
        return Err(
            Fail::new(DateErrorKind::NoTime, "it has no day or time I can read").at(sentence),
        );
    };
    let (from, to) = match (
        tokens.get(best.start),
        best.end.checked_sub(1).and_then(|e| tokens.get(e)),
    ) {
        (Some(a), Some(b)) => (a.start, b.end),
        _ => (0, sentence.len()),
    };
    let phrase = sentence.get(from..to).unwrap_or(sentence);
    let when = best.outcome.map_err(|f| f.at(phrase))?;
    let text = text_around(
        sentence.get(..from).unwrap_or(""),
        sentence.get(to..).unwrap_or(""),
    );
    if text.is_empty() {
        return Err(Fail::new(
            DateErrorKind::NoText,
            "has a time but nothing to be reminded of",
        )
        .at(sentence));
    }
    Ok((when, text))
}

/// A span may start at a token that is not punctuation ("@" aside) and is not glued to the
/// token before it, unless by punctuation that separates ("tomorrow,call").
fn can_start(tokens: &[Token], i: usize) -> bool {
    let Some(t) = tokens.get(i) else { return false };
    if t.is_any_punct() && !t.is_punct('@') {
        return false;
    }
    match i.checked_sub(1).and_then(|p| tokens.get(p)) {
        None => true,
        Some(prev) => prev.end < t.start || EDGE_PUNCT.iter().any(|c| prev.is_punct(*c)),
    }
}

/// A span may end after a token that is not punctuation and is not glued to the next one.
fn can_end(tokens: &[Token], end: usize) -> bool {
    let Some(last) = end.checked_sub(1).and_then(|e| tokens.get(e)) else {
        return false;
    };
    if last.is_any_punct() {
        return false;
    }
    match tokens.get(end) {
        None => true,
        Some(next) => last.end < next.start || EDGE_PUNCT.iter().any(|c| next.is_punct(*c)),
    }
}

/// The text before and after the time phrase, joined, without the leading "me", "to", "that",
/// ":" and "-" and without trailing punctuation.
fn text_around(before: &str, after: &str) -> String {
    let sep = |c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '–' | '—');
    let before = before.trim_end_matches(sep).trim_start();
    let after = after.trim_start_matches(sep).trim_end();
    let joined = match (before.is_empty(), after.is_empty()) {
        (false, false) => format!("{before} {after}"),
        (false, true) => before.to_owned(),
        _ => after.to_owned(),
    };
    let trailing =
        |c: char| c.is_whitespace() || matches!(c, '.' | '!' | '?' | ',' | ';' | ':' | '-');
    strip_fillers(&joined).trim_end_matches(trailing).to_owned()
}

fn strip_fillers(mut text: &str) -> &str {
    loop {
        text = text.trim_start_matches(|c: char| {
            c.is_whitespace() || matches!(c, ':' | '-' | ',' | ';' | '–' | '—')
        });
        let rest = FILLERS.iter().find_map(|w| {
            let head = text.get(..w.len())?;
            let rest = text.get(w.len()..)?;
            let boundary = rest
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace() || matches!(c, ':' | '-' | ','));
            (head.eq_ignore_ascii_case(w) && boundary).then_some(rest)
        });
        match rest {
            Some(rest) => text = rest,
            None => return text,
        }
    }
}
