//! The channel inbox: deliveries journaled before the channel acknowledges them, so a crash
//! loses no message and a redelivery is answered once.

macro_rules! impl_inbox {
    ($store:ty) => {
        impl $store {
            async fn inbox_journal(
                &self,
                household: $crate::HouseholdId,
                channel: &str,
                key: &str,
                payload: &str,
            ) -> $crate::Result<bool> {
                $crate::domain::validate_inbox(channel, key, payload)?;
                let now = $crate::store::sql::micros(self.now());
                let inserted = sqlx::query(
                    "INSERT INTO fa_channel_inbox \
                     (household_id, channel, delivery_key, payload, received_at, touched_at, attempts) \
                     VALUES ($1, $2, $3, $4, $5, $5, 0) \
                     ON CONFLICT (household_id, channel, delivery_key) DO NOTHING",
                )
                .bind(household.as_uuid())
                .bind(channel)
                .bind(key)
                .bind(payload)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(|e| self.insert_err(e, "inbox entry", key, "household"))?;
                Ok(inserted.rows_affected() > 0)
            }

            async fn inbox_begin(
                &self,
                household: $crate::HouseholdId,
                channel: &str,
                key: &str,
            ) -> $crate::Result<$crate::InboxBegin> {
                let attempts: Option<i64> = sqlx::query_scalar(
                    "UPDATE fa_channel_inbox SET attempts = attempts + 1, touched_at = $4 \
                     WHERE household_id = $1 AND channel = $2 AND delivery_key = $3 AND done_at IS NULL \
                     RETURNING attempts",
                )
                .bind(household.as_uuid())
                .bind(channel)
                .bind(key)
                .bind($crate::store::sql::micros(self.now()))
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                if let Some(attempts) = attempts {
                    let before = u32::try_from(attempts.saturating_sub(1)).unwrap_or(u32::MAX);
                    return Ok(if before == 0 {
                        $crate::InboxBegin::Fresh
                    } else {
                        $crate::InboxBegin::Interrupted { attempts: before }
                    });
                }
                let known: Option<i32> = sqlx::query_scalar(
                    "SELECT 1 FROM fa_channel_inbox \
                     WHERE household_id = $1 AND channel = $2 AND delivery_key = $3",
                )
                .bind(household.as_uuid())
                .bind(channel)
                .bind(key)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                Ok(match known {
                    Some(_) => $crate::InboxBegin::Done,
                    None => $crate::InboxBegin::Missing,
                })
            }

            async fn inbox_finish(
                &self,
                household: $crate::HouseholdId,
                channel: &str,
                key: &str,
            ) -> $crate::Result<bool> {
                let updated = sqlx::query(
                    "UPDATE fa_channel_inbox SET done_at = $4, payload = '' \
                     WHERE household_id = $1 AND channel = $2 AND delivery_key = $3 AND done_at IS NULL",
                )
                .bind(household.as_uuid())
                .bind(channel)
                .bind(key)
                .bind($crate::store::sql::micros(self.now()))
                .execute(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                Ok(updated.rows_affected() > 0)
            }

            async fn inbox_unfinished(
                &self,
                household: $crate::HouseholdId,
                channel: &str,
                untouched_since: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::InboxEntry>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::InboxRow>(
                    "SELECT household_id, channel, delivery_key, payload, received_at, attempts \
                     FROM fa_channel_inbox \
                     WHERE household_id = $1 AND channel = $2 AND done_at IS NULL AND touched_at <= $3 \
                     ORDER BY received_at, delivery_key LIMIT $4",
                )
                .bind(household.as_uuid())
                .bind(channel)
                .bind($crate::store::sql::micros(untouched_since))
                .bind($crate::store::sql::limit(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn inbox_prune(
                &self,
                household: $crate::HouseholdId,
                done_before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<u64> {
                let deleted = sqlx::query(
                    "DELETE FROM fa_channel_inbox \
                     WHERE household_id = $1 AND done_at IS NOT NULL AND done_at < $2",
                )
                .bind(household.as_uuid())
                .bind($crate::store::sql::micros(done_before))
                .execute(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                Ok(deleted.rows_affected())
            }
        }
    };
}

pub(crate) use impl_inbox;
