//! Reading a request body into the six known fields, for JSON (RFC 8259, strictly) and for
//! `application/x-www-form-urlencoded` (the WHATWG URL standard's parser). Both run in one pass
//! with no recursion, so a hostile 64 KiB body costs time linear in its size, and keep nothing
//! but the known fields: unknown members are validated and dropped, never converted.

use std::borrow::Cow;

use super::fields::{Field, Given, RawFields};

/// Nesting allowed in a JSON body: the top-level object is depth 1.
pub const MAX_DEPTH: usize = 64;

/// Why a body is not one the endpoint reads; every one answers `400 invalid_json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyError {
    NotUtf8,
    ByteOrderMark,
    NotJson,
    NotAnObject,
    TooDeep,
    NotForm,
}

impl BodyError {
    pub fn message(self) -> &'static str {
        match self {
            BodyError::NotUtf8 => "the body is not valid UTF-8",
            BodyError::ByteOrderMark => {
                "the body starts with a byte order mark, which JSON does not allow"
            }
            BodyError::NotJson => "the body is not valid JSON",
            BodyError::NotAnObject => "the body must be a JSON object",
            BodyError::TooDeep => "the body is nested more than 64 levels deep",
            BodyError::NotForm => "the body is not valid form data",
        }
    }
}

/// The known fields of a JSON body.
pub fn parse_json(body: &[u8]) -> Result<RawFields, BodyError> {
    if body.starts_with(b"\xEF\xBB\xBF") {
        return Err(BodyError::ByteOrderMark);
    }
    std::str::from_utf8(body).map_err(|_| BodyError::NotUtf8)?;
    let mut json = Json { text: body, at: 0 };
    json.skip_whitespace();
    let fields = if json.peek() == Some(b'{') {
        json.top_level_object()?
    } else {
        // Tell "valid JSON, but not an object" from "not JSON".
        json.skip_value(1)?;
        json.skip_whitespace();
        return Err(if json.done() {
            BodyError::NotAnObject
        } else {
            BodyError::NotJson
        });
    };
    json.skip_whitespace();
    if !json.done() {
        return Err(BodyError::NotJson);
    }
    Ok(fields)
}

/// The known fields of a form body: pieces split on `&`, empty ones skipped, each split at its
/// first `=` (none: an empty value), `+` read as a space, then percent-decoded; names are
/// decoded like values. A bad `%` escape or bytes that are not UTF-8 make it invalid.
pub fn parse_form(body: &[u8]) -> Result<RawFields, BodyError> {
    let mut fields = RawFields::default();
    for piece in body.split(|&b| b == b'&').filter(|piece| !piece.is_empty()) {
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(equals) => (&piece[..equals], &piece[equals + 1..]),
            None => (piece, &b""[..]),
        };
        let name = form_decode(name)?;
        let value = form_decode(value)?;
        if let Some(field) = Field::named(&name) {
            fields.give(field, Given::Text(value.into_owned()));
        }
    }
    Ok(fields)
}

fn form_decode(text: &[u8]) -> Result<Cow<'_, str>, BodyError> {
    if !text.iter().any(|&b| b == b'+' || b == b'%') {
        return std::str::from_utf8(text)
            .map(Cow::Borrowed)
            .map_err(|_| BodyError::NotForm);
    }
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.iter();
    while let Some(&byte) = rest.next() {
        bytes.push(match byte {
            b'+' => b' ',
            b'%' => {
                let mut hex = || rest.next().and_then(|&d| (d as char).to_digit(16));
                match (hex(), hex()) {
                    (Some(high), Some(low)) => (high * 16 + low) as u8,
                    _ => return Err(BodyError::NotForm),
                }
            }
            byte => byte,
        });
    }
    String::from_utf8(bytes)
        .map(Cow::Owned)
        .map_err(|_| BodyError::NotForm)
}

/// A cursor over a body already known to be UTF-8.
struct Json<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Json<'a> {
    fn done(&self) -> bool {
        self.at == self.text.len()
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<(), BodyError> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(BodyError::NotJson)
        }
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// The top-level object: known members kept, everything else validated and dropped.
    fn top_level_object(&mut self) -> Result<RawFields, BodyError> {
        let mut fields = RawFields::default();
        self.expect(b'{')?;
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(fields);
        }
        loop {
            self.skip_whitespace();
            let name = self.string()?;
            self.skip_whitespace();
            self.expect(b':')?;
            self.skip_whitespace();
            match name.ok().and_then(|name| Field::named(&name)) {
                Some(field) => {
                    let given = self.known_value()?;
                    fields.give(field, given);
                }
                None => self.skip_value(2)?,
            }
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(fields);
                }
                _ => return Err(BodyError::NotJson),
            }
        }
    }

    /// The value of a known member: its text when it is a string, otherwise what it is.
    fn known_value(&mut self) -> Result<Given, BodyError> {
        let first = self.peek().ok_or(BodyError::NotJson)?;
        if first == b'"' {
            return Ok(match self.string()? {
                Ok(text) => Given::Text(text.into_owned()),
                Err(LoneSurrogate) => Given::LoneSurrogate,
            });
        }
        self.skip_value(2)?;
        Ok(match first {
            b'n' => Given::Null,
            b't' | b'f' => Given::NotAString("a boolean"),
            b'[' => Given::NotAString("an array"),
            b'{' => Given::NotAString("an object"),
            _ => Given::NotAString("a number"),
        })
    }

    /// Validates one value whose nesting depth would be `depth` if it is an array or object,
    /// with an explicit stack instead of recursion.
    fn skip_value(&mut self, depth: usize) -> Result<(), BodyError> {
        // `true` for an object, `false` for an array.
        let mut open: Vec<bool> = Vec::new();
        loop {
            // A value is expected here.
            self.skip_whitespace();
            match self.peek().ok_or(BodyError::NotJson)? {
                container @ (b'{' | b'[') => {
                    if depth + open.len() > MAX_DEPTH {
                        return Err(BodyError::TooDeep);
                    }
                    self.at += 1;
                    let is_object = container == b'{';
                    open.push(is_object);
                    self.skip_whitespace();
                    if self.peek() == Some(if is_object { b'}' } else { b']' }) {
                        self.at += 1;
                        open.pop();
                    } else {
                        if is_object {
                            self.member_name()?;
                        }
                        continue;
                    }
                }
                b'"' => drop(self.string()?),
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => self.number()?,
            }
            // After a value: close containers, or move to the next element.
            loop {
                let Some(&is_object) = open.last() else {
                    return Ok(());
                };
                self.skip_whitespace();
                match self.peek() {
                    Some(b',') => {
                        self.at += 1;
                        if is_object {
                            self.member_name()?;
                        }
                        break;
                    }
                    Some(b'}') if is_object => {
                        self.at += 1;
                        open.pop();
                    }
                    Some(b']') if !is_object => {
                        self.at += 1;
                        open.pop();
                    }
                    _ => return Err(BodyError::NotJson),
                }
            }
        }
    }

    /// `"name" :` inside a skipped object.
    fn member_name(&mut self) -> Result<(), BodyError> {
        self.skip_whitespace();
        drop(self.string()?);
        self.skip_whitespace();
        self.expect(b':')
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), BodyError> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(BodyError::NotJson)
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, never converted.
    fn number(&mut self) -> Result<(), BodyError> {
        let digits = |json: &mut Self| {
            let start = json.at;
            while json.peek().is_some_and(|b| b.is_ascii_digit()) {
                json.at += 1;
            }
            json.at - start
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(BodyError::NotJson),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return Err(BodyError::NotJson);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(BodyError::NotJson);
            }
        }
        Ok(())
    }

    /// A string literal, unescaped: borrowed when it has no escapes; `Ok(Err(LoneSurrogate))`
    /// when it is valid JSON but names an unpaired surrogate, which has no UTF-8 form.
    fn string(&mut self) -> Result<Result<Cow<'a, str>, LoneSurrogate>, BodyError> {
        self.expect(b'"')?;
        let start = self.at;
        // Fast path: no escapes.
        while let Some(byte) = self.peek() {
            match byte {
                b'"' => {
                    let text = &self.text[start..self.at];
                    self.at += 1;
                    let text = std::str::from_utf8(text).expect("the body is UTF-8");
                    return Ok(Ok(Cow::Borrowed(text)));
                }
                b'\\' => break,
                0..=0x1F => return Err(BodyError::NotJson),
                _ => self.at += 1,
            }
        }
        let mut text = self.text[start..self.at].to_vec();
        let mut lone_surrogate = false;
        loop {
            match self.peek().ok_or(BodyError::NotJson)? {
                b'"' => {
                    self.at += 1;
                    break;
                }
                b'\\' => {
                    self.at += 1;
                    let escape = self.peek().ok_or(BodyError::NotJson)?;
                    self.at += 1;
                    let simple = match escape {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0C,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            match self.unicode_escape()? {
                                Some(c) => {
                                    text.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes())
                                }
                                None => lone_surrogate = true,
                            }
                            continue;
                        }
                        _ => return Err(BodyError::NotJson),
                    };
                    text.push(simple);
                }
                0..=0x1F => return Err(BodyError::NotJson),
                byte => {
                    text.push(byte);
                    self.at += 1;
                }
            }
        }
        if lone_surrogate {
            return Ok(Err(LoneSurrogate));
        }
        let text = String::from_utf8(text).expect("UTF-8 input and escapes give UTF-8");
        Ok(Ok(Cow::Owned(text)))
    }

    /// The character of `\uXXXX` (the `\u` read already), joining a surrogate pair; `None` for
    /// an unpaired surrogate.
    fn unicode_escape(&mut self) -> Result<Option<char>, BodyError> {
        let unit = self.hex4()?;
        if !(0xD800..0xDC00).contains(&unit) {
            return Ok(char::from_u32(unit));
        }
        // A high surrogate: a low one must follow as the next escape.
        if self.text[self.at..].starts_with(b"\\u") {
            let after_high = self.at;
            self.at += 2;
            let low = self.hex4()?;
            if (0xDC00..0xE000).contains(&low) {
                return Ok(char::from_u32(
                    0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00),
                ));
            }
            // Not a pair: the second escape stands on its own.
            self.at = after_high;
        }
        Ok(None)
    }

    fn hex4(&mut self) -> Result<u32, BodyError> {
        let digits = self
            .text
            .get(self.at..self.at + 4)
            .ok_or(BodyError::NotJson)?;
        let mut unit = 0;
        for &digit in digits {
            unit = unit * 16 + (digit as char).to_digit(16).ok_or(BodyError::NotJson)?;
        }
        self.at += 4;
        Ok(unit)
    }
}

/// A JSON string naming a surrogate code point on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoneSurrogate;

#[cfg(test)]
mod tests {
    use super::*;

    fn nonce(body: &str) -> Result<Given, BodyError> {
        parse_json(body.as_bytes()).map(|fields| fields.given(Field::Nonce).clone())
    }

    #[test]
    fn json_values_are_validated_and_known_strings_unescaped() {
        assert_eq!(
            nonce(r#"{"nonce":"a\"b\u00e9\ud83d\ude00"}"#),
            Ok(Given::Text("a\"bé😀".into()))
        );
        assert_eq!(nonce(r#"{"n\u006fnce":"x"}"#), Ok(Given::Text("x".into())));
        assert_eq!(
            nonce(r#" {"x":[1,-0.5e+3,{"y":null}],"nonce":null} "#),
            Ok(Given::Null)
        );
        assert_eq!(nonce(r#"{"nonce":"\ud800"}"#), Ok(Given::LoneSurrogate));
        assert_eq!(
            nonce(r#"{"nonce":"\udc00\ud800x"}"#),
            Ok(Given::LoneSurrogate)
        );
        assert_eq!(
            nonce(r#"{"other":"\ud800","nonce":1e400}"#),
            Ok(Given::NotAString("a number"))
        );
        assert_eq!(nonce(r#"{"nonce":"a","nonce":"a"}"#), Ok(Given::Twice));
        assert_eq!(nonce(r#"{"x":1,"x":2}"#), Ok(Given::Absent));
        assert_eq!(nonce("{}"), Ok(Given::Absent));
    }

    #[test]
    fn json_errors_are_told_apart() {
        for (body, error) in [
            ("", BodyError::NotJson),
            ("[1]", BodyError::NotAnObject),
            ("\"x\"", BodyError::NotAnObject),
            ("null", BodyError::NotAnObject),
            ("{} x", BodyError::NotJson),
            ("{\"a\":NaN}", BodyError::NotJson),
            ("{\"a\":01}", BodyError::NotJson),
            ("{\"a\":1.}", BodyError::NotJson),
            ("{\"a\":\"\t\"}", BodyError::NotJson),
            ("{\"a\":\"\\x\"}", BodyError::NotJson),
            ("{\"a\":[1,]}", BodyError::NotJson),
            ("{\"a\" 1}", BodyError::NotJson),
            ("{\"a\":1,}", BodyError::NotJson),
            ("\u{FEFF}{}", BodyError::ByteOrderMark),
        ] {
            assert_eq!(parse_json(body.as_bytes()).err(), Some(error), "{body:?}");
        }
        assert_eq!(
            parse_json(b"{\"a\":\"\xff\"}").err(),
            Some(BodyError::NotUtf8)
        );
    }

    #[test]
    fn depth_counts_the_top_level_object_as_one() {
        let nested = |depth: usize| {
            format!(
                "{{\"a\":{}1{}}}",
                "[".repeat(depth - 1),
                "]".repeat(depth - 1)
            )
        };
        assert!(parse_json(nested(64).as_bytes()).is_ok());
        assert_eq!(
            parse_json(nested(65).as_bytes()).err(),
            Some(BodyError::TooDeep)
        );
        let unclosed = "[".repeat(100_000);
        assert_eq!(
            parse_json(unclosed.as_bytes()).err(),
            Some(BodyError::TooDeep)
        );
        assert_eq!(
            parse_json("[".repeat(10).as_bytes()).err(),
            Some(BodyError::NotJson)
        );
    }

    #[test]
    fn form_bodies_decode_like_browsers_do() {
        let fields = parse_form(b"&n%6Fnce=a%2Bb+c&&x=1&x=2&first_name").unwrap();
        assert_eq!(fields.given(Field::Nonce), &Given::Text("a+b c".into()));
        assert_eq!(fields.given(Field::FirstName), &Given::Text(String::new()));
        assert_eq!(
            parse_form(b"nonce=a&nonce=b").unwrap().given(Field::Nonce),
            &Given::Twice
        );
        for bad in [&b"nonce=%zz"[..], b"nonce=%4", b"nonce=%ff", b"x\xff=1"] {
            assert_eq!(parse_form(bad).err(), Some(BodyError::NotForm), "{bad:?}");
        }
    }
}
