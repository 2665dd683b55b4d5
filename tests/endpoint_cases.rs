//! Every case of `tests/endpoint/cases.json`, the identity-token endpoint's HTTP contract,
//! replayed against the core's sans-I/O endpoint with no socket: the request head and body go
//! in as a server would read them, the answer is checked as the conformance driver checks it
//! on the wire.

mod support;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use layer_identity::endpoint::{Authentication, Exchange, RequestHead, Response, Step};
use layer_identity::{Flags, Signer, Verifier};
use serde_json::Value;
use support::{repo_path, vector_file, KEY_ID, PROVIDER_ID};

const ATTRIBUTES: [&str; 4] = ["first_name", "last_name", "display_name", "avatar_url"];

/// What a case's `authenticate` does, given the exchange at step Authenticate.
fn authenticate(kind: &str, exchange: &mut Exchange) -> (Option<String>, AuthKind) {
    match kind {
        // The demo authenticator, mounted as it is or called from the application's own.
        "demo" | "demo_wrapped" => match exchange.demo_user_id() {
            Ok(user) => (Some(user.to_owned()), AuthKind::User),
            Err(_) => (None, AuthKind::Failed),
        },
        "reject" | "throws" => (None, AuthKind::Failed),
        "none" => (None, AuthKind::Nothing),
        "empty" => (Some(String::new()), AuthKind::User),
        // Ruby, Python and Node write an integer in decimal before it reaches the core.
        "integer" => (Some("42".to_owned()), AuthKind::User),
        "not_a_user_id" => (Some("a float".to_owned()), AuthKind::NotAUserId),
        other => panic!("cases.json has an authenticator this test does not know: {other}"),
    }
}

enum AuthKind {
    User,
    Nothing,
    Failed,
    NotAUserId,
}

fn body_bytes(body: &Value) -> Option<Vec<u8>> {
    let (kind, value) = body.as_object()?.iter().next().expect("one member");
    Some(match kind.as_str() {
        "text" => value.as_str().unwrap().as_bytes().to_vec(),
        "json" => serde_json::to_vec(value).unwrap(),
        "form" => form_urlencode(value),
        "base64" => STANDARD.decode(value.as_str().unwrap()).unwrap(),
        "repeat" => {
            let part = |name: &str| value[name].as_str().unwrap_or("").to_owned();
            let count = value["count"].as_u64().unwrap() as usize;
            format!(
                "{}{}{}",
                part("prefix"),
                part("text").repeat(count),
                part("suffix")
            )
            .into_bytes()
        }
        other => panic!("unknown body kind {other}"),
    })
}

/// Python's `urllib.parse.urlencode`: UTF-8, space as `+`, only `A-Za-z0-9_.-~` unescaped.
fn form_urlencode(pairs: &Value) -> Vec<u8> {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b' ' => "+".to_owned(),
                b if b.is_ascii_alphanumeric() || b"_.-~".contains(&b) => (b as char).to_string(),
                b => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            format!(
                "{}={}",
                encode(pair[0].as_str().unwrap()),
                encode(pair[1].as_str().unwrap())
            )
        })
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// Runs one case as an adapter would: head, body (cut after MAX + 1 bytes, as a server reads
/// it), authenticate, answer.
fn answer(case: &Value, signer: &Signer) -> Response {
    let request = &case["request"];
    let headers: Vec<(String, String)> = request["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().unwrap().to_owned(),
                pair[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let body = body_bytes(&request["body"]);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    };
    let content_length =
        header("Content-Length").or_else(|| body.as_ref().map(|body| body.len().to_string()));
    let content_type = header("Content-Type");
    let head = RequestHead {
        method: request["method"].as_str().unwrap().as_bytes(),
        target: request["path"].as_str().unwrap().as_bytes(),
        content_type: content_type.as_deref().map(str::as_bytes),
        content_length: content_length.as_deref().map(str::as_bytes),
    };
    let mut exchange = Exchange::new(&head);
    if exchange.step() == Step::ReadBody {
        let body = body.unwrap_or_default();
        let read = body.len().min(layer_identity::endpoint::MAX_BODY_BYTES + 1);
        exchange.put_body(&body[..read]).unwrap();
    }
    if exchange.step() == Step::Authenticate {
        let (user, kind) = authenticate(case["authenticator"].as_str().unwrap(), &mut exchange);
        let outcome = match kind {
            AuthKind::User => Authentication::User(user.as_deref().unwrap()),
            AuthKind::Nothing => Authentication::Nothing,
            AuthKind::Failed => Authentication::Failed,
            AuthKind::NotAUserId => Authentication::NotAUserId(user.as_deref().unwrap()),
        };
        exchange.finish(Some(signer), outcome).unwrap();
    }
    assert_eq!(exchange.step(), Step::Respond);
    exchange.into_response().unwrap()
}

/// The claims a token must carry, byte for byte, as the driver builds them.
fn expected_claims(expected: &Value, iat: i64) -> String {
    let string = |name: &str| serde_json::to_string(expected[name].as_str().unwrap()).unwrap();
    let mut claims = format!(
        "{{\"iss\":{},\"prn\":{},\"iat\":{iat},\"exp\":{},\"nce\":{}",
        serde_json::to_string(PROVIDER_ID).unwrap(),
        string("prn"),
        iat + 600,
        string("nce")
    );
    for name in ATTRIBUTES
        .into_iter()
        .filter(|name| expected.get(name).is_some())
    {
        claims += &format!(",\"{name}\":{}", string(name));
    }
    claims + "}"
}

fn problems(case: &Value, response: &Response, verifier: &Verifier) -> Vec<String> {
    let expected = &case["expected"];
    let mut problems = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };
    check(
        u64::from(response.status) == expected["status"].as_u64().unwrap(),
        format!(
            "status {}, expected {}",
            response.status, expected["status"]
        ),
    );
    check(
        response.header("Cache-Control") == Some("no-store"),
        "no Cache-Control: no-store".into(),
    );
    check(
        response.header("Content-Type") == Some("application/json"),
        format!("Content-Type {:?}", response.header("Content-Type")),
    );
    if let Some(allow) = expected["allow"].as_array() {
        let mut wanted: Vec<&str> = allow.iter().map(|m| m.as_str().unwrap()).collect();
        let mut got: Vec<&str> = response.header("Allow").unwrap_or("").split(", ").collect();
        wanted.sort();
        got.sort();
        check(wanted == got, format!("Allow {got:?}, expected {wanted:?}"));
    }
    if case["request"]["method"] == "HEAD" {
        check(response.body.is_empty(), "a body for HEAD".into());
        return problems;
    }
    let body: Value = match serde_json::from_slice(&response.body) {
        Ok(body) => body,
        Err(_) => {
            return vec![format!(
                "body is not JSON: {:?}",
                String::from_utf8_lossy(&response.body)
            )]
        }
    };
    if let Some(json) = expected.get("json") {
        check(&body == json, format!("body {body}, expected {json}"));
    }
    match expected["error_code"].as_str() {
        Some(code) => {
            let error = &body["error"];
            check(
                body.as_object().map(|o| o.len()) == Some(1)
                    && error.as_object().map(|o| o.len()) == Some(2),
                format!("error body {body} has other members"),
            );
            check(
                error["code"] == code,
                format!("code {}, expected {code}", error["code"]),
            );
            let message = error["message"].as_str().unwrap_or("");
            check(!message.is_empty(), "an empty message".into());
            if let Some(exact) = expected["message"].as_str() {
                check(
                    message == exact,
                    format!("message {message:?}, expected {exact:?}"),
                );
            }
            if let Some(part) = expected["message_contains"].as_str() {
                check(
                    message.contains(part),
                    format!("message {message:?} lacks {part:?}"),
                );
            }
        }
        None if expected["token"].is_object() => {
            let token = body["identity_token"].as_str().unwrap_or("");
            check(
                body.as_object().map(|o| o.len()) == Some(1),
                format!("body {body}"),
            );
            match verifier.verify(token, None, None, 60) {
                Err(error) => check(false, format!("the token does not verify: {error}")),
                Ok(verified) => {
                    let wanted = expected_claims(&expected["token"], verified.claims.iat);
                    check(
                        verified.claims_json == wanted,
                        format!("claims {}, expected {wanted}", verified.claims_json),
                    );
                    let header = URL_SAFE_NO_PAD
                        .decode(token.split('.').next().unwrap())
                        .unwrap();
                    check(
                        header
                            == format!(
                                r#"{{"typ":"JWS","alg":"RS256","cty":"layer-eit;v=1","kid":"{KEY_ID}"}}"#
                            )
                            .into_bytes(),
                        "the token's header".into(),
                    );
                }
            }
        }
        None => {}
    }
    let unread = matches!(response.status, 404 | 405 | 413 | 415);
    if unread && case["request"]["body"].is_object() {
        check(
            response.close,
            "a body left unread without Connection: close".into(),
        );
    }
    problems
}

#[test]
fn every_case_of_the_contract_passes_without_a_socket() {
    let cases: Value =
        serde_json::from_slice(&std::fs::read(repo_path("tests/endpoint/cases.json")).unwrap())
            .unwrap();
    let key = vector_file("keys/rsa2048.pkcs8.pem");
    let signer = Signer::new(&key, None, PROVIDER_ID, KEY_ID, Flags::default()).unwrap();
    let verifier = Verifier::new(&key, PROVIDER_ID, KEY_ID, Flags::default()).unwrap();
    let mut failures = Vec::new();
    let cases = cases["cases"].as_array().unwrap();
    for case in cases {
        let response = answer(case, &signer);
        for problem in problems(case, &response, &verifier) {
            failures.push(format!("{}: {problem}", case["name"].as_str().unwrap()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cases.len() >= 129, "{} cases", cases.len());
}

#[test]
fn a_signing_failure_is_a_500_with_the_fixed_message_and_the_details_logged() {
    // A 16 KiB user ID makes the token too large: the library refuses the argument (400).
    let key = vector_file("keys/rsa2048.pkcs8.pem");
    let signer = Signer::new(&key, None, PROVIDER_ID, KEY_ID, Flags::default()).unwrap();
    let head = RequestHead {
        method: b"POST",
        target: b"/identity-token",
        content_type: Some(b"application/json"),
        content_length: Some(b"13"),
    };
    let mut exchange = Exchange::new(&head);
    exchange.put_body(br#"{"nonce":"n"}"#).unwrap();
    let user = "u".repeat(16 * 1024);
    exchange
        .finish(Some(&signer), Authentication::User(&user))
        .unwrap();
    let response = exchange.response().unwrap();
    assert_eq!(response.status, 400);
    assert!(String::from_utf8_lossy(&response.body).contains("invalid_field"));

    // The adapter's own failure: 500, fixed message, the reason only in the log.
    let mut exchange = Exchange::new(&head);
    exchange.fail("the body was consumed by express.json()");
    let response = exchange.into_response().unwrap();
    assert_eq!(response.status, 500);
    assert_eq!(
        response.body,
        br#"{"error":{"code":"server_error","message":"could not create the identity token"}}"#
    );
    assert_eq!(
        response.log.as_deref(),
        Some("the body was consumed by express.json()")
    );
    assert!(response.close, "the body was never read");
}
