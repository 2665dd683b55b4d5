//! The strict verifier: a local stand-in for the Layer dashboard's identity token validation
//! tool. It follows RFC 8725: one algorithm (RS256) from the configured key only, the header
//! exactly as Layer defines it, the signature checked before any claim is trusted, and every
//! rejection named by Layer's own `eit_*` identifier.

use crate::base64url;
use crate::error::{quote, Eit, Error, Result};
use crate::flags::Flags;
use crate::ids::{
    refuse_nul, same_id_in_other_form, validate_key_id, validate_non_empty, validate_provider_id,
};
use crate::json::{self, member, Members, Scalar};
use crate::keys::{check_key_size, load_public_key};
use crate::rs256::Rs256Verifier;
use crate::time::seconds_or_now;
use crate::token::{
    header_json, Attributes, ATTRIBUTE_NAMES, CONTENT_TYPE, MAX_TOKEN_BYTES, METADATA,
};

const HEADER_MEMBERS: [&str; 4] = ["typ", "alg", "cty", "kid"];

/// The clock skew the CLI and every binding tolerate by default: signers that round
/// `Date.now() / 1000` put iat up to half a second ahead, and servers' clocks drift.
pub const DEFAULT_LEEWAY_SECONDS: u32 = 60;

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
pub(crate) struct Parts<'a> {
    header: &'a str,
    claims: &'a str,
    signature: &'a str,
    /// `header "." claims`: what the signature covers.
    pub(crate) signing_input: &'a str,
}

pub(crate) fn split(token: &str) -> Result<Parts<'_>> {
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
        header: parts.decode(Part::Header)?,
        claims: parts.decode(Part::Claims)?,
        signature: parts.decode(Part::Signature)?,
    })
}

#[derive(Clone, Copy)]
pub(crate) enum Part {
    Header,
    Claims,
    Signature,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Part::Header => "header",
            Part::Claims => "claims",
            Part::Signature => "signature",
        }
    }
}

impl Parts<'_> {
    fn get(&self, part: Part) -> &str {
        match part {
            Part::Header => self.header,
            Part::Claims => self.claims,
            Part::Signature => self.signature,
        }
    }

    /// Where `part` starts in the token, counting characters from 1.
    fn start(&self, part: Part) -> usize {
        match part {
            Part::Header => 1,
            Part::Claims => self.header.len() + 2,
            Part::Signature => self.signing_input.len() + 2,
        }
    }

    pub(crate) fn decode(&self, part: Part) -> Result<Vec<u8>> {
        let text = self.get(part);
        let name = part.name();
        if text.is_empty() {
            return Err(Error::token(
                Eit::MalformedBase64url,
                format!("the {name} part (the text between the dots) is empty"),
            ));
        }
        base64url::decode(text.as_bytes()).map_err(|error| {
            Error::token(
                Eit::MalformedBase64url,
                format!(
                    "the {name} part is not unpadded base64url: {}",
                    describe_base64_error(&error, text, self.start(part))
                ),
            )
        })
    }
}

/// A base64url decoding error in words: which character, where, and what it means.
fn describe_base64_error(error: &base64::DecodeError, part: &str, start: usize) -> String {
    use base64::DecodeError;
    let at = |offset: usize| {
        // Characters, not bytes: count the bytes that start one (the offset may point into a
        // multi-byte character).
        let character = part.as_bytes()[..offset.min(part.len())]
            .iter()
            .filter(|&&b| b & 0xc0 != 0x80)
            .count()
            + 1;
        format!(
            "character {character} of the part (character {} of the token)",
            start + offset
        )
    };
    match *error {
        DecodeError::InvalidByte(offset, byte) => {
            let what = match byte {
                b'=' => "'=' padding, which a JWS leaves out".to_owned(),
                b'+' | b'/' => format!(
                    "{:?}, from standard base64; base64url writes '-' and '_' instead",
                    char::from(byte)
                ),
                b' ' | b'\t' | b'\r' | b'\n' => "whitespace, which has no place in a token".to_owned(),
                0x21..=0x7e => format!("{:?}, which base64url does not use (A-Z, a-z, 0-9, '-' and '_' only)", char::from(byte)),
                _ => "a control or non-ASCII character, which base64url does not use".to_owned(),
            };
            format!("{} is {what}", at(offset))
        }
        DecodeError::InvalidLastSymbol { offset, .. } => format!(
            "{}, the last, has bits set that encode nothing: the part was cut short or altered",
            at(offset)
        ),
        DecodeError::InvalidLength(_) => format!(
            "it has {} characters, a length base64url never produces (one character missing or extra?)",
            part.chars().count()
        ),
        DecodeError::InvalidPadding => "it has '=' padding, which a JWS leaves out".to_owned(),
    }
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

    /// Verifies `token` at time `now` (`None`: the system clock) allowing `leeway_seconds` of
    /// clock skew. With `expected_nonce`, the token must answer exactly that nonce; `None` skips
    /// that check, and an empty nonce is refused, so that a missing value cannot skip it.
    pub fn verify(
        &self,
        token: &str,
        expected_nonce: Option<&str>,
        now: Option<i64>,
        leeway_seconds: u32,
    ) -> Result<VerifiedToken> {
        let now = check_arguments(expected_nonce, now)?;
        let leeway = i64::from(leeway_seconds);

        let parts = split(token)?;
        let header = if self.known_headers_b64.iter().any(|h| h == parts.header) {
            None
        } else {
            Some(parts.decode(Part::Header)?)
        };
        let claims_bytes = parts.decode(Part::Claims)?;
        let signature = parts.decode(Part::Signature)?;
        if let Some(header) = header {
            let members = parse_header(&header)?;
            self.check_header(&members)?;
            self.check_key_id(&members)?;
        }

        // Nothing in the claims is looked at before the signature holds.
        self.check_signature(&parts, &signature)?;

        let members = parse_claims(&claims_bytes)?;
        let claims = read_claims(&members, &claims_bytes)?;
        self.check_issuer(&claims)?;
        check_expiry(&claims, now, leeway)?;
        check_not_before(&claims, now, leeway)?;
        check_nonce(&claims, expected_nonce)?;
        let claims_json = String::from_utf8(claims_bytes)
            .map_err(|_| Error::token(Eit::MalformedJson, "the claims are not UTF-8"))?;
        Ok(VerifiedToken {
            claims,
            claims_json,
        })
    }

    /// Presence of all four members first, then their types, then extra members and values, in
    /// the order of the README's rule table; the key ID is [`Verifier::check_key_id`]'s.
    pub(crate) fn check_header(&self, header: &Members) -> Result<()> {
        if let Some(name) = HEADER_MEMBERS.iter().find(|n| member(header, n).is_none()) {
            return Err(Error::token(
                Eit::HeaderParamNotFound,
                format!("the header has no \"{name}\""),
            ));
        }
        let value = |name: &str| member(header, name).expect("checked above");
        if let Some(name) = HEADER_MEMBERS.iter().find(|n| value(n).as_str().is_none()) {
            return Err(Error::token(
                Eit::HeaderParamWrongType,
                format!(
                    "the header's \"{name}\" must be a string, not {}",
                    value(name).type_name()
                ),
            ));
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
        let text = |name| value(name).as_str().expect("checked above");
        let alg = text("alg");
        if alg != "RS256" {
            return Err(Error::token(
                Eit::HeaderParamWrongValue,
                format!("alg is {}; only \"RS256\" is accepted", quote(alg)),
            ));
        }
        let typ = text("typ");
        if typ != "JWS" && typ != "JWT" {
            return Err(Error::token(
                Eit::HeaderParamWrongValue,
                format!("typ is {}; expected \"JWS\" or \"JWT\"", quote(typ)),
            ));
        }
        let cty = text("cty");
        if cty != CONTENT_TYPE {
            return Err(Error::token(
                Eit::HeaderParamWrongValue,
                format!("cty is {}; expected \"{CONTENT_TYPE}\"", quote(cty)),
            ));
        }
        Ok(())
    }

    /// The header's `kid` is the configured key ID (the header has passed [`check_header`]).
    ///
    /// [`check_header`]: Verifier::check_header
    pub(crate) fn check_key_id(&self, header: &Members) -> Result<()> {
        let kid = member(header, "kid")
            .and_then(|value| value.as_str())
            .expect("check_header passed: kid is a string");
        if kid != self.key_id {
            return Err(Error::token(
                Eit::KeyNotFound,
                format!(
                    "kid {} is not the configured key ID {}{}",
                    quote(kid),
                    quote(&self.key_id),
                    other_form_note(kid, &self.key_id, "key ID")
                ),
            ));
        }
        Ok(())
    }

    /// The RS256 signature over `header "." claims` holds with the configured key.
    pub(crate) fn check_signature(&self, parts: &Parts, signature: &[u8]) -> Result<()> {
        if self.key.verify(parts.signing_input.as_bytes(), signature) {
            return Ok(());
        }
        Err(Error::token(
            Eit::SignatureVerificationFailed,
            "the RS256 signature does not verify with the configured public key",
        ))
    }

    /// `iss` is the configured provider ID.
    pub(crate) fn check_issuer(&self, claims: &Claims) -> Result<()> {
        if claims.iss == self.provider_id {
            return Ok(());
        }
        Err(Error::token(
            Eit::ProviderNotFound,
            format!(
                "iss {} is not the configured provider ID {}{}",
                quote(&claims.iss),
                quote(&self.provider_id),
                other_form_note(&claims.iss, &self.provider_id, "provider ID")
            ),
        ))
    }
}

/// The arguments of a verification: an expected nonce, when given, is not empty and holds no
/// U+0000; `now` (`None`: the system clock) is a valid time. Returns `now` in Unix seconds.
pub(crate) fn check_arguments(expected_nonce: Option<&str>, now: Option<i64>) -> Result<i64> {
    if let Some(nonce) = expected_nonce {
        validate_non_empty(nonce, "expected_nonce")
            .and_then(|()| refuse_nul(nonce, "expected_nonce"))
            .map_err(|error| error.advise("to skip the nonce check, give no expected nonce"))?;
    }
    seconds_or_now(now, "now")
}

/// The header as a JSON object without duplicate members.
pub(crate) fn parse_header(header: &[u8]) -> Result<Members<'_>> {
    json::parse_object(header).map_err(|reason| {
        let mut detail = format!("the header is not a JSON object: {reason}");
        if json::is_duplicate_of(&reason, "typ") {
            detail += "; the layer-identity_token gem up to 0.2.0 (ruby-jwt 1.x) wrote \
                       typ twice like this, and Layer rejects it: upgrade the signer";
        }
        Error::token(Eit::MalformedJson, detail)
    })
}

/// The claims as a JSON object without duplicate members.
pub(crate) fn parse_claims(claims: &[u8]) -> Result<Members<'_>> {
    json::parse_object(claims).map_err(|r| {
        Error::token(
            Eit::MalformedJson,
            format!("the claims are not a JSON object: {r}"),
        )
    })
}

/// `exp` is after `now`, give or take the leeway.
pub(crate) fn check_expiry(claims: &Claims, now: i64, leeway: i64) -> Result<()> {
    if claims.exp > now - leeway {
        return Ok(());
    }
    Err(Error::token(
        Eit::Expired,
        format!(
            "the token expired at {} and it is now {now} (leeway {leeway} s)",
            claims.exp
        ),
    ))
}

/// `iat` is not after `now`, give or take the leeway.
pub(crate) fn check_not_before(claims: &Claims, now: i64, leeway: i64) -> Result<()> {
    if claims.iat <= now.saturating_add(leeway) {
        return Ok(());
    }
    Err(Error::token(
        Eit::NotBefore,
        format!(
            "the token is issued at {}, {} s after now ({now}, leeway {leeway} s){}",
            claims.iat,
            claims.iat.abs_diff(now),
            local_time_note(claims.iat - now)
        ),
    ))
}

/// `nce` is the expected nonce, when one is expected.
pub(crate) fn check_nonce(claims: &Claims, expected_nonce: Option<&str>) -> Result<()> {
    match expected_nonce {
        Some(nonce) if claims.nce != nonce => Err(Error::token(
            Eit::NonceNotFound,
            format!("nce {} is not the expected nonce", quote(&claims.nce)),
        )),
        _ => Ok(()),
    }
}

/// For an ID mismatch: a note when the two name the same ID in different forms.
fn other_form_note(token_id: &str, configured: &str, label: &str) -> String {
    if same_id_in_other_form(token_id, configured) {
        format!(
            "; they are the same {label} written differently (bare UUID or URI form, or letter \
             case), and Layer compares IDs exactly: sign and verify with the same form"
        )
    } else {
        String::new()
    }
}

/// Time-zone offsets are whole half hours from UTC (a few are :45), up to 14 hours.
const QUARTER_HOUR: i64 = 900;
const MAX_ZONE_OFFSET: i64 = 14 * 3600;
/// How far from an offset a token may be: the time between signing and checking it.
const ZONE_TOLERANCE: i64 = 120;

/// For a token issued `ahead` seconds in the future: a note when that is about a time-zone
/// offset, the mark of a signer that takes iat from local time instead of UTC.
fn local_time_note(ahead: i64) -> String {
    let quarters = (ahead + QUARTER_HOUR / 2) / QUARTER_HOUR;
    let offset = quarters * QUARTER_HOUR;
    let is_a_zone = offset % 1800 == 0 || offset % 3600 == 2700;
    if !(1800..=MAX_ZONE_OFFSET).contains(&offset)
        || !is_a_zone
        || (ahead - offset).abs() > ZONE_TOLERANCE
    {
        return String::new();
    }
    format!(
        "; that is close to a time-zone offset (UTC+{}:{:02}): the signer likely takes iat from \
         local time instead of UTC ({LOCAL_TIME_EXAMPLES})",
        offset / 3600,
        offset % 3600 / 60
    )
}

const LOCAL_TIME_EXAMPLES: &str = "as `calendar.timegm(datetime.now().timetuple())` in Python \
    or `DateTime.Now` in C# do; use `time.time()` or `DateTimeOffset.UtcNow`";

/// The claims, checked in the README's order: presence of the five required claims first,
/// then every type.
pub(crate) fn read_claims(members: &Members, claims_bytes: &[u8]) -> Result<Claims> {
    const REQUIRED: [&str; 5] = ["iss", "prn", "iat", "exp", "nce"];
    if let Some(name) = REQUIRED.iter().find(|n| member(members, n).is_none()) {
        return Err(Error::token(
            Eit::ClaimNotFound,
            format!("the claims have no \"{name}\""),
        ));
    }
    let value = |name: &str| member(members, name).expect("checked above");
    let wrong_type = |name: &str, expected: &str| {
        Error::token(
            Eit::ClaimWrongType,
            format!(
                "\"{name}\" must be {expected}, not {}",
                value(name).type_name()
            ),
        )
    };
    let string = |name: &str, allow_empty: bool| -> Result<String> {
        match value(name) {
            Scalar::Str(s) if allow_empty || !s.is_empty() => Ok(s.to_string()),
            _ if allow_empty => Err(wrong_type(name, "a string")),
            _ => Err(wrong_type(name, "a non-empty string")),
        }
    };
    let integer = |name: &str| -> Result<i64> {
        match value(name) {
            Scalar::Int(value) => Ok(*value),
            // `-0` is the integer 0, unlike `-0.0`; only the text tells them apart.
            Scalar::NegativeZero
                if json::raw_member(claims_bytes, name).as_deref() == Some("-0") =>
            {
                Ok(0)
            }
            _ => Err(wrong_type(name, "an integer number of Unix seconds")),
        }
    };
    // An empty iss is simply not the configured provider ID.
    let iss = string("iss", true)?;
    let prn = string("prn", false)?;
    let iat = integer("iat")?;
    let exp = integer("exp")?;
    let nce = string("nce", false)?;
    let mut attributes = Attributes::default();
    for name in ATTRIBUTE_NAMES {
        match member(members, name) {
            // Absent, or null as the layer-identity_token gem wrote for nil.
            None | Some(Scalar::Null) => {}
            Some(Scalar::Str(value)) => {
                *attributes.slot(name).expect("a known attribute name") = Some(value.to_string());
            }
            Some(_) => {
                return Err(wrong_type(
                    name,
                    "a string (or null, for none): it is an identity attribute",
                ))
            }
        }
    }
    match member(members, METADATA) {
        None | Some(Scalar::Null) => {}
        Some(Scalar::StringMap(entries)) => {
            attributes.metadata = entries
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect();
        }
        Some(_) => {
            return Err(wrong_type(
                METADATA,
                "an object whose values are all strings (or null)",
            ))
        }
    }
    if iat >= exp {
        let cause = if iat > exp {
            format!(
                ", but iat is {} s after it: a signer that takes iat from local time instead of \
                 UTC runs ahead by its time-zone offset ({LOCAL_TIME_EXAMPLES})",
                iat.abs_diff(exp)
            )
        } else {
            String::new()
        };
        return Err(Error::token(
            Eit::ClaimWrongType,
            format!("exp ({exp}) must be later than iat ({iat}){cause}"),
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
