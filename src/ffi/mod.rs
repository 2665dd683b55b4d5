//! The C ABI: the only module with `extern "C"`, raw pointers and `unsafe`.
//!
//! Conventions (also at the top of `include/layer_identity.h`):
//! - Every fallible function returns `LayerStatus` and takes a last `char **out_error` (may be
//!   NULL); on failure it receives a message to free with `layer_string_free`.
//! - Strings in are UTF-8, either NUL-terminated (the ABI 1 and 2 functions) or pointer and
//!   length (the `_n` functions and everything since ABI 3), and never retained. Strings out
//!   are freed only with `layer_string_free`. Out-parameters are written only on success.
//! - No panic crosses the boundary, and OpenSSL's error queue is left empty on return.
//!
//! One file per subject; cbindgen reads them all (see build.rs) to write the header, so
//! constants are literals (checked against the core below) and every item's doc comment is
//! its C contract.

#![allow(non_camel_case_types)]

mod args;
mod claims;
mod endpoint;
mod guard;
mod library;
mod signing;
mod verifying;

pub use claims::*;
pub use endpoint::*;
pub use library::*;
pub use signing::*;
pub use verifying::*;

use crate::flags::Flags;
pub use crate::status::{LayerEit, LayerStatus};

/// Sign with `"typ":"JWT"` instead of the default `"typ":"JWS"`.
pub const LAYER_FLAG_TYP_JWT: u32 = 1;
/// Admit legacy 1024-bit RSA keys (early Layer accounts). Never the default.
pub const LAYER_FLAG_ALLOW_1024_BIT_KEY: u32 = 2;

/// The lifetime a token gets when `ttl_seconds` is 0: a Layer nonce lives ten minutes.
pub const LAYER_DEFAULT_TTL_SECONDS: u32 = 600;
/// The clock skew every binding's verifier tolerates unless told otherwise (the C function
/// takes its `leeway_seconds` explicitly): signers that round the clock put `iat` up to a
/// second ahead, and servers' clocks drift.
pub const LAYER_DEFAULT_LEEWAY_SECONDS: u32 = 60;

/// The version of this C ABI. It grows by one whenever functions or statuses are added;
/// nothing is ever removed or changed within one soname (`liblayer_identity.so.0`). A binding
/// built against this header needs `layer_abi_version() >= LAYER_ABI_VERSION` from the library
/// it loads, and says so clearly otherwise. (A library older than this function has no
/// `layer_abi_version` symbol at all.)
///
/// ABI 3 added the pointer-and-length (`_n`) functions, `layer_verifier_verify_n` (every
/// claim in one call), `layer_token_type_flags` and the endpoint (`LayerExchange`).
pub const LAYER_ABI_VERSION: u32 = 3;

const _: () = assert!(LAYER_DEFAULT_TTL_SECONDS == crate::token::DEFAULT_TTL_SECONDS);
const _: () = assert!(LAYER_DEFAULT_LEEWAY_SECONDS == crate::verify::DEFAULT_LEEWAY_SECONDS);
const _: () = assert!(LAYER_FLAG_TYP_JWT == Flags::TYP_JWT.bits());
const _: () = assert!(LAYER_FLAG_ALLOW_1024_BIT_KEY == Flags::ALLOW_1024_BIT_KEY.bits());

/// The integer behind a `LayerStatus` passed in from C. Taking it as an integer keeps a value
/// outside the enum (possible from C and from dynamic bindings) from being undefined behaviour
/// in Rust; cbindgen.toml renames it so the header shows `LayerStatus`.
pub type LayerStatusValue = std::ffi::c_int;

/// The integer behind a `LayerEit` passed in from C, for the same reason; the header shows
/// `LayerEit`.
pub type LayerEitValue = std::ffi::c_int;
