use serde::Deserialize as _;
use sqlx::types::{Json, Uuid};

use super::instant;
use crate::{DigestItem, Error, FailedEvent, Result, RouteRule, RouteSpec};

#[derive(sqlx::FromRow)]
pub(crate) struct FailedEventRow {
    id: Uuid,
    household_id: Uuid,
    source: String,
    external_id: String,
    raw: String,
    reason: String,
    attempts: i64,
    first_seen: i64,
    last_seen: i64,
}

impl TryFrom<FailedEventRow> for FailedEvent {
    type Error = Error;

    fn try_from(row: FailedEventRow) -> Result<Self> {
        Ok(FailedEvent {
            id: row.id.into(),
            household_id: row.household_id.into(),
            source: row.source,
            external_id: row.external_id,
            raw: row.raw,
            reason: row.reason,
            attempts: u32::try_from(row.attempts).map_err(|_| {
                Error::corrupt("failed event", format!("attempts {}", row.attempts))
            })?,
            first_seen: instant("failed event", row.first_seen)?,
            last_seen: instant("failed event", row.last_seen)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RouteRuleRow {
    id: Uuid,
    household_id: Uuid,
    member_id: Uuid,
    rule: Json<serde_json::Value>,
    created_at: i64,
}

impl TryFrom<RouteRuleRow> for RouteRule {
    type Error = Error;

    fn try_from(row: RouteRuleRow) -> Result<Self> {
        let spec = RouteSpec::deserialize(row.rule.0)
            .map_err(|e| Error::corrupt("route rule", e.to_string()))?;
        Ok(RouteRule {
            id: row.id.into(),
            household_id: row.household_id.into(),
            member_id: row.member_id.into(),
            spec,
            created_at: instant("route rule", row.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DigestItemRow {
    id: Uuid,
    household_id: Uuid,
    member_id: Uuid,
    event_id: Uuid,
    channel: String,
    line: String,
    due_at: i64,
    created_at: i64,
}

impl TryFrom<DigestItemRow> for DigestItem {
    type Error = Error;

    fn try_from(row: DigestItemRow) -> Result<Self> {
        Ok(DigestItem {
            id: row.id.into(),
            household_id: row.household_id.into(),
            member_id: row.member_id.into(),
            event_id: row.event_id.into(),
            channel: row.channel,
            line: row.line,
            due_at: instant("digest item", row.due_at)?,
            created_at: instant("digest item", row.created_at)?,
        })
    }
}

macro_rules! impl_routing_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::RoutingStore for $store {
            async fn record_failed_event(
                &self,
                household: $crate::HouseholdId,
                event: $crate::NewFailedEvent,
            ) -> $crate::Result<$crate::FailedEvent> {
                event.validate()?;
                let now = $crate::store::sql::micros(self.now());
                sqlx::query_as::<_, $crate::store::sql::FailedEventRow>(
                    "INSERT INTO fa_failed_events \
                     (id, household_id, source, external_id, raw, reason, attempts, first_seen, last_seen) \
                     VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) \
                     ON CONFLICT (household_id, source, external_id) DO UPDATE \
                     SET attempts = fa_failed_events.attempts + 1, last_seen = excluded.last_seen \
                     RETURNING id, household_id, source, external_id, raw, reason, attempts, first_seen, last_seen",
                )
                .bind($crate::FailedEventId::new().as_uuid())
                .bind(household.as_uuid())
                .bind(&event.source)
                .bind(&event.external_id)
                .bind(&event.raw)
                .bind(&event.reason)
                .bind(now)
                .fetch_one(&self.pool)
                .await
                .map_err(|e| self.insert_err(e, "failed event", event.external_id.clone(), "household"))?
                .try_into()
            }

            async fn failed_events(
                &self,
                household: $crate::HouseholdId,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::FailedEvent>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::FailedEventRow>(
                    "SELECT id, household_id, source, external_id, raw, reason, attempts, first_seen, last_seen \
                     FROM fa_failed_events WHERE household_id = $1 \
                     ORDER BY last_seen DESC, id LIMIT $2",
                )
                .bind(household.as_uuid())
                .bind($crate::store::sql::limit(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn add_route_rule(
                &self,
                scope: $crate::MemberScope,
                spec: $crate::RouteSpec,
            ) -> $crate::Result<$crate::RouteRule> {
                spec.validate()?;
                let rule = $crate::RouteRule {
                    id: $crate::RouteRuleId::new(),
                    household_id: scope.household,
                    member_id: scope.member,
                    spec,
                    created_at: self.now(),
                };
                sqlx::query(
                    "INSERT INTO fa_route_rules (id, household_id, member_id, rule, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(rule.id.as_uuid())
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(sqlx::types::Json(&rule.spec))
                .bind($crate::store::sql::micros(rule.created_at))
                .execute(&self.pool)
                .await
                .map_err(|e| self.insert_err(e, "route rule", rule.id.to_string(), "member"))?;
                Ok(rule)
            }

            async fn route_rules(
                &self,
                household: $crate::HouseholdId,
            ) -> $crate::Result<Vec<$crate::RouteRule>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::RouteRuleRow>(
                    "SELECT id, household_id, member_id, rule, created_at FROM fa_route_rules \
                     WHERE household_id = $1 ORDER BY created_at, id",
                )
                .bind(household.as_uuid())
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn delete_route_rule(
                &self,
                scope: $crate::MemberScope,
                rule: $crate::RouteRuleId,
            ) -> $crate::Result<bool> {
                let deleted = sqlx::query(
                    "DELETE FROM fa_route_rules WHERE household_id = $1 AND member_id = $2 AND id = $3",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(rule.as_uuid())
                .execute(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                Ok(deleted.rows_affected() > 0)
            }

            async fn commit_routes(
                &self,
                household: $crate::HouseholdId,
                routed: Vec<$crate::RoutedEvent>,
            ) -> $crate::Result<$crate::RouteCommit> {
                for event in &routed {
                    event.validate()?;
                }
                let mut commit = $crate::RouteCommit::default();
                if routed.is_empty() {
                    return Ok(commit);
                }
                let now = self.now();
                let mut tx = self.begin_write().await?;
                for event in routed {
                    let claimed = sqlx::query(
                        "UPDATE fa_inbound_events SET processed_at = $3 \
                         WHERE household_id = $1 AND id = $2 AND processed_at IS NULL",
                    )
                    .bind(household.as_uuid())
                    .bind(event.event_id.as_uuid())
                    .bind($crate::store::sql::micros(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| self.err(e))?;
                    if claimed.rows_affected() == 0 {
                        commit.already_processed += 1;
                        continue;
                    }
                    commit.events += 1;
                    for delivery in event.deliveries {
                        let scope = $crate::MemberScope::new(household, delivery.member_id);
                        match delivery.action {
                            $crate::RouteAction::Notify(notification) => {
                                self.enqueue_in(&mut tx, scope, &notification).await?;
                                commit.notifications += 1;
                            }
                            $crate::RouteAction::Digest { channel, line, due_at } => {
                                let inserted = sqlx::query(
                                    "INSERT INTO fa_digest_items \
                                     (id, household_id, member_id, event_id, channel, line, due_at, created_at) \
                                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                                     ON CONFLICT (household_id, member_id, event_id) DO NOTHING",
                                )
                                .bind($crate::DigestItemId::new().as_uuid())
                                .bind(household.as_uuid())
                                .bind(delivery.member_id.as_uuid())
                                .bind(event.event_id.as_uuid())
                                .bind(&channel)
                                .bind(&line)
                                .bind($crate::store::sql::micros(due_at))
                                .bind($crate::store::sql::micros(now))
                                .execute(&mut *tx)
                                .await
                                .map_err(|e| self.insert_err(e, "digest item", event.event_id.to_string(), "member"))?;
                                commit.digest_items += u32::try_from(inserted.rows_affected()).unwrap_or(0);
                            }
                        }
                    }
                }
                tx.commit().await.map_err(|e| self.err(e))?;
                Ok(commit)
            }

            async fn due_digest_items(
                &self,
                household: $crate::HouseholdId,
                now: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::DigestItem>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::DigestItemRow>(
                    "SELECT id, household_id, member_id, event_id, channel, line, due_at, created_at \
                     FROM fa_digest_items \
                     WHERE household_id = $1 AND notification_id IS NULL AND due_at <= $2 \
                     ORDER BY member_id, due_at, created_at, id LIMIT $3",
                )
                .bind(household.as_uuid())
                .bind($crate::store::sql::micros(now))
                .bind($crate::store::sql::limit(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn flush_digest(
                &self,
                scope: $crate::MemberScope,
                items: Vec<$crate::DigestItemId>,
                notification: $crate::NewNotification,
            ) -> $crate::Result<$crate::Notification> {
                notification.validate()?;
                let mut tx = self.begin_write().await?;
                let sent = self.enqueue_in(&mut tx, scope, &notification).await?;
                for item in items {
                    sqlx::query(
                        "UPDATE fa_digest_items SET notification_id = $4 \
                         WHERE household_id = $1 AND member_id = $2 AND id = $3 \
                         AND notification_id IS NULL",
                    )
                    .bind(scope.household.as_uuid())
                    .bind(scope.member.as_uuid())
                    .bind(item.as_uuid())
                    .bind(sent.id.as_uuid())
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| self.err(e))?;
                }
                tx.commit().await.map_err(|e| self.err(e))?;
                Ok(sent)
            }
        }
    };
}

pub(crate) use impl_routing_store;
