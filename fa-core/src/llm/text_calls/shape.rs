//! What counts as a tool call once the text around it is parsed.

use serde_json::{Map, Value};

/// Longest tool or parameter name taken from a tag.
pub(super) const MAX_NAME: usize = 128;

pub(super) struct Candidate {
    pub(super) name: String,
    pub(super) arguments: Value,
}

/// How much a JSON value must look like a call. Untagged JSON could be anything the model
/// wants to show, so it must look exactly like a call; inside a tag the tag already says so.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Trust {
    Bare,
    Tagged,
}

/// The calls a JSON value stands for: one object, or a non-empty list of them.
pub(super) fn candidates(value: Value, trust: Trust) -> Option<Vec<Candidate>> {
    match value {
        Value::Object(object) => Some(vec![candidate(object, trust)?]),
        Value::Array(items) if !items.is_empty() => items
            .into_iter()
            .map(|item| match item {
                Value::Object(object) => candidate(object, trust),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// One call object: `{"name", "arguments"|"parameters"}`, optionally `"type": "function"`, or
/// the OpenAI wrapper `{"type": "function", "function": {…}}`.
fn candidate(mut object: Map<String, Value>, trust: Trust) -> Option<Candidate> {
    let bare = trust == Trust::Bare;
    if object
        .get("type")
        .is_some_and(|kind| kind.as_str() != Some("function"))
    {
        return None;
    }
    let (mut inner, inner_keys): (_, &[&str]) = match object.remove("function") {
        Some(Value::Object(inner)) => {
            if bare && !only_keys(&object, &["type", "id", "index"]) {
                return None;
            }
            (inner, &["name", "arguments", "parameters"])
        }
        Some(_) => return None,
        None => (object, &["name", "arguments", "parameters", "type", "id"]),
    };
    if bare && !only_keys(&inner, inner_keys) {
        return None;
    }
    let name = match inner.get("name") {
        Some(Value::String(name)) if valid_name(name.trim(), trust) => name.trim().to_owned(),
        _ => return None,
    };
    let given = inner
        .remove("arguments")
        .or_else(|| inner.remove("parameters"));
    if bare && given.is_none() {
        return None;
    }
    let arguments = arguments(given, trust)?;
    Some(Candidate { name, arguments })
}

fn only_keys(object: &Map<String, Value>, allowed: &[&str]) -> bool {
    object.keys().all(|key| allowed.contains(&key.as_str()))
}

/// Arguments as the assistant expects them: an object, or a JSON string holding one. A string
/// that is not an object is kept as a string, so the assistant can report it to the model.
pub(super) fn arguments(given: Option<Value>, trust: Trust) -> Option<Value> {
    match given {
        None | Some(Value::Null) => Some(Value::Object(Map::new())),
        Some(Value::Object(object)) => Some(Value::Object(object)),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(object)) => Some(Value::Object(object)),
            _ => Some(Value::String(text)),
        },
        Some(other) if trust == Trust::Tagged => Some(other),
        Some(_) => None,
    }
}

/// A tool name: untagged JSON must use identifier characters, as a name with spaces is far more
/// likely a person than a tool.
pub(super) fn valid_name(name: &str, trust: Trust) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && match trust {
            Trust::Bare => name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b)),
            Trust::Tagged => !name.chars().any(char::is_control),
        }
}

/// An XML parameter's value. The format carries no types, so a value that reads as a JSON
/// number, boolean, list or object is taken as one (as the models' own parsers do when the
/// schema asks for it); anything else is text.
pub(super) fn parameter_value(raw: &str) -> Value {
    let text = raw.strip_prefix('\n').unwrap_or(raw);
    let text = text.strip_suffix('\n').unwrap_or(text);
    match serde_json::from_str::<Value>(text.trim()) {
        Ok(value @ (Value::Number(_) | Value::Bool(_) | Value::Array(_) | Value::Object(_))) => {
            value
        }
        _ => Value::String(text.to_owned()),
    }
}
