//! Recurring events expanded client-side into the [`Occurrence`]s that fall in a range, in each
//! event's own time zone: RRULE with EXDATE and RDATE, changed instances (`RECURRENCE-ID`,
//! including `RANGE=THISANDFUTURE`), cancelled instances removed, all-day and floating events
//! read on the viewer's clock. Pure: events and a range in, occurrences out.
//!
//! A weekly 09:00 meeting in Europe/Berlin stays at 09:00 on the wall clock across the change
//! to summer time (08:00 UTC before, 07:00 UTC after); an instance that would fall in a DST gap
//! is shifted by the gap, as RFC 5545 says.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use fa_core::recurrence::{Until, WallRule};

use crate::ical::{CalendarEvent, EventTime, wall_instant};
use crate::slots::Interval;

/// Occurrences a series may pass over from its start before the range: a daily series started
/// 270 years ago. A rule past this is skipped and reported, never a hang.
const MAX_SCAN: usize = 100_000;

/// One instance of an event, in the range asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Occurrence {
    /// The event's UID.
    pub uid: String,
    /// Its title (a changed instance's own).
    pub summary: String,
    /// Where.
    pub location: Option<String>,
    /// When it starts.
    pub start: DateTime<Utc>,
    /// When it ends.
    pub end: DateTime<Utc>,
    /// Whether it is an all-day event.
    pub all_day: bool,
    /// For an instance of a series: which one (its original start), to change or cancel it.
    pub recurrence_id: Option<DateTime<Utc>>,
    /// Whether it is busy time (`TRANSP:TRANSPARENT` events are not).
    pub busy: bool,
}

impl Occurrence {
    /// Its span.
    pub fn interval(&self) -> Interval {
        Interval::new(self.start, self.end)
    }
}

/// What [`expand`] produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    /// The occurrences overlapping the range, by start.
    pub occurrences: Vec<Occurrence>,
    /// Series that could not be expanded: their UID and why (their changed instances are still
    /// in `occurrences`).
    pub skipped: Vec<(String, String)>,
}

/// The occurrences of `events` that overlap `range`; dates and floating times are read on
/// `viewer`'s clock.
pub fn expand(events: &[CalendarEvent], range: Interval, viewer: Tz) -> Expansion {
    let mut by_uid: HashMap<&str, Vec<&CalendarEvent>> = HashMap::new();
    for event in events {
        by_uid.entry(event.uid.as_str()).or_default().push(event);
    }
    let mut out = Expansion::default();
    for (uid, group) in by_uid {
        let (overrides, masters): (Vec<&CalendarEvent>, Vec<&CalendarEvent>) =
            group.into_iter().partition(|e| e.recurrence_id.is_some());
        // Of several copies (revisions) of the master, the latest.
        let master = masters.into_iter().max_by_key(|e| e.sequence);
        let mut used = vec![false; overrides.len()];
        if let Some(master) = master
            && let Err(reason) =
                expand_series(master, &overrides, &mut used, range, viewer, &mut out)
        {
            out.skipped.push((uid.to_owned(), reason));
        }
        // Changed instances the series did not produce (moved from a removed date, or of a
        // series not in the object) stand on their own.
        for (changed, _) in overrides.iter().zip(&used).filter(|(_, used)| !**used) {
            if !changed.cancelled && !changed.this_and_future {
                push_single(
                    changed,
                    changed.recurrence_id.map(|r| r.instant(viewer)),
                    range,
                    viewer,
                    &mut out,
                );
            }
        }
    }
    out.occurrences
        .sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.uid.cmp(&b.uid)));
    out
}

/// The length of an event: DTEND − DTSTART (in days for all-day events), or DURATION, or none
/// (a day for an all-day event, zero otherwise, as RFC 5545 says).
fn length(event: &CalendarEvent, viewer: Tz) -> Duration {
    match (&event.start, &event.end, event.duration) {
        (EventTime::Date(start), Some(EventTime::Date(end)), _) => {
            Duration::days((*end - *start).num_days().max(0))
        }
        (_, Some(end), _) => {
            (end.instant(viewer) - event.start.instant(viewer)).max(Duration::zero())
        }
        (_, None, Some(duration)) => duration.max(Duration::zero()),
        (EventTime::Date(_), None, None) => Duration::days(1),
        _ => Duration::zero(),
    }
}

/// An occurrence starting at the wall-clock `wall` in `tz` (all-day lengths in wall-clock
/// days, others exact).
fn span(
    wall: NaiveDateTime,
    tz: Tz,
    all_day: bool,
    length: Duration,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = wall_instant(wall, tz);
    let end = if all_day {
        wall_instant(wall + length, tz)
    } else {
        start + length
    };
    (start, end)
}

fn push_single(
    event: &CalendarEvent,
    recurrence_id: Option<DateTime<Utc>>,
    range: Interval,
    viewer: Tz,
    out: &mut Expansion,
) {
    let all_day = matches!(event.start, EventTime::Date(_));
    let (start, end) = span(
        event.start.wall(),
        event.start.zone(viewer),
        all_day,
        length(event, viewer),
    );
    push(event, start, end, recurrence_id, range, out);
}

fn push(
    event: &CalendarEvent,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    recurrence_id: Option<DateTime<Utc>>,
    range: Interval,
    out: &mut Expansion,
) {
    let span = Interval::new(start, end);
    if span.shows_in(&range) {
        out.occurrences.push(Occurrence {
            uid: event.uid.clone(),
            summary: event.summary.clone(),
            location: event.location.clone(),
            start,
            end: span.end,
            all_day: matches!(event.start, EventTime::Date(_)),
            recurrence_id,
            busy: !event.transparent,
        });
    }
}

fn expand_series(
    master: &CalendarEvent,
    overrides: &[&CalendarEvent],
    used: &mut [bool],
    range: Interval,
    viewer: Tz,
    out: &mut Expansion,
) -> Result<(), String> {
    if master.cancelled {
        used.iter_mut().for_each(|u| *u = true);
        return Ok(());
    }
    let Some(rule) = &master.rrule else {
        push_single(master, None, range, viewer, out);
        if master.rdates.is_empty() {
            return Ok(());
        }
        return expand_rule(
            master,
            "FREQ=DAILY;COUNT=1",
            overrides,
            used,
            range,
            viewer,
            out,
            true,
        );
    };
    expand_rule(master, rule, overrides, used, range, viewer, out, false)
}

#[allow(clippy::too_many_arguments)]
fn expand_rule(
    master: &CalendarEvent,
    rule: &str,
    overrides: &[&CalendarEvent],
    used: &mut [bool],
    range: Interval,
    viewer: Tz,
    out: &mut Expansion,
    rdates_only: bool,
) -> Result<(), String> {
    let tz = master.start.zone(viewer);
    let all_day = matches!(master.start, EventTime::Date(_));
    let start_wall = master.start.wall();
    let in_frame = |t: &EventTime| t.wall_in(tz, viewer);
    let exdates: Vec<NaiveDateTime> = master.exdates.iter().map(in_frame).collect();
    let rdates: Vec<NaiveDateTime> = master.rdates.iter().map(in_frame).collect();
    let parsed = WallRule::parse(rule, start_wall, &exdates, &rdates)
        .map_err(|e| format!("RRULE {rule:?}: {e}"))?;
    let length = length(master, viewer);
    // Changed instances by the instant of the instance they replace; THISANDFUTURE ones in
    // order, each applying from its instance on.
    let exact: HashMap<DateTime<Utc>, usize> = overrides
        .iter()
        .enumerate()
        .filter(|(_, o)| !o.this_and_future)
        .filter_map(|(i, o)| o.recurrence_id.map(|r| (r.instant(viewer), i)))
        .collect();
    let mut future: Vec<(DateTime<Utc>, usize)> = overrides
        .iter()
        .enumerate()
        .filter(|(_, o)| o.this_and_future)
        .filter_map(|(i, o)| o.recurrence_id.map(|r| (r.instant(viewer), i)))
        .collect();
    future.sort();
    // The latest start an occurrence overlapping the range can have, in the rule's wall
    // clock, with room for the longest shift a THISANDFUTURE change makes.
    let shift_room = future
        .iter()
        .map(|(at, i)| (overrides[*i].start.instant(viewer) - *at).abs())
        .max()
        .unwrap_or_else(Duration::zero);
    let horizon = range.end + shift_room + Duration::days(2);
    for (scanned, wall) in parsed.wall_times().enumerate() {
        if scanned >= MAX_SCAN {
            return Err(format!(
                "it has over {MAX_SCAN} occurrences before the range; only the ones found are shown"
            ));
        }
        if rdates_only && wall == start_wall {
            // The single event itself is already there; only the RDATEs are added.
            continue;
        }
        let original = wall_instant(wall, tz);
        if matches!(parsed.until(), Some(Until::Instant(end)) if original > end) {
            break;
        }
        if original > horizon {
            break;
        }
        if let Some(&i) = exact.get(&original) {
            used[i] = true;
            let changed = overrides[i];
            if !changed.cancelled {
                push_single(changed, Some(original), range, viewer, out);
            }
            continue;
        }
        // The last THISANDFUTURE change at or before this instance applies to it.
        let from = future.iter().rev().find(|(at, _)| *at <= original);
        match from {
            Some(&(at, i)) => {
                used[i] = true;
                let changed = overrides[i];
                if changed.cancelled {
                    continue;
                }
                // The change moves the instance on the series' wall clock (09:00 → 10:00 stays
                // 10:00 across a DST change).
                let shift = changed.start.wall_in(tz, viewer) - at.with_timezone(&tz).naive_local();
                let (start, end) = span(
                    wall + shift,
                    tz,
                    all_day,
                    length_of(changed, viewer, length),
                );
                push(changed, start, end, Some(original), range, out);
            }
            None => {
                let (start, end) = span(wall, tz, all_day, length);
                push(master, start, end, Some(original), range, out);
            }
        }
    }
    Ok(())
}

/// A changed instance's own length, else the series'.
fn length_of(event: &CalendarEvent, viewer: Tz, series: Duration) -> Duration {
    if event.end.is_some() || event.duration.is_some() {
        length(event, viewer)
    } else {
        series
    }
}
