macro_rules! impl_audit_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::AuditStore for $store {
            async fn append_audit(
                &self,
                household: $crate::HouseholdId,
                entry: $crate::NewAuditEntry,
            ) -> $crate::Result<$crate::AuditEntry> {
                entry.validate()?;
                if let Some(actor) = entry.actor {
                    // The actor must be a member of this household now; the entry outlives them.
                    let known: Option<i32> = sqlx::query_scalar(
                        "SELECT 1 FROM fa_members WHERE household_id = $1 AND id = $2",
                    )
                    .bind(household.as_uuid())
                    .bind(actor.as_uuid())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| self.err(e))?;
                    if known.is_none() {
                        return Err($crate::Error::NotFound { what: "member" });
                    }
                }
                let entry = $crate::AuditEntry {
                    id: $crate::AuditEntryId::new(),
                    household_id: household,
                    actor: entry.actor,
                    action: entry.action,
                    subject: entry.subject,
                    detail: entry.detail,
                    at: self.now(),
                };
                sqlx::query(
                    "INSERT INTO fa_audit_log (id, household_id, actor, action, subject, detail, at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(entry.id.as_uuid())
                .bind(household.as_uuid())
                .bind(entry.actor.as_ref().map(|a| *a.as_uuid()))
                .bind(&entry.action)
                .bind(entry.subject.as_deref())
                .bind(sqlx::types::Json(&entry.detail))
                .bind($crate::store::sql::micros(entry.at))
                .execute(&self.pool)
                .await
                .map_err(|e| self.insert_err(e, "audit entry", entry.id.to_string(), "household"))?;
                Ok(entry)
            }

            async fn audit_log(
                &self,
                household: $crate::HouseholdId,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::AuditEntry>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::AuditRow>(
                    "SELECT id, household_id, actor, action, subject, detail, at FROM fa_audit_log \
                     WHERE household_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
                )
                .bind(household.as_uuid())
                .bind($crate::store::sql::limit(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }
        }
    };
}

pub(crate) use impl_audit_store;
