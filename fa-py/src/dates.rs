//! The natural-language date reader: phrases and reminder sentences.

use pyo3::prelude::*;
use serde_json::json;

use crate::convert::{Json, instant};
use crate::errors::{invalid, to_py};

/// Reads a date phrase ("tomorrow at 9", "every Monday at 8am") at `now` in `timezone`.
#[pyfunction]
pub(crate) fn parse_when(phrase: &str, now: &str, timezone: &str) -> PyResult<Py<PyAny>> {
    let now = instant("now", now)?;
    let tz = fa_core::parse_timezone(timezone).map_err(to_py)?;
    let when = fa_core::dates::parse_when(phrase, now, tz)
        .map_err(|e| invalid("phrase", e.to_string()))?;
    Python::attach(|py| Ok(Json(when_json(when)).into_pyobject(py)?.unbind()))
}

/// Finds the time phrase in a reminder sentence ("me tomorrow at 9 to call grandma") and returns
/// it with what to be reminded of.
#[pyfunction]
pub(crate) fn parse_reminder(sentence: &str, now: &str, timezone: &str) -> PyResult<Py<PyAny>> {
    let now = instant("now", now)?;
    let tz = fa_core::parse_timezone(timezone).map_err(to_py)?;
    let (when, text) = fa_core::dates::parse_reminder(sentence, now, tz)
        .map_err(|e| invalid("sentence", e.to_string()))?;
    let mut value = when_json(when);
    value["text"] = json!(text);
    Python::attach(|py| Ok(Json(value).into_pyobject(py)?.unbind()))
}

fn when_json(when: fa_core::dates::When) -> serde_json::Value {
    match when {
        fa_core::dates::When::Once(at) => json!({"once": at}),
        fa_core::dates::When::Recurring { rule, start, first } => {
            json!({"rule": rule, "start": start, "first": first})
        }
    }
}
