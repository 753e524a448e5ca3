#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Datelike, Duration, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::*;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn local(tz: Tz, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, m, d, h, min, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn berlin() -> Tz {
    "Europe/Berlin".parse().unwrap()
}

fn new_york() -> Tz {
    "America/New_York".parse().unwrap()
}

#[test]
fn the_first_free_hour_after_a_meeting_is_found_and_busy_time_is_skipped() {
    let tz = berlin();
    let now = local(tz, 2026, 3, 23, 8, 0); // Monday
    let ana = Attendee::new(tz, WorkingHours::weekdays(9, 17)).busy([Interval::new(
        local(tz, 2026, 3, 23, 9, 0),
        local(tz, 2026, 3, 23, 11, 0),
    )]);
    let query = SlotQuery::new(
        Duration::hours(1),
        Interval::new(now, now + Duration::days(1)),
    )
    .limit(50, 0);
    let slots = find_slots(now, &[ana], &query);
    let mut starts: Vec<_> = slots.iter().map(|s| s.start).collect();
    starts.sort();
    assert_eq!(starts[0], local(tz, 2026, 3, 23, 11, 0));
    assert!(slots.iter().all(|s| s.end <= local(tz, 2026, 3, 23, 17, 0)));
    // 11:00–16:00 on the quarter hour, with overlapping suggestions dropped: 11, 12, …, 16.
    assert_eq!(slots.len(), 6, "{starts:?}");
}

#[test]
fn buffers_and_notice_keep_their_distance() {
    let tz = berlin();
    let now = local(tz, 2026, 3, 23, 9, 10);
    let ana = Attendee::new(tz, WorkingHours::weekdays(9, 17)).busy([Interval::new(
        local(tz, 2026, 3, 23, 12, 0),
        local(tz, 2026, 3, 23, 13, 0),
    )]);
    let query = SlotQuery::new(
        Duration::hours(1),
        Interval::new(now, now + Duration::hours(8)),
    )
    .buffers(Duration::minutes(15), Duration::minutes(30))
    .min_notice(Duration::hours(1))
    .limit(100, 0);
    let starts: Vec<_> = candidates(now, std::slice::from_ref(&ana), &query)
        .iter()
        .map(|s| s.start)
        .collect();
    // Notice: not before 10:10, so 10:15 on the grid. Before lunch the slot must end by 11:30
    // (30 min buffer after it); after lunch start at 13:15 (15 min buffer before it).
    assert_eq!(starts.first(), Some(&local(tz, 2026, 3, 23, 10, 15)));
    assert!(starts.contains(&local(tz, 2026, 3, 23, 10, 30)));
    assert!(!starts.contains(&local(tz, 2026, 3, 23, 10, 45)));
    assert!(!starts.contains(&local(tz, 2026, 3, 23, 13, 0)));
    assert!(starts.contains(&local(tz, 2026, 3, 23, 13, 15)));
    assert_eq!(starts.last(), Some(&local(tz, 2026, 3, 23, 16, 0)));
}

#[test]
fn two_zones_meet_only_where_both_work() {
    // Berlin 9–17 and New York 9–17 overlap 15:00–17:00 Berlin time (9–11 in New York).
    let now = at(2026, 6, 1, 0, 0); // Monday
    let ana = Attendee::new(berlin(), WorkingHours::weekdays(9, 17));
    let ben = Attendee::new(new_york(), WorkingHours::weekdays(9, 17));
    let query = SlotQuery::new(
        Duration::hours(1),
        Interval::new(now, now + Duration::days(1)),
    )
    .limit(100, 0);
    let starts: Vec<_> = candidates(now, &[ana, ben], &query)
        .iter()
        .map(|s| s.start)
        .collect();
    assert_eq!(starts.first(), Some(&local(berlin(), 2026, 6, 1, 15, 0)));
    assert_eq!(starts.last(), Some(&local(berlin(), 2026, 6, 1, 16, 0)));
    assert_eq!(starts.len(), 5);
}

#[test]
fn working_hours_follow_the_clock_across_the_dst_change() {
    // Europe/Berlin moves to summer time on Sunday 29 March 2026: 9:00 is 08:00 UTC before and
    // 07:00 UTC after.
    let tz = berlin();
    let now = at(2026, 3, 27, 0, 0);
    let ana = Attendee::new(tz, WorkingHours::every_day(9, 10));
    let query = SlotQuery::new(
        Duration::hours(1),
        Interval::new(now, now + Duration::days(4)),
    )
    .limit(100, 0);
    let starts: Vec<_> = candidates(now, &[ana], &query)
        .iter()
        .map(|s| s.start)
        .collect();
    assert_eq!(
        starts,
        vec![
            at(2026, 3, 27, 8, 0),
            at(2026, 3, 28, 8, 0),
            at(2026, 3, 29, 7, 0),
            at(2026, 3, 30, 7, 0)
        ]
    );
}

#[test]
fn hours_inside_the_spring_gap_start_when_the_clock_resumes() {
    // New York skips 02:00–03:00 on 8 March 2026: hours 02:00–04:00 that day are 03:00–04:00.
    let tz = new_york();
    let now = at(2026, 3, 8, 0, 0);
    let ana = Attendee::new(tz, WorkingHours::every_day(2, 4));
    let query = SlotQuery::new(
        Duration::minutes(30),
        Interval::new(now, now + Duration::hours(12)),
    )
    .step(Duration::minutes(30))
    .limit(100, 0);
    let starts: Vec<_> = candidates(now, &[ana], &query)
        .iter()
        .map(|s| s.start)
        .collect();
    assert_eq!(starts, vec![at(2026, 3, 8, 7, 0), at(2026, 3, 8, 7, 30)]);
}

#[test]
fn the_ranking_prefers_room_and_spreads_over_days() {
    let tz = berlin();
    let now = local(tz, 2026, 3, 23, 8, 0);
    // Monday is packed but for 12:00–13:00; Tuesday is open.
    let ana = Attendee::new(tz, WorkingHours::weekdays(9, 17)).busy([
        Interval::new(local(tz, 2026, 3, 23, 9, 0), local(tz, 2026, 3, 23, 12, 0)),
        Interval::new(local(tz, 2026, 3, 23, 13, 0), local(tz, 2026, 3, 23, 17, 0)),
    ]);
    let query = SlotQuery::new(
        Duration::hours(1),
        Interval::new(now, now + Duration::days(2)),
    )
    .limit(3, 2);
    let slots = find_slots(now, &[ana], &query);
    assert_eq!(slots.len(), 3);
    // Tuesday's slots have an hour of room; Monday's only one has none.
    assert!(slots[..2].iter().all(|s| s.room == Duration::hours(1)));
    assert_eq!(slots[2].start, local(tz, 2026, 3, 23, 12, 0));
    assert_eq!(slots[2].room, Duration::zero());
    // At most two from Tuesday.
    let tuesday = slots
        .iter()
        .filter(|s| s.start.with_timezone(&tz).weekday() == Weekday::Tue)
        .count();
    assert_eq!(tuesday, 2);
}

#[test]
fn nothing_fits_in_a_full_calendar_or_a_short_window() {
    let tz = berlin();
    let now = local(tz, 2026, 3, 23, 8, 0);
    let busy = Attendee::new(tz, WorkingHours::weekdays(9, 17))
        .busy([Interval::new(now, now + Duration::days(7))]);
    let week = Interval::new(now, now + Duration::days(7));
    assert!(find_slots(now, &[busy], &SlotQuery::new(Duration::hours(1), week)).is_empty());
    let free = Attendee::new(tz, WorkingHours::always());
    let short = Interval::new(now, now + Duration::minutes(30));
    assert!(find_slots(now, &[free], &SlotQuery::new(Duration::hours(1), short)).is_empty());
    assert!(find_slots(now, &[], &SlotQuery::new(Duration::hours(1), week)).is_empty());
}

#[test]
fn a_slot_may_run_past_midnight_when_the_hours_do() {
    let tz = berlin();
    let now = local(tz, 2026, 3, 23, 23, 0);
    let owl = Attendee::new(tz, WorkingHours::always());
    let query = SlotQuery::new(
        Duration::hours(2),
        Interval::new(now, now + Duration::hours(2)),
    );
    let slots = find_slots(now, &[owl], &query);
    assert_eq!(slots.first().map(|s| s.start), Some(now));
}

#[test]
fn conflicts_name_who_is_busy_and_who_is_off() {
    let tz = berlin();
    let dentist = Interval::new(local(tz, 2026, 3, 26, 16, 0), local(tz, 2026, 3, 26, 17, 0));
    let ana = Attendee::new(tz, WorkingHours::every_day(8, 20));
    let meeting = Interval::new(
        local(tz, 2026, 3, 26, 15, 0),
        local(tz, 2026, 3, 26, 15, 50),
    );
    let ben = Attendee::new(tz, WorkingHours::every_day(8, 16)).busy([meeting]);
    assert!(
        conflicts(
            dentist,
            std::slice::from_ref(&ana),
            Duration::zero(),
            Duration::zero(),
            true
        )
        .is_empty()
    );
    assert_eq!(
        conflicts(
            dentist,
            &[ana.clone(), ben.clone()],
            Duration::zero(),
            Duration::zero(),
            true
        ),
        vec![Conflict::OutsideHours { attendee: 1 }]
    );
    // With 15 minutes' travel before it, Ben's meeting is in the way too.
    assert_eq!(
        conflicts(
            dentist,
            &[ana, ben],
            Duration::minutes(15),
            Duration::zero(),
            false
        ),
        vec![Conflict::Busy {
            attendee: 1,
            busy: meeting
        }]
    );
}

// ---- properties ------------------------------------------------------------------------------

/// What a valid slot is, written independently of the finder: checked minute by minute on each
/// attendee's wall clock.
fn valid(
    now: DateTime<Utc>,
    attendees: &[Attendee],
    q: &SlotQuery,
    hours: (u32, u32),
    start: DateTime<Utc>,
) -> bool {
    let end = start + q.duration;
    if start < now + q.min_notice || start < q.window.start || end > q.window.end {
        return false;
    }
    let core = Interval::new(start - q.buffer_before, end + q.buffer_after);
    attendees.iter().all(|a| {
        let free = a.busy.iter().all(|b| b.is_empty() || !b.overlaps(&core));
        let first = start.with_timezone(&a.timezone);
        let last = (end - Duration::minutes(1)).with_timezone(&a.timezone);
        let weekday = first.weekday().num_days_from_monday() < 5;
        let in_hours = first.date_naive() == last.date_naive()
            && first.hour() >= hours.0
            && (last.hour() < hours.1);
        free && weekday && in_hours
    })
}

fn attendee_strategy() -> impl Strategy<Value = (bool, Vec<(i64, i64)>)> {
    (
        any::<bool>(),
        prop::collection::vec((0i64..(14 * 24 * 4), 1i64..16), 0..25),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every slot offered is valid, and every valid start on the grid is offered (before
    /// ranking): nothing overlaps busy time, hours, buffers and notice hold.
    #[test]
    fn the_finder_offers_exactly_the_valid_slots(
        people in prop::collection::vec(attendee_strategy(), 1..4),
        duration_q in 1i64..9,
        before_q in 0i64..3,
        after_q in 0i64..3,
        notice_q in 0i64..40,
        offset_min in 0i64..(3 * 24 * 60),
    ) {
        let origin = at(2026, 3, 20, 0, 0); // the DST change of 29 March inside the window
        let now = origin + Duration::minutes(offset_min);
        let quarter = Duration::minutes(15);
        let attendees: Vec<Attendee> = people
            .iter()
            .map(|(in_new_york, busy)| {
                let tz = if *in_new_york { new_york() } else { berlin() };
                Attendee::new(tz, WorkingHours::weekdays(8, 18)).busy(busy.iter().map(|(s, len)| {
                    let start = origin + quarter * (*s as i32);
                    Interval::new(start, start + quarter * (*len as i32))
                }))
            })
            .collect();
        let window = Interval::new(origin, origin + Duration::days(14));
        let query = SlotQuery::new(quarter * (duration_q as i32), window)
            .buffers(quarter * (before_q as i32), quarter * (after_q as i32))
            .min_notice(quarter * (notice_q as i32))
            .limit(usize::MAX, 0);
        let offered: Vec<_> = candidates(now, &attendees, &query).iter().map(|s| s.start).collect();
        let mut expected = Vec::new();
        let mut start = origin;
        while start < window.end {
            if valid(now, &attendees, &query, (8, 18), start) {
                expected.push(start);
            }
            start += quarter;
        }
        prop_assert_eq!(offered, expected);

        let ranked = find_slots(now, &attendees, &query.clone().limit(10, 2));
        for slot in &ranked {
            prop_assert!(valid(now, &attendees, &query, (8, 18), slot.start));
            prop_assert!(slot.room >= Duration::zero() && slot.room <= query.comfort);
        }
        for pair in ranked.windows(2) {
            prop_assert!(pair[0].room > pair[1].room || (pair[0].room == pair[1].room && pair[0].start < pair[1].start));
        }
    }
}

#[test]
fn grid_alignment_is_on_whole_steps() {
    let t = at(2026, 3, 23, 10, 7);
    assert_eq!(
        grid_at_or_after(t, Duration::minutes(15)),
        at(2026, 3, 23, 10, 15)
    );
    assert_eq!(
        grid_at_or_after(at(2026, 3, 23, 10, 15), Duration::minutes(15)),
        at(2026, 3, 23, 10, 15)
    );
}
