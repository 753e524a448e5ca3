//! Verification of the data the Telegram Login Widget hands to a website.
//!
//! The widget redirects to (or calls back with) the user's `id`,
//! `first_name`, optional `last_name`, `username` and `photo_url`, the
//! `auth_date` of the login and a `hash` that signs them all with the bot's
//! token. [`verify_login`] and [`verify_login_query`] check that signature
//! as described in
//! <https://core.telegram.org/widgets/login#checking-authorization>, and
//! that the login is recent, before trusting any of it.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How old a login may be by default: one day.
///
/// Telegram recommends checking `auth_date` so that old, intercepted login
/// data cannot be replayed; pass a shorter age if logins are verified right
/// after the widget redirects.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// How far in the future an `auth_date` may be, to allow for the clocks of
/// this machine and Telegram's disagreeing: 60 seconds.
pub const MAX_FUTURE_SKEW: Duration = Duration::from_secs(60);

/// The length in bytes of an HMAC-SHA256, and so of the decoded `hash`.
const HASH_LEN: usize = 32;

/// The longest field name kept in a [`LoginError::DuplicateField`]; longer
/// names are cut, as they come from the client.
const MAX_REPORTED_KEY_CHARS: usize = 64;

/// A Telegram user whose login through the Login Widget was verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramLogin {
    /// The user's Telegram id.
    pub id: i64,
    /// The user's first name.
    pub first_name: String,
    /// The user's last name, if they set one.
    pub last_name: Option<String>,
    /// The user's `@username` (without the `@`), if they have one.
    pub username: Option<String>,
    /// The URL of the user's profile photo, if they share one.
    pub photo_url: Option<String>,
    /// When the user logged in, as Telegram signed it.
    pub auth_date: DateTime<Utc>,
}

/// Why login data from the Telegram Login Widget was rejected.
///
/// Neither the bot token nor the received `hash` ever appears in an error's
/// message or `Debug` output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// A field the widget always sends is missing.
    #[error(
        "the Telegram login data has no `{0}` field; pass every field exactly as the \
         Telegram Login Widget sent it, or ask the user to log in again"
    )]
    MissingField(&'static str),
    /// A field was sent more than once, so which value was signed is
    /// ambiguous. Holds the field's name (cut to 64 characters).
    #[error(
        "the Telegram login data has the field {0:?} more than once; pass each field \
         exactly once, as the Telegram Login Widget sent it"
    )]
    DuplicateField(String),
    /// The `hash` field is not 64 hexadecimal digits.
    #[error(
        "the Telegram login `hash` is not 64 hexadecimal digits; pass the `hash` field \
         unchanged, as the Telegram Login Widget sent it"
    )]
    BadHash,
    /// The `hash` does not sign the data with this bot's token: the data was
    /// altered, or it was signed for another bot.
    #[error(
        "the Telegram login data does not match its signature: it was altered, or signed \
         for another bot; check that the bot token configured here belongs to the bot set \
         up for the Login Widget (its domain is linked with /setdomain in @BotFather), and \
         ask the user to log in again"
    )]
    InvalidSignature,
    /// The login is older than the allowed age.
    #[error(
        "the Telegram login is {age_secs} s old, older than allowed; ask the user to log \
         in again (or allow older logins if they are verified late on purpose)"
    )]
    Stale {
        /// How old the login is, in whole seconds.
        age_secs: u64,
    },
    /// The login's `auth_date` is more than 60 seconds in the future.
    #[error(
        "the Telegram login's `auth_date` is more than 60 s in the future; check that this \
         machine's clock is right (e.g. that NTP is running)"
    )]
    FromTheFuture,
    /// A field is malformed.
    #[error("the Telegram login's `{field}` field is invalid: {reason}")]
    InvalidField {
        /// The field at fault.
        field: &'static str,
        /// What is wrong with it, and what to do.
        reason: String,
    },
}

/// Verifies login data from the Telegram Login Widget, given as name/value
/// pairs (already percent-decoded), and returns the user it vouches for.
///
/// Follows <https://core.telegram.org/widgets/login#checking-authorization>:
/// every field but `hash`, sorted by name, is joined as `name=value` lines
/// into the data-check-string, which must have the HMAC-SHA256 `hash` under
/// the key SHA-256(`bot_token`). The `hash` is compared in constant time, and
/// before any other field is interpreted. Then the login must be no older
/// than `max_age` (see [`DEFAULT_MAX_AGE`]) and no more than
/// [`MAX_FUTURE_SKEW`] ahead of `now`.
///
/// Fields other than the ones [`TelegramLogin`] holds are signed like the
/// rest and otherwise ignored.
///
/// # Errors
///
/// - [`LoginError::DuplicateField`] if a name occurs twice;
/// - [`LoginError::MissingField`] if `hash` is missing, or, once the
///   signature is checked, `id`, `first_name` or `auth_date` is;
/// - [`LoginError::BadHash`] if `hash` is not 64 hex digits;
/// - [`LoginError::InvalidField`] if a name holds `=` or a line break or a
///   value holds a line break (the signed text would be ambiguous), or if
///   `id` or `auth_date` is not a valid whole number;
/// - [`LoginError::InvalidSignature`] if `hash` does not match;
/// - [`LoginError::Stale`] or [`LoginError::FromTheFuture`] if `auth_date`
///   is out of range.
pub fn verify_login<K: AsRef<str>, V: AsRef<str>>(
    fields: impl IntoIterator<Item = (K, V)>,
    bot_token: &str,
    now: DateTime<Utc>,
    max_age: Duration,
) -> Result<TelegramLogin, LoginError> {
    let mut fields = collect_fields(fields)?;
    let hash = fields
        .remove("hash")
        .ok_or(LoginError::MissingField("hash"))?;
    let received = decode_hash(&hash).ok_or(LoginError::BadHash)?;
    let expected = sign(bot_token, &data_check_string(&fields)?)?;
    if !bool::from(expected.ct_eq(&received)) {
        return Err(LoginError::InvalidSignature);
    }

    // Only now that Telegram vouches for the data is its meaning parsed.
    let id = parse_int(&fields, "id")?;
    let auth_secs = parse_int(&fields, "auth_date")?;
    let auth_date =
        DateTime::from_timestamp(auth_secs, 0).ok_or_else(|| LoginError::InvalidField {
            field: "auth_date",
            reason: "the Unix time is out of range; pass it as the Login Widget sent it".to_owned(),
        })?;
    check_age(auth_date, now, max_age)?;

    let first_name = fields
        .remove("first_name")
        .ok_or(LoginError::MissingField("first_name"))?;
    Ok(TelegramLogin {
        id,
        first_name,
        last_name: fields.remove("last_name"),
        username: fields.remove("username"),
        photo_url: fields.remove("photo_url"),
        auth_date,
    })
}

/// Verifies login data from the Telegram Login Widget given as a URL query
/// string (`id=…&first_name=…&auth_date=…&hash=…`, with or without a
/// leading `?`), as the widget's `data-auth-url` redirect delivers it.
///
/// Names and values are percent-decoded (`+` meaning a space) as in
/// `application/x-www-form-urlencoded`; then this is [`verify_login`].
///
/// # Errors
///
/// As [`verify_login`].
pub fn verify_login_query(
    query: &str,
    bot_token: &str,
    now: DateTime<Utc>,
    max_age: Duration,
) -> Result<TelegramLogin, LoginError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    verify_login(
        url::form_urlencoded::parse(query.as_bytes()),
        bot_token,
        now,
        max_age,
    )
}

/// Collects the fields by name, rejecting a name given twice.
fn collect_fields<K: AsRef<str>, V: AsRef<str>>(
    fields: impl IntoIterator<Item = (K, V)>,
) -> Result<BTreeMap<String, String>, LoginError> {
    let mut map = BTreeMap::new();
    for (key, value) in fields {
        let key = key.as_ref();
        match map.entry(key.to_owned()) {
            Entry::Occupied(_) => {
                return Err(LoginError::DuplicateField(
                    key.chars().take(MAX_REPORTED_KEY_CHARS).collect(),
                ));
            }
            Entry::Vacant(slot) => {
                slot.insert(value.as_ref().to_owned());
            }
        }
    }
    Ok(map)
}

/// Builds the data-check-string from the fields other than `hash`, which a
/// `BTreeMap` keeps sorted by name (byte order, as Telegram sorts).
///
/// Refuses names with `=` or a line break and values with a line break:
/// with those, different field sets could give the same string (say, one
/// field's value swallowing the next field), and so share a signature.
fn data_check_string(fields: &BTreeMap<String, String>) -> Result<String, LoginError> {
    let mut out = String::new();
    for (key, value) in fields {
        if key.contains(['=', '\n']) || value.contains('\n') {
            return Err(LoginError::InvalidField {
                field: "data-check-string",
                reason: "a field name holds '=' or a line break, or a value holds a line \
                         break, so the signed data would be ambiguous; Telegram never sends \
                         such fields, so pass them as the Login Widget sent them"
                    .to_owned(),
            });
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
    Ok(out)
}

/// HMAC-SHA256 of `data` under the key SHA-256(`bot_token`).
fn sign(bot_token: &str, data: &str) -> Result<[u8; HASH_LEN], LoginError> {
    let secret_key = Sha256::digest(bot_token.as_bytes());
    // HMAC takes keys of any length, so this cannot fail; if it ever did,
    // fail closed.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.as_slice())
        .map_err(|_| LoginError::InvalidSignature)?;
    mac.update(data.as_bytes());
    let tag = mac.finalize().into_bytes();
    let mut out = [0u8; HASH_LEN];
    if tag.len() != HASH_LEN {
        return Err(LoginError::InvalidSignature);
    }
    out.copy_from_slice(tag.as_slice());
    Ok(out)
}

/// Decodes a 64-digit hex `hash` (either case). The received hash is not
/// secret, so this need not be constant time; it touches no secret data.
fn decode_hash(hex: &str) -> Option<[u8; HASH_LEN]> {
    let digits = hex.as_bytes();
    if digits.len() != 2 * HASH_LEN {
        return None;
    }
    let mut out = [0u8; HASH_LEN];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let [high, low] = pair else { return None };
        *byte = (hex_value(*high)? << 4) | hex_value(*low)?;
    }
    Some(out)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Parses a required whole-number field.
fn parse_int(fields: &BTreeMap<String, String>, field: &'static str) -> Result<i64, LoginError> {
    let text = fields.get(field).ok_or(LoginError::MissingField(field))?;
    text.parse().map_err(|_| LoginError::InvalidField {
        field,
        reason: "not a whole number; pass it as the Login Widget sent it".to_owned(),
    })
}

/// Checks that a login made at `auth_date` is acceptable at `now`.
fn check_age(
    auth_date: DateTime<Utc>,
    now: DateTime<Utc>,
    max_age: Duration,
) -> Result<(), LoginError> {
    match now.signed_duration_since(auth_date).to_std() {
        Ok(age) if age > max_age => Err(LoginError::Stale {
            age_secs: age.as_secs(),
        }),
        Ok(_) => Ok(()),
        // Negative: the login is dated after `now`.
        Err(_) => {
            let ahead = auth_date
                .signed_duration_since(now)
                .to_std()
                .unwrap_or(Duration::MAX);
            if ahead > MAX_FUTURE_SKEW {
                Err(LoginError::FromTheFuture)
            } else {
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example token from Telegram's Bot API docs (not a real bot).
    const TOKEN: &str = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";

    const AUTH_DATE: i64 = 1_700_000_000; // 2023-11-14T22:13:20Z

    /// The full fixture's hash, computed independently of this crate with:
    ///
    /// ```text
    /// python3 -c 'import hmac,hashlib; t=b"123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"; d="auth_date=1700000000\nfirst_name=José\nid=123456789\nlast_name=Pérez\nphoto_url=https://t.me/i/userpic/320/jose.jpg\nusername=jose_p"; print(hmac.new(hashlib.sha256(t).digest(), d.encode(), hashlib.sha256).hexdigest())'
    /// ```
    const FULL_HASH: &str = "438d42385a56a0896391a02cbaf329b69986c204dbb0bbeef14cd68ec6ef6ddb";

    /// The minimal fixture's hash, computed independently with:
    ///
    /// ```text
    /// python3 -c 'import hmac,hashlib; t=b"123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"; d="auth_date=1700000000\nfirst_name=Ann\nid=42"; print(hmac.new(hashlib.sha256(t).digest(), d.encode(), hashlib.sha256).hexdigest())'
    /// ```
    const MINIMAL_HASH: &str = "b5a53e827dc8acb9a00d909ee40177e3f02a4830b7f5dfe72f9c674b3cef8d06";

    fn full_fields() -> Vec<(&'static str, &'static str)> {
        // Deliberately not in sorted order.
        vec![
            ("id", "123456789"),
            ("first_name", "José"),
            ("last_name", "Pérez"),
            ("username", "jose_p"),
            ("photo_url", "https://t.me/i/userpic/320/jose.jpg"),
            ("auth_date", "1700000000"),
            ("hash", FULL_HASH),
        ]
    }

    fn minimal_fields() -> Vec<(&'static str, &'static str)> {
        vec![
            ("hash", MINIMAL_HASH),
            ("auth_date", "1700000000"),
            ("first_name", "Ann"),
            ("id", "42"),
        ]
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).expect("valid time")
    }

    /// An hour after the fixtures' login.
    fn now() -> DateTime<Utc> {
        at(AUTH_DATE + 3600)
    }

    fn verify(fields: &[(&str, &str)]) -> Result<TelegramLogin, LoginError> {
        verify_login(fields.iter().copied(), TOKEN, now(), DEFAULT_MAX_AGE)
    }

    /// Signs `fields` with this module's own code, for cases the Python
    /// fixtures do not cover (its agreement with Python is tested below).
    fn signed(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        let map: BTreeMap<String, String> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let tag = sign(TOKEN, &data_check_string(&map).expect("unambiguous")).expect("sign");
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        let mut out: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        out.push(("hash".to_owned(), hex));
        out
    }

    fn verify_owned(fields: &[(String, String)]) -> Result<TelegramLogin, LoginError> {
        verify_login(fields.iter().cloned(), TOKEN, now(), DEFAULT_MAX_AGE)
    }

    fn with(
        fields: &[(&'static str, &'static str)],
        key: &str,
        value: &'static str,
    ) -> Vec<(&'static str, &'static str)> {
        fields
            .iter()
            .map(|&(k, v)| if k == key { (k, value) } else { (k, v) })
            .collect()
    }

    fn without(
        fields: &[(&'static str, &'static str)],
        key: &str,
    ) -> Vec<(&'static str, &'static str)> {
        fields.iter().copied().filter(|&(k, _)| k != key).collect()
    }

    #[test]
    fn own_signing_agrees_with_python() {
        let fields = without(&full_fields(), "hash");
        let signed = signed(&fields);
        assert_eq!(signed.last().map(|(_, h)| h.as_str()), Some(FULL_HASH));
    }

    #[test]
    fn valid_login_is_accepted() {
        let login = verify(&full_fields()).expect("valid");
        assert_eq!(
            login,
            TelegramLogin {
                id: 123_456_789,
                first_name: "José".to_owned(),
                last_name: Some("Pérez".to_owned()),
                username: Some("jose_p".to_owned()),
                photo_url: Some("https://t.me/i/userpic/320/jose.jpg".to_owned()),
                auth_date: at(AUTH_DATE),
            }
        );
    }

    #[test]
    fn minimal_login_is_accepted() {
        let login = verify(&minimal_fields()).expect("valid");
        assert_eq!(login.id, 42);
        assert_eq!(login.first_name, "Ann");
        assert_eq!(login.last_name, None);
        assert_eq!(login.username, None);
        assert_eq!(login.photo_url, None);
    }

    #[test]
    fn uppercase_hash_is_accepted() {
        let upper = FULL_HASH.to_uppercase();
        let mut fields: Vec<(&str, &str)> = without(&full_fields(), "hash");
        fields.push(("hash", &upper));
        assert!(verify(&fields).is_ok());
    }

    #[test]
    fn changed_field_is_rejected() {
        for (key, value) in [
            ("id", "123456780"),
            ("first_name", "Jose"),
            ("username", "jose_q"),
            ("auth_date", "1700000001"),
        ] {
            let fields = with(&full_fields(), key, value);
            assert!(
                matches!(verify(&fields), Err(LoginError::InvalidSignature)),
                "changed {key}"
            );
        }
        // Adding or dropping a signed field breaks the signature too.
        let mut added = full_fields();
        added.push(("is_admin", "true"));
        assert!(matches!(verify(&added), Err(LoginError::InvalidSignature)));
        let dropped = without(&full_fields(), "photo_url");
        assert!(matches!(
            verify(&dropped),
            Err(LoginError::InvalidSignature)
        ));
    }

    #[test]
    fn changed_hash_is_rejected() {
        // Last digit 'b' -> 'c'.
        let changed = format!("{}c", &FULL_HASH[..63]);
        let mut fields: Vec<(&str, &str)> = without(&full_fields(), "hash");
        fields.push(("hash", &changed));
        assert!(matches!(verify(&fields), Err(LoginError::InvalidSignature)));
    }

    #[test]
    fn wrong_token_is_rejected() {
        let result = verify_login(
            full_fields(),
            "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew12",
            now(),
            DEFAULT_MAX_AGE,
        );
        assert!(matches!(result, Err(LoginError::InvalidSignature)));
    }

    #[test]
    fn stale_login_is_rejected() {
        let day = 24 * 60 * 60;
        let result = verify_login(
            full_fields(),
            TOKEN,
            at(AUTH_DATE + day + 1),
            DEFAULT_MAX_AGE,
        );
        assert!(
            matches!(result, Err(LoginError::Stale { age_secs }) if age_secs == day as u64 + 1)
        );
        // Exactly the maximum age is still fine.
        assert!(verify_login(full_fields(), TOKEN, at(AUTH_DATE + day), DEFAULT_MAX_AGE).is_ok());
        // A shorter maximum age is honoured.
        let result = verify_login(full_fields(), TOKEN, now(), Duration::from_secs(60));
        assert!(matches!(result, Err(LoginError::Stale { age_secs: 3600 })));
    }

    #[test]
    fn login_from_the_future_is_rejected() {
        let result = verify_login(full_fields(), TOKEN, at(AUTH_DATE - 61), DEFAULT_MAX_AGE);
        assert!(matches!(result, Err(LoginError::FromTheFuture)));
        // Up to a minute of clock skew is tolerated.
        assert!(verify_login(full_fields(), TOKEN, at(AUTH_DATE - 60), DEFAULT_MAX_AGE).is_ok());
    }

    #[test]
    fn missing_hash_is_rejected() {
        let fields = without(&full_fields(), "hash");
        assert!(matches!(
            verify(&fields),
            Err(LoginError::MissingField("hash"))
        ));
    }

    #[test]
    fn malformed_hash_is_rejected() {
        let non_hex = format!("{}g", &FULL_HASH[..63]);
        let too_long = format!("{FULL_HASH}0");
        // 32 two-byte characters: 64 bytes, but not hex.
        let multibyte = "é".repeat(32);
        for bad in [
            "",
            &FULL_HASH[..63],
            &FULL_HASH[..32],
            &non_hex,
            &too_long,
            &multibyte,
            " 438d42385a56a0896391a02cbaf329b69986c204dbb0bbeef14cd68ec6ef6dd",
        ] {
            let mut fields: Vec<(&str, &str)> = without(&full_fields(), "hash");
            fields.push(("hash", bad));
            assert!(
                matches!(verify(&fields), Err(LoginError::BadHash)),
                "hash {bad:?}"
            );
        }
    }

    #[test]
    fn duplicate_field_is_rejected() {
        let mut fields = full_fields();
        fields.push(("id", "123456789"));
        assert!(matches!(verify(&fields), Err(LoginError::DuplicateField(k)) if k == "id"));

        let mut fields = full_fields();
        fields.push(("hash", FULL_HASH));
        assert!(matches!(verify(&fields), Err(LoginError::DuplicateField(k)) if k == "hash"));

        let query = format!("id=42&first_name=Ann&auth_date=1700000000&id=42&hash={MINIMAL_HASH}");
        let result = verify_login_query(&query, TOKEN, now(), DEFAULT_MAX_AGE);
        assert!(matches!(result, Err(LoginError::DuplicateField(k)) if k == "id"));
    }

    #[test]
    fn missing_required_fields_are_rejected_after_the_signature() {
        for field in ["id", "first_name", "auth_date"] {
            let fields = signed(&without(&without(&full_fields(), "hash"), field));
            let result = verify_owned(&fields);
            assert!(
                matches!(result, Err(LoginError::MissingField(f)) if f == field),
                "without {field}: {result:?}"
            );
            // Unsigned, the same data fails on the signature first.
            let unsigned = without(&full_fields(), field);
            assert!(matches!(
                verify(&unsigned),
                Err(LoginError::InvalidSignature)
            ));
        }
    }

    #[test]
    fn malformed_numbers_are_rejected() {
        let fields = signed(&[
            ("id", "12abc"),
            ("first_name", "Ann"),
            ("auth_date", "1700000000"),
        ]);
        assert!(matches!(
            verify_owned(&fields),
            Err(LoginError::InvalidField { field: "id", .. })
        ));
        let fields = signed(&[
            ("id", "42"),
            ("first_name", "Ann"),
            ("auth_date", "yesterday"),
        ]);
        assert!(matches!(
            verify_owned(&fields),
            Err(LoginError::InvalidField {
                field: "auth_date",
                ..
            })
        ));
        let fields = signed(&[
            ("id", "42"),
            ("first_name", "Ann"),
            ("auth_date", "9223372036854775807"),
        ]);
        assert!(matches!(
            verify_owned(&fields),
            Err(LoginError::InvalidField {
                field: "auth_date",
                ..
            })
        ));
    }

    #[test]
    fn ambiguous_fields_are_rejected() {
        // A value swallowing the next field gives the same data-check-string
        // as the minimal fixture, so it must not pass on that signature.
        let fields = [
            ("auth_date", "1700000000"),
            ("first_name", "Ann\nid=42"),
            ("hash", MINIMAL_HASH),
        ];
        assert!(matches!(
            verify(&fields),
            Err(LoginError::InvalidField {
                field: "data-check-string",
                ..
            })
        ));
        let fields = [
            ("auth_date", "1700000000"),
            ("first_name=Ann\nid", "42"),
            ("hash", MINIMAL_HASH),
        ];
        assert!(matches!(
            verify(&fields),
            Err(LoginError::InvalidField {
                field: "data-check-string",
                ..
            })
        ));
    }

    #[test]
    fn query_string_with_percent_encoding_is_accepted() {
        let query = format!(
            "id=123456789&first_name=Jos%C3%A9&last_name=P%C3%A9rez&username=jose_p\
             &photo_url=https%3A%2F%2Ft.me%2Fi%2Fuserpic%2F320%2Fjose.jpg\
             &auth_date=1700000000&hash={FULL_HASH}"
        );
        let login = verify_login_query(&query, TOKEN, now(), DEFAULT_MAX_AGE).expect("valid");
        assert_eq!(login.first_name, "José");
        assert_eq!(login.last_name.as_deref(), Some("Pérez"));
        assert_eq!(login, verify(&full_fields()).expect("valid"));

        // A leading '?' is allowed.
        assert!(verify_login_query(&format!("?{query}"), TOKEN, now(), DEFAULT_MAX_AGE).is_ok());

        // Tampering in encoded form is still caught.
        let tampered = query.replace("Jos%C3%A9", "Jos%C3%A8");
        assert!(matches!(
            verify_login_query(&tampered, TOKEN, now(), DEFAULT_MAX_AGE),
            Err(LoginError::InvalidSignature)
        ));
    }

    #[test]
    fn errors_never_show_the_token_or_hash() {
        let changed_hash = format!("{}c", &FULL_HASH[..63]);
        let mut bad_hash_fields = without(&full_fields(), "hash");
        bad_hash_fields.push(("hash", &changed_hash));
        let mut dup_hash = full_fields();
        dup_hash.push(("hash", FULL_HASH));
        let errors = [
            verify(&with(&full_fields(), "username", "x")),
            verify(&bad_hash_fields),
            verify(&dup_hash),
            verify(&with(&full_fields(), "hash", "zz")),
            verify(&without(&full_fields(), "hash")),
            verify_login(
                full_fields(),
                TOKEN,
                at(AUTH_DATE + 100_000),
                DEFAULT_MAX_AGE,
            ),
            verify_login(full_fields(), TOKEN, at(AUTH_DATE - 100), DEFAULT_MAX_AGE),
            verify_owned(&signed(&[
                ("id", "x"),
                ("first_name", "A"),
                ("auth_date", "1"),
            ])),
        ];
        for result in errors {
            let error = result.expect_err("each case fails");
            for shown in [format!("{error:?}"), error.to_string()] {
                assert!(!shown.contains(TOKEN), "token in {shown}");
                assert!(!shown.contains("ABC-DEF1234"), "token part in {shown}");
                assert!(!shown.contains(FULL_HASH), "hash in {shown}");
                assert!(!shown.contains(&changed_hash), "hash in {shown}");
                assert!(!shown.contains(&FULL_HASH[..16]), "hash part in {shown}");
            }
        }
    }

    #[test]
    fn duplicate_field_name_is_cut_in_the_error() {
        let long = "k".repeat(1000);
        let fields = [(long.as_str(), "1"), (long.as_str(), "2")];
        let error = verify(&fields).expect_err("duplicate");
        assert!(matches!(&error, LoginError::DuplicateField(k) if k.len() == 64));
    }
}
