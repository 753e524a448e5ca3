//! Wall-clock time in a time zone, mapped to instants with fa's explicit DST rules.
//!
//! A person schedules "every day at 02:30" on the wall clock of their time zone, but the
//! scheduler fires at instants. Most wall-clock times denote exactly one instant; around a
//! daylight-saving transition some denote none and some denote two. fa resolves them like this:
//!
//! - **Normal**: the one instant the wall-clock time denotes.
//! - **Gap** (the clock jumps forward, so the time never shows, e.g. 2026-03-29 02:30 in
//!   Europe/Berlin or 2026-03-08 02:30 in America/New_York): the *first valid instant after* it,
//!   which is the transition instant itself (Berlin: 03:00 CEST = 01:00 UTC; New York: 03:00 EDT
//!   = 07:00 UTC). RFC 5545 would instead shift the time by the length of the gap (02:30 becomes
//!   03:30); fa deliberately fires at the transition, because "as soon as that time has come"
//!   is what a person expects from a reminder set for 02:30, and firing half an hour after the
//!   clock showed 03:00 is not.
//! - **Overlap** (the clock falls back, so the time shows twice, e.g. 2026-10-25 02:30 in
//!   Europe/Berlin or 2026-11-01 01:30 in America/New_York): the *earlier* of the two instants,
//!   so a daily job fires once that day, not twice.
//!
//! The gap's end is searched for rather than assumed to be one hour later: zones such as
//! Australia/Lord_Howe shift by 30 minutes, and Pacific/Apia skipped a whole day in 2011.
//!
//! With these rules [`resolve_local`] is the smallest instant whose wall-clock time is at or
//! past the given one, so it never decreases as the wall-clock time increases. The trigger
//! maths relies on that: candidates taken in wall-clock order come out in instant order.

use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// Coarse step when walking out of a gap; far shorter than any real stretch of valid time
/// between two transitions, so the walk cannot step over one.
const GAP_STEP_SECS: i64 = 15 * 60;

/// How far past a gap's start its end is searched for. The longest gap on record is Samoa's
/// skipped day (24 hours); this leaves room for it.
const GAP_SEARCH_SECS: i64 = 48 * 60 * 60;

/// The instant that the wall-clock time `local` in `tz` denotes, by fa's rules.
///
/// - A time that exists once maps to that instant.
/// - A time inside a DST gap (it never shows on the clock) maps to the transition instant, the
///   first valid instant after it: 2026-03-29 02:30 in Europe/Berlin fires at 03:00 CEST. RFC
///   5545 would shift it by the gap's length (03:30); fa fires as soon as the time has come.
/// - A time inside an overlap (it shows twice) maps to the earlier of its two instants, so a
///   daily job fires once that day.
///
/// The result never decreases as `local` increases.
pub fn resolve_local(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match earliest(local, tz) {
        Some(instant) => instant,
        None => after_gap(local, tz),
    }
}

/// The wall-clock time in `tz` at `instant`.
pub fn local(instant: DateTime<Utc>, tz: Tz) -> NaiveDateTime {
    instant.with_timezone(&tz).naive_local()
}

/// The earlier instant `local` denotes, or `None` in a gap.
fn earliest(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(dt) => Some(dt.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// Resolves a wall-clock time that falls in a gap to the transition instant.
///
/// The gap's first valid wall-clock second maps to the transition itself, so this finds that
/// second: coarse steps until a valid time shows, then bisection down to the second. Offsets
/// and transitions in the tz database are whole seconds, so the second found is exact.
fn after_gap(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    search_gap_end(local, tz).unwrap_or_else(|| fallback(local, tz))
}

fn search_gap_end(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    // Starting from the whole second keeps the bisection on whole seconds; the gap starts on a
    // whole second, so the truncated time is still inside it.
    let base = local.with_nanosecond(0)?;
    let valid = |offset: i64| -> Option<bool> {
        let t = base.checked_add_signed(TimeDelta::try_seconds(offset)?)?;
        Some(!matches!(tz.from_local_datetime(&t), LocalResult::None))
    };

    let mut invalid_at = 0_i64;
    let mut valid_at = None;
    let mut offset = GAP_STEP_SECS;
    while offset <= GAP_SEARCH_SECS {
        if valid(offset)? {
            valid_at = Some(offset);
            break;
        }
        invalid_at = offset;
        offset += GAP_STEP_SECS;
    }
    let mut valid_at = valid_at?;

    while valid_at - invalid_at > 1 {
        let mid = invalid_at + (valid_at - invalid_at) / 2;
        if valid(mid)? {
            valid_at = mid;
        } else {
            invalid_at = mid;
        }
    }
    let first_valid = base.checked_add_signed(TimeDelta::try_seconds(valid_at)?)?;
    earliest(first_valid, tz)
}

/// A last resort for a gap the search could not leave (no real zone has one): read the
/// wall-clock time with the offset in force at the same reading in UTC. It is some instant near
/// the intended one, which beats failing a schedule over time zone data.
fn fallback(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    let offset = tz.offset_from_utc_datetime(&local).fix().local_minus_utc();
    let utc = TimeDelta::try_seconds(i64::from(offset))
        .and_then(|delta| local.checked_sub_signed(delta))
        .unwrap_or(local);
    Utc.from_utc_datetime(&utc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn naive(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const BERLIN: Tz = chrono_tz::Europe::Berlin;
    const NEW_YORK: Tz = chrono_tz::America::New_York;
    const LORD_HOWE: Tz = chrono_tz::Australia::Lord_Howe;

    #[test]
    fn normal_time_maps_to_its_single_instant() {
        assert_eq!(
            resolve_local(naive(2026, 6, 1, 9, 0), BERLIN),
            utc("2026-06-01T07:00:00Z")
        );
        assert_eq!(
            resolve_local(naive(2026, 1, 1, 9, 0), NEW_YORK),
            utc("2026-01-01T14:00:00Z")
        );
    }

    #[test]
    fn berlin_gap_resolves_to_the_transition_instant() {
        for minute in [0, 1, 30, 59] {
            assert_eq!(
                resolve_local(naive(2026, 3, 29, 2, minute), BERLIN),
                utc("2026-03-29T01:00:00Z"),
                "02:{minute:02}"
            );
        }
        // Just outside the gap on either side nothing is shifted.
        assert_eq!(
            resolve_local(naive(2026, 3, 29, 1, 59), BERLIN),
            utc("2026-03-29T00:59:00Z")
        );
        assert_eq!(
            resolve_local(naive(2026, 3, 29, 3, 0), BERLIN),
            utc("2026-03-29T01:00:00Z")
        );
    }

    #[test]
    fn new_york_gap_resolves_to_the_transition_instant() {
        assert_eq!(
            resolve_local(naive(2026, 3, 8, 2, 30), NEW_YORK),
            utc("2026-03-08T07:00:00Z")
        );
    }

    #[test]
    fn gap_with_seconds_and_nanos_resolves_to_the_transition_instant() {
        let t = naive(2026, 3, 29, 2, 30)
            .checked_add_signed(TimeDelta::nanoseconds(1_500_000_001))
            .unwrap();
        assert_eq!(resolve_local(t, BERLIN), utc("2026-03-29T01:00:00Z"));
    }

    #[test]
    fn overlap_resolves_to_the_earlier_instant() {
        // 02:30 CEST, not 02:30 CET.
        assert_eq!(
            resolve_local(naive(2026, 10, 25, 2, 30), BERLIN),
            utc("2026-10-25T00:30:00Z")
        );
        // 01:30 EDT, not 01:30 EST.
        assert_eq!(
            resolve_local(naive(2026, 11, 1, 1, 30), NEW_YORK),
            utc("2026-11-01T05:30:00Z")
        );
    }

    #[test]
    fn lord_howe_half_hour_gap_and_overlap() {
        // 2026-10-04 02:00 LHST (+10:30) jumps to 02:30 LHDT (+11:00).
        assert_eq!(
            resolve_local(naive(2026, 10, 4, 2, 15), LORD_HOWE),
            utc("2026-10-03T15:30:00Z")
        );
        assert_eq!(
            resolve_local(naive(2026, 10, 4, 2, 30), LORD_HOWE),
            utc("2026-10-03T15:30:00Z")
        );
        // 2026-04-05 02:00 LHDT falls back to 01:30 LHST: 01:45 shows twice, earlier is +11:00.
        assert_eq!(
            resolve_local(naive(2026, 4, 5, 1, 45), LORD_HOWE),
            utc("2026-04-04T14:45:00Z")
        );
    }

    #[test]
    fn samoa_skipped_day_resolves_to_the_next_midnight() {
        // Pacific/Apia went from 2011-12-29 23:59:59 (-10:00) straight to 2011-12-31 00:00 (+14:00).
        let apia = chrono_tz::Pacific::Apia;
        assert_eq!(
            resolve_local(naive(2011, 12, 30, 12, 0), apia),
            utc("2011-12-30T10:00:00Z")
        );
    }

    #[test]
    fn local_reads_the_wall_clock() {
        assert_eq!(
            local(utc("2026-10-25T00:30:00Z"), BERLIN),
            naive(2026, 10, 25, 2, 30)
        );
        assert_eq!(
            local(utc("2026-10-25T01:30:00Z"), BERLIN),
            naive(2026, 10, 25, 2, 30)
        );
    }

    fn zone() -> impl Strategy<Value = Tz> {
        prop::sample::select(vec![
            BERLIN,
            NEW_YORK,
            LORD_HOWE,
            chrono_tz::Asia::Kolkata,
            chrono_tz::UTC,
        ])
    }

    /// Seconds from 2020-01-01 to 2030-12-31 (UTC).
    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        (1_577_836_800_i64..1_924_905_600).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
    }

    /// Every wall-clock minute within three hours of every transition in 2020-2030, in each
    /// test zone: the instants never decrease, and each one shows the wall-clock time it came
    /// from unless that time is in a gap.
    #[test]
    fn resolve_local_is_monotone_around_every_transition() {
        for tz in [
            BERLIN,
            NEW_YORK,
            LORD_HOWE,
            chrono_tz::Asia::Kolkata,
            chrono_tz::UTC,
        ] {
            let mut transitions = 0;
            let mut at = utc("2020-01-01T00:00:00Z");
            let end = utc("2031-01-01T00:00:00Z");
            while at < end {
                let next = at + TimeDelta::minutes(30);
                let offset = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc()).fix();
                if offset(at) != offset(next) {
                    transitions += 1;
                    let start = local(at, tz) - TimeDelta::hours(3);
                    let mut previous = resolve_local(start, tz);
                    for minute in 1..=12 * 60 {
                        let wall = start + TimeDelta::minutes(minute);
                        let instant = resolve_local(wall, tz);
                        assert!(instant >= previous, "{tz} {wall}: {instant} < {previous}");
                        if !matches!(tz.from_local_datetime(&wall), LocalResult::None) {
                            assert_eq!(local(instant, tz), wall, "{tz}");
                        }
                        previous = instant;
                    }
                }
                at = next;
            }
            let expected = if matches!(tz, chrono_tz::Tz::Asia__Kolkata | chrono_tz::Tz::UTC) {
                0
            } else {
                22
            };
            assert_eq!(transitions, expected, "{tz}");
        }
    }

    proptest! {
        #[test]
        fn resolve_local_inverts_local_outside_overlaps(x in instant(), tz in zone()) {
            let wall = local(x, tz);
            if let LocalResult::Single(_) = tz.from_local_datetime(&wall) {
                prop_assert_eq!(resolve_local(wall, tz), x);
            }
        }

        #[test]
        fn resolve_local_picks_the_earlier_instant_in_overlaps(x in instant(), tz in zone()) {
            let wall = local(x, tz);
            prop_assert!(resolve_local(wall, tz) <= x);
            prop_assert_eq!(local(resolve_local(wall, tz), tz), wall);
        }

        #[test]
        fn resolve_local_never_decreases(
            x in instant(), tz in zone(), step in 0_i64..4 * 3600,
        ) {
            // Start around transitions often: wall-clock times near every instant drawn.
            let a = local(x, tz);
            let b = a + TimeDelta::seconds(step);
            prop_assert!(resolve_local(a, tz) <= resolve_local(b, tz));
        }
    }
}
