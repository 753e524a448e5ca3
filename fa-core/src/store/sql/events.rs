macro_rules! impl_event_store {
    ($store:ty) => {
        $crate::store::sql::impl_inbox!($store);

        impl $store {
            /// Inserts a batch of validated events inside `tx` (each once per key) and returns,
            /// in order, whether each was new or the stored row it duplicates.
            async fn record_batch_in(
                &self,
                tx: &mut sqlx::Transaction<'static, <Self as $crate::store::sql::SqlBackend>::Db>,
                household: $crate::HouseholdId,
                stored: Vec<$crate::InboundEvent>,
            ) -> $crate::Result<Vec<$crate::Recorded>> {
                use $crate::store::sql::{micros, multi_row_insert};
                // One multi-row insert per chunk; RETURNING names the rows it inserted, so the
                // rest are duplicates (of stored events, or of an earlier one in the batch).
                let mut inserted = std::collections::HashSet::new();
                for chunk in stored.chunks(1_000) {
                    let sql = format!(
                        "{} ON CONFLICT (household_id, source, idempotency_key) DO NOTHING RETURNING id",
                        multi_row_insert(
                            "INSERT INTO fa_inbound_events \
                             (id, household_id, source, idempotency_key, kind, payload, received_at, processed_at)",
                            8,
                            chunk.len(),
                            "",
                            Self::ANONYMOUS_PARAMETERS,
                        )
                    );
                    let mut query = sqlx::query_scalar::<_, sqlx::types::Uuid>(sqlx::AssertSqlSafe(sql));
                    for event in chunk {
                        query = query
                            .bind(event.id.as_uuid())
                            .bind(household.as_uuid())
                            .bind(&event.source)
                            .bind(&event.idempotency_key)
                            .bind(&event.kind)
                            .bind(sqlx::types::Json(&event.payload))
                            .bind(micros(event.received_at))
                            .bind(event.processed_at.map(micros));
                    }
                    let ids = query.fetch_all(&mut **tx).await.map_err(|e| {
                        self.insert_err(e, "inbound event", "an event in the batch", "household")
                    })?;
                    inserted.extend(ids);
                }
                // The stored rows of the duplicates, one query per source and chunk of keys.
                let mut existing: std::collections::HashMap<(String, String), $crate::InboundEvent> =
                    std::collections::HashMap::new();
                let mut wanted: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
                for event in stored.iter().filter(|e| !inserted.contains(e.id.as_uuid())) {
                    wanted
                        .entry(event.source.as_str())
                        .or_default()
                        .push(event.idempotency_key.as_str());
                }
                for (source, keys) in wanted {
                    for part in keys.chunks(500) {
                        let sql = format!(
                            "SELECT id, household_id, source, idempotency_key, kind, payload, received_at, processed_at \
                             FROM fa_inbound_events \
                             WHERE household_id = {} AND source = {} AND idempotency_key IN ({})",
                            $crate::store::sql::placeholders(1, 1, Self::ANONYMOUS_PARAMETERS),
                            $crate::store::sql::placeholders(2, 1, Self::ANONYMOUS_PARAMETERS),
                            $crate::store::sql::placeholders(3, part.len(), Self::ANONYMOUS_PARAMETERS),
                        );
                        let mut query = sqlx::query_as::<_, $crate::store::sql::EventRow>(
                            sqlx::AssertSqlSafe(sql),
                        )
                        .bind(household.as_uuid())
                        .bind(source);
                        for key in part {
                            query = query.bind(*key);
                        }
                        for row in query.fetch_all(&mut **tx).await.map_err(|e| self.err(e))? {
                            let event: $crate::InboundEvent = row.try_into()?;
                            existing.insert(
                                (event.source.clone(), event.idempotency_key.clone()),
                                event,
                            );
                        }
                    }
                }
                let mut recorded = Vec::with_capacity(stored.len());
                for event in stored {
                    if inserted.contains(event.id.as_uuid()) {
                        recorded.push($crate::Recorded::New(event));
                        continue;
                    }
                    let key = (event.source, event.idempotency_key);
                    let found = existing.get(&key).cloned().ok_or_else(|| {
                        $crate::Error::corrupt("inbound event", "a duplicate's stored row vanished")
                    })?;
                    recorded.push($crate::Recorded::Duplicate(found));
                }
                Ok(recorded)
            }
        }

        #[async_trait::async_trait]
        impl $crate::EventStore for $store {
            async fn record_event(
                &self,
                household: $crate::HouseholdId,
                event: $crate::NewInboundEvent,
            ) -> $crate::Result<$crate::Recorded> {
                self.record_events(household, vec![event])
                    .await?
                    .pop()
                    .ok_or_else(|| $crate::Error::corrupt("inbound event", "recording one event returned none"))
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
                let received_at = self.now();
                let stored = events
                    .into_iter()
                    .map(|event| $crate::InboundEvent {
                        id: $crate::InboundEventId::new(),
                        household_id: household,
                        source: event.source,
                        idempotency_key: event.idempotency_key,
                        kind: event.kind,
                        payload: event.payload,
                        received_at,
                        processed_at: None,
                    })
                    .collect();
                let mut tx = self.begin_write().await?;
                let recorded = self.record_batch_in(&mut tx, household, stored).await?;
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

            async fn journal_inbound(
                &self,
                household: $crate::HouseholdId,
                channel: &str,
                key: &str,
                payload: &str,
            ) -> $crate::Result<bool> {
                self.inbox_journal(household, channel, key, payload).await
            }

            async fn begin_inbound(
                &self,
                household: $crate::HouseholdId,
                channel: &str,
                key: &str,
            ) -> $crate::Result<$crate::InboxBegin> {
                self.inbox_begin(household, channel, key).await
            }

            async fn finish_inbound(
                &self,
                household: $crate::HouseholdId,
                channel: &str,
                key: &str,
            ) -> $crate::Result<bool> {
                self.inbox_finish(household, channel, key).await
            }

            async fn unfinished_inbound(
                &self,
                household: $crate::HouseholdId,
                channel: &str,
                untouched_since: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::InboxEntry>> {
                self.inbox_unfinished(household, channel, untouched_since, limit).await
            }

            async fn prune_inbound(
                &self,
                household: $crate::HouseholdId,
                done_before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<u64> {
                self.inbox_prune(household, done_before).await
            }
        }
    };
}

pub(crate) use impl_event_store;
