//! Verifying: `LayerVerifier` and token inspection, with their pointer-and-length (`_n`)
//! forms; `layer_verifier_verify_n` reads every claim in the same call.

use std::ffi::c_char;
use std::ptr;

use super::args::{
    optional_str, optional_text, out_bytes, required_bytes, required_str, required_text,
};
use super::claims::LayerClaims;
use super::guard::{flags, guard, guard_eit, into_c_string, null_argument, require_out, FfiResult};
use super::library::layer_string_free;
use crate::error::{Eit, Error};
use crate::status::{LayerEit, LayerStatus};
use crate::time::{self, zero_is_absent};
use crate::verify::{self, Verifier};

/// A public key bound to a provider ID and key ID. Immutable after creation; safe to use from
/// many threads at once. Created by `layer_verifier_new` (or `_n`), owned by the caller,
/// released once with `layer_verifier_free`.
pub struct LayerVerifier(Verifier);

/// The ABI 1 and 2 convention: `now <= 0` means the system clock.
fn legacy_now(now: i64) -> Option<i64> {
    (now > 0).then_some(now)
}

fn give_verifier(out_verifier: *mut *mut LayerVerifier, verifier: Verifier) {
    // SAFETY: every caller checked `out_verifier` with `require_out` first.
    unsafe { *out_verifier = Box::into_raw(Box::new(LayerVerifier(verifier))) };
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
        give_verifier(out_verifier, verifier);
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
            legacy_now(now),
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
            legacy_now(now),
            leeway_seconds,
        )?;
        *out_claims = Box::into_raw(Box::new(LayerClaims::new(
            verified.claims,
            verified.claims_json,
        )));
        Ok(())
    })
}

/// `layer_verifier_new` with every argument as pointer and length (ABI 3): the key as bytes
/// (PEM, or DER as it is), the IDs as UTF-8 without U+0000.
///
/// On success `*out_verifier` receives a new handle, as from `layer_verifier_new`.
#[no_mangle]
pub unsafe extern "C" fn layer_verifier_new_n(
    key: *const u8,
    key_len: usize,
    provider_id: *const c_char,
    provider_id_len: usize,
    key_id: *const c_char,
    key_id_len: usize,
    flags: u32,
    out_verifier: *mut *mut LayerVerifier,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_verifier, "out_verifier")?;
        let key = required_bytes(key, key_len, "key")?;
        let provider_id = required_text(provider_id, provider_id_len, "provider_id")?;
        let key_id = required_text(key_id, key_id_len, "key_id")?;
        let verifier = Verifier::new(key, provider_id, key_id, self::flags(flags)?)?;
        give_verifier(out_verifier, verifier);
        Ok(())
    })
}

/// Verifies `token` and reads every claim in one call (ABI 3): the texts as pointer and length.
///
/// `expected_nonce`: the nonce the token must answer, or NULL to skip that check (an empty one
/// is `LAYER_ERR_INVALID_ARGUMENT`, so that a missing value cannot skip it). `now`: Unix
/// seconds, 0 for the system clock. `leeway_seconds`: allowed clock skew for `exp` and `iat`
/// (bindings default it to `LAYER_DEFAULT_LEEWAY_SECONDS`). A negative `now` or leeway is
/// `LAYER_ERR_INVALID_ARGUMENT`.
///
/// On success `*out_claims` receives the claims (free with `layer_claims_free`), and, when the
/// arrays are not NULL, `out_texts[i]` / `out_text_lens[i]` for `i <
/// min(text_count, LAYER_CLAIM_TEXT_COUNT)` receive the texts indexed by `LayerClaimText`
/// (pointers into `*out_claims`; NULL and 0 when absent) and `out_times[0]` / `out_times[1]`
/// receive `iat` / `exp`. On failure `*out_eit` (may be NULL) receives Layer's identifier for
/// the rule the token broke, or `LAYER_EIT_NONE`, and `*out_error` the message, which starts
/// with the same identifier.
#[no_mangle]
pub unsafe extern "C" fn layer_verifier_verify_n(
    verifier: *const LayerVerifier,
    token: *const c_char,
    token_len: usize,
    expected_nonce: *const c_char,
    expected_nonce_len: usize,
    now: i64,
    leeway_seconds: i64,
    out_claims: *mut *mut LayerClaims,
    out_texts: *mut *const c_char,
    out_text_lens: *mut usize,
    text_count: usize,
    out_times: *mut i64,
    out_eit: *mut LayerEit,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard_eit(out_error, out_eit, || {
        require_out(out_claims, "out_claims")?;
        let verifier = verifier.as_ref().ok_or_else(|| null_argument("verifier"))?;
        let token = required_text(token, token_len, "token")?;
        let expected_nonce = optional_text(expected_nonce, expected_nonce_len, "expected_nonce")?;
        let now = zero_is_absent(now, "now")?;
        let leeway = time::leeway_seconds(leeway_seconds, "leeway_seconds")?;
        let verified = verifier.0.verify(token, expected_nonce, now, leeway)?;
        let claims = Box::new(LayerClaims::new(verified.claims, verified.claims_json));
        claims.read_into(out_texts, out_text_lens, text_count, out_times);
        *out_claims = Box::into_raw(claims);
        Ok(())
    })
}

/// Verifies `token` and writes every claim into the caller's buffer (ABI 3): no handle to
/// free, for bindings whose foreign calls are dear (Fiddle, ctypes). Arguments as for
/// `layer_verifier_verify_n`.
///
/// On success `out_buffer` (of `buffer_len` bytes; `LAYER_VERIFY_INTO_BUFFER_BYTES` always
/// suffices) receives, in the machine's byte order: `iat` and `exp` as `int64_t`; then the
/// lengths of the `LAYER_CLAIM_TEXT_COUNT` texts as `uint32_t`, in `LayerClaimText` order,
/// `LAYER_CLAIM_ABSENT` for an absent one; then those texts one after another, without
/// terminators (`LAYER_VERIFY_INTO_HEADER_BYTES` is where the first begins). A buffer too small
/// for a token's claims is `LAYER_ERR_INVALID_ARGUMENT` (the message says how many bytes it
/// needs). On failure `*out_eit` (may be NULL) receives Layer's identifier for the rule the
/// token broke, or `LAYER_EIT_NONE`, and `*out_error` the message; the buffer is not written.
#[no_mangle]
pub unsafe extern "C" fn layer_verifier_verify_into(
    verifier: *const LayerVerifier,
    token: *const c_char,
    token_len: usize,
    expected_nonce: *const c_char,
    expected_nonce_len: usize,
    now: i64,
    leeway_seconds: i64,
    out_buffer: *mut u8,
    buffer_len: usize,
    out_eit: *mut LayerEit,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard_eit(out_error, out_eit, || {
        let buffer = out_bytes(out_buffer, buffer_len, "out_buffer")?;
        let verifier = verifier.as_ref().ok_or_else(|| null_argument("verifier"))?;
        let token = required_text(token, token_len, "token")?;
        let expected_nonce = optional_text(expected_nonce, expected_nonce_len, "expected_nonce")?;
        let now = zero_is_absent(now, "now")?;
        let leeway = time::leeway_seconds(leeway_seconds, "leeway_seconds")?;
        let verified = verifier.0.verify(token, expected_nonce, now, leeway)?;
        let claims = LayerClaims::new(verified.claims, verified.claims_json);
        claims.write_into(buffer).map_err(|needed| {
            Error::invalid_argument(format!(
                "buffer_len {buffer_len} is too small for these claims, which need {needed} \
                 bytes (LAYER_VERIFY_INTO_BUFFER_BYTES always suffices)"
            ))
            .into()
        })
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
        inspect(
            required_str(token, "token")?,
            out_header_json,
            out_claims_json,
        )
    })
}

/// `layer_token_inspect` with the token as pointer and length (ABI 3).
#[no_mangle]
pub unsafe extern "C" fn layer_token_inspect_n(
    token: *const c_char,
    token_len: usize,
    out_header_json: *mut *mut c_char,
    out_claims_json: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        inspect(
            required_text(token, token_len, "token")?,
            out_header_json,
            out_claims_json,
        )
    })
}

/// # Safety
/// The out-parameters are NULL (refused) or writable.
unsafe fn inspect(
    token: &str,
    out_header_json: *mut *mut c_char,
    out_claims_json: *mut *mut c_char,
) -> FfiResult<()> {
    require_out(out_header_json, "out_header_json")?;
    require_out(out_claims_json, "out_claims_json")?;
    let decoded = verify::decode(token)?;
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
}
