//! `JobStore`, member side: inserting jobs in bulk, reading, pausing, resuming, cancelling,
//! snoozing and acknowledging. The runner side is in `runs.rs`.

/// Rows per multi-row `INSERT` when scheduling in bulk: 13 parameters a job keeps a statement
/// under both SQLite's (32,766) and PostgreSQL's (65,535) parameter limits.
pub(crate) const INSERT_CHUNK: usize = 2_000;

/// `count` placeholders separated by commas, numbered from `first` (or `?` when `anonymous`),
/// for `IN (…)` lists.
pub(crate) fn placeholders(first: usize, count: usize, anonymous: bool) -> String {
    (0..count)
        .map(|i| {
            if anonymous {
                "?".to_owned()
            } else {
                format!("${}", first + i)
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `INSERT INTO table (columns) VALUES ($1, …), (…)` for `rows` rows of `width` parameters, with
/// `fixed` SQL appended to each row's values (e.g. a constant state). With `anonymous`, the
/// placeholders are `?`: SQLite looks numbered parameters up by name in a list, which makes
/// binding thousands of them quadratic.
pub(crate) fn multi_row_insert(
    head: &str,
    width: usize,
    rows: usize,
    fixed: &str,
    anonymous: bool,
) -> String {
    let mut sql = String::with_capacity(head.len() + rows * width * 6);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for col in 0..width {
            if col > 0 {
                sql.push(',');
            }
            if anonymous {
                sql.push('?');
            } else {
                sql.push('$');
                sql.push_str(&(row * width + col + 1).to_string());
            }
        }
        sql.push_str(fixed);
        sql.push(')');
    }
    sql
}

macro_rules! impl_job_store_member_side {
    ($store:ty) => {
        impl $store {
            async fn insert_jobs_impl(&self, jobs: &[$crate::PlannedJob]) -> $crate::Result<()> {
                use $crate::store::sql::{INSERT_CHUNK, micros, multi_row_insert};
                for planned in jobs {
                    $crate::scheduler::validate_stored_job(&planned.job)?;
                }
                let now = micros(self.now());
                let mut tx = self.begin_write().await?;
                for chunk in jobs.chunks(INSERT_CHUNK) {
                    let sql = multi_row_insert(
                        "INSERT INTO fa_jobs (id, household_id, member_id, kind, payload, trigger_spec, \
                         timezone, channel, misfire, grace_us, state, created_at, updated_at)",
                        13,
                        chunk.len(),
                        "",
                        Self::ANONYMOUS_PARAMETERS,
                    );
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for planned in chunk {
                        let job = &planned.job;
                        let trigger = serde_json::to_string(&job.trigger)
                            .map_err(|e| $crate::Error::invalid("trigger", e.to_string()))?;
                        let grace = job
                            .grace
                            .map(|g| i64::try_from(g.as_micros()).unwrap_or(i64::MAX));
                        query = query
                            .bind(job.id.as_uuid())
                            .bind(job.household_id.as_uuid())
                            .bind(job.member_id.as_uuid())
                            .bind(job.kind.as_str())
                            .bind(job.payload.to_string())
                            .bind(trigger)
                            .bind(job.timezone.name())
                            .bind(job.channel.as_str())
                            .bind(job.misfire.as_str())
                            .bind(grace)
                            .bind(job.state.as_str())
                            .bind(now)
                            .bind(now);
                    }
                    query.execute(&mut *tx).await.map_err(|e| {
                        self.insert_err(e, "job", "a job id in the batch", "member")
                    })?;
                    let sql = multi_row_insert(
                        "INSERT INTO fa_occurrences (id, household_id, member_id, job_id, scheduled_at, \
                         due_at, run_at, created_at, updated_at, state)",
                        9,
                        chunk.len(),
                        ",'pending'",
                        Self::ANONYMOUS_PARAMETERS,
                    );
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for planned in chunk {
                        let job = &planned.job;
                        let due = micros(planned.first_due);
                        let run_at = (job.state == $crate::JobState::Active).then_some(due);
                        query = query
                            .bind($crate::OccurrenceId::new().as_uuid())
                            .bind(job.household_id.as_uuid())
                            .bind(job.member_id.as_uuid())
                            .bind(job.id.as_uuid())
                            .bind(due)
                            .bind(due)
                            .bind(run_at)
                            .bind(now)
                            .bind(now);
                    }
                    query
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| self.insert_err(e, "occurrence", "a job in the batch", "job"))?;
                }
                tx.commit().await.map_err(|e| self.err(e))
            }

            async fn job_in<'c, E>(
                &self,
                executor: E,
                scope: $crate::MemberScope,
                id: $crate::JobId,
            ) -> $crate::Result<Option<$crate::Job>>
            where
                E: sqlx::Executor<'c, Database = <Self as $crate::store::sql::SqlBackend>::Db>,
            {
                sqlx::query_as::<_, $crate::store::sql::JobRow>(concat!(
                    "SELECT ",
                    $crate::store::sql::job_columns!(),
                    " FROM fa_jobs j WHERE j.household_id = $1 AND j.member_id = $2 AND j.id = $3"
                ))
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(executor)
                .await
                .map_err(|e| self.err(e))?
                .map(TryInto::try_into)
                .transpose()
            }

            async fn occurrence_in<'c, E>(
                &self,
                executor: E,
                scope: $crate::MemberScope,
                id: $crate::OccurrenceId,
            ) -> $crate::Result<Option<$crate::Occurrence>>
            where
                E: sqlx::Executor<'c, Database = <Self as $crate::store::sql::SqlBackend>::Db>,
            {
                sqlx::query_as::<_, $crate::store::sql::OccurrenceRow>(concat!(
                    "SELECT ",
                    $crate::store::sql::occurrence_columns!(),
                    " FROM fa_occurrences o WHERE o.household_id = $1 AND o.member_id = $2 AND o.id = $3"
                ))
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(executor)
                .await
                .map_err(|e| self.err(e))?
                .map(TryInto::try_into)
                .transpose()
            }

            /// Moves a job from one of `from` to `to`; explains a refusal by the job's state.
            async fn transition_job(
                &self,
                tx: &mut sqlx::Transaction<'static, <Self as $crate::store::sql::SqlBackend>::Db>,
                scope: $crate::MemberScope,
                id: $crate::JobId,
                from: &str,
                to: $crate::JobState,
            ) -> $crate::Result<()> {
                let now = $crate::store::sql::micros(self.now());
                let changed = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE fa_jobs SET state = $1, updated_at = $2 \
                     WHERE household_id = $3 AND member_id = $4 AND id = $5 AND state IN ({from})"
                )))
                .bind(to.as_str())
                .bind(now)
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(id.as_uuid())
                .execute(&mut **tx)
                .await
                .map_err(|e| self.err(e))?
                .rows_affected();
                if changed == 1 {
                    return Ok(());
                }
                match self.job_in(&mut **tx, scope, id).await? {
                    Some(job) => Err($crate::Error::Conflict {
                        what: "job state",
                        detail: format!("job {id} is {}, it cannot become {to}", job.state),
                    }),
                    None => Err($crate::Error::NotFound { what: "job" }),
                }
            }

            async fn job_after_change(
                &self,
                mut tx: sqlx::Transaction<'static, <Self as $crate::store::sql::SqlBackend>::Db>,
                scope: $crate::MemberScope,
                id: $crate::JobId,
            ) -> $crate::Result<$crate::Job> {
                let job = self
                    .job_in(&mut *tx, scope, id)
                    .await?
                    .ok_or($crate::Error::NotFound { what: "job" })?;
                tx.commit().await.map_err(|e| self.err(e))?;
                Ok(job)
            }
        }
    };
}

macro_rules! impl_job_store {
    ($store:ty, $claim_lock:literal) => {
        $crate::store::sql::impl_job_store_member_side!($store);
        $crate::store::sql::impl_job_store_runner_side!($store, $claim_lock);

        #[async_trait::async_trait]
        impl $crate::JobStore for $store {
            async fn insert_jobs(&self, jobs: &[$crate::PlannedJob]) -> $crate::Result<()> {
                self.insert_jobs_impl(jobs).await
            }

            async fn job(
                &self,
                scope: $crate::MemberScope,
                id: $crate::JobId,
            ) -> $crate::Result<Option<$crate::Job>> {
                self.job_in(&self.pool, scope, id).await
            }

            async fn jobs(
                &self,
                scope: $crate::MemberScope,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::Job>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::JobRow>(concat!(
                    "SELECT ",
                    $crate::store::sql::job_columns!(),
                    " FROM fa_jobs j WHERE j.household_id = $1 AND j.member_id = $2 \
                      AND j.state IN ('active', 'paused') ORDER BY j.created_at, j.id LIMIT $3"
                ))
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind($crate::store::sql::limit(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn upcoming(
                &self,
                scope: $crate::MemberScope,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::JobOccurrence>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::JobOccurrenceRow>(concat!(
                    "SELECT ",
                    $crate::store::sql::job_columns!(),
                    ", ",
                    $crate::store::sql::occurrence_columns!(),
                    " FROM fa_occurrences o JOIN fa_jobs j ON j.id = o.job_id \
                      WHERE o.household_id = $1 AND o.member_id = $2 AND o.state = 'pending' \
                      AND j.state IN ('active', 'paused') ORDER BY o.due_at, o.id LIMIT $3"
                ))
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind($crate::store::sql::limit(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn pause_job(
                &self,
                scope: $crate::MemberScope,
                id: $crate::JobId,
            ) -> $crate::Result<$crate::Job> {
                let mut tx = self.begin_write().await?;
                self.transition_job(&mut tx, scope, id, "'active'", $crate::JobState::Paused)
                    .await?;
                sqlx::query(
                    "UPDATE fa_occurrences SET run_at = NULL \
                     WHERE job_id = $1 AND state = 'pending'",
                )
                .bind(id.as_uuid())
                .execute(&mut *tx)
                .await
                .map_err(|e| self.err(e))?;
                self.job_after_change(tx, scope, id).await
            }

            async fn resume_job(
                &self,
                scope: $crate::MemberScope,
                id: $crate::JobId,
                next_due: Option<chrono::DateTime<chrono::Utc>>,
            ) -> $crate::Result<$crate::Job> {
                use $crate::store::sql::micros;
                let mut tx = self.begin_write().await?;
                self.transition_job(&mut tx, scope, id, "'paused'", $crate::JobState::Active)
                    .await?;
                if let Some(next) = next_due {
                    let now = micros(self.now());
                    sqlx::query(
                        "DELETE FROM fa_occurrences \
                         WHERE job_id = $1 AND state = 'pending' AND snoozed_from IS NULL",
                    )
                    .bind(id.as_uuid())
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| self.err(e))?;
                    sqlx::query(
                        "INSERT INTO fa_occurrences (id, household_id, member_id, job_id, scheduled_at, \
                         due_at, run_at, created_at, updated_at, state) \
                         VALUES ($1, $2, $3, $4, $5, $5, $5, $6, $6, 'pending') \
                         ON CONFLICT (job_id, scheduled_at) WHERE snoozed_from IS NULL DO NOTHING",
                    )
                    .bind($crate::OccurrenceId::new().as_uuid())
                    .bind(scope.household.as_uuid())
                    .bind(scope.member.as_uuid())
                    .bind(id.as_uuid())
                    .bind(micros(next))
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| self.err(e))?;
                }
                sqlx::query(
                    "UPDATE fa_occurrences SET run_at = due_at \
                     WHERE job_id = $1 AND state = 'pending'",
                )
                .bind(id.as_uuid())
                .execute(&mut *tx)
                .await
                .map_err(|e| self.err(e))?;
                self.job_after_change(tx, scope, id).await
            }

            async fn cancel_job(
                &self,
                scope: $crate::MemberScope,
                id: $crate::JobId,
            ) -> $crate::Result<$crate::Job> {
                let mut tx = self.begin_write().await?;
                self.transition_job(
                    &mut tx,
                    scope,
                    id,
                    "'active', 'paused'",
                    $crate::JobState::Cancelled,
                )
                .await?;
                sqlx::query(
                    "UPDATE fa_occurrences SET state = 'cancelled', run_at = NULL, lease_owner = NULL, \
                     updated_at = $2 WHERE job_id = $1 AND state IN ('pending', 'running')",
                )
                .bind(id.as_uuid())
                .bind($crate::store::sql::micros(self.now()))
                .execute(&mut *tx)
                .await
                .map_err(|e| self.err(e))?;
                self.job_after_change(tx, scope, id).await
            }

            async fn occurrence(
                &self,
                scope: $crate::MemberScope,
                id: $crate::OccurrenceId,
            ) -> $crate::Result<Option<$crate::Occurrence>> {
                self.occurrence_in(&self.pool, scope, id).await
            }

            async fn occurrences(
                &self,
                scope: $crate::MemberScope,
                job: $crate::JobId,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::Occurrence>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::OccurrenceRow>(concat!(
                    "SELECT ",
                    $crate::store::sql::occurrence_columns!(),
                    " FROM fa_occurrences o WHERE o.household_id = $1 AND o.member_id = $2 \
                      AND o.job_id = $3 ORDER BY o.due_at DESC, o.id DESC LIMIT $4"
                ))
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(job.as_uuid())
                .bind($crate::store::sql::limit(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn snooze_occurrence(
                &self,
                scope: $crate::MemberScope,
                id: $crate::OccurrenceId,
                until: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<$crate::Occurrence> {
                use $crate::OccurrenceState as S;
                use $crate::store::sql::micros;
                let now = micros(self.now());
                let mut tx = self.begin_write().await?;
                let occurrence = self
                    .occurrence_in(&mut *tx, scope, id)
                    .await?
                    .ok_or($crate::Error::NotFound { what: "occurrence" })?;
                let pending_id = match occurrence.state {
                    S::Pending => {
                        let moved = sqlx::query(
                            "UPDATE fa_occurrences SET due_at = $1, updated_at = $2, \
                             run_at = CASE WHEN run_at IS NULL THEN NULL ELSE $1 END \
                             WHERE id = $3 AND state = 'pending'",
                        )
                        .bind(micros(until))
                        .bind(now)
                        .bind(id.as_uuid())
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| self.err(e))?
                        .rows_affected();
                        if moved == 0 {
                            return Err($crate::Error::Conflict {
                                what: "occurrence state",
                                detail: format!(
                                    "occurrence {id} started running meanwhile; snooze it once it has fired"
                                ),
                            });
                        }
                        id
                    }
                    S::Done | S::Failed | S::Skipped => {
                        // Repeats point at the firing they all repeat, so "done" on any of them
                        // cancels the rest. A repeat of a paused or cancelled job waits.
                        let repeat = $crate::OccurrenceId::new();
                        sqlx::query(
                            "INSERT INTO fa_occurrences (id, household_id, member_id, job_id, \
                             scheduled_at, due_at, run_at, snoozed_from, created_at, updated_at, state) \
                             SELECT $1, $2, $3, $4, $5, $5, \
                                    CASE WHEN j.state IN ('active', 'completed') THEN $5 ELSE NULL END, \
                                    $6, $7, $7, 'pending' \
                             FROM fa_jobs j WHERE j.id = $4",
                        )
                        .bind(repeat.as_uuid())
                        .bind(scope.household.as_uuid())
                        .bind(scope.member.as_uuid())
                        .bind(occurrence.job_id.as_uuid())
                        .bind(micros(until))
                        .bind(occurrence.snoozed_from.unwrap_or(id).as_uuid())
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| self.err(e))?;
                        repeat
                    }
                    _ => {
                        return Err($crate::Error::Conflict {
                            what: "occurrence state",
                            detail: format!(
                                "occurrence {id} is {}; only a pending or fired one can be snoozed",
                                occurrence.state
                            ),
                        });
                    }
                };
                let pending = self
                    .occurrence_in(&mut *tx, scope, pending_id)
                    .await?
                    .ok_or($crate::Error::NotFound { what: "occurrence" })?;
                tx.commit().await.map_err(|e| self.err(e))?;
                Ok(pending)
            }

            async fn acknowledge_occurrence(
                &self,
                scope: $crate::MemberScope,
                id: $crate::OccurrenceId,
            ) -> $crate::Result<$crate::Occurrence> {
                let now = $crate::store::sql::micros(self.now());
                let mut tx = self.begin_write().await?;
                let changed = sqlx::query(
                    "UPDATE fa_occurrences SET acknowledged_at = $1, updated_at = $1 \
                     WHERE household_id = $2 AND member_id = $3 AND id = $4",
                )
                .bind(now)
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(id.as_uuid())
                .execute(&mut *tx)
                .await
                .map_err(|e| self.err(e))?
                .rows_affected();
                if changed == 0 {
                    return Err($crate::Error::NotFound { what: "occurrence" });
                }
                let root = self
                    .occurrence_in(&mut *tx, scope, id)
                    .await?
                    .and_then(|o| o.snoozed_from)
                    .unwrap_or(id);
                sqlx::query(
                    "UPDATE fa_occurrences SET state = 'cancelled', run_at = NULL, updated_at = $1 \
                     WHERE snoozed_from = $2 AND id <> $3 AND state = 'pending'",
                )
                .bind(now)
                .bind(root.as_uuid())
                .bind(id.as_uuid())
                .execute(&mut *tx)
                .await
                .map_err(|e| self.err(e))?;
                let occurrence = self
                    .occurrence_in(&mut *tx, scope, id)
                    .await?
                    .ok_or($crate::Error::NotFound { what: "occurrence" })?;
                tx.commit().await.map_err(|e| self.err(e))?;
                Ok(occurrence)
            }

            async fn claim_occurrences(
                &self,
                owner: &str,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::JobOccurrence>> {
                self.claim_occurrences_impl(owner, now, lease_until, limit).await
            }

            async fn finish_occurrences(
                &self,
                owner: &str,
                outcomes: &[$crate::OccurrenceOutcome],
                deliver_until: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Vec<$crate::Notification>> {
                self.finish_occurrences_impl(owner, outcomes, deliver_until).await
            }

            async fn claim_notifications(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::Notification>> {
                self.claim_notifications_impl(now, lease_until, limit).await
            }

            async fn record_deliveries(
                &self,
                attempts: &[($crate::HouseholdId, $crate::NotificationId, $crate::DeliveryAttempt)],
            ) -> $crate::Result<usize> {
                self.record_deliveries_impl(attempts).await
            }

            async fn pending_summaries(&self, limit: u32) -> $crate::Result<Vec<$crate::JobOccurrence>> {
                self.pending_summaries_impl(limit).await
            }

            async fn write_summary(
                &self,
                scope: $crate::MemberScope,
                occurrences: &[$crate::OccurrenceId],
                notification: $crate::NewNotification,
            ) -> $crate::Result<$crate::Notification> {
                self.write_summary_impl(scope, occurrences, notification).await
            }

            async fn next_wakeup(&self) -> $crate::Result<Option<chrono::DateTime<chrono::Utc>>> {
                self.next_wakeup_impl().await
            }
        }
    };
}

pub(crate) use {impl_job_store, impl_job_store_member_side};
