//! A household's seller account end to end on SQLite and the SP-API mock: connecting (token
//! checked, stored sealed), reconciliation emitting only what the queue missed, invalid_grant,
//! feedback and review-topic alerts, the job kinds and the assistant tools.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use fa_amazon::account::{AmazonApp, SellerAccounts, SellerSettings};
use fa_amazon::sp_api::Region;
use fa_amazon::testing::{LWA_PATH, MockSpApi, fixtures};
use fa_amazon::{AmazonEventRenderer, Error, SpApiNotification};
use fa_core::Clock as _;
use fa_core::assistant::ToolContext;
use fa_core::routing::EventRouter;
use fa_core::scheduler::{
    DeliveryError, JobRegistry, NewJob, Notifier, RunnerOptions, Scheduler, Sent, StoreScheduler,
    Trigger,
};
use fa_core::{
    DynStore, IntegrationStatus, ManualClock, MasterKey, Member, NewMember, Notification, Role,
    RouteSpec, Secret, Vault,
};
use serde_json::{Value, json};

use super::{fixture, store_with_owner};

struct Setup {
    _dir: tempfile::TempDir,
    mock: MockSpApi,
    clock: Arc<ManualClock>,
    store: DynStore,
    owner: Member,
    accounts: Arc<SellerAccounts>,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-06-01T10:00:00Z".parse().unwrap()));
    let (store, _home, owner) = store_with_owner(&dir, clock.clone()).await;
    let mock = MockSpApi::start().await;
    let app = AmazonApp::new(
        "amzn1.application-oa2-client.test",
        Secret::new("client-secret"),
    )
    .endpoints(
        mock.server().uri(),
        format!("{}{LWA_PATH}", mock.server().uri()),
    );
    let vault = Arc::new(Vault::new(MasterKey::generate().unwrap()));
    let accounts =
        Arc::new(SellerAccounts::new(store.clone(), vault, app).with_clock(clock.clone()));
    Setup {
        _dir: dir,
        mock,
        clock,
        store,
        owner,
        accounts,
    }
}

fn settings() -> SellerSettings {
    SellerSettings::new(Region::Na, ["ATVPDKIKX0DER"]).review_asins(["B0BT5K9B2T"])
}

#[tokio::test]
async fn connecting_checks_the_token_first_and_stores_it_sealed() {
    let s = setup().await;
    s.mock.lwa_refuses().await;
    let err = s
        .accounts
        .connect(
            s.owner.scope(),
            "Shop",
            settings(),
            Secret::new("Atzr|revoked"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidGrant { .. }), "{err:?}");
    assert!(
        s.store
            .integrations(s.owner.scope())
            .await
            .unwrap()
            .is_empty(),
        "nothing stored"
    );
    let none = s
        .accounts
        .connected(s.owner.household_id)
        .await
        .unwrap_err();
    assert!(
        matches!(none, Error::Store(fa_core::Error::NotFound { .. })),
        "{none:?}"
    );
    assert!(none.to_string().contains("/amazon connect"), "{none}");

    s.mock.server().reset().await;
    s.mock.lwa_grants("Atza|t", 3600).await;
    let account = s
        .accounts
        .connect(
            s.owner.scope(),
            "Shop",
            settings(),
            Secret::new("Atzr|good-token"),
        )
        .await
        .unwrap();
    let sealed = s
        .store
        .credential(s.owner.scope(), account.integration().id)
        .await
        .unwrap()
        .unwrap();
    assert!(!format!("{sealed:?}").contains("good-token"));
    let reopened = s
        .accounts
        .for_household(s.owner.household_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reopened.settings(), &settings());
    assert!(!format!("{reopened:?}").contains("good-token"));
}

#[tokio::test]
async fn reconciliation_stores_only_what_the_queue_missed() {
    let s = setup().await;
    s.mock.lwa_grants("Atza|t", 3600).await;
    s.mock.get_orders_two_pages().await;
    let mut account = s
        .accounts
        .connect(s.owner.scope(), "Shop", settings(), Secret::new("Atzr|t"))
        .await
        .unwrap();
    // The queue already delivered the first sandbox order's change to Unshipped.
    let mut body: Value = serde_json::from_str(&fixture("order_change.json")).unwrap();
    let change = &mut body["Payload"]["OrderChangeNotification"];
    change["AmazonOrderId"] = "902-1845936-5435065".into();
    change["OrderChangeType"] = "OrderStatusChange".into();
    change["Summary"]["OrderStatus"] = "Unshipped".into();
    let delivered = SpApiNotification::from_value(body).unwrap().to_event();
    s.store
        .record_event(s.owner.household_id, delivered)
        .await
        .unwrap();

    let report = account
        .reconcile(Duration::from_secs(3 * 3600))
        .await
        .unwrap();
    assert_eq!((report.polled, report.missed), (3, 2));
    s.clock.advance(chrono::Duration::minutes(30));
    let again = account
        .reconcile(Duration::from_secs(3 * 3600))
        .await
        .unwrap();
    assert_eq!((again.polled, again.missed), (3, 0));
    // The second run asks from the end of the first, less five minutes of overlap.
    let requests = s.mock.server().received_requests().await.unwrap();
    let last = requests
        .iter()
        .rev()
        .find(|r| {
            r.url.path() == "/orders/v0/orders"
                && r.url.query().is_some_and(|q| !q.contains("NextToken"))
        })
        .unwrap();
    let query: std::collections::HashMap<_, _> = last.url.query_pairs().into_owned().collect();
    assert_eq!(query["LastUpdatedAfter"], "2026-06-01T09:55:00Z");

    s.store
        .add_route_rule(s.owner.scope(), RouteSpec::all())
        .await
        .unwrap();
    let router = EventRouter::new(s.store.clone())
        .with_clock(s.clock.clone())
        .with_renderer(Arc::new(AmazonEventRenderer));
    let routed = router.route_pending(s.owner.household_id).await.unwrap();
    assert_eq!(routed.notifications, 3, "one per distinct status change");
}

#[tokio::test]
async fn invalid_grant_marks_the_account_and_tells_the_owner_once() {
    let s = setup().await;
    s.mock.lwa_grants("Atza|t", 3600).await;
    s.accounts
        .connect(s.owner.scope(), "Shop", settings(), Secret::new("Atzr|t"))
        .await
        .unwrap();
    s.mock.server().reset().await;
    s.mock.lwa_refuses().await;
    for _ in 0..2 {
        let mut account = s
            .accounts
            .open(
                s.owner.scope(),
                s.store.integrations(s.owner.scope()).await.unwrap()[0].id,
            )
            .await
            .unwrap();
        let err = account
            .reconcile(Duration::from_secs(3600))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidGrant { .. }));
    }
    let integration = &s.store.integrations(s.owner.scope()).await.unwrap()[0];
    assert_eq!(integration.status, IntegrationStatus::NeedsReauth);
    assert!(
        s.accounts
            .for_household(s.owner.household_id)
            .await
            .unwrap()
            .is_none()
    );
    let told = s
        .store
        .due_notifications(s.owner.household_id, s.clock.now(), 10)
        .await
        .unwrap();
    assert_eq!(told.len(), 1);
    assert!(
        told[0].body.contains("authorise the app again"),
        "{}",
        told[0].body
    );
}

#[tokio::test]
async fn negative_feedback_and_new_review_complaints_become_events_once() {
    let s = setup().await;
    s.mock.lwa_grants("Atza|t", 3600).await;
    s.mock
        .feedback_report(fixtures::SELLER_FEEDBACK_REPORT)
        .await;
    let mut topics: Value = serde_json::from_str(fixtures::GET_ITEM_REVIEW_TOPICS).unwrap();
    s.mock.review_topics(topics.clone()).await;
    let mut account = s
        .accounts
        .connect(s.owner.scope(), "Shop", settings(), Secret::new("Atzr|t"))
        .await
        .unwrap();
    assert_eq!(account.check_feedback(Duration::ZERO).await.unwrap(), 2);
    assert_eq!(
        account.check_feedback(Duration::ZERO).await.unwrap(),
        0,
        "seen before"
    );

    assert_eq!(
        account.check_review_topics().await.unwrap(),
        0,
        "the first check is the baseline"
    );
    // A week later buyers complain about something new.
    let negative = topics["topics"]["negativeTopics"].as_array_mut().unwrap();
    let mut new_topic = negative[0].clone();
    new_topic["topic"] = "Arrived broken".into();
    negative.push(new_topic);
    s.mock.server().reset().await;
    s.mock.lwa_grants("Atza|t", 3600).await;
    s.mock.review_topics(topics).await;
    s.clock.advance(chrono::Duration::days(7));
    assert_eq!(account.check_review_topics().await.unwrap(), 1);

    s.store
        .add_route_rule(s.owner.scope(), RouteSpec::all())
        .await
        .unwrap();
    let router = EventRouter::new(s.store.clone())
        .with_clock(s.clock.clone())
        .with_renderer(Arc::new(AmazonEventRenderer));
    router.route_pending(s.owner.household_id).await.unwrap();
    let messages: Vec<String> = s
        .store
        .due_notifications(s.owner.household_id, s.clock.now(), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.body)
        .collect();
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("1-star") && m.contains("902-1845936-5435065"))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("Arrived broken") && m.contains("B0BT5K9B2T"))
    );
}

#[derive(Default)]
struct RecordingNotifier(Mutex<Vec<Notification>>);

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn deliver(&self, notification: &Notification) -> Result<Sent, DeliveryError> {
        self.0.lock().unwrap().push(notification.clone());
        Ok(Sent::with_id("1"))
    }
}

#[tokio::test]
async fn the_daily_sales_digest_runs_as_a_scheduled_job() {
    let s = setup().await;
    s.mock.lwa_grants("Atza|t", 3600).await;
    s.mock.get_orders_two_pages().await;
    s.accounts
        .connect(s.owner.scope(), "Shop", settings(), Secret::new("Atzr|t"))
        .await
        .unwrap();
    let mut registry = JobRegistry::with_builtins();
    fa_amazon::jobs::register(&mut registry, s.accounts.clone());
    let scheduler = StoreScheduler::new(s.store.clone(), registry).with_clock(s.clock.clone());
    // 20:00 in Berlin.
    scheduler
        .schedule(
            s.owner.scope(),
            NewJob::new(
                "amazon_sales_digest",
                json!({}),
                Trigger::cron("0 20 * * *"),
            ),
        )
        .await
        .unwrap();
    let notifier = Arc::new(RecordingNotifier::default());
    let runner = scheduler.runner(notifier.clone(), RunnerOptions::default());
    s.clock.set("2026-06-01T18:00:00Z".parse().unwrap());
    runner.tick().await.unwrap();
    let sent = notifier.0.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    // The sandbox's three orders: 11.01 + … USD, all unshipped or pending.
    assert!(
        sent[0]
            .body
            .starts_with("🛒 Sales today (Mon 01 Jun): 3 order(s)"),
        "{}",
        sent[0].body
    );
    assert!(sent[0].body.contains("USD"), "{}", sent[0].body);
}

#[tokio::test]
async fn the_tools_answer_owners_and_adults_only() {
    let s = setup().await;
    s.mock.lwa_grants("Atza|t", 3600).await;
    s.mock.get_orders_two_pages().await;
    s.mock.get_order().await;
    s.mock.get_order_items().await;
    s.accounts
        .connect(s.owner.scope(), "Shop", settings(), Secret::new("Atzr|t"))
        .await
        .unwrap();
    let child = s
        .store
        .add_member(s.owner.household_id, NewMember::new("Kid", Role::Child))
        .await
        .unwrap();
    let tools = fa_amazon::tools::tools(s.accounts.clone());
    let names: Vec<&str> = tools.iter().map(|t| t.name()).collect();
    assert_eq!(
        names,
        [
            "amazon_sales",
            "amazon_order_status",
            "amazon_recent_shipments",
            "amazon_listing_issues"
        ]
    );
    assert!(
        tools
            .iter()
            .all(|t| !t.changes_state() && !t.allowed_for(child.role))
    );
    assert!(
        tools
            .iter()
            .all(|t| t.allowed_for(Role::Adult) && t.allowed_for(Role::Owner))
    );

    let scheduler: Arc<dyn Scheduler> = Arc::new(
        StoreScheduler::new(s.store.clone(), JobRegistry::with_builtins())
            .with_clock(s.clock.clone()),
    );
    let ctx = ToolContext::new(s.owner.clone(), s.store.clone(), scheduler, s.clock.clone());
    let sales = tools[0]
        .call(&ctx, json!({"period": "today"}))
        .await
        .unwrap();
    assert!(sales.starts_with("Today: 3 order(s)"), "{sales}");
    let order = tools[1]
        .call(&ctx, json!({"order_id": "902-1845936-5435065"}))
        .await
        .unwrap();
    assert!(
        order.contains("Unshipped") && order.contains("B00551Q3CS [Card Book]"),
        "{order}"
    );
    assert!(
        tools[1]
            .call(&ctx, json!({"order_id": "x; DROP"}))
            .await
            .is_err()
    );

    let shipment = SpApiNotification::parse(&fixture("fba_outbound_shipment_status.json")).unwrap();
    s.store
        .record_event(s.owner.household_id, shipment.to_event())
        .await
        .unwrap();
    let issues = SpApiNotification::parse(&fixture("listings_item_issues_change.json")).unwrap();
    s.store
        .record_event(s.owner.household_id, issues.to_event())
        .await
        .unwrap();
    let shipments = tools[2].call(&ctx, json!({})).await.unwrap();
    assert!(shipments.contains("DrLqQwqvb"), "{shipments}");
    let listing = tools[3].call(&ctx, json!({})).await.unwrap();
    assert!(
        listing.contains("NLS-SHOES-03") && listing.contains("SEARCH_SUPPRESSED"),
        "{listing}"
    );
}

#[tokio::test]
async fn the_owner_connects_and_routes_from_the_chat() {
    use fa_amazon::commands::AmazonCommand;
    use fa_core::engine::ChatCommand;

    let s = setup().await;
    s.mock.lwa_grants("Atza|t", 3600).await;
    let ben = s
        .store
        .add_member(s.owner.household_id, NewMember::new("Ben", Role::Adult))
        .await
        .unwrap();
    let command = AmazonCommand(s.accounts.clone());
    let mut registry = JobRegistry::with_builtins();
    fa_amazon::jobs::register(&mut registry, s.accounts.clone());
    let scheduler: Arc<dyn Scheduler> =
        Arc::new(StoreScheduler::new(s.store.clone(), registry).with_clock(s.clock.clone()));
    let ctx = |member: &Member| {
        ToolContext::new(
            member.clone(),
            s.store.clone(),
            scheduler.clone(),
            s.clock.clone(),
        )
    };
    let (as_owner, as_ben) = (ctx(&s.owner), ctx(&ben));
    assert_eq!(command.name(), "amazon");
    assert!(command.allowed_for(Role::Adult) && !command.allowed_for(Role::Child));

    let refused = command
        .run(&as_ben, "connect eu A1PA6795UKMFR9 Atzr|x")
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("only the owner"), "{refused}");
    let connected = command
        .run(
            &as_owner,
            "connect eu A1PA6795UKMFR9,A13V1IB3VIYZZH Atzr|from-chat",
        )
        .await
        .unwrap();
    assert!(
        connected.contains("A1PA6795UKMFR9, A13V1IB3VIYZZH"),
        "{connected}"
    );
    assert!(connected.contains("delete your message"), "{connected}");
    assert!(connected.contains("Scheduled 4 check(s)"), "{connected}");
    let kinds: Vec<String> = scheduler
        .jobs(s.owner.scope())
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "amazon_reconcile_orders",
            "amazon_seller_feedback",
            "amazon_review_topics",
            "amazon_sales_digest"
        ]
    );
    let account = s
        .accounts
        .for_household(s.owner.household_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.settings().region, Region::Eu);

    let routed = command
        .run(&as_owner, "route ben orders daily 18:00 quiet 22:00-07:00")
        .await
        .unwrap();
    assert_eq!(
        routed,
        "Ben now receives ORDER_CHANGE, daily digest at 18:00, quiet 22:00-07:00."
    );
    let rules = s.store.route_rules(s.owner.household_id).await.unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].member_id, ben.id);
    let state = command.run(&as_ben, "").await.unwrap();
    assert!(
        state.contains("- Ben: ORDER_CHANGE, daily digest at 18:00"),
        "{state}"
    );
    assert!(command.run(&as_owner, "route nobody orders").await.is_err());
    assert!(command.run(&as_owner, "route ben pizza").await.is_err());
    let removed = command.run(&as_owner, "unroute Ben").await.unwrap();
    assert_eq!(removed, "Removed 1 rule(s) of Ben.");
    assert!(
        s.store
            .route_rules(s.owner.household_id)
            .await
            .unwrap()
            .is_empty()
    );
}
