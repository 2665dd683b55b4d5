//! Signing: `LayerSigner`, the one-shot `layer_sign_token`, and their pointer-and-length
//! (`_n`) forms.

use std::ffi::c_char;
use std::ptr;

use super::args::{
    optional_bytes, optional_str, required_bytes, required_str, required_text, text_entry,
};
use super::guard::{flags, guard, into_c_string, null_argument, require_out, Failure, FfiResult};
use crate::flags::Flags;
use crate::status::LayerStatus;
use crate::time::{ttl_seconds, zero_is_absent};
use crate::token::{self, Attributes, Signer};

/// A private key bound to a provider ID and key ID. Immutable after creation; safe to use from
/// many threads at once. Created by `layer_signer_new` (or `_n`, or `layer_signer_from_env`),
/// owned by the caller, released once with `layer_signer_free`.
pub struct LayerSigner(pub(crate) Signer);

/// Indexes of the `attributes` array of `layer_signer_sign_n`, in the order the token carries
/// them.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerAttribute {
    LAYER_ATTRIBUTE_FIRST_NAME = 0,
    LAYER_ATTRIBUTE_LAST_NAME = 1,
    LAYER_ATTRIBUTE_DISPLAY_NAME = 2,
    LAYER_ATTRIBUTE_AVATAR_URL = 3,
}

/// The number of entries of the `attributes` array of `layer_signer_sign_n`.
pub const LAYER_ATTRIBUTE_COUNT: usize = 4;

const _: () = assert!(LAYER_ATTRIBUTE_COUNT == token::ATTRIBUTE_NAMES.len());

/// The ABI 1 and 2 time conventions: `issued_at <= 0` and `ttl_seconds == 0` mean now and 600.
fn legacy_times(issued_at: i64, ttl_seconds: u32) -> (Option<i64>, Option<u32>) {
    (
        (issued_at > 0).then_some(issued_at),
        (ttl_seconds > 0).then_some(ttl_seconds),
    )
}

/// The ABI 3 time conventions: 0 means now / 600, a negative value is refused.
fn times(issued_at: i64, ttl: i64) -> FfiResult<(Option<i64>, Option<u32>)> {
    Ok((
        zero_is_absent(issued_at, "issued_at")?,
        ttl_seconds(ttl, "ttl_seconds")?,
    ))
}

fn give_signer(out_signer: *mut *mut LayerSigner, signer: Signer) {
    // SAFETY: every caller checked `out_signer` with `require_out` first.
    unsafe { *out_signer = Box::into_raw(Box::new(LayerSigner(signer))) };
}

fn give_token(out_token: *mut *mut c_char, token: String) -> FfiResult<()> {
    let token = into_c_string(token)?;
    // SAFETY: every caller checked `out_token` with `require_out` first.
    unsafe { *out_token = token };
    Ok(())
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
        let (issued_at, ttl) = legacy_times(issued_at, ttl_seconds);
        let token = token::sign_token(
            required_str(private_key_pem, "private_key_pem")?.as_bytes(),
            required_str(provider_id, "provider_id")?,
            required_str(key_id, "key_id")?,
            required_str(user_id, "user_id")?,
            required_str(nonce, "nonce")?,
            issued_at,
            ttl,
        )?;
        give_token(out_token, token)
    })
}

/// `layer_sign_token` with every argument as pointer and length (ABI 3): the key as bytes
/// (PEM, or DER as it is), the texts as UTF-8 without U+0000. `issued_at`: Unix seconds, 0 for
/// now; `ttl_seconds`: 0 for 600; a negative time is `LAYER_ERR_INVALID_ARGUMENT`.
///
/// On success `*out_token` receives the token (free with `layer_string_free`).
#[no_mangle]
pub unsafe extern "C" fn layer_sign_token_n(
    private_key: *const u8,
    private_key_len: usize,
    provider_id: *const c_char,
    provider_id_len: usize,
    key_id: *const c_char,
    key_id_len: usize,
    user_id: *const c_char,
    user_id_len: usize,
    nonce: *const c_char,
    nonce_len: usize,
    issued_at: i64,
    ttl_seconds: i64,
    out_token: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_token, "out_token")?;
        let private_key = required_bytes(private_key, private_key_len, "private_key")?;
        let provider_id = required_text(provider_id, provider_id_len, "provider_id")?;
        let key_id = required_text(key_id, key_id_len, "key_id")?;
        let user_id = required_text(user_id, user_id_len, "user_id")?;
        let nonce = required_text(nonce, nonce_len, "nonce")?;
        let (issued_at, ttl) = times(issued_at, ttl_seconds)?;
        let token = token::sign_token(
            private_key,
            provider_id,
            key_id,
            user_id,
            nonce,
            issued_at,
            ttl,
        )?;
        give_token(out_token, token)
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
        give_signer(out_signer, signer);
        Ok(())
    })
}

/// `layer_signer_new` with every argument as pointer and length (ABI 3): the key and the
/// passphrase as bytes (DER as it is; NULL `passphrase` for none), the IDs as UTF-8 without
/// U+0000.
///
/// On success `*out_signer` receives a new handle, as from `layer_signer_new`.
#[no_mangle]
pub unsafe extern "C" fn layer_signer_new_n(
    private_key: *const u8,
    private_key_len: usize,
    passphrase: *const u8,
    passphrase_len: usize,
    provider_id: *const c_char,
    provider_id_len: usize,
    key_id: *const c_char,
    key_id_len: usize,
    flags: u32,
    out_signer: *mut *mut LayerSigner,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_signer, "out_signer")?;
        let private_key = required_bytes(private_key, private_key_len, "private_key")?;
        let passphrase = optional_bytes(passphrase, passphrase_len, "passphrase")?;
        let provider_id = required_text(provider_id, provider_id_len, "provider_id")?;
        let key_id = required_text(key_id, key_id_len, "key_id")?;
        let signer = Signer::new(
            private_key,
            passphrase,
            provider_id,
            key_id,
            self::flags(flags)?,
        )?;
        give_signer(out_signer, signer);
        Ok(())
    })
}

/// Creates a signer from the environment, as every wrapper's `fromEnv` does:
/// `LAYER_PROVIDER_ID`, `LAYER_KEY_ID`, the private key as `LAYER_PRIVATE_KEY` (the PEM text;
/// literal `\n` escapes and lost line breaks are fine) or `LAYER_PRIVATE_KEY_PATH` (its file;
/// setting both is an error), `LAYER_PRIVATE_KEY_PASSPHRASE` for an encrypted key, and
/// `LAYER_TOKEN_TYPE` (`JWS`, the default, or `JWT`, in any letter case). An empty variable
/// counts as unset. `flags` are OR-ed with what `LAYER_TOKEN_TYPE` selects
/// (`LAYER_FLAG_ALLOW_1024_BIT_KEY` has no variable).
///
/// Every missing or malformed variable fails with a message that names it:
/// `LAYER_ERR_INVALID_ARGUMENT` for the IDs, the token type, a missing, doubled or unreadable
/// key variable; the key's own status (`LAYER_ERR_INVALID_KEY`, `LAYER_ERR_WEAK_KEY`,
/// `LAYER_ERR_WRONG_PASSPHRASE`, ...) for a key that does not load. No message repeats a key,
/// a passphrase, or a value that cannot be an ID.
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
        give_signer(out_signer, signer);
        Ok(())
    })
}

/// Signs a token for `user_id` answering `nonce`.
///
/// `issued_at`: Unix seconds, `<= 0` for now; a value that looks like milliseconds is
/// `LAYER_ERR_INVALID_ARGUMENT`. `ttl_seconds`: `0` for 600. `attributes_json`: NULL, or a
/// JSON object with only `first_name`, `last_name`, `display_name`, `avatar_url` (strings;
/// an empty one is left out, like an absent one) and `metadata` (an object of string values,
/// or null); the attributes are emitted in that order whatever order they are given in, then
/// the metadata sorted by name. Without JSON at hand, `layer_signer_sign_with` takes the same
/// values as plain strings.
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
        let (issued_at, ttl) = legacy_times(issued_at, ttl_seconds);
        let token = signer.0.sign(
            required_str(user_id, "user_id")?,
            required_str(nonce, "nonce")?,
            issued_at,
            ttl,
            &attributes,
        )?;
        give_token(out_token, token)
    })
}

/// Signs a token with identity attributes and metadata given as plain strings, for callers
/// without a JSON encoder: the same token as `layer_signer_sign` with the equivalent
/// `attributes_json`.
///
/// `first_name`, `last_name`, `display_name`, `avatar_url`: NULL (or empty) when absent.
/// Metadata: `metadata_count` names and values, `metadata_names[i]` with `metadata_values[i]`;
/// both arrays may be NULL when `metadata_count` is 0. Names must be non-empty and distinct;
/// the token carries them sorted by name. Other parameters as for `layer_signer_sign`.
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
        let (issued_at, ttl) = legacy_times(issued_at, ttl_seconds);
        let token = signer.0.sign(
            required_str(user_id, "user_id")?,
            required_str(nonce, "nonce")?,
            issued_at,
            ttl,
            &attributes,
        )?;
        give_token(out_token, token)
    })
}

/// Signs a token with every text as pointer and length (ABI 3): UTF-8 without U+0000.
///
/// `issued_at`: Unix seconds, 0 for now; `ttl_seconds`: 0 for 600; a negative time is
/// `LAYER_ERR_INVALID_ARGUMENT`. `attributes`: NULL, or `LAYER_ATTRIBUTE_COUNT` entries indexed
/// by `LayerAttribute`, each NULL (or empty) when absent, with their lengths in
/// `attribute_lens`. Metadata: `metadata_count` names and values with their lengths (the four
/// arrays may be NULL when the count is 0); names non-empty and distinct, carried sorted by
/// name. The same token as `layer_signer_sign_with` with the same values.
///
/// On success `*out_token` receives the token (free with `layer_string_free`).
#[no_mangle]
pub unsafe extern "C" fn layer_signer_sign_n(
    signer: *const LayerSigner,
    user_id: *const c_char,
    user_id_len: usize,
    nonce: *const c_char,
    nonce_len: usize,
    issued_at: i64,
    ttl_seconds: i64,
    attributes: *const *const c_char,
    attribute_lens: *const usize,
    metadata_names: *const *const c_char,
    metadata_name_lens: *const usize,
    metadata_values: *const *const c_char,
    metadata_value_lens: *const usize,
    metadata_count: usize,
    out_token: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_token, "out_token")?;
        let signer = signer.as_ref().ok_or_else(|| null_argument("signer"))?;
        let user_id = required_text(user_id, user_id_len, "user_id")?;
        let nonce = required_text(nonce, nonce_len, "nonce")?;
        let (issued_at, ttl) = times(issued_at, ttl_seconds)?;
        let mut given = Attributes::default();
        for (index, name) in token::ATTRIBUTE_NAMES.into_iter().enumerate() {
            let value = text_entry(attributes, attribute_lens, index, name)?;
            *given.slot(name).expect("an attribute name") = value.map(str::to_owned);
        }
        if metadata_count > 0 {
            for (array, name) in [
                (
                    metadata_names.is_null() || metadata_name_lens.is_null(),
                    "metadata_names",
                ),
                (
                    metadata_values.is_null() || metadata_value_lens.is_null(),
                    "metadata_values",
                ),
            ] {
                if array {
                    return Err(null_argument(name));
                }
            }
            for i in 0..metadata_count {
                let entry = |texts, lens, array| {
                    let name = format!("{array}[{i}]");
                    text_entry(texts, lens, i, &name)?.ok_or_else(|| null_argument(&name))
                };
                given.add_metadata(
                    entry(metadata_names, metadata_name_lens, "metadata_names")?.to_owned(),
                    entry(metadata_values, metadata_value_lens, "metadata_values")?.to_owned(),
                )?;
            }
        }
        let token = signer.0.sign(user_id, nonce, issued_at, ttl, &given)?;
        give_token(out_token, token)
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

/// The flags a token type name selects, the rule every wrapper's token-type option follows:
/// `JWS` (the default, 0) or `JWT` (`LAYER_FLAG_TYP_JWT`), in any letter case. Anything else is
/// `LAYER_ERR_INVALID_ARGUMENT`.
///
/// On success `*out_flags` receives the flags.
#[no_mangle]
pub unsafe extern "C" fn layer_token_type_flags(
    token_type: *const c_char,
    token_type_len: usize,
    out_flags: *mut u32,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_flags, "out_flags")?;
        let name = required_text(token_type, token_type_len, "token_type")?;
        *out_flags = Flags::from_token_type(name)
            .map_err(|error| error.context("token_type"))?
            .bits();
        Ok(())
    })
}
