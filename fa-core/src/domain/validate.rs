//! Checks on text and JSON before they are stored. The same input must be accepted or refused the
//! same way on every backend: PostgreSQL refuses NUL characters in text and in JSONB, SQLite would
//! store them, so fa refuses them everywhere, with the field named.

use crate::{Error, Result};

/// Free text: no NUL characters, at most `max_chars` characters. May be empty.
pub(crate) fn validate_text(field: &'static str, value: &str, max_chars: usize) -> Result<()> {
    if value.contains('\0') {
        return Err(Error::invalid(field, "contains a NUL character"));
    }
    if value.len() > max_chars && value.chars().count() > max_chars {
        return Err(Error::invalid(
            field,
            format!("is longer than {max_chars} characters"),
        ));
    }
    Ok(())
}

/// A name or key: like [`validate_text`], and not blank.
pub(crate) fn validate_name(field: &'static str, value: &str, max_chars: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be blank"));
    }
    validate_text(field, value, max_chars)
}

/// JSON: no NUL characters in any string or key, at most `max_bytes` when serialized.
pub(crate) fn validate_json(
    field: &'static str,
    value: &serde_json::Value,
    max_bytes: usize,
) -> Result<()> {
    fn has_nul(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(items) => items.iter().any(has_nul),
            serde_json::Value::Object(map) => {
                map.iter().any(|(k, v)| k.contains('\0') || has_nul(v))
            }
            _ => false,
        }
    }
    if has_nul(value) {
        return Err(Error::invalid(field, "contains a NUL character"));
    }
    let size = serialized_len(value);
    if size > max_bytes {
        return Err(Error::invalid(
            field,
            format!("is {size} bytes of JSON, more than the {max_bytes} allowed"),
        ));
    }
    Ok(())
}

/// The length of `value` as JSON, counted without building the text (the store serializes it
/// again when it binds it).
fn serialized_len(value: &serde_json::Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing a `Value` to a writer that never fails cannot fail.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_characters_are_refused_with_the_field_named() {
        let err = validate_text("content", "a\0b", 100).unwrap_err();
        assert!(err.to_string().contains("content") && err.to_string().contains("NUL"));
        assert!(validate_json("payload", &json!({"a": ["x", "y\0"]}), 1000).is_err());
        assert!(validate_json("payload", &json!({"k\0": 1}), 1000).is_err());
        assert!(validate_json("payload", &json!({"a": ["x", 1, null]}), 1000).is_ok());
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(validate_text("note", &"ä".repeat(10), 10).is_ok());
        assert!(validate_text("note", &"ä".repeat(11), 10).is_err());
        assert!(validate_name("name", "   ", 10).is_err());
        assert!(validate_text("name", "", 10).is_ok());
        assert!(validate_json("payload", &json!("x".repeat(50)), 20).is_err());
        let value = json!({"a": [1, "ä", null], "b": {"c": true}});
        assert_eq!(
            serialized_len(&value),
            serde_json::to_vec(&value).unwrap().len()
        );
    }
}
