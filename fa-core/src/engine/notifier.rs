//! [`ChannelNotifier`]: delivers scheduled notifications through the app's channels.

use std::sync::Arc;

use async_trait::async_trait;

use super::{Channel, Outbound};
use crate::scheduler::{DEFAULT_CHANNEL, DeliveryError, Notifier, Sent};
use crate::{DynStore, MemberScope, Notification};

/// Sends each notification on the channel it names — or, for
/// [`DEFAULT_CHANNEL`], on the first of the app's channels where the member has an identity —
/// to the chat whose id is the member's id on that channel (a private chat, as on Telegram and
/// the console).
pub struct ChannelNotifier {
    store: DynStore,
    channels: Vec<Arc<dyn Channel>>,
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
        Self { store, channels }
    }
}

#[async_trait]
impl Notifier for ChannelNotifier {
    async fn deliver(&self, notification: &Notification) -> Result<Sent, DeliveryError> {
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
