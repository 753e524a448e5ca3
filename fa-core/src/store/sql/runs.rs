//! `JobStore`, runner side: claiming due occurrences under a lease, recording their outcomes with
//! the outbox rows and next occurrences they produce, claiming and recording deliveries, and the
//! missed/late summaries. Expanded inside `impl JobStore` by `impl_job_store!`, with the claim's
//! row-locking clause (`FOR UPDATE SKIP LOCKED` on PostgreSQL, nothing on SQLite, where the
//! claim's write transaction already excludes every other writer).

macro_rules! impl_job_store_runner_side {
    ($store:ty, $claim_lock:literal) => {
        impl $store {
        async fn claim_occurrences_impl(
            &self,
            owner: &str,
            now: chrono::DateTime<chrono::Utc>,
            lease_until: chrono::DateTime<chrono::Utc>,
            limit: u32,
        ) -> $crate::Result<Vec<$crate::JobOccurrence>> {
            use $crate::store::sql::micros;
            let mut tx = self.begin_write().await?;
            let claimed = sqlx::query(concat!(
                "UPDATE fa_occurrences \
                 SET state = 'running', run_at = $1, lease_owner = $2, claims = claims + 1, updated_at = $3 \
                 WHERE id IN (SELECT id FROM fa_occurrences \
                              WHERE run_at IS NOT NULL AND run_at <= $3 \
                              ORDER BY run_at LIMIT $4 ",
                $claim_lock,
                ")"
            ))
            .bind(micros(lease_until))
            .bind(owner)
            .bind(micros(now))
            .bind($crate::store::sql::limit(limit))
            .execute(&mut *tx)
            .await
            .map_err(|e| self.err(e))?
            .rows_affected();
            if claimed == 0 {
                tx.commit().await.map_err(|e| self.err(e))?;
                return Ok(Vec::new());
            }
            let rows = sqlx::query_as::<_, $crate::store::sql::JobOccurrenceRow>(concat!(
                "SELECT ",
                $crate::store::sql::job_columns!(),
                ", ",
                $crate::store::sql::occurrence_columns!(),
                " FROM fa_occurrences o JOIN fa_jobs j ON j.id = o.job_id \
                  WHERE o.run_at = $1 AND o.lease_owner = $2 AND o.state = 'running' \
                  ORDER BY o.due_at, o.id"
            ))
            .bind(micros(lease_until))
            .bind(owner)
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| self.err(e))?;
            tx.commit().await.map_err(|e| self.err(e))?;
            $crate::store::sql::convert(rows)
        }

        async fn finish_occurrences_impl(
            &self,
            owner: &str,
            outcomes: &[$crate::OccurrenceOutcome],
            deliver_until: chrono::DateTime<chrono::Utc>,
        ) -> $crate::Result<Vec<$crate::Notification>> {
            use $crate::store::sql::micros;
            for outcome in outcomes {
                if let Some(notification) = &outcome.notification {
                    notification.validate()?;
                }
            }
            let now = micros(self.now());
            let mut created = Vec::new();
            let mut tx = self.begin_write().await?;
            for outcome in outcomes {
                let scope = outcome.scope;
                // The outbox row's id is chosen up front so the occurrence points at it in the
                // same statement that checks the lease.
                let notification_id = outcome.notification.as_ref().map(|_| $crate::NotificationId::new());
                let held = sqlx::query(
                    "UPDATE fa_occurrences SET state = $1, run_at = NULL, lease_owner = NULL, \
                     fired_at = $2, late = $3, detail = $4, needs_summary = $5, updated_at = $6, \
                     notification_id = $9 \
                     WHERE id = $7 AND state = 'running' AND lease_owner = $8",
                )
                .bind(outcome.state.as_str())
                .bind(outcome.fired_at.map(micros))
                .bind(outcome.late)
                .bind(outcome.detail.as_deref())
                .bind(outcome.needs_summary)
                .bind(now)
                .bind(outcome.occurrence.as_uuid())
                .bind(owner)
                .bind(notification_id.map(|id| *id.as_uuid()))
                .execute(&mut *tx)
                .await
                .map_err(|e| self.err(e))?
                .rows_affected();
                if held == 0 {
                    // Another runner took the occurrence over after our lease expired.
                    continue;
                }
                if let (Some(notification), Some(notification_id)) = (&outcome.notification, notification_id) {
                    let row = sqlx::query_as::<_, $crate::store::sql::NotificationRow>(concat!(
                        "INSERT INTO fa_notifications (",
                        $crate::store::sql::notification_columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $8, $8) \
                         ON CONFLICT (household_id, member_id, idempotency_key) DO NOTHING RETURNING ",
                        $crate::store::sql::notification_columns!()
                    ))
                    .bind(notification_id.as_uuid())
                    .bind(scope.household.as_uuid())
                    .bind(scope.member.as_uuid())
                    .bind(&notification.channel)
                    .bind(&notification.idempotency_key)
                    .bind(&notification.body)
                    .bind(micros(notification.not_before.unwrap_or(deliver_until)))
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| self.err(e))?;
                    if let Some(row) = row {
                        let notification: $crate::Notification = row.try_into()?;
                        if notification.next_attempt_at == Some($crate::store::sql::truncate(deliver_until)) {
                            created.push(notification);
                        }
                    } else {
                        // A crashed runner already enqueued this firing: link the same row.
                        sqlx::query(
                            "UPDATE fa_occurrences SET notification_id = \
                             (SELECT id FROM fa_notifications \
                              WHERE household_id = $1 AND member_id = $2 AND idempotency_key = $3) \
                             WHERE id = $4",
                        )
                        .bind(scope.household.as_uuid())
                        .bind(scope.member.as_uuid())
                        .bind(&notification.idempotency_key)
                        .bind(outcome.occurrence.as_uuid())
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| self.err(e))?;
                    }
                }
                match outcome.next {
                    $crate::NextStep::Due(next) => {
                        sqlx::query(
                            "INSERT INTO fa_occurrences (id, household_id, member_id, job_id, \
                             scheduled_at, due_at, run_at, created_at, updated_at, state) \
                             SELECT $1, $2, $3, $4, $5, $5, \
                                    CASE WHEN j.state = 'active' THEN $5 ELSE NULL END, $6, $6, 'pending' \
                             FROM fa_jobs j WHERE j.id = $4 AND j.state IN ('active', 'paused') \
                             ON CONFLICT (job_id, scheduled_at) WHERE snoozed_from IS NULL DO NOTHING",
                        )
                        .bind($crate::OccurrenceId::new().as_uuid())
                        .bind(scope.household.as_uuid())
                        .bind(scope.member.as_uuid())
                        .bind(outcome.job.as_uuid())
                        .bind(micros(next))
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| self.err(e))?;
                    }
                    $crate::NextStep::Complete => {
                        sqlx::query(
                            "UPDATE fa_jobs SET state = 'completed', updated_at = $1 \
                             WHERE id = $2 AND state IN ('active', 'paused')",
                        )
                        .bind(now)
                        .bind(outcome.job.as_uuid())
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| self.err(e))?;
                    }
                    $crate::NextStep::Nothing => {}
                }
            }
            tx.commit().await.map_err(|e| self.err(e))?;
            Ok(created)
        }

        async fn claim_notifications_impl(
            &self,
            now: chrono::DateTime<chrono::Utc>,
            lease_until: chrono::DateTime<chrono::Utc>,
            limit: u32,
        ) -> $crate::Result<Vec<$crate::Notification>> {
            use $crate::store::sql::micros;
            let mut tx = self.begin_write().await?;
            let rows = sqlx::query_as::<_, $crate::store::sql::NotificationRow>(concat!(
                "UPDATE fa_notifications SET next_attempt_at = $1 \
                 WHERE id IN (SELECT id FROM fa_notifications \
                              WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $2 \
                              ORDER BY next_attempt_at LIMIT $3 ",
                $claim_lock,
                ") RETURNING ",
                $crate::store::sql::notification_columns!()
            ))
            .bind(micros(lease_until))
            .bind(micros(now))
            .bind($crate::store::sql::limit(limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| self.err(e))?;
            tx.commit().await.map_err(|e| self.err(e))?;
            $crate::store::sql::convert(rows)
        }

        async fn record_deliveries_impl(
            &self,
            attempts: &[($crate::HouseholdId, $crate::NotificationId, $crate::DeliveryAttempt)],
        ) -> $crate::Result<usize> {
            for (_, _, attempt) in attempts {
                attempt.validate()?;
            }
            let mut recorded = 0;
            let mut tx = self.begin_write().await?;
            for (household, id, attempt) in attempts {
                if self
                    .record_attempt_in(&mut tx, *household, *id, attempt.clone())
                    .await?
                    .is_some()
                {
                    recorded += 1;
                }
            }
            tx.commit().await.map_err(|e| self.err(e))?;
            Ok(recorded)
        }

        async fn pending_summaries_impl(&self, limit: u32) -> $crate::Result<Vec<$crate::JobOccurrence>> {
            let rows = sqlx::query_as::<_, $crate::store::sql::JobOccurrenceRow>(concat!(
                "SELECT ",
                $crate::store::sql::job_columns!(),
                ", ",
                $crate::store::sql::occurrence_columns!(),
                " FROM fa_occurrences o JOIN fa_jobs j ON j.id = o.job_id \
                  WHERE o.needs_summary = TRUE \
                  ORDER BY o.household_id, o.member_id, o.due_at, o.id LIMIT $1"
            ))
            .bind($crate::store::sql::limit(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
            $crate::store::sql::convert(rows)
        }

        async fn write_summary_impl(
            &self,
            scope: $crate::MemberScope,
            occurrences: &[$crate::OccurrenceId],
            notification: $crate::NewNotification,
        ) -> $crate::Result<$crate::Notification> {
            notification.validate()?;
            let mut tx = self.begin_write().await?;
            let summary = self.enqueue_in(&mut tx, scope, &notification).await?;
            for id in occurrences {
                sqlx::query(
                    "UPDATE fa_occurrences SET needs_summary = FALSE \
                     WHERE household_id = $1 AND member_id = $2 AND id = $3",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(id.as_uuid())
                .execute(&mut *tx)
                .await
                .map_err(|e| self.err(e))?;
            }
            tx.commit().await.map_err(|e| self.err(e))?;
            Ok(summary)
        }

        async fn next_wakeup_impl(&self) -> $crate::Result<Option<chrono::DateTime<chrono::Utc>>> {
            let (occurrence, notification): (Option<i64>, Option<i64>) = sqlx::query_as(
                "SELECT (SELECT MIN(run_at) FROM fa_occurrences WHERE run_at IS NOT NULL), \
                        (SELECT MIN(next_attempt_at) FROM fa_notifications \
                         WHERE next_attempt_at IS NOT NULL)",
            )
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
            [occurrence, notification]
                .into_iter()
                .flatten()
                .min()
                .map(|t| $crate::store::sql::instant("occurrence", t))
                .transpose()
        }
        }
    };
}

pub(crate) use impl_job_store_runner_side;
