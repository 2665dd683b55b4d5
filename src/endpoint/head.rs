//! What the request head decides: the path (RFC 9112 §3.2), the media type of the body
//! (RFC 9110 §8.3.1) and its declared length (§8.6). Each is read from the bytes exactly as
//! the server received them.

/// The kinds of body the endpoint reads; the declared media type alone chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    Form,
}

/// The path of a request target, compared byte for byte: the part before `?`. An absolute-form
/// target (`http://host/identity-token`, sent to proxies and allowed to servers) is routed by
/// its path; one without a path (`http://host?x`) means `/`.
pub fn path_of(target: &[u8]) -> &[u8] {
    let target = match target.iter().position(|&b| b == b'?') {
        Some(query) => &target[..query],
        None => target,
    };
    for scheme in [&b"http://"[..], b"https://"] {
        if target.len() >= scheme.len() && target[..scheme.len()].eq_ignore_ascii_case(scheme) {
            let rest = &target[scheme.len()..];
            return match rest.iter().position(|&b| b == b'/') {
                Some(slash) => &rest[slash..],
                None => b"/",
            };
        }
    }
    target
}

/// The body kind of a `Content-Type` value, or `None` when the endpoint does not take it:
/// `application/json` or `application/x-www-form-urlencoded` compared case-insensitively,
/// parameters well-formed (`name=token` or `name="quoted"`), a `charset` only `utf-8`.
pub fn body_kind(content_type: Option<&[u8]>) -> Option<BodyKind> {
    let mut scanner = Scanner {
        text: content_type?,
        at: 0,
    };
    // Servers strip the whitespace around a field value (RFC 9110 §5.5); not all adapters do.
    scanner.skip_whitespace();
    let media_type = scanner.take_while(is_media_type_char);
    let kind = if media_type.eq_ignore_ascii_case(b"application/json") {
        BodyKind::Json
    } else if media_type.eq_ignore_ascii_case(b"application/x-www-form-urlencoded") {
        BodyKind::Form
    } else {
        return None;
    };
    loop {
        scanner.skip_whitespace();
        if scanner.done() {
            return Some(kind);
        }
        if !scanner.eat(b';') {
            return None;
        }
        scanner.skip_whitespace();
        // An empty parameter (`application/json;`) is allowed.
        if scanner.done() || scanner.peek() == Some(b';') {
            continue;
        }
        let name = scanner.take_while(is_token_char);
        if name.is_empty() || !scanner.eat(b'=') {
            return None;
        }
        let value = scanner.parameter_value()?;
        if name.eq_ignore_ascii_case(b"charset") && !value.eq_ignore_ascii_case(b"utf-8") {
            return None;
        }
    }
}

/// The declared body length: `Ok(None)` without a `Content-Length`, `Err(())` when the value is
/// not a decimal number of bytes (`+27`, `²`, `1, 1`, empty), and lengths that overflow
/// `u64` saturated (every one of them is too large anyway).
#[allow(clippy::result_unit_err)]
pub fn declared_length(content_length: Option<&[u8]>) -> Result<Option<u64>, ()> {
    let Some(text) = content_length else {
        return Ok(None);
    };
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return Err(());
    }
    Ok(Some(text.iter().fold(0u64, |length, digit| {
        length
            .saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    })))
}

/// RFC 9110 `tchar`.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_media_type_char(b: u8) -> bool {
    is_token_char(b) || b == b'/'
}

struct Scanner<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    fn done(&self) -> bool {
        self.at == self.text.len()
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn take_while(&mut self, keep: fn(u8) -> bool) -> &'a [u8] {
        let start = self.at;
        while self.peek().is_some_and(keep) {
            self.at += 1;
        }
        &self.text[start..self.at]
    }

    fn skip_whitespace(&mut self) {
        self.take_while(|b| b == b' ' || b == b'\t');
    }

    /// A token, or a quoted-string unquoted (`"utf-8"` is `utf-8`); `None` when malformed.
    fn parameter_value(&mut self) -> Option<Vec<u8>> {
        if !self.eat(b'"') {
            let token = self.take_while(is_token_char);
            return (!token.is_empty()).then(|| token.to_vec());
        }
        let mut value = Vec::new();
        loop {
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(value);
                }
                b'\\' => {
                    self.at += 1;
                    value.push(self.peek()?);
                }
                byte => value.push(byte),
            }
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_is_the_target_before_the_query_in_either_form() {
        let cases: [(&[u8], &[u8]); 8] = [
            (b"/identity-token", b"/identity-token"),
            (b"/identity-token?a=b?c", b"/identity-token"),
            (b"//identity-token", b"//identity-token"),
            (b"http://host/identity-token", b"/identity-token"),
            (b"HTTPS://host:8443/healthz?x", b"/healthz"),
            (b"http://host?x", b"/"),
            (b"http://host", b"/"),
            (b"*", b"*"),
        ];
        for (target, path) in cases {
            assert_eq!(path_of(target), path, "{}", String::from_utf8_lossy(target));
        }
    }

    #[test]
    fn media_types_follow_the_contract() {
        let accepted: [(&str, BodyKind); 9] = [
            ("application/json", BodyKind::Json),
            (" application/json ", BodyKind::Json),
            ("Application/JSON", BodyKind::Json),
            ("application/json; charset=utf-8", BodyKind::Json),
            ("application/json;charset=\"UTF-8\"", BodyKind::Json),
            (
                "application/json ; foo=bar ;\tcharset=utf-8",
                BodyKind::Json,
            ),
            ("application/json;", BodyKind::Json),
            ("application/json;;", BodyKind::Json),
            (
                "application/x-www-form-urlencoded; charset=UTF-8",
                BodyKind::Form,
            ),
        ];
        for (value, kind) in accepted {
            assert_eq!(body_kind(Some(value.as_bytes())), Some(kind), "{value}");
        }
        for refused in [
            "",
            "application/json-patch+json",
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/json; charset=latin-1",
            "application/json; charset=utf8",
            "application/json; charset",
            "application/json; charset=",
            "application/json; =utf-8",
            "application/json; charset=\"utf-8",
            "application/json x",
            "application /json",
        ] {
            assert_eq!(body_kind(Some(refused.as_bytes())), None, "{refused:?}");
        }
        assert_eq!(body_kind(None), None);
        assert_eq!(body_kind(Some(b"application/json; charset=\xff")), None);
    }

    #[test]
    fn content_length_is_digits_only() {
        assert_eq!(declared_length(None), Ok(None));
        assert_eq!(declared_length(Some(b"0")), Ok(Some(0)));
        assert_eq!(declared_length(Some(b"0065536")), Ok(Some(65536)));
        assert_eq!(
            declared_length(Some(b"99999999999999999999999")),
            Ok(Some(u64::MAX))
        );
        for bad in [
            &b""[..],
            b"+27",
            b"-1",
            b" 5",
            b"5 ",
            b"1,1",
            "²".as_bytes(),
            b"0x10",
        ] {
            assert_eq!(declared_length(Some(bad)), Err(()), "{bad:?}");
        }
    }
}
