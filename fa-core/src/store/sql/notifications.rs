macro_rules! impl_notification_store {
    ($store:ty) => {
        impl $store {
            /// Enqueues a validated notification on `conn` (a pooled connection or an open
            /// transaction) and returns the member's row with its key, new or not.
            async fn enqueue_in(
                &self,
                conn: &mut <<Self as $crate::store::sql::SqlBackend>::Db as sqlx::Database>::Connection,
                scope: $crate::MemberScope,
                notification: &$crate::NewNotification,
            ) -> $crate::Result<$crate::Notification> {
                let now = self.now();
                sqlx::query(
                concat!(
                    "INSERT INTO fa_notifications (",
                    $crate::store::sql::notification_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $8, $8) \
                     ON CONFLICT (household_id, member_id, idempotency_key) DO NOTHING"
                ))
                .bind($crate::NotificationId::new().as_uuid())
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(&notification.channel)
                .bind(&notification.idempotency_key)
                .bind(&notification.body)
                .bind($crate::store::sql::micros(notification.not_before.unwrap_or(now)))
                .bind($crate::store::sql::micros(now))
                .execute(&mut *conn)
                .await
                .map_err(|e| self.insert_err(e, "notification", notification.idempotency_key.clone(), "member"))?;
                sqlx::query_as::<_, $crate::store::sql::NotificationRow>(concat!(
                    "SELECT ",
                    $crate::store::sql::notification_columns!(),
                    " FROM fa_notifications \
                      WHERE household_id = $1 AND member_id = $2 AND idempotency_key = $3"
                ))
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(&notification.idempotency_key)
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| self.err(e))?
                .try_into()
            }

            /// Records one validated attempt inside `tx`; `None` when the notification is missing
            /// or already final.
            async fn record_attempt_in(
                &self,
                tx: &mut sqlx::Transaction<'static, <Self as $crate::store::sql::SqlBackend>::Db>,
                household: $crate::HouseholdId,
                id: $crate::NotificationId,
                attempt: $crate::DeliveryAttempt,
            ) -> $crate::Result<Option<$crate::DeliveryReceipt>> {
                let now = self.now();
                let next_attempt_at = match attempt.status {
                    $crate::DeliveryStatus::Retrying => attempt.retry_at,
                    _ => None,
                };
                let number: Option<i64> = sqlx::query_scalar(
                    "UPDATE fa_notifications \
                     SET attempts = attempts + 1, status = $3, next_attempt_at = $4, updated_at = $5 \
                     WHERE household_id = $1 AND id = $2 AND status NOT IN ('sent', 'given_up') \
                     RETURNING attempts",
                )
                .bind(household.as_uuid())
                .bind(id.as_uuid())
                .bind(attempt.status.as_str())
                .bind(next_attempt_at.map($crate::store::sql::micros))
                .bind($crate::store::sql::micros(now))
                .fetch_optional(&mut **tx)
                .await
                .map_err(|e| self.err(e))?;
                let Some(number) = number else {
                    return Ok(None);
                };
                let receipt = $crate::DeliveryReceipt {
                    id: $crate::DeliveryReceiptId::new(),
                    notification_id: id,
                    attempt: u32::try_from(number).map_err(|_| {
                        $crate::Error::corrupt("notification", format!("attempt count {number}"))
                    })?,
                    status: attempt.status,
                    detail: attempt.detail,
                    retry_at: attempt.retry_at.map($crate::store::sql::truncate),
                    recorded_at: now,
                };
                sqlx::query(
                    "INSERT INTO fa_delivery_receipts \
                     (id, household_id, notification_id, attempt, status, detail, retry_at, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(receipt.id.as_uuid())
                .bind(household.as_uuid())
                .bind(id.as_uuid())
                .bind(number)
                .bind(receipt.status.as_str())
                .bind(receipt.detail.as_deref())
                .bind(receipt.retry_at.map($crate::store::sql::micros))
                .bind($crate::store::sql::micros(now))
                .execute(&mut **tx)
                .await
                .map_err(|e| self.insert_err(e, "delivery receipt", format!("attempt {number}"), "notification"))?;
                Ok(Some(receipt))
            }
        }

        #[async_trait::async_trait]
        impl $crate::NotificationStore for $store {
            async fn enqueue_notification(
                &self,
                scope: $crate::MemberScope,
                notification: $crate::NewNotification,
            ) -> $crate::Result<$crate::Notification> {
                notification.validate()?;
                let mut conn = self.pool.acquire().await.map_err(|e| self.err(e))?;
                self.enqueue_in(&mut conn, scope, &notification).await
            }

            async fn notification(
                &self,
                household: $crate::HouseholdId,
                id: $crate::NotificationId,
            ) -> $crate::Result<Option<$crate::Notification>> {
                sqlx::query_as::<_, $crate::store::sql::NotificationRow>(
                    concat!(
                    "SELECT ",
                    $crate::store::sql::notification_columns!(),
                    " FROM fa_notifications WHERE household_id = $1 AND id = $2"
                ),
                )
                .bind(household.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| self.err(e))?
                .map(TryInto::try_into)
                .transpose()
            }

            async fn due_notifications(
                &self,
                household: $crate::HouseholdId,
                now: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::Notification>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::NotificationRow>(
                    concat!(
                    "SELECT ",
                    $crate::store::sql::notification_columns!(),
                    " FROM fa_notifications \
                     WHERE household_id = $1 AND next_attempt_at IS NOT NULL AND next_attempt_at <= $2 \
                     ORDER BY next_attempt_at, id LIMIT $3"
                ),
                )
                .bind(household.as_uuid())
                .bind($crate::store::sql::micros(now))
                .bind($crate::store::sql::limit(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn record_delivery(
                &self,
                household: $crate::HouseholdId,
                id: $crate::NotificationId,
                attempt: $crate::DeliveryAttempt,
            ) -> $crate::Result<$crate::DeliveryReceipt> {
                attempt.validate()?;
                let mut tx = self.begin_write().await?;
                let Some(receipt) = self.record_attempt_in(&mut tx, household, id, attempt).await? else {
                    let status: Option<String> = sqlx::query_scalar(
                        "SELECT status FROM fa_notifications WHERE household_id = $1 AND id = $2",
                    )
                    .bind(household.as_uuid())
                    .bind(id.as_uuid())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| self.err(e))?;
                    return Err(match status {
                        Some(status) => $crate::Error::Conflict {
                            what: "delivery attempt",
                            detail: format!("notification {id} is already {status}"),
                        },
                        None => $crate::Error::NotFound { what: "notification" },
                    });
                };
                tx.commit().await.map_err(|e| self.err(e))?;
                Ok(receipt)
            }

            async fn delivery_receipts(
                &self,
                household: $crate::HouseholdId,
                id: $crate::NotificationId,
            ) -> $crate::Result<Vec<$crate::DeliveryReceipt>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::ReceiptRow>(
                    "SELECT id, notification_id, attempt, status, detail, retry_at, recorded_at \
                     FROM fa_delivery_receipts WHERE household_id = $1 AND notification_id = $2 \
                     ORDER BY attempt",
                )
                .bind(household.as_uuid())
                .bind(id.as_uuid())
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }
        }
    };
}

pub(crate) use impl_notification_store;
