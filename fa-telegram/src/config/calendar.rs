//! The `[calendar]` section: the bot's public URL for OAuth links, and the operator's Google and
//! Microsoft OAuth apps. Members' own passwords and tokens are never here: they connect with
//! `/calendar connect` and what lets fa in is stored sealed by the vault.

use fa_core::Secret;
use url::Url;

use super::{ConfigError, Env, HTTP_URL, InlineSecret, Schema, Section, WEBHOOK_URL, secret};

const ENV_PUBLIC_URL: &str = "FA_PUBLIC_URL";
const ENV_GOOGLE_CLIENT_ID: &str = "FA_GOOGLE_CLIENT_ID";
const ENV_GOOGLE_CLIENT_SECRET: &str = "FA_GOOGLE_CLIENT_SECRET";
const ENV_MICROSOFT_CLIENT_ID: &str = "FA_MICROSOFT_CLIENT_ID";
const ENV_MICROSOFT_CLIENT_SECRET: &str = "FA_MICROSOFT_CLIENT_SECRET";

/// Calendars (`[calendar]`): present when `enabled = true` or an OAuth app is configured.
/// CalDAV (iCloud, Fastmail, Nextcloud) needs nothing more; Google and Microsoft need their app
/// and a public URL the providers send members back to.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CalendarConfig {
    /// The bot's public base URL (`[calendar] public_url`, env `FA_PUBLIC_URL`); default: the
    /// webhook's origin. OAuth links are `{public_url}/oauth/{google|microsoft}/start`.
    pub public_url: Option<Url>,
    /// The Google OAuth app (`google_client_id`, env `FA_GOOGLE_CLIENT_ID`; the secret from env
    /// `FA_GOOGLE_CLIENT_SECRET` or `google_client_secret_file`).
    pub google: Option<OAuthAppConfig>,
    /// The Microsoft OAuth app (`microsoft_client_id`, env `FA_MICROSOFT_CLIENT_ID`; the secret
    /// from env `FA_MICROSOFT_CLIENT_SECRET` or `microsoft_client_secret_file`).
    pub microsoft: Option<OAuthAppConfig>,
    /// Another Google Calendar API endpoint (tests): `google_api_url`.
    pub google_api_url: Option<Url>,
    /// Another Microsoft Graph endpoint (tests): `graph_api_url`.
    pub graph_api_url: Option<Url>,
}

/// One OAuth app.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OAuthAppConfig {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: Secret,
    /// Another authorization endpoint (tests): `google_auth_url` / `microsoft_auth_url`.
    pub authorize_url: Option<Url>,
    /// Another token endpoint (tests): `google_token_url` / `microsoft_token_url`.
    pub token_url: Option<Url>,
}

pub(super) static CALENDAR: Schema = Schema {
    path: "calendar",
    keys: &[
        "enabled",
        "public_url",
        "google_client_id",
        "google_client_secret_file",
        "google_auth_url",
        "google_token_url",
        "google_api_url",
        "microsoft_client_id",
        "microsoft_client_secret_file",
        "microsoft_auth_url",
        "microsoft_token_url",
        "graph_api_url",
    ],
    secrets: &[
        InlineSecret {
            key: "google_client_secret",
            env: ENV_GOOGLE_CLIENT_SECRET,
            file_key: "google_client_secret_file",
        },
        InlineSecret {
            key: "microsoft_client_secret",
            env: ENV_MICROSOFT_CLIENT_SECRET,
            file_key: "microsoft_client_secret_file",
        },
    ],
};

fn app(
    env: &Env<'_>,
    section: &Section<'_>,
    prefix: &str,
    (id_var, secret_var): (&str, &str),
) -> Result<Option<OAuthAppConfig>, ConfigError> {
    let file_id = section.text(&format!("{prefix}_client_id"))?;
    let secret_key = format!("{prefix}_client_secret_file");
    let authorize_url = section.parse(&format!("{prefix}_auth_url"), &HTTP_URL)?;
    let token_url = section.parse(&format!("{prefix}_token_url"), &HTTP_URL)?;
    let found = secret(env, &[secret_var], section, &secret_key)?;
    let Some(client_id) = env.get(id_var).or(file_id) else {
        return Ok(None);
    };
    let Some((client_secret, _)) = found else {
        return Err(section.error(
            &secret_key,
            format!(
                "calendar.{prefix}_client_id is set but its client secret is not: set \
                 {secret_var} or calendar.{prefix}_client_secret_file"
            ),
        ));
    };
    Ok(Some(OAuthAppConfig {
        client_id,
        client_secret,
        authorize_url,
        token_url,
    }))
}

pub(super) fn calendar_config(
    env: &Env<'_>,
    section: &Section<'_>,
    webhook: Option<&Url>,
) -> Result<Option<CalendarConfig>, ConfigError> {
    let enabled = section.boolean("enabled")?;
    if enabled == Some(false) {
        return Ok(None);
    }
    let file_public = section.parse("public_url", &WEBHOOK_URL)?;
    let google = app(
        env,
        section,
        "google",
        (ENV_GOOGLE_CLIENT_ID, ENV_GOOGLE_CLIENT_SECRET),
    )?;
    let microsoft = app(
        env,
        section,
        "microsoft",
        (ENV_MICROSOFT_CLIENT_ID, ENV_MICROSOFT_CLIENT_SECRET),
    )?;
    let google_api_url = section.parse("google_api_url", &HTTP_URL)?;
    let graph_api_url = section.parse("graph_api_url", &HTTP_URL)?;
    let oauth = google.is_some() || microsoft.is_some();
    if enabled.is_none() && !oauth {
        return Ok(None);
    }
    let public_url = env
        .parse(ENV_PUBLIC_URL, &WEBHOOK_URL)?
        .or(file_public)
        .or_else(|| {
            let mut origin = webhook?.clone();
            origin.set_path("");
            origin.set_query(None);
            Some(origin)
        });
    if oauth && public_url.is_none() {
        return Err(section.error(
            "public_url",
            format!(
                "Google and Microsoft send members back to the bot after signing in: set \
                 calendar.public_url (e.g. https://fa.example.org, served by [http] listen) or \
                 {ENV_PUBLIC_URL}"
            ),
        ));
    }
    Ok(Some(CalendarConfig {
        public_url,
        google,
        microsoft,
        google_api_url,
        graph_api_url,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{error, load_str};

    #[test]
    fn the_calendar_section_is_off_until_enabled_or_an_app_is_set() {
        assert!(load_str("", &[]).unwrap().calendar.is_none());
        let caldav = load_str("[calendar]\nenabled = true\n", &[]).unwrap();
        let calendar = caldav.calendar.unwrap();
        assert!(calendar.google.is_none() && calendar.public_url.is_none());
        assert!(
            load_str(
                "[calendar]\nenabled = false\ngoogle_client_id = \"x\"\n",
                &[]
            )
            .unwrap()
            .calendar
            .is_none()
        );
    }

    #[test]
    fn an_oauth_app_needs_its_secret_and_a_public_url() {
        let text = "[calendar]\ngoogle_client_id = \"1234.apps.googleusercontent.com\"\n";
        let missing = error(text, &[]);
        assert_eq!(missing.key, "calendar.google_client_secret_file");
        let no_url = error(text, &[("FA_GOOGLE_CLIENT_SECRET", "g-secret")]);
        assert_eq!(no_url.key, "calendar.public_url");
        let config = load_str(
            text,
            &[
                ("FA_GOOGLE_CLIENT_SECRET", "g-secret"),
                ("FA_PUBLIC_URL", "https://fa.example.org"),
            ],
        )
        .unwrap()
        .calendar
        .unwrap();
        let google = config.google.clone().unwrap();
        assert_eq!(google.client_secret.expose(), "g-secret");
        assert_eq!(
            config.public_url.unwrap().as_str(),
            "https://fa.example.org/"
        );
        assert!(!format!("{google:?}").contains("g-secret"));
        // Written in the file, a secret is refused and named.
        let inline = error("[calendar]\nmicrosoft_client_secret = \"oops\"\n", &[]);
        assert_eq!(inline.key, "calendar.microsoft_client_secret");
        assert!(!inline.to_string().contains("oops"));
    }

    #[test]
    fn the_public_url_defaults_to_the_webhooks_origin() {
        let text = "[telegram.webhook]\npublic_url = \"https://fa.example.org/telegram/webhook\"\n\
                    [calendar]\nmicrosoft_client_id = \"m-id\"\n";
        let config = load_str(
            text,
            &[
                (
                    "FA_TELEGRAM_TOKEN",
                    "123456:ABCdefGhIJKlmNoPQRstuVWxyZ-12345678",
                ),
                ("FA_MICROSOFT_CLIENT_SECRET", "m-secret"),
            ],
        )
        .unwrap()
        .calendar
        .unwrap();
        assert_eq!(
            config.public_url.unwrap().as_str(),
            "https://fa.example.org/"
        );
    }
}
