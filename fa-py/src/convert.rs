//! Values between Python and Rust: records go out as plain dicts (serde through pythonize, the
//! Python package turns them into dataclasses), ids and times come in as strings and numbers.

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fa_core::{HouseholdId, MemberId, MemberScope};
use pyo3::prelude::*;
use serde::Serialize;

use crate::errors::{invalid, to_py};

/// A serde value handed to Python as dicts, lists, strings and numbers.
pub(crate) struct Json<T>(pub T);

impl<'py, T: Serialize> IntoPyObject<'py> for Json<T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pythonize::pythonize(py, &self.0)?)
    }
}

/// Runs `work` on fa's runtime and gives Python an awaitable of its result. Cancelling the
/// awaitable drops `work`; the GIL is not held while it runs.
pub(crate) fn spawn<'py, T, F>(py: Python<'py>, work: F) -> PyResult<Bound<'py, PyAny>>
where
    T: Serialize + Send + 'static,
    F: Future<Output = fa_core::Result<T>> + Send + 'static,
{
    crate::bridge::future(py, async move { work.await.map(Json).map_err(to_py) })
}

/// Parses an id given as text; a malformed one is `InvalidInput` naming the argument.
pub(crate) fn id<T: FromStr<Err = fa_core::Error>>(text: &str) -> PyResult<T> {
    text.parse().map_err(to_py)
}

/// A member's scope from its two ids.
pub(crate) fn scope(household: &str, member: &str) -> PyResult<MemberScope> {
    Ok(MemberScope::new(
        id::<HouseholdId>(household)?,
        id::<MemberId>(member)?,
    ))
}

/// An instant given as RFC 3339 text (the Python package sends aware datetimes this way).
pub(crate) fn instant(field: &'static str, text: &str) -> PyResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| invalid(field, format!("{text:?} is not an RFC 3339 instant ({e})")))
}

/// A span of time given in seconds.
pub(crate) fn seconds(field: &'static str, secs: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(secs).map_err(|e| {
        invalid(
            field,
            format!("{secs} is not a usable number of seconds ({e})"),
        )
    })
}

/// A JSON value given as a Python object (dicts, lists, strings, numbers, booleans, None).
pub(crate) fn json_value(
    field: &'static str,
    value: &Bound<'_, PyAny>,
) -> PyResult<serde_json::Value> {
    pythonize::depythonize(value).map_err(|e| invalid(field, format!("not JSON-like data: {e}")))
}

/// A value of a serde type given as Python data (`{"type": "cron", …}`, chat messages), with an
/// error naming the argument.
pub(crate) fn typed<T: serde::de::DeserializeOwned>(
    field: &'static str,
    value: &Bound<'_, PyAny>,
) -> PyResult<T> {
    serde_json::from_value(json_value(field, value)?).map_err(|e| invalid(field, e.to_string()))
}

/// A parsed enum value (`Role`, `MisfirePolicy`, …) from its stored name.
pub(crate) fn named<T: FromStr<Err = fa_core::Error>>(text: &str) -> PyResult<T> {
    text.parse().map_err(to_py)
}

/// An awaitable that does nothing: the floor of a Python → Rust → Python round trip (a future
/// ready at once), measured by the benchmark.
#[pyfunction]
pub(crate) fn noop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    crate::bridge::future(py, async { Ok(()) })
}

/// An awaitable that yields to fa's runtime once before finishing: the round trip of a call that
/// waits for something (a query, a request), without the waiting, measured by the benchmark.
#[pyfunction]
pub(crate) fn noop_yield(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    crate::bridge::future(py, async {
        tokio::task::yield_now().await;
        Ok(())
    })
}

/// The version of the native module: the cheapest synchronous call, for the benchmark.
#[pyfunction]
pub(crate) fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
