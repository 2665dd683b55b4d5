//! The strict verifier: a local stand-in for the Layer dashboard's identity token validation
//! tool. It follows RFC 8725: one algorithm (RS256) from the configured key only, the header
//! exactly as Layer defines it, the signature checked before any claim is trusted, and every
//! rejection named by Layer's own `eit_*` identifier.

use crate::base64url;
use crate::error::{quote, Eit, Error, Result};
use crate::flags::Flags;
use crate::ids::{validate_key_id, validate_non_empty, validate_provider_id};
use crate::json::{self, member, Members, Scalar};
use crate::keys::{check_key_size, load_public_key};
use crate::rs256::Rs256Verifier;
use crate::time::seconds_or_now;
use crate::token::{header_json, Attributes, ATTRIBUTE_NAMES, CONTENT_TYPE, MAX_TOKEN_BYTES};

const HEADER_MEMBERS: [&str; 4] = ["typ", "alg", "cty", "kid"];

/// The claims of a verified token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub prn: String,
    pub iat: i64,
    pub exp: i64,
    pub nce: String,
    pub attributes: Attributes,
}

/// A token that passed every rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedToken {
    pub claims: Claims,
    /// The claims exactly as the token carries them (decoded from base64url).
    pub claims_json: String,
}

/// A token's three parts, decoded but not checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedToken {
    pub header: Vec<u8>,
    pub claims: Vec<u8>,
    pub signature: Vec<u8>,
}

impl DecodedToken {
    /// The header and claims as text, for display. Unverified: nothing in them is trustworthy.
    pub fn into_text(self) -> Result<(String, String)> {
        let text = |bytes, name| {
            String::from_utf8(bytes).map_err(|_| {
                Error::token(Eit::MalformedJson, format!("the {name} is not UTF-8 text"))
            })
        };
        Ok((text(self.header, "header")?, text(self.claims, "claims")?))
    }
}

/// A token's three base64url parts, split but not decoded.
struct Parts<'a> {
    header: &'a str,
    claims: &'a str,
    signature: &'a str,
    /// `header "." claims`: what the signature covers.
    signing_input: &'a str,
}

fn split(token: &str) -> Result<Parts<'_>> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Error::token(
            Eit::MalformedJson,
            format!(
                "the token is {} bytes, more than the {MAX_TOKEN_BYTES} accepted",
                token.len()
            ),
        ));
    }
    let part_count = token.split('.').count();
    let (signing_input, signature) = token.rsplit_once('.').unwrap_or_default();
    match (part_count, signing_input.split_once('.')) {
        (3, Some((header, claims))) => Ok(Parts {
            header,
            claims,
            signature,
            signing_input,
        }),
        _ => Err(Error::token(
            Eit::WrongJwsPartCount,
            format!(
                "a JWS in compact form has 3 parts separated by '.', this token has {part_count}"
            ),
        )),
    }
}

/// Splits and base64url-decodes a token without checking anything else. This is what the
/// verifier does first; on its own it is only for looking at a token, never for trusting one.
pub fn decode(token: &str) -> Result<DecodedToken> {
    let parts = split(token)?;
    Ok(DecodedToken {
        header: decode_part(parts.header, "header")?,
        claims: decode_part(parts.claims, "claims")?,
        signature: decode_part(parts.signature, "signature")?,
    })
}

fn decode_part(part: &str, name: &str) -> Result<Vec<u8>> {
    if part.is_empty() {
        return Err(Error::token(
            Eit::MalformedBase64url,
            format!("the {name} part is empty"),
        ));
    }
    base64url::decode(part.as_bytes()).map_err(|e| {
        Error::token(
            Eit::MalformedBase64url,
            format!("the {name} part is not canonical unpadded base64url: {e}"),
        )
    })
}

/// Checks tokens against one public key, provider ID and key ID. Immutable once made and safe
/// to share between threads.
pub struct Verifier {
    key: Rs256Verifier,
    provider_id: String,
    key_id: String,
    /// The base64url headers this library's signers write for this key ID (typ JWS and JWT).
    /// Base64url is canonical here, so a token whose header part equals one of them passes
    /// every header rule without being decoded or parsed.
    known_headers_b64: [String; 2],
}

impl Verifier {
    /// `key` is the public key (SPKI or PKCS#1), or an unencrypted private key to derive it from.
    /// `Flags::ALLOW_1024_BIT_KEY` admits a legacy 1024-bit key; `Flags::TYP_JWT` is accepted
    /// and changes nothing (both typ values verify).
    pub fn new(key: &[u8], provider_id: &str, key_id: &str, flags: Flags) -> Result<Verifier> {
        validate_provider_id(provider_id)?;
        validate_key_id(key_id)?;
        let key = Rs256Verifier::new(load_public_key(key)?)?;
        check_key_size(key.bits(), flags.contains(Flags::ALLOW_1024_BIT_KEY))?;
        Ok(Verifier {
            key,
            provider_id: provider_id.to_owned(),
            key_id: key_id.to_owned(),
            known_headers_b64: [Flags::default(), Flags::TYP_JWT]
                .map(|flags| base64url::encode(&header_json(key_id, flags))),
        })
    }

    /// Verifies `token` at time `now` (`<= 0`: the system clock) allowing `leeway_seconds` of
    /// clock skew. With `expected_nonce`, the token must answer exactly that nonce.
    pub fn verify(
        &self,
        token: &str,
        expected_nonce: Option<&str>,
        now: i64,
        leeway_seconds: u32,
    ) -> Result<VerifiedToken> {
        if let Some(nonce) = expected_nonce {
            validate_non_empty(
                nonce,
                "expected nonce (to skip the nonce check, give none: NULL in C)",
            )?;
        }
        let now = seconds_or_now(now, "now")?;
        let leeway = i64::from(leeway_seconds);

        let parts = split(token)?;
        let header = if self.known_headers_b64.iter().any(|h| h == parts.header) {
            None
        } else {
            Some(decode_part(parts.header, "header")?)
        };
        let claims_bytes = decode_part(parts.claims, "claims")?;
        let signature = decode_part(parts.signature, "signature")?;
        if let Some(header) = header {
            let members = json::parse_object(&header).map_err(|r| {
                Error::token(
                    Eit::MalformedJson,
                    format!("the header is not a JSON object: {r}"),
                )
            })?;
            self.check_header(&members)?;
        }

        // Nothing in the claims is looked at before the signature holds.
        if !self.key.verify(parts.signing_input.as_bytes(), &signature) {
            return Err(Error::token(
                Eit::SignatureVerificationFailed,
                "the RS256 signature does not verify with the configured public key",
            ));
        }

        let members = json::parse_object(&claims_bytes).map_err(|r| {
            Error::token(
                Eit::MalformedJson,
                format!("the claims are not a JSON object: {r}"),
            )
        })?;
        let claims = read_claims(&members)?;
        if claims.iss != self.provider_id {
            return Err(Error::token(
                Eit::ProviderNotFound,
                format!(
                    "iss {} is not the configured provider ID {}",
                    quote(&claims.iss),
                    quote(&self.provider_id)
                ),
            ));
        }
        if claims.exp <= now - leeway {
            return Err(Error::token(
                Eit::Expired,
                format!(
                    "the token expired at {} and it is now {now} (leeway {leeway} s)",
                    claims.exp
                ),
            ));
        }
        if claims.iat > now.saturating_add(leeway) {
            return Err(Error::token(
                Eit::NotBefore,
                format!(
                    "the token is issued at {}, after now ({now}, leeway {leeway} s)",
                    claims.iat
                ),
            ));
        }
        if let Some(nonce) = expected_nonce {
            if claims.nce != nonce {
                return Err(Error::token(
                    Eit::NonceNotFound,
                    format!("nce {} is not the expected nonce", quote(&claims.nce)),
                ));
            }
        }
        let claims_json = String::from_utf8(claims_bytes)
            .map_err(|_| Error::token(Eit::MalformedJson, "the claims are not UTF-8"))?;
        Ok(VerifiedToken {
            claims,
            claims_json,
        })
    }

    fn check_header(&self, header: &Members) -> Result<()> {
        for name in HEADER_MEMBERS {
            match member(header, name) {
                None => {
                    return Err(Error::token(
                        Eit::HeaderParamNotFound,
                        format!("the header has no \"{name}\""),
                    ))
                }
                Some(Scalar::Str(_)) => {}
                Some(_) => {
                    return Err(Error::token(
                        Eit::HeaderParamWrongType,
                        format!("the header's \"{name}\" is not a string"),
                    ))
                }
            }
        }
        if let Some((extra, _)) = header
            .iter()
            .find(|(n, _)| !HEADER_MEMBERS.contains(&n.as_ref()))
        {
            return Err(Error::token(
                Eit::HeaderParamWrongValue,
                format!(
                    "the header member {} is not allowed; a Layer header has exactly typ, alg, cty and kid",
                    quote(extra)
                ),
            ));
        }
        let value = |name| {
            member(header, name)
                .and_then(Scalar::as_str)
                .expect("checked above")
        };
        let alg = value("alg");
        if alg != "RS256" {
            return Err(Error::token(
                Eit::HeaderParamWrongValue,
                format!("alg is {}; only \"RS256\" is accepted", quote(alg)),
            ));
        }
        let typ = value("typ");
        if typ != "JWS" && typ != "JWT" {
            return Err(Error::token(
                Eit::HeaderParamWrongValue,
                format!("typ is {}; expected \"JWS\" or \"JWT\"", quote(typ)),
            ));
        }
        let cty = value("cty");
        if cty != CONTENT_TYPE {
            return Err(Error::token(
                Eit::HeaderParamWrongValue,
                format!("cty is {}; expected \"{CONTENT_TYPE}\"", quote(cty)),
            ));
        }
        let kid = value("kid");
        if kid != self.key_id {
            return Err(Error::token(
                Eit::KeyNotFound,
                format!(
                    "kid {} is not the configured key ID {}",
                    quote(kid),
                    quote(&self.key_id)
                ),
            ));
        }
        Ok(())
    }
}

fn read_claims(members: &Members) -> Result<Claims> {
    let required = |name: &str| {
        member(members, name).ok_or_else(|| {
            Error::token(Eit::ClaimNotFound, format!("the claims have no \"{name}\""))
        })
    };
    let string = |name: &str| -> Result<String> {
        match required(name)? {
            Scalar::Str(s) => Ok(s.to_string()),
            _ => Err(Error::token(
                Eit::ClaimWrongType,
                format!("\"{name}\" must be a string"),
            )),
        }
    };
    let non_empty_string = |name: &str| -> Result<String> {
        match required(name)? {
            Scalar::Str(s) if !s.is_empty() => Ok(s.to_string()),
            _ => Err(Error::token(
                Eit::ClaimWrongType,
                format!("\"{name}\" must be a non-empty string"),
            )),
        }
    };
    let integer = |name: &str| -> Result<i64> {
        match required(name)? {
            Scalar::Int(value) => Ok(*value),
            _ => Err(Error::token(
                Eit::ClaimWrongType,
                format!("\"{name}\" must be an integer number of Unix seconds"),
            )),
        }
    };
    // An empty iss is simply not the configured provider ID.
    let iss = string("iss")?;
    let prn = non_empty_string("prn")?;
    let iat = integer("iat")?;
    let exp = integer("exp")?;
    let nce = non_empty_string("nce")?;
    let mut attributes = Attributes::default();
    for name in ATTRIBUTE_NAMES {
        match member(members, name) {
            None => {}
            Some(Scalar::Str(value)) => {
                *attributes.slot(name).expect("a known attribute name") = Some(value.to_string());
            }
            Some(_) => {
                return Err(Error::token(
                    Eit::ClaimWrongType,
                    format!("the identity attribute \"{name}\" must be a string"),
                ))
            }
        }
    }
    if iat >= exp {
        return Err(Error::token(
            Eit::ClaimWrongType,
            format!("exp ({exp}) must be later than iat ({iat})"),
        ));
    }
    Ok(Claims {
        iss,
        prn,
        iat,
        exp,
        nce,
        attributes,
    })
}
