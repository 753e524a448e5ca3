macro_rules! impl_memory_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::MemoryStore for $store {
            async fn save_note(
                &self,
                scope: $crate::MemberScope,
                content: &str,
            ) -> $crate::Result<$crate::MemoryNote> {
                $crate::domain::validate_name("note", content, 4_000)?;
                let note = $crate::MemoryNote {
                    id: $crate::NoteId::new(),
                    household_id: scope.household,
                    member_id: scope.member,
                    content: content.trim().to_owned(),
                    created_at: self.now(),
                };
                sqlx::query(
                    "INSERT INTO fa_memory_notes (id, household_id, member_id, content, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(note.id.as_uuid())
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(&note.content)
                .bind($crate::store::sql::micros(note.created_at))
                .execute(&self.pool)
                .await
                .map_err(|e| self.insert_err(e, "memory note", note.id.to_string(), "member"))?;
                Ok(note)
            }

            async fn notes(
                &self,
                scope: $crate::MemberScope,
                query: Option<&str>,
            ) -> $crate::Result<Vec<$crate::MemoryNote>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::NoteRow>(
                    "SELECT id, household_id, member_id, content, created_at FROM fa_memory_notes \
                     WHERE household_id = $1 AND member_id = $2 ORDER BY created_at, id",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                let notes: Vec<$crate::MemoryNote> = $crate::store::sql::convert(rows)?;
                // Matching in Rust gives the same Unicode case folding on both backends.
                Ok(match query.map(str::trim).filter(|q| !q.is_empty()) {
                    Some(q) => {
                        let q = q.to_lowercase();
                        notes
                            .into_iter()
                            .filter(|n| n.content.to_lowercase().contains(&q))
                            .collect()
                    }
                    None => notes,
                })
            }

            async fn delete_note(
                &self,
                scope: $crate::MemberScope,
                note: $crate::NoteId,
            ) -> $crate::Result<bool> {
                let deleted = sqlx::query(
                    "DELETE FROM fa_memory_notes WHERE household_id = $1 AND member_id = $2 AND id = $3",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(note.as_uuid())
                .execute(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                Ok(deleted.rows_affected() > 0)
            }

            async fn forget_memory(
                &self,
                scope: $crate::MemberScope,
            ) -> $crate::Result<$crate::Forgotten> {
                let mut tx = self.begin_write().await?;
                let notes = sqlx::query(
                    "DELETE FROM fa_memory_notes WHERE household_id = $1 AND member_id = $2",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .execute(&mut *tx)
                .await
                .map_err(|e| self.err(e))?
                .rows_affected();
                // Through the member's conversations, so the deletes use the conversation indexes
                // (messages have no index by member).
                let summaries = sqlx::query(
                    "DELETE FROM fa_conversation_summaries \
                     WHERE household_id = $1 AND member_id = $2 AND conversation_id IN \
                     (SELECT id FROM fa_conversations WHERE household_id = $1 AND member_id = $2)",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .execute(&mut *tx)
                .await
                .map_err(|e| self.err(e))?
                .rows_affected();
                let messages = sqlx::query(
                    "DELETE FROM fa_messages \
                     WHERE household_id = $1 AND member_id = $2 AND conversation_id IN \
                     (SELECT id FROM fa_conversations WHERE household_id = $1 AND member_id = $2)",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .execute(&mut *tx)
                .await
                .map_err(|e| self.err(e))?
                .rows_affected();
                tx.commit().await.map_err(|e| self.err(e))?;
                Ok($crate::Forgotten {
                    notes,
                    messages,
                    summaries,
                })
            }
        }
    };
}

pub(crate) use impl_memory_store;
