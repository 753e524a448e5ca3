//! Customer Feedback API 2024-06-01: what buyers' reviews of an item talk about.
//!
//! SP-API has no notification per review. fa's review alerts compare an item's review topics
//! week by week and the seller feedback report day by day.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::SpApiClient;
use super::orders::encode;
use crate::Result;

/// One topic buyers mention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewTopic {
    /// The topic, e.g. "Assembly/Installation".
    pub topic: String,
    /// How the item's reviews mention it.
    #[serde(default)]
    pub asin_metrics: Option<TopicMetrics>,
}

/// How often and how strongly a topic is mentioned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicMetrics {
    /// Reviews mentioning it.
    pub number_of_mentions: Option<u64>,
    /// Share of reviews mentioning it, in percent.
    pub occurrence_percentage: Option<f64>,
}

/// The positive and negative topics of an item's reviews.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicLists {
    /// What buyers like.
    #[serde(default)]
    pub positive_topics: Vec<ReviewTopic>,
    /// What buyers complain about.
    #[serde(default)]
    pub negative_topics: Vec<ReviewTopic>,
}

/// An item's review topics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewTopics {
    /// The item.
    pub asin: String,
    /// Its name.
    pub item_name: Option<String>,
    /// The marketplace.
    pub marketplace_id: String,
    /// The topics.
    #[serde(default)]
    pub topics: TopicLists,
}

impl ReviewTopics {
    /// Mentions of each negative topic: the compact snapshot kept between weekly checks.
    pub fn negative_mentions(&self) -> BTreeMap<String, u64> {
        self.topics
            .negative_topics
            .iter()
            .map(|topic| (topic.topic.clone(), mentions(topic)))
            .collect()
    }

    /// Negative topics that `previous` (last week's snapshot) did not have, or whose mentions
    /// grew since.
    pub fn new_complaints(&self, previous: &BTreeMap<String, u64>) -> Vec<String> {
        self.topics
            .negative_topics
            .iter()
            .filter(|topic| match previous.get(&topic.topic) {
                None => true,
                Some(earlier) => mentions(topic) > *earlier,
            })
            .map(|topic| topic.topic.clone())
            .collect()
    }
}

fn mentions(topic: &ReviewTopic) -> u64 {
    topic
        .asin_metrics
        .as_ref()
        .and_then(|m| m.number_of_mentions)
        .unwrap_or(0)
}

impl SpApiClient {
    /// The review topics of `asin` in `marketplace_id`, sorted by mentions; `None` when Amazon
    /// has none (HTTP 204).
    pub async fn get_item_review_topics(
        &self,
        asin: &str,
        marketplace_id: &str,
    ) -> Result<Option<ReviewTopics>> {
        let path = format!(
            "/customerFeedback/2024-06-01/items/{}/reviews/topics",
            encode(asin)
        );
        let body = self
            .call_raw(
                "getItemReviewTopics",
                super::Auth::Seller,
                Method::GET,
                &path,
                |r| r.query(&[("marketplaceId", marketplace_id), ("sortBy", "MENTIONS")]),
            )
            .await?;
        if body.is_empty() {
            return Ok(None);
        }
        super::read_json("getItemReviewTopics", &body).map(Some)
    }
}
