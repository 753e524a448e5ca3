macro_rules! impl_household_store {
    ($store:ty) => {
        $crate::store::sql::impl_invites!($store);

        impl $store {
            /// Checks a new member and gives it an id and a creation time.
            fn new_member_impl(
                &self,
                household: $crate::HouseholdId,
                member: $crate::NewMember,
            ) -> $crate::Result<$crate::Member> {
                $crate::domain::validate_name("display_name", &member.display_name, 200)?;
                let timezone = $crate::parse_timezone(&member.timezone)?;
                $crate::validate_locale(&member.locale)?;
                Ok($crate::Member {
                    id: $crate::MemberId::new(),
                    household_id: household,
                    display_name: member.display_name.trim().to_owned(),
                    role: member.role,
                    timezone,
                    locale: member.locale,
                    created_at: self.now(),
                })
            }

            /// Inserts a checked member on `conn` (a pooled connection or an open transaction).
            async fn insert_member_in(
                &self,
                conn: &mut <<Self as $crate::store::sql::SqlBackend>::Db as sqlx::Database>::Connection,
                member: &$crate::Member,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO fa_members \
                     (id, household_id, display_name, role, timezone, locale, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(member.id.as_uuid())
                .bind(member.household_id.as_uuid())
                .bind(&member.display_name)
                .bind(member.role.as_str())
                .bind(member.timezone.name())
                .bind(&member.locale)
                .bind($crate::store::sql::micros(member.created_at))
                .execute(&mut *conn)
                .await
                .map_err(|e| self.insert_err(e, "member", member.id.to_string(), "household"))?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::HouseholdStore for $store {
            async fn create_household(&self, name: &str) -> $crate::Result<$crate::Household> {
                $crate::domain::validate_name("household name", name, 200)?;
                let household = $crate::Household {
                    id: $crate::HouseholdId::new(),
                    name: name.trim().to_owned(),
                    created_at: self.now(),
                };
                sqlx::query("INSERT INTO fa_households (id, name, created_at) VALUES ($1, $2, $3)")
                    .bind(household.id.as_uuid())
                    .bind(&household.name)
                    .bind($crate::store::sql::micros(household.created_at))
                    .execute(&self.pool)
                    .await
                    .map_err(|e| self.err(e))?;
                Ok(household)
            }

            async fn household(
                &self,
                id: $crate::HouseholdId,
            ) -> $crate::Result<Option<$crate::Household>> {
                sqlx::query_as::<_, $crate::store::sql::HouseholdRow>(
                    "SELECT id, name, created_at FROM fa_households WHERE id = $1",
                )
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| self.err(e))?
                .map(TryInto::try_into)
                .transpose()
            }

            async fn household_ids(&self) -> $crate::Result<Vec<$crate::HouseholdId>> {
                let ids: Vec<uuid::Uuid> =
                    sqlx::query_scalar("SELECT id FROM fa_households ORDER BY id")
                        .fetch_all(&self.pool)
                        .await
                        .map_err(|e| self.err(e))?;
                Ok(ids.into_iter().map(Into::into).collect())
            }

            async fn add_member(
                &self,
                household: $crate::HouseholdId,
                member: $crate::NewMember,
            ) -> $crate::Result<$crate::Member> {
                let member = self.new_member_impl(household, member)?;
                let mut conn = self.pool.acquire().await.map_err(|e| self.err(e))?;
                self.insert_member_in(&mut conn, &member).await?;
                Ok(member)
            }

            async fn member(
                &self,
                scope: $crate::MemberScope,
            ) -> $crate::Result<Option<$crate::Member>> {
                sqlx::query_as::<_, $crate::store::sql::MemberRow>(
                    "SELECT id, household_id, display_name, role, timezone, locale, created_at \
                     FROM fa_members WHERE household_id = $1 AND id = $2",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| self.err(e))?
                .map(TryInto::try_into)
                .transpose()
            }

            async fn members(
                &self,
                household: $crate::HouseholdId,
            ) -> $crate::Result<Vec<$crate::Member>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::MemberRow>(
                    "SELECT id, household_id, display_name, role, timezone, locale, created_at \
                     FROM fa_members WHERE household_id = $1 ORDER BY created_at, id",
                )
                .bind(household.as_uuid())
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn update_member(&self, member: &$crate::Member) -> $crate::Result<()> {
                $crate::domain::validate_name("display_name", &member.display_name, 200)?;
                $crate::validate_locale(&member.locale)?;
                let updated = sqlx::query(
                    "UPDATE fa_members SET display_name = $3, role = $4, timezone = $5, locale = $6 \
                     WHERE household_id = $1 AND id = $2",
                )
                .bind(member.household_id.as_uuid())
                .bind(member.id.as_uuid())
                .bind(member.display_name.trim())
                .bind(member.role.as_str())
                .bind(member.timezone.name())
                .bind(&member.locale)
                .execute(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                if updated.rows_affected() == 0 {
                    return Err($crate::Error::NotFound { what: "member" });
                }
                Ok(())
            }

            async fn remove_member(&self, scope: $crate::MemberScope) -> $crate::Result<bool> {
                let deleted = sqlx::query("DELETE FROM fa_members WHERE household_id = $1 AND id = $2")
                    .bind(scope.household.as_uuid())
                    .bind(scope.member.as_uuid())
                    .execute(&self.pool)
                    .await
                    .map_err(|e| self.err(e))?;
                Ok(deleted.rows_affected() > 0)
            }

            async fn link_identity(
                &self,
                scope: $crate::MemberScope,
                identity: &$crate::ChannelIdentity,
            ) -> $crate::Result<()> {
                identity.validate()?;
                let inserted = sqlx::query(
                    "INSERT INTO fa_identities (channel, external_id, household_id, member_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, external_id) DO NOTHING",
                )
                .bind(&identity.channel)
                .bind(&identity.external_id)
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind($crate::store::sql::micros(self.now()))
                .execute(&self.pool)
                .await
                .map_err(|e| self.insert_err(e, "channel identity", format!("{}:{}", identity.channel, identity.external_id), "member"))?;
                if inserted.rows_affected() == 1 {
                    return Ok(());
                }
                // Already linked: fine if to this very member, a conflict otherwise.
                let owner: Option<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
                    "SELECT household_id, member_id FROM fa_identities \
                     WHERE channel = $1 AND external_id = $2",
                )
                .bind(&identity.channel)
                .bind(&identity.external_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                match owner {
                    Some((h, m)) if h == *scope.household.as_uuid() && m == *scope.member.as_uuid() => Ok(()),
                    _ => Err($crate::Error::Conflict {
                        what: "channel identity",
                        detail: format!(
                            "{}:{} is linked to another member",
                            identity.channel, identity.external_id
                        ),
                    }),
                }
            }

            async fn unlink_identity(
                &self,
                scope: $crate::MemberScope,
                identity: &$crate::ChannelIdentity,
            ) -> $crate::Result<bool> {
                let deleted = sqlx::query(
                    "DELETE FROM fa_identities WHERE household_id = $1 AND member_id = $2 \
                     AND channel = $3 AND external_id = $4",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(&identity.channel)
                .bind(&identity.external_id)
                .execute(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                Ok(deleted.rows_affected() > 0)
            }

            async fn identities(
                &self,
                scope: $crate::MemberScope,
            ) -> $crate::Result<Vec<$crate::ChannelIdentity>> {
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SELECT channel, external_id FROM fa_identities \
                     WHERE household_id = $1 AND member_id = $2 ORDER BY channel, external_id",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                Ok(rows
                    .into_iter()
                    .map(|(channel, external_id)| $crate::ChannelIdentity { channel, external_id })
                    .collect())
            }

            async fn member_by_identity(
                &self,
                identity: &$crate::ChannelIdentity,
            ) -> $crate::Result<Option<$crate::Member>> {
                sqlx::query_as::<_, $crate::store::sql::MemberRow>(
                    "SELECT m.id, m.household_id, m.display_name, m.role, m.timezone, m.locale, m.created_at \
                     FROM fa_identities i JOIN fa_members m \
                       ON m.household_id = i.household_id AND m.id = i.member_id \
                     WHERE i.channel = $1 AND i.external_id = $2",
                )
                .bind(&identity.channel)
                .bind(&identity.external_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| self.err(e))?
                .map(TryInto::try_into)
                .transpose()
            }

            async fn set_identity_reachable(
                &self,
                identity: &$crate::ChannelIdentity,
                reachable: bool,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Option<$crate::Member>> {
                let updated = if reachable {
                    sqlx::query(
                        "UPDATE fa_identities SET unreachable_since = NULL \
                         WHERE channel = $1 AND external_id = $2",
                    )
                    .bind(&identity.channel)
                    .bind(&identity.external_id)
                    .execute(&self.pool)
                    .await
                } else {
                    // COALESCE keeps the first instant: "unreachable since" is when it started.
                    sqlx::query(
                        "UPDATE fa_identities SET unreachable_since = COALESCE(unreachable_since, $3) \
                         WHERE channel = $1 AND external_id = $2",
                    )
                    .bind(&identity.channel)
                    .bind(&identity.external_id)
                    .bind($crate::store::sql::micros($crate::store::sql::truncate(at)))
                    .execute(&self.pool)
                    .await
                }
                .map_err(|e| self.err(e))?;
                if updated.rows_affected() == 0 {
                    return Ok(None);
                }
                self.member_by_identity(identity).await
            }

            async fn unreachable_identities(
                &self,
                household: $crate::HouseholdId,
            ) -> $crate::Result<Vec<$crate::UnreachableIdentity>> {
                let rows: Vec<(uuid::Uuid, String, String, i64)> = sqlx::query_as(
                    "SELECT member_id, channel, external_id, unreachable_since FROM fa_identities \
                     WHERE household_id = $1 AND unreachable_since IS NOT NULL \
                     ORDER BY unreachable_since, channel, external_id",
                )
                .bind(household.as_uuid())
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                rows.into_iter()
                    .map(|(member, channel, external_id, since)| {
                        Ok($crate::UnreachableIdentity {
                            member_id: member.into(),
                            identity: $crate::ChannelIdentity { channel, external_id },
                            since: $crate::store::sql::instant("channel identity", since)?,
                        })
                    })
                    .collect()
            }

            async fn create_invite(
                &self,
                household: $crate::HouseholdId,
                created_by: $crate::MemberId,
                role: $crate::Role,
                code: &str,
                expires_at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<$crate::Invite> {
                self.create_invite_impl(household, created_by, role, code, expires_at).await
            }

            async fn accept_invite(
                &self,
                code: &str,
                member: $crate::NewMember,
                identity: &$crate::ChannelIdentity,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Option<$crate::Member>> {
                self.accept_invite_impl(code, member, identity, now).await
            }

            async fn invites(
                &self,
                household: $crate::HouseholdId,
            ) -> $crate::Result<Vec<$crate::Invite>> {
                self.invites_impl(household).await
            }
        }
    };
}

pub(crate) use impl_household_store;
