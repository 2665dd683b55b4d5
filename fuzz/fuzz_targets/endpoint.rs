//! A request head (method, target, Content-Type, Content-Length, as bytes) and a body through
//! the endpoint's sans-I/O `Exchange` and, in lockstep, through the C ABI's `LayerExchange`,
//! with each kind of authenticate outcome. No panic; the C ABI answers what the Rust API
//! answers, step by step; and the HTTP contract (tests/endpoint/README.md) holds:
//! - the steps go new → READ_BODY → AUTHENTICATE → RESPOND (any may answer at once); a call out
//!   of step fails and changes nothing; a body is read only after a declared length of at most
//!   64 KiB, and a body over 64 KiB is answered 413 without being parsed;
//! - every answer has a status of the contract's, `Content-Type: application/json`,
//!   `Cache-Control: no-store`, `Allow` exactly on 405, `Connection: close` exactly when it
//!   closes (always on 413 from the body and on 400 invalid_request), and a body that is one
//!   JSON object of the contract's shape (empty for HEAD), its error code the status's;
//! - 200 for a token only from POST /identity-token with a user ID from authenticate, and the
//!   token verifies and carries that user, the body's nonce and the body's attributes; 401 and
//!   500 only for the outcomes that call for them;
//! - a 4xx message never holds more than 64 consecutive characters of the request (raw, or as
//!   decoded from its JSON or form body).
//!
//! A body parsed in more than linear time shows as a libFuzzer timeout.
//!
//! Input: `[options u8][outcome u8][method: u8 length, bytes][target: u16 LE length, bytes]
//! [Content-Type: u16 LE length (0xFFFF: no header), bytes][Content-Length: u16 LE length
//! (0xFFFF: no header, 0xFFFE: the body's own length), bytes][body: the rest]`. Outcomes
//! (modulo 8), as `tests/endpoint/cases.json` names the authenticators: demo, demo_wrapped,
//! reject, none, empty, throws, integer, not_a_user_id. Options: bit 0 the adapter fails
//! (`layer_exchange_fail`) instead of authenticating; bit 1 calls out of step after the
//! answer; bit 2 the body padded to 64 KiB + 1 bytes; bit 3 the adapter fails while reading
//! the body.

#![no_main]

use std::sync::OnceLock;

use layer_identity::endpoint::{
    Authentication, Exchange, Field, RequestHead, Response, Step, MAX_BODY_BYTES,
};
use layer_identity::ffi::LayerExchangeStep;
use layer_identity::{Flags, Signer, Verifier};
use layer_identity_fuzz::abi::{CAnswer, CExchange, CSigner};
use layer_identity_fuzz::fixtures::{KEY_ID, PROVIDER_ID, RSA1024_PRIVATE_PEM, RSA1024_PUBLIC_PEM};
use layer_identity_fuzz::input::Input;
use layer_identity_fuzz::json::{self, Value};
use libfuzzer_sys::fuzz_target;
use memchr::memmem;

struct Fixed {
    signer: Signer,
    c_signer: CSigner,
    verifier: Verifier,
}

// SAFETY: a `LayerSigner` is immutable and safe to share between threads (the header says so).
unsafe impl Send for Fixed {}
unsafe impl Sync for Fixed {}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| Fixed {
        signer: Signer::new(
            RSA1024_PRIVATE_PEM,
            None,
            PROVIDER_ID,
            KEY_ID,
            Flags::ALLOW_1024_BIT_KEY,
        )
        .unwrap(),
        c_signer: CSigner::new(
            RSA1024_PRIVATE_PEM,
            None,
            PROVIDER_ID.as_bytes(),
            KEY_ID.as_bytes(),
            2,
        )
        .unwrap(),
        verifier: Verifier::new(
            RSA1024_PUBLIC_PEM,
            PROVIDER_ID,
            KEY_ID,
            Flags::ALLOW_1024_BIT_KEY,
        )
        .unwrap(),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Demo,
    DemoWrapped,
    Reject,
    Nothing,
    Empty,
    Throws,
    Integer,
    NotAUserId,
}

const OUTCOMES: [Outcome; 8] = [
    Outcome::Demo,
    Outcome::DemoWrapped,
    Outcome::Reject,
    Outcome::Nothing,
    Outcome::Empty,
    Outcome::Throws,
    Outcome::Integer,
    Outcome::NotAUserId,
];

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let options = input.u8();
    let outcome = OUTCOMES[usize::from(input.u8() % 8)];
    let method = input.short();
    let target = input.long();
    let header = |input: &mut Input<'_>| match input.u16() {
        0xFFFF => (None, false),
        0xFFFE => (None, true),
        len => (Some(input.bytes(len.into()).to_vec()), false),
    };
    let (content_type, _) = header(&mut input);
    let (content_length, own_length) = header(&mut input);
    let mut body = input.rest().to_vec();
    if options & 4 != 0 {
        body.resize(MAX_BODY_BYTES + 1, b' ');
    }
    let content_length = if own_length {
        Some(body.len().to_string().into_bytes())
    } else {
        content_length
    };
    let request = Request {
        method,
        target,
        content_type: content_type.as_deref(),
        content_length: content_length.as_deref(),
        body: &body,
    };
    exchange(&request, outcome, options);
});

struct Request<'a> {
    method: &'a [u8],
    target: &'a [u8],
    content_type: Option<&'a [u8]>,
    content_length: Option<&'a [u8]>,
    body: &'a [u8],
}

fn c_step(step: Step) -> LayerExchangeStep {
    match step {
        Step::ReadBody => LayerExchangeStep::LAYER_EXCHANGE_READ_BODY,
        Step::Authenticate => LayerExchangeStep::LAYER_EXCHANGE_AUTHENTICATE,
        Step::Respond => LayerExchangeStep::LAYER_EXCHANGE_RESPOND,
    }
}

/// What authenticate returned, for the answer's checks.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Given {
    Nothing,
    User(String),
    Failed { demo_refused: bool },
    NotAUserId,
    AdapterFailed,
}

fn exchange(request: &Request, outcome: Outcome, options: u8) {
    let fixed = fixed();
    let head = RequestHead {
        method: request.method,
        target: request.target,
        content_type: request.content_type,
        content_length: request.content_length,
    };
    let mut rust = Exchange::new(&head);
    let mut c = CExchange::new(
        request.method,
        request.target,
        request.content_type,
        request.content_length,
    );
    assert_eq!(c.step(), c_step(rust.step()));
    assert_ne!(
        rust.step(),
        Step::Authenticate,
        "authenticate before the body"
    );
    let mut given = None;
    let mut read_body = false;

    if rust.step() == Step::ReadBody {
        // A declared length over 64 KiB is answered from the head: such a body is never read.
        if let Some(length) = request.content_length.and_then(decimal) {
            assert!(
                length <= MAX_BODY_BYTES as u128,
                "a body of {length} declared bytes is to be read"
            );
        }
        misuse(&mut rust, &mut c);
        if options & 8 != 0 {
            rust.fail("the adapter could not read the body");
            c.fail(b"the adapter could not read the body").unwrap();
            given = Some(Given::AdapterFailed);
        } else {
            rust.put_body(request.body).expect("in step");
            c.put_body(request.body).expect("in step");
            read_body = true;
        }
        assert_eq!(c.step(), c_step(rust.step()));
        assert_ne!(rust.step(), Step::ReadBody, "still reading after the body");
        // (Unless the adapter failed while reading it: then the answer is the adapter's 500.)
        if read_body && request.body.len() > MAX_BODY_BYTES {
            let response = rust
                .response()
                .expect("a body over 64 KiB is answered at once");
            assert_eq!(response.status, 413, "a body over 64 KiB was parsed");
            assert!(response.close, "413 for the body without Connection: close");
        }
    }

    if rust.step() == Step::Authenticate {
        misuse(&mut rust, &mut c);
        let fields = rust.fields().expect("at step Authenticate");
        let c_fields = c.fields();
        for field in Field::ALL {
            assert_eq!(
                fields.get(field).map(str::as_bytes),
                c_fields[field as usize].as_deref(),
                "field {field:?}"
            );
        }
        given = Some(if options & 1 != 0 {
            rust.fail("the adapter failed");
            c.fail(b"the adapter failed").unwrap();
            Given::AdapterFailed
        } else {
            authenticate(&mut rust, &mut c, outcome, fixed)
        });
        assert_eq!(c.step(), c_step(rust.step()));
    }

    assert_eq!(rust.step(), Step::Respond);
    let response = rust.response().expect("at step Respond").clone();
    let answer = c.answer().expect("at step Respond");
    same_answer(&response, &answer, fixed);
    if options & 2 != 0 {
        misuse(&mut rust, &mut c);
        assert_eq!(
            rust.response(),
            Some(&response),
            "a call out of step changed the answer"
        );
    }
    check_answer(request, &response, given.as_ref(), read_body, fixed);
}

/// Calls out of step fail and change nothing.
fn misuse(rust: &mut Exchange, c: &mut CExchange) {
    let step = rust.step();
    let before = rust.response().cloned();
    if step != Step::ReadBody {
        assert!(rust.put_body(b"{}").is_err(), "put_body out of step");
        assert!(
            c.put_body(b"{}").is_err(),
            "layer_exchange_put_body out of step"
        );
    }
    if step != Step::Authenticate {
        assert!(rust.demo_user_id().is_err(), "demo_user_id out of step");
        assert!(
            c.demo_user_id().is_err(),
            "layer_exchange_demo_user_id out of step"
        );
        assert!(
            rust.finish(None, Authentication::Nothing).is_err(),
            "finish out of step"
        );
        assert!(
            c.finish(None, 2, None).is_err(),
            "layer_exchange_finish out of step"
        );
    }
    assert_eq!(rust.step(), step);
    assert_eq!(c.step(), c_step(step));
    assert_eq!(rust.response().cloned(), before);
}

fn authenticate(rust: &mut Exchange, c: &mut CExchange, outcome: Outcome, fixed: &Fixed) -> Given {
    match outcome {
        Outcome::Demo | Outcome::DemoWrapped => {
            let user = rust.demo_user_id().map(str::to_owned);
            let c_user = c.demo_user_id();
            match (user, c_user) {
                (Ok(user), Ok(c_user)) => {
                    assert_eq!(user.as_bytes(), c_user, "the demo authenticators disagree");
                    rust.finish(Some(&fixed.signer), Authentication::User(&user))
                        .unwrap();
                    c.finish(Some(&fixed.c_signer), 1, Some(&c_user)).unwrap();
                    Given::User(user)
                }
                (Err(error), Err(failure)) => {
                    assert_eq!(
                        error.message(),
                        failure.message,
                        "the demo authenticators refuse differently"
                    );
                    rust.finish(Some(&fixed.signer), Authentication::Failed)
                        .unwrap();
                    c.finish(Some(&fixed.c_signer), 3, None).unwrap();
                    Given::Failed { demo_refused: true }
                }
                (user, c_user) => panic!("the demo authenticators disagree: {user:?} / {c_user:?}"),
            }
        }
        Outcome::Reject | Outcome::Throws => {
            rust.finish(None, Authentication::Failed).unwrap();
            c.finish(None, 3, None).unwrap();
            Given::Failed {
                demo_refused: false,
            }
        }
        Outcome::Nothing => {
            rust.finish(None, Authentication::Nothing).unwrap();
            c.finish(None, 2, None).unwrap();
            Given::Nothing
        }
        Outcome::Empty => {
            rust.finish(Some(&fixed.signer), Authentication::User(""))
                .unwrap();
            c.finish(Some(&fixed.c_signer), 1, Some(b"")).unwrap();
            Given::Nothing
        }
        Outcome::Integer => {
            rust.finish(Some(&fixed.signer), Authentication::User("42"))
                .unwrap();
            c.finish(Some(&fixed.c_signer), 1, Some(b"42")).unwrap();
            Given::User("42".to_owned())
        }
        Outcome::NotAUserId => {
            rust.finish(None, Authentication::NotAUserId("a float"))
                .unwrap();
            c.finish(None, 4, Some(b"a float")).unwrap();
            Given::NotAUserId
        }
    }
}

/// The C ABI's answer is the Rust API's; two tokens signed a second apart differ in their times
/// only.
fn same_answer(response: &Response, answer: &CAnswer, fixed: &Fixed) {
    let headers: Vec<(String, String)> = response
        .headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    assert_eq!(
        (response.status, &headers, response.close, &response.log),
        (answer.status, &answer.headers, answer.close, &answer.log),
        "LayerExchange and Exchange answer differently"
    );
    if response.body != answer.body {
        let claims = |body: &[u8]| {
            let token = json::parse(body)?
                .member("identity_token")?
                .as_str()?
                .to_owned();
            let mut claims = fixed.verifier.verify(&token, None, None, 60).ok()?.claims;
            (claims.iat, claims.exp) = (0, 0);
            Some(claims)
        };
        let (ours, theirs) = (claims(&response.body), claims(&answer.body));
        assert!(
            ours.is_some() && ours == theirs,
            "LayerExchange and Exchange answer different bodies"
        );
    }
}

const STATUSES: [u16; 8] = [200, 400, 401, 404, 405, 413, 415, 500];
const ERROR_CODES: [(&str, u16); 10] = [
    ("not_found", 404),
    ("method_not_allowed", 405),
    ("unsupported_media_type", 415),
    ("body_too_large", 413),
    ("invalid_request", 400),
    ("invalid_json", 400),
    ("missing_field", 400),
    ("invalid_field", 400),
    ("unauthenticated", 401),
    ("server_error", 500),
];

fn check_answer(
    request: &Request,
    response: &Response,
    given: Option<&Given>,
    read_body: bool,
    fixed: &Fixed,
) {
    let status = response.status;
    assert!(STATUSES.contains(&status), "status {status}");
    let header = |name: &str| -> Vec<&str> {
        response
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    };
    assert_eq!(header("Content-Type"), ["application/json"]);
    assert_eq!(header("Cache-Control"), ["no-store"]);
    assert_eq!(
        header("Allow").len(),
        usize::from(status == 405),
        "Allow on {status}"
    );
    assert_eq!(
        header("Connection"),
        if response.close {
            vec!["close"]
        } else {
            vec![]
        }
    );
    assert_eq!(
        response.headers.len(),
        2 + usize::from(status == 405) + usize::from(response.close)
    );
    if !read_body && request_has_body(request) {
        assert!(
            response.close,
            "{status} answered from the head leaves a body unread without Connection: close"
        );
    }

    if request.method == b"HEAD" {
        assert!(response.body.is_empty(), "a body for HEAD");
        return;
    }
    let body = json::parse(&response.body).expect("the answer's body is JSON");
    let Value::Object(members) = &body else {
        panic!("the answer's body is not an object")
    };
    if status == 200 {
        if let Some(Value::String(token)) = body.member("identity_token") {
            assert_eq!(members.len(), 1);
            check_token(request, token, given, fixed);
        } else {
            assert_eq!(
                body,
                json::parse(br#"{"status":"ok"}"#).unwrap(),
                "200 without a token"
            );
            assert!(
                matches!(request.method, b"GET"),
                "the health check for {:?}",
                String::from_utf8_lossy(request.method)
            );
        }
        return;
    }
    assert_eq!(members.len(), 1, "more than the error in the body");
    let error = body
        .member("error")
        .expect("an error answer without \"error\"");
    let Value::Object(error_members) = error else {
        panic!("\"error\" is not an object")
    };
    assert_eq!(error_members.len(), 2);
    let code = error
        .member("code")
        .and_then(Value::as_str)
        .expect("an error code");
    let message = error
        .member("message")
        .and_then(Value::as_str)
        .expect("an error message");
    assert!(!message.is_empty());
    assert!(
        ERROR_CODES.contains(&(code, status)),
        "code {code} with status {status}"
    );
    if code == "invalid_request" || (code == "body_too_large" && read_body) {
        assert!(response.close, "{code} without Connection: close");
    }
    match status {
        401 => assert!(
            matches!(
                given,
                Some(
                    Given::Nothing
                        | Given::Failed {
                            demo_refused: false
                        }
                )
            ),
            "401 for {given:?}"
        ),
        500 => assert!(
            matches!(given, Some(Given::NotAUserId | Given::AdapterFailed))
                || matches!(given, Some(Given::User(user)) if user.contains('\0')),
            "500 for {given:?}: {:?}",
            response.log
        ),
        _ => {
            if matches!(
                given,
                Some(Given::Nothing | Given::NotAUserId | Given::AdapterFailed)
            ) {
                panic!("{status} {code} for {given:?}");
            }
            assert_no_echo(request, message);
        }
    }
}

/// The declared length as a number, when it is one (digits only).
fn decimal(text: &[u8]) -> Option<u128> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(text.iter().fold(0u128, |n, &d| {
        n.saturating_mul(10).saturating_add(u128::from(d - b'0'))
    }))
}

/// The contract's "the request has a body": a declared length above 0 (or one that is not a
/// number), or none on a method other than GET and HEAD.
fn request_has_body(request: &Request) -> bool {
    match request.content_length {
        Some(length) => decimal(length) != Some(0),
        None => !matches!(request.method, b"GET" | b"HEAD"),
    }
}

/// The body's fields, read independently: JSON when the media type says JSON, else as a form.
fn body_fields(request: &Request) -> Option<Vec<(String, Value)>> {
    let media_type = String::from_utf8_lossy(request.content_type.unwrap_or_default())
        .trim_start()
        .to_ascii_lowercase();
    if media_type.starts_with("application/json") {
        match json::parse_lenient(request.body)? {
            Value::Object(members) if Value::Object(members.clone()).depth() <= 64 => Some(members),
            _ => None,
        }
    } else {
        Some(
            json::form_pairs(request.body)?
                .into_iter()
                .map(|(n, v)| (n, Value::String(v)))
                .collect(),
        )
    }
}

fn check_token(request: &Request, token: &str, given: Option<&Given>, fixed: &Fixed) {
    assert!(
        request.method == b"POST",
        "a token for {:?}",
        String::from_utf8_lossy(request.method)
    );
    let Some(Given::User(user)) = given else {
        panic!("a token for {given:?}")
    };
    let fields = body_fields(request).expect("a token for a body that does not parse");
    let field = |name: &str| {
        let mut given = fields.iter().filter(|(n, _)| n == name);
        let value = given.next().and_then(|(_, v)| v.as_str());
        assert!(
            given.next().is_none(),
            "a token for a body with {name} twice"
        );
        value
    };
    let nonce = field("nonce").expect("a token without a nonce in the body");
    let verified = fixed
        .verifier
        .verify(token, Some(nonce), None, 60)
        .expect("the token verifies");
    assert_eq!(&verified.claims.prn, user);
    let attributes = &verified.claims.attributes;
    for (name, value) in [
        ("first_name", &attributes.first_name),
        ("last_name", &attributes.last_name),
        ("display_name", &attributes.display_name),
        ("avatar_url", &attributes.avatar_url),
    ] {
        assert_eq!(value.as_deref(), field(name), "{name}");
    }
}

/// No 65 consecutive characters of the request in `message`: raw, or decoded from the body.
fn assert_no_echo(request: &Request, message: &str) {
    const MOST: usize = 64;
    let chars: Vec<(usize, char)> = message.char_indices().collect();
    if chars.len() <= MOST {
        return;
    }
    let mut decoded: Vec<String> = Vec::new();
    if let Some(Value::Object(members)) = json::parse_lenient(request.body) {
        let mut pending: Vec<(String, Value)> = members;
        while let Some((name, value)) = pending.pop() {
            decoded.push(name);
            match value {
                Value::String(text) => decoded.push(text),
                Value::Object(members) => pending.extend(members),
                Value::Array(items) => {
                    pending.extend(items.into_iter().map(|v| (String::new(), v)))
                }
                _ => {}
            }
        }
    }
    if let Some(pairs) = json::form_pairs(request.body) {
        decoded.extend(pairs.into_iter().flat_map(|(n, v)| [n, v]));
    }
    let haystacks: Vec<&[u8]> = [
        request.method,
        request.target,
        request.content_type.unwrap_or_default(),
        request.content_length.unwrap_or_default(),
        request.body,
    ]
    .into_iter()
    .chain(decoded.iter().map(String::as_bytes))
    .collect();
    for start in 0..chars.len() - MOST {
        let end = chars
            .get(start + MOST + 1)
            .map_or(message.len(), |(at, _)| *at);
        let window = &message.as_bytes()[chars[start].0..end];
        if let Some(haystack) = haystacks.iter().find(|h| memmem::find(h, window).is_some()) {
            panic!(
                "the message echoes {:?} of the request ({:?})",
                String::from_utf8_lossy(window),
                String::from_utf8_lossy(&haystack[..haystack.len().min(80)])
            );
        }
    }
}
