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
        impl $store {
            /// Writes routed deliveries inside `tx`: outbox messages (once per member and key)
            /// and digest lines (once per member and event). Returns how many of each.
            async fn insert_deliveries_in(
                &self,
                tx: &mut sqlx::Transaction<'static, <Self as $crate::store::sql::SqlBackend>::Db>,
                household: $crate::HouseholdId,
                now: i64,
                deliveries: Vec<($crate::InboundEventId, &$crate::RoutedDelivery)>,
            ) -> $crate::Result<(u32, u32)> {
                use $crate::store::sql::{micros, multi_row_insert};
                let anonymous = Self::ANONYMOUS_PARAMETERS;
                let mut notes = Vec::new();
                let mut lines = Vec::new();
                for (event_id, delivery) in deliveries {
                    match &delivery.action {
                        $crate::RouteAction::Notify(n) => notes.push((delivery.member_id, n)),
                        $crate::RouteAction::Digest { channel, line, due_at } => {
                            lines.push((event_id, delivery.member_id, channel, line, *due_at))
                        }
                    }
                }
                let (mut notifications, mut digest_items) = (0u32, 0u32);
                for part in notes.chunks(1_000) {
                    let sql = format!(
                        "{} ON CONFLICT (household_id, member_id, idempotency_key) DO NOTHING",
                        multi_row_insert(
                            "INSERT INTO fa_notifications (id, household_id, member_id, channel, \
                             idempotency_key, body, next_attempt_at, created_at, updated_at, status, attempts)",
                            9,
                            part.len(),
                            ",'queued',0",
                            anonymous,
                        )
                    );
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for (member, notification) in part {
                        query = query
                            .bind($crate::NotificationId::new().as_uuid())
                            .bind(household.as_uuid())
                            .bind(member.as_uuid())
                            .bind(&notification.channel)
                            .bind(&notification.idempotency_key)
                            .bind(&notification.body)
                            .bind(notification.not_before.map_or(now, micros))
                            .bind(now)
                            .bind(now);
                    }
                    let written = query.execute(&mut **tx).await.map_err(|e| {
                        self.insert_err(e, "notification", "a routed notification", "member")
                    })?;
                    notifications +=
                        u32::try_from(written.rows_affected()).unwrap_or(u32::MAX);
                }
                for part in lines.chunks(1_000) {
                    let sql = format!(
                        "{} ON CONFLICT (household_id, member_id, event_id) DO NOTHING",
                        multi_row_insert(
                            "INSERT INTO fa_digest_items \
                             (id, household_id, member_id, event_id, channel, line, due_at, created_at)",
                            8,
                            part.len(),
                            "",
                            anonymous,
                        )
                    );
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for (event, member, channel, line, due_at) in part {
                        query = query
                            .bind($crate::DigestItemId::new().as_uuid())
                            .bind(household.as_uuid())
                            .bind(member.as_uuid())
                            .bind(event.as_uuid())
                            .bind(*channel)
                            .bind(*line)
                            .bind(micros(*due_at))
                            .bind(now);
                    }
                    let written = query.execute(&mut **tx).await.map_err(|e| {
                        self.insert_err(e, "digest item", "a routed digest line", "member")
                    })?;
                    digest_items +=
                        u32::try_from(written.rows_affected()).unwrap_or(u32::MAX);
                }
                Ok((notifications, digest_items))
            }
        }

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
                use $crate::store::sql::{micros, placeholders};
                for event in &routed {
                    event.validate()?;
                }
                let mut commit = $crate::RouteCommit::default();
                if routed.is_empty() {
                    return Ok(commit);
                }
                let now = micros(self.now());
                let anonymous = Self::ANONYMOUS_PARAMETERS;
                let mut tx = self.begin_write().await?;
                for chunk in routed.chunks(500) {
                    // Claim the chunk's events still unprocessed; the rest were routed before.
                    let sql = format!(
                        "UPDATE fa_inbound_events SET processed_at = {} \
                         WHERE household_id = {} AND processed_at IS NULL AND id IN ({}) RETURNING id",
                        placeholders(1, 1, anonymous),
                        placeholders(2, 1, anonymous),
                        placeholders(3, chunk.len(), anonymous),
                    );
                    let mut claim = sqlx::query_scalar::<_, sqlx::types::Uuid>(sqlx::AssertSqlSafe(sql))
                        .bind(now)
                        .bind(household.as_uuid());
                    for event in chunk {
                        claim = claim.bind(event.event_id.as_uuid());
                    }
                    let claimed: std::collections::HashSet<sqlx::types::Uuid> = claim
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(|e| self.err(e))?
                        .into_iter()
                        .collect();
                    let claimed_events: Vec<&$crate::RoutedEvent> = chunk
                        .iter()
                        .filter(|event| claimed.contains(event.event_id.as_uuid()))
                        .collect();
                    commit.events += u32::try_from(claimed_events.len()).unwrap_or(u32::MAX);
                    commit.already_processed +=
                        u32::try_from(chunk.len() - claimed_events.len()).unwrap_or(u32::MAX);

                    let deliveries = claimed_events
                        .iter()
                        .flat_map(|event| event.deliveries.iter().map(|d| (event.event_id, d)))
                        .collect();
                    let (notes, lines) = self.insert_deliveries_in(&mut tx, household, now, deliveries).await?;
                    commit.notifications += notes;
                    commit.digest_items += lines;
                }
                tx.commit().await.map_err(|e| self.err(e))?;
                Ok(commit)
            }

            async fn record_and_route(
                &self,
                household: $crate::HouseholdId,
                events: Vec<$crate::PlannedEvent>,
            ) -> $crate::Result<(Vec<$crate::Recorded>, $crate::RouteCommit)> {
                let mut routed = Vec::with_capacity(events.len());
                let mut stored = Vec::with_capacity(events.len());
                let now = self.now();
                for planned in events {
                    planned.event.validate()?;
                    let routes = $crate::RoutedEvent {
                        event_id: planned.id,
                        deliveries: planned.deliveries,
                    };
                    routes.validate()?;
                    routed.push(routes);
                    stored.push($crate::InboundEvent {
                        id: planned.id,
                        household_id: household,
                        source: planned.event.source,
                        idempotency_key: planned.event.idempotency_key,
                        kind: planned.event.kind,
                        payload: planned.event.payload,
                        received_at: now,
                        // Stored already routed: it is never seen unprocessed.
                        processed_at: Some(now),
                    });
                }
                let mut commit = $crate::RouteCommit::default();
                if stored.is_empty() {
                    return Ok((Vec::new(), commit));
                }
                let mut tx = self.begin_write().await?;
                let recorded = self.record_batch_in(&mut tx, household, stored).await?;
                let mut deliveries = Vec::new();
                for (result, routes) in recorded.iter().zip(&routed) {
                    if result.is_new() {
                        commit.events += 1;
                        deliveries.extend(routes.deliveries.iter().map(|d| (routes.event_id, d)));
                    } else {
                        commit.already_processed += 1;
                    }
                }
                let micros = $crate::store::sql::micros(now);
                let (notes, lines) = self.insert_deliveries_in(&mut tx, household, micros, deliveries).await?;
                commit.notifications = notes;
                commit.digest_items = lines;
                tx.commit().await.map_err(|e| self.err(e))?;
                Ok((recorded, commit))
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
