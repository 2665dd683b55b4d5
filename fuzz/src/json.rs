//! A strict JSON reader for the oracles, sharing nothing with the library's: RFC 8259 read with
//! I-JSON's rules (RFC 7493): the whole text UTF-8, no unpaired surrogate escapes, no member name
//! twice in any object. It keeps numbers as their text, so that the oracle decides what an
//! integer is. Iterative, so that a token nested thousands of levels deep cannot overflow the
//! stack.

use std::collections::HashSet;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Null,
    Bool(bool),
    /// The number's text exactly as written (it matches RFC 8259's grammar).
    Number(String),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    pub fn member(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The deepest nesting of arrays and objects: a scalar is 0, `{}` is 1.
    pub fn depth(&self) -> usize {
        // Iterative, like the parser.
        let mut deepest = 0;
        let mut pending = vec![(self, 0usize)];
        while let Some((value, above)) = pending.pop() {
            match value {
                Value::Array(items) => {
                    deepest = deepest.max(above + 1);
                    pending.extend(items.iter().map(|item| (item, above + 1)));
                }
                Value::Object(members) => {
                    deepest = deepest.max(above + 1);
                    pending.extend(members.iter().map(|(_, item)| (item, above + 1)));
                }
                _ => {}
            }
        }
        deepest
    }
}

/// A JSON integer (no fraction, no exponent; `-0` is 0) that fits in 64 bits.
pub fn integer(value: &Value) -> Option<i64> {
    let Value::Number(text) = value else {
        return None;
    };
    if text.contains(['.', 'e', 'E']) {
        return None;
    }
    // Twenty digits and a sign are more than any i64; longer text cannot fit.
    if text.len() > 21 {
        return None;
    }
    text.parse::<i128>()
        .ok()
        .and_then(|n| i64::try_from(n).ok())
}

enum Frame {
    Array(Vec<Value>),
    Object(Vec<(String, Value)>, String),
}

/// The value `bytes` hold, or `None` when they are not exactly one JSON text (with I-JSON's
/// rules).
pub fn parse(bytes: &[u8]) -> Option<Value> {
    parse_with(bytes, true)
}

/// RFC 8259 alone, as the endpoint reads a request body: a member name may repeat (the last
/// one is kept here), and an unpaired surrogate escape reads as U+FFFD.
pub fn parse_lenient(bytes: &[u8]) -> Option<Value> {
    parse_with(bytes, false)
}

fn parse_with(bytes: &[u8], strict: bool) -> Option<Value> {
    std::str::from_utf8(bytes).ok()?;
    let mut reader = Reader {
        bytes,
        at: 0,
        strict,
    };
    let mut stack: Vec<Frame> = Vec::new();
    'values: loop {
        reader.skip_whitespace();
        let mut value = match reader.peek()? {
            b'{' => {
                reader.at += 1;
                reader.skip_whitespace();
                if reader.eat(b'}') {
                    Value::Object(Vec::new())
                } else {
                    let name = reader.member_name()?;
                    stack.push(Frame::Object(Vec::new(), name));
                    continue 'values;
                }
            }
            b'[' => {
                reader.at += 1;
                reader.skip_whitespace();
                if reader.eat(b']') {
                    Value::Array(Vec::new())
                } else {
                    stack.push(Frame::Array(Vec::new()));
                    continue 'values;
                }
            }
            b'"' => Value::String(reader.string()?),
            b't' => reader.literal("true", Value::Bool(true))?,
            b'f' => reader.literal("false", Value::Bool(false))?,
            b'n' => reader.literal("null", Value::Null)?,
            b'-' | b'0'..=b'9' => Value::Number(reader.number()?),
            _ => return None,
        };
        // A value is complete: give it to its container, closing containers as they end.
        loop {
            reader.skip_whitespace();
            match stack.last_mut() {
                None => return reader.done().then_some(value),
                Some(Frame::Array(items)) => {
                    items.push(value);
                    match reader.next()? {
                        b',' => continue 'values,
                        b']' => match stack.pop() {
                            Some(Frame::Array(items)) => value = Value::Array(items),
                            _ => unreachable!("the top frame is an array"),
                        },
                        _ => return None,
                    }
                }
                Some(Frame::Object(members, name)) => {
                    members.push((std::mem::take(name), value));
                    match reader.next()? {
                        b',' => {
                            reader.skip_whitespace();
                            *name = reader.member_name()?;
                            continue 'values;
                        }
                        b'}' => match stack.pop() {
                            Some(Frame::Object(members, _)) => {
                                let mut seen = HashSet::new();
                                if strict && !members.iter().all(|(n, _)| seen.insert(n.as_str())) {
                                    return None;
                                }
                                value = Value::Object(members);
                            }
                            _ => unreachable!("the top frame is an object"),
                        },
                        _ => return None,
                    }
                }
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    strict: bool,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn done(&self) -> bool {
        self.at == self.bytes.len()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Option<Value> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word.as_bytes()).then(|| {
            self.at = end;
            value
        })
    }

    /// `"name"` then `:`.
    fn member_name(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        let name = self.string()?;
        self.skip_whitespace();
        self.eat(b':').then_some(name)
    }

    fn string(&mut self) -> Option<String> {
        self.at += 1; // the opening quote
        let mut out = Vec::new();
        loop {
            match self.next()? {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let c = match self.next()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let unit = self.hex4()?;
                            match unit {
                                0xD800..=0xDBFF if self.bytes[self.at..].starts_with(b"\\u") => {
                                    let resume = self.at;
                                    self.at += 2;
                                    let low = self.hex4()?;
                                    if (0xDC00..=0xDFFF).contains(&low) {
                                        char::from_u32(
                                            0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00),
                                        )?
                                    } else if self.strict {
                                        return None;
                                    } else {
                                        self.at = resume;
                                        char::REPLACEMENT_CHARACTER
                                    }
                                }
                                0xD800..=0xDFFF if self.strict => return None,
                                0xD800..=0xDFFF => char::REPLACEMENT_CHARACTER,
                                _ => char::from_u32(unit)?,
                            }
                        }
                        _ => return None,
                    };
                    let mut buffer = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
                }
                byte if byte < 0x20 => return None,
                byte => out.push(byte),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut unit = 0;
        for _ in 0..4 {
            unit = unit * 16 + char::from(self.next()?).to_digit(16)?;
        }
        Some(unit)
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - start
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Option<String> {
        let start = self.at;
        self.eat(b'-');
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.eat(b'.') && self.digits() == 0 {
            return None;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return None;
            }
        }
        // ASCII by construction.
        Some(String::from_utf8_lossy(&self.bytes[start..self.at]).into_owned())
    }
}

/// Form decoding as browsers do (`application/x-www-form-urlencoded`, WHATWG URL): pieces split
/// on `&`, empty ones skipped, each split at its first `=`, `+` a space, then `%XX` decoded.
/// `None` when a `%` escape is malformed or the result is not UTF-8 (the contract's rule).
pub fn form_pairs(body: &[u8]) -> Option<Vec<(String, String)>> {
    let decode = |text: &[u8]| -> Option<String> {
        let mut out = Vec::with_capacity(text.len());
        let mut i = 0;
        while i < text.len() {
            match text[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = text.get(i + 1..i + 3)?;
                    let hex = std::str::from_utf8(hex).ok()?;
                    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return None;
                    }
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 2;
                }
                byte => out.push(byte),
            }
            i += 1;
        }
        String::from_utf8(out).ok()
    };
    body.split(|&b| b == b'&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = match piece.iter().position(|&b| b == b'=') {
                Some(at) => (&piece[..at], &piece[at + 1..]),
                None => (piece, &b""[..]),
            };
            Some((decode(name)?, decode(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rfc_8259_strictly() {
        let value =
            parse(br#" {"a":[1,-0,2.5e3,{"b":null}],"c":"\u00e9\ud83d\ude00\n","d":true} "#)
                .unwrap();
        assert_eq!(value.member("c").unwrap().as_str(), Some("é😀\n"));
        assert_eq!(integer(&Value::Number("-0".into())), Some(0));
        assert_eq!(integer(&Value::Number("1.0".into())), None);
        assert_eq!(integer(&Value::Number("9223372036854775808".into())), None);
        assert_eq!(value.depth(), 3);
        for bad in [
            &br#"{"a":1,"a":2}"#[..],
            br#"{"a":{"b":1,"b":1}}"#,
            br#"{"a":"\ud800"}"#,
            br#"{"a":"\udc00x"}"#,
            b"{\"a\":\"\x01\"}",
            b"{\"a\":01}",
            b"{\"a\":1.}",
            b"{\"a\":-}",
            b"{} {}",
            b"{\"a\":1,}",
            b"[1,]",
            b"\xef\xbb\xbf{}",
            b"{\"a\":\"\xff\"}",
            b"",
        ] {
            assert_eq!(parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse(b"1e400"), Some(Value::Number("1e400".into())));
    }

    #[test]
    fn decodes_forms_as_browsers() {
        assert_eq!(
            form_pairs(b"a=1+2&&b&c=%2B%c3%a9=").unwrap(),
            [
                ("a".into(), "1 2".into()),
                ("b".into(), String::new()),
                ("c".into(), "+é=".into())
            ]
        );
        assert_eq!(form_pairs(b"a=%2"), None);
        assert_eq!(form_pairs(b"a=%ff"), None);
    }
}
