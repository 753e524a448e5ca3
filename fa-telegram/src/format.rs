//! Telegram text formatting: MarkdownV2 escaping, and splitting long texts
//! into messages that each fit Telegram's length limit.
//!
//! Lengths are counted the way Telegram counts them: in UTF-16 code units
//! (an emoji outside the Basic Multilingual Plane counts as two).

/// The most UTF-16 code units a message's text may have, counted after
/// entity parsing (so MarkdownV2 escapes and markup do not count, but the
/// text they leave does).
// Source: https://core.telegram.org/bots/api#sendmessage
// ("Text of the message to be sent, 1-4096 characters after entities parsing").
pub const MESSAGE_LIMIT: usize = 4096;

/// The smallest limit the splitters honour: every `char` costs at most two
/// UTF-16 code units (a surrogate pair), and an escaped special character is
/// also two units (`\` plus the character), so a limit of two always lets at
/// least one character through. Smaller limits are raised to this.
const MIN_LIMIT: usize = 2;

/// Whether `c` must be escaped with a backslash in MarkdownV2 text outside
/// entities.
// Source: https://core.telegram.org/bots/api#markdownv2-style
// ("In all other places characters '_', '*', '[', ']', '(', ')', '~', '`',
// '>', '#', '+', '-', '=', '|', '{', '}', '.', '!' must be escaped with the
// preceding character '\'", and "'\' character ... must be escaped").
fn is_markdown_v2_special(c: char) -> bool {
    matches!(
        c,
        '_' | '*'
            | '['
            | ']'
            | '('
            | ')'
            | '~'
            | '`'
            | '>'
            | '#'
            | '+'
            | '-'
            | '='
            | '|'
            | '{'
            | '}'
            | '.'
            | '!'
            | '\\'
    )
}

/// Escapes `text` so that Telegram shows it literally when sent with
/// `parse_mode = MarkdownV2`, outside any entity.
///
/// Every character MarkdownV2 reserves (`_ * [ ] ( ) ~ ` > # + - = | { } . !`)
/// and the backslash itself is preceded by a backslash; everything else is
/// left alone. See <https://core.telegram.org/bots/api#markdownv2-style>.
///
/// The result may be up to twice as long as `text`; use
/// [`render_markdown_v2`] to get chunks that fit [`MESSAGE_LIMIT`].
pub fn escape_markdown_v2(text: &str) -> String {
    escape_with(text, is_markdown_v2_special)
}

/// Escapes `text` for use inside a MarkdownV2 `pre` or `code` entity, where
/// only the backtick and the backslash must be escaped.
///
/// See <https://core.telegram.org/bots/api#markdownv2-style> ("Inside `pre`
/// and `code` entities, all '`' and '\' characters must be escaped").
pub fn escape_markdown_v2_code(text: &str) -> String {
    escape_with(text, |c| matches!(c, '`' | '\\'))
}

fn escape_with(text: &str, needs_escape: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Splits plain text into chunks of at most `limit` UTF-16 code units each,
/// ready to be sent as separate messages (pass [`MESSAGE_LIMIT`] for
/// Telegram's own limit).
///
/// A chunk ends, in order of preference, at a blank line (paragraph break),
/// at a line break, at a space, and only when a stretch of `limit` units has
/// none of those, at a character boundary (never inside a surrogate pair, and
/// where possible not between a character and the combining mark, variation
/// selector, skin-tone modifier or zero-width joiner that goes with it).
/// A paragraph or line break is preferred over a later, weaker break only if
/// it still leaves the chunk at least half of `limit`; otherwise the latest
/// break of any kind is used, so chunks do not come out needlessly short.
///
/// Whitespace at a split point is dropped (Telegram trims it anyway); no
/// other character is lost or reordered, and a text that fits is returned
/// unchanged as the only chunk. Chunks are never empty or whitespace-only, so
/// an empty or whitespace-only text gives no chunks. A `limit` below 2 is
/// treated as 2, so that every character fits in some chunk.
pub fn split_message(text: &str, limit: usize) -> Vec<String> {
    split_by_cost(text, limit, char::len_utf16)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// Splits plain text as [`split_message`] does and escapes each chunk with
/// [`escape_markdown_v2`], so that every returned chunk is at most `limit`
/// UTF-16 code units long *after* escaping and is valid MarkdownV2 on its own
/// (escapes are never split from the character they escape).
///
/// The split is made on the escaped length, so a text dense with special
/// characters gives more, shorter chunks. Send each chunk with
/// `parse_mode = MarkdownV2`. A `limit` below 2 is treated as 2.
pub fn render_markdown_v2(text: &str, limit: usize) -> Vec<String> {
    split_by_cost(text, limit, escaped_len)
        .into_iter()
        .map(escape_markdown_v2)
        .collect()
}

/// The UTF-16 length of `c` once escaped by [`escape_markdown_v2`].
fn escaped_len(c: char) -> usize {
    c.len_utf16() + usize::from(is_markdown_v2_special(c))
}

/// Whitespace a message may be split at. No-break spaces are excluded: the
/// writer asked for those not to be broken.
fn is_break_space(c: char) -> bool {
    c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{2007}' | '\u{202f}')
}

/// Whether `c` belongs with the character before it, so that a hard split
/// should not separate them: zero-width joiner, combining marks, variation
/// selectors, emoji skin-tone modifiers and tag characters. A heuristic, not
/// full grapheme segmentation.
fn joins_previous(c: char) -> bool {
    matches!(
        c,
        '\u{200d}'
            | '\u{0300}'..='\u{036f}'
            | '\u{1ab0}'..='\u{1aff}'
            | '\u{1dc0}'..='\u{1dff}'
            | '\u{20d0}'..='\u{20ff}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{fe20}'..='\u{fe2f}'
            | '\u{1f3fb}'..='\u{1f3ff}'
            | '\u{e0020}'..='\u{e007f}'
            | '\u{e0100}'..='\u{e01ef}'
    )
}

/// How good a place a whitespace run is to split at; later variants are
/// better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum BreakKind {
    Space,
    Line,
    Paragraph,
}

/// Classifies the whitespace run at the start of `run`.
fn break_kind(run: &str) -> BreakKind {
    let newlines = run
        .chars()
        .take_while(|&c| is_break_space(c))
        .filter(|&c| c == '\n')
        .count();
    match newlines {
        0 => BreakKind::Space,
        1 => BreakKind::Line,
        _ => BreakKind::Paragraph,
    }
}

/// Splits `text` into chunks whose total `cost` is at most `limit` each.
fn split_by_cost(text: &str, limit: usize, cost: impl Fn(char) -> usize) -> Vec<&str> {
    let limit = limit.max(MIN_LIMIT);
    let mut chunks = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (end, next) = find_cut(rest, limit, &cost);
        let chunk = rest.get(..end).unwrap_or_default();
        if !chunk.chars().all(is_break_space) {
            chunks.push(chunk);
        }
        // `next` is at least one character past the start, so this always
        // makes progress; `get` cannot fail as `next` is a char boundary.
        rest = rest.get(next..).unwrap_or_default();
    }
    chunks
}

/// Finds where the first chunk of `rest` ends and where the remainder starts
/// (both byte offsets on char boundaries, `0 < end <= next`). If all of
/// `rest` fits, returns `(rest.len(), rest.len())`.
///
/// `limit` must be at least the largest cost of any one character, so that
/// the first character always fits.
fn find_cut(rest: &str, limit: usize, cost: &impl Fn(char) -> usize) -> (usize, usize) {
    // Cost of `rest[..i]` as we walk.
    let mut used = 0usize;
    // Best break leaving a chunk of at least half the limit: (kind, offset).
    let mut best_break: Option<(BreakKind, usize)> = None;
    // Latest break of any kind.
    let mut last_break: Option<usize> = None;
    // Latest char boundary that does not split a character from what joins it.
    let mut last_clean: Option<usize> = None;
    // Latest char boundary that fits at all.
    let mut hard = None;
    let mut prev: Option<char> = None;

    for (i, c) in rest.char_indices() {
        // Offset `i` is a candidate end: the chunk would be `rest[..i]`,
        // costing `used`, which is within the limit.
        if let Some(p) = prev {
            if is_break_space(c) && !is_break_space(p) {
                let kind = break_kind(rest.get(i..).unwrap_or_default());
                last_break = Some(i);
                if used.saturating_mul(2) >= limit
                    && best_break.is_none_or(|(best, _)| kind >= best)
                {
                    best_break = Some((kind, i));
                }
            }
            if !joins_previous(c) && p != '\u{200d}' {
                last_clean = Some(i);
            }
            hard = Some(i);
        }
        let next_used = used.saturating_add(cost(c));
        if next_used > limit {
            let end = best_break
                .map(|(_, at)| at)
                .or(last_break)
                .or(last_clean)
                .or(hard)
                // Unreachable when `limit` covers any one character: the
                // first character always fits, so `hard` is set by now.
                // Cutting after it anyway keeps the loop making progress.
                .unwrap_or_else(|| c.len_utf8());
            return trim_cut(rest, end);
        }
        used = next_used;
        prev = Some(c);
    }
    (rest.len(), rest.len())
}

/// Drops the whitespace on both sides of a split at byte offset `at`.
fn trim_cut(rest: &str, at: usize) -> (usize, usize) {
    let (head, tail) = rest.split_at_checked(at).unwrap_or((rest, ""));
    let end = head.trim_end_matches(is_break_space).len();
    let next = at + (tail.len() - tail.trim_start_matches(is_break_space).len());
    (end, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16_len(s: &str) -> usize {
        s.encode_utf16().count()
    }

    /// Undoes `escape_markdown_v2`, checking on the way that the text is
    /// valid MarkdownV2 plain text: every special character escaped, every
    /// backslash followed by a character it may escape.
    fn unescape_checked(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                let escaped = chars.next().expect("dangling backslash");
                assert!(
                    is_markdown_v2_special(escaped),
                    "needless escape of {escaped:?} in {s:?}"
                );
                out.push(escaped);
            } else {
                assert!(!is_markdown_v2_special(c), "unescaped {c:?} in {s:?}");
                out.push(c);
            }
        }
        out
    }

    /// Checks that `chunks` are `text` in order with only split-point
    /// whitespace removed.
    fn assert_same_text(text: &str, chunks: &[String]) {
        let mut pos = 0;
        for chunk in chunks {
            assert!(!chunk.is_empty(), "empty chunk for {text:?}");
            assert!(
                !chunk.chars().all(is_break_space),
                "whitespace-only chunk for {text:?}"
            );
            let found = text[pos..]
                .find(chunk.as_str())
                .unwrap_or_else(|| panic!("chunk {chunk:?} not found in order in {text:?}"));
            let skipped = &text[pos..pos + found];
            assert!(
                skipped.chars().all(is_break_space),
                "lost {skipped:?} before {chunk:?} in {text:?}"
            );
            pos += found + chunk.len();
        }
        assert!(
            text[pos..].chars().all(is_break_space),
            "lost tail {:?} of {text:?}",
            &text[pos..]
        );
    }

    /// A small deterministic generator (xorshift64*), so the property checks
    /// need no extra dependencies and always test the same inputs.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Pieces texts are built from: words, every kind of whitespace we
    /// split at (and one we must not), specials, multi-byte and
    /// astral-plane characters, and joined emoji sequences.
    const PIECES: &[&str] = &[
        "a",
        "word",
        "Hello",
        "x",
        " ",
        " ",
        " ",
        "  ",
        "\n",
        "\n",
        "\n\n",
        "\r\n",
        "\t",
        "\u{a0}",
        ".",
        "!",
        "_",
        "*",
        "[",
        "]",
        "(",
        ")",
        "~",
        "`",
        ">",
        "#",
        "+",
        "-",
        "=",
        "|",
        "{",
        "}",
        "\\",
        "é",
        "e\u{301}",
        "中文",
        "日本語",
        "😀",
        "𝔘",
        "👍🏽",
        "👨\u{200d}👩\u{200d}👧",
        "❤\u{fe0f}",
        "longwordwithoutanyspacesatall",
    ];

    fn random_text(rng: &mut Rng) -> String {
        let pieces = rng.below(120);
        let mut s = String::new();
        for _ in 0..pieces {
            s.push_str(PIECES[rng.below(PIECES.len())]);
        }
        s
    }

    #[test]
    fn escapes_every_special_character() {
        let all = "_*[]()~`>#+-=|{}.!\\";
        assert_eq!(
            escape_markdown_v2(all),
            "\\_\\*\\[\\]\\(\\)\\~\\`\\>\\#\\+\\-\\=\\|\\{\\}\\.\\!\\\\"
        );
        assert_eq!(unescape_checked(&escape_markdown_v2(all)), all);
    }

    #[test]
    fn escape_leaves_ordinary_text_alone() {
        let text = "Hello, world: 中文 😀 é & < > \" ' @ $ % ^ ? / ; \n\t";
        let expected = "Hello, world: 中文 😀 é & < \\> \" ' @ $ % ^ ? / ; \n\t";
        assert_eq!(escape_markdown_v2(text), expected);
        assert_eq!(escape_markdown_v2(""), "");
    }

    #[test]
    fn escape_for_code_only_touches_backtick_and_backslash() {
        assert_eq!(
            escape_markdown_v2_code("let x = `a` \\ b.c!_*"),
            "let x = \\`a\\` \\\\ b.c!_*"
        );
    }

    #[test]
    fn empty_and_whitespace_only_give_no_chunks() {
        assert!(split_message("", MESSAGE_LIMIT).is_empty());
        assert!(split_message(" \n\n\t ", MESSAGE_LIMIT).is_empty());
        assert!(render_markdown_v2("", MESSAGE_LIMIT).is_empty());
    }

    #[test]
    fn text_that_fits_is_unchanged() {
        let text = "  indented\nline two  ";
        assert_eq!(split_message(text, MESSAGE_LIMIT), vec![text.to_owned()]);
    }

    #[test]
    fn text_exactly_at_the_limit_is_one_chunk() {
        let text = "a".repeat(MESSAGE_LIMIT);
        assert_eq!(split_message(&text, MESSAGE_LIMIT), vec![text.clone()]);

        let over = "a".repeat(MESSAGE_LIMIT + 1);
        let chunks = split_message(&over, MESSAGE_LIMIT);
        assert_eq!(chunks.len(), 2);
        assert_eq!(utf16_len(&chunks[0]), MESSAGE_LIMIT);
        assert_eq!(chunks[1], "a");

        // 2048 dots escape to exactly 4096 units.
        let dots = ".".repeat(MESSAGE_LIMIT / 2);
        let rendered = render_markdown_v2(&dots, MESSAGE_LIMIT);
        assert_eq!(rendered.len(), 1);
        assert_eq!(utf16_len(&rendered[0]), MESSAGE_LIMIT);

        let more_dots = ".".repeat(MESSAGE_LIMIT / 2 + 1);
        let rendered = render_markdown_v2(&more_dots, MESSAGE_LIMIT);
        assert_eq!(rendered.len(), 2);
        assert_eq!(rendered[1], "\\.");
    }

    #[test]
    fn long_word_is_split_hard_at_the_limit() {
        let word = "a".repeat(10_000);
        let chunks = split_message(&word, MESSAGE_LIMIT);
        let lens: Vec<usize> = chunks.iter().map(|c| utf16_len(c)).collect();
        assert_eq!(lens, vec![4096, 4096, 1808]);
        assert_eq!(chunks.concat(), word);

        let rendered = render_markdown_v2(&word, MESSAGE_LIMIT);
        assert_eq!(rendered, chunks);
    }

    #[test]
    fn long_word_of_specials_renders_within_the_limit() {
        let word = "-.".repeat(5_000);
        let rendered = render_markdown_v2(&word, MESSAGE_LIMIT);
        assert_eq!(rendered.len(), 5);
        let mut back = String::new();
        for chunk in &rendered {
            assert!(utf16_len(chunk) <= MESSAGE_LIMIT);
            assert!(!chunk.ends_with('\\') || chunk.ends_with("\\\\"));
            back.push_str(&unescape_checked(chunk));
        }
        assert_eq!(back, word);
    }

    #[test]
    fn surrogate_pairs_are_never_split() {
        // 4095 units of ASCII and then a 2-unit emoji: the emoji does not fit.
        let text = format!("{}😀", "a".repeat(MESSAGE_LIMIT - 1));
        let chunks = split_message(&text, MESSAGE_LIMIT);
        assert_eq!(chunks, vec!["a".repeat(MESSAGE_LIMIT - 1), "😀".to_owned()]);

        // Only emoji, with an odd limit: each chunk holds whole pairs.
        let emoji = "😀".repeat(3000);
        let chunks = split_message(&emoji, 4095);
        let lens: Vec<usize> = chunks.iter().map(|c| utf16_len(c)).collect();
        assert_eq!(lens, vec![4094, 1906]);
        assert_eq!(chunks.concat(), emoji);

        // Exactly at the limit in emoji.
        let exact = "😀".repeat(MESSAGE_LIMIT / 2);
        assert_eq!(split_message(&exact, MESSAGE_LIMIT), vec![exact.clone()]);
        assert_eq!(render_markdown_v2(&exact, MESSAGE_LIMIT), vec![exact]);
    }

    #[test]
    fn skin_tone_modifier_stays_with_its_emoji() {
        // "a"*4094 + 👍 would be exactly 4096 units, but the skin tone that
        // follows belongs to the thumb, so the cut goes before the thumb.
        let text = format!("{}👍🏽", "a".repeat(MESSAGE_LIMIT - 2));
        let chunks = split_message(&text, MESSAGE_LIMIT);
        assert_eq!(chunks, vec!["a".repeat(MESSAGE_LIMIT - 2), "👍🏽".to_owned()]);
    }

    #[test]
    fn limit_below_two_still_makes_progress() {
        assert_eq!(split_message("😀a", 0), vec!["😀", "a"]);
        assert_eq!(render_markdown_v2("a.", 1), vec!["a", "\\."]);
    }

    #[test]
    fn cjk_without_spaces_is_split_by_code_units() {
        let text = "中文字符。".repeat(2_000); // 10,000 BMP chars, one unit each
        let chunks = split_message(&text, MESSAGE_LIMIT);
        let lens: Vec<usize> = chunks.iter().map(|c| utf16_len(c)).collect();
        assert_eq!(lens, vec![4096, 4096, 1808]);
        assert_eq!(chunks.concat(), text);
        // Escaping does not touch CJK (the full-width stop is not special).
        assert_eq!(render_markdown_v2(&text, MESSAGE_LIMIT), chunks);
    }

    #[test]
    fn prefers_paragraph_then_line_then_space() {
        let text = "aaaa bbbb cccc\n\ndddd eeee\nffff gggg hhhh";
        // Everything up to the blank line is 14 units; the limit 20 also
        // reaches "dddd" (20), but the paragraph break wins.
        assert_eq!(
            split_message(text, 20),
            vec!["aaaa bbbb cccc", "dddd eeee\nffff gggg", "hhhh"]
        );

        let lines = "aaaa bbbb\ncccc dddd eeee";
        assert_eq!(
            split_message(lines, 16),
            vec!["aaaa bbbb", "cccc dddd eeee"]
        );

        let spaces = "aaaa bbbb cccc dddd";
        assert_eq!(split_message(spaces, 12), vec!["aaaa bbbb", "cccc dddd"]);
    }

    #[test]
    fn early_paragraph_break_does_not_make_a_tiny_chunk() {
        // The blank line comes after 2 units of a 20-unit limit: a space near
        // the end of the window is used instead.
        let text = "Hi\n\naaaa bbbb cccc dddd eeee";
        assert_eq!(
            split_message(text, 20),
            vec!["Hi\n\naaaa bbbb cccc", "dddd eeee"]
        );
    }

    #[test]
    fn blank_line_with_crlf_and_spaces_counts_as_paragraph() {
        let text = "aaaa bbbb\r\n  \r\ncccc dddd eeee";
        assert_eq!(split_message(text, 16), vec!["aaaa bbbb", "cccc dddd eeee"]);
    }

    #[test]
    fn no_break_space_is_not_split_at() {
        let text = "aaaa\u{a0}bbbb cccc";
        assert_eq!(split_message(text, 10), vec!["aaaa\u{a0}bbbb", "cccc"]);
    }

    #[test]
    fn render_splits_on_escaped_length() {
        // "a.b.c d.e.f" escapes to 16 units; with a limit of 12 it cannot be
        // one message even though the plain text is 11 units.
        let rendered = render_markdown_v2("a.b.c d.e.f", 12);
        assert_eq!(rendered, vec!["a\\.b\\.c", "d\\.e\\.f"]);
    }

    #[test]
    fn property_split_message_keeps_text_and_fits() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..3_000 {
            let text = random_text(&mut rng);
            let limit = 2 + rng.below(60);
            let chunks = split_message(&text, limit);
            for chunk in &chunks {
                assert!(
                    utf16_len(chunk) <= limit,
                    "chunk {chunk:?} over {limit} for {text:?}"
                );
            }
            assert_same_text(&text, &chunks);
            if utf16_len(&text) <= limit && !text.chars().all(is_break_space) {
                assert_eq!(chunks, vec![text.clone()]);
            }
        }
    }

    #[test]
    fn property_render_is_valid_fits_and_keeps_text() {
        let mut rng = Rng(0x0123_4567_89ab_cdef);
        for _ in 0..3_000 {
            let text = random_text(&mut rng);
            let limit = 2 + rng.below(60);
            let rendered = render_markdown_v2(&text, limit);
            let plain: Vec<String> = rendered
                .iter()
                .map(|chunk| {
                    assert!(
                        utf16_len(chunk) <= limit,
                        "chunk {chunk:?} over {limit} for {text:?}"
                    );
                    unescape_checked(chunk)
                })
                .collect();
            assert_same_text(&text, &plain);
        }
    }

    #[test]
    fn property_large_limits_and_long_texts() {
        let mut rng = Rng(42);
        for _ in 0..50 {
            let mut text = String::new();
            while text.len() < 20_000 {
                text.push_str(&random_text(&mut rng));
            }
            let chunks = split_message(&text, MESSAGE_LIMIT);
            assert!(chunks.iter().all(|c| utf16_len(c) <= MESSAGE_LIMIT));
            assert_same_text(&text, &chunks);
            let rendered = render_markdown_v2(&text, MESSAGE_LIMIT);
            let plain: Vec<String> = rendered
                .iter()
                .map(|c| {
                    assert!(utf16_len(c) <= MESSAGE_LIMIT);
                    unescape_checked(c)
                })
                .collect();
            assert_same_text(&text, &plain);
        }
    }

    #[test]
    fn splits_happen_at_whitespace_when_there_is_some() {
        // With a space every few characters, no chunk boundary falls inside
        // a word.
        let mut rng = Rng(7);
        for _ in 0..500 {
            let mut words = Vec::new();
            for _ in 0..(1 + rng.below(80)) {
                words.push("w".repeat(1 + rng.below(8)));
            }
            let text = words.join(" ");
            let limit = 10 + rng.below(40);
            let chunks = split_message(&text, limit);
            let rejoined: Vec<&str> = chunks.iter().flat_map(|c| c.split(' ')).collect();
            assert_eq!(rejoined, words, "for limit {limit}");
        }
    }
}
