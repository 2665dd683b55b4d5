//! The one error type of the core: a kind (which becomes a `LayerStatus` at the C ABI) and a
//! message written for the engineer who has to fix the input.

use std::fmt;

use openssl::error::ErrorStack;

/// What went wrong, coarsely; each kind maps to exactly one `LayerStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    InvalidArgument,
    InvalidKey,
    WeakKey,
    WrongPassphrase,
    MalformedToken,
    BadSignature,
    Expired,
    NotYetValid,
    ClaimMismatch,
    Crypto,
    Internal,
}

/// Layer's own identifiers for identity-token validation failures, as the Layer dashboard's
/// validation tool reported them. Every verifier rejection carries one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Eit {
    WrongJwsPartCount,
    MalformedBase64url,
    MalformedJson,
    HeaderParamNotFound,
    HeaderParamWrongType,
    HeaderParamWrongValue,
    ClaimNotFound,
    ClaimWrongType,
    Expired,
    NotBefore,
    KeyNotFound,
    ProviderNotFound,
    SignatureVerificationFailed,
    NonceNotFound,
}

impl Eit {
    pub fn as_str(self) -> &'static str {
        self.c_name().to_str().expect("identifiers are ASCII")
    }

    /// The identifier with its NUL, for `layer_eit_name`.
    pub const fn c_name(self) -> &'static std::ffi::CStr {
        match self {
            Eit::WrongJwsPartCount => c"eit_wrong_jws_part_count",
            Eit::MalformedBase64url => c"eit_malformed_base64url",
            Eit::MalformedJson => c"eit_malformed_json",
            Eit::HeaderParamNotFound => c"eit_header_param_not_found",
            Eit::HeaderParamWrongType => c"eit_header_param_wrong_type",
            Eit::HeaderParamWrongValue => c"eit_header_param_wrong_value",
            Eit::ClaimNotFound => c"eit_claim_not_found",
            Eit::ClaimWrongType => c"eit_claim_wrong_type",
            Eit::Expired => c"eit_expired",
            Eit::NotBefore => c"eit_not_before",
            Eit::KeyNotFound => c"eit_key_not_found",
            Eit::ProviderNotFound => c"eit_provider_not_found",
            Eit::SignatureVerificationFailed => c"eit_signature_verification_failed",
            Eit::NonceNotFound => c"eit_nonce_not_found",
        }
    }

    /// The error kind a rejection for this rule reports.
    pub const fn kind(self) -> ErrorKind {
        match self {
            Eit::KeyNotFound | Eit::ProviderNotFound | Eit::NonceNotFound => {
                ErrorKind::ClaimMismatch
            }
            Eit::SignatureVerificationFailed => ErrorKind::BadSignature,
            Eit::Expired => ErrorKind::Expired,
            Eit::NotBefore => ErrorKind::NotYetValid,
            Eit::WrongJwsPartCount
            | Eit::MalformedBase64url
            | Eit::MalformedJson
            | Eit::HeaderParamNotFound
            | Eit::HeaderParamWrongType
            | Eit::HeaderParamWrongValue
            | Eit::ClaimNotFound
            | Eit::ClaimWrongType => ErrorKind::MalformedToken,
        }
    }

    /// What a backend engineer usually has to change when Layer reports this identifier.
    pub const fn hint(self) -> &'static str {
        match self {
            Eit::WrongJwsPartCount | Eit::MalformedBase64url | Eit::MalformedJson => {
                "pass the token exactly as the signer produced it: three base64url parts, no padding, nothing added or cut"
            }
            Eit::HeaderParamNotFound | Eit::HeaderParamWrongType | Eit::HeaderParamWrongValue => {
                "the header must be exactly {\"typ\":\"JWS\",\"alg\":\"RS256\",\"cty\":\"layer-eit;v=1\",\"kid\":<key id>}; mint it with layer-identity"
            }
            Eit::ClaimNotFound | Eit::ClaimWrongType => {
                "the claims need iss, prn and nce as non-empty strings, iat < exp as integer Unix seconds, identity attributes as strings and metadata as an object of strings"
            }
            Eit::Expired => {
                "mint a fresh token for each nonce and check the server clock (UTC, seconds, not milliseconds)"
            }
            Eit::NotBefore => {
                "iat is in the future: check the signing server's clock and that iat is in seconds"
            }
            Eit::KeyNotFound => {
                "use the key ID (layer:///keys/<uuid>) of the key pair whose public key you uploaded to Layer"
            }
            Eit::ProviderNotFound => {
                "use the provider ID (layer:///providers/<uuid>) shown in the Layer dashboard"
            }
            Eit::SignatureVerificationFailed => {
                "sign with the private key whose public key is registered under this key ID"
            }
            Eit::NonceNotFound => {
                "put the nonce the client SDK just obtained into nce, unchanged; nonces are single-use"
            }
        }
    }
}

impl fmt::Display for Eit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from the core. Messages never contain key material or passphrases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    eit: Option<Eit>,
    message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            eit: None,
            message: message.into(),
        }
    }

    /// A verifier rejection; the message starts with Layer's identifier for the rule.
    pub fn token(eit: Eit, detail: impl fmt::Display) -> Self {
        Error {
            kind: eit.kind(),
            eit: Some(eit),
            message: format!("{eit}: {detail}"),
        }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    pub fn invalid_key(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidKey, message)
    }

    /// An OpenSSL failure, with OpenSSL's own reasons appended (they never hold key bytes).
    pub fn openssl(kind: ErrorKind, context: &str, stack: &ErrorStack) -> Self {
        Error::new(kind, format!("{context}{}", describe_openssl(stack)))
    }

    /// The same error, its message prefixed with where the input came from (`"LAYER_KEY_ID: "`).
    pub fn context(self, origin: impl fmt::Display) -> Self {
        Error {
            message: format!("{origin}: {}", self.message),
            ..self
        }
    }

    /// The same error with advice appended (`"...; set LAYER_PRIVATE_KEY_PASSPHRASE"`).
    pub fn advise(self, advice: impl fmt::Display) -> Self {
        Error {
            message: format!("{}; {advice}", self.message),
            ..self
        }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn eit(&self) -> Option<Eit> {
        self.eit
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// `" (OpenSSL: reason; reason)"`, or nothing when OpenSSL gave no reason.
fn describe_openssl(stack: &ErrorStack) -> String {
    let reasons: Vec<String> = stack
        .errors()
        .iter()
        .map(|e| {
            e.reason()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("error code {:#x}", e.code()))
        })
        .collect();
    if reasons.is_empty() {
        String::new()
    } else {
        format!(" (OpenSSL: {})", reasons.join("; "))
    }
}

/// Quote untrusted text for an error message: escaped and cut short, so a hostile input cannot
/// flood logs or forge lines.
pub(crate) fn quote(text: &str) -> String {
    const MAX_CHARS: usize = 64;
    let mut quoted = String::from("\"");
    for (i, c) in text.chars().enumerate() {
        if i == MAX_CHARS {
            quoted.push_str("...");
            break;
        }
        quoted.extend(c.escape_debug());
    }
    quoted.push('"');
    quoted
}
