//! The slot finder: free slots for several people at once, from their busy intervals (any mix
//! of providers), working hours and time zones, with buffers, a minimum notice and a search
//! window; and conflict detection for a proposed event. Pure: values in, values out, no clock
//! read — the caller says what "now" is.
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use fa_calendar::slots::{Attendee, Interval, SlotQuery, WorkingHours, find_slots};
//!
//! let now = Utc.with_ymd_and_hms(2026, 3, 23, 7, 0, 0).unwrap(); // Monday, 08:00 in Berlin
//! let berlin = "Europe/Berlin".parse().unwrap();
//! let ana = Attendee::new(berlin, WorkingHours::weekdays(9, 17)).busy([Interval::new(
//!     Utc.with_ymd_and_hms(2026, 3, 23, 8, 0, 0).unwrap(), // 09:00–11:00 in Berlin
//!     Utc.with_ymd_and_hms(2026, 3, 23, 10, 0, 0).unwrap(),
//! )]);
//! let query = SlotQuery::new(Duration::hours(1), Interval::new(now, now + Duration::days(1)));
//! let slots = find_slots(now, &[ana], &query);
//! // The best has an hour of room on each side: 12:00–13:00 in Berlin.
//! assert_eq!(slots[0].start, Utc.with_ymd_and_hms(2026, 3, 23, 11, 0, 0).unwrap());
//! assert_eq!(slots[0].room, Duration::hours(1));
//! // At most two suggestions a day by default, none touching the meeting.
//! assert_eq!(slots.len(), 2);
//! assert!(slots.iter().all(|s| s.start >= Utc.with_ymd_and_hms(2026, 3, 23, 10, 0, 0).unwrap()));
//! ```
//!
//! A slot `[start, start + duration)` is offered only if, for every attendee, it lies within
//! one stretch of their working hours (on their own clock, DST included) and the slot widened by
//! the buffers (`buffer_before` before it, `buffer_after` after it) touches none of their busy
//! intervals; it starts no earlier than `now + min_notice`, inside the window, on the `step`
//! grid (whole minutes since the Unix epoch, so 15 minutes are quarter hours in every zone
//! whose offset is a multiple of 15 minutes).
//!
//! Ranking: slots with more room around them come first (the smallest gap, over attendees, to
//! the nearest busy interval or end of working hours, counted up to `comfort`), then earlier
//! ones; at most `per_day` slots are taken from one day (the first attendee's calendar day), so
//! that ten suggestions are not ten neighbours on one afternoon.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A span of time, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    /// The first instant in it.
    pub start: DateTime<Utc>,
    /// The first instant after it.
    pub end: DateTime<Utc>,
}

impl Interval {
    /// `[start, end)`; an `end` before `start` makes an empty interval at `start`.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self {
            start,
            end: end.max(start),
        }
    }

    /// Whether the two share an instant.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Whether an event spanning `self` shows in `range`: it overlaps it, or it is a
    /// zero-length event at an instant in it.
    pub fn shows_in(&self, range: &Interval) -> bool {
        self.overlaps(range)
            || (self.is_empty() && range.start <= self.start && self.start < range.end)
    }

    /// Whether it has no instant.
    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }

    /// How long it lasts.
    pub fn duration(&self) -> Duration {
        self.end - self.start
    }
}

/// When someone can meet, on their own clock: one `[from, to)` stretch per weekday, or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    /// Monday first.
    days: [Option<(NaiveTime, NaiveTime)>; 7],
}

impl WorkingHours {
    /// Monday to Friday, `from` to `to` o'clock.
    pub fn weekdays(from: u32, to: u32) -> Self {
        let stretch = hours(from, to);
        let mut days = [stretch; 7];
        days[5] = None;
        days[6] = None;
        Self { days }
    }

    /// Every day, `from` to `to` o'clock.
    pub fn every_day(from: u32, to: u32) -> Self {
        Self {
            days: [hours(from, to); 7],
        }
    }

    /// Any time at all.
    pub fn always() -> Self {
        Self {
            days: [Some((NaiveTime::MIN, NaiveTime::MIN)); 7],
        }
    }

    /// Sets one weekday's stretch (`None`: not that day). `to` at or before `from` runs to
    /// midnight.
    pub fn day(
        mut self,
        weekday: chrono::Weekday,
        stretch: Option<(NaiveTime, NaiveTime)>,
    ) -> Self {
        self.days[weekday.num_days_from_monday() as usize] = stretch;
        self
    }

    /// The stretches in `range`, as instants, on `tz`'s clock.
    fn stretches(&self, tz: Tz, range: Interval) -> Vec<Interval> {
        let first = range.start.with_timezone(&tz).date_naive() - Duration::days(1);
        let last = range.end.with_timezone(&tz).date_naive() + Duration::days(1);
        let mut out = Vec::new();
        let mut date = first;
        while date <= last {
            if let Some((from, to)) = self.days[date.weekday().num_days_from_monday() as usize] {
                let start = local_instant(tz, date, from, Edge::Start);
                let end = if to <= from {
                    local_instant(tz, date + Duration::days(1), NaiveTime::MIN, Edge::End)
                } else {
                    local_instant(tz, date, to, Edge::End)
                };
                let clipped = Interval::new(start.max(range.start), end.min(range.end));
                if !clipped.is_empty() {
                    out.push(clipped);
                }
            }
            date += Duration::days(1);
        }
        // Stretches that meet (a day running to midnight and the next from midnight) are one.
        merged(&out, Duration::zero(), Duration::zero(), range)
    }
}

fn hours(from: u32, to: u32) -> Option<(NaiveTime, NaiveTime)> {
    let at = |h: u32| NaiveTime::from_hms_opt(h % 24, 0, 0).unwrap_or(NaiveTime::MIN);
    Some((at(from), at(to)))
}

#[derive(Clone, Copy)]
enum Edge {
    Start,
    End,
}

/// The instant a wall-clock time names: in a DST overlap the earlier one for a start and the
/// later one for an end (the stretch is as long as the wall clock says); in a DST gap the
/// instant the clock jumps to.
fn local_instant(tz: Tz, date: NaiveDate, time: NaiveTime, edge: Edge) -> DateTime<Utc> {
    let wall = date.and_time(time);
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(early, late) => match edge {
            Edge::Start => early.with_timezone(&Utc),
            Edge::End => late.with_timezone(&Utc),
        },
        LocalResult::None => {
            // Gaps are at most a few hours; the first wall time after the jump exists.
            (1..=24 * 4)
                .find_map(|quarter| {
                    tz.from_local_datetime(&(wall + Duration::minutes(15 * quarter)))
                        .earliest()
                })
                .map_or_else(|| Utc.from_utc_datetime(&wall), |t| t.with_timezone(&Utc))
        }
    }
}

/// One person's side of the search.
#[derive(Debug, Clone)]
pub struct Attendee {
    /// Their time zone: working hours are read on its clock.
    pub timezone: Tz,
    /// When they can meet.
    pub hours: WorkingHours,
    /// When they cannot, from every calendar of theirs (any order, overlaps allowed).
    pub busy: Vec<Interval>,
}

impl Attendee {
    /// Someone in `timezone` available in `hours`, with nothing booked yet.
    pub fn new(timezone: Tz, hours: WorkingHours) -> Self {
        Self {
            timezone,
            hours,
            busy: Vec::new(),
        }
    }

    /// Adds busy intervals.
    pub fn busy(mut self, intervals: impl IntoIterator<Item = Interval>) -> Self {
        self.busy.extend(intervals);
        self
    }
}

/// What to look for.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SlotQuery {
    /// How long the event lasts.
    pub duration: Duration,
    /// Free time needed before it (travel, a breather).
    pub buffer_before: Duration,
    /// Free time needed after it.
    pub buffer_after: Duration,
    /// How soon it may start at the earliest, from now.
    pub min_notice: Duration,
    /// Where to look.
    pub window: Interval,
    /// The grid slots start on (default 15 minutes).
    pub step: Duration,
    /// How many slots to return (default 10).
    pub limit: usize,
    /// At most this many from one day (default 2; 0: no limit).
    pub per_day: usize,
    /// Room around a slot beyond which more does not rank it higher (default 1 hour).
    pub comfort: Duration,
}

impl SlotQuery {
    /// Slots of `duration` in `window`, with the defaults.
    pub fn new(duration: Duration, window: Interval) -> Self {
        Self {
            duration,
            buffer_before: Duration::zero(),
            buffer_after: Duration::zero(),
            min_notice: Duration::zero(),
            window,
            step: Duration::minutes(15),
            limit: 10,
            per_day: 2,
            comfort: Duration::hours(1),
        }
    }

    /// Free time needed before and after.
    pub fn buffers(mut self, before: Duration, after: Duration) -> Self {
        self.buffer_before = before.max(Duration::zero());
        self.buffer_after = after.max(Duration::zero());
        self
    }

    /// How soon it may start at the earliest.
    pub fn min_notice(mut self, notice: Duration) -> Self {
        self.min_notice = notice.max(Duration::zero());
        self
    }

    /// The grid slots start on (at least one minute).
    pub fn step(mut self, step: Duration) -> Self {
        self.step = step.max(Duration::minutes(1));
        self
    }

    /// How many slots, and at most how many from one day (0: no limit).
    pub fn limit(mut self, limit: usize, per_day: usize) -> Self {
        self.limit = limit;
        self.per_day = per_day;
        self
    }
}

/// A free slot and how good it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// When it starts.
    pub start: DateTime<Utc>,
    /// When it ends.
    pub end: DateTime<Utc>,
    /// The room around it: the smallest gap, over attendees, to a busy interval or the end of
    /// working hours, up to the query's `comfort`. More is better.
    pub room: Duration,
}

/// Sorted, merged copy of `intervals`, each widened by `before` at its start and `after` at
/// its end, dropping what ends before `from` or starts after `to`.
fn merged(
    intervals: &[Interval],
    before: Duration,
    after: Duration,
    within: Interval,
) -> Vec<Interval> {
    let mut widened: Vec<Interval> = intervals
        .iter()
        .filter(|i| !i.is_empty())
        .map(|i| Interval::new(i.start - before, i.end + after))
        .filter(|i| i.end > within.start && i.start < within.end)
        .collect();
    widened.sort_unstable();
    let mut out: Vec<Interval> = Vec::with_capacity(widened.len());
    for interval in widened {
        match out.last_mut() {
            Some(last) if interval.start <= last.end => last.end = last.end.max(interval.end),
            _ => out.push(interval),
        }
    }
    out
}

/// `free` minus the sorted, merged `busy`.
fn subtract(free: &[Interval], busy: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut b = 0;
    for stretch in free {
        let mut cursor = stretch.start;
        while b < busy.len() && busy[b].end <= stretch.start {
            b += 1;
        }
        let mut k = b;
        while k < busy.len() && busy[k].start < stretch.end {
            if busy[k].start > cursor {
                out.push(Interval::new(cursor, busy[k].start));
            }
            cursor = cursor.max(busy[k].end);
            k += 1;
        }
        if cursor < stretch.end {
            out.push(Interval::new(cursor, stretch.end));
        }
    }
    out
}

/// The common part of two sorted, disjoint lists.
fn intersect(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let common = Interval::new(a[i].start.max(b[j].start), a[i].end.min(b[j].end));
        if !common.is_empty() {
            out.push(common);
        }
        if a[i].end < b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// One attendee's free stretches in `range`: working hours minus busy time.
fn free_time(attendee: &Attendee, range: Interval) -> Vec<Interval> {
    let stretches = attendee.hours.stretches(attendee.timezone, range);
    let busy = merged(&attendee.busy, Duration::zero(), Duration::zero(), range);
    subtract(&stretches, &busy)
}

/// The first instant on the `step` grid at or after `t`.
fn grid_at_or_after(t: DateTime<Utc>, step: Duration) -> DateTime<Utc> {
    let step_ms = step.num_milliseconds().max(1);
    let ms = t.timestamp_millis();
    let aligned = ms.div_euclid(step_ms) * step_ms;
    let aligned = if aligned < ms {
        aligned + step_ms
    } else {
        aligned
    };
    DateTime::from_timestamp_millis(aligned).unwrap_or(t)
}

/// Every valid slot start, earliest first (before ranking), with its room.
pub(crate) fn candidates(now: DateTime<Utc>, attendees: &[Attendee], q: &SlotQuery) -> Vec<Slot> {
    if attendees.is_empty() || q.duration <= Duration::zero() {
        return Vec::new();
    }
    let earliest = q.window.start.max(now + q.min_notice);
    let window = Interval::new(earliest, q.window.end);
    if window.duration() < q.duration {
        return Vec::new();
    }
    // The search reaches past the window by the buffers and the comfort, so that busy time
    // just outside it still counts.
    let reach = q.buffer_before.max(q.buffer_after) + q.comfort;
    let wide = Interval::new(window.start - reach, window.end + reach);
    // Per attendee: where a slot may lie (working hours minus busy time widened by the
    // buffers), and free time as is (for the room around a slot).
    let mut allowed: Option<Vec<Interval>> = None;
    let mut free: Vec<Vec<Interval>> = Vec::with_capacity(attendees.len());
    for attendee in attendees {
        let stretches = attendee.hours.stretches(attendee.timezone, wide);
        let buffered = merged(&attendee.busy, q.buffer_after, q.buffer_before, wide);
        let mine = subtract(&stretches, &buffered);
        allowed = Some(match allowed {
            None => mine,
            Some(common) => intersect(&common, &mine),
        });
        free.push(free_time(attendee, wide));
    }
    let mut out = Vec::new();
    for stretch in allowed.unwrap_or_default() {
        let stretch = Interval::new(stretch.start.max(window.start), stretch.end.min(window.end));
        let mut start = grid_at_or_after(stretch.start, q.step);
        while start + q.duration <= stretch.end {
            let slot = Interval::new(start, start + q.duration);
            out.push(Slot {
                start,
                end: slot.end,
                room: room(&free, slot, q.comfort),
            });
            start += q.step;
        }
    }
    out
}

/// The smallest free time, over attendees, before or after `slot` (up to `comfort`).
fn room(free: &[Vec<Interval>], slot: Interval, comfort: Duration) -> Duration {
    free.iter()
        .map(|stretches| {
            let around = stretches
                .binary_search_by(|s| {
                    if s.end <= slot.start {
                        std::cmp::Ordering::Less
                    } else if s.start > slot.start {
                        std::cmp::Ordering::Greater
                    } else {
                        std::cmp::Ordering::Equal
                    }
                })
                .ok()
                .map(|i| stretches[i]);
            match around {
                Some(s) => (slot.start - s.start).min(s.end - slot.end),
                None => Duration::zero(),
            }
        })
        .min()
        .unwrap_or_else(Duration::zero)
        .min(comfort)
        .max(Duration::zero())
}

/// The best free slots for everyone in `attendees`, ranked (see the module's docs).
pub fn find_slots(now: DateTime<Utc>, attendees: &[Attendee], query: &SlotQuery) -> Vec<Slot> {
    let mut all = candidates(now, attendees, query);
    all.sort_by(|a, b| b.room.cmp(&a.room).then(a.start.cmp(&b.start)));
    let day_of = |slot: &Slot| {
        attendees
            .first()
            .map(|a| slot.start.with_timezone(&a.timezone).date_naive())
    };
    let mut per_day: std::collections::HashMap<Option<NaiveDate>, usize> = Default::default();
    let mut out: Vec<Slot> = Vec::with_capacity(query.limit);
    for slot in all {
        if out.len() >= query.limit {
            break;
        }
        // Overlapping suggestions are one suggestion.
        if out
            .iter()
            .any(|o| Interval::new(o.start, o.end).overlaps(&Interval::new(slot.start, slot.end)))
        {
            continue;
        }
        let taken = per_day.entry(day_of(&slot)).or_default();
        if query.per_day > 0 && *taken >= query.per_day {
            continue;
        }
        *taken += 1;
        out.push(slot);
    }
    out
}

/// Why a proposed time does not suit someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// It overlaps one of their busy intervals (the buffers included).
    Busy {
        /// Which attendee (their index).
        attendee: usize,
        /// The busy interval.
        busy: Interval,
    },
    /// It is outside their working hours.
    OutsideHours {
        /// Which attendee.
        attendee: usize,
    },
}

/// What stands in the way of `proposed` for each attendee (empty: it suits everyone). Buffers
/// count as for [`find_slots`]; working hours are checked only when `check_hours`.
pub fn conflicts(
    proposed: Interval,
    attendees: &[Attendee],
    buffer_before: Duration,
    buffer_after: Duration,
    check_hours: bool,
) -> Vec<Conflict> {
    let widened = Interval::new(proposed.start - buffer_before, proposed.end + buffer_after);
    let mut out = Vec::new();
    for (index, attendee) in attendees.iter().enumerate() {
        let mut busy: Vec<Interval> = attendee
            .busy
            .iter()
            .filter(|b| !b.is_empty() && b.overlaps(&widened))
            .copied()
            .collect();
        busy.sort_unstable();
        busy.dedup();
        out.extend(busy.into_iter().map(|busy| Conflict::Busy {
            attendee: index,
            busy,
        }));
        if check_hours {
            let stretches = attendee.hours.stretches(attendee.timezone, proposed);
            let inside = stretches
                .iter()
                .any(|s| s.start <= proposed.start && proposed.end <= s.end);
            if !inside {
                out.push(Conflict::OutsideHours { attendee: index });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
