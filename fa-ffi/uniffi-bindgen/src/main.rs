//! UniFFI's bindings generator, built from this workspace so that its version is the one
//! `fa-ffi` links: `cargo run -p uniffi-bindgen -- generate --library <libfa_ffi.so> ...`.
//! `scripts/bindings` runs it for Kotlin, Swift and Python.

fn main() {
    uniffi::uniffi_bindgen_main()
}
