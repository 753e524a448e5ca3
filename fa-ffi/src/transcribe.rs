//! `Transcriber`: speech to text on an OpenAI-compatible `/v1/audio/transcriptions` server
//! (whisper.cpp's server, faster-whisper, OpenAI).

use std::sync::Arc;
use std::time::Duration;

use fa_core::transcription::{Audio, OpenAiTranscriber, Transcriber as _, TranscriberOptions};

use crate::error::{FaError, Result};
use crate::runtime::run;

/// What was said.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TranscriptText {
    /// The text.
    pub text: String,
    /// The language, when the server says.
    pub language: Option<String>,
    /// The audio's length, when the server says.
    pub duration: Option<Duration>,
}

/// Speech to text.
#[derive(uniffi::Object)]
pub struct Transcriber {
    inner: Arc<OpenAiTranscriber>,
}

#[uniffi::export]
impl Transcriber {
    /// A transcriber on the server at `base_url`.
    #[uniffi::constructor(default(model = None, api_key = None, timeout = None))]
    pub fn new(
        base_url: String,
        model: Option<String>,
        api_key: Option<String>,
        timeout: Option<Duration>,
    ) -> Result<Arc<Self>> {
        let mut options = TranscriberOptions::new(base_url);
        if let Some(model) = model {
            options = options.model(model);
        }
        if let Some(key) = api_key {
            options = options.api_key(key);
        }
        if let Some(timeout) = timeout {
            options = options.request_timeout(timeout);
        }
        let inner = OpenAiTranscriber::new(options)
            .map_err(|e| FaError::invalid("transcriber options", e))?;
        Ok(Arc::new(Self {
            inner: Arc::new(inner),
        }))
    }

    /// Transcribes an audio file's bytes (OGG/Opus, WAV, M4A…), in `language` when given.
    #[uniffi::method(default(language = None))]
    pub async fn transcribe(
        &self,
        audio: Vec<u8>,
        file_name: String,
        mime_type: String,
        language: Option<String>,
    ) -> Result<TranscriptText> {
        let inner = self.inner.clone();
        run(async move {
            let transcript = inner
                .transcribe(Audio::new(audio, file_name, mime_type), language.as_deref())
                .await?;
            Ok::<_, fa_core::llm::ModelError>(TranscriptText {
                text: transcript.text,
                language: transcript.language,
                duration: transcript.duration,
            })
        })
        .await
    }
}
