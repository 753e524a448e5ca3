macro_rules! impl_habit_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::HabitStore for $store {
            async fn create_habit(
                &self,
                scope: $crate::MemberScope,
                habit: $crate::NewHabit,
            ) -> $crate::Result<$crate::Habit> {
                habit.validate()?;
                let habit = $crate::Habit {
                    id: $crate::HabitId::new(),
                    household_id: scope.household,
                    member_id: scope.member,
                    name: habit.name.trim().to_owned(),
                    target_per_week: habit.target_per_week,
                    archived: false,
                    created_at: self.now(),
                };
                sqlx::query(
                    "INSERT INTO fa_habits \
                     (id, household_id, member_id, name, target_per_week, archived, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(habit.id.as_uuid())
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(&habit.name)
                .bind(habit.target_per_week.map(i32::from))
                .bind(false)
                .bind($crate::store::sql::micros(habit.created_at))
                .execute(&self.pool)
                .await
                .map_err(|e| self.insert_err(e, "habit", habit.name.clone(), "member"))?;
                Ok(habit)
            }

            async fn habits(
                &self,
                scope: $crate::MemberScope,
            ) -> $crate::Result<Vec<$crate::Habit>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::HabitRow>(
                    "SELECT id, household_id, member_id, name, target_per_week, archived, created_at \
                     FROM fa_habits WHERE household_id = $1 AND member_id = $2 ORDER BY created_at, id",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn set_habit_archived(
                &self,
                scope: $crate::MemberScope,
                habit: $crate::HabitId,
                archived: bool,
            ) -> $crate::Result<bool> {
                let updated = sqlx::query(
                    "UPDATE fa_habits SET archived = $4 \
                     WHERE household_id = $1 AND member_id = $2 AND id = $3",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(habit.as_uuid())
                .bind(archived)
                .execute(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                Ok(updated.rows_affected() > 0)
            }

            async fn log_habit(
                &self,
                scope: $crate::MemberScope,
                habit: $crate::HabitId,
                done_at: chrono::DateTime<chrono::Utc>,
                note: Option<&str>,
            ) -> $crate::Result<$crate::HabitLog> {
                if let Some(note) = note {
                    $crate::domain::validate_text("note", note, 1_000)?;
                }
                let log = $crate::HabitLog {
                    id: $crate::HabitLogId::new(),
                    habit_id: habit,
                    done_at: $crate::store::sql::truncate(done_at),
                    note: note.map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned),
                };
                sqlx::query(
                    "INSERT INTO fa_habit_logs (id, household_id, member_id, habit_id, done_at, note) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(log.id.as_uuid())
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(habit.as_uuid())
                .bind($crate::store::sql::micros(done_at))
                .bind(log.note.as_deref())
                .execute(&self.pool)
                .await
                .map_err(|e| self.insert_err(e, "habit log", log.id.to_string(), "habit"))?;
                Ok(log)
            }

            async fn habit_logs(
                &self,
                scope: $crate::MemberScope,
                habit: $crate::HabitId,
                from: chrono::DateTime<chrono::Utc>,
                to: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Vec<$crate::HabitLog>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::HabitLogRow>(
                    "SELECT id, habit_id, done_at, note FROM fa_habit_logs \
                     WHERE household_id = $1 AND member_id = $2 AND habit_id = $3 \
                       AND done_at >= $4 AND done_at < $5 \
                     ORDER BY done_at, id",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(habit.as_uuid())
                .bind($crate::store::sql::micros(from))
                .bind($crate::store::sql::micros(to))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn record_check_in(
                &self,
                scope: $crate::MemberScope,
                mood: $crate::Mood,
                answers: Vec<$crate::CheckInAnswer>,
            ) -> $crate::Result<$crate::CheckIn> {
                for answer in &answers {
                    answer.validate()?;
                }
                let check_in = $crate::CheckIn {
                    id: $crate::CheckInId::new(),
                    household_id: scope.household,
                    member_id: scope.member,
                    mood,
                    answers,
                    recorded_at: self.now(),
                };
                sqlx::query(
                    "INSERT INTO fa_check_ins (id, household_id, member_id, mood, answers, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(check_in.id.as_uuid())
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(i32::from(mood.get()))
                .bind(sqlx::types::Json(&check_in.answers))
                .bind($crate::store::sql::micros(check_in.recorded_at))
                .execute(&self.pool)
                .await
                .map_err(|e| self.insert_err(e, "check-in", check_in.id.to_string(), "member"))?;
                Ok(check_in)
            }

            async fn check_ins(
                &self,
                scope: $crate::MemberScope,
                from: chrono::DateTime<chrono::Utc>,
                to: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Vec<$crate::CheckIn>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::CheckInRow>(
                    "SELECT id, household_id, member_id, mood, answers, recorded_at FROM fa_check_ins \
                     WHERE household_id = $1 AND member_id = $2 AND recorded_at >= $3 AND recorded_at < $4 \
                     ORDER BY recorded_at, id",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind($crate::store::sql::micros(from))
                .bind($crate::store::sql::micros(to))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }
        }
    };
}

pub(crate) use impl_habit_store;
