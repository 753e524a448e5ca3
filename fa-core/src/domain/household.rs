//! Households, their members, and how a member is recognised on a channel.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::validate_name;
use crate::{Error, HouseholdId, InviteId, MemberId, Result};

/// A household: the unit of privacy. Members, their data and their integrations belong to exactly
/// one household, and no store call returns rows of another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Household {
    /// Its id.
    pub id: HouseholdId,
    /// A display name, e.g. "The Millers".
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// What a member may do in the household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the household: manages members and integrations.
    Owner,
    /// A grown-up member with their own integrations.
    Adult,
    /// A child: limited tools, no integrations.
    Child,
    /// A visitor with the least access.
    Guest,
}

named_enum!(Role, "role", {
    Owner => "owner",
    Adult => "adult",
    Child => "child",
    Guest => "guest",
});

/// A person in a household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Member {
    /// Its id.
    pub id: MemberId,
    /// The household it belongs to.
    pub household_id: HouseholdId,
    /// How the assistant addresses them.
    pub display_name: String,
    /// What they may do.
    pub role: Role,
    /// Their IANA timezone: every time shown to or parsed from them is in it.
    pub timezone: Tz,
    /// Their BCP 47 language tag, e.g. `en-GB`.
    pub locale: String,
    /// When the member was added.
    pub created_at: DateTime<Utc>,
}

impl Member {
    /// The scope to pass to member-level store calls.
    pub fn scope(&self) -> MemberScope {
        MemberScope::new(self.household_id, self.id)
    }
}

/// A member to add (see [`crate::HouseholdStore::add_member`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct NewMember {
    /// How the assistant addresses them; must not be blank.
    pub display_name: String,
    /// What they may do.
    pub role: Role,
    /// IANA timezone name, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// BCP 47 language tag, e.g. `en-GB`.
    pub locale: String,
}

impl NewMember {
    /// A member in UTC speaking English; adjust with the `with_*` methods.
    pub fn new(display_name: impl Into<String>, role: Role) -> Self {
        Self {
            display_name: display_name.into(),
            role,
            timezone: "UTC".to_owned(),
            locale: "en".to_owned(),
        }
    }

    /// Sets the IANA timezone.
    pub fn with_timezone(mut self, timezone: impl Into<String>) -> Self {
        self.timezone = timezone.into();
        self
    }

    /// Sets the BCP 47 language tag.
    pub fn with_locale(mut self, locale: impl Into<String>) -> Self {
        self.locale = locale.into();
        self
    }
}

/// Parses an IANA timezone name, with an error that says what is expected.
pub fn parse_timezone(name: &str) -> Result<Tz> {
    name.parse::<Tz>().map_err(|_| {
        Error::invalid(
            "timezone",
            format!("{name:?} is not an IANA timezone name such as \"Europe/Berlin\" or \"America/New_York\""),
        )
    })
}

/// Checks a BCP 47 language tag's shape (letters, digits and hyphens; a 2–3 letter language first).
pub fn validate_locale(tag: &str) -> Result<()> {
    let mut parts = tag.split('-');
    let language_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphabetic()));
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if language_ok && rest_ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "locale",
            format!("{tag:?} is not a BCP 47 language tag such as \"en\" or \"de-AT\""),
        ))
    }
}

/// Addresses one member of one household. Member-level store calls take a scope and filter on both
/// ids, so a scope that mixes a member with a household it does not belong to finds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MemberScope {
    /// The household.
    pub household: HouseholdId,
    /// The member within it.
    pub member: MemberId,
}

impl MemberScope {
    /// A scope for `member` in `household`.
    pub const fn new(household: HouseholdId, member: MemberId) -> Self {
        Self { household, member }
    }
}

/// How a member is known on a channel, e.g. Telegram user `12345678`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ChannelIdentity {
    /// The channel's stable name, e.g. `telegram`.
    pub channel: String,
    /// The member's id on that channel, as the channel spells it.
    pub external_id: String,
}

impl ChannelIdentity {
    /// An identity on `channel` with the channel's own user id.
    pub fn new(channel: impl Into<String>, external_id: impl Into<String>) -> Self {
        Self {
            channel: channel.into(),
            external_id: external_id.into(),
        }
    }

    /// A Telegram user id.
    pub fn telegram(user_id: i64) -> Self {
        Self::new("telegram", user_id.to_string())
    }

    pub(crate) fn validate(&self) -> Result<()> {
        validate_name("channel", &self.channel, 64)?;
        validate_name("external_id", &self.external_id, 256)
    }
}

/// A single-use code that lets someone join a household with a given role (see
/// [`crate::HouseholdStore::create_invite`]). The code itself is not here: the store keeps only its
/// SHA-256, so neither a read of the store nor a copy of the database reveals a usable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Invite {
    /// Its id.
    pub id: InviteId,
    /// The household it lets someone join.
    pub household_id: HouseholdId,
    /// The role the new member gets, whatever they asked for.
    pub role: Role,
    /// The member who created it.
    pub created_by: MemberId,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The first instant at which it no longer works.
    pub expires_at: DateTime<Utc>,
    /// When it was accepted, if it was.
    pub used_at: Option<DateTime<Utc>>,
    /// The member who joined with it, if anyone did. Kept after that member is removed, as a
    /// record of who joined.
    pub used_by: Option<MemberId>,
}

/// A channel identity the assistant can no longer reach, e.g. a Telegram user who blocked the bot
/// (see [`crate::HouseholdStore::set_identity_reachable`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct UnreachableIdentity {
    /// The member whose identity it is.
    pub member_id: MemberId,
    /// The identity.
    pub identity: ChannelIdentity,
    /// When it was first found unreachable.
    pub since: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timezones_are_iana_names() {
        assert_eq!(parse_timezone("Europe/Berlin").unwrap(), Tz::Europe__Berlin);
        let err = parse_timezone("Mars/Olympus").unwrap_err();
        assert!(err.to_string().contains("timezone"), "{err}");
        assert!(err.to_string().contains("Mars/Olympus"), "{err}");
    }

    #[test]
    fn locales_are_checked_for_shape() {
        for ok in ["en", "de-AT", "zh-Hant-TW", "es-419"] {
            validate_locale(ok).unwrap();
        }
        for bad in ["", "e", "english", "en_GB", "en-", "en-toolongsubtag"] {
            assert!(validate_locale(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [Role::Owner, Role::Adult, Role::Child, Role::Guest] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("admin".parse::<Role>().is_err());
    }
}
