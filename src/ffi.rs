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

use crate::error::{Eit, Error};
use crate::flags::Flags;
use crate::keygen::generate_key_pair;
pub use crate::status::{LayerEit, LayerStatus};
use crate::token::{self, Attributes, Signer};
use crate::verify::{self, Claims, Verifier};

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

const _: () = assert!(LAYER_DEFAULT_TTL_SECONDS == crate::token::DEFAULT_TTL_SECONDS);
const _: () = assert!(LAYER_DEFAULT_LEEWAY_SECONDS == crate::verify::DEFAULT_LEEWAY_SECONDS);
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

/// The integer behind a `LayerEit` passed in from C, for the same reason; the header shows
/// `LayerEit`.
pub type LayerEitValue = c_int;

/// A failure on its way to C: the status, the message for `out_error`, and the rule a rejected
/// token broke.
struct Failure {
    status: LayerStatus,
    message: String,
    eit: Option<Eit>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            status: error.kind().into(),
            message: error.message().to_owned(),
            eit: error.eit(),
        }
    }
}

impl Failure {
    fn new(status: LayerStatus, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
            eit: None,
        }
    }
}

type FfiResult<T> = Result<T, Failure>;

/// Runs one exported body: catches panics, writes the error message, and leaves OpenSSL's
/// per-thread error queue empty (the next call on this thread may belong to another caller).
fn guard(out_error: *mut *mut c_char, body: impl FnOnce() -> FfiResult<()>) -> LayerStatus {
    guard_eit(out_error, ptr::null_mut(), body)
}

/// [`guard`], also writing the rejected token's identifier to `out_eit` (may be NULL) on failure.
fn guard_eit(
    out_error: *mut *mut c_char,
    out_eit: *mut LayerEit,
    body: impl FnOnce() -> FfiResult<()>,
) -> LayerStatus {
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        Err(Failure::new(
            LayerStatus::LAYER_ERR_INTERNAL,
            format!("internal error (please report it): {}", panic_text(&*panic)),
        ))
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
            if !out_eit.is_null() {
                // SAFETY: the caller passes either NULL (checked) or a writable `LayerEit` slot.
                unsafe { *out_eit = LayerEit::from(failure.eit) };
            }
            failure.status
        }
    }
}

/// Runs an exported body that cannot fail, such as a getter: a panic (a bug) gives `fallback`
/// instead of crossing the boundary.
fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

fn null_argument(name: &str) -> Failure {
    Failure::new(
        LayerStatus::LAYER_ERR_NULL_ARGUMENT,
        format!("{name} is NULL"),
    )
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
    std::str::from_utf8(bytes).map(Some).map_err(|e| {
        Failure::new(
            LayerStatus::LAYER_ERR_INVALID_UTF8,
            format!(
                "{name} is not valid UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
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
    CString::new(text).map(CString::into_raw).map_err(|_| {
        Failure::new(
            LayerStatus::LAYER_ERR_INTERNAL,
            "internal error: an output string contains a NUL byte",
        )
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

/// Creates a signer from the environment, as every wrapper's `fromEnv` does:
/// `LAYER_PROVIDER_ID`, `LAYER_KEY_ID`, the private key as `LAYER_PRIVATE_KEY` (the PEM text;
/// literal `\n` escapes and lost line breaks are fine) or `LAYER_PRIVATE_KEY_PATH` (its file;
/// setting both is an error), `LAYER_PRIVATE_KEY_PASSPHRASE` for an encrypted key, and
/// `LAYER_TOKEN_TYPE` (`JWS`, the default, or `JWT`). An empty variable counts as unset.
/// `flags` are OR-ed with what `LAYER_TOKEN_TYPE` selects (`LAYER_FLAG_ALLOW_1024_BIT_KEY`
/// has no variable).
///
/// Every missing or malformed variable fails with a message that names it:
/// `LAYER_ERR_INVALID_ARGUMENT` for the IDs, the token type, a missing, doubled or unreadable
/// key variable; the key's own status (`LAYER_ERR_INVALID_KEY`, `LAYER_ERR_WEAK_KEY`,
/// `LAYER_ERR_WRONG_PASSPHRASE`, ...) for a key that does not load.
///
/// Reads the process environment (`getenv`), so call it while no other thread changes the
/// environment. On success `*out_signer` receives a handle as from `layer_signer_new`.
#[no_mangle]
pub unsafe extern "C" fn layer_signer_from_env(
    flags: u32,
    out_signer: *mut *mut LayerSigner,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_signer, "out_signer")?;
        let signer = Signer::from_env(self::flags(flags)?)?;
        *out_signer = Box::into_raw(Box::new(LayerSigner(signer)));
        Ok(())
    })
}

/// Signs a token for `user_id` answering `nonce`.
///
/// `issued_at`: Unix seconds, `<= 0` for now; a value that looks like milliseconds is
/// `LAYER_ERR_INVALID_ARGUMENT`. `ttl_seconds`: `0` for 600. `attributes_json`: NULL, or a
/// JSON object with only `first_name`, `last_name`, `display_name`, `avatar_url` (strings)
/// and `metadata` (an object of string values, or null); the attributes are emitted in that
/// order whatever order they are given in, then the metadata sorted by name. Without JSON at
/// hand, `layer_signer_sign_with` takes the same values as plain strings.
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

/// Signs a token with identity attributes and metadata given as plain strings, for callers
/// without a JSON encoder: the same token as `layer_signer_sign` with the equivalent
/// `attributes_json`.
///
/// `first_name`, `last_name`, `display_name`, `avatar_url`: NULL when absent. Metadata:
/// `metadata_count` names and values, `metadata_names[i]` with `metadata_values[i]`; both
/// arrays may be NULL when `metadata_count` is 0. Names must be non-empty and distinct; the
/// token carries them sorted by name. Other parameters as for `layer_signer_sign`.
///
/// On success `*out_token` receives the token (free with `layer_string_free`).
#[no_mangle]
pub unsafe extern "C" fn layer_signer_sign_with(
    signer: *const LayerSigner,
    user_id: *const c_char,
    nonce: *const c_char,
    issued_at: i64,
    ttl_seconds: u32,
    first_name: *const c_char,
    last_name: *const c_char,
    display_name: *const c_char,
    avatar_url: *const c_char,
    metadata_names: *const *const c_char,
    metadata_values: *const *const c_char,
    metadata_count: usize,
    out_token: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_token, "out_token")?;
        let signer = signer.as_ref().ok_or_else(|| null_argument("signer"))?;
        let owned = |ptr, name| Ok::<_, Failure>(optional_str(ptr, name)?.map(str::to_owned));
        let mut attributes = Attributes {
            first_name: owned(first_name, "first_name")?,
            last_name: owned(last_name, "last_name")?,
            display_name: owned(display_name, "display_name")?,
            avatar_url: owned(avatar_url, "avatar_url")?,
            ..Attributes::default()
        };
        if metadata_count > 0 {
            if metadata_names.is_null() {
                return Err(null_argument("metadata_names"));
            }
            if metadata_values.is_null() {
                return Err(null_argument("metadata_values"));
            }
            for i in 0..metadata_count {
                let name = required_str(*metadata_names.add(i), &format!("metadata_names[{i}]"))?;
                let value =
                    required_str(*metadata_values.add(i), &format!("metadata_values[{i}]"))?;
                attributes.add_metadata(name.to_owned(), value.to_owned())?;
            }
        }
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

/// Verifies `token` like `layer_verifier_verify`, and gives the claims typed, so that no caller
/// needs a JSON parser.
///
/// On success `*out_claims` receives a new `LayerClaims` that the caller owns and releases with
/// `layer_claims_free`. On failure `*out_eit` (may be NULL) receives Layer's identifier for the
/// rule the token broke, or `LAYER_EIT_NONE` when the failure is not about the token (a NULL
/// argument, say); `*out_error` receives the message, which starts with the same identifier.
#[no_mangle]
pub unsafe extern "C" fn layer_verifier_verify_claims(
    verifier: *const LayerVerifier,
    token: *const c_char,
    expected_nonce: *const c_char,
    now: i64,
    leeway_seconds: u32,
    out_claims: *mut *mut LayerClaims,
    out_eit: *mut LayerEit,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard_eit(out_error, out_eit, || {
        require_out(out_claims, "out_claims")?;
        let verifier = verifier.as_ref().ok_or_else(|| null_argument("verifier"))?;
        let verified = verifier.0.verify(
            required_str(token, "token")?,
            optional_str(expected_nonce, "expected_nonce")?,
            now,
            leeway_seconds,
        )?;
        *out_claims = Box::into_raw(Box::new(LayerClaims::new(
            verified.claims,
            verified.claims_json,
        )));
        Ok(())
    })
}

/// The claims of a verified token, typed. Immutable; safe to read from many threads at once.
/// Created by `layer_verifier_verify_claims`, owned by the caller, released once with
/// `layer_claims_free`.
///
/// The string getters return text owned by the `LayerClaims` (valid until it is freed, never
/// freed by the caller), NUL-terminated, and write its length in bytes to `*out_len` (may be
/// NULL). A claim may hold U+0000 (written `\u0000` in the token), which a NUL-terminated read
/// would cut short: bindings should use the length. NULL `claims` gives NULL (and 0).
pub struct LayerClaims {
    provider_id: ClaimText,
    user_id: ClaimText,
    nonce: ClaimText,
    issued_at: i64,
    expires_at: i64,
    first_name: Option<ClaimText>,
    last_name: Option<ClaimText>,
    display_name: Option<ClaimText>,
    avatar_url: Option<ClaimText>,
    metadata: Vec<(ClaimText, ClaimText)>,
    json: ClaimText,
}

/// A string with a NUL after its bytes, for C; its length excludes the NUL.
struct ClaimText(Box<[u8]>);

impl ClaimText {
    fn new(text: String) -> ClaimText {
        let mut bytes = text.into_bytes();
        bytes.push(0);
        ClaimText(bytes.into_boxed_slice())
    }

    fn give(&self, out_len: *mut usize) -> *const c_char {
        if !out_len.is_null() {
            // SAFETY: the caller passes NULL (checked) or a writable size_t.
            unsafe { *out_len = self.0.len() - 1 };
        }
        self.0.as_ptr().cast()
    }
}

impl LayerClaims {
    fn new(claims: Claims, json: String) -> LayerClaims {
        let attributes = claims.attributes;
        LayerClaims {
            provider_id: ClaimText::new(claims.iss),
            user_id: ClaimText::new(claims.prn),
            nonce: ClaimText::new(claims.nce),
            issued_at: claims.iat,
            expires_at: claims.exp,
            first_name: attributes.first_name.map(ClaimText::new),
            last_name: attributes.last_name.map(ClaimText::new),
            display_name: attributes.display_name.map(ClaimText::new),
            avatar_url: attributes.avatar_url.map(ClaimText::new),
            metadata: attributes
                .metadata
                .into_iter()
                .map(|(name, value)| (ClaimText::new(name), ClaimText::new(value)))
                .collect(),
            json: ClaimText::new(json),
        }
    }
}

/// Reads one text of `claims` (NULL for NULL claims or an absent value).
///
/// # Safety
/// `claims` is NULL or a live `LayerClaims`; `out_len` is NULL or writable.
unsafe fn claim_text(
    claims: *const LayerClaims,
    out_len: *mut usize,
    pick: impl FnOnce(&LayerClaims) -> Option<&ClaimText>,
) -> *const c_char {
    guard_value(ptr::null(), || {
        if !out_len.is_null() {
            *out_len = 0;
        }
        claims
            .as_ref()
            .and_then(pick)
            .map_or(ptr::null(), |text| text.give(out_len))
    })
}

/// `iss`: the provider ID the token was issued by.
#[no_mangle]
pub unsafe extern "C" fn layer_claims_provider_id(
    claims: *const LayerClaims,
    out_len: *mut usize,
) -> *const c_char {
    claim_text(claims, out_len, |c| Some(&c.provider_id))
}

/// `prn`: the app's user ID the token authenticates.
#[no_mangle]
pub unsafe extern "C" fn layer_claims_user_id(
    claims: *const LayerClaims,
    out_len: *mut usize,
) -> *const c_char {
    claim_text(claims, out_len, |c| Some(&c.user_id))
}

/// `nce`: the nonce the token answers.
#[no_mangle]
pub unsafe extern "C" fn layer_claims_nonce(
    claims: *const LayerClaims,
    out_len: *mut usize,
) -> *const c_char {
    claim_text(claims, out_len, |c| Some(&c.nonce))
}

/// `iat`: Unix seconds; 0 for NULL claims.
#[no_mangle]
pub unsafe extern "C" fn layer_claims_issued_at(claims: *const LayerClaims) -> i64 {
    guard_value(0, || claims.as_ref().map_or(0, |c| c.issued_at))
}

/// `exp`: Unix seconds; 0 for NULL claims.
#[no_mangle]
pub unsafe extern "C" fn layer_claims_expires_at(claims: *const LayerClaims) -> i64 {
    guard_value(0, || claims.as_ref().map_or(0, |c| c.expires_at))
}

/// `first_name`, or NULL when the token has none (absent or null).
#[no_mangle]
pub unsafe extern "C" fn layer_claims_first_name(
    claims: *const LayerClaims,
    out_len: *mut usize,
) -> *const c_char {
    claim_text(claims, out_len, |c| c.first_name.as_ref())
}

/// `last_name`, or NULL when the token has none (absent or null).
#[no_mangle]
pub unsafe extern "C" fn layer_claims_last_name(
    claims: *const LayerClaims,
    out_len: *mut usize,
) -> *const c_char {
    claim_text(claims, out_len, |c| c.last_name.as_ref())
}

/// `display_name`, or NULL when the token has none (absent or null).
#[no_mangle]
pub unsafe extern "C" fn layer_claims_display_name(
    claims: *const LayerClaims,
    out_len: *mut usize,
) -> *const c_char {
    claim_text(claims, out_len, |c| c.display_name.as_ref())
}

/// `avatar_url`, or NULL when the token has none (absent or null).
#[no_mangle]
pub unsafe extern "C" fn layer_claims_avatar_url(
    claims: *const LayerClaims,
    out_len: *mut usize,
) -> *const c_char {
    claim_text(claims, out_len, |c| c.avatar_url.as_ref())
}

/// The number of `metadata` entries (0 when the token has none); read them by index, `0` to
/// count - 1, in name order.
#[no_mangle]
pub unsafe extern "C" fn layer_claims_metadata_count(claims: *const LayerClaims) -> usize {
    guard_value(0, || claims.as_ref().map_or(0, |c| c.metadata.len()))
}

/// The name of metadata entry `index`, or NULL when `index` is out of range.
#[no_mangle]
pub unsafe extern "C" fn layer_claims_metadata_name(
    claims: *const LayerClaims,
    index: usize,
    out_len: *mut usize,
) -> *const c_char {
    claim_text(claims, out_len, |c| {
        c.metadata.get(index).map(|(name, _)| name)
    })
}

/// The value of metadata entry `index`, or NULL when `index` is out of range.
#[no_mangle]
pub unsafe extern "C" fn layer_claims_metadata_value(
    claims: *const LayerClaims,
    index: usize,
    out_len: *mut usize,
) -> *const c_char {
    claim_text(claims, out_len, |c| {
        c.metadata.get(index).map(|(_, value)| value)
    })
}

/// The claims JSON exactly as signed (what `layer_verifier_verify` returns), including claims
/// this library does not interpret.
#[no_mangle]
pub unsafe extern "C" fn layer_claims_json(
    claims: *const LayerClaims,
    out_len: *mut usize,
) -> *const c_char {
    claim_text(claims, out_len, |c| Some(&c.json))
}

/// Releases claims. NULL is a no-op. The handle and every string read from it must not be used
/// afterwards, nor freed twice.
#[no_mangle]
pub unsafe extern "C" fn layer_claims_free(claims: *mut LayerClaims) {
    if !claims.is_null() {
        guard(ptr::null_mut(), || {
            drop(Box::from_raw(claims));
            Ok(())
        });
    }
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
        for (text, name) in [(&header, "header"), (&claims, "claims")] {
            if text.contains('\0') {
                return Err(Error::token(
                    Eit::MalformedJson,
                    format!("the {name} contains a NUL byte, which no JSON text has"),
                )
                .into());
            }
        }
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
        .map_or(c"LAYER_STATUS_UNKNOWN", LayerStatus::c_name)
        .as_ptr()
}

/// Layer's identifier as text, e.g. `"eit_expired"`; `""` for `LAYER_EIT_NONE` and for a value
/// this version does not define. Static storage: never freed.
#[no_mangle]
pub extern "C" fn layer_eit_name(eit: LayerEitValue) -> *const c_char {
    guard_value(c"".as_ptr(), || {
        LayerEit::from_value(eit)
            .and_then(LayerEit::eit)
            .map_or(c"", Eit::c_name)
            .as_ptr()
    })
}

/// The library version, e.g. `"0.1.0"`. Static storage: never freed.
#[no_mangle]
pub extern "C" fn layer_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The version of this C ABI. It grows by one whenever functions or statuses are added;
/// nothing is ever removed or changed within one soname (`liblayer_identity.so.0`). A binding
/// built against this header needs `layer_abi_version() >= LAYER_ABI_VERSION` from the library
/// it loads, and says so clearly otherwise. (A library older than this function has no
/// `layer_abi_version` symbol at all.)
pub const LAYER_ABI_VERSION: u32 = 2;

/// The ABI version of the loaded library (see `LAYER_ABI_VERSION`).
#[no_mangle]
pub extern "C" fn layer_abi_version() -> u32 {
    LAYER_ABI_VERSION
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

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

    /// A panic in a getter gives its fallback, and the identifiers have their names.
    #[test]
    fn getters_and_names_never_panic_across_the_boundary() {
        assert_eq!(guard_value(7, || panic!("boom")), 7);
        for value in [-1, 0, 15, c_int::MAX] {
            let name = unsafe { CStr::from_ptr(layer_eit_name(value)) };
            assert_eq!(name.to_bytes(), b"", "{value}");
        }
        let name = unsafe { CStr::from_ptr(layer_eit_name(LayerEit::LAYER_EIT_EXPIRED as c_int)) };
        assert_eq!(name.to_str().unwrap(), "eit_expired");
    }
}
