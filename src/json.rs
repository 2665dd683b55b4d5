//! The two JSON jobs of the library: writing strings exactly as serde_json escapes them (the
//! token's byte format is defined by that), and reading objects strictly — duplicate members
//! anywhere are an error, because parsers that keep the first and parsers that keep the last
//! duplicate disagree about what a token says.
//!
//! Reading keeps only what the token rules look at (strings, integers, "something else") and
//! borrows strings from the input when they hold no escapes: the verifier parses claims on
//! every call, and allocation would be most of its cost outside RSA.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// Appends `text` as a JSON string literal: only `"`, `\` and control characters escaped.
pub fn push_string(out: &mut Vec<u8>, text: &str) {
    serde_json::to_writer(out, text).expect("writing a string into a Vec cannot fail");
}

/// A member's value, as far as the token rules care.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scalar<'a> {
    Str(Cow<'a, str>),
    /// A JSON integer that fits in `i64` (not `1.0`, not `1e3`).
    Int(i64),
    /// `-0`, `-0.0` or `-0e0`: serde_json reads them all as the float -0.0, but the first is a
    /// JSON integer. [`raw_member`] tells them apart where it matters.
    NegativeZero,
    Null,
    /// An object whose members are all strings (the `metadata` claim), in input order.
    StringMap(Vec<(Cow<'a, str>, Cow<'a, str>)>),
    /// Anything else, described for messages ("a boolean", "an array", ...).
    Other(&'static str),
}

impl Scalar<'_> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(text) => Some(text),
            _ => None,
        }
    }

    /// The value's JSON type in words, for "must be a string, not ..." messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Scalar::Str(text) if text.is_empty() => "an empty string",
            Scalar::Str(_) => "a string",
            Scalar::Int(_) => "an integer",
            Scalar::NegativeZero => "a number",
            Scalar::Null => "null",
            Scalar::StringMap(_) => "an object",
            Scalar::Other(what) => what,
        }
    }
}

const FRACTIONAL: &str = "a number with a fraction or exponent";
const BOOLEAN: &str = "a boolean";
const ARRAY: &str = "an array";
const OBJECT: &str = "an object";
const HUGE_INTEGER: &str = "an integer beyond 64 bits";

/// An object's members in input order.
pub type Members<'a> = Vec<(Cow<'a, str>, Scalar<'a>)>;

/// The value of member `name`, if present.
pub fn member<'m, 'a>(members: &'m Members<'a>, name: &str) -> Option<&'m Scalar<'a>> {
    members
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value)
}

/// Parses `bytes` as one JSON object with no duplicate member at any depth. The error is a
/// plain description for the caller to wrap (it decides the status and identifier).
pub fn parse_object(bytes: &[u8]) -> Result<Members<'_>, String> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let members = deserializer
        .deserialize_any(ObjectVisitor)
        .map_err(|e| e.to_string())?;
    deserializer.end().map_err(|e| e.to_string())?;
    Ok(members)
}

/// The exact text of top-level member `name` of an object that [`parse_object`] accepted
/// (so it has no duplicates), e.g. `-0` or `-0.0`. Slow; only for the rare values whose parsed
/// form loses what the rules need.
pub fn raw_member(bytes: &[u8], name: &str) -> Option<String> {
    let members: HashMap<Cow<str>, &RawValue> = serde_json::from_slice(bytes).ok()?;
    members.get(name).map(|raw| raw.get().to_owned())
}

/// The name that occurs twice among `names`, if any. The check runs before the signature, so
/// a hostile header with a thousand members must stay cheap: large objects go through a hash
/// set, O(n), whose per-process random keys leave an attacker no colliding names to choose.
/// Small ones (every real token) are compared pairwise, without allocating.
fn find_duplicate<'n, 'a: 'n>(
    names: impl ExactSizeIterator<Item = &'n Cow<'a, str>> + Clone,
) -> Option<&'n str> {
    const PAIRWISE_MAX: usize = 16;
    if names.len() <= PAIRWISE_MAX {
        let mut rest = names.clone();
        while let Some(name) = rest.next() {
            if rest.clone().any(|other| other == name) {
                return Some(name);
            }
        }
        return None;
    }
    let mut seen = HashSet::with_capacity(names.len());
    names
        .map(|name| name.as_ref())
        .find(|name| !seen.insert(*name))
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Members<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
        let mut members: Members = Vec::with_capacity(8);
        while let Some(name) = map.next_key_seed(Text)? {
            let value = map.next_value_seed(ScalarSeed)?;
            members.push((name, value));
        }
        if let Some(name) = find_duplicate(members.iter().map(|(name, _)| name)) {
            return Err(duplicate(name));
        }
        Ok(members)
    }
}

const DUPLICATE: &str = "duplicate member ";

fn duplicate<E: de::Error>(name: &str) -> E {
    E::custom(format_args!("{DUPLICATE}{name:?}"))
}

/// Whether a [`parse_object`] error is about a duplicate member `name`.
pub fn is_duplicate_of(error: &str, name: &str) -> bool {
    error
        .strip_prefix(DUPLICATE)
        .is_some_and(|rest| rest.starts_with(&format!("{name:?}")))
}

/// A string, borrowed from the input unless it had escapes.
struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

struct ScalarSeed;

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = Scalar<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Scalar::Other(HUGE_INTEGER), Scalar::Int))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(if v == 0.0 && v.is_sign_negative() {
            Scalar::NegativeZero
        } else {
            Scalar::Other(FRACTIONAL)
        })
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Other(BOOLEAN))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Nested.visit_seq(seq).map(|()| Scalar::Other(ARRAY))
    }

    /// Keeps the members while every value is a string (what `metadata` must be); after the
    /// first other value the rest is only walked, for the duplicate check.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut strings = Some(Vec::new());
        let mut names = Vec::new();
        while let Some(name) = map.next_key_seed(Text)? {
            match &mut strings {
                Some(members) => match map.next_value_seed(StringOrNested)? {
                    Some(value) => members.push((name.clone(), value)),
                    None => strings = None,
                },
                None => map.next_value_seed(Nested)?,
            }
            names.push(name);
        }
        if let Some(name) = find_duplicate(names.iter()) {
            return Err(duplicate(name));
        }
        Ok(strings.map_or(Scalar::Other(OBJECT), Scalar::StringMap))
    }
}

/// A string value, or `None` after walking any other value (refusing duplicates inside it).
struct StringOrNested;

impl<'de> DeserializeSeed<'de> for StringOrNested {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        match ScalarSeed.deserialize(deserializer)? {
            Scalar::Str(text) => Ok(Some(text)),
            _ => Ok(None),
        }
    }
}

/// Walks a nested value without keeping it, still refusing duplicate members (which serde's
/// `IgnoredAny` would let through).
struct Nested;

impl<'de> DeserializeSeed<'de> for Nested {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Nested {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Nested)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut names: Vec<Cow<'de, str>> = Vec::new();
        while let Some(name) = map.next_key_seed(Text)? {
            names.push(name);
            map.next_value_seed(Nested)?;
        }
        match find_duplicate(names.iter()) {
            Some(name) => Err(duplicate(name)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_only_what_serde_json_escapes() {
        let mut out = Vec::new();
        push_string(
            &mut out,
            "a\"b\\c/\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}\u{2028}é😀",
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a\\\"b\\\\c/\\b\\f\\n\\r\\t\\u0001\\u001f\u{7f}\u{2028}é😀\""
        );
    }

    #[test]
    fn rejects_duplicates_at_any_depth_and_non_objects() {
        assert!(parse_object(br#"{"a":1,"a":2}"#)
            .unwrap_err()
            .contains("duplicate member \"a\""));
        assert!(parse_object(br#"{"\u0061":1,"a":2}"#).is_err());
        assert!(parse_object(br#"{"a":{"b":1,"b":1}}"#).is_err());
        assert!(parse_object(br#"{"a":[{"b":1,"b":1}]}"#).is_err());
        assert!(parse_object(b"[1]").is_err());
        assert!(parse_object(b"{} {}").is_err());
        assert!(parse_object(br#"{"a":"\ud800"}"#).is_err());
    }

    #[test]
    fn keeps_strings_and_integers_and_borrows_plain_strings() {
        let members = parse_object(
            br#"{"z":1,"a":"x","e":"\n","n":null,"f":1.0,"g":1e3,"u":18446744073709551615,"o":{"p":[1]},"t":true}"#,
        )
        .unwrap();
        assert_eq!(members[0], (Cow::Borrowed("z"), Scalar::Int(1)));
        assert!(matches!(members[1].1, Scalar::Str(Cow::Borrowed("x"))));
        assert_eq!(members[2].1.as_str(), Some("\n"));
        assert_eq!(members[3].1, Scalar::Null);
        let types: Vec<&str> = members[4..].iter().map(|(_, v)| v.type_name()).collect();
        assert_eq!(
            types,
            [FRACTIONAL, FRACTIONAL, HUGE_INTEGER, OBJECT, BOOLEAN]
        );
        assert!(is_duplicate_of(
            &parse_object(br#"{"typ":1,"typ":2}"#).unwrap_err(),
            "typ"
        ));
        assert_eq!(member(&members, "a").and_then(Scalar::as_str), Some("x"));
        assert_eq!(member(&members, "missing"), None);
    }

    #[test]
    fn string_objects_are_kept_and_negative_zero_is_marked() {
        let members =
            parse_object(br#"{"m":{"b":"2","a":"\u00e9"},"x":{"a":"1","b":2},"z":-0,"y":-0.0}"#)
                .unwrap();
        assert_eq!(
            members[0].1,
            Scalar::StringMap(vec![("b".into(), "2".into()), ("a".into(), "é".into())])
        );
        assert_eq!(members[1].1, Scalar::Other(OBJECT));
        assert_eq!(members[2].1, Scalar::NegativeZero);
        assert_eq!(members[3].1, Scalar::NegativeZero);
        let text = br#"{"z" : -0 ,"y":-0.0}"#;
        assert_eq!(raw_member(text, "z").as_deref(), Some("-0"));
        assert_eq!(raw_member(text, "y").as_deref(), Some("-0.0"));
        assert_eq!(raw_member(text, "w"), None);
        assert!(parse_object(br#"{"m":{"a":"1","a":"2"}}"#).is_err());
        assert!(parse_object(br#"{"m":{"a":1,"b":"x","a":"2"}}"#).is_err());
    }

    #[test]
    fn duplicates_among_many_members_are_found() {
        let many = |last: &str| {
            let mut text = String::from("{");
            for i in 0..2000 {
                text += &format!("\"m{i}\":{i},");
            }
            text + &format!("\"{last}\":0}}")
        };
        assert!(parse_object(many("x").as_bytes()).is_ok());
        let err = parse_object(many("m1234").as_bytes()).unwrap_err();
        assert!(err.contains("duplicate member \"m1234\""), "{err}");
    }
}
