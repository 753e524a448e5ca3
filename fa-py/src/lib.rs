#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
// PyO3's macros expand to code that trips these lints; the bindings' own code is covered by the
// workspace lints everywhere else.
#![allow(clippy::useless_conversion)]

mod amazon;
mod assistant;
mod bot;
mod bridge;
mod calendar;
mod callback;
mod clock;
mod convert;
mod dates;
mod errors;
mod model;
mod runtime;
mod scheduler;
mod store;
mod transcribe;

use pyo3::prelude::*;

/// The native half of the `family_assistant` package. Use the package, not this module: it wraps
/// these classes with typed records and Python idioms.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<clock::ManualClock>()?;
    m.add_class::<store::Store>()?;
    m.add_class::<scheduler::Scheduler>()?;
    m.add_class::<scheduler::Runner>()?;
    m.add_class::<model::Model>()?;
    m.add_class::<assistant::Assistant>()?;
    m.add_class::<assistant::ReplyStream>()?;
    m.add_class::<bot::Bot>()?;
    m.add_class::<transcribe::Transcriber>()?;
    m.add_class::<amazon::EventRouter>()?;
    m.add_class::<amazon::SellerAccounts>()?;
    m.add_class::<amazon::SqsConsumer>()?;
    m.add_function(wrap_pyfunction!(amazon::parse_notification, m)?)?;
    m.add_class::<calendar::CalendarAccounts>()?;
    m.add_function(wrap_pyfunction!(calendar::find_slots, m)?)?;
    m.add_function(wrap_pyfunction!(store::open_store, m)?)?;
    m.add_function(wrap_pyfunction!(store::generate_master_key, m)?)?;
    m.add_function(wrap_pyfunction!(dates::parse_when, m)?)?;
    m.add_function(wrap_pyfunction!(dates::parse_reminder, m)?)?;
    m.add_function(wrap_pyfunction!(convert::noop, m)?)?;
    m.add_function(wrap_pyfunction!(convert::noop_yield, m)?)?;
    m.add_function(wrap_pyfunction!(convert::version, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::shutdown, m)?)?;
    m.add_function(wrap_pyfunction!(bot::verify_telegram_login, m)?)?;
    m.add_function(wrap_pyfunction!(scheduler::trigger_upcoming, m)?)?;
    Ok(())
}
