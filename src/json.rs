//! The two JSON jobs of the library: writing strings exactly as serde_json escapes them (the
//! token's byte format is defined by that), and reading objects strictly — duplicate members
//! anywhere are an error, because parsers that keep the first and parsers that keep the last
//! duplicate disagree about what a token says.
//!
//! Reading keeps only what the token rules look at (strings, integers, "something else") and
//! borrows strings from the input when they hold no escapes: the verifier parses claims on
//! every call, and allocation would be most of its cost outside RSA.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

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
    /// Anything else: another number, a boolean, null, an array or an object.
    Other,
}

impl Scalar<'_> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(text) => Some(text),
            _ => None,
        }
    }
}

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

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Members<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
        let mut members: Members = Vec::with_capacity(8);
        while let Some(name) = map.next_key_seed(Text)? {
            if members.iter().any(|(seen, _)| *seen == name) {
                return Err(duplicate(&name));
            }
            let value = map.next_value_seed(ScalarSeed)?;
            members.push((name, value));
        }
        Ok(members)
    }
}

fn duplicate<E: de::Error>(name: &str) -> E {
    E::custom(format_args!("duplicate member {name:?}"))
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
        Ok(i64::try_from(v).map_or(Scalar::Other, Scalar::Int))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Nested.visit_seq(seq).map(|()| Scalar::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Nested.visit_map(map).map(|()| Scalar::Other)
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
            if names.contains(&name) {
                return Err(duplicate(&name));
            }
            names.push(name);
            map.next_value_seed(Nested)?;
        }
        Ok(())
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
            br#"{"z":1,"a":"x","e":"\n","f":1.0,"g":1e3,"u":18446744073709551615,"n":null,"o":{"p":[1]}}"#,
        )
        .unwrap();
        assert_eq!(members[0], (Cow::Borrowed("z"), Scalar::Int(1)));
        assert!(matches!(members[1].1, Scalar::Str(Cow::Borrowed("x"))));
        assert_eq!(members[2].1.as_str(), Some("\n"));
        for (name, value) in &members[3..] {
            assert_eq!(*value, Scalar::Other, "{name}");
        }
        assert_eq!(member(&members, "a").and_then(Scalar::as_str), Some("x"));
        assert_eq!(member(&members, "missing"), None);
    }
}
