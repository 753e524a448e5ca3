//! Daylight-saving transitions through the whole scheduler (store, runner, manual clock):
//! Europe/Berlin and America/New_York, gap and overlap, cron and RRULE.

use fa_core::scheduler::*;

use super::{at, harnesses};

async fn fire_times(timezone: &str, start: &str, end: &str, trigger: Trigger) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for h in harnesses(start, timezone).await {
        h.scheduler
            .schedule(h.scope, NewJob::reminder("dst", trigger.clone()))
            .await
            .unwrap();
        let fired = h.run_until(at(end)).await;
        all.push(fired.iter().map(|t| t.to_rfc3339()).collect());
    }
    all
}

fn local(s: &str) -> chrono::NaiveDateTime {
    s.parse().unwrap()
}

const BERLIN_GAP: [&str; 4] = [
    "2026-03-27T01:30:00+00:00",
    "2026-03-28T01:30:00+00:00",
    // 02:30 does not exist on 29 March: 03:00 CEST, the first valid instant after.
    "2026-03-29T01:00:00+00:00",
    "2026-03-30T00:30:00+00:00",
];

const BERLIN_OVERLAP: [&str; 3] = [
    "2026-10-24T00:30:00+00:00",
    // 02:30 happens twice on 25 October: once, at the first (CEST).
    "2026-10-25T00:30:00+00:00",
    "2026-10-26T01:30:00+00:00",
];

const NEW_YORK_GAP: [&str; 3] = [
    "2026-03-07T07:30:00+00:00",
    // 02:30 does not exist on 8 March: 03:00 EDT.
    "2026-03-08T07:00:00+00:00",
    "2026-03-09T06:30:00+00:00",
];

const NEW_YORK_OVERLAP: [&str; 3] = [
    "2026-10-31T05:30:00+00:00",
    // 01:30 happens twice on 1 November: once, at the first (EDT).
    "2026-11-01T05:30:00+00:00",
    "2026-11-02T06:30:00+00:00",
];

#[tokio::test]
async fn berlin_spring_gap_cron_and_rrule() {
    let cron = Trigger::cron("30 2 * * *");
    let rrule = Trigger::rrule("FREQ=DAILY", local("2026-03-27T02:30:00"));
    for trigger in [cron, rrule] {
        for fired in fire_times(
            "Europe/Berlin",
            "2026-03-26T12:00:00Z",
            "2026-03-30T12:00:00Z",
            trigger.clone(),
        )
        .await
        {
            assert_eq!(fired, BERLIN_GAP, "{trigger:?}");
        }
    }
}

#[tokio::test]
async fn berlin_autumn_overlap_cron_and_rrule() {
    let cron = Trigger::cron("30 2 * * *");
    let rrule = Trigger::rrule("FREQ=DAILY", local("2026-10-24T02:30:00"));
    for trigger in [cron, rrule] {
        for fired in fire_times(
            "Europe/Berlin",
            "2026-10-23T12:00:00Z",
            "2026-10-26T12:00:00Z",
            trigger.clone(),
        )
        .await
        {
            assert_eq!(fired, BERLIN_OVERLAP, "{trigger:?}");
        }
    }
}

#[tokio::test]
async fn new_york_spring_gap_cron_and_rrule() {
    let cron = Trigger::cron("30 2 * * *");
    let rrule = Trigger::rrule("FREQ=DAILY", local("2026-03-07T02:30:00"));
    for trigger in [cron, rrule] {
        for fired in fire_times(
            "America/New_York",
            "2026-03-06T12:00:00Z",
            "2026-03-09T12:00:00Z",
            trigger.clone(),
        )
        .await
        {
            assert_eq!(fired, NEW_YORK_GAP, "{trigger:?}");
        }
    }
}

#[tokio::test]
async fn new_york_autumn_overlap_cron_and_rrule() {
    let cron = Trigger::cron("30 1 * * *");
    let rrule = Trigger::rrule("FREQ=DAILY", local("2026-10-31T01:30:00"));
    for trigger in [cron, rrule] {
        for fired in fire_times(
            "America/New_York",
            "2026-10-30T12:00:00Z",
            "2026-11-02T12:00:00Z",
            trigger.clone(),
        )
        .await
        {
            assert_eq!(fired, NEW_YORK_OVERLAP, "{trigger:?}");
        }
    }
}

#[tokio::test]
async fn rrule_exdate_skips_a_day() {
    let trigger = Trigger::rrule("FREQ=DAILY;COUNT=4", local("2026-03-27T09:00:00"))
        .with_exdates([local("2026-03-28T09:00:00")])
        .unwrap();
    for fired in fire_times(
        "Europe/Berlin",
        "2026-03-26T12:00:00Z",
        "2026-04-05T12:00:00Z",
        trigger,
    )
    .await
    {
        assert_eq!(
            fired,
            [
                "2026-03-27T08:00:00+00:00",
                "2026-03-29T07:00:00+00:00",
                "2026-03-30T07:00:00+00:00"
            ]
        );
    }
}
