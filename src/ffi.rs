//! The C ABI: the only module with `extern "C"`, raw pointers and `unsafe`.
//!
//! Conventions (also at the top of `include/layer_identity.h`):
//! - Every fallible function returns `LayerStatus` and takes a last `char **out_error` (may be
//!   NULL); on failure it receives a message to free with `layer_string_free`.
//! - Strings in are NUL-terminated UTF-8 and never retained. Strings out are freed only with
//!   `layer_string_free`. Out-parameters are written only on success.
//! - No panic crosses the boundary, and OpenSSL's error queue is left empty on return.
//!
//! cbindgen reads this file alone to write the header, so constants here are literals (checked
//! against the core below) and every item's doc comment is its C contract.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use zeroize::Zeroize;

use crate::error::{Error, ErrorKind};
use crate::flags::Flags;
use crate::keygen::generate_key_pair;
use crate::token::{self, Attributes, Signer};
use crate::verify::{self, Verifier};

/// Status of every fallible call. Values are stable and never renumbered; new ones are only
/// ever appended.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerStatus {
    /// Success; the out-parameters were written.
    LAYER_OK = 0,
    /// A required pointer argument (input or output) was NULL.
    LAYER_ERR_NULL_ARGUMENT = 1,
    /// A string argument was not valid UTF-8.
    LAYER_ERR_INVALID_UTF8 = 2,
    /// An argument was well-formed text but not acceptable (an ID, an empty user ID or nonce,
    /// a time in milliseconds, attributes JSON, unknown flags, key size to generate).
    LAYER_ERR_INVALID_ARGUMENT = 3,
    /// The key could not be read, is not RSA, or is the wrong kind (public for a signer).
    LAYER_ERR_INVALID_KEY = 4,
    /// The RSA key is smaller than allowed (2048 bits, or 1024 with
    /// `LAYER_FLAG_ALLOW_1024_BIT_KEY`).
    LAYER_ERR_WEAK_KEY = 5,
    /// The key is encrypted and the passphrase is missing or wrong.
    LAYER_ERR_WRONG_PASSPHRASE = 6,
    /// The token is not a well-formed Layer identity token (structure, encoding, header or
    /// claim types).
    LAYER_ERR_MALFORMED_TOKEN = 7,
    /// The token's signature does not verify with the configured key.
    LAYER_ERR_BAD_SIGNATURE = 8,
    /// The token has expired.
    LAYER_ERR_EXPIRED = 9,
    /// The token is issued in the future.
    LAYER_ERR_NOT_YET_VALID = 10,
    /// The token's kid, iss or nce differs from the expected value.
    LAYER_ERR_CLAIM_MISMATCH = 11,
    /// OpenSSL failed in an operation that should not fail.
    LAYER_ERR_CRYPTO = 12,
    /// A bug in the library (a caught panic); the message says where.
    LAYER_ERR_INTERNAL = 13,
}

/// Sign with `"typ":"JWT"` instead of the default `"typ":"JWS"`.
pub const LAYER_FLAG_TYP_JWT: u32 = 1;
/// Admit legacy 1024-bit RSA keys (early Layer accounts). Never the default.
pub const LAYER_FLAG_ALLOW_1024_BIT_KEY: u32 = 2;

const _: () = assert!(LAYER_FLAG_TYP_JWT == Flags::TYP_JWT.bits());
const _: () = assert!(LAYER_FLAG_ALLOW_1024_BIT_KEY == Flags::ALLOW_1024_BIT_KEY.bits());

/// A private key bound to a provider ID and key ID. Immutable after creation; safe to use from
/// many threads at once. Created by `layer_signer_new`, owned by the caller, released once with
/// `layer_signer_free`.
pub struct LayerSigner(Signer);

/// A public key bound to a provider ID and key ID. Immutable after creation; safe to use from
/// many threads at once. Created by `layer_verifier_new`, owned by the caller, released once
/// with `layer_verifier_free`.
pub struct LayerVerifier(Verifier);

/// The integer behind a `LayerStatus` passed in from C. Taking it as an integer keeps a value
/// outside the enum (possible from C and from dynamic bindings) from being undefined behaviour
/// in Rust; cbindgen.toml renames it so the header shows `LayerStatus`.
pub type LayerStatusValue = c_int;

/// A failure on its way to C: the status and the message for `out_error`.
struct Failure {
    status: LayerStatus,
    message: String,
}

impl LayerStatus {
    /// Every status, in numeric order.
    const ALL: [LayerStatus; 14] = [
        LayerStatus::LAYER_OK,
        LayerStatus::LAYER_ERR_NULL_ARGUMENT,
        LayerStatus::LAYER_ERR_INVALID_UTF8,
        LayerStatus::LAYER_ERR_INVALID_ARGUMENT,
        LayerStatus::LAYER_ERR_INVALID_KEY,
        LayerStatus::LAYER_ERR_WEAK_KEY,
        LayerStatus::LAYER_ERR_WRONG_PASSPHRASE,
        LayerStatus::LAYER_ERR_MALFORMED_TOKEN,
        LayerStatus::LAYER_ERR_BAD_SIGNATURE,
        LayerStatus::LAYER_ERR_EXPIRED,
        LayerStatus::LAYER_ERR_NOT_YET_VALID,
        LayerStatus::LAYER_ERR_CLAIM_MISMATCH,
        LayerStatus::LAYER_ERR_CRYPTO,
        LayerStatus::LAYER_ERR_INTERNAL,
    ];

    /// The status with this numeric value, if there is one.
    pub fn from_value(value: LayerStatusValue) -> Option<LayerStatus> {
        LayerStatus::ALL
            .into_iter()
            .find(|s| *s as LayerStatusValue == value)
    }

    /// The C name, e.g. `"LAYER_ERR_EXPIRED"` (also what `layer_status_name` returns).
    pub const fn name(self) -> &'static CStr {
        match self {
            LayerStatus::LAYER_OK => c"LAYER_OK",
            LayerStatus::LAYER_ERR_NULL_ARGUMENT => c"LAYER_ERR_NULL_ARGUMENT",
            LayerStatus::LAYER_ERR_INVALID_UTF8 => c"LAYER_ERR_INVALID_UTF8",
            LayerStatus::LAYER_ERR_INVALID_ARGUMENT => c"LAYER_ERR_INVALID_ARGUMENT",
            LayerStatus::LAYER_ERR_INVALID_KEY => c"LAYER_ERR_INVALID_KEY",
            LayerStatus::LAYER_ERR_WEAK_KEY => c"LAYER_ERR_WEAK_KEY",
            LayerStatus::LAYER_ERR_WRONG_PASSPHRASE => c"LAYER_ERR_WRONG_PASSPHRASE",
            LayerStatus::LAYER_ERR_MALFORMED_TOKEN => c"LAYER_ERR_MALFORMED_TOKEN",
            LayerStatus::LAYER_ERR_BAD_SIGNATURE => c"LAYER_ERR_BAD_SIGNATURE",
            LayerStatus::LAYER_ERR_EXPIRED => c"LAYER_ERR_EXPIRED",
            LayerStatus::LAYER_ERR_NOT_YET_VALID => c"LAYER_ERR_NOT_YET_VALID",
            LayerStatus::LAYER_ERR_CLAIM_MISMATCH => c"LAYER_ERR_CLAIM_MISMATCH",
            LayerStatus::LAYER_ERR_CRYPTO => c"LAYER_ERR_CRYPTO",
            LayerStatus::LAYER_ERR_INTERNAL => c"LAYER_ERR_INTERNAL",
        }
    }
}

impl From<ErrorKind> for LayerStatus {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidArgument => LayerStatus::LAYER_ERR_INVALID_ARGUMENT,
            ErrorKind::InvalidKey => LayerStatus::LAYER_ERR_INVALID_KEY,
            ErrorKind::WeakKey => LayerStatus::LAYER_ERR_WEAK_KEY,
            ErrorKind::WrongPassphrase => LayerStatus::LAYER_ERR_WRONG_PASSPHRASE,
            ErrorKind::MalformedToken => LayerStatus::LAYER_ERR_MALFORMED_TOKEN,
            ErrorKind::BadSignature => LayerStatus::LAYER_ERR_BAD_SIGNATURE,
            ErrorKind::Expired => LayerStatus::LAYER_ERR_EXPIRED,
            ErrorKind::NotYetValid => LayerStatus::LAYER_ERR_NOT_YET_VALID,
            ErrorKind::ClaimMismatch => LayerStatus::LAYER_ERR_CLAIM_MISMATCH,
            ErrorKind::Crypto => LayerStatus::LAYER_ERR_CRYPTO,
            ErrorKind::Internal => LayerStatus::LAYER_ERR_INTERNAL,
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            status: error.kind().into(),
            message: error.message().to_owned(),
        }
    }
}

type FfiResult<T> = Result<T, Failure>;

/// Runs one exported body: catches panics, writes the error message, and leaves OpenSSL's
/// per-thread error queue empty (the next call on this thread may belong to another caller).
fn guard(out_error: *mut *mut c_char, body: impl FnOnce() -> FfiResult<()>) -> LayerStatus {
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Err(Failure {
            status: LayerStatus::LAYER_ERR_INTERNAL,
            message: format!("internal error (please report it): {what}"),
        })
    });
    drop(openssl::error::ErrorStack::get());
    match outcome {
        Ok(()) => LayerStatus::LAYER_OK,
        Err(failure) => {
            if !out_error.is_null() {
                let message = CString::new(failure.message.replace('\0', "\\0"))
                    .expect("NUL bytes were replaced");
                // SAFETY: the caller passes either NULL (checked) or a writable `char *` slot.
                unsafe { *out_error = message.into_raw() };
            }
            failure.status
        }
    }
}

fn null_argument(name: &str) -> Failure {
    Failure {
        status: LayerStatus::LAYER_ERR_NULL_ARGUMENT,
        message: format!("{name} is NULL"),
    }
}

/// Borrows a required NUL-terminated UTF-8 argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives the call.
unsafe fn required_str<'a>(ptr: *const c_char, name: &str) -> FfiResult<&'a str> {
    optional_str(ptr, name)?.ok_or_else(|| null_argument(name))
}

/// Borrows a nullable NUL-terminated UTF-8 argument.
///
/// # Safety
/// As for `required_str`.
unsafe fn optional_str<'a>(ptr: *const c_char, name: &str) -> FfiResult<Option<&'a str>> {
    if ptr.is_null() {
        return Ok(None);
    }
    let bytes = CStr::from_ptr(ptr).to_bytes();
    std::str::from_utf8(bytes).map(Some).map_err(|e| Failure {
        status: LayerStatus::LAYER_ERR_INVALID_UTF8,
        message: format!(
            "{name} is not valid UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ),
    })
}

/// Checks that an out-parameter can be written, before any work is done.
fn require_out<T>(out: *mut T, name: &str) -> FfiResult<()> {
    if out.is_null() {
        return Err(null_argument(name));
    }
    Ok(())
}

fn into_c_string(text: String) -> FfiResult<*mut c_char> {
    CString::new(text)
        .map(CString::into_raw)
        .map_err(|_| Failure {
            status: LayerStatus::LAYER_ERR_INTERNAL,
            message: "internal error: an output string contains a NUL byte".to_owned(),
        })
}

fn flags(bits: u32) -> FfiResult<Flags> {
    Ok(Flags::from_bits(bits)?)
}

/// Signs one token with the default options: `"typ":"JWS"`, 2048-bit minimum, no attributes.
///
/// `private_key_pem`: an unencrypted RSA private key (PEM PKCS#1 or PKCS#8, or base64 DER;
/// CRLF, surrounding whitespace and literal `\n` escapes are tolerated). `provider_id`:
/// `layer:///providers/<uuid>` or a UUID; `key_id`: `layer:///keys/<uuid>` or a UUID.
/// `user_id`, `nonce`: non-empty. `issued_at`: Unix seconds, `<= 0` for now. `ttl_seconds`:
/// `0` for 600.
///
/// Decoded keys are kept in a small process-wide cache (at most 8, keyed by a SHA-256 digest
/// of the key text) so repeated calls cost one signature; `layer_key_cache_clear` empties it.
/// Prefer `layer_signer_new` for a long-lived key. Thread-safe.
///
/// On success `*out_token` receives the token (free with `layer_string_free`).
#[no_mangle]
pub unsafe extern "C" fn layer_sign_token(
    private_key_pem: *const c_char,
    provider_id: *const c_char,
    key_id: *const c_char,
    user_id: *const c_char,
    nonce: *const c_char,
    issued_at: i64,
    ttl_seconds: u32,
    out_token: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_token, "out_token")?;
        let token = token::sign_token(
            required_str(private_key_pem, "private_key_pem")?.as_bytes(),
            required_str(provider_id, "provider_id")?,
            required_str(key_id, "key_id")?,
            required_str(user_id, "user_id")?,
            required_str(nonce, "nonce")?,
            issued_at,
            ttl_seconds,
        )?;
        *out_token = into_c_string(token)?;
        Ok(())
    })
}

/// Empties the key cache of `layer_sign_token` (for example after rotating a key out).
/// Signers already created are not affected. Thread-safe.
#[no_mangle]
pub extern "C" fn layer_key_cache_clear() {
    // Clearing cannot fail; the guard only keeps a panic from crossing the boundary.
    guard(ptr::null_mut(), || {
        token::clear_key_cache();
        Ok(())
    });
}

/// Creates a signer: loads and checks the private key once, for any number of tokens.
///
/// `private_key_pem`: RSA private key as PEM (PKCS#1, PKCS#8, encrypted PKCS#8) or base64 DER.
/// `passphrase`: for an encrypted key, else NULL (ignored for an unencrypted key).
/// `provider_id`, `key_id`: as for `layer_sign_token`. `flags`: `LAYER_FLAG_*` OR-ed, `0` for
/// the defaults; unknown bits are `LAYER_ERR_INVALID_ARGUMENT`.
///
/// On success `*out_signer` receives a new handle that the caller owns and releases with
/// `layer_signer_free`. The key bytes held by the signer are zeroized when it is freed.
#[no_mangle]
pub unsafe extern "C" fn layer_signer_new(
    private_key_pem: *const c_char,
    passphrase: *const c_char,
    provider_id: *const c_char,
    key_id: *const c_char,
    flags: u32,
    out_signer: *mut *mut LayerSigner,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_signer, "out_signer")?;
        let signer = Signer::new(
            required_str(private_key_pem, "private_key_pem")?.as_bytes(),
            optional_str(passphrase, "passphrase")?.map(str::as_bytes),
            required_str(provider_id, "provider_id")?,
            required_str(key_id, "key_id")?,
            self::flags(flags)?,
        )?;
        *out_signer = Box::into_raw(Box::new(LayerSigner(signer)));
        Ok(())
    })
}

/// Signs a token for `user_id` answering `nonce`.
///
/// `issued_at`: Unix seconds, `<= 0` for now; a value that looks like milliseconds is
/// `LAYER_ERR_INVALID_ARGUMENT`. `ttl_seconds`: `0` for 600. `attributes_json`: NULL, or a
/// JSON object with only `first_name`, `last_name`, `display_name`, `avatar_url` (strings);
/// they are emitted in that order whatever order they are given in.
///
/// The signer is not modified; any number of threads may sign with it at once.
/// On success `*out_token` receives the token (free with `layer_string_free`).
#[no_mangle]
pub unsafe extern "C" fn layer_signer_sign(
    signer: *const LayerSigner,
    user_id: *const c_char,
    nonce: *const c_char,
    issued_at: i64,
    ttl_seconds: u32,
    attributes_json: *const c_char,
    out_token: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_token, "out_token")?;
        let signer = signer.as_ref().ok_or_else(|| null_argument("signer"))?;
        let attributes = match optional_str(attributes_json, "attributes_json")? {
            Some(json) => Attributes::from_json(json)?,
            None => Attributes::default(),
        };
        let token = signer.0.sign(
            required_str(user_id, "user_id")?,
            required_str(nonce, "nonce")?,
            issued_at,
            ttl_seconds,
            &attributes,
        )?;
        *out_token = into_c_string(token)?;
        Ok(())
    })
}

/// Writes the signer's public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`): the text to
/// upload to Layer for this key ID, or to give a verifier.
///
/// On success `*out_public_pem` receives it (free with `layer_string_free`).
#[no_mangle]
pub unsafe extern "C" fn layer_signer_public_key_pem(
    signer: *const LayerSigner,
    out_public_pem: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_public_pem, "out_public_pem")?;
        let signer = signer.as_ref().ok_or_else(|| null_argument("signer"))?;
        *out_public_pem = into_c_string(signer.0.public_key_pem()?)?;
        Ok(())
    })
}

/// Releases a signer. NULL is a no-op. The handle must not be used afterwards, nor freed twice.
#[no_mangle]
pub unsafe extern "C" fn layer_signer_free(signer: *mut LayerSigner) {
    if !signer.is_null() {
        guard(ptr::null_mut(), || {
            drop(Box::from_raw(signer));
            Ok(())
        });
    }
}

/// Creates a verifier with the same rules as the Layer dashboard's identity token validation
/// tool.
///
/// `key_pem`: the RSA public key (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`, PEM or base64
/// DER), or an unencrypted private key to derive it from. `provider_id`, `key_id`: the values
/// tokens must carry in `iss` and `kid`. `flags`: `LAYER_FLAG_ALLOW_1024_BIT_KEY` admits a
/// legacy key; `LAYER_FLAG_TYP_JWT` changes nothing (both typ values are accepted).
///
/// On success `*out_verifier` receives a new handle that the caller owns and releases with
/// `layer_verifier_free`.
#[no_mangle]
pub unsafe extern "C" fn layer_verifier_new(
    key_pem: *const c_char,
    provider_id: *const c_char,
    key_id: *const c_char,
    flags: u32,
    out_verifier: *mut *mut LayerVerifier,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_verifier, "out_verifier")?;
        let verifier = Verifier::new(
            required_str(key_pem, "key_pem")?.as_bytes(),
            required_str(provider_id, "provider_id")?,
            required_str(key_id, "key_id")?,
            self::flags(flags)?,
        )?;
        *out_verifier = Box::into_raw(Box::new(LayerVerifier(verifier)));
        Ok(())
    })
}

/// Verifies `token`. `expected_nonce`: the nonce the token must answer, or NULL to skip that
/// check. `now`: Unix seconds, `<= 0` for the system clock. `leeway_seconds`: allowed clock
/// skew for `exp` and `iat`.
///
/// On success `*out_claims_json` receives the token's claims JSON exactly as signed (free
/// with `layer_string_free`). On rejection the message starts with Layer's identifier for the
/// failed rule (`eit_expired: ...`). Thread-safe; the verifier is not modified.
#[no_mangle]
pub unsafe extern "C" fn layer_verifier_verify(
    verifier: *const LayerVerifier,
    token: *const c_char,
    expected_nonce: *const c_char,
    now: i64,
    leeway_seconds: u32,
    out_claims_json: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_claims_json, "out_claims_json")?;
        let verifier = verifier.as_ref().ok_or_else(|| null_argument("verifier"))?;
        let verified = verifier.0.verify(
            required_str(token, "token")?,
            optional_str(expected_nonce, "expected_nonce")?,
            now,
            leeway_seconds,
        )?;
        *out_claims_json = into_c_string(verified.claims_json)?;
        Ok(())
    })
}

/// Releases a verifier. NULL is a no-op. The handle must not be used afterwards, nor freed
/// twice.
#[no_mangle]
pub unsafe extern "C" fn layer_verifier_free(verifier: *mut LayerVerifier) {
    if !verifier.is_null() {
        guard(ptr::null_mut(), || {
            drop(Box::from_raw(verifier));
            Ok(())
        });
    }
}

/// Decodes a token WITHOUT verifying it, for debugging: nothing in the result is trustworthy.
///
/// On success `*out_header_json` and `*out_claims_json` receive the decoded header and claims
/// text (free both with `layer_string_free`). Fails with `LAYER_ERR_MALFORMED_TOKEN` when the
/// token is not three base64url parts of UTF-8 text.
#[no_mangle]
pub unsafe extern "C" fn layer_token_inspect(
    token: *const c_char,
    out_header_json: *mut *mut c_char,
    out_claims_json: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_header_json, "out_header_json")?;
        require_out(out_claims_json, "out_claims_json")?;
        let decoded = verify::decode(required_str(token, "token")?)?;
        let (header, claims) = decoded.into_text()?;
        let header = into_c_string(header)?;
        match into_c_string(claims) {
            Ok(claims) => {
                *out_header_json = header;
                *out_claims_json = claims;
                Ok(())
            }
            Err(failure) => {
                layer_string_free(header);
                Err(failure)
            }
        }
    })
}

/// Generates an RSA key pair (public exponent 65537). `bits`: `0` for 2048; fewer than 2048 is
/// `LAYER_ERR_WEAK_KEY`, more than 16384 `LAYER_ERR_INVALID_ARGUMENT`.
///
/// On success `*out_private_pem` receives the PKCS#8 private key (`PRIVATE KEY`) and
/// `*out_public_pem` the SPKI public key (`PUBLIC KEY`, the part uploaded to Layer); free both
/// with `layer_string_free`, which zeroizes them.
#[no_mangle]
pub unsafe extern "C" fn layer_generate_key_pair(
    bits: u32,
    out_private_pem: *mut *mut c_char,
    out_public_pem: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_private_pem, "out_private_pem")?;
        require_out(out_public_pem, "out_public_pem")?;
        let mut pair = generate_key_pair(bits)?;
        let public = into_c_string(pair.public_pem)?;
        // Moved, not copied, into the CString; layer_string_free zeroizes it.
        let private = into_c_string(std::mem::take(&mut *pair.private_pem));
        match private {
            Ok(private) => {
                *out_private_pem = private;
                *out_public_pem = public;
                Ok(())
            }
            Err(failure) => {
                layer_string_free(public);
                Err(failure)
            }
        }
    })
}

/// Frees a string returned by this library (tokens, PEM text, claims, error messages), first
/// overwriting it with zeros. NULL is a no-op. Never pass a string from anywhere else.
#[no_mangle]
pub unsafe extern "C" fn layer_string_free(s: *mut c_char) {
    if !s.is_null() {
        guard(ptr::null_mut(), || {
            let mut bytes = CString::from_raw(s).into_bytes_with_nul();
            bytes.zeroize();
            Ok(())
        });
    }
}

/// The name of a status, e.g. `"LAYER_ERR_EXPIRED"`; `"LAYER_STATUS_UNKNOWN"` for a value
/// this version does not define. Static storage: never freed.
#[no_mangle]
pub extern "C" fn layer_status_name(status: LayerStatusValue) -> *const c_char {
    LayerStatus::from_value(status)
        .map_or(c"LAYER_STATUS_UNKNOWN", LayerStatus::name)
        .as_ptr()
}

/// The library version, e.g. `"0.1.0"`. Static storage: never freed.
#[no_mangle]
pub extern "C" fn layer_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every status has its own name, the names match the enum, and the values are 0..=13.
    #[test]
    fn status_names_match_the_enum() {
        for (value, status) in LayerStatus::ALL.into_iter().enumerate() {
            assert_eq!(status as LayerStatusValue, value as LayerStatusValue);
            let name = unsafe { CStr::from_ptr(layer_status_name(status as LayerStatusValue)) };
            assert_eq!(name.to_str().unwrap(), format!("{status:?}"));
        }
        for unknown in [
            -1,
            LayerStatus::ALL.len() as LayerStatusValue,
            LayerStatusValue::MAX,
        ] {
            let name = unsafe { CStr::from_ptr(layer_status_name(unknown)) };
            assert_eq!(name.to_str().unwrap(), "LAYER_STATUS_UNKNOWN");
        }
    }

    /// A panic inside a body becomes LAYER_ERR_INTERNAL with a message, not an abort.
    #[test]
    fn guard_turns_a_panic_into_internal() {
        let mut error: *mut c_char = ptr::null_mut();
        let status = guard(&mut error, || panic!("boom"));
        assert_eq!(status, LayerStatus::LAYER_ERR_INTERNAL);
        let message = unsafe { CStr::from_ptr(error) }
            .to_str()
            .unwrap()
            .to_owned();
        assert!(message.contains("boom"), "{message}");
        unsafe { layer_string_free(error) };
    }

    /// Crypto failures map to LAYER_ERR_CRYPTO (OpenSSL does not fail on demand, so the mapping
    /// itself is what can be tested).
    #[test]
    fn every_error_kind_has_a_status() {
        let failure = Failure::from(Error::new(ErrorKind::Crypto, "x"));
        assert_eq!(failure.status, LayerStatus::LAYER_ERR_CRYPTO);
    }
}
