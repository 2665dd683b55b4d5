//! `LayerClaims`: the claims of a verified token, typed, so that no caller needs a JSON parser.
//! `layer_verifier_verify_n` reads them all in one call; the getters read one at a time.

use std::ffi::c_char;
use std::ptr;

use super::guard::{guard, guard_value};
use crate::json;
use crate::verify::Claims;

/// The claims of a verified token, typed. Immutable; safe to read from many threads at once.
/// Created by `layer_verifier_verify_claims` or `layer_verifier_verify_n`, owned by the caller,
/// released once with `layer_claims_free`.
///
/// The string getters return text owned by the `LayerClaims` (valid until it is freed, never
/// freed by the caller), NUL-terminated, and write its length in bytes to `*out_len` (may be
/// NULL). A claim may hold U+0000 (written `\u0000` in the token), which a NUL-terminated read
/// would cut short: bindings should use the length. NULL `claims` gives NULL (and 0).
pub struct LayerClaims {
    texts: [Option<ClaimText>; LAYER_CLAIM_TEXT_COUNT],
    issued_at: i64,
    expires_at: i64,
    metadata: Vec<(ClaimText, ClaimText)>,
}

/// Indexes of the texts `layer_verifier_verify_n` reads into `out_texts`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerClaimText {
    /// `iss`
    LAYER_CLAIM_PROVIDER_ID = 0,
    /// `prn`
    LAYER_CLAIM_USER_ID = 1,
    /// `nce`
    LAYER_CLAIM_NONCE = 2,
    LAYER_CLAIM_FIRST_NAME = 3,
    LAYER_CLAIM_LAST_NAME = 4,
    LAYER_CLAIM_DISPLAY_NAME = 5,
    LAYER_CLAIM_AVATAR_URL = 6,
    /// The claims JSON exactly as signed, including claims this library does not interpret.
    LAYER_CLAIM_JSON = 7,
    /// `metadata` as a compact JSON object of strings in name order, or absent.
    LAYER_CLAIM_METADATA_JSON = 8,
}

/// The number of texts `layer_verifier_verify_n` can read (the size of `LayerClaimText`).
pub const LAYER_CLAIM_TEXT_COUNT: usize = 9;

/// Bytes of the fixed part of what `layer_verifier_verify_into` writes: `iat` and `exp` as
/// `int64_t`, then the `LAYER_CLAIM_TEXT_COUNT` text lengths as `uint32_t`.
pub const LAYER_VERIFY_INTO_HEADER_BYTES: usize = 16 + 4 * LAYER_CLAIM_TEXT_COUNT;
/// A buffer of this many bytes always holds what `layer_verifier_verify_into` writes: a token
/// is at most 16384 bytes, so its claims JSON at most 12288, and the texts read from it (each
/// no longer than its escaped form), the JSON itself and the metadata JSON at most three times
/// that, after the header.
pub const LAYER_VERIFY_INTO_BUFFER_BYTES: usize = 40960;
/// The length `layer_verifier_verify_into` writes for an absent text.
pub const LAYER_CLAIM_ABSENT: u32 = u32::MAX;

const _: () = assert!(
    LAYER_VERIFY_INTO_HEADER_BYTES + 3 * crate::token::MAX_TOKEN_BYTES * 3 / 4
        <= LAYER_VERIFY_INTO_BUFFER_BYTES
);

/// A string with a NUL after its bytes, for C; its length excludes the NUL.
struct ClaimText(Box<[u8]>);

impl ClaimText {
    fn new(text: String) -> ClaimText {
        let mut bytes = text.into_bytes();
        bytes.push(0);
        ClaimText(bytes.into_boxed_slice())
    }

    fn len(&self) -> usize {
        self.0.len() - 1
    }

    fn as_ptr(&self) -> *const c_char {
        self.0.as_ptr().cast()
    }

    fn give(&self, out_len: *mut usize) -> *const c_char {
        if !out_len.is_null() {
            // SAFETY: the caller passes NULL (checked) or a writable size_t.
            unsafe { *out_len = self.len() };
        }
        self.as_ptr()
    }
}

impl LayerClaims {
    pub(super) fn new(claims: Claims, json: String) -> LayerClaims {
        let attributes = claims.attributes;
        let metadata_json = (!attributes.metadata.is_empty()).then(|| {
            let mut text = Vec::new();
            let mut separator = b'{';
            for (name, value) in &attributes.metadata {
                text.push(separator);
                separator = b',';
                json::push_string(&mut text, name);
                text.push(b':');
                json::push_string(&mut text, value);
            }
            text.push(b'}');
            String::from_utf8(text).expect("JSON of strings is UTF-8")
        });
        let texts = [
            Some(claims.iss),
            Some(claims.prn),
            Some(claims.nce),
            attributes.first_name,
            attributes.last_name,
            attributes.display_name,
            attributes.avatar_url,
            Some(json),
            metadata_json,
        ];
        LayerClaims {
            texts: texts.map(|text| text.map(ClaimText::new)),
            issued_at: claims.iat,
            expires_at: claims.exp,
            metadata: attributes
                .metadata
                .into_iter()
                .map(|(name, value)| (ClaimText::new(name), ClaimText::new(value)))
                .collect(),
        }
    }

    /// Writes the first `count` texts (pointer and length; NULL and 0 when absent) and the two
    /// times to caller-provided arrays, each of which may be NULL.
    ///
    /// # Safety
    /// `out_texts` and `out_lens` are NULL or hold `count` writable entries; `out_times` is
    /// NULL or holds 2.
    pub(super) unsafe fn read_into(
        &self,
        out_texts: *mut *const c_char,
        out_lens: *mut usize,
        count: usize,
        out_times: *mut i64,
    ) {
        for (index, text) in self.texts.iter().enumerate().take(count) {
            if !out_texts.is_null() {
                *out_texts.add(index) = text.as_ref().map_or(ptr::null(), ClaimText::as_ptr);
            }
            if !out_lens.is_null() {
                *out_lens.add(index) = text.as_ref().map_or(0, ClaimText::len);
            }
        }
        if !out_times.is_null() {
            *out_times = self.issued_at;
            *out_times.add(1) = self.expires_at;
        }
    }
}

impl LayerClaims {
    /// Writes the claims in the layout of `layer_verifier_verify_into` (header, then the texts
    /// one after another) into `buffer`, or says how many bytes that needs.
    pub(super) fn write_into(&self, buffer: &mut [u8]) -> Result<(), usize> {
        let texts_len: usize = self.texts.iter().flatten().map(ClaimText::len).sum();
        let needed = LAYER_VERIFY_INTO_HEADER_BYTES + texts_len;
        if buffer.len() < needed {
            return Err(needed);
        }
        let (header, mut rest) = buffer.split_at_mut(LAYER_VERIFY_INTO_HEADER_BYTES);
        header[..8].copy_from_slice(&self.issued_at.to_ne_bytes());
        header[8..16].copy_from_slice(&self.expires_at.to_ne_bytes());
        for (index, text) in self.texts.iter().enumerate() {
            let len = match text {
                Some(text) => {
                    let bytes = &text.0[..text.len()];
                    let (target, after) = rest.split_at_mut(bytes.len());
                    target.copy_from_slice(bytes);
                    rest = after;
                    u32::try_from(bytes.len()).expect("a text is shorter than a token")
                }
                None => LAYER_CLAIM_ABSENT,
            };
            header[16 + 4 * index..20 + 4 * index].copy_from_slice(&len.to_ne_bytes());
        }
        Ok(())
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

/// Reads text `which` of `claims`.
///
/// # Safety
/// As for `claim_text`.
unsafe fn indexed(
    claims: *const LayerClaims,
    out_len: *mut usize,
    which: LayerClaimText,
) -> *const c_char {
    claim_text(claims, out_len, |c| c.texts[which as usize].as_ref())
}

/// `iss`: the provider ID the token was issued by.
#[no_mangle]
pub unsafe extern "C" fn layer_claims_provider_id(
    claims: *const LayerClaims,
    out_len: *mut usize,
) -> *const c_char {
    indexed(claims, out_len, LayerClaimText::LAYER_CLAIM_PROVIDER_ID)
}

/// `prn`: the app's user ID the token authenticates.
#[no_mangle]
pub unsafe extern "C" fn layer_claims_user_id(
    claims: *const LayerClaims,
    out_len: *mut usize,
) -> *const c_char {
    indexed(claims, out_len, LayerClaimText::LAYER_CLAIM_USER_ID)
}

/// `nce`: the nonce the token answers.
#[no_mangle]
pub unsafe extern "C" fn layer_claims_nonce(
    claims: *const LayerClaims,
    out_len: *mut usize,
) -> *const c_char {
    indexed(claims, out_len, LayerClaimText::LAYER_CLAIM_NONCE)
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
    indexed(claims, out_len, LayerClaimText::LAYER_CLAIM_FIRST_NAME)
}

/// `last_name`, or NULL when the token has none (absent or null).
#[no_mangle]
pub unsafe extern "C" fn layer_claims_last_name(
    claims: *const LayerClaims,
    out_len: *mut usize,
) -> *const c_char {
    indexed(claims, out_len, LayerClaimText::LAYER_CLAIM_LAST_NAME)
}

/// `display_name`, or NULL when the token has none (absent or null).
#[no_mangle]
pub unsafe extern "C" fn layer_claims_display_name(
    claims: *const LayerClaims,
    out_len: *mut usize,
) -> *const c_char {
    indexed(claims, out_len, LayerClaimText::LAYER_CLAIM_DISPLAY_NAME)
}

/// `avatar_url`, or NULL when the token has none (absent or null).
#[no_mangle]
pub unsafe extern "C" fn layer_claims_avatar_url(
    claims: *const LayerClaims,
    out_len: *mut usize,
) -> *const c_char {
    indexed(claims, out_len, LayerClaimText::LAYER_CLAIM_AVATAR_URL)
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
    indexed(claims, out_len, LayerClaimText::LAYER_CLAIM_JSON)
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
