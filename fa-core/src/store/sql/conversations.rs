macro_rules! impl_conversation_store {
    ($store:ty) => {
        impl $store {
            /// Inserts a validated message on `conn` (a pooled connection or an open transaction).
            async fn insert_message_in(
                &self,
                conn: &mut <<Self as $crate::store::sql::SqlBackend>::Db as sqlx::Database>::Connection,
                scope: $crate::MemberScope,
                conversation: $crate::ConversationId,
                message: $crate::NewMessage,
            ) -> $crate::Result<$crate::Message> {
                let message = $crate::Message {
                    id: $crate::MessageId::new(),
                    conversation_id: conversation,
                    role: message.role,
                    content: message.content,
                    metadata: message.metadata,
                    created_at: self.now(),
                };
                sqlx::query(
                    "INSERT INTO fa_messages \
                     (id, household_id, member_id, conversation_id, role, content, metadata, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(message.id.as_uuid())
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(conversation.as_uuid())
                .bind(message.role.as_str())
                .bind(&message.content)
                .bind(message.metadata.as_ref().map(sqlx::types::Json))
                .bind($crate::store::sql::micros(message.created_at))
                .execute(&mut *conn)
                .await
                .map_err(|e| self.insert_err(e, "message", message.id.to_string(), "conversation"))?;
                Ok(message)
            }
        }

        #[async_trait::async_trait]
        impl $crate::ConversationStore for $store {
            async fn conversation(
                &self,
                scope: $crate::MemberScope,
                channel: &str,
                chat_id: &str,
            ) -> $crate::Result<$crate::Conversation> {
                $crate::domain::validate_name("channel", channel, 64)?;
                $crate::domain::validate_name("chat_id", chat_id, 256)?;
                let select = || {
                    sqlx::query_as::<_, $crate::store::sql::ConversationRow>(
                        "SELECT id, household_id, member_id, channel, chat_id, created_at \
                         FROM fa_conversations \
                         WHERE household_id = $1 AND member_id = $2 AND channel = $3 AND chat_id = $4",
                    )
                    .bind(scope.household.as_uuid())
                    .bind(scope.member.as_uuid())
                    .bind(channel)
                    .bind(chat_id)
                };
                if let Some(row) = select()
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| self.err(e))?
                {
                    return row.try_into();
                }
                sqlx::query(
                    "INSERT INTO fa_conversations (id, household_id, member_id, channel, chat_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (household_id, member_id, channel, chat_id) DO NOTHING",
                )
                .bind($crate::ConversationId::new().as_uuid())
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(channel)
                .bind(chat_id)
                .bind($crate::store::sql::micros(self.now()))
                .execute(&self.pool)
                .await
                .map_err(|e| self.insert_err(e, "conversation", format!("{channel}:{chat_id}"), "member"))?;
                // Whoever won a concurrent insert, the row is there now.
                select()
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|e| self.err(e))?
                    .try_into()
            }

            async fn append_message(
                &self,
                scope: $crate::MemberScope,
                conversation: $crate::ConversationId,
                message: $crate::NewMessage,
            ) -> $crate::Result<$crate::Message> {
                message.validate()?;
                let mut conn = self.pool.acquire().await.map_err(|e| self.err(e))?;
                self.insert_message_in(&mut conn, scope, conversation, message).await
            }

            async fn append_messages(
                &self,
                scope: $crate::MemberScope,
                conversation: $crate::ConversationId,
                messages: Vec<$crate::NewMessage>,
            ) -> $crate::Result<Vec<$crate::Message>> {
                for message in &messages {
                    message.validate()?;
                }
                if messages.is_empty() {
                    return Ok(Vec::new());
                }
                // One transaction: one commit (one fsync) for a whole turn, and all or nothing.
                let mut tx = self.begin_write().await?;
                let mut stored = Vec::with_capacity(messages.len());
                for message in messages {
                    stored.push(self.insert_message_in(&mut tx, scope, conversation, message).await?);
                }
                tx.commit().await.map_err(|e| self.err(e))?;
                Ok(stored)
            }

            async fn conversations(
                &self,
                scope: $crate::MemberScope,
            ) -> $crate::Result<Vec<$crate::Conversation>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::ConversationRow>(
                    "SELECT id, household_id, member_id, channel, chat_id, created_at \
                     FROM fa_conversations WHERE household_id = $1 AND member_id = $2 \
                     ORDER BY created_at, id",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn recent_messages(
                &self,
                scope: $crate::MemberScope,
                conversation: $crate::ConversationId,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::Message>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::MessageRow>(
                    "SELECT id, conversation_id, role, content, metadata, created_at FROM fa_messages \
                     WHERE conversation_id = $3 AND household_id = $1 AND member_id = $2 \
                     ORDER BY seq DESC LIMIT $4",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(conversation.as_uuid())
                .bind($crate::store::sql::limit(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                let mut messages: Vec<$crate::Message> = $crate::store::sql::convert(rows)?;
                messages.reverse();
                Ok(messages)
            }
        }
    };
}

pub(crate) use impl_conversation_store;
