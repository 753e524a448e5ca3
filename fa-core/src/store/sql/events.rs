macro_rules! impl_event_store {
    ($store:ty) => {
        impl $store {
            /// Stores a validated event on `conn` (a pooled connection or an open transaction)
            /// unless its key is already stored.
            async fn record_event_in(
                &self,
                conn: &mut <<Self as $crate::store::sql::SqlBackend>::Db as sqlx::Database>::Connection,
                household: $crate::HouseholdId,
                event: $crate::NewInboundEvent,
            ) -> $crate::Result<$crate::Recorded> {
                let stored = $crate::InboundEvent {
                    id: $crate::InboundEventId::new(),
                    household_id: household,
                    source: event.source,
                    idempotency_key: event.idempotency_key,
                    kind: event.kind,
                    payload: event.payload,
                    received_at: self.now(),
                    processed_at: None,
                };
                let inserted = sqlx::query(
                    "INSERT INTO fa_inbound_events \
                     (id, household_id, source, idempotency_key, kind, payload, received_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (household_id, source, idempotency_key) DO NOTHING",
                )
                .bind(stored.id.as_uuid())
                .bind(household.as_uuid())
                .bind(&stored.source)
                .bind(&stored.idempotency_key)
                .bind(&stored.kind)
                .bind(sqlx::types::Json(&stored.payload))
                .bind($crate::store::sql::micros(stored.received_at))
                .execute(&mut *conn)
                .await
                .map_err(|e| self.insert_err(e, "inbound event", stored.id.to_string(), "household"))?;
                if inserted.rows_affected() == 1 {
                    return Ok($crate::Recorded::New(stored));
                }
                let existing = sqlx::query_as::<_, $crate::store::sql::EventRow>(
                    "SELECT id, household_id, source, idempotency_key, kind, payload, received_at, processed_at \
                     FROM fa_inbound_events \
                     WHERE household_id = $1 AND source = $2 AND idempotency_key = $3",
                )
                .bind(household.as_uuid())
                .bind(&stored.source)
                .bind(&stored.idempotency_key)
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| self.err(e))?;
                Ok($crate::Recorded::Duplicate(existing.try_into()?))
            }
        }

        #[async_trait::async_trait]
        impl $crate::EventStore for $store {
            async fn record_event(
                &self,
                household: $crate::HouseholdId,
                event: $crate::NewInboundEvent,
            ) -> $crate::Result<$crate::Recorded> {
                event.validate()?;
                let mut conn = self.pool.acquire().await.map_err(|e| self.err(e))?;
                self.record_event_in(&mut conn, household, event).await
            }

            async fn recent_events(
                &self,
                household: $crate::HouseholdId,
                source: &str,
                kinds: &[String],
                limit: u32,
            ) -> $crate::Result<Vec<$crate::InboundEvent>> {
                if kinds.is_empty() {
                    return Ok(Vec::new());
                }
                // A few kinds at most: one query per kind, merged, keeps the SQL one text for
                // both backends (no array binding).
                let mut events = Vec::new();
                for kind in kinds {
                    let rows = sqlx::query_as::<_, $crate::store::sql::EventRow>(
                        "SELECT id, household_id, source, idempotency_key, kind, payload, received_at, processed_at \
                         FROM fa_inbound_events WHERE household_id = $1 AND source = $2 AND kind = $3 \
                         ORDER BY received_at DESC, id DESC LIMIT $4",
                    )
                    .bind(household.as_uuid())
                    .bind(source)
                    .bind(kind)
                    .bind($crate::store::sql::limit(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| self.err(e))?;
                    events.extend($crate::store::sql::convert::<_, $crate::InboundEvent>(rows)?);
                }
                events.sort_by(|a, b| b.received_at.cmp(&a.received_at).then(b.id.cmp(&a.id)));
                events.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
                Ok(events)
            }

            async fn record_events(
                &self,
                household: $crate::HouseholdId,
                events: Vec<$crate::NewInboundEvent>,
            ) -> $crate::Result<Vec<$crate::Recorded>> {
                for event in &events {
                    event.validate()?;
                }
                if events.is_empty() {
                    return Ok(Vec::new());
                }
                let mut tx = self.begin_write().await?;
                let mut recorded = Vec::with_capacity(events.len());
                for event in events {
                    recorded.push(self.record_event_in(&mut tx, household, event).await?);
                }
                tx.commit().await.map_err(|e| self.err(e))?;
                Ok(recorded)
            }

            async fn event(
                &self,
                household: $crate::HouseholdId,
                id: $crate::InboundEventId,
            ) -> $crate::Result<Option<$crate::InboundEvent>> {
                sqlx::query_as::<_, $crate::store::sql::EventRow>(
                    "SELECT id, household_id, source, idempotency_key, kind, payload, received_at, processed_at \
                     FROM fa_inbound_events WHERE household_id = $1 AND id = $2",
                )
                .bind(household.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| self.err(e))?
                .map(TryInto::try_into)
                .transpose()
            }

            async fn unprocessed_events(
                &self,
                household: $crate::HouseholdId,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::InboundEvent>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::EventRow>(
                    "SELECT id, household_id, source, idempotency_key, kind, payload, received_at, processed_at \
                     FROM fa_inbound_events WHERE household_id = $1 AND processed_at IS NULL \
                     ORDER BY received_at, id LIMIT $2",
                )
                .bind(household.as_uuid())
                .bind($crate::store::sql::limit(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn mark_event_processed(
                &self,
                household: $crate::HouseholdId,
                id: $crate::InboundEventId,
            ) -> $crate::Result<bool> {
                let updated = sqlx::query(
                    "UPDATE fa_inbound_events SET processed_at = $3 \
                     WHERE household_id = $1 AND id = $2 AND processed_at IS NULL",
                )
                .bind(household.as_uuid())
                .bind(id.as_uuid())
                .bind($crate::store::sql::micros(self.now()))
                .execute(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                Ok(updated.rows_affected() > 0)
            }
        }
    };
}

pub(crate) use impl_event_store;
