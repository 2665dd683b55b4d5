//! The two JSON jobs of the library: writing strings exactly as serde_json escapes them (the
//! token's byte format is defined by that), and reading objects strictly — duplicate members
//! anywhere are an error, because parsers that keep the first and parsers that keep the last
//! duplicate disagree about what a token says.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Appends `text` as a JSON string literal: only `"`, `\` and control characters escaped.
pub fn push_string(out: &mut Vec<u8>, text: &str) {
    serde_json::to_writer(out, text).expect("writing a string into a Vec cannot fail");
}

/// An ordered list of an object's members, as parsed.
pub type Members = Vec<(String, Value)>;

/// Parses `bytes` as one JSON object with no duplicate member at any depth. The error is a
/// plain description for the caller to wrap (it decides the status and identifier).
pub fn parse_object(bytes: &[u8]) -> Result<Members, String> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let members = deserializer
        .deserialize_any(TopLevelObject)
        .map_err(|e| e.to_string())?;
    deserializer.end().map_err(|e| e.to_string())?;
    Ok(members)
}

struct TopLevelObject;

impl<'de> Visitor<'de> for TopLevelObject {
    type Value = Members;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
        let mut members: Members = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            if members.iter().any(|(seen, _)| *seen == name) {
                return Err(de::Error::custom(format_args!("duplicate member {name:?}")));
            }
            let value = map.next_value_seed(StrictValue)?;
            members.push((name, value));
        }
        Ok(members)
    }
}

/// A `serde_json::Value` that refuses duplicate members in nested objects too.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if object.contains_key(&name) {
                return Err(de::Error::custom(format_args!("duplicate member {name:?}")));
            }
            let value = map.next_value_seed(StrictValue)?;
            object.insert(name, value);
        }
        Ok(Value::Object(object))
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
        assert!(parse_object(br#"{"a":{"b":1,"b":1}}"#).is_err());
        assert!(parse_object(br#"{"a":[{"b":1,"b":1}]}"#).is_err());
        assert!(parse_object(b"[1]").is_err());
        assert!(parse_object(b"{} {}").is_err());
        assert!(parse_object(br#"{"a":"\ud800"}"#).is_err());
        let members = parse_object(br#"{"z":1,"a":"x"}"#).unwrap();
        assert_eq!(members[0].0, "z");
        assert_eq!(members[1].1, Value::from("x"));
    }
}
