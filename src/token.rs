//! Minting Layer identity tokens: the exact bytes of header and claims, and the signer that
//! holds a key and the per-key parts of the token ready between calls.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;

use crate::base64url;
use crate::error::{Error, ErrorKind, Result};
use crate::flags::Flags;
use crate::ids::{refuse_nul, validate_key_id, validate_non_empty, validate_provider_id};
use crate::json;
use crate::key_cache;
use crate::keys::{check_key_size, load_private_key};
use crate::rs256::Rs256Signer;
use crate::time::seconds_or_now;

/// Lifetime used when the caller passes 0: a Layer nonce lives ten minutes.
pub const DEFAULT_TTL_SECONDS: u32 = 600;
/// Largest token the verifier accepts, so the signer refuses to make a larger one.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// The content type Layer defines for identity tokens.
pub const CONTENT_TYPE: &str = "layer-eit;v=1";

/// The optional identity attributes Layer shows for a user, and the user's metadata.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attributes {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
    /// String values by name, emitted after the attributes as `"metadata":{...}` sorted by name
    /// (so every language writes the same bytes); empty means no `metadata` member.
    pub metadata: Metadata,
}

/// The `metadata` claim: string values by name, in name order.
pub type Metadata = BTreeMap<String, String>;

/// Attribute names in the order the token carries them.
pub const ATTRIBUTE_NAMES: [&str; 4] = ["first_name", "last_name", "display_name", "avatar_url"];

/// The claim that carries [`Attributes::metadata`].
pub const METADATA: &str = "metadata";

impl Attributes {
    /// Parses a JSON object holding only the four attribute names (each a string) and
    /// `metadata` (an object of strings, or null), each at most once.
    pub fn from_json(text: &str) -> Result<Attributes> {
        // Escapes shrink at most sixfold (`\u0041` is one byte), so longer text cannot fit.
        if text.len() > 6 * MAX_TOKEN_BYTES {
            return Err(Error::invalid_argument(format!(
                "attributes JSON is {} bytes; no token that holds it fits in {MAX_TOKEN_BYTES} bytes",
                text.len()
            )));
        }
        let members = json::parse_object(text.as_bytes()).map_err(|reason| {
            Error::invalid_argument(format!(
                "attributes JSON is not a valid JSON object: {reason}"
            ))
        })?;
        let mut attributes = Attributes::default();
        for (name, value) in members {
            if name == METADATA {
                match value {
                    json::Scalar::Null => {}
                    json::Scalar::StringMap(members) => {
                        for (key, value) in members {
                            attributes.add_metadata(key.into_owned(), value.into_owned())?;
                        }
                    }
                    _ => {
                        return Err(Error::invalid_argument(
                            "attributes JSON member \"metadata\" must be an object of string values (or null)",
                        ))
                    }
                }
                continue;
            }
            let slot = attributes.slot(&name).ok_or_else(|| {
                Error::invalid_argument(format!(
                    "attributes JSON has unknown member {}; allowed are {}, {METADATA}",
                    crate::error::quote(&name),
                    ATTRIBUTE_NAMES.join(", ")
                ))
            })?;
            let json::Scalar::Str(value) = value else {
                return Err(Error::invalid_argument(format!(
                    "attributes JSON member {name:?} must be a string (leave it out when there is none)"
                )));
            };
            *slot = Some(value.into_owned());
        }
        Ok(attributes)
    }

    /// Adds one metadata entry; names are non-empty and unique, and neither holds U+0000.
    pub fn add_metadata(&mut self, name: String, value: String) -> Result<()> {
        if name.is_empty() {
            return Err(Error::invalid_argument("a metadata name is empty"));
        }
        refuse_nul(&name, "metadata name")?;
        refuse_nul(&value, "metadata value")?;
        if self.metadata.contains_key(&name) {
            return Err(Error::invalid_argument(format!(
                "duplicate metadata name {} (given twice; each name may appear once)",
                crate::error::quote(&name)
            )));
        }
        self.metadata.insert(name, value);
        Ok(())
    }

    /// The attributes as (name, value) pairs in token order, skipping absent ones. An empty
    /// attribute is absent too: every language then writes the same token for `""` (Go's zero
    /// value, a database's empty column) as for none.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        ATTRIBUTE_NAMES
            .into_iter()
            .zip([
                &self.first_name,
                &self.last_name,
                &self.display_name,
                &self.avatar_url,
            ])
            .filter_map(|(name, value)| Some((name, value.as_deref()?)))
            .filter(|(_, value)| !value.is_empty())
    }

    /// Refuses U+0000 in any attribute (metadata is checked as it is added).
    fn check_text(&self) -> Result<()> {
        self.iter()
            .try_for_each(|(name, value)| refuse_nul(value, name))
    }

    /// The field for attribute `name`, if it is one.
    pub(crate) fn slot(&mut self, name: &str) -> Option<&mut Option<String>> {
        match name {
            "first_name" => Some(&mut self.first_name),
            "last_name" => Some(&mut self.last_name),
            "display_name" => Some(&mut self.display_name),
            "avatar_url" => Some(&mut self.avatar_url),
            _ => None,
        }
    }

    /// Bytes of every value and name the claims carry for these attributes, unescaped: a lower
    /// bound on their size in the token.
    fn raw_len(&self) -> usize {
        let attributes: usize = self
            .iter()
            .map(|(name, value)| name.len() + value.len())
            .sum();
        let metadata: usize = self.metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
        attributes + metadata
    }
}

/// A private key bound to a provider ID and key ID, minting tokens. Immutable once made and
/// safe to share between threads; signing from several threads at once runs in parallel.
pub struct Signer {
    key: Arc<Rs256Signer>,
    /// `BASE64URL(header)`: the header depends only on the key ID and the typ flag.
    header_b64: String,
    /// `{"iss":"<provider id>","prn":` — the claims up to the first per-token value.
    claims_prefix: Vec<u8>,
}

impl Signer {
    /// Loads `private_key` (any supported form; `passphrase` if it is encrypted) and checks the
    /// IDs and the key. `Flags::TYP_JWT` and `Flags::ALLOW_1024_BIT_KEY` apply.
    pub fn new(
        private_key: &[u8],
        passphrase: Option<&[u8]>,
        provider_id: &str,
        key_id: &str,
        flags: Flags,
    ) -> Result<Signer> {
        // Cheap checks first, so a typo in an ID is reported before any key work.
        validate_provider_id(provider_id)?;
        validate_key_id(key_id)?;
        let key = load_private_key(private_key, passphrase)?;
        Signer::with_key(
            Arc::new(Rs256Signer::new(&key)?),
            provider_id,
            key_id,
            flags,
        )
    }

    /// A signer on a loaded key. The caller has validated the IDs already (before loading the
    /// key, so that an ID typo is reported first).
    fn with_key(
        key: Arc<Rs256Signer>,
        provider_id: &str,
        key_id: &str,
        flags: Flags,
    ) -> Result<Signer> {
        check_key_size(key.bits(), flags.contains(Flags::ALLOW_1024_BIT_KEY))?;
        let mut claims_prefix = b"{\"iss\":".to_vec();
        json::push_string(&mut claims_prefix, provider_id);
        claims_prefix.extend_from_slice(b",\"prn\":");
        Ok(Signer {
            key,
            header_b64: base64url::encode(&header_json(key_id, flags)),
            claims_prefix,
        })
    }

    /// Mints a token for `user_id` answering `nonce`. `issued_at`: Unix seconds, `None` for
    /// now (a time that is not positive, or looks like milliseconds, is refused). `ttl_seconds`:
    /// `None` for 600; `Some(0)` is refused (the token would be expired at once).
    pub fn sign(
        &self,
        user_id: &str,
        nonce: &str,
        issued_at: Option<i64>,
        ttl_seconds: Option<u32>,
        attributes: &Attributes,
    ) -> Result<String> {
        validate_non_empty(user_id, "user ID")?;
        validate_non_empty(nonce, "nonce")?;
        let issued_at = seconds_or_now(issued_at, "issued_at")?;
        let ttl = match ttl_seconds {
            None => DEFAULT_TTL_SECONDS,
            Some(0) => {
                return Err(Error::invalid_argument(
                    "ttl_seconds is 0, so the token would expire as it is issued; give no TTL for 600 s",
                ))
            }
            Some(ttl) => ttl,
        };
        let expires_at = issued_at + i64::from(ttl);

        // Escaping only adds bytes, so the unescaped inputs bound the size from below: a
        // hostile 64 MiB user ID is refused here, before any of it is escaped.
        let raw_claims_len =
            self.claims_prefix.len() + user_id.len() + nonce.len() + attributes.raw_len();
        self.check_token_len(raw_claims_len)?;
        refuse_nul(user_id, "user_id")?;
        refuse_nul(nonce, "nonce")?;
        attributes.check_text()?;

        let mut claims = Vec::with_capacity(raw_claims_len + 96);
        claims.extend_from_slice(&self.claims_prefix);
        json::push_string(&mut claims, user_id);
        write!(claims, ",\"iat\":{issued_at},\"exp\":{expires_at},\"nce\":").expect("Vec write");
        json::push_string(&mut claims, nonce);
        for (name, value) in attributes.iter() {
            write!(claims, ",\"{name}\":").expect("Vec write");
            json::push_string(&mut claims, value);
        }
        if !attributes.metadata.is_empty() {
            write!(claims, ",\"{METADATA}\":").expect("Vec write");
            let mut separator = b'{';
            for (name, value) in &attributes.metadata {
                claims.push(separator);
                separator = b',';
                json::push_string(&mut claims, name);
                claims.push(b':');
                json::push_string(&mut claims, value);
            }
            claims.push(b'}');
        }
        claims.push(b'}');

        let token_len = self.check_token_len(claims.len())?;
        let mut token = String::with_capacity(token_len);
        token.push_str(&self.header_b64);
        token.push('.');
        base64url::encode_into(&claims, &mut token);
        let signature = self.key.sign(token.as_bytes())?;
        token.push('.');
        base64url::encode_into(&signature, &mut token);
        debug_assert_eq!(token.len(), token_len);
        Ok(token)
    }

    /// The length of a token whose claims JSON is `claims_len` bytes, if it is within the limit.
    fn check_token_len(&self, claims_len: usize) -> Result<usize> {
        let token_len = self.header_b64.len()
            + 1
            + base64url::encoded_len(claims_len)
            + 1
            + base64url::encoded_len(self.key.signature_len());
        if token_len > MAX_TOKEN_BYTES {
            return Err(Error::invalid_argument(format!(
                "the token would be at least {token_len} bytes, more than the {MAX_TOKEN_BYTES} a verifier accepts; shorten the user ID, nonce, attributes or metadata"
            )));
        }
        Ok(token_len)
    }

    /// The SPKI PEM of the signer's public key: what is uploaded to Layer for this key ID.
    pub fn public_key_pem(&self) -> Result<String> {
        let pem =
            self.key.public_key().public_key_to_pem().map_err(|e| {
                Error::openssl(ErrorKind::Crypto, "cannot encode the public key", &e)
            })?;
        String::from_utf8(pem).map_err(|_| Error::new(ErrorKind::Internal, "PEM is not text"))
    }
}

/// The header JSON, exactly: `{"typ":"JWS","alg":"RS256","cty":"layer-eit;v=1","kid":<key id>}`
/// (`"JWT"` with `Flags::TYP_JWT`).
pub(crate) fn header_json(key_id: &str, flags: Flags) -> Vec<u8> {
    let typ = if flags.contains(Flags::TYP_JWT) {
        "JWT"
    } else {
        "JWS"
    };
    let mut header = Vec::with_capacity(80 + key_id.len());
    write!(
        header,
        r#"{{"typ":"{typ}","alg":"RS256","cty":"{CONTENT_TYPE}","kid":"#
    )
    .expect("Vec write");
    json::push_string(&mut header, key_id);
    header.push(b'}');
    header
}

/// Mints one token with an unencrypted private key and the default options (see
/// [`Signer::sign`] for the times). Decoded keys are cached (see [`clear_key_cache`]), so
/// repeated calls with the same key cost one signature.
pub fn sign_token(
    private_key: &[u8],
    provider_id: &str,
    key_id: &str,
    user_id: &str,
    nonce: &str,
    issued_at: Option<i64>,
    ttl_seconds: Option<u32>,
) -> Result<String> {
    validate_provider_id(provider_id)?;
    validate_key_id(key_id)?;
    let key = key_cache::signing_key(private_key, None)?;
    Signer::with_key(key, provider_id, key_id, Flags::default())?.sign(
        user_id,
        nonce,
        issued_at,
        ttl_seconds,
        &Attributes::default(),
    )
}

/// Forgets every private key the one-shot [`sign_token`] has cached.
pub fn clear_key_cache() {
    key_cache::clear();
}
