//! The `[amazon]` section at work: the seller account's tools, job kinds and `/amazon`
//! command on the bot, and — when a queue is configured — the SQS consumer and the event
//! router beside it.

use std::sync::Arc;
use std::time::Duration;

use fa_amazon::AmazonEventRenderer;
use fa_amazon::account::{AmazonApp, SellerAccounts};
use fa_amazon::commands::AmazonCommand;
use fa_amazon::sqs::{SqsConfig, SqsNotificationSource};
use fa_core::assistant::tools::builtin_toolbox;
use fa_core::routing::EventRouter;
use fa_core::scheduler::JobRegistry;
use fa_telegram::bot::Bot;
use fa_telegram::config::AmazonConfig;
use tokio::sync::watch;

/// Adds the seller account's tools, job kinds and command to `bot`; returns it with the
/// background loops to run beside it.
pub fn wire(bot: Bot, config: &AmazonConfig) -> Result<(Bot, Background), String> {
    let mut app = AmazonApp::new(config.client_id.clone(), config.client_secret.clone());
    if let Some(sp_api) = &config.sp_api_url {
        let lwa = config
            .lwa_url
            .as_ref()
            .map_or(fa_amazon::sp_api::LWA_TOKEN_URL.to_owned(), |u| {
                u.to_string()
            });
        app = app.endpoints(sp_api.as_str().trim_end_matches('/'), lwa);
    } else if let Some(lwa) = &config.lwa_url {
        app.lwa_url = Some(lwa.to_string());
    }
    let accounts = Arc::new(SellerAccounts::new(
        bot.store().clone(),
        bot.vault().clone(),
        app,
    ));
    let mut tools = builtin_toolbox();
    for tool in fa_amazon::tools::tools(accounts.clone()) {
        tools.add_shared(tool).map_err(|e| e.to_string())?;
    }
    let mut registry = JobRegistry::with_builtins();
    fa_amazon::jobs::register(&mut registry, accounts.clone());
    let household = bot.household().id;
    let router = Arc::new(
        EventRouter::new(bot.store().clone())
            .with_renderer(Arc::new(AmazonEventRenderer))
            .with_poll_interval(Duration::from_secs(30)),
    );
    let source = match (
        &config.queue_url,
        &config.aws_access_key_id,
        &config.aws_secret_access_key,
    ) {
        (Some(queue), Some(key_id), Some(secret)) => {
            let region = config
                .queue_region
                .clone()
                .or_else(|| queue.host_str()?.split('.').nth(1).map(str::to_owned))
                .ok_or("amazon.queue_region: set it; it cannot be read from the queue URL")?;
            let mut sqs = SqsConfig::new(queue.as_str(), region, key_id.clone(), secret.clone());
            if let Some(endpoint) = &config.sqs_endpoint {
                sqs = sqs.endpoint_url(endpoint.as_str().trim_end_matches('/'));
            }
            println!("amazon:    reading {queue}");
            Some(
                SqsNotificationSource::new(&sqs, bot.store().clone(), household)
                    .with_router(router.clone()),
            )
        }
        _ => {
            println!("amazon:    no queue configured; scheduled checks and tools only");
            None
        }
    };
    let bot = bot
        .with_tools(tools)
        .with_job_registry(registry)
        .with_commands(vec![Arc::new(AmazonCommand(accounts))]);
    Ok((bot, Background { router, source }))
}

/// The consumer and the router, run until the bot stops.
pub struct Background {
    router: Arc<EventRouter>,
    source: Option<SqsNotificationSource>,
}

impl Background {
    /// Runs both until `stop` says so; the consumer finishes the batch in hand.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        let until = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let router = self.router.clone();
        let routing = router.run(until(stop.clone()));
        match self.source {
            Some(source) => {
                let (_, stats) = tokio::join!(routing, source.run(until(stop)));
                tracing::info!(?stats, "the SQS consumer stopped");
            }
            None => routing.await,
        }
    }
}
