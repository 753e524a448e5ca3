macro_rules! impl_integration_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::IntegrationStore for $store {
            async fn create_integration(
                &self,
                scope: $crate::MemberScope,
                integration: $crate::NewIntegration,
            ) -> $crate::Result<$crate::Integration> {
                integration.validate()?;
                let now = self.now();
                let integration = $crate::Integration {
                    id: $crate::IntegrationId::new(),
                    household_id: scope.household,
                    member_id: scope.member,
                    kind: integration.kind,
                    label: integration.label.trim().to_owned(),
                    status: $crate::IntegrationStatus::Active,
                    settings: integration.settings,
                    created_at: now,
                    updated_at: now,
                };
                sqlx::query(
                    "INSERT INTO fa_integrations \
                     (id, household_id, member_id, kind, label, status, settings, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                )
                .bind(integration.id.as_uuid())
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(&integration.kind)
                .bind(&integration.label)
                .bind(integration.status.as_str())
                .bind(sqlx::types::Json(&integration.settings))
                .bind($crate::store::sql::micros(now))
                .execute(&self.pool)
                .await
                .map_err(|e| self.insert_err(e, "integration", integration.id.to_string(), "member"))?;
                Ok(integration)
            }

            async fn integration(
                &self,
                scope: $crate::MemberScope,
                integration: $crate::IntegrationId,
            ) -> $crate::Result<Option<$crate::Integration>> {
                sqlx::query_as::<_, $crate::store::sql::IntegrationRow>(
                    "SELECT id, household_id, member_id, kind, label, status, settings, created_at, updated_at \
                     FROM fa_integrations WHERE household_id = $1 AND member_id = $2 AND id = $3",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(integration.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| self.err(e))?
                .map(TryInto::try_into)
                .transpose()
            }

            async fn integrations(
                &self,
                scope: $crate::MemberScope,
            ) -> $crate::Result<Vec<$crate::Integration>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::IntegrationRow>(
                    "SELECT id, household_id, member_id, kind, label, status, settings, created_at, updated_at \
                     FROM fa_integrations WHERE household_id = $1 AND member_id = $2 \
                     ORDER BY created_at, id",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn update_integration_settings(
                &self,
                scope: $crate::MemberScope,
                integration: $crate::IntegrationId,
                settings: serde_json::Value,
            ) -> $crate::Result<bool> {
                $crate::domain::validate_json("integration settings", &settings, 64 * 1024)?;
                let updated = sqlx::query(
                    "UPDATE fa_integrations SET settings = $4, updated_at = $5 \
                     WHERE household_id = $1 AND member_id = $2 AND id = $3",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(integration.as_uuid())
                .bind(sqlx::types::Json(&settings))
                .bind($crate::store::sql::micros(self.now()))
                .execute(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                Ok(updated.rows_affected() > 0)
            }

            async fn set_integration_status(
                &self,
                scope: $crate::MemberScope,
                integration: $crate::IntegrationId,
                status: $crate::IntegrationStatus,
            ) -> $crate::Result<bool> {
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE fa_integrations SET status = $4, updated_at = $5 \
                     WHERE household_id = $1 AND member_id = $2 AND id = $3",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(integration.as_uuid())
                .bind(status.as_str())
                .bind($crate::store::sql::micros(self.now()))
                .execute(&mut *tx)
                .await
                .map_err(|e| self.err(e))?;
                if status == $crate::IntegrationStatus::Revoked {
                    sqlx::query(
                        "DELETE FROM fa_credentials \
                         WHERE household_id = $1 AND member_id = $2 AND integration_id = $3",
                    )
                    .bind(scope.household.as_uuid())
                    .bind(scope.member.as_uuid())
                    .bind(integration.as_uuid())
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| self.err(e))?;
                }
                tx.commit().await.map_err(|e| self.err(e))?;
                Ok(updated.rows_affected() > 0)
            }

            async fn delete_integration(
                &self,
                scope: $crate::MemberScope,
                integration: $crate::IntegrationId,
            ) -> $crate::Result<bool> {
                let deleted = sqlx::query(
                    "DELETE FROM fa_integrations WHERE household_id = $1 AND member_id = $2 AND id = $3",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(integration.as_uuid())
                .execute(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                Ok(deleted.rows_affected() > 0)
            }

            async fn put_credential(
                &self,
                scope: $crate::MemberScope,
                integration: $crate::IntegrationId,
                sealed: &$crate::vault::SealedCredential,
            ) -> $crate::Result<()> {
                let written = sqlx::query(
                    "INSERT INTO fa_credentials \
                     (integration_id, household_id, member_id, key_id, sealed, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (integration_id) DO UPDATE SET \
                       key_id = excluded.key_id, sealed = excluded.sealed, updated_at = excluded.updated_at \
                     WHERE fa_credentials.household_id = excluded.household_id \
                       AND fa_credentials.member_id = excluded.member_id",
                )
                .bind(integration.as_uuid())
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(sealed.key_id().to_string())
                .bind(sealed.as_bytes())
                .bind($crate::store::sql::micros(self.now()))
                .execute(&self.pool)
                .await
                .map_err(|e| self.insert_err(e, "credential", integration.to_string(), "integration"))?;
                // A row kept by the conflict clause belongs to another member: not this scope's.
                if written.rows_affected() == 0 {
                    return Err($crate::Error::NotFound { what: "integration" });
                }
                Ok(())
            }

            async fn credential(
                &self,
                scope: $crate::MemberScope,
                integration: $crate::IntegrationId,
            ) -> $crate::Result<Option<$crate::vault::SealedCredential>> {
                let sealed: Option<Vec<u8>> = sqlx::query_scalar(
                    "SELECT sealed FROM fa_credentials \
                     WHERE household_id = $1 AND member_id = $2 AND integration_id = $3",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(integration.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                sealed
                    .map(|bytes| {
                        $crate::vault::SealedCredential::from_bytes(bytes)
                            .map_err(|e| $crate::Error::corrupt("credential", e.to_string()))
                    })
                    .transpose()
            }

            async fn sealed_credentials(
                &self,
                household: $crate::HouseholdId,
            ) -> $crate::Result<Vec<$crate::StoredCredential>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::CredentialRow>(
                    "SELECT household_id, member_id, integration_id, sealed FROM fa_credentials \
                     WHERE household_id = $1 ORDER BY integration_id",
                )
                .bind(household.as_uuid())
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }

            async fn replace_credential(
                &self,
                scope: $crate::MemberScope,
                integration: $crate::IntegrationId,
                expected: &$crate::vault::SealedCredential,
                replacement: &$crate::vault::SealedCredential,
            ) -> $crate::Result<bool> {
                let updated = sqlx::query(
                    "UPDATE fa_credentials SET key_id = $5, sealed = $6, updated_at = $7 \
                     WHERE household_id = $1 AND member_id = $2 AND integration_id = $3 AND sealed = $4",
                )
                .bind(scope.household.as_uuid())
                .bind(scope.member.as_uuid())
                .bind(integration.as_uuid())
                .bind(expected.as_bytes())
                .bind(replacement.key_id().to_string())
                .bind(replacement.as_bytes())
                .bind($crate::store::sql::micros(self.now()))
                .execute(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                Ok(updated.rows_affected() > 0)
            }
        }
    };
}

pub(crate) use impl_integration_store;
