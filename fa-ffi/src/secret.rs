//! [`SecretText`]: a secret handed to fa by the app (a master key, a client secret, an AWS
//! secret key). It is an object, not a string field, because the bindings print records field
//! by field (Kotlin's `toString`, Python's `__str__`, Swift's `description`): an object prints
//! as its handle, and this one gives its text back to no one.

use fa_core::Secret;

/// A secret the app gives fa: it can be made and passed, never read back or printed.
#[derive(uniffi::Object)]
pub struct SecretText(pub(crate) Secret);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(***)")
    }
}

#[uniffi::export]
impl SecretText {
    /// Wraps `value`.
    #[uniffi::constructor]
    pub fn new(value: String) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self(Secret::new(value)))
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl SecretText {
    /// The secret, for the one place that uses it.
    pub(crate) fn secret(&self) -> Secret {
        self.0.clone()
    }
}
