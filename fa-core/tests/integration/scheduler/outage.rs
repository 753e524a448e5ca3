//! A 3-second outage, on a manual clock: each misfire policy does what it says, and the member
//! gets one summary.

use std::time::Duration;

use fa_core::scheduler::*;
use fa_core::*;

use super::{at, harnesses_with};

fn sent_for(bodies: &[String], name: &str) -> usize {
    bodies
        .iter()
        .filter(|b| **b == format!("⏰ {name}") || b.starts_with(&format!("⏰ {name} (")))
        .count()
}

#[tokio::test]
async fn a_three_second_outage_follows_each_jobs_misfire_policy_and_is_summarised_once() {
    let options = RunnerOptions::default().late_after(Duration::from_millis(500));
    for h in harnesses_with("2026-01-10T09:00:00Z", "UTC", options).await {
        let t0 = at("2026-01-10T09:00:00Z");
        let s = |secs: f64| t0 + chrono::Duration::milliseconds((secs * 1000.0) as i64);
        let every_second = Trigger::interval(s(1.0), Duration::from_secs(1));
        let jobs = [
            (
                "skip",
                NewJob::reminder("skip", every_second.clone()).misfire(MisfirePolicy::Skip),
            ),
            (
                "once",
                NewJob::reminder("once", every_second.clone()).misfire(MisfirePolicy::FireOnce),
            ),
            (
                "all",
                NewJob::reminder("all", every_second.clone()).misfire(MisfirePolicy::FireAll),
            ),
            (
                "all-grace",
                NewJob::reminder("all-grace", every_second.clone())
                    .misfire(MisfirePolicy::FireAll)
                    .grace(Duration::from_millis(1_500)),
            ),
            (
                "one-shot",
                NewJob::reminder("one-shot", Trigger::once(s(3.5))),
            ),
            (
                "one-shot-skip",
                NewJob::reminder("one-shot-skip", Trigger::once(s(4.0)))
                    .misfire(MisfirePolicy::Skip),
            ),
        ];
        let mut ids = std::collections::HashMap::new();
        for (name, job) in jobs {
            ids.insert(name, h.scheduler.schedule(h.scope, job).await.unwrap().id);
        }

        // Running normally: the four interval jobs fire at 1 s and 2 s, on time.
        for secs in [1.0, 2.0] {
            let report = h.tick_at(s(secs)).await;
            assert_eq!(
                (report.fired, report.late, report.summaries),
                (4, 0, 0),
                "{}",
                h.backend
            );
        }
        let before = h.notifier.sent_count();

        // Down from 2 s to 5 s; the first tick after the outage.
        let report = h.tick_at(s(5.0)).await;
        let bodies: Vec<String> = h.notifier.sent_bodies()[before..].to_vec();
        let b = h.backend;
        assert_eq!(
            sent_for(&bodies, "skip"),
            0,
            "{b}: skip runs none of the missed: {bodies:?}"
        );
        assert_eq!(
            sent_for(&bodies, "once"),
            1,
            "{b}: fire_once coalesces 3 s, 4 s, 5 s into one"
        );
        assert_eq!(
            sent_for(&bodies, "all"),
            3,
            "{b}: fire_all replays 3 s, 4 s and 5 s"
        );
        assert_eq!(
            sent_for(&bodies, "all-grace"),
            2,
            "{b}: 3 s is past the 1.5 s grace"
        );
        assert_eq!(sent_for(&bodies, "one-shot"), 1, "{b}");
        assert_eq!(sent_for(&bodies, "one-shot-skip"), 0, "{b}");
        assert!(
            bodies
                .iter()
                .any(|x| x == "⏰ one-shot (due 09:00, sent late)"),
            "{b}: late messages say so: {bodies:?}"
        );
        assert_eq!((report.fired, report.skipped), (7, 3), "{b}: {report:?}");
        assert_eq!(
            report.late, 8,
            "{b}: all but fire_all's on-time 5 s firings are late"
        );

        // Exactly one summary, after the late messages, saying what was missed and sent late.
        let summaries: Vec<&String> = bodies
            .iter()
            .filter(|x| x.starts_with("While I was offline"))
            .collect();
        assert_eq!(summaries.len(), 1, "{b}: {bodies:?}");
        let summary = summaries[0];
        assert!(
            summary.starts_with("While I was offline, 3 firings were missed and 5 were sent late:"),
            "{b}: {summary}"
        );
        assert!(
            summary.contains("• Sat 09:00 skip — missed"),
            "{b}: {summary}"
        );
        assert!(
            summary.contains("• Sat 09:00 one-shot — sent late at 09:00"),
            "{b}: {summary}"
        );
        assert_eq!(bodies.last(), Some(summary), "{b}: the summary comes last");
        assert_eq!(report.summaries, 1);

        // What each policy recorded.
        let skip = h.scheduler.history(h.scope, ids["skip"], 10).await.unwrap();
        let missed = skip.iter().find(|o| o.due_at == s(3.0)).unwrap();
        assert_eq!(missed.state, OccurrenceState::Skipped, "{b}");
        assert!(missed.late, "{b}");
        assert!(
            missed
                .detail
                .as_deref()
                .unwrap()
                .contains("misfire policy is skip"),
            "{b}"
        );
        assert!(
            missed
                .detail
                .as_deref()
                .unwrap()
                .contains("2 more missed firings skipped"),
            "{b}"
        );
        assert_eq!(
            skip[0].due_at,
            s(6.0),
            "{b}: skip resumes at the next firing after now"
        );
        let once = h.scheduler.history(h.scope, ids["once"], 10).await.unwrap();
        let coalesced = once.iter().find(|o| o.due_at == s(3.0)).unwrap();
        assert_eq!(
            (coalesced.state, coalesced.late),
            (OccurrenceState::Done, true),
            "{b}"
        );
        assert!(
            coalesced
                .detail
                .as_deref()
                .unwrap()
                .contains("2 more missed firings coalesced")
        );
        assert_eq!(once[0].due_at, s(6.0), "{b}");
        let all = h.scheduler.history(h.scope, ids["all"], 10).await.unwrap();
        let late: Vec<bool> = all
            .iter()
            .filter(|o| o.due_at >= s(3.0) && o.due_at <= s(5.0))
            .map(|o| o.late)
            .collect();
        assert_eq!(
            late,
            [false, true, true],
            "{b}: newest first: 5 s on time, 4 s and 3 s late"
        );

        // Back to normal: no new summary, jobs fire on time again.
        let report = h.tick_at(s(6.0)).await;
        assert_eq!(
            (report.fired, report.late, report.summaries),
            (4, 0, 0),
            "{b}"
        );
    }
}
