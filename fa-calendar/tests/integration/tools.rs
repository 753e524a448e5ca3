//! The calendar tools and the busy-time cache against Radicale on loopback (the same server and
//! accounts as `caldav.rs`): a member connects with an app password, creates an event through
//! a confirmed proposal with the conflict shown, moves it (an outside change in between is
//! reported and not overwritten), cancels it, finds free time with another member, and the
//! sync job's cache answers free/busy.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use fa_calendar::accounts::{CalendarAccounts, CalendarApps, CalendarConnection};
use fa_calendar::caldav::CalDavCalendar;
use fa_calendar::slots::Interval;
use fa_calendar::tools::{
    CalendarEventsTool, CancelEventTool, CreateEventTool, FindFreeTimeTool, MoveEventTool,
};
use fa_core::assistant::{Tool, ToolContext, ToolError};
use fa_core::calendar::{Calendar, EventDraft};
use fa_core::scheduler::{JobRegistry, StoreScheduler};
use fa_core::{Member, Secret};
use serde_json::json;

use crate::{Home, home};

fn accounts_env() -> Option<(String, Vec<(String, String)>)> {
    match std::env::var("FA_TEST_CALDAV_URL") {
        Ok(url) if !url.is_empty() => {
            let users = std::env::var("FA_TEST_CALDAV_USERS").expect("FA_TEST_CALDAV_USERS");
            let users = users
                .split(',')
                .filter_map(|u| u.split_once(':'))
                .map(|(u, p)| (u.to_owned(), p.to_owned()))
                .collect();
            Some((url, users))
        }
        _ if std::env::var_os("FA_TEST_REQUIRE_CALDAV").is_some() => {
            panic!("FA_TEST_REQUIRE_CALDAV is set but FA_TEST_CALDAV_URL is not")
        }
        _ => {
            eprintln!("skipped: FA_TEST_CALDAV_URL is not set");
            None
        }
    }
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

struct Setup {
    h: Home,
    accounts: Arc<CalendarAccounts>,
    url: String,
    users: Vec<(String, String)>,
}

impl Setup {
    fn ctx(&self, member: &Member) -> ToolContext {
        let scheduler = Arc::new(StoreScheduler::new(
            self.h.store.clone(),
            JobRegistry::with_builtins(),
        ));
        ToolContext::new(
            member.clone(),
            self.h.store.clone(),
            scheduler,
            self.h.clock.clone(),
        )
    }

    /// Connects `member` as the `n`th test account, with a fresh calendar as the default;
    /// returns the connection and a direct client of the same calendar.
    async fn connect(
        &self,
        member: &Member,
        n: usize,
    ) -> (CalendarConnection, CalDavCalendar, String) {
        let (user, password) = &self.users[n];
        let connection = self
            .accounts
            .connect_caldav(
                member.scope(),
                "Radicale",
                &self.url,
                user,
                Secret::new(password.clone()),
            )
            .await
            .unwrap();
        let direct = CalDavCalendar::discover(
            &self.url,
            user,
            Secret::new(password.clone()),
            member.timezone,
        )
        .await
        .unwrap();
        let slug = format!("t{}", uuid::Uuid::now_v7().simple());
        let made = direct.make_calendar(&slug, "Family").await.unwrap();
        self.accounts
            .set_default_calendar(member.scope(), connection.integration().id, &made)
            .await
            .unwrap();
        let connection = self
            .accounts
            .open(member.scope(), connection.integration().id)
            .await
            .unwrap();
        (connection, direct, made.id)
    }
}

async fn setup() -> Option<Setup> {
    let (url, users) = accounts_env()?;
    let h = home().await;
    let accounts = Arc::new(
        CalendarAccounts::new(h.store.clone(), h.vault.clone(), CalendarApps::new())
            .with_clock(h.clock.clone()),
    );
    Some(Setup {
        h,
        accounts,
        url,
        users,
    })
}

async fn propose(
    tool: &dyn Tool,
    ctx: &ToolContext,
    args: serde_json::Value,
) -> (String, serde_json::Value) {
    let proposal = tool.propose(ctx, args).await.unwrap();
    (proposal.summary, proposal.arguments)
}

#[tokio::test]
async fn a_wrong_app_password_is_refused_and_nothing_is_stored() {
    let Some(s) = setup().await else {
        return;
    };
    let error = s
        .accounts
        .connect_caldav(
            s.h.ana.scope(),
            "Radicale",
            &s.url,
            &s.users[0].0,
            Secret::new("wrong"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        error.connector_kind(),
        Some(fa_core::connector::ConnectorErrorKind::Unauthorized),
        "{error}"
    );
    assert!(
        s.accounts
            .connections(s.h.ana.scope())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn create_move_and_cancel_go_through_confirmed_proposals() {
    let Some(s) = setup().await else {
        return;
    };
    let ana = s.h.ana.clone();
    let ctx = s.ctx(&ana);
    let (_, direct, calendar) = s.connect(&ana, 0).await;
    let create = CreateEventTool(s.accounts.clone());

    // The proposal pins the instants and the calendar; nothing is created before the call.
    let (summary, pinned) = propose(
        &create,
        &ctx,
        json!({"title": "Dentist", "when": "thursday at 4pm", "location": "Hauptstraße 5"}),
    )
    .await;
    assert_eq!(
        summary,
        "Add to Radicale (Family): Dentist, Thu 19 Nov 16:00–17:00 @ Hauptstraße 5"
    );
    assert_eq!(pinned["pinned"]["start"], "2026-11-19T15:00:00Z");
    let thursday = (utc("2026-11-18T23:00:00Z"), utc("2026-11-19T23:00:00Z"));
    assert!(
        direct
            .events(&calendar, thursday.0, thursday.1)
            .await
            .unwrap()
            .is_empty()
    );
    let added = create.call(&ctx, pinned).await.unwrap();
    assert_eq!(
        added,
        "Added in Radicale: Thu 19 Nov 16:00–17:00 Dentist @ Hauptstraße 5."
    );
    let events = direct
        .events(&calendar, thursday.0, thursday.1)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].start, utc("2026-11-19T15:00:00Z"));

    // A second event that overlaps says so in its preview.
    let (summary, _) = propose(
        &create,
        &ctx,
        json!({"title": "School run", "when": "2026-11-19 16:30", "duration_minutes": 30}),
    )
    .await;
    assert!(
        summary.ends_with("⚠ overlaps: Thu 19 Nov 16:00–17:00 Dentist @ Hauptstraße 5"),
        "{summary}"
    );
    // A time that has passed or repeats is refused with what to say instead.
    for when in ["2026-11-17 10:00", "every monday at 8"] {
        let refused = create
            .propose(&ctx, json!({"title": "x", "when": when}))
            .await
            .unwrap_err();
        assert!(
            matches!(refused, ToolError::InvalidArguments(_)),
            "{refused:?}"
        );
    }

    let listed = CalendarEventsTool(s.accounts.clone())
        .call(&ctx, json!({"from": "thursday"}))
        .await
        .unwrap();
    assert_eq!(
        listed,
        "Events on Thu 19 Nov:\n- Thu 19 Nov 16:00–17:00 Dentist @ Hauptstraße 5"
    );

    // Move: someone changes the event at the server after the preview; the confirmed move is
    // refused and the outside change stays.
    let mover = MoveEventTool(s.accounts.clone());
    let (summary, pinned) = propose(
        &mover,
        &ctx,
        json!({"event": "dentist", "to": "friday at 10am"}),
    )
    .await;
    assert_eq!(
        summary,
        "Move Dentist from Thu 19 Nov 16:00–17:00 to Fri 20 Nov 10:00–11:00"
    );
    let outside = EventDraft::new(
        "Dentist (moved by phone)",
        utc("2026-11-19T16:00:00Z"),
        utc("2026-11-19T17:00:00Z"),
        ana.timezone,
    );
    direct
        .update(
            &calendar,
            &events[0].id,
            events[0].etag.as_deref(),
            &outside,
        )
        .await
        .unwrap();
    let refused = mover.call(&ctx, pinned).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("changed in the calendar since"),
        "{refused}"
    );
    let kept = direct
        .events(&calendar, thursday.0, thursday.1)
        .await
        .unwrap();
    assert_eq!(kept[0].summary, "Dentist (moved by phone)");
    // Asked again, it moves the event as it is now.
    let (_, pinned) = propose(
        &mover,
        &ctx,
        json!({"event": "dentist", "to": "friday at 10am"}),
    )
    .await;
    let moved = mover.call(&ctx, pinned).await.unwrap();
    assert_eq!(
        moved,
        "Moved in Radicale: Fri 20 Nov 10:00–11:00 Dentist (moved by phone)."
    );

    // Cancel.
    let cancel = CancelEventTool(s.accounts.clone());
    let missing = cancel
        .propose(&ctx, json!({"event": "haircut"}))
        .await
        .unwrap_err();
    assert!(
        missing.to_string().contains("no event with \"haircut\""),
        "{missing}"
    );
    let (summary, pinned) =
        propose(&cancel, &ctx, json!({"event": "dentist", "on": "friday"})).await;
    assert_eq!(
        summary,
        "Cancel Dentist (moved by phone) (Fri 20 Nov 10:00–11:00) in Radicale"
    );
    cancel.call(&ctx, pinned).await.unwrap();
    let week = direct
        .events(&calendar, thursday.0, thursday.0 + Duration::days(7))
        .await
        .unwrap();
    assert!(week.is_empty(), "{week:?}");
}

#[tokio::test]
async fn free_time_for_two_members_avoids_both_calendars_and_the_cache_answers_after_a_sync() {
    let Some(s) = setup().await else {
        return;
    };
    assert!(s.users.len() >= 2, "two CalDAV accounts are needed");
    let (ana, ben) = (s.h.ana.clone(), s.h.ben.clone());
    let (_, ana_direct, ana_cal) = s.connect(&ana, 0).await;
    let (_, ben_direct, ben_cal) = s.connect(&ben, 1).await;
    // Thursday: Ana busy 09:00-12:00, Ben busy 13:00-18:00 (Berlin).
    let ana_busy = EventDraft::new(
        "Work",
        utc("2026-11-19T08:00:00Z"),
        utc("2026-11-19T11:00:00Z"),
        ana.timezone,
    );
    let ben_busy = EventDraft::new(
        "Shift",
        utc("2026-11-19T12:00:00Z"),
        utc("2026-11-19T17:00:00Z"),
        ben.timezone,
    );
    let ana_event = ana_direct.create(&ana_cal, &ana_busy).await.unwrap();
    ben_direct.create(&ben_cal, &ben_busy).await.unwrap();

    let ctx = s.ctx(&ana);
    let answer = FindFreeTimeTool(s.accounts.clone())
        .call(
            &ctx,
            json!({"with": ["ben"], "within_days": 2, "duration_minutes": 60}),
        )
        .await
        .unwrap();
    assert!(
        answer.starts_with("Free for Ana, Ben (60 min):"),
        "{answer}"
    );
    let thursday: Vec<&str> = answer
        .lines()
        .filter(|l| l.contains("Thu 19 Nov"))
        .collect();
    assert!(!thursday.is_empty(), "{answer}");
    for line in thursday {
        // Only 08:00-09:00, 12:00-13:00 and 18:00-20:00 are free for both on Thursday.
        let start = &line[line.find("Thu 19 Nov ").unwrap() + 11..][..5];
        assert!(
            [
                "08:00", "12:00", "18:00", "18:15", "18:30", "18:45", "19:00"
            ]
            .contains(&start),
            "{line}"
        );
    }
    let unknown = FindFreeTimeTool(s.accounts.clone())
        .call(&ctx, json!({"with": ["Carla"]}))
        .await
        .unwrap_err();
    assert!(
        unknown.to_string().contains("the household: Ana, Ben"),
        "{unknown}"
    );

    // The sync caches Ana's busy time; a fresh cache answers even after the server changed,
    // a cache older than allowed does not.
    let report = s.accounts.sync(ana.scope(), 31).await.unwrap();
    assert_eq!((report.synced, report.intervals), (1, 1));
    ana_direct
        .delete(&ana_cal, &ana_event.id, ana_event.etag.as_deref())
        .await
        .unwrap();
    let range = Interval::new(utc("2026-11-19T00:00:00Z"), utc("2026-11-20T00:00:00Z"));
    let cached = s
        .accounts
        .busy(ana.scope(), range, StdDuration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(
        cached.intervals,
        vec![Interval::new(
            utc("2026-11-19T08:00:00Z"),
            utc("2026-11-19T11:00:00Z")
        )]
    );
    s.h.clock.advance(Duration::hours(2));
    let live = s
        .accounts
        .busy(ana.scope(), range, StdDuration::from_secs(3600))
        .await
        .unwrap();
    assert!(live.intervals.is_empty(), "{live:?}");
}
