//! [`TestQueue`]: a fresh SQS queue with a dead-letter queue on a local SQS server (moto), for
//! tests of consumers.

use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};
use fa_core::Secret;

use crate::sqs::SqsConfig;
use crate::{Error, Result};

/// The SQS server for tests, from `FA_TEST_SQS_URL` (scripts/test starts moto and sets it).
/// `None` skips SQS tests, unless `FA_TEST_REQUIRE_SQS` is set, which makes a missing URL an
/// error.
pub fn sqs_endpoint() -> Result<Option<String>> {
    match std::env::var("FA_TEST_SQS_URL") {
        Ok(url) if !url.is_empty() => Ok(Some(url)),
        _ if std::env::var_os("FA_TEST_REQUIRE_SQS").is_some() => Err(Error::invalid(
            "FA_TEST_SQS_URL",
            "FA_TEST_REQUIRE_SQS is set but FA_TEST_SQS_URL is not",
        )),
        _ => Ok(None),
    }
}

/// A queue whose messages go to its dead-letter queue after `max_receive` receives.
#[derive(Debug)]
pub struct TestQueue {
    /// A client for the server.
    pub client: aws_sdk_sqs::Client,
    /// The queue, as a consumer is configured with it.
    pub config: SqsConfig,
    /// The dead-letter queue's URL.
    pub dlq_url: String,
}

fn sdk<E: std::fmt::Debug>(operation: &'static str) -> impl Fn(E) -> Error {
    move |e| Error::Sqs {
        operation,
        message: format!("{e:?}"),
        transient: false,
    }
}

impl TestQueue {
    /// Creates the two queues, with names unique to this call.
    pub async fn create(endpoint: &str, max_receive: u32) -> Result<Self> {
        let name = format!(
            "fa-test-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        );
        let probe =
            SqsConfig::new("", "us-east-1", "test", Secret::new("test")).endpoint_url(endpoint);
        let client = probe.client();
        let dlq_url = client
            .create_queue()
            .queue_name(format!("{name}-dlq"))
            .send()
            .await
            .map_err(sdk("CreateQueue"))?
            .queue_url()
            .unwrap_or_default()
            .to_owned();
        let dlq_arn = attribute(&client, &dlq_url, QueueAttributeName::QueueArn).await?;
        let redrive =
            format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{max_receive}"}}"#);
        let queue_url = client
            .create_queue()
            .queue_name(&name)
            .attributes(QueueAttributeName::RedrivePolicy, redrive)
            .attributes(QueueAttributeName::VisibilityTimeout, "30")
            .send()
            .await
            .map_err(sdk("CreateQueue"))?
            .queue_url()
            .unwrap_or_default()
            .to_owned();
        let config = SqsConfig::new(queue_url, "us-east-1", "test", Secret::new("test"))
            .endpoint_url(endpoint);
        Ok(Self {
            client,
            config,
            dlq_url,
        })
    }

    /// Sends `bodies`, ten per batch.
    pub async fn send(&self, bodies: &[String]) -> Result<()> {
        for (chunk_index, chunk) in bodies.chunks(10).enumerate() {
            let mut request = self
                .client
                .send_message_batch()
                .queue_url(&self.config.queue_url);
            for (i, body) in chunk.iter().enumerate() {
                request = request.entries(
                    SendMessageBatchRequestEntry::builder()
                        .id(format!("m{chunk_index}-{i}"))
                        .message_body(body)
                        .build()
                        .map_err(sdk("SendMessageBatch"))?,
                );
            }
            let out = request.send().await.map_err(sdk("SendMessageBatch"))?;
            if !out.failed().is_empty() {
                return Err(sdk("SendMessageBatch")(out.failed()));
            }
        }
        Ok(())
    }

    /// Messages on the queue, visible or in flight.
    pub async fn depth(&self) -> Result<u64> {
        depth(&self.client, &self.config.queue_url).await
    }

    /// Messages on the dead-letter queue.
    pub async fn dead_letters(&self) -> Result<u64> {
        depth(&self.client, &self.dlq_url).await
    }

    /// The distinct bodies on the dead-letter queue. Reads them all, leaving them hidden for a
    /// minute. SQS is at-least-once and can hold a message on the dead-letter queue more than
    /// once, so tests compare these distinct bodies rather than a count. Moto has a race here:
    /// a concurrent delete can undo a move to the dead-letter queue, and the message is then
    /// moved a second time.
    pub async fn dead_letter_bodies(&self) -> Result<std::collections::BTreeSet<String>> {
        let mut bodies = std::collections::BTreeSet::new();
        loop {
            let out = self
                .client
                .receive_message()
                .queue_url(&self.dlq_url)
                .max_number_of_messages(10)
                .visibility_timeout(60)
                .send()
                .await
                .map_err(sdk("ReceiveMessage"))?;
            let messages = out.messages();
            if messages.is_empty() {
                return Ok(bodies);
            }
            bodies.extend(messages.iter().filter_map(|m| m.body().map(str::to_owned)));
        }
    }
}

async fn attribute(
    client: &aws_sdk_sqs::Client,
    url: &str,
    name: QueueAttributeName,
) -> Result<String> {
    Ok(client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(name.clone())
        .send()
        .await
        .map_err(sdk("GetQueueAttributes"))?
        .attributes()
        .and_then(|a| a.get(&name))
        .cloned()
        .unwrap_or_default())
}

async fn depth(client: &aws_sdk_sqs::Client, url: &str) -> Result<u64> {
    let visible = attribute(client, url, QueueAttributeName::ApproximateNumberOfMessages).await?;
    let hidden = attribute(
        client,
        url,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
    )
    .await?;
    Ok(visible.parse::<u64>().unwrap_or(0) + hidden.parse::<u64>().unwrap_or(0))
}
