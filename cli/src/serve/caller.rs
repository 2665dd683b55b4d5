//! Caller authentication: the service signs for whichever user its caller names, so a caller
//! proves itself with the shared secret `LAYER_SERVICE_TOKEN`, sent as a bearer token
//! (`Authorization: Bearer <token>`, RFC 6750) and compared in constant time.

use hyper::header::HeaderValue;
use openssl::hash::{hash, MessageDigest};

use crate::failure::Failure;

pub const SERVICE_TOKEN_VAR: &str = "LAYER_SERVICE_TOKEN";
/// Shorter secrets are guessable; `openssl rand -hex 32` gives 64 characters.
pub const MIN_TOKEN_CHARS: usize = 16;

/// The configured secret, kept only as its SHA-256.
pub struct CallerCheck {
    digest: Option<Vec<u8>>,
}

impl CallerCheck {
    /// `LAYER_SERVICE_TOKEN`, if set: at least 16 characters of a bearer token's alphabet
    /// (letters, digits, `-._~+/`, trailing `=`). The messages never repeat the value.
    pub fn from_env() -> Result<CallerCheck, Failure> {
        let value = match std::env::var(SERVICE_TOKEN_VAR) {
            Err(std::env::VarError::NotPresent) => return Ok(CallerCheck { digest: None }),
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(Failure::usage(format!(
                    "{SERVICE_TOKEN_VAR} must be ASCII: letters, digits and -._~+/"
                )))
            }
            Ok(value) if value.is_empty() => return Ok(CallerCheck { digest: None }),
            Ok(value) => zeroize::Zeroizing::new(value),
        };
        if !is_bearer_token(&value) {
            return Err(Failure::usage(format!(
                "{SERVICE_TOKEN_VAR} must be a bearer token: letters, digits and -._~+/ (then \
                 '=' padding at most), no spaces or line breaks; make one with `openssl rand \
                 -hex 32`"
            )));
        }
        if value.len() < MIN_TOKEN_CHARS {
            return Err(Failure::usage(format!(
                "{SERVICE_TOKEN_VAR} is {} characters, fewer than the {MIN_TOKEN_CHARS} that a \
                 secret needs; make one with `openssl rand -hex 32`",
                value.len()
            )));
        }
        Ok(CallerCheck {
            digest: Some(sha256(value.as_bytes())),
        })
    }

    /// Whether callers must authenticate.
    pub fn required(&self) -> bool {
        self.digest.is_some()
    }

    /// Whether a request with this `Authorization` header may mint: always when no token is
    /// configured, else when it carries the token. Digests of equal length are compared in
    /// constant time, so neither the token's bytes nor its length leak through timing.
    pub fn admits(&self, authorization: Option<&HeaderValue>) -> bool {
        let Some(expected) = &self.digest else {
            return true;
        };
        let Some(given) = authorization.and_then(|value| bearer(value.as_bytes())) else {
            return false;
        };
        openssl::memcmp::eq(&sha256(given), expected)
    }
}

/// The credentials of `Bearer <token>` (the scheme in any letter case).
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = value.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case(b"bearer") || !rest.starts_with(b" ") {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// RFC 6750's `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_bearer_token(value: &str) -> bool {
    let body = value.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    hash(MessageDigest::sha256(), bytes)
        .expect("SHA-256 is available")
        .to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(token: &str) -> CallerCheck {
        CallerCheck {
            digest: Some(sha256(token.as_bytes())),
        }
    }

    #[test]
    fn only_the_configured_bearer_token_is_admitted() {
        let secret = "0123456789abcdef0123";
        let caller = check(secret);
        let header = |text: &str| HeaderValue::from_str(text).unwrap();
        assert!(caller.admits(Some(&header(&format!("Bearer {secret}")))));
        assert!(caller.admits(Some(&header(&format!("bearer  {secret} ")))));
        assert!(!caller.admits(None));
        assert!(!caller.admits(Some(&header(secret))));
        assert!(!caller.admits(Some(&header(&format!("Basic {secret}")))));
        assert!(!caller.admits(Some(&header(&format!("Bearer {secret}x")))));
        assert!(!caller.admits(Some(&header("Bearer "))));
        assert!(!caller.admits(Some(&header("Bearer"))));
        assert!(CallerCheck { digest: None }.admits(None));
    }

    #[test]
    fn bearer_token_alphabet() {
        assert!(is_bearer_token("abc-._~+/XYZ09=="));
        assert!(!is_bearer_token("has space"));
        assert!(!is_bearer_token("a=b"));
        assert!(!is_bearer_token("==="));
        assert!(!is_bearer_token("line\nbreak"));
    }
}
