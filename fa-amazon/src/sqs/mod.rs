//! [`SqsNotificationSource`]: SP-API notifications from an SQS queue into the store.
//!
//! * **Long polling**: up to 10 messages per receive, waiting up to 20 s for the first.
//! * **Delete after durable storage**: a batch's notifications are stored in one transaction,
//!   and only then are their messages deleted. A crash in between redelivers them; they are
//!   recognised as duplicates (SQS is at-least-once) and deleted.
//! * **Visibility extended** while a batch is being handled, so a slow store does not let
//!   another consumer take the same messages.
//! * **Malformed messages** are kept raw as failed events ([`fa_core::FailedEvent`]) and left on
//!   the queue with a short visibility, so the queue's redrive policy moves them to the
//!   dead-letter queue after `maxReceiveCount` receives. One bad message never holds up the
//!   others, and nothing makes the consumer stop.
//! * **Graceful shutdown**: [`run`](SqsNotificationSource::run) stops receiving and finishes
//!   the batch in hand. A receive cut short by shutdown leaves its messages on the queue, where
//!   they reappear after the visibility timeout.
//!
//! Routing happens afterwards, from the store, by [`fa_core::routing::EventRouter`]; pass its
//! [`waker`](fa_core::routing::EventRouter::waker) to
//! [`with_waker`](SqsNotificationSource::with_waker) so new events are routed at once.

mod config;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, Message,
    MessageSystemAttributeName,
};
use fa_core::routing::EventRouter;
use fa_core::{DynStore, HouseholdId, NewFailedEvent, NewInboundEvent};
use tokio::sync::Notify;

pub use config::{SqsConfig, SqsOptions};

use crate::notification::SpApiNotification;
use crate::{Error, Result};

/// The `source` of failed events the consumer keeps (messages it could not read).
pub const FAILED_SOURCE: &str = "amazon_sqs";

/// What one receive-and-handle round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchReport {
    /// Messages received.
    pub received: u32,
    /// Notifications stored for the first time.
    pub stored: u32,
    /// Notifications already stored (redeliveries, duplicates sent by Amazon).
    pub duplicates: u32,
    /// Messages that could not be read (kept raw, left for the dead-letter queue).
    pub malformed: u32,
    /// Messages deleted from the queue.
    pub deleted: u32,
}

/// Running totals since the source was made, for health pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqsStats {
    /// Messages received.
    pub received: u64,
    /// Notifications stored for the first time.
    pub stored: u64,
    /// Duplicates recognised.
    pub duplicates: u64,
    /// Messages that could not be read.
    pub malformed: u64,
    /// Rounds that failed (SQS or the store unavailable) and were retried.
    pub failed_rounds: u64,
}

#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    stored: AtomicU64,
    duplicates: AtomicU64,
    malformed: AtomicU64,
    failed_rounds: AtomicU64,
}

/// Reads SP-API notifications from one SQS queue into one household's store.
pub struct SqsNotificationSource {
    client: aws_sdk_sqs::Client,
    queue_url: String,
    store: DynStore,
    household: HouseholdId,
    options: SqsOptions,
    waker: Option<Arc<Notify>>,
    router: Option<Arc<EventRouter>>,
    counters: Counters,
}

impl std::fmt::Debug for SqsNotificationSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqsNotificationSource")
            .field("queue_url", &self.queue_url)
            .field("household", &self.household)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl SqsNotificationSource {
    /// A source reading `config`'s queue into `household`.
    pub fn new(config: &SqsConfig, store: DynStore, household: HouseholdId) -> Self {
        Self::with_client(config.client(), config.queue_url.clone(), store, household)
    }

    /// A source over a client built by the application (e.g. with `aws-config`'s credential
    /// chain).
    pub fn with_client(
        client: aws_sdk_sqs::Client,
        queue_url: impl Into<String>,
        store: DynStore,
        household: HouseholdId,
    ) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
            store,
            household,
            options: SqsOptions::default(),
            waker: None,
            router: None,
            counters: Counters::default(),
        }
    }

    /// Sets the polling options.
    pub fn with_options(mut self, options: SqsOptions) -> Self {
        self.options = options;
        self
    }

    /// Wakes `waker` (e.g. the router's) whenever new notifications are stored.
    pub fn with_waker(mut self, waker: Arc<Notify>) -> Self {
        self.waker = Some(waker);
        self
    }

    /// Routes each batch's new notifications with `router` in the same transaction that stores
    /// them ([`EventRouter::ingest`]).
    pub fn with_router(mut self, router: Arc<EventRouter>) -> Self {
        self.router = Some(router);
        self
    }

    /// Totals since the source was made.
    pub fn stats(&self) -> SqsStats {
        let c = &self.counters;
        SqsStats {
            received: c.received.load(Ordering::Relaxed),
            stored: c.stored.load(Ordering::Relaxed),
            duplicates: c.duplicates.load(Ordering::Relaxed),
            malformed: c.malformed.load(Ordering::Relaxed),
            failed_rounds: c.failed_rounds.load(Ordering::Relaxed),
        }
    }

    /// Receives one batch (waiting up to the long-poll time for it) and handles it.
    pub async fn poll_once(&self) -> Result<BatchReport> {
        let messages = self.receive().await?;
        self.handle(messages).await
    }

    /// Polls until `shutdown` completes, then finishes the batch in hand and returns the
    /// totals. Failures (SQS or the store unavailable) are logged and retried with backoff.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> SqsStats {
        tokio::pin!(shutdown);
        let mut failures: u32 = 0;
        loop {
            let received = tokio::select! {
                biased;
                () = &mut shutdown => break,
                received = self.receive() => received,
            };
            // Once messages are in hand, the batch is finished even if shutdown comes.
            let outcome = match received {
                Ok(messages) => self.handle(messages).await.map(|_| ()),
                Err(error) => Err(error),
            };
            match outcome {
                Ok(()) => failures = 0,
                Err(error) => {
                    failures = failures.saturating_add(1);
                    self.counters.failed_rounds.fetch_add(1, Ordering::Relaxed);
                    let wait = Duration::from_millis(250)
                        .saturating_mul(1 << failures.min(7))
                        .min(Duration::from_secs(30));
                    tracing::warn!(%error, ?wait, queue = %self.queue_url, "SQS round failed; retrying");
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
        self.stats()
    }

    async fn receive(&self) -> Result<Vec<Message>> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(self.options.batch_size)
            .wait_time_seconds(seconds(self.options.wait_time))
            .visibility_timeout(seconds(self.options.visibility_timeout))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| sqs_error("ReceiveMessage", e))?;
        Ok(out.messages().to_vec())
    }

    /// Stores a received batch, then deletes what was stored.
    async fn handle(&self, messages: Vec<Message>) -> Result<BatchReport> {
        let mut report = BatchReport {
            received: count(messages.len()),
            ..BatchReport::default()
        };
        if messages.is_empty() {
            return Ok(report);
        }
        self.counters
            .received
            .fetch_add(messages.len() as u64, Ordering::Relaxed);
        let heartbeat = self.keep_invisible(&messages);
        let result = self.store_and_delete(&messages, &mut report).await;
        heartbeat.abort();
        result?;
        let c = &self.counters;
        c.stored
            .fetch_add(u64::from(report.stored), Ordering::Relaxed);
        c.duplicates
            .fetch_add(u64::from(report.duplicates), Ordering::Relaxed);
        c.malformed
            .fetch_add(u64::from(report.malformed), Ordering::Relaxed);
        if report.stored > 0
            && let Some(waker) = &self.waker
        {
            waker.notify_one();
        }
        Ok(report)
    }

    async fn store_and_delete(&self, messages: &[Message], report: &mut BatchReport) -> Result<()> {
        let mut readable: Vec<(&Message, NewInboundEvent)> = Vec::new();
        let mut unreadable: Vec<&Message> = Vec::new();
        for message in messages {
            match read(message) {
                Ok(event) => readable.push((message, event)),
                Err(reason) => {
                    let id = message.message_id().unwrap_or("unknown");
                    tracing::warn!(message_id = id, %reason, "unreadable SQS message kept as a failed event");
                    self.store
                        .record_failed_event(
                            self.household,
                            NewFailedEvent::new(
                                FAILED_SOURCE,
                                id,
                                message.body().unwrap_or_default(),
                                reason,
                            ),
                        )
                        .await?;
                    unreadable.push(message);
                }
            }
        }
        report.malformed = count(unreadable.len());
        let events = readable.iter().map(|(_, event)| event.clone()).collect();
        // With a router, store and route in one transaction; without, only store (the
        // router's own loop routes later).
        let recorded = match &self.router {
            Some(router) => router.ingest(self.household, events).await?.0,
            None => self.store.record_events(self.household, events).await?,
        };
        report.stored = count(recorded.iter().filter(|r| r.is_new()).count());
        report.duplicates = count(recorded.len()) - report.stored;
        let stored: Vec<&Message> = readable.iter().map(|(message, _)| *message).collect();
        report.deleted = self.delete(&stored).await?;
        if !unreadable.is_empty() {
            // Back on the queue soon, so its redrive policy counts the receives.
            self.set_visibility(&unreadable, self.options.malformed_visibility)
                .await?;
        }
        Ok(())
    }

    async fn delete(&self, messages: &[&Message]) -> Result<u32> {
        if messages.is_empty() {
            return Ok(0);
        }
        let mut request = self
            .client
            .delete_message_batch()
            .queue_url(&self.queue_url);
        for (index, message) in messages.iter().enumerate() {
            request = request.entries(
                DeleteMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .receipt_handle(message.receipt_handle().unwrap_or_default())
                    .build()
                    .map_err(|e| Error::invalid("receipt handle", e.to_string()))?,
            );
        }
        let out = request
            .send()
            .await
            .map_err(|e| sqs_error("DeleteMessageBatch", e))?;
        for failed in out.failed() {
            // Stored already: a redelivery will be recognised as a duplicate and deleted then.
            tracing::warn!(code = failed.code(), message = ?failed.message(), "SQS did not delete a stored message");
        }
        Ok(count(out.successful().len()))
    }

    async fn set_visibility(&self, messages: &[&Message], visibility: Duration) -> Result<()> {
        change_visibility(&self.client, &self.queue_url, messages, visibility).await
    }

    /// Extends the batch's visibility every `heartbeat` until aborted.
    fn keep_invisible(&self, messages: &[Message]) -> tokio::task::JoinHandle<()> {
        let client = self.client.clone();
        let queue_url = self.queue_url.clone();
        let every = self.options.heartbeat;
        let visibility = self.options.visibility_timeout;
        let messages = messages.to_vec();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let refs: Vec<&Message> = messages.iter().collect();
                if let Err(error) = change_visibility(&client, &queue_url, &refs, visibility).await
                {
                    tracing::warn!(%error, "could not extend the visibility of a batch in hand");
                }
            }
        })
    }
}

async fn change_visibility(
    client: &aws_sdk_sqs::Client,
    queue_url: &str,
    messages: &[&Message],
    visibility: Duration,
) -> Result<()> {
    let mut request = client
        .change_message_visibility_batch()
        .queue_url(queue_url);
    for (index, message) in messages.iter().enumerate() {
        request = request.entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id(index.to_string())
                .receipt_handle(message.receipt_handle().unwrap_or_default())
                .visibility_timeout(seconds(visibility))
                .build()
                .map_err(|e| Error::invalid("receipt handle", e.to_string()))?,
        );
    }
    request
        .send()
        .await
        .map_err(|e| sqs_error("ChangeMessageVisibilityBatch", e))?;
    Ok(())
}

/// The event a message carries, or why it cannot be read.
fn read(message: &Message) -> std::result::Result<NewInboundEvent, String> {
    let body = message.body().ok_or("the message has no body")?;
    let event = SpApiNotification::parse(body)
        .map_err(|e| e.reason)?
        .into_event();
    event.validate().map_err(|e| e.to_string())?;
    Ok(event)
}

fn seconds(duration: Duration) -> i32 {
    i32::try_from(duration.as_secs()).unwrap_or(i32::MAX)
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Maps an SDK error: no answer, a timeout, throttling or a 5xx is transient.
pub(crate) fn sqs_error<E, R>(operation: &'static str, error: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let transient = match &error {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default();
            code.contains("Throttl")
                || code.contains("RequestThrottled")
                || code.contains("ServiceUnavailable")
                || code.contains("InternalError")
        }
        _ => false,
    };
    let message = match error.code() {
        Some(code) => format!("{code}: {}", error.message().unwrap_or_default()),
        None => aws_sdk_sqs::error::DisplayErrorContext(&error).to_string(),
    };
    Error::Sqs {
        operation,
        message,
        transient,
    }
}
