//! [`ChannelNotifier`]: delivers scheduled notifications through the app's channels.

use std::sync::Arc;

use async_trait::async_trait;

use super::metrics::Metrics;
use super::{Channel, Outbound};
use crate::scheduler::{DEFAULT_CHANNEL, DeliveryError, Notifier, Sent};
use crate::{Clock, DynStore, MemberScope, Notification};

/// Sends each notification on the channel it names — or, for
/// [`DEFAULT_CHANNEL`], on the first of the app's channels where the member has an identity —
/// to the chat whose id is the member's id on that channel (a private chat, as on Telegram and
/// the console).
pub struct ChannelNotifier {
    store: DynStore,
    channels: Vec<Arc<dyn Channel>>,
    metrics: Option<(Arc<Metrics>, Arc<dyn Clock>)>,
}

impl std::fmt::Debug for ChannelNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelNotifier")
            .field(
                "channels",
                &self
                    .channels
                    .iter()
                    .map(|c| c.name().to_owned())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl ChannelNotifier {
    /// A notifier over these channels.
    pub fn new(store: DynStore, channels: Vec<Arc<dyn Channel>>) -> Self {
        Self {
            store,
            channels,
            metrics: None,
        }
    }

    /// Counts deliveries and their lateness in the engine's metrics.
    pub(crate) fn with_metrics(mut self, metrics: Arc<Metrics>, clock: Arc<dyn Clock>) -> Self {
        self.metrics = Some((metrics, clock));
        self
    }

    async fn deliver_on_channels(
        &self,
        notification: &Notification,
    ) -> Result<Sent, DeliveryError> {
        let scope = MemberScope::new(notification.household_id, notification.member_id);
        let identities = self.store.identities(scope).await.map_err(|e| {
            DeliveryError::transient(format!("identity lookup failed: {:?}", e.kind()))
        })?;
        for channel in &self.channels {
            if notification.channel != DEFAULT_CHANNEL && notification.channel != channel.name() {
                continue;
            }
            if let Some(identity) = identities.iter().find(|i| i.channel == channel.name()) {
                return channel
                    .send(
                        &identity.external_id,
                        Outbound::Notification(notification.clone()),
                    )
                    .await;
            }
        }
        Err(DeliveryError::permanent(format!(
            "the member has no identity on channel {:?} among this app's channels",
            notification.channel
        )))
    }
}

/// The instant a scheduler notification was due, from its idempotency key
/// (`job:<job id>:<microseconds>`).
fn scheduled_instant(key: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let micros = key
        .strip_prefix("job:")?
        .rsplit(':')
        .next()?
        .parse::<i64>()
        .ok()?;
    chrono::DateTime::from_timestamp_micros(micros)
}

#[async_trait]
impl Notifier for ChannelNotifier {
    async fn deliver(&self, notification: &Notification) -> Result<Sent, DeliveryError> {
        let result = self.deliver_on_channels(notification).await;
        if let Some((metrics, clock)) = &self.metrics {
            match &result {
                Ok(_) => {
                    Metrics::bump(&metrics.notifications_sent, 1);
                    if let Some(due) = scheduled_instant(&notification.idempotency_key) {
                        metrics.record_lag((clock.now() - due).to_std().unwrap_or_default());
                    }
                }
                Err(_) => Metrics::bump(&metrics.notifications_failed, 1),
            }
        }
        result
    }
}

/// The job a scheduler notification comes from (its key is `job:<job id>:<microseconds>`), for
/// channels that put "done" and "snooze" buttons on reminders; `None` for other notifications
/// (e.g. the summary of firings missed while offline).
pub fn notification_job(notification: &Notification) -> Option<crate::JobId> {
    let rest = notification.idempotency_key.strip_prefix("job:")?;
    let (job, micros) = rest.rsplit_once(':')?;
    micros.parse::<i64>().ok()?;
    job.parse::<uuid::Uuid>().ok().map(crate::JobId::from)
}
