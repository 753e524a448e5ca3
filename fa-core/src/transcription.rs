//! Speech to text: the [`Transcriber`] trait, and [`OpenAiTranscriber`] for servers that speak
//! OpenAI's `POST /v1/audio/transcriptions`.
//!
//! | server | endpoint | base URL to configure |
//! |---|---|---|
//! | OpenAI | `/v1/audio/transcriptions` | `https://api.openai.com/v1` |
//! | faster-whisper-server / speaches | `/v1/audio/transcriptions` | `http://127.0.0.1:8000/v1` |
//! | whisper.cpp `whisper-server` | `/inference` by default; start it with `--inference-path /v1/audio/transcriptions` | `http://127.0.0.1:8080/v1` |
//!
//! whisper.cpp's server reads WAV only unless started with `--convert` (which needs ffmpeg);
//! Telegram voice notes are Ogg/Opus, so start it with `--convert` for them.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use crate::llm::ModelError;
#[cfg(feature = "openai")]
use crate::llm::ModelErrorKind;

/// Audio to transcribe.
#[derive(Clone)]
#[non_exhaustive]
pub struct Audio {
    /// The encoded audio (Ogg/Opus, MP3, WAV, …).
    pub bytes: Vec<u8>,
    /// A file name whose extension tells the format, e.g. `voice.ogg`.
    pub file_name: String,
    /// The MIME type, e.g. `audio/ogg`.
    pub mime_type: String,
}

impl Audio {
    /// Audio of `bytes`, named `file_name`, of type `mime_type`.
    pub fn new(bytes: Vec<u8>, file_name: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Self {
            bytes,
            file_name: file_name.into(),
            mime_type: mime_type.into(),
        }
    }
}

/// Prints only the length and the type: a recording is personal data.
impl fmt::Debug for Audio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Audio")
            .field("len", &self.bytes.len())
            .field("mime_type", &self.mime_type)
            .finish_non_exhaustive()
    }
}

/// A transcript.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Transcript {
    /// What was said.
    pub text: String,
    /// The spoken language, when the server says (a code like `de` or a name like `german`).
    pub language: Option<String>,
    /// The audio's length, when the server says.
    pub duration: Option<Duration>,
}

impl Transcript {
    /// A transcript of `text`, with no language or duration.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            language: None,
            duration: None,
        }
    }

    /// Records the language.
    pub fn with_language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Records the duration.
    pub fn with_duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }
}

/// Speech to text. Hold it as `Arc<dyn Transcriber>`.
#[async_trait]
pub trait Transcriber: Send + Sync + fmt::Debug {
    /// Transcribes `audio`. `language_hint` (a member's BCP 47 locale such as `de-AT`, or an
    /// ISO-639-1 code such as `de`) helps the recognizer when known. Errors use [`ModelError`]'s kinds, with messages that say what to do.
    async fn transcribe(
        &self,
        audio: Audio,
        language_hint: Option<&str>,
    ) -> Result<Transcript, ModelError>;
}

#[cfg(feature = "openai")]
pub use self::openai::{OpenAiTranscriber, TranscriberOptions};

#[cfg(feature = "openai")]
mod openai {
    use std::fmt;
    use std::time::Duration;

    use async_trait::async_trait;
    use reqwest::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};
    use reqwest::multipart::{Form, Part};
    use reqwest::{Client, StatusCode};
    use serde_json::Value;

    use super::{Audio, ModelError, ModelErrorKind, Transcriber, Transcript};
    use crate::Secret;

    /// Where the transcription server is and how to talk to it.
    #[derive(Clone)]
    #[non_exhaustive]
    pub struct TranscriberOptions {
        /// The API's base URL: the part before `/audio/transcriptions`. Default
        /// `http://localhost:8000/v1` (faster-whisper-server's port). See the
        /// [module docs](super) for whisper.cpp.
        pub base_url: String,
        /// The model's name. Default `whisper-1` (OpenAI's; local servers mostly ignore it or
        /// take their own names, such as `Systran/faster-whisper-small`).
        pub model: String,
        /// Sent as `Authorization: Bearer …` when set; never logged or printed.
        pub api_key: Option<Secret>,
        /// How long to wait for the transcript. Default 120 s.
        pub request_timeout: Duration,
        /// How long to wait for a connection. Default 5 s.
        pub connect_timeout: Duration,
        /// Audio larger than this is refused before sending. Default 25 MiB (OpenAI's limit).
        pub max_bytes: usize,
    }

    impl TranscriberOptions {
        /// The default base URL.
        pub const DEFAULT_BASE_URL: &'static str = "http://localhost:8000/v1";

        /// Options for the server at `base_url`, with the other settings at their defaults.
        pub fn new(base_url: impl Into<String>) -> Self {
            Self {
                base_url: base_url.into(),
                ..Self::default()
            }
        }

        /// Sets the model name.
        pub fn model(mut self, model: impl Into<String>) -> Self {
            self.model = model.into();
            self
        }

        /// Sets the API key.
        pub fn api_key(mut self, key: impl Into<String>) -> Self {
            self.api_key = Some(Secret::new(key.into()));
            self
        }

        /// Sets the request timeout.
        pub fn request_timeout(mut self, timeout: Duration) -> Self {
            self.request_timeout = timeout;
            self
        }

        /// Sets the largest audio sent, in bytes.
        pub fn max_bytes(mut self, max_bytes: usize) -> Self {
            self.max_bytes = max_bytes;
            self
        }
    }

    impl Default for TranscriberOptions {
        fn default() -> Self {
            Self {
                base_url: Self::DEFAULT_BASE_URL.to_owned(),
                model: "whisper-1".to_owned(),
                api_key: None,
                request_timeout: Duration::from_secs(120),
                connect_timeout: Duration::from_secs(5),
                max_bytes: 25 * 1024 * 1024,
            }
        }
    }

    impl fmt::Debug for TranscriberOptions {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("TranscriberOptions")
                .field("base_url", &self.base_url)
                .field("model", &self.model)
                .field("api_key", &self.api_key.as_ref().map(|_| "***"))
                .field("request_timeout", &self.request_timeout)
                .field("connect_timeout", &self.connect_timeout)
                .field("max_bytes", &self.max_bytes)
                .finish()
        }
    }

    /// A [`Transcriber`] for OpenAI's `POST {base_url}/audio/transcriptions` (multipart: `file`,
    /// `model`, optional `language`, `response_format=json`). Reads `{"text": …}` and the
    /// `verbose_json` shape (`language`, `duration`).
    pub struct OpenAiTranscriber {
        client: Client,
        options: TranscriberOptions,
        base_url: String,
        url: String,
    }

    impl fmt::Debug for OpenAiTranscriber {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("OpenAiTranscriber")
                .field("options", &self.options)
                .finish_non_exhaustive()
        }
    }

    fn rejected(message: impl Into<String>) -> ModelError {
        ModelError::new(ModelErrorKind::Rejected, message)
    }

    impl OpenAiTranscriber {
        /// A client for the server in `options`. Fails when the base URL is unusable; does not
        /// contact the server.
        pub fn new(options: TranscriberOptions) -> Result<Self, ModelError> {
            let base_url = options.base_url.trim().trim_end_matches('/').to_owned();
            let parsed = reqwest::Url::parse(&base_url).map_err(|error| {
                rejected(format!(
                    "The transcription server address `{base_url}` is not a URL; give one like \
                     http://127.0.0.1:8000/v1."
                ))
                .with_source(error)
            })?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(rejected(format!(
                    "The transcription server address `{base_url}` must start with http:// or \
                     https://."
                )));
            }
            let client = Client::builder()
                .connect_timeout(options.connect_timeout)
                .timeout(options.request_timeout)
                .build()
                .map_err(|error| {
                    rejected("Cannot set up an HTTP client for the transcription server.")
                        .with_source(error)
                })?;
            let url = format!("{base_url}/audio/transcriptions");
            Ok(Self {
                client,
                options,
                base_url,
                url,
            })
        }

        fn transport_error(&self, error: reqwest::Error) -> ModelError {
            let base = &self.base_url;
            let (kind, message) = if error.is_connect() {
                (
                    ModelErrorKind::Unreachable,
                    format!(
                        "Cannot reach the transcription server at {base}; is it running, and is \
                         the address right?"
                    ),
                )
            } else if error.is_timeout() {
                (
                    ModelErrorKind::Timeout,
                    format!(
                        "The transcription server at {base} did not answer within {:.1} s; retry \
                         later, send shorter audio, or raise request_timeout.",
                        self.options.request_timeout.as_secs_f64()
                    ),
                )
            } else if error.is_body() || error.is_decode() {
                (
                    ModelErrorKind::BadResponse,
                    format!("The transcription server at {base} broke off its answer; retry."),
                )
            } else {
                (
                    ModelErrorKind::Unreachable,
                    format!(
                        "Cannot talk to the transcription server at {base}; is it running, and is \
                         the address right?"
                    ),
                )
            };
            ModelError::new(kind, message).with_source(error)
        }

        fn status_error(
            &self,
            status: StatusCode,
            retry_after: Option<Duration>,
            body: &[u8],
        ) -> ModelError {
            let base = &self.base_url;
            let code = status.as_u16();
            let message = server_message(body);
            let said = if message.is_empty() {
                String::new()
            } else {
                format!(" The server said: {message}")
            };
            let error = match code {
                429 => ModelError::new(
                    ModelErrorKind::RateLimited,
                    format!(
                        "The transcription server at {base} is rate limiting requests (HTTP 429); \
                         retry in a while.{said}"
                    ),
                ),
                401 | 403 => rejected(format!(
                    "The transcription server at {base} refused the request (HTTP {code}): the \
                     API key is missing or wrong. Set the API key the server expects.{said}"
                )),
                404 if message.to_lowercase().contains("model") => ModelError::new(
                    ModelErrorKind::ModelNotFound,
                    format!(
                        "The transcription server at {base} has no model `{}` (HTTP 404). Set the \
                         model to one it serves.{said}",
                        self.options.model
                    ),
                ),
                404 | 405 => rejected(format!(
                    "The transcription server has no {} (HTTP {code}). Check the base URL (the \
                     part before /audio/transcriptions, usually ending in /v1); whisper.cpp's \
                     whisper-server serves this path only when started with --inference-path \
                     /v1/audio/transcriptions.{said}",
                    self.url
                )),
                413 => rejected(format!(
                    "The transcription server at {base} says the audio is too large (HTTP 413); \
                     send a shorter recording.{said}"
                )),
                _ if status.is_server_error() => ModelError::new(
                    ModelErrorKind::ServerError,
                    format!(
                        "The transcription server at {base} failed (HTTP {code}); retry in a \
                         while, and check the server's log if it keeps failing (whisper.cpp reads \
                         only WAV unless started with --convert).{said}"
                    ),
                ),
                _ => rejected(format!(
                    "The transcription server at {base} refused the audio (HTTP {code}).{said}"
                )),
            };
            match retry_after {
                Some(after) if code == 429 || status.is_server_error() => {
                    error.with_retry_after(after)
                }
                _ => error,
            }
        }

        fn bad_response(&self, what: &str) -> ModelError {
            ModelError::new(
                ModelErrorKind::BadResponse,
                format!(
                    "The transcription server at {} sent an answer that cannot be read ({what}). \
                     Is it an OpenAI-compatible server, and does the base URL end in /v1?",
                    self.base_url
                ),
            )
        }

        fn parse(&self, body: &[u8], content_type: &str) -> Result<Transcript, ModelError> {
            if content_type.starts_with("text/plain") {
                // response_format=text, from a server that ignored the json asked for.
                return Ok(Transcript::new(String::from_utf8_lossy(body).trim()));
            }
            let value: Value = serde_json::from_slice(body)
                .map_err(|error| self.bad_response("not JSON").with_source(error))?;
            if let Some(error) = value.get("error").filter(|error| !error.is_null()) {
                return Err(ModelError::new(
                    ModelErrorKind::ServerError,
                    format!(
                        "The transcription server at {} failed: {}",
                        self.base_url,
                        error_text(error)
                    ),
                ));
            }
            let Some(text) = value.get("text").and_then(Value::as_str) else {
                return Err(self.bad_response("no `text` in it"));
            };
            let language = value
                .get("language")
                .and_then(Value::as_str)
                .filter(|language| !language.is_empty())
                .map(str::to_owned);
            let duration = value
                .get("duration")
                .and_then(|duration| match duration {
                    Value::Number(number) => number.as_f64(),
                    Value::String(text) => text.trim().parse().ok(),
                    _ => None,
                })
                .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok());
            Ok(Transcript {
                text: text.trim().to_owned(),
                language,
                duration,
            })
        }
    }

    /// The ISO-639 code servers take as `language`: the primary subtag of a BCP 47 tag
    /// (`de-AT` → `de`), or nothing when the hint has no usable one.
    fn language_code(hint: &str) -> Option<String> {
        let primary = hint.trim().split(['-', '_']).next()?;
        ((2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic()))
            .then(|| primary.to_ascii_lowercase())
    }

    fn error_text(error: &Value) -> String {
        match error {
            Value::String(text) => text.clone(),
            other => other
                .get("message")
                .and_then(Value::as_str)
                .map_or_else(|| other.to_string(), str::to_owned),
        }
    }

    /// `error.message`, `{"error": "…"}` (whisper.cpp), `{"detail": …}` (FastAPI), or the text.
    fn server_message(body: &[u8]) -> String {
        let message = match serde_json::from_slice::<Value>(body) {
            Ok(value) => match value.get("error").or_else(|| value.get("detail")) {
                Some(error) => error_text(error),
                None => value.to_string(),
            },
            Err(_) => String::from_utf8_lossy(body).trim().to_owned(),
        };
        message.chars().take(500).collect()
    }

    #[async_trait]
    impl Transcriber for OpenAiTranscriber {
        async fn transcribe(
            &self,
            audio: Audio,
            language_hint: Option<&str>,
        ) -> Result<Transcript, ModelError> {
            if audio.bytes.is_empty() {
                return Err(rejected(
                    "The audio is empty; there is nothing to transcribe.",
                ));
            }
            if audio.bytes.len() > self.options.max_bytes {
                let mib = |bytes: usize| bytes as f64 / (1024.0 * 1024.0);
                return Err(rejected(format!(
                    "The audio is {:.1} MiB; the transcription server takes at most {:.1} MiB. \
                     Send a shorter recording.",
                    mib(audio.bytes.len()),
                    mib(self.options.max_bytes)
                )));
            }
            let size = audio.bytes.len();
            let file_name = if audio.file_name.trim().is_empty() {
                "audio".to_owned()
            } else {
                audio.file_name
            };
            let file = Part::bytes(audio.bytes).file_name(file_name);
            let file = match file.mime_str(&audio.mime_type) {
                Ok(file) => file,
                Err(error) => {
                    return Err(rejected(format!(
                        "The audio's type `{}` is not a MIME type; give one like audio/ogg.",
                        audio.mime_type
                    ))
                    .with_source(error));
                }
            };
            let mut form = Form::new()
                .part("file", file)
                .text("model", self.options.model.clone());
            if let Some(language) = language_hint.and_then(language_code) {
                form = form.text("language", language);
            }
            form = form.text("response_format", "json");
            let mut request = self
                .client
                .post(&self.url)
                .header(ACCEPT, "application/json")
                .multipart(form);
            if let Some(key) = &self.options.api_key {
                request = request.bearer_auth(key.expose());
            }
            tracing::debug!(url = %self.url, size, "sending audio for transcription");
            let response = request
                .send()
                .await
                .map_err(|error| self.transport_error(error))?;
            let status = response.status();
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_ascii_lowercase();
            let body = response
                .bytes()
                .await
                .map_err(|error| self.transport_error(error))?;
            if !status.is_success() {
                tracing::debug!(url = %self.url, %status, "transcription server refused");
                return Err(self.status_error(status, retry_after, &body));
            }
            self.parse(&body, &content_type)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn debug_hides_the_api_key() {
            let options =
                TranscriberOptions::new("http://127.0.0.1:8000/v1").api_key("sk-secret-456");
            let printed = format!("{options:?}");
            assert!(!printed.contains("sk-secret-456"), "{printed}");
            assert!(printed.contains("***"), "{printed}");
            let transcriber = OpenAiTranscriber::new(options).unwrap();
            let printed = format!("{transcriber:?}");
            assert!(!printed.contains("sk-secret-456"), "{printed}");
            assert!(printed.contains("***"), "{printed}");
        }

        #[test]
        fn defaults() {
            let options = TranscriberOptions::default();
            assert_eq!(options.base_url, "http://localhost:8000/v1");
            assert_eq!(options.model, "whisper-1");
            assert_eq!(options.max_bytes, 25 * 1024 * 1024);
            assert_eq!(options.request_timeout, Duration::from_secs(120));
        }

        #[test]
        fn language_hints_become_iso_639_codes() {
            assert_eq!(language_code("de").as_deref(), Some("de"));
            assert_eq!(language_code("de-AT").as_deref(), Some("de"));
            assert_eq!(language_code("EN_gb").as_deref(), Some("en"));
            assert_eq!(language_code("es-419").as_deref(), Some("es"));
            assert_eq!(language_code(""), None);
            assert_eq!(language_code("english"), None);
        }

        #[test]
        fn refuses_a_bad_base_url() {
            let error =
                OpenAiTranscriber::new(TranscriberOptions::new("whisper:8080")).unwrap_err();
            assert_eq!(error.kind(), ModelErrorKind::Rejected);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_debug_shows_only_length_and_type() {
        let audio = Audio::new(b"OggS-private-voice".to_vec(), "voice.ogg", "audio/ogg");
        let printed = format!("{audio:?}");
        assert!(printed.contains("18"), "{printed}");
        assert!(printed.contains("audio/ogg"), "{printed}");
        assert!(!printed.contains("OggS"), "{printed}");
        assert!(!printed.contains("79"), "{printed}"); // no byte values either
    }

    #[test]
    fn transcript_builders() {
        let transcript = Transcript::new("hallo")
            .with_language("de")
            .with_duration(Duration::from_secs(2));
        assert_eq!(transcript.language.as_deref(), Some("de"));
        assert_eq!(transcript.duration, Some(Duration::from_secs(2)));
    }
}
