//! The verifier's rules, written again from the README's table ("The verifier's rules") and
//! nothing else: no code of `src/verify.rs` or `src/report.rs`, its own JSON reader
//! ([`crate::json`]) and base64url ([`crate::b64`]), and the signature checked by OpenSSL
//! directly. The fuzz targets compare its verdict with the library's, so a token that breaks a
//! rule and still verifies, or a valid one rejected, or a rejection under another rule's
//! identifier, is a finding.
//!
//! Where the table leaves a point open, the reading taken here is written next to it.

use std::collections::BTreeMap;

use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Public};

use crate::b64;
use crate::json::{self, Value};

pub const MAX_TOKEN_BYTES: usize = 16384;
const HEADER_MEMBERS: [&str; 4] = ["typ", "alg", "cty", "kid"];
const ATTRIBUTES: [&str; 4] = ["first_name", "last_name", "display_name", "avatar_url"];
/// Times at or above 10^11 are milliseconds, which the library refuses (README, the C ABI).
const MILLISECONDS: i64 = 100_000_000_000;

/// What a verifier is configured with.
pub struct Config {
    pub public_key: PKey<Public>,
    pub provider_id: String,
    pub key_id: String,
}

/// The claims of an accepted token, as the oracle reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub prn: String,
    pub iat: i64,
    pub exp: i64,
    pub nce: String,
    /// By attribute name; an attribute that is `null` or absent is not here.
    pub attributes: BTreeMap<String, String>,
    pub metadata: BTreeMap<String, String>,
    /// The claims JSON, exactly the decoded payload.
    pub json: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The call's arguments are refused before the token is looked at (an empty expected
    /// nonce or one with U+0000, a time that is not after 1970 or looks like milliseconds).
    Argument,
    /// The token is rejected under this `eit_*` identifier.
    Reject(&'static str),
    Accept(Claims),
}

/// The verdict on `token` at `now` (`None`: the system clock) with `leeway` seconds, against
/// `expected_nonce` when one is given.
pub fn verdict(
    config: &Config,
    token: &str,
    expected_nonce: Option<&str>,
    now: Option<i64>,
    leeway: u32,
) -> Verdict {
    if let Some(nonce) = expected_nonce {
        if nonce.is_empty() || nonce.contains('\0') {
            return Verdict::Argument;
        }
    }
    let now = match now {
        None => layer_identity::unix_now(),
        Some(now) if now <= 0 || now >= MILLISECONDS => return Verdict::Argument,
        Some(now) => now,
    };
    match check(config, token, expected_nonce, now, leeway) {
        Ok(claims) => Verdict::Accept(claims),
        Err(eit) => Verdict::Reject(eit),
    }
}

fn check(
    config: &Config,
    token: &str,
    expected_nonce: Option<&str>,
    now: i64,
    leeway: u32,
) -> Result<Claims, &'static str> {
    // at most 16384 bytes
    if token.len() > MAX_TOKEN_BYTES {
        return Err("eit_malformed_json");
    }
    // exactly three `.`-separated parts
    let parts: Vec<&str> = token.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err("eit_wrong_jws_part_count");
    };
    // each part canonical unpadded base64url (no `=`, no `+`/`/`, no stray bits). Reading:
    // every part holds something (a header and claims are JSON texts, never empty, and RS256
    // always has a signature), so an empty part is malformed base64url here, not JSON.
    let decode = |part: &str| {
        if part.is_empty() {
            return None;
        }
        b64::decode(part.as_bytes())
    };
    let (Some(header_bytes), Some(claims_bytes), Some(signature_bytes)) =
        (decode(header), decode(claims), decode(signature))
    else {
        return Err("eit_malformed_base64url");
    };

    // header a JSON object, no duplicate member anywhere
    let header_json = parse_object(&header_bytes)?;
    // header has typ, alg, cty, kid (all four are looked for before any type)
    if HEADER_MEMBERS
        .iter()
        .any(|n| header_json.member(n).is_none())
    {
        return Err("eit_header_param_not_found");
    }
    // ... all as strings
    let text = |name: &str| header_json.member(name).and_then(Value::as_str);
    if HEADER_MEMBERS.iter().any(|n| text(n).is_none()) {
        return Err("eit_header_param_wrong_type");
    }
    // nothing else, alg exactly RS256, typ JWS or JWT, cty layer-eit;v=1
    let Value::Object(members) = &header_json else {
        unreachable!("parse_object")
    };
    if members
        .iter()
        .any(|(n, _)| !HEADER_MEMBERS.contains(&n.as_str()))
        || text("alg") != Some("RS256")
        || !matches!(text("typ"), Some("JWS" | "JWT"))
        || text("cty") != Some("layer-eit;v=1")
    {
        return Err("eit_header_param_wrong_value");
    }
    // kid is the configured key ID
    if text("kid") != Some(config.key_id.as_str()) {
        return Err("eit_key_not_found");
    }
    // RS256 signature valid for the configured key — checked before any claim is read
    let signing_input = &token[..header.len() + 1 + claims.len()];
    if !rs256_verifies(
        &config.public_key,
        signing_input.as_bytes(),
        &signature_bytes,
    ) {
        return Err("eit_signature_verification_failed");
    }

    // claims a JSON object, no duplicate member anywhere
    let payload = parse_object(&claims_bytes)?;
    // iss, prn, iat, exp, nce present (all five before any type)
    if ["iss", "prn", "iat", "exp", "nce"]
        .iter()
        .any(|n| payload.member(n).is_none())
    {
        return Err("eit_claim_not_found");
    }
    // iss a string, prn, nce non-empty strings, iat/exp integers (-0 is one; 1.0 and 1e3 are
    // not), identity attributes strings or null (= absent), metadata an object of strings or
    // null, then iat < exp. Reading: an integer is one that fits in 64 bits (Unix seconds).
    let wrong_type = "eit_claim_wrong_type";
    let member = |name| payload.member(name).expect("present");
    let iss = member("iss").as_str().ok_or(wrong_type)?;
    let non_empty = |name| {
        member(name)
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or(wrong_type)
    };
    let prn = non_empty("prn")?;
    let iat = json::integer(member("iat")).ok_or(wrong_type)?;
    let exp = json::integer(member("exp")).ok_or(wrong_type)?;
    let nce = non_empty("nce")?;
    let mut attributes = BTreeMap::new();
    for name in ATTRIBUTES {
        match payload.member(name) {
            None | Some(Value::Null) => {}
            Some(Value::String(value)) => {
                attributes.insert(name.to_owned(), value.clone());
            }
            Some(_) => return Err(wrong_type),
        }
    }
    let mut metadata = BTreeMap::new();
    match payload.member("metadata") {
        None | Some(Value::Null) => {}
        Some(Value::Object(entries)) => {
            for (name, value) in entries {
                metadata.insert(name.clone(), value.as_str().ok_or(wrong_type)?.to_owned());
            }
        }
        Some(_) => return Err(wrong_type),
    }
    if iat >= exp {
        return Err(wrong_type);
    }
    // iss is the configured provider ID
    if iss != config.provider_id {
        return Err("eit_provider_not_found");
    }
    // exp > now - leeway; iat <= now + leeway (exactly, in 128 bits)
    let (now, leeway) = (i128::from(now), i128::from(leeway));
    if i128::from(exp) <= now - leeway {
        return Err("eit_expired");
    }
    if i128::from(iat) > now + leeway {
        return Err("eit_not_before");
    }
    // nce equals the expected nonce, when one is given
    if expected_nonce.is_some_and(|nonce| nonce != nce) {
        return Err("eit_nonce_not_found");
    }
    Ok(Claims {
        iss: iss.to_owned(),
        prn: prn.to_owned(),
        iat,
        exp,
        nce: nce.to_owned(),
        attributes,
        metadata,
        json: claims_bytes,
    })
}

/// "a JSON object, no duplicate member anywhere", with the limits the table states for the
/// reader: nesting at most 127 levels deep (the object itself is one), every number finite as
/// an IEEE double (`1e400` is not).
fn parse_object(bytes: &[u8]) -> Result<Value, &'static str> {
    match json::parse(bytes) {
        Some(value @ Value::Object(_)) if value.depth() <= MAX_DEPTH && finite_numbers(&value) => {
            Ok(value)
        }
        _ => Err("eit_malformed_json"),
    }
}

const MAX_DEPTH: usize = 127;

fn finite_numbers(value: &Value) -> bool {
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            Value::Number(text) if !text.parse::<f64>().is_ok_and(f64::is_finite) => return false,
            Value::Array(items) => pending.extend(items),
            Value::Object(members) => pending.extend(members.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    true
}

/// RSASSA-PKCS1-v1_5 with SHA-256, by OpenSSL.
pub fn rs256_verifies(key: &PKey<Public>, message: &[u8], signature: &[u8]) -> bool {
    let mut verifier =
        openssl::sign::Verifier::new(MessageDigest::sha256(), key).expect("an RSA key");
    let verified = verifier.verify_oneshot(signature, message).unwrap_or(false);
    // OpenSSL leaves the reasons for a bad signature on the thread's error queue.
    drop(openssl::error::ErrorStack::get());
    verified
}

/// An RS256 signature by OpenSSL (the fuzz targets sign with the `openssl` crate directly,
/// never with the library's signer).
pub fn rs256_sign(key: &PKey<openssl::pkey::Private>, message: &[u8]) -> Vec<u8> {
    let mut signer = openssl::sign::Signer::new(MessageDigest::sha256(), key).expect("an RSA key");
    signer
        .sign_oneshot_to_vec(message)
        .expect("OpenSSL signs with a valid key")
}

/// Whether the library's result is the oracle's verdict: the same acceptance with the same
/// claims (and claims JSON), or the same `eit_*` identifier, or an argument refused.
pub fn agrees(
    verdict: &Verdict,
    result: &layer_identity::Result<layer_identity::VerifiedToken>,
) -> bool {
    match (verdict, result) {
        (Verdict::Accept(expected), Ok(verified)) => same_claims(expected, verified),
        (Verdict::Reject(eit), Err(error)) => error.eit().map(|e| e.as_str()) == Some(*eit),
        (Verdict::Argument, Err(error)) => {
            error.eit().is_none() && error.kind() == layer_identity::ErrorKind::InvalidArgument
        }
        _ => false,
    }
}

fn same_claims(expected: &Claims, verified: &layer_identity::VerifiedToken) -> bool {
    let claims = &verified.claims;
    let attributes = &claims.attributes;
    let got: BTreeMap<String, String> = ATTRIBUTES
        .into_iter()
        .zip([
            &attributes.first_name,
            &attributes.last_name,
            &attributes.display_name,
            &attributes.avatar_url,
        ])
        .filter_map(|(name, value)| Some((name.to_owned(), value.clone()?)))
        .collect();
    verified.claims_json.as_bytes() == expected.json
        && claims.iss == expected.iss
        && claims.prn == expected.prn
        && claims.iat == expected.iat
        && claims.exp == expected.exp
        && claims.nce == expected.nce
        && got == expected.attributes
        && attributes.metadata == expected.metadata
}
