//! Scheduling, listing and changing jobs; bad input.

use std::time::Duration;

use fa_core::scheduler::*;
use fa_core::*;

use super::{at, harnesses};

#[tokio::test]
async fn a_one_shot_fires_at_its_instant_and_not_before() {
    for h in harnesses("2026-05-01T08:00:00Z", "Europe/Berlin").await {
        let due = at("2026-05-01T08:10:00Z");
        let job = h
            .scheduler
            .schedule(
                h.scope,
                NewJob::reminder("Call grandma", Trigger::once(due)),
            )
            .await
            .unwrap();
        assert_eq!(job.timezone, chrono_tz::Europe::Berlin, "{}", h.backend);

        let report = h.tick_at(due - chrono::Duration::microseconds(1)).await;
        assert_eq!(report.fired, 0, "{}: fired early", h.backend);
        assert!(h.notifier.sent_bodies().is_empty(), "{}", h.backend);

        let report = h.tick_at(due).await;
        assert_eq!(
            (report.fired, report.sent, report.late),
            (1, 1, 0),
            "{}",
            h.backend
        );
        assert_eq!(
            h.notifier.sent_bodies(),
            ["⏰ Call grandma"],
            "{}",
            h.backend
        );

        let history = h.scheduler.history(h.scope, job.id, 10).await.unwrap();
        assert_eq!(history.len(), 1, "{}", h.backend);
        let occurrence = &history[0];
        assert_eq!(occurrence.state, OccurrenceState::Done, "{}", h.backend);
        assert_eq!(occurrence.fired_at, Some(due), "{}", h.backend);
        assert!(!occurrence.late, "{}", h.backend);
        let sent = h.notifier.sent.lock().unwrap()[0].clone();
        assert_eq!(
            sent.idempotency_key,
            occurrence.idempotency_key(),
            "{}",
            h.backend
        );
        assert_eq!(
            sent.idempotency_key,
            format!("job:{}:{}", job.id, due.timestamp_micros()),
            "{}: the key is (job, scheduled instant)",
            h.backend
        );
        let job = h.scheduler.job(h.scope, job.id).await.unwrap().unwrap();
        assert_eq!(job.state, JobState::Completed, "{}", h.backend);
        assert!(h.scheduler.upcoming(h.scope, 10).await.unwrap().is_empty());
        // Nothing more happens later.
        assert_eq!(h.advance(Duration::from_secs(3_600)).await.fired, 0);
    }
}

#[tokio::test]
async fn bad_input_names_the_field_and_stores_nothing() {
    for h in harnesses("2026-05-01T08:00:00Z", "Europe/Berlin").await {
        let future = at("2026-05-02T08:00:00Z");
        let cases: Vec<(NewJob, &str)> = vec![
            (
                NewJob::reminder("x", Trigger::cron("61 * * * *")),
                "trigger.cron",
            ),
            (
                NewJob::reminder("x", Trigger::cron("not cron")),
                "trigger.cron",
            ),
            (
                NewJob::reminder(
                    "x",
                    Trigger::rrule("FREQ=SOMETIMES", "2026-05-01T09:00:00".parse().unwrap()),
                ),
                "trigger.rrule",
            ),
            (
                NewJob::reminder("x", Trigger::once(at("2026-05-01T07:59:59Z"))),
                "trigger.at",
            ),
            (
                NewJob::reminder("x", Trigger::interval(future, Duration::ZERO)),
                "trigger.every",
            ),
            (
                NewJob::reminder("x", Trigger::once(future)).in_timezone("Mars/Olympus_Mons"),
                "timezone",
            ),
            (
                NewJob::reminder("  ", Trigger::once(future)),
                "payload.text",
            ),
            (
                NewJob::new("no_such_kind", serde_json::json!({}), Trigger::once(future)),
                "kind",
            ),
            (
                NewJob::new(
                    "reminder",
                    serde_json::json!({"txt": 1}),
                    Trigger::once(future),
                ),
                "payload",
            ),
        ];
        for (job, field) in cases {
            let described = format!("{job:?}");
            match h.scheduler.schedule(h.scope, job).await {
                Err(Error::InvalidInput { field: got, reason }) => {
                    assert_eq!(got, field, "{}: {described}: {reason}", h.backend);
                    assert!(!reason.is_empty());
                }
                other => panic!("{}: {described} gave {other:?}", h.backend),
            }
        }
        // A batch with one bad job stores none of them, and says which one.
        let mut batch: Vec<_> = (0..5)
            .map(|i| {
                (
                    h.scope.member,
                    NewJob::reminder(format!("r{i}"), Trigger::once(future)),
                )
            })
            .collect();
        batch[3].1 = NewJob::reminder("bad", Trigger::cron("0 25 * * *"));
        let err = h
            .scheduler
            .schedule_many(h.scope.household, batch)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("job #3"), "{}: {err}", h.backend);
        assert!(
            h.scheduler.jobs(h.scope).await.unwrap().is_empty(),
            "{}",
            h.backend
        );
        assert!(
            h.store.next_wakeup().await.unwrap().is_none(),
            "{}",
            h.backend
        );
    }
}

#[tokio::test]
async fn a_recurring_job_plans_its_next_occurrence_after_each_firing() {
    for h in harnesses("2026-01-10T06:00:00Z", "Europe/Berlin").await {
        let job = h
            .scheduler
            .schedule(
                h.scope,
                NewJob::reminder("Pills", Trigger::cron("0 9 * * *")),
            )
            .await
            .unwrap();
        let upcoming = h.scheduler.upcoming(h.scope, 10).await.unwrap();
        assert_eq!(
            upcoming.len(),
            1,
            "{}: only the next occurrence is materialised",
            h.backend
        );
        assert_eq!(
            upcoming[0].local_due.to_rfc3339(),
            "2026-01-10T09:00:00+01:00"
        );

        let fired = h.run_until(at("2026-01-13T00:00:00Z")).await;
        assert_eq!(
            fired,
            [
                at("2026-01-10T08:00:00Z"),
                at("2026-01-11T08:00:00Z"),
                at("2026-01-12T08:00:00Z")
            ],
            "{}",
            h.backend
        );
        let upcoming = h.scheduler.upcoming(h.scope, 10).await.unwrap();
        assert_eq!(
            upcoming[0].local_due.to_rfc3339(),
            "2026-01-13T09:00:00+01:00"
        );
        let history = h.scheduler.history(h.scope, job.id, 10).await.unwrap();
        let states: Vec<_> = history.iter().map(|o| o.state).collect();
        assert_eq!(
            states,
            [
                OccurrenceState::Pending,
                OccurrenceState::Done,
                OccurrenceState::Done,
                OccurrenceState::Done
            ],
            "{}: newest first",
            h.backend
        );
    }
}

#[tokio::test]
async fn pause_resume_and_cancel() {
    for h in harnesses("2026-01-10T06:00:00Z", "UTC").await {
        let job = h
            .scheduler
            .schedule(
                h.scope,
                NewJob::reminder("Stretch", Trigger::cron("0 9 * * *")),
            )
            .await
            .unwrap();
        let paused = h.scheduler.pause(h.scope, job.id).await.unwrap();
        assert_eq!(paused.state, JobState::Paused);
        // Paused through three due instants: nothing fires.
        assert_eq!(
            h.tick_at(at("2026-01-12T12:00:00Z")).await.fired,
            0,
            "{}",
            h.backend
        );
        assert!(h.notifier.sent_bodies().is_empty());
        let err = h.scheduler.pause(h.scope, job.id).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict, "{}", h.backend);

        // Resumed: the next firing is the next 09:00 from now, the missed ones are not replayed.
        h.scheduler.resume(h.scope, job.id).await.unwrap();
        let upcoming = h.scheduler.upcoming(h.scope, 10).await.unwrap();
        assert_eq!(upcoming.len(), 1);
        assert_eq!(
            upcoming[0].occurrence.due_at,
            at("2026-01-13T09:00:00Z"),
            "{}",
            h.backend
        );
        assert_eq!(
            h.tick_at(at("2026-01-13T09:00:00Z")).await.fired,
            1,
            "{}",
            h.backend
        );

        let cancelled = h.scheduler.cancel(h.scope, job.id).await.unwrap();
        assert_eq!(cancelled.state, JobState::Cancelled);
        assert!(h.scheduler.upcoming(h.scope, 10).await.unwrap().is_empty());
        assert_eq!(
            h.tick_at(at("2026-01-20T09:00:00Z")).await.fired,
            0,
            "{}",
            h.backend
        );
        let err = h.scheduler.cancel(h.scope, job.id).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict, "{}", h.backend);
        let err = h.scheduler.pause(h.scope, JobId::new()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{}", h.backend);
    }
}

#[tokio::test]
async fn snooze_and_done() {
    for h in harnesses("2026-01-10T08:00:00Z", "UTC").await {
        let job = h
            .scheduler
            .schedule(
                h.scope,
                NewJob::reminder("Laundry", Trigger::once(at("2026-01-10T09:00:00Z"))),
            )
            .await
            .unwrap();
        // Snoozing a pending occurrence moves it.
        let pending = h.scheduler.upcoming(h.scope, 1).await.unwrap()[0]
            .occurrence
            .clone();
        let err = h
            .scheduler
            .snooze(h.scope, pending.id, at("2026-01-10T07:00:00Z"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { field: "until", .. }),
            "{err}"
        );
        let moved = h
            .scheduler
            .snooze(h.scope, pending.id, at("2026-01-10T09:30:00Z"))
            .await
            .unwrap();
        assert_eq!(
            (moved.id, moved.due_at),
            (pending.id, at("2026-01-10T09:30:00Z"))
        );
        assert_eq!(
            h.tick_at(at("2026-01-10T09:00:00Z")).await.fired,
            0,
            "{}",
            h.backend
        );
        assert_eq!(
            h.tick_at(at("2026-01-10T09:30:00Z")).await.fired,
            1,
            "{}",
            h.backend
        );

        // Snoozing a fired one plans a repeat, with its own idempotency key.
        let repeat = h
            .scheduler
            .snooze(h.scope, pending.id, at("2026-01-10T09:40:00Z"))
            .await
            .unwrap();
        assert_ne!(repeat.id, pending.id);
        assert_eq!(repeat.snoozed_from, Some(pending.id));
        assert_eq!(
            h.tick_at(at("2026-01-10T09:40:00Z")).await.fired,
            1,
            "{}",
            h.backend
        );
        let sent = h.notifier.sent.lock().unwrap().clone();
        assert_eq!(sent.len(), 2);
        assert_ne!(sent[0].idempotency_key, sent[1].idempotency_key);

        // Done on the repeat cancels a further pending snooze of it.
        let again = h
            .scheduler
            .snooze(h.scope, repeat.id, at("2026-01-10T10:00:00Z"))
            .await
            .unwrap();
        let done = h.scheduler.done(h.scope, repeat.id).await.unwrap();
        assert_eq!(done.acknowledged_at, Some(h.now()));
        let history = h.scheduler.history(h.scope, job.id, 10).await.unwrap();
        let again = history.iter().find(|o| o.id == again.id).unwrap();
        assert_eq!(again.state, OccurrenceState::Cancelled, "{}", h.backend);
        assert_eq!(
            h.tick_at(at("2026-01-10T10:00:00Z")).await.fired,
            0,
            "{}",
            h.backend
        );
    }
}

#[tokio::test]
async fn members_see_only_their_own_jobs() {
    for h in harnesses("2026-01-10T08:00:00Z", "UTC").await {
        let other_home = h.store.create_household("Other").await.unwrap();
        let bob = h
            .store
            .add_member(other_home.id, NewMember::new("Bob", Role::Owner))
            .await
            .unwrap();
        let job = h
            .scheduler
            .schedule(
                bob.scope(),
                NewJob::reminder("Bob's", Trigger::once(at("2026-01-10T09:00:00Z"))),
            )
            .await
            .unwrap();
        assert!(h.scheduler.job(h.scope, job.id).await.unwrap().is_none());
        assert!(h.scheduler.upcoming(h.scope, 10).await.unwrap().is_empty());
        let err = h.scheduler.cancel(h.scope, job.id).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{}", h.backend);
        // A member id from another household does not schedule into this one.
        let err = h
            .scheduler
            .schedule(
                MemberScope::new(h.scope.household, bob.id),
                NewJob::reminder("x", Trigger::once(at("2026-01-10T09:00:00Z"))),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{}", h.backend);
    }
}

#[tokio::test]
async fn built_in_kinds_compose_their_messages() {
    for h in harnesses("2026-01-10T06:00:00Z", "Europe/Berlin").await {
        let habit = h
            .store
            .create_habit(h.scope, NewHabit::new("Stretch"))
            .await
            .unwrap();
        let at9 = Trigger::once(at("2026-01-10T08:00:00Z"));
        for job in [
            NewJob::check_in(None, at9.clone()),
            NewJob::habit_nudge(habit.id, at9.clone()),
            NewJob::reminder("Pills", Trigger::once(at("2026-01-10T12:00:00Z"))),
        ] {
            h.scheduler.schedule(h.scope, job).await.unwrap();
        }
        h.scheduler
            .schedule(
                h.scope,
                NewJob::digest(Trigger::once(at("2026-01-10T07:00:00Z"))),
            )
            .await
            .unwrap();
        h.run_until(at("2026-01-10T08:30:00Z")).await;
        let bodies = h.notifier.sent_bodies();
        assert_eq!(bodies.len(), 3, "{}: {bodies:?}", h.backend);
        assert!(
            bodies[0].contains("Sat 09:00 check in"),
            "{}: {}",
            h.backend,
            bodies[0]
        );
        assert!(
            bodies[0].contains("Sat 13:00 Pills"),
            "{}: {}",
            h.backend,
            bodies[0]
        );
        assert!(
            bodies[1..]
                .iter()
                .any(|b| b.starts_with("How are you today?"))
        );
        assert!(bodies[1..].iter().any(|b| b == "🌱 Time for: Stretch"));
    }
}

/// A kind known only at run time: its payload is checked by its own `validate`, its misfire
/// policy is the job's default, and its message is delivered like any other.
struct Greeting;

#[async_trait::async_trait]
impl DynJobKind for Greeting {
    fn misfire(&self) -> MisfirePolicy {
        MisfirePolicy::Skip
    }

    fn validate(&self, payload: &serde_json::Value) -> Result<()> {
        match payload.get("name").and_then(|n| n.as_str()) {
            Some(_) => Ok(()),
            None => Err(Error::InvalidInput {
                field: "payload",
                reason: "needs a name".to_owned(),
            }),
        }
    }

    async fn run(&self, ctx: &JobContext) -> Result<JobOutput, JobError> {
        let name = ctx.job.payload["name"].as_str().unwrap_or("you");
        Ok(JobOutput::Message(format!("Hello, {name}")))
    }
}

#[tokio::test]
async fn a_kind_registered_at_run_time_validates_defaults_and_delivers() {
    for h in harnesses("2026-05-01T08:00:00Z", "Europe/Berlin").await {
        let mut registry = JobRegistry::with_builtins();
        registry
            .register_dyn("greeting", std::sync::Arc::new(Greeting))
            .unwrap();
        assert!(registry.names().contains(&"greeting"));
        assert!(
            registry
                .register_dyn("Not A Name", std::sync::Arc::new(Greeting))
                .is_err()
        );
        let scheduler = StoreScheduler::new(h.store.clone(), registry).with_clock(h.clock.clone());
        let due = Trigger::once(at("2026-05-01T08:05:00Z"));
        let error = scheduler
            .schedule(
                h.scope,
                NewJob::new("greeting", serde_json::json!({}), due.clone()),
            )
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{}", h.backend);
        let job = scheduler
            .schedule(
                h.scope,
                NewJob::new("greeting", serde_json::json!({"name": "Ana"}), due),
            )
            .await
            .unwrap();
        assert_eq!(job.misfire, MisfirePolicy::Skip, "{}", h.backend);
        let runner = scheduler.runner(h.notifier.clone(), RunnerOptions::default());
        h.clock.advance(chrono::Duration::minutes(5));
        let report = runner.tick().await.unwrap();
        assert_eq!((report.fired, report.sent), (1, 1), "{}", h.backend);
        assert_eq!(h.notifier.sent_bodies(), ["Hello, Ana"], "{}", h.backend);
    }
}
