//! The router: stored inbound events → the household's rules → members' outboxes.
//!
//! Sources (the Amazon SQS consumer, a calendar push, a webhook) only *store* events, once per
//! idempotency key. The [`EventRouter`] reads stored events that are not yet processed, asks the
//! source's [`EventRenderer`] what each one says, applies the household's [`RouteRule`](crate::RouteRule)s with
//! [`plan_deliveries`], and commits the result with
//! [`RoutingStore::commit_routes`](crate::RoutingStore::commit_routes): the outbox messages (or
//! digest lines) and the event's "processed" mark are written in one transaction. So a crash
//! anywhere routes an event again from the start or not at all, and an event is never routed
//! twice. The scheduler's runner delivers the outbox with receipts; quiet hours are outbox
//! messages held back with `not_before`; digests are flushed by [`EventRouter::flush_digests`].
//!
//! ```
//! use std::sync::Arc;
//! use fa_core::routing::EventRouter;
//! use fa_core::{EventStore, HouseholdStore, NewInboundEvent, NewMember, Role, RouteSpec};
//! use fa_core::{RoutingStore, SqliteOptions, SqliteStore};
//!
//! # async fn run() -> fa_core::Result<()> {
//! let store = Arc::new(SqliteStore::open_with(SqliteOptions::memory()).await?);
//! let home = store.create_household("Home").await?;
//! let ana = store.add_member(home.id, NewMember::new("Ana", Role::Owner)).await?;
//! store.add_route_rule(ana.scope(), RouteSpec::all().kinds(["ORDER_CHANGE"])).await?;
//!
//! let event = NewInboundEvent::new("shop", "n-1", "ORDER_CHANGE", serde_json::json!({}));
//! store.record_event(home.id, event).await?;
//!
//! let router = EventRouter::new(store.clone());
//! let report = router.route_pending(home.id).await?;
//! assert_eq!((report.events, report.notifications), (1, 1));
//! // Routing again finds nothing left to do.
//! assert_eq!(router.route_pending(home.id).await?.events, 0);
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
//! ```

mod plan;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

pub use plan::{RoutableEvent, digest_due, plan_deliveries, quiet_end, rule_matches};

use crate::{
    Clock, DigestItem, DynStore, HouseholdId, InboundEvent, MemberScope, NewNotification, Result,
    RouteCommit, RoutedEvent, SystemClock,
};

/// Reads the events of one source into what routing needs. Pure: no I/O.
pub trait EventRenderer: Send + Sync {
    /// The `source` of the events it reads (e.g. `amazon_sqs`).
    fn source(&self) -> &str;

    /// What the event says. An event it cannot read should still render (e.g. with
    /// [`RoutableEvent::generic`]) so it stays routable by type name.
    fn render(&self, event: &InboundEvent) -> RoutableEvent;
}

/// The longest message routing writes; longer texts are cut (Telegram's limit is 4096).
const MAX_TEXT: usize = 4_000;
/// How many digest lines one digest message lists before "and N more".
const MAX_DIGEST_LINES: usize = 50;

/// Routes stored events to members by the household's rules. Cheap to share (`Arc`).
pub struct EventRouter {
    store: DynStore,
    clock: Arc<dyn Clock>,
    renderers: HashMap<String, Arc<dyn EventRenderer>>,
    batch_size: u32,
    poll_interval: Duration,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for EventRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut sources: Vec<_> = self.renderers.keys().collect();
        sources.sort();
        f.debug_struct("EventRouter")
            .field("sources", &sources)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl EventRouter {
    /// A router over `store` on the system clock, with no renderers (every event renders
    /// generically until its source's renderer is added).
    pub fn new(store: DynStore) -> Self {
        Self {
            store,
            clock: Arc::new(SystemClock),
            renderers: HashMap::new(),
            batch_size: 500,
            poll_interval: Duration::from_secs(5),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Uses `clock` for "now" (quiet hours, digests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Reads the events of `renderer.source()` with `renderer`.
    pub fn with_renderer(mut self, renderer: Arc<dyn EventRenderer>) -> Self {
        self.renderers
            .insert(renderer.source().to_owned(), renderer);
        self
    }

    /// How many events one commit routes (default 500).
    pub fn with_batch_size(mut self, size: u32) -> Self {
        self.batch_size = size.max(1);
        self
    }

    /// How long [`run`](Self::run) waits between rounds when nobody wakes it (default 5 s).
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// A handle that wakes [`run`](Self::run) at once: sources call `notify_one()` after
    /// storing events.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// What `event` says, by its source's renderer (or generically).
    pub fn render(&self, event: &InboundEvent) -> RoutableEvent {
        let mut routable = match self.renderers.get(&event.source) {
            Some(renderer) => renderer.render(event),
            None => RoutableEvent::generic(event),
        };
        if routable.text.trim().is_empty() {
            routable.text = RoutableEvent::generic(event).text;
        }
        if routable.line.trim().is_empty() {
            routable.line = routable.text.lines().next().unwrap_or_default().to_owned();
        }
        routable.text = clip(&routable.text, MAX_TEXT);
        routable.line = clip(&routable.line, 300);
        routable
    }

    /// Stores events a source has just received and routes the new ones, in one transaction
    /// ([`RoutingStore::record_and_route`](crate::RoutingStore::record_and_route)): the fastest
    /// path, and an event is never seen unrouted. Returns what was recorded, in order, and what
    /// routing wrote.
    pub async fn ingest(
        &self,
        household: HouseholdId,
        events: Vec<crate::NewInboundEvent>,
    ) -> Result<(Vec<crate::Recorded>, RouteCommit)> {
        if events.is_empty() {
            return Ok((Vec::new(), RouteCommit::default()));
        }
        let (rules, zones) = self.rules(household).await?;
        let now = self.clock.now();
        let planned = events
            .into_iter()
            .map(|new| {
                // Render the event as it will be stored, then hand its parts back unchanged.
                let event = InboundEvent {
                    id: crate::InboundEventId::new(),
                    household_id: household,
                    source: new.source,
                    idempotency_key: new.idempotency_key,
                    kind: new.kind,
                    payload: new.payload,
                    received_at: now,
                    processed_at: None,
                };
                let deliveries =
                    plan_deliveries(event.id, &self.render(&event), &rules, &zones, now);
                crate::PlannedEvent {
                    id: event.id,
                    event: crate::NewInboundEvent::new(
                        event.source,
                        event.idempotency_key,
                        event.kind,
                        event.payload,
                    ),
                    deliveries,
                }
            })
            .collect();
        self.store.record_and_route(household, planned).await
    }

    async fn rules(
        &self,
        household: HouseholdId,
    ) -> Result<(
        Vec<crate::RouteRule>,
        HashMap<crate::MemberId, chrono_tz::Tz>,
    )> {
        let rules = self.store.route_rules(household).await?;
        let zones = self
            .store
            .members(household)
            .await?
            .into_iter()
            .map(|m| (m.id, m.timezone))
            .collect();
        Ok((rules, zones))
    }

    /// Routes every unprocessed event of the household, batch by batch.
    pub async fn route_pending(&self, household: HouseholdId) -> Result<RouteCommit> {
        let mut total = RouteCommit::default();
        let (rules, zones) = self.rules(household).await?;
        loop {
            let events = self
                .store
                .unprocessed_events(household, self.batch_size)
                .await?;
            if events.is_empty() {
                break;
            }
            let now = self.clock.now();
            let routed = events
                .iter()
                .map(|event| RoutedEvent {
                    event_id: event.id,
                    deliveries: plan_deliveries(event.id, &self.render(event), &rules, &zones, now),
                })
                .collect();
            let commit = self.store.commit_routes(household, routed).await?;
            total.events += commit.events;
            total.already_processed += commit.already_processed;
            total.notifications += commit.notifications;
            total.digest_items += commit.digest_items;
            if commit.events == 0 {
                // Another worker took this batch; what is left is theirs to finish.
                break;
            }
        }
        if total.events > 0 {
            tracing::debug!(?total, %household, "routed inbound events");
        }
        Ok(total)
    }

    /// Writes every due digest of the household to the outbox; returns how many messages.
    pub async fn flush_digests(&self, household: HouseholdId) -> Result<u32> {
        let mut written = 0;
        loop {
            let items = self
                .store
                .due_digest_items(household, self.clock.now(), 1_000)
                .await?;
            if items.is_empty() {
                return Ok(written);
            }
            let mut groups: Vec<Vec<DigestItem>> = Vec::new();
            for item in items {
                match groups.last_mut() {
                    Some(group)
                        if group[0].member_id == item.member_id
                            && group[0].channel == item.channel =>
                    {
                        group.push(item)
                    }
                    _ => groups.push(vec![item]),
                }
            }
            for group in groups {
                let first = &group[0];
                let scope = MemberScope::new(household, first.member_id);
                let notification = NewNotification::new(
                    first.channel.clone(),
                    // The first line's id: the same on a retry after a crash, new for the next
                    // digest.
                    format!("digest:{}", first.id),
                    digest_text(&group),
                );
                let ids = group.iter().map(|item| item.id).collect();
                self.store.flush_digest(scope, ids, notification).await?;
                written += 1;
            }
        }
    }

    /// Routes and flushes digests for every household until `shutdown` completes, waking on
    /// [`waker`](Self::waker) or every poll interval. Store errors are logged and retried with
    /// backoff; they do not end the loop.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut failures: u32 = 0;
        loop {
            let wait = match self.round().await {
                Ok(()) => {
                    failures = 0;
                    self.poll_interval
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    let wait = Duration::from_millis(200)
                        .saturating_mul(1 << failures.min(8))
                        .min(Duration::from_secs(30));
                    tracing::warn!(%error, ?wait, "routing failed; trying again");
                    wait
                }
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn round(&self) -> Result<()> {
        for household in self.store.household_ids().await? {
            self.route_pending(household).await?;
            self.flush_digests(household).await?;
        }
        Ok(())
    }
}

fn digest_text(items: &[DigestItem]) -> String {
    let mut text = match items.len() {
        1 => "1 update:".to_owned(),
        n => format!("{n} updates:"),
    };
    for item in items.iter().take(MAX_DIGEST_LINES) {
        text.push_str("\n• ");
        text.push_str(&item.line);
    }
    if items.len() > MAX_DIGEST_LINES {
        text.push_str(&format!("\n…and {} more", items.len() - MAX_DIGEST_LINES));
    }
    text
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(max.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}
