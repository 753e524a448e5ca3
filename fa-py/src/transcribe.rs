//! `Transcriber`: speech to text on an OpenAI-compatible `/v1/audio/transcriptions` server
//! (whisper.cpp's server, faster-whisper, OpenAI).

use std::sync::Arc;

use fa_core::transcription::{Audio, OpenAiTranscriber, Transcriber as _, TranscriberOptions};
use pyo3::prelude::*;
use serde_json::json;

use crate::convert::{Json, seconds};
use crate::errors::{invalid, model_to_py};

/// Speech to text.
#[pyclass(module = "family_assistant._native", frozen)]
pub(crate) struct Transcriber {
    inner: Arc<OpenAiTranscriber>,
}

#[pymethods]
impl Transcriber {
    #[new]
    #[pyo3(signature = (base_url, model = None, api_key = None, timeout = None))]
    fn new(
        base_url: String,
        model: Option<String>,
        api_key: Option<String>,
        timeout: Option<f64>,
    ) -> PyResult<Self> {
        let mut options = TranscriberOptions::new(base_url);
        if let Some(model) = model {
            options = options.model(model);
        }
        if let Some(key) = api_key {
            options = options.api_key(key);
        }
        if let Some(timeout) = timeout {
            options = options.request_timeout(seconds("timeout", timeout)?);
        }
        let inner = OpenAiTranscriber::new(options)
            .map_err(|e| invalid("transcriber options", e.to_string()))?;
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Transcribes audio (`bytes` of a file such as OGG/Opus or WAV); returns `{text, language,
    /// duration}` (duration in seconds, when the server says).
    #[pyo3(signature = (audio, file_name, mime_type, language = None))]
    fn transcribe<'py>(
        &self,
        py: Python<'py>,
        audio: Vec<u8>,
        file_name: String,
        mime_type: String,
        language: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        crate::bridge::future(py, async move {
            let transcript = inner
                .transcribe(Audio::new(audio, file_name, mime_type), language.as_deref())
                .await
                .map_err(model_to_py)?;
            Ok(Json(json!({
                "text": transcript.text,
                "language": transcript.language,
                "duration": transcript.duration.map(|d| d.as_secs_f64()),
            })))
        })
    }
}
