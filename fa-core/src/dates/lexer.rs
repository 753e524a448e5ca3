//! Splits a phrase into words, numbers and punctuation, keeping each piece's byte range in the
//! original text so a reminder's words can be cut out of the sentence exactly as typed.

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok {
    /// A run of letters and apostrophes, lowercased; typographic apostrophes become `'`.
    Word(String),
    /// A run of ASCII digits.
    Num(Num),
    /// Any other single character that is not whitespace.
    Punct(char),
}

/// A number as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Num {
    /// Its value, saturating at `u32::MAX`: no phrase needs more, and saturating keeps a
    /// thousand-digit "number" from overflowing anything.
    pub value: u32,
    /// How many digits were written ("09" has two), which tells 24-hour times from bare hours.
    pub digits: usize,
}

/// One piece of the phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    /// What it is.
    pub tok: Tok,
    /// Byte offset of its first character in the original text.
    pub start: usize,
    /// Byte offset just past its last character.
    pub end: usize,
}

impl Token {
    /// The word, if this is one.
    pub fn word(&self) -> Option<&str> {
        match &self.tok {
            Tok::Word(w) => Some(w),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn num(&self) -> Option<Num> {
        match self.tok {
            Tok::Num(n) => Some(n),
            _ => None,
        }
    }

    /// Whether this is the punctuation character `c`.
    pub fn is_punct(&self, c: char) -> bool {
        self.tok == Tok::Punct(c)
    }

    /// Whether this is punctuation of any kind.
    pub fn is_any_punct(&self) -> bool {
        matches!(self.tok, Tok::Punct(_))
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphabetic() || c == '\'' || c == '\u{2019}'
}

/// Splits `text` into tokens. Linear in the length of `text`.
pub(super) fn lex(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        let mut end = start + c.len_utf8();
        if c.is_ascii_digit() {
            let mut value = u64::from(c.to_digit(10).unwrap_or(0));
            let mut digits = 1;
            while let Some(&(i, d)) = chars.peek() {
                let Some(v) = d.is_ascii_digit().then(|| d.to_digit(10)).flatten() else {
                    break;
                };
                value = (value * 10 + u64::from(v)).min(u64::from(u32::MAX));
                digits += 1;
                end = i + d.len_utf8();
                chars.next();
            }
            let value = u32::try_from(value).unwrap_or(u32::MAX);
            tokens.push(Token {
                tok: Tok::Num(Num { value, digits }),
                start,
                end,
            });
        } else if is_word_char(c) {
            let mut word = String::new();
            push_lower(&mut word, c);
            while let Some(&(i, w)) = chars.peek() {
                if !is_word_char(w) {
                    break;
                }
                push_lower(&mut word, w);
                end = i + w.len_utf8();
                chars.next();
            }
            tokens.push(Token {
                tok: Tok::Word(word),
                start,
                end,
            });
        } else {
            tokens.push(Token {
                tok: Tok::Punct(c),
                start,
                end,
            });
        }
    }
    merge_dotted_meridiem(tokens)
}

fn push_lower(word: &mut String, c: char) {
    if c == '\u{2019}' {
        word.push('\'');
    } else {
        word.extend(c.to_lowercase());
    }
}

/// Turns "a.m." / "p.m." (four or five adjacent tokens) into one word "am" / "pm", so the
/// grammar sees the same thing as for "am".
fn merge_dotted_meridiem(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let glued = |k: usize| -> Option<&Token> {
            let t = tokens.get(i + k)?;
            let prev = tokens.get(i + k - 1)?;
            (prev.end == t.start).then_some(t)
        };
        let letter = tokens.get(i).and_then(Token::word);
        let merged = match letter {
            Some(l @ ("a" | "p")) => {
                let dot = glued(1).is_some_and(|t| t.is_punct('.'));
                let m = glued(2).is_some_and(|t| t.word() == Some("m"));
                (dot && m).then(|| {
                    let trailing_dot = glued(3).is_some_and(|t| t.is_punct('.'));
                    (format!("{l}m"), if trailing_dot { 4 } else { 3 })
                })
            }
            _ => None,
        };
        match (merged, tokens.get(i)) {
            (Some((word, len)), Some(first)) => {
                let end = tokens.get(i + len - 1).map_or(first.end, |t| t.end);
                out.push(Token {
                    tok: Tok::Word(word),
                    start: first.start,
                    end,
                });
                i += len;
            }
            (_, Some(t)) => {
                out.push(t.clone());
                i += 1;
            }
            (_, None) => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn kinds(text: &str) -> Vec<Tok> {
        lex(text).into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn splits_numbers_words_and_punctuation() {
        assert_eq!(
            kinds("9:30PM"),
            vec![
                Tok::Num(Num {
                    value: 9,
                    digits: 1
                }),
                Tok::Punct(':'),
                Tok::Num(Num {
                    value: 30,
                    digits: 2
                }),
                Tok::Word("pm".into()),
            ]
        );
        assert_eq!(kinds("O\u{2019}Clock"), vec![Tok::Word("o'clock".into())]);
    }

    #[test]
    fn dotted_meridiem_becomes_one_word() {
        let tokens = lex("9 a.m. sharp");
        assert_eq!(tokens[1].tok, Tok::Word("am".into()));
        assert_eq!((tokens[1].start, tokens[1].end), (2, 6));
        assert_eq!(tokens[2].tok, Tok::Word("sharp".into()));
        assert_eq!(kinds("p.m")[0], Tok::Word("pm".into()));
    }

    #[test]
    fn huge_numbers_saturate() {
        let n = lex(&"9".repeat(500))[0].num().unwrap();
        assert_eq!(n.value, u32::MAX);
        assert_eq!(n.digits, 500);
    }

    #[test]
    fn spans_point_into_the_original_text() {
        let text = "Grüße  um 9";
        for t in lex(text) {
            assert!(text.get(t.start..t.end).is_some());
        }
    }
}
