//! A seller account's notifications, end to end, on this terminal: connect the account, create
//! the SQS destination and subscriptions, then read the queue, route each notification by the
//! household's rules and deliver it — here to the console; in the family bot, to Telegram.
//!
//! ```text
//! FA_MASTER_KEY=…  FA_AMAZON_CLIENT_ID=…  FA_AMAZON_CLIENT_SECRET=…  FA_AMAZON_REFRESH_TOKEN=…
//! FA_AMAZON_REGION=eu  FA_AMAZON_MARKETPLACES=A1PA6795UKMFR9
//! FA_AMAZON_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/fa-notifications
//! FA_AMAZON_QUEUE_ARN=arn:aws:sqs:eu-west-1:123456789012:fa-notifications
//! AWS_ACCESS_KEY_ID=…  AWS_SECRET_ACCESS_KEY=…
//! cargo run -p fa-amazon --example shop_notifications -- [--subscribe] [DB]
//! ```
//!
//! See docs/amazon.md for where each value comes from.

use std::sync::Arc;
use std::time::Duration;

use fa_amazon::AmazonEventRenderer;
use fa_amazon::account::{AmazonApp, SellerAccounts, SellerSettings};
use fa_amazon::notification::TYPED_NOTIFICATION_TYPES;
use fa_amazon::sqs::{SqsConfig, SqsNotificationSource};
use fa_core::engine::{ChannelNotifier, ConsoleChannel};
use fa_core::routing::EventRouter;
use fa_core::scheduler::{JobRegistry, RunnerOptions, StoreScheduler};
use fa_core::{ChannelIdentity, DynStore, NewMember, Role, RouteSpec, Secret, SqliteStore, Vault};

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name} (see docs/amazon.md)"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let subscribe = args.iter().any(|a| a == "--subscribe");
    let db = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or("shop.db".into());

    let store: DynStore = Arc::new(SqliteStore::open(&db).await?);
    let vault = Arc::new(Vault::from_env()?);
    let app = AmazonApp::new(
        env("FA_AMAZON_CLIENT_ID")?,
        Secret::new(env("FA_AMAZON_CLIENT_SECRET")?),
    );
    let accounts = Arc::new(SellerAccounts::new(store.clone(), vault, app));

    // The household and its owner, and the owner's account, on first run.
    let household = match store.household_ids().await?.first() {
        Some(id) => *id,
        None => store.create_household("Shop").await?.id,
    };
    let owner = match store.members(household).await?.into_iter().next() {
        Some(owner) => owner,
        None => {
            let owner = store
                .add_member(household, NewMember::new("Owner", Role::Owner))
                .await?;
            store
                .link_identity(owner.scope(), &ChannelIdentity::new("console", "owner"))
                .await?;
            store
                .add_route_rule(owner.scope(), RouteSpec::all())
                .await?;
            owner
        }
    };
    let account = match accounts.for_household(household).await? {
        Some(account) => account,
        None => {
            let region = env("FA_AMAZON_REGION")?.parse()?;
            let marketplaces = env("FA_AMAZON_MARKETPLACES")?;
            let settings = SellerSettings::new(region, marketplaces.split(',').map(str::trim));
            let token = Secret::new(env("FA_AMAZON_REFRESH_TOKEN")?);
            accounts
                .connect(owner.scope(), "Shop", settings, token)
                .await?
        }
    };
    println!("seller account: {:?}", account.integration().label);

    if subscribe {
        let destination = account
            .client()
            .create_sqs_destination("fa", &env("FA_AMAZON_QUEUE_ARN")?)
            .await?;
        for kind in TYPED_NOTIFICATION_TYPES {
            let subscription = account
                .client()
                .create_subscription(kind, &destination.destination_id)
                .await?;
            println!("subscribed to {kind}: {}", subscription.subscription_id);
        }
    }

    // Reading, routing and delivering.
    let queue_url = env("FA_AMAZON_QUEUE_URL")?;
    let region = queue_url
        .split('.')
        .nth(1)
        .unwrap_or("us-east-1")
        .to_owned();
    let sqs = SqsConfig::new(
        queue_url,
        region,
        env("AWS_ACCESS_KEY_ID")?,
        Secret::new(env("AWS_SECRET_ACCESS_KEY")?),
    );
    let router =
        Arc::new(EventRouter::new(store.clone()).with_renderer(Arc::new(AmazonEventRenderer)));
    let source =
        SqsNotificationSource::new(&sqs, store.clone(), household).with_router(router.clone());
    let mut registry = JobRegistry::with_builtins();
    fa_amazon::jobs::register(&mut registry, accounts.clone());
    let scheduler = StoreScheduler::new(store.clone(), registry);
    let notifier = Arc::new(ChannelNotifier::new(
        store.clone(),
        vec![Arc::new(ConsoleChannel::stdio("owner"))],
    ));
    let runner = scheduler.runner(
        notifier,
        RunnerOptions::default().poll_interval(Duration::from_secs(1)),
    );

    println!("reading {}; Ctrl-C stops", sqs.queue_url);
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let shared = futures_shutdown(stop);
    tokio::join!(
        source.run(shared.clone().wait()),
        router.run(shared.clone().wait()),
        runner.run(shared.wait()),
    );
    println!("stopped: {:?}", source.stats());
    Ok(())
}

/// One Ctrl-C for several loops.
#[derive(Clone)]
struct Shutdown(tokio::sync::watch::Receiver<bool>);

impl Shutdown {
    async fn wait(mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

fn futures_shutdown(signal: impl std::future::Future<Output = ()> + Send + 'static) -> Shutdown {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        signal.await;
        let _ = tx.send(true);
    });
    Shutdown(rx)
}
