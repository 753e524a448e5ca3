//! The language-model backends against wiremock servers shaped like the providers' APIs.

mod ollama;
mod openai;
