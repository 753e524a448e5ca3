#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod slots;

pub use slots::{
    Attendee, Conflict, Interval, Slot, SlotQuery, WorkingHours, conflicts, find_slots,
};
