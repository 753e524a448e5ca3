//! Which language model the bot talks to: an OpenAI-compatible server when `FA_OPENAI_BASE_URL`
//! is set, Ollama otherwise; probed first, so a missing model or one without tool support is
//! reported instead of failing later.

use std::sync::Arc;

use fa_core::llm::{DynModel, OllamaModel, OllamaOptions, OpenAiCompatibleModel, OpenAiOptions};

/// The model to use, or why there is none (the bot then runs on commands only). A server that
/// is down now is still used: the chat answers offline until it is back. A model that does not
/// exist or cannot call tools is not.
pub async fn connect() -> Result<(DynModel, Option<String>), String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let model: DynModel = match env("FA_OPENAI_BASE_URL") {
        Some(base_url) => {
            let name = env("FA_OPENAI_MODEL")
                .ok_or("FA_OPENAI_BASE_URL is set but FA_OPENAI_MODEL is not")?;
            let mut options = OpenAiOptions::new(base_url, name);
            if let Some(key) = env("FA_OPENAI_API_KEY") {
                options = options.api_key(key);
            }
            Arc::new(OpenAiCompatibleModel::new(options).map_err(|e| e.to_string())?)
        }
        None => {
            let name = env("FA_MODEL").unwrap_or_else(|| "qwen3:8b".to_owned());
            Arc::new(OllamaModel::new(OllamaOptions::new(name)).map_err(|e| e.to_string())?)
        }
    };
    match model.probe().await {
        Ok(_) => Ok((model, None)),
        Err(error) if error.is_offline() => Ok((model, Some(error.to_string()))),
        Err(error) => Err(error.to_string()),
    }
}
