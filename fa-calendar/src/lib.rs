#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

#[cfg(any(feature = "caldav", feature = "oauth"))]
pub mod accounts;
#[cfg(feature = "caldav")]
pub mod caldav;
#[cfg(any(feature = "caldav", feature = "oauth"))]
pub mod commands;
mod error;
pub mod expand;
#[cfg(feature = "google")]
pub mod google;
pub mod ical;
pub mod ical_out;
#[cfg(any(feature = "caldav", feature = "oauth"))]
pub mod integration;
#[cfg(any(feature = "caldav", feature = "oauth"))]
pub mod jobs;
#[cfg(feature = "oauth")]
pub mod oauth;
#[cfg(feature = "outlook")]
pub mod outlook;
#[cfg(any(feature = "caldav", feature = "oauth"))]
mod rest;
pub mod slots;
#[cfg(feature = "oauth")]
pub mod token;
#[cfg(any(feature = "caldav", feature = "oauth"))]
pub mod tools;

pub use error::{Error, Result};
pub use expand::{Expansion, Occurrence, expand};
pub use ical::{CalendarEvent, EventTime, ParsedCalendar, parse_calendar};
pub use slots::{
    Attendee, Conflict, Interval, Slot, SlotQuery, WorkingHours, conflicts, find_slots,
};
