//! Where the queue is, how to sign in to it, and how to poll it.

use std::time::Duration;

use aws_sdk_sqs::config::timeout::TimeoutConfig;
use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
use fa_core::Secret;

/// The queue and the credentials of the IAM user allowed to read it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SqsConfig {
    /// The queue URL, e.g. `https://sqs.us-east-1.amazonaws.com/123456789012/fa-notifications`.
    pub queue_url: String,
    /// The queue's AWS region, e.g. `us-east-1`.
    pub region: String,
    /// The IAM access key id.
    pub access_key_id: String,
    /// The IAM secret access key (never printed).
    pub secret_access_key: Secret,
    /// Another endpoint than AWS's (a local `moto` server in tests); `None` for AWS.
    pub endpoint_url: Option<String>,
}

impl SqsConfig {
    /// A queue on AWS.
    pub fn new(
        queue_url: impl Into<String>,
        region: impl Into<String>,
        access_key_id: impl Into<String>,
        secret_access_key: Secret,
    ) -> Self {
        Self {
            queue_url: queue_url.into(),
            region: region.into(),
            access_key_id: access_key_id.into(),
            secret_access_key,
            endpoint_url: None,
        }
    }

    /// Talks to `endpoint` instead of AWS.
    pub fn endpoint_url(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint_url = Some(endpoint.into());
        self
    }

    /// An SQS client with exactly these credentials: no credential chain, so nothing else
    /// (environment, files, instance metadata) is consulted.
    pub fn client(&self) -> aws_sdk_sqs::Client {
        let credentials = Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.expose().to_owned(),
            None,
            None,
            "fa-amazon",
        );
        // The SDK sets no read timeout by default: a server that stops answering would hang a
        // receive for ever. A long poll lasts at most 20 s, so 45 s per attempt is generous.
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(Duration::from_secs(45))
            .build();
        let mut config = aws_sdk_sqs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .credentials_provider(credentials)
            .timeout_config(timeouts);
        if let Some(endpoint) = &self.endpoint_url {
            config = config.endpoint_url(endpoint.clone());
        }
        aws_sdk_sqs::Client::from_conf(config.build())
    }
}

/// How the queue is polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqsOptions {
    /// Messages per receive, 1 to 10 (default 10).
    pub batch_size: i32,
    /// How long a receive waits for the first message, up to 20 s (default 20 s).
    pub wait_time: Duration,
    /// How long received messages stay invisible to other consumers (default 60 s).
    pub visibility_timeout: Duration,
    /// How often the visibility of a batch in hand is extended (default 20 s).
    pub heartbeat: Duration,
    /// How soon an unreadable message is received again, counting towards the queue's
    /// `maxReceiveCount` (default 30 s; 0 makes it visible at once).
    pub malformed_visibility: Duration,
}

impl Default for SqsOptions {
    fn default() -> Self {
        Self {
            batch_size: 10,
            wait_time: Duration::from_secs(20),
            visibility_timeout: Duration::from_secs(60),
            heartbeat: Duration::from_secs(20),
            malformed_visibility: Duration::from_secs(30),
        }
    }
}

impl SqsOptions {
    /// Sets the messages per receive (clamped to 1..=10).
    pub fn batch_size(mut self, n: i32) -> Self {
        self.batch_size = n.clamp(1, 10);
        self
    }

    /// Sets the long-poll wait (at most 20 s).
    pub fn wait_time(mut self, wait: Duration) -> Self {
        self.wait_time = wait.min(Duration::from_secs(20));
        self
    }

    /// Sets the visibility timeout of received messages.
    pub fn visibility_timeout(mut self, timeout: Duration) -> Self {
        self.visibility_timeout = timeout;
        self
    }

    /// Sets how often a batch in hand has its visibility extended.
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every.max(Duration::from_secs(1));
        self
    }

    /// Sets how soon an unreadable message comes back.
    pub fn malformed_visibility(mut self, after: Duration) -> Self {
        self.malformed_visibility = after;
        self
    }
}
