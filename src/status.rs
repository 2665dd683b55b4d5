//! The stable numbers behind errors, as every binding sees them: `LayerStatus` for each
//! fallible call and `LayerEit` for Layer's identifier of a rejected token. The names live here,
//! in the core, so that the C ABI, the CLI and the wrappers all report the same words.
//!
//! cbindgen reads this file (besides `src/ffi.rs`) to write `include/layer_identity.h`, so each
//! doc comment is also the C contract. Values are never renumbered; new ones are only appended.

#![allow(non_camel_case_types)]

use std::ffi::{c_int, CStr};

use crate::error::{Eit, Error, ErrorKind};

/// Status of every fallible call. Values are stable and never renumbered; new ones are only
/// ever appended.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LayerStatus {
    /// Success; the out-parameters were written.
    LAYER_OK = 0,
    /// A required pointer argument (input or output) was NULL.
    LAYER_ERR_NULL_ARGUMENT = 1,
    /// A string argument was not valid UTF-8.
    LAYER_ERR_INVALID_UTF8 = 2,
    /// An argument was well-formed text but not acceptable (an ID, an empty user ID or nonce,
    /// U+0000 in a text, a negative time or one in milliseconds, attributes or metadata,
    /// unknown flags, key size to generate, a missing or malformed LAYER_* environment
    /// variable, a call out of step).
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

impl LayerStatus {
    /// Every status, in numeric order.
    pub(crate) const ALL: [LayerStatus; 14] = [
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
    pub fn from_value(value: c_int) -> Option<LayerStatus> {
        LayerStatus::ALL.into_iter().find(|s| *s as c_int == value)
    }

    /// The C name, e.g. `"LAYER_ERR_EXPIRED"`.
    pub fn name(self) -> &'static str {
        self.c_name().to_str().expect("status names are ASCII")
    }

    /// The C name with its NUL, for `layer_status_name`.
    pub const fn c_name(self) -> &'static CStr {
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

impl Error {
    /// The `LayerStatus` name this error is reported with, e.g. `"LAYER_ERR_EXPIRED"`.
    pub fn status_name(&self) -> &'static str {
        LayerStatus::from(self.kind()).name()
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

/// Layer's identifier for the verifier rule a token broke, as a number (`layer_eit_name` gives
/// the text, e.g. `"eit_expired"`). `LAYER_EIT_NONE` when a call failed for another reason (a
/// NULL argument, say) or did not fail. Values are stable; new ones are only appended.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LayerEit {
    /// No verifier rule: success, or a failure that is not about the token.
    LAYER_EIT_NONE = 0,
    /// `eit_wrong_jws_part_count`: not three `.`-separated parts.
    LAYER_EIT_WRONG_JWS_PART_COUNT = 1,
    /// `eit_malformed_base64url`: a part is not canonical unpadded base64url.
    LAYER_EIT_MALFORMED_BASE64URL = 2,
    /// `eit_malformed_json`: header or claims not a JSON object, a duplicate member, or a
    /// token over 16 KiB.
    LAYER_EIT_MALFORMED_JSON = 3,
    /// `eit_header_param_not_found`: `typ`, `alg`, `cty` or `kid` is missing.
    LAYER_EIT_HEADER_PARAM_NOT_FOUND = 4,
    /// `eit_header_param_wrong_type`: a header member is not a string.
    LAYER_EIT_HEADER_PARAM_WRONG_TYPE = 5,
    /// `eit_header_param_wrong_value`: an extra header member or a wrong `alg`/`typ`/`cty`.
    LAYER_EIT_HEADER_PARAM_WRONG_VALUE = 6,
    /// `eit_claim_not_found`: `iss`, `prn`, `iat`, `exp` or `nce` is missing.
    LAYER_EIT_CLAIM_NOT_FOUND = 7,
    /// `eit_claim_wrong_type`: a claim has the wrong type, or `iat >= exp`.
    LAYER_EIT_CLAIM_WRONG_TYPE = 8,
    /// `eit_expired`: `exp` has passed.
    LAYER_EIT_EXPIRED = 9,
    /// `eit_not_before`: `iat` is in the future.
    LAYER_EIT_NOT_BEFORE = 10,
    /// `eit_key_not_found`: `kid` is not the configured key ID.
    LAYER_EIT_KEY_NOT_FOUND = 11,
    /// `eit_provider_not_found`: `iss` is not the configured provider ID.
    LAYER_EIT_PROVIDER_NOT_FOUND = 12,
    /// `eit_signature_verification_failed`: the signature does not verify.
    LAYER_EIT_SIGNATURE_VERIFICATION_FAILED = 13,
    /// `eit_nonce_not_found`: `nce` is not the expected nonce.
    LAYER_EIT_NONCE_NOT_FOUND = 14,
}

impl LayerEit {
    /// Every identifier, in numeric order.
    pub(crate) const ALL: [LayerEit; 15] = [
        LayerEit::LAYER_EIT_NONE,
        LayerEit::LAYER_EIT_WRONG_JWS_PART_COUNT,
        LayerEit::LAYER_EIT_MALFORMED_BASE64URL,
        LayerEit::LAYER_EIT_MALFORMED_JSON,
        LayerEit::LAYER_EIT_HEADER_PARAM_NOT_FOUND,
        LayerEit::LAYER_EIT_HEADER_PARAM_WRONG_TYPE,
        LayerEit::LAYER_EIT_HEADER_PARAM_WRONG_VALUE,
        LayerEit::LAYER_EIT_CLAIM_NOT_FOUND,
        LayerEit::LAYER_EIT_CLAIM_WRONG_TYPE,
        LayerEit::LAYER_EIT_EXPIRED,
        LayerEit::LAYER_EIT_NOT_BEFORE,
        LayerEit::LAYER_EIT_KEY_NOT_FOUND,
        LayerEit::LAYER_EIT_PROVIDER_NOT_FOUND,
        LayerEit::LAYER_EIT_SIGNATURE_VERIFICATION_FAILED,
        LayerEit::LAYER_EIT_NONCE_NOT_FOUND,
    ];

    pub fn from_value(value: c_int) -> Option<LayerEit> {
        LayerEit::ALL.into_iter().find(|e| *e as c_int == value)
    }

    /// The core's identifier, `None` for `LAYER_EIT_NONE`.
    pub const fn eit(self) -> Option<Eit> {
        Some(match self {
            LayerEit::LAYER_EIT_NONE => return None,
            LayerEit::LAYER_EIT_WRONG_JWS_PART_COUNT => Eit::WrongJwsPartCount,
            LayerEit::LAYER_EIT_MALFORMED_BASE64URL => Eit::MalformedBase64url,
            LayerEit::LAYER_EIT_MALFORMED_JSON => Eit::MalformedJson,
            LayerEit::LAYER_EIT_HEADER_PARAM_NOT_FOUND => Eit::HeaderParamNotFound,
            LayerEit::LAYER_EIT_HEADER_PARAM_WRONG_TYPE => Eit::HeaderParamWrongType,
            LayerEit::LAYER_EIT_HEADER_PARAM_WRONG_VALUE => Eit::HeaderParamWrongValue,
            LayerEit::LAYER_EIT_CLAIM_NOT_FOUND => Eit::ClaimNotFound,
            LayerEit::LAYER_EIT_CLAIM_WRONG_TYPE => Eit::ClaimWrongType,
            LayerEit::LAYER_EIT_EXPIRED => Eit::Expired,
            LayerEit::LAYER_EIT_NOT_BEFORE => Eit::NotBefore,
            LayerEit::LAYER_EIT_KEY_NOT_FOUND => Eit::KeyNotFound,
            LayerEit::LAYER_EIT_PROVIDER_NOT_FOUND => Eit::ProviderNotFound,
            LayerEit::LAYER_EIT_SIGNATURE_VERIFICATION_FAILED => Eit::SignatureVerificationFailed,
            LayerEit::LAYER_EIT_NONCE_NOT_FOUND => Eit::NonceNotFound,
        })
    }
}

impl From<Option<Eit>> for LayerEit {
    fn from(eit: Option<Eit>) -> Self {
        match eit {
            None => LayerEit::LAYER_EIT_NONE,
            Some(Eit::WrongJwsPartCount) => LayerEit::LAYER_EIT_WRONG_JWS_PART_COUNT,
            Some(Eit::MalformedBase64url) => LayerEit::LAYER_EIT_MALFORMED_BASE64URL,
            Some(Eit::MalformedJson) => LayerEit::LAYER_EIT_MALFORMED_JSON,
            Some(Eit::HeaderParamNotFound) => LayerEit::LAYER_EIT_HEADER_PARAM_NOT_FOUND,
            Some(Eit::HeaderParamWrongType) => LayerEit::LAYER_EIT_HEADER_PARAM_WRONG_TYPE,
            Some(Eit::HeaderParamWrongValue) => LayerEit::LAYER_EIT_HEADER_PARAM_WRONG_VALUE,
            Some(Eit::ClaimNotFound) => LayerEit::LAYER_EIT_CLAIM_NOT_FOUND,
            Some(Eit::ClaimWrongType) => LayerEit::LAYER_EIT_CLAIM_WRONG_TYPE,
            Some(Eit::Expired) => LayerEit::LAYER_EIT_EXPIRED,
            Some(Eit::NotBefore) => LayerEit::LAYER_EIT_NOT_BEFORE,
            Some(Eit::KeyNotFound) => LayerEit::LAYER_EIT_KEY_NOT_FOUND,
            Some(Eit::ProviderNotFound) => LayerEit::LAYER_EIT_PROVIDER_NOT_FOUND,
            Some(Eit::SignatureVerificationFailed) => {
                LayerEit::LAYER_EIT_SIGNATURE_VERIFICATION_FAILED
            }
            Some(Eit::NonceNotFound) => LayerEit::LAYER_EIT_NONCE_NOT_FOUND,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_their_positions_and_names_match_the_variants() {
        for (value, status) in LayerStatus::ALL.into_iter().enumerate() {
            assert_eq!(status as c_int, value as c_int);
            assert_eq!(LayerStatus::from_value(value as c_int), Some(status));
            assert_eq!(status.name(), format!("{status:?}"));
        }
        for (value, eit) in LayerEit::ALL.into_iter().enumerate() {
            assert_eq!(eit as c_int, value as c_int);
            assert_eq!(LayerEit::from(eit.eit()), eit);
            if let Some(core) = eit.eit() {
                let expected = format!("{eit:?}")
                    .replace("LAYER_EIT_", "eit_")
                    .to_lowercase();
                assert_eq!(core.as_str(), expected);
            }
        }
        assert_eq!(LayerStatus::from_value(14), None);
        assert_eq!(LayerEit::from_value(-1), None);
    }
}
