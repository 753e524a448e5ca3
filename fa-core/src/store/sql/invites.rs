//! Invite codes: single-use, expiring, carrying the role the new member gets. Only the SHA-256 of
//! a code is stored, so the table holds nothing a reader could use to join.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::instant;
use crate::{Error, Invite, Result, Role};

#[derive(sqlx::FromRow)]
pub(crate) struct InviteRow {
    id: Uuid,
    household_id: Uuid,
    role: String,
    created_by: Uuid,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    used_by: Option<Uuid>,
}

impl TryFrom<InviteRow> for Invite {
    type Error = Error;

    fn try_from(row: InviteRow) -> Result<Self> {
        Ok(Invite {
            id: row.id.into(),
            household_id: row.household_id.into(),
            role: row
                .role
                .parse::<Role>()
                .map_err(|e| Error::corrupt("invite", e.to_string()))?,
            created_by: row.created_by.into(),
            created_at: instant("invite", row.created_at)?,
            expires_at: instant("invite", row.expires_at)?,
            used_at: row.used_at.map(|at| instant("invite", at)).transpose()?,
            used_by: row.used_by.map(Into::into),
        })
    }
}

/// What the store keeps of an invite code: the hex SHA-256 of the code without surrounding
/// whitespace (people paste codes with a trailing newline). A blank code is refused.
pub(crate) fn invite_code_hash(code: &str) -> Result<String> {
    crate::domain::validate_name("invite code", code, 256)?;
    Ok(Sha256::digest(code.trim().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Expands the invite queries as inherent `*_impl` methods of a store; the `HouseholdStore` impl
/// delegates to them.
macro_rules! impl_invites {
    ($store:ty) => {
        impl $store {
            async fn create_invite_impl(
                &self,
                household: $crate::HouseholdId,
                created_by: $crate::MemberId,
                role: $crate::Role,
                code: &str,
                expires_at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<$crate::Invite> {
                let code_hash = $crate::store::sql::invite_code_hash(code)?;
                let invite = $crate::Invite {
                    id: $crate::InviteId::new(),
                    household_id: household,
                    role,
                    created_by,
                    created_at: self.now(),
                    expires_at: $crate::store::sql::truncate(expires_at),
                    used_at: None,
                    used_by: None,
                };
                // The composite foreign key to fa_members refuses a creator who is not a member of
                // this household.
                sqlx::query(
                    "INSERT INTO fa_invites \
                     (id, household_id, code_hash, role, created_by, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(invite.id.as_uuid())
                .bind(household.as_uuid())
                .bind(&code_hash)
                .bind(role.as_str())
                .bind(created_by.as_uuid())
                .bind($crate::store::sql::micros(invite.created_at))
                .bind($crate::store::sql::micros(invite.expires_at))
                .execute(&self.pool)
                .await
                .map_err(|e| {
                    self.insert_err(e, "invite", "this code was issued before", "member")
                })?;
                Ok(invite)
            }

            async fn accept_invite_impl(
                &self,
                code: &str,
                member: $crate::NewMember,
                identity: &$crate::ChannelIdentity,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Option<$crate::Member>> {
                let code_hash = $crate::store::sql::invite_code_hash(code)?;
                identity.validate()?;
                let now = $crate::store::sql::micros($crate::store::sql::truncate(now));
                // Checked before the transaction; the household and role come from the invite.
                let mut joined = self.new_member_impl($crate::HouseholdId::new(), member)?;
                let mut tx = self.begin_write().await?;
                // Claim first: a conditional update, so of concurrent accepts exactly one finds the
                // invite unused (on PostgreSQL the others wait for its row lock, then match
                // nothing). Any failure below rolls the claim back with everything else.
                let claimed: Option<(uuid::Uuid, String)> = sqlx::query_as(
                    "UPDATE fa_invites SET used_at = $2, used_by = $3 \
                     WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 \
                     RETURNING household_id, role",
                )
                .bind(&code_hash)
                .bind(now)
                .bind(joined.id.as_uuid())
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| self.err(e))?;
                let Some((household, role)) = claimed else {
                    return Ok(None);
                };
                joined.household_id = household.into();
                joined.role = role
                    .parse()
                    .map_err(|e: $crate::Error| $crate::Error::corrupt("invite", e.to_string()))?;
                let linked: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM fa_identities WHERE channel = $1 AND external_id = $2",
                )
                .bind(&identity.channel)
                .bind(&identity.external_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| self.err(e))?;
                let taken = || $crate::Error::Conflict {
                    what: "channel identity",
                    detail: format!(
                        "{}:{} is already linked to a member",
                        identity.channel, identity.external_id
                    ),
                };
                if linked > 0 {
                    return Err(taken());
                }
                self.insert_member_in(&mut tx, &joined).await?;
                sqlx::query(
                    "INSERT INTO fa_identities \
                     (channel, external_id, household_id, member_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&identity.channel)
                .bind(&identity.external_id)
                .bind(joined.household_id.as_uuid())
                .bind(joined.id.as_uuid())
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| match self.insert_err(e, "channel identity", "", "member") {
                    // Linked by a concurrent writer since the check above.
                    $crate::Error::Conflict { .. } => taken(),
                    other => other,
                })?;
                tx.commit().await.map_err(|e| self.err(e))?;
                Ok(Some(joined))
            }

            async fn invites_impl(
                &self,
                household: $crate::HouseholdId,
            ) -> $crate::Result<Vec<$crate::Invite>> {
                let rows = sqlx::query_as::<_, $crate::store::sql::InviteRow>(
                    "SELECT id, household_id, role, created_by, created_at, expires_at, used_at, \
                     used_by FROM fa_invites WHERE household_id = $1 \
                     ORDER BY created_at DESC, id DESC",
                )
                .bind(household.as_uuid())
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
                $crate::store::sql::convert(rows)
            }
        }
    };
}

pub(crate) use impl_invites;
