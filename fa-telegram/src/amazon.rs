//! The `[amazon]` section at work: with the `amazon` feature, a configured section gives the bot
//! the seller account's tools, job kinds and `/amazon` command and runs the SQS consumer and the
//! event router beside it ([`fa_amazon::integration::AmazonIntegration`]). Without the feature a
//! configured section is refused with what to do.

use std::sync::Arc;

use fa_core::{Clock, DynStore, HouseholdId, Vault};

use crate::bot::BotError;
use crate::config::AmazonConfig;

#[cfg(feature = "amazon")]
pub(crate) use fa_amazon::integration::AmazonIntegration;

/// Stands in for the integration in builds without the `amazon` feature: it cannot be made.
#[cfg(not(feature = "amazon"))]
pub(crate) enum AmazonIntegration {}

/// The integration `config` describes, for `household`, timed by `clock`.
#[cfg(feature = "amazon")]
pub(crate) fn integration(
    config: &AmazonConfig,
    store: DynStore,
    vault: Arc<Vault>,
    household: HouseholdId,
    clock: Arc<dyn Clock>,
) -> Result<AmazonIntegration, BotError> {
    use fa_amazon::account::AmazonApp;
    use fa_amazon::sqs::SqsConfig;

    let mut app = AmazonApp::new(config.client_id.clone(), config.client_secret.clone());
    app.endpoint = config
        .sp_api_url
        .as_ref()
        .map(|u| u.as_str().trim_end_matches('/').to_owned());
    app.lwa_url = config.lwa_url.as_ref().map(ToString::to_string);
    let mut amazon = AmazonIntegration::new(store, vault, household, app).with_clock(clock);
    match (
        &config.queue_url,
        &config.aws_access_key_id,
        &config.aws_secret_access_key,
    ) {
        (Some(queue), Some(key_id), Some(secret)) => {
            let region = config
                .queue_region
                .clone()
                .or_else(|| queue.host_str()?.split('.').nth(1).map(str::to_owned))
                .ok_or_else(|| {
                    BotError::Other(
                        "amazon.queue_region: set it; it cannot be read from the queue URL"
                            .to_owned(),
                    )
                })?;
            let mut sqs = SqsConfig::new(queue.as_str(), region, key_id.clone(), secret.clone());
            if let Some(endpoint) = &config.sqs_endpoint {
                sqs = sqs.endpoint_url(endpoint.as_str().trim_end_matches('/'));
            }
            println!("amazon:    reading {queue}");
            amazon = amazon.with_queue(&sqs);
        }
        (Some(_), _, _) => {
            return Err(BotError::Other(
                "amazon.queue_url is set but the AWS key to read it is not: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the aws_* keys of [amazon])".to_owned(),
            ));
        }
        _ => println!("amazon:    no queue configured; scheduled checks and tools only"),
    }
    Ok(amazon)
}

/// Builds without the `amazon` feature refuse a configured `[amazon]` section.
#[cfg(not(feature = "amazon"))]
pub(crate) fn integration(
    _config: &AmazonConfig,
    _store: DynStore,
    _vault: Arc<Vault>,
    _household: HouseholdId,
    _clock: Arc<dyn Clock>,
) -> Result<AmazonIntegration, BotError> {
    Err(BotError::Other(
        "an [amazon] section is configured, but this build has no Amazon support; build with the `amazon` feature or remove the section".to_owned(),
    ))
}

/// The same calls as the real integration, so the bot's code has no feature switches.
#[cfg(not(feature = "amazon"))]
impl AmazonIntegration {
    pub(crate) fn add_tools(&self, _: &mut fa_core::assistant::Toolbox) -> fa_core::Result<()> {
        match *self {}
    }

    pub(crate) fn register_jobs(&self, _: &mut fa_core::scheduler::JobRegistry) {
        match *self {}
    }

    pub(crate) fn command(&self) -> Arc<dyn fa_core::engine::ChatCommand> {
        match *self {}
    }

    pub(crate) async fn run(&self, _: impl std::future::Future<Output = ()> + Send) {
        match *self {}
    }
}
