//! Execution and delivery are recorded apart: retries, give-ups, panics, expired leases.

use std::sync::atomic::Ordering;
use std::time::Duration;

use fa_core::scheduler::*;
use fa_core::*;

use super::{at, harnesses, harnesses_with};

#[tokio::test]
async fn transient_failures_retry_with_backoff_without_running_the_handler_again() {
    for h in harnesses("2026-01-10T08:00:00Z", "UTC").await {
        let job = h
            .scheduler
            .schedule(
                h.scope,
                NewJob::new(
                    "counting",
                    serde_json::json!({}),
                    Trigger::once(at("2026-01-10T09:00:00Z")),
                ),
            )
            .await
            .unwrap();
        h.notifier
            .fail_next(DeliveryError::transient("connection reset"));
        h.notifier.fail_next(DeliveryError::rate_limited(
            Duration::from_secs(30),
            "429 Too Many Requests",
        ));

        let first = h.tick_at(at("2026-01-10T09:00:00Z")).await;
        assert_eq!(
            (first.fired, first.sent, first.retrying),
            (1, 0, 1),
            "{}",
            h.backend
        );
        // The first retry is due 5 s later, not before.
        assert_eq!(
            h.tick_at(at("2026-01-10T09:00:04Z")).await.retrying,
            0,
            "{}",
            h.backend
        );
        let second = h.tick_at(at("2026-01-10T09:00:05Z")).await;
        assert_eq!(second.retrying, 1, "{}", h.backend);
        // The rate limit asked for 30 s, longer than the 10 s backoff.
        assert_eq!(
            h.tick_at(at("2026-01-10T09:00:34Z")).await.sent,
            0,
            "{}",
            h.backend
        );
        let third = h.tick_at(at("2026-01-10T09:00:35Z")).await;
        assert_eq!((third.fired, third.sent), (0, 1), "{}", h.backend);

        assert_eq!(
            h.counting.0.load(Ordering::SeqCst),
            1,
            "{}: the handler ran once",
            h.backend
        );
        assert_eq!(h.notifier.call_count(), 3);
        let occurrence = h
            .scheduler
            .history(h.scope, job.id, 1)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(
            occurrence.state,
            OccurrenceState::Done,
            "{}: execution status",
            h.backend
        );
        let receipts = h
            .scheduler
            .deliveries(h.scope, occurrence.id)
            .await
            .unwrap();
        let statuses: Vec<_> = receipts.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses,
            [
                DeliveryStatus::Retrying,
                DeliveryStatus::Retrying,
                DeliveryStatus::Sent
            ],
            "{}",
            h.backend
        );
        assert_eq!(receipts[0].retry_at, Some(at("2026-01-10T09:00:05Z")));
        assert!(
            receipts[0]
                .detail
                .as_deref()
                .unwrap()
                .contains("connection reset")
        );
        assert_eq!(receipts[1].retry_at, Some(at("2026-01-10T09:00:35Z")));
        assert_eq!(
            receipts[2].detail.as_deref(),
            Some("m3"),
            "{}: the channel's message id",
            h.backend
        );
    }
}

#[tokio::test]
async fn a_permanent_failure_is_given_up_and_recorded() {
    for h in harnesses("2026-01-10T08:00:00Z", "UTC").await {
        h.scheduler
            .schedule(
                h.scope,
                NewJob::reminder("x", Trigger::once(at("2026-01-10T09:00:00Z"))),
            )
            .await
            .unwrap();
        h.notifier.fail_next(DeliveryError::permanent(
            "403 Forbidden: bot was blocked by the user",
        ));
        let report = h.tick_at(at("2026-01-10T09:00:00Z")).await;
        assert_eq!((report.fired, report.given_up), (1, 1), "{}", h.backend);
        assert_eq!(h.advance(Duration::from_secs(7_200)).await.sent, 0);
        assert_eq!(h.notifier.call_count(), 1, "{}", h.backend);
    }
}

#[tokio::test]
async fn retries_stop_after_the_last_attempt() {
    let options = RunnerOptions::default().retry(RetryPolicy::new(
        Duration::from_secs(1),
        Duration::from_secs(1),
        3,
    ));
    for h in harnesses_with("2026-01-10T08:00:00Z", "UTC", options.clone()).await {
        h.scheduler
            .schedule(
                h.scope,
                NewJob::reminder("x", Trigger::once(at("2026-01-10T09:00:00Z"))),
            )
            .await
            .unwrap();
        for _ in 0..5 {
            h.notifier.fail_next(DeliveryError::transient("timeout"));
        }
        let mut given_up = 0;
        h.tick_at(at("2026-01-10T09:00:00Z")).await;
        for _ in 0..5 {
            given_up += h.advance(Duration::from_secs(1)).await.given_up;
        }
        assert_eq!((h.notifier.call_count(), given_up), (3, 1), "{}", h.backend);
    }
}

#[tokio::test]
async fn a_panicking_handler_fails_its_occurrence_and_the_runner_goes_on() {
    for h in harnesses("2026-01-10T08:00:00Z", "UTC").await {
        let due = Trigger::once(at("2026-01-10T09:00:00Z"));
        let bad = h
            .scheduler
            .schedule(
                h.scope,
                NewJob::new("panicking", serde_json::json!({}), due.clone()),
            )
            .await
            .unwrap();
        h.scheduler
            .schedule(h.scope, NewJob::reminder("still sent", due))
            .await
            .unwrap();
        let report = h.tick_at(at("2026-01-10T09:00:00Z")).await;
        assert_eq!(
            (report.fired, report.failed, report.sent),
            (1, 1, 1),
            "{}",
            h.backend
        );
        assert_eq!(h.notifier.sent_bodies(), ["⏰ still sent"]);
        let failed = h
            .scheduler
            .history(h.scope, bad.id, 1)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(failed.state, OccurrenceState::Failed, "{}", h.backend);
        assert_eq!(failed.detail.as_deref(), Some("handler panicked"));
        assert!(failed.notification_id.is_none());
    }
}

#[tokio::test]
async fn an_expired_lease_is_claimed_again_and_sent_once() {
    for h in harnesses("2026-01-10T08:00:00Z", "UTC").await {
        let job = h
            .scheduler
            .schedule(
                h.scope,
                NewJob::reminder("x", Trigger::once(at("2026-01-10T09:00:00Z"))),
            )
            .await
            .unwrap();
        let due = at("2026-01-10T09:00:00Z");
        // A runner claims it and dies before recording anything.
        let claimed = h
            .store
            .claim_occurrences("crashed", due, due + chrono::Duration::seconds(60), 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        // Within the lease nobody else takes it.
        assert_eq!(
            h.tick_at(due + chrono::Duration::seconds(59)).await.fired,
            0,
            "{}",
            h.backend
        );
        let report = h.tick_at(due + chrono::Duration::seconds(60)).await;
        assert_eq!(report.fired, 1, "{}", h.backend);
        assert_eq!(
            h.notifier.sent_bodies()[0],
            "⏰ x (due 09:00, sent late)",
            "{}",
            h.backend
        );
        let occurrence = h
            .scheduler
            .history(h.scope, job.id, 1)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(occurrence.claims, 2, "{}", h.backend);
        assert!(
            occurrence.late,
            "{}: 60 s after due is past the 1 s threshold",
            h.backend
        );
        // The crashed runner's late report changes nothing.
        let created = h
            .store
            .finish_occurrences(
                "crashed",
                &[reported(
                    &occurrence,
                    h.scope,
                    OccurrenceState::Failed,
                    false,
                    NextStep::Nothing,
                )],
                due,
            )
            .await
            .unwrap();
        assert!(created.is_empty());
        let occurrence = h
            .scheduler
            .history(h.scope, job.id, 1)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(occurrence.state, OccurrenceState::Done, "{}", h.backend);
    }
}

#[tokio::test]
async fn after_a_crash_between_send_and_record_the_same_key_is_delivered_again() {
    for h in harnesses("2026-01-10T08:00:00Z", "UTC").await {
        h.scheduler
            .schedule(
                h.scope,
                NewJob::reminder("x", Trigger::once(at("2026-01-10T09:00:00Z"))),
            )
            .await
            .unwrap();
        let due = at("2026-01-10T09:00:00Z");
        let claimed = h
            .store
            .claim_occurrences("crashed", due, due + chrono::Duration::seconds(60), 10)
            .await
            .unwrap();
        let item = &claimed[0];
        // The crashed runner recorded the firing and sent the message, but died before
        // recording the delivery.
        let created = h
            .store
            .finish_occurrences(
                "crashed",
                &[reported(
                    &item.occurrence,
                    h.scope,
                    OccurrenceState::Done,
                    true,
                    NextStep::Complete,
                )],
                due + chrono::Duration::seconds(60),
            )
            .await
            .unwrap();
        assert_eq!(created.len(), 1);
        h.notifier.deliver(&created[0]).await.unwrap();

        assert_eq!(h.tick_at(due + chrono::Duration::seconds(59)).await.sent, 0);
        h.tick_at(due + chrono::Duration::seconds(60)).await;
        let calls = h.notifier.calls.lock().unwrap().clone();
        assert_eq!(
            calls.len(),
            2,
            "{}: delivered again after the lease",
            h.backend
        );
        assert_eq!(calls[0].idempotency_key, calls[1].idempotency_key);
        assert_eq!(
            h.notifier.sent_count(),
            1,
            "{}: the channel dropped the duplicate",
            h.backend
        );
        let n = h
            .store
            .notification(h.scope.household, calls[0].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n.status, DeliveryStatus::Sent, "{}", h.backend);
    }
}

#[tokio::test]
async fn a_job_cancelled_while_its_occurrence_runs_sends_nothing() {
    for h in harnesses("2026-01-10T08:00:00Z", "UTC").await {
        let job = h
            .scheduler
            .schedule(
                h.scope,
                NewJob::reminder("x", Trigger::once(at("2026-01-10T09:00:00Z"))),
            )
            .await
            .unwrap();
        let due = at("2026-01-10T09:00:00Z");
        let claimed = h
            .store
            .claim_occurrences("slow", due, due + chrono::Duration::seconds(60), 10)
            .await
            .unwrap();
        h.scheduler.cancel(h.scope, job.id).await.unwrap();
        let item = &claimed[0];
        let created = h
            .store
            .finish_occurrences(
                "slow",
                &[reported(
                    &item.occurrence,
                    h.scope,
                    OccurrenceState::Done,
                    true,
                    NextStep::Complete,
                )],
                due + chrono::Duration::seconds(60),
            )
            .await
            .unwrap();
        assert!(created.is_empty(), "{}", h.backend);
        assert_eq!(
            h.tick_at(due + chrono::Duration::seconds(120)).await.sent,
            0,
            "{}",
            h.backend
        );
        let occurrence = h
            .scheduler
            .history(h.scope, job.id, 1)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(
            occurrence.state,
            OccurrenceState::Cancelled,
            "{}",
            h.backend
        );
    }
}

/// What a runner that fired `occurrence` on time reports; with `sends`, the message "⏰ x".
fn reported(
    occurrence: &Occurrence,
    scope: MemberScope,
    state: OccurrenceState,
    sends: bool,
    next: NextStep,
) -> OccurrenceOutcome {
    OccurrenceOutcome {
        occurrence: occurrence.id,
        job: occurrence.job_id,
        scope,
        state,
        fired_at: Some(occurrence.due_at),
        late: false,
        detail: None,
        notification: sends
            .then(|| NewNotification::new("default", occurrence.idempotency_key(), "⏰ x")),
        needs_summary: false,
        next,
    }
}
