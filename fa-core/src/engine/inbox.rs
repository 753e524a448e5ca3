//! The channel inbox from a channel's side: journal what arrives before acknowledging it to the
//! provider, hand each message to the engine with an [`InboundReceipt`], and replay what a
//! stopped process left unanswered.
//!
//! The engine begins a turn on the receipt (counting the attempt) and finishes it once the reply
//! is sent. A delivery whose turn began and never finished was interrupted — the process stopped
//! mid-turn, after the turn may have changed something — so the member is told so, not answered
//! a second time. A delivery never begun is answered normally when replayed.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::{DynStore, HouseholdId, InboxBegin, Result};

/// How many unanswered deliveries one [`InboundJournal::unfinished`] call hands back at most.
const REPLAY_BATCH: u32 = 500;

/// One channel's inbox in one household's store. Cheap to clone; clones share the set of
/// deliveries this process has in hand, so a replay never hands out a delivery that is still
/// queued or being answered here.
#[derive(Clone)]
pub struct InboundJournal {
    store: DynStore,
    household: HouseholdId,
    channel: Arc<str>,
    in_hand: Arc<Mutex<HashSet<String>>>,
}

impl std::fmt::Debug for InboundJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundJournal")
            .field("household", &self.household)
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

impl InboundJournal {
    /// The inbox of `channel` (the name the channel reports) for `household`.
    pub fn new(store: DynStore, household: HouseholdId, channel: impl Into<String>) -> Self {
        Self {
            store,
            household,
            channel: Arc::from(channel.into()),
            in_hand: Arc::default(),
        }
    }

    /// Journals a delivery under the provider's `key` for it. `Ok(Some(receipt))`: new, now
    /// safe to acknowledge; hand the receipt to the engine with the message. `Ok(None)`: a
    /// redelivery, already journaled; acknowledge it and do nothing else. `Err`: nothing is
    /// stored; do not acknowledge it, so the provider delivers it again.
    pub async fn journal(&self, key: &str, payload: &str) -> Result<Option<InboundReceipt>> {
        let new = self
            .store
            .journal_inbound(self.household, &self.channel, key, payload)
            .await?;
        Ok(new.then(|| self.receipt(key)))
    }

    /// Deliveries left unanswered and untouched since `untouched_since` (by a process that
    /// stopped, or an earlier failure), oldest first, with their payloads, skipping those this
    /// process has in hand. Each comes with its receipt; feed them back through the channel.
    pub async fn unfinished(
        &self,
        untouched_since: DateTime<Utc>,
    ) -> Result<Vec<(InboundReceipt, String)>> {
        let entries = self
            .store
            .unfinished_inbound(self.household, &self.channel, untouched_since, REPLAY_BATCH)
            .await?;
        let mut replay = Vec::with_capacity(entries.len());
        for entry in entries {
            if self.lock().contains(&entry.key) {
                continue;
            }
            replay.push((self.receipt(&entry.key), entry.payload));
        }
        Ok(replay)
    }

    /// Forgets answered deliveries older than `done_before` (their keys only guard against
    /// redeliveries, which providers stop after a day or so).
    pub async fn prune(&self, done_before: DateTime<Utc>) -> Result<u64> {
        self.store.prune_inbound(self.household, done_before).await
    }

    fn receipt(&self, key: &str) -> InboundReceipt {
        self.lock().insert(key.to_owned());
        InboundReceipt {
            inner: Arc::new(Held {
                journal: self.clone(),
                key: key.to_owned(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // The set only guards against handing a key out twice; a poisoned one is still usable.
        self.in_hand.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A journaled delivery in hand: the engine begins and finishes its turn through it. Dropping
/// the last clone without finishing leaves the delivery unanswered for a later replay.
#[derive(Clone)]
pub struct InboundReceipt {
    inner: Arc<Held>,
}

struct Held {
    journal: InboundJournal,
    key: String,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.journal.lock().remove(&self.key);
    }
}

impl std::fmt::Debug for InboundReceipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundReceipt")
            .field("channel", &self.inner.journal.channel)
            .field("key", &self.inner.key)
            .finish()
    }
}

impl InboundReceipt {
    /// The provider's key for the delivery.
    pub fn key(&self) -> &str {
        &self.inner.key
    }

    /// Begins its turn: counts the attempt and says whether to answer it.
    pub async fn begin(&self) -> Result<InboxBegin> {
        let journal = &self.inner.journal;
        journal
            .store
            .begin_inbound(journal.household, &journal.channel, &self.inner.key)
            .await
    }

    /// Marks it answered.
    pub async fn finish(&self) -> Result<()> {
        let journal = &self.inner.journal;
        journal
            .store
            .finish_inbound(journal.household, &journal.channel, &self.inner.key)
            .await
            .map(|_| ())
    }
}
