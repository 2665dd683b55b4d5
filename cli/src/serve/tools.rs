//! The validation page, built into the binary (no CDN: it works offline), and the JSON API
//! behind it: the service's public configuration, a token checked rule by rule
//! (`layer_identity::report`), and a fresh key pair. Minting goes through `/identity-token`
//! itself, as any caller would.

use layer_identity::report::{self, Outcome, Report};
use layer_identity::{generate_key_pair, Flags, Verifier, DEFAULT_LEEWAY_SECONDS};
use serde_json::{json, Map, Value};

use super::keys::Key;
use crate::output;
use crate::server::{self, HttpResponse};

pub const PAGE: &str = include_str!("page/index.html");
pub const STYLESHEET: &str = include_str!("page/tools.css");
pub const SCRIPT: &str = include_str!("page/tools.js");

/// The page loads nothing but its own files and talks to nothing but its own origin; the
/// browser enforces it.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub const JSON_HEADERS: [(&str, &str); 3] = [
    ("Content-Type", "application/json"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
];

/// Key sizes the page offers: larger keys take seconds to generate, which a public service
/// should not hand out for free.
pub const KEYGEN_BITS: [u32; 3] = [2048, 3072, 4096];

pub fn asset(text: &'static str, content_type: &'static str) -> HttpResponse {
    server::response(
        200,
        &[
            ("Content-Type", content_type),
            ("Cache-Control", "no-cache"),
            ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("X-Frame-Options", "DENY"),
        ],
        text,
    )
}

fn json_response(status: u16, value: &Value) -> HttpResponse {
    server::response(status, &JSON_HEADERS, value.to_string())
}

/// `400 {"error":{"code":"invalid_field","message":...}}`, the endpoint's error shape.
fn invalid(code: &str, message: &str) -> HttpResponse {
    json_response(400, &json!({"error": {"code": code, "message": message}}))
}

/// `GET /api/config`: what the page fills in for the service's own key (all of it public).
pub fn config(key: &Key, auth_required: bool) -> HttpResponse {
    json_response(
        200,
        &json!({
            "provider_id": key.provider_id,
            "key_id": key.key_id,
            "public_key": key.public_key_pem,
            "public_key_sha256": key.fingerprint,
            "auth_required": auth_required,
            "default_leeway": DEFAULT_LEEWAY_SECONDS,
            "keygen_bits": KEYGEN_BITS,
        }),
    )
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, HttpResponse> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(invalid("invalid_json", "the body must be a JSON object")),
        Err(error) => Err(invalid(
            "invalid_json",
            &format!("the body is not JSON: {error}"),
        )),
    }
}

/// A text member; absent, null and "" are all `None`.
fn text<'a>(object: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, HttpResponse> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(invalid(
            "invalid_field",
            &format!("{name} must be a string"),
        )),
    }
}

/// An integer member in `range`, or `None` when absent or null.
fn integer(
    object: &Map<String, Value>,
    name: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<Option<i64>, HttpResponse> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => match value.as_i64() {
            Some(number) if range.contains(&number) => Ok(Some(number)),
            _ => Err(invalid(
                "invalid_field",
                &format!(
                    "{name} must be an integer from {} to {}",
                    range.start(),
                    range.end()
                ),
            )),
        },
    }
}

/// `POST /api/validate`: `{"token", "public_key"?, "provider_id"?, "key_id"?, "nonce"?,
/// "now"?, "leeway"?}`; the service's own key and IDs stand in for those not given, `now` is
/// Unix seconds (absent: the clock), `leeway` seconds (absent: 60).
pub fn validate(body: &[u8], key: &Key) -> HttpResponse {
    match validation(body, key) {
        Ok(value) => json_response(200, &value),
        Err(response) => response,
    }
}

fn validation(body: &[u8], key: &Key) -> Result<Value, HttpResponse> {
    let request = parse_object(body)?;
    let token = text(&request, "token")?
        .ok_or_else(|| invalid("missing_field", "token is required: paste a token"))?;
    let public_key = text(&request, "public_key")?.unwrap_or(&key.public_key_pem);
    let provider_id = text(&request, "provider_id")?.unwrap_or(&key.provider_id);
    let key_id = text(&request, "key_id")?.unwrap_or(&key.key_id);
    let nonce = text(&request, "nonce")?;
    let now = integer(&request, "now", 1..=i64::MAX)?;
    let leeway = integer(&request, "leeway", 0..=86_400)?.map_or(DEFAULT_LEEWAY_SECONDS, |l| {
        u32::try_from(l).expect("in range")
    });
    let verifier = Verifier::new(public_key.as_bytes(), provider_id, key_id, Flags::default())
        .map_err(|error| invalid("invalid_field", error.message()))?;
    let report = report::check(&verifier, token, nonce, now, leeway)
        .map_err(|error| invalid("invalid_field", error.message()))?;
    let now = now.unwrap_or_else(layer_identity::unix_now);
    Ok(report_json(&report, now, leeway))
}

/// The report as the page shows it.
fn report_json(report: &Report, now: i64, leeway: u32) -> Value {
    let (verdict, eit, hint) = match &report.verdict {
        Ok(_) => ("Token valid.".to_owned(), None, None),
        Err(error) => (
            error.message().to_owned(),
            error.eit().map(|eit| eit.as_str()),
            error.eit().map(|eit| eit.hint()),
        ),
    };
    let rules: Vec<Value> = report
        .checks
        .iter()
        .map(|check| {
            let (result, message, hint) = match &check.outcome {
                Outcome::Pass => ("pass", None, None),
                Outcome::Fail(error) => (
                    "fail",
                    Some(error.message().to_owned()),
                    Some(check.rule.eit().hint()),
                ),
                Outcome::NotChecked(why) => ("not_checked", Some((*why).to_owned()), None),
            };
            json!({
                "rule": check.rule.name(),
                "eit": check.rule.eit().as_str(),
                "description": check.rule.description(),
                "result": result,
                "message": message,
                "hint": hint,
            })
        })
        .collect();
    let shown = |text: &Option<String>| {
        text.as_deref()
            .map(|text| output::pretty_json(text).unwrap_or_else(|| output::escaped(text)))
    };
    json!({
        "valid": report.is_valid(),
        "verdict": verdict,
        "eit": eit,
        "hint": hint,
        "header": shown(&report.header_json),
        "claims": shown(&report.claims_json),
        "times": times(report.claims_json.as_deref(), now),
        "now": now,
        "leeway": leeway,
        "rules": rules,
    })
}

/// iat, exp and now as Unix seconds and UTC dates, with how far exp is.
fn times(claims: Option<&str>, now: i64) -> Value {
    let claims: Option<Map<String, Value>> = claims.and_then(|c| serde_json::from_str(c).ok());
    let time = |name: &str| claims.as_ref()?.get(name)?.as_i64();
    let date = |seconds: i64| json!({"unix": seconds, "utc": output::utc(seconds)});
    let mut times = json!({"now": date(now)});
    if let Some(iat) = time("iat") {
        times["iat"] = date(iat);
        if iat > now {
            times["iat"]["relative"] = json!(format!(
                "{} in the future",
                output::duration(iat.abs_diff(now))
            ));
        }
    }
    if let Some(exp) = time("exp") {
        times["exp"] = date(exp);
        times["exp"]["relative"] = json!(if exp > now {
            format!("expires in {}", output::duration(exp.abs_diff(now)))
        } else {
            format!("expired {} ago", output::duration(now.abs_diff(exp)))
        });
    }
    times
}

/// At most this many key pairs are generated at once; more requests are answered 503 rather
/// than queued, so that key generation never starves signing.
const KEYGEN_AT_ONCE: usize = 1;
static KEYGEN_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(KEYGEN_AT_ONCE);

/// `POST /api/keygen` `{"bits"?}`: a fresh key pair. The private key is in this answer only
/// (`Cache-Control: no-store`), never logged, never kept.
pub async fn keygen(body: &[u8]) -> HttpResponse {
    let bits = match parse_object(if body.is_empty() { b"{}" } else { body })
        .and_then(|request| integer(&request, "bits", 0..=i64::from(u32::MAX)))
    {
        Ok(bits) => bits.map_or(2048, |b| u32::try_from(b).expect("in range")),
        Err(response) => return response,
    };
    if !KEYGEN_BITS.contains(&bits) {
        return invalid(
            "invalid_field",
            &format!("bits must be 2048, 3072 or 4096, not {bits}"),
        );
    }
    let Ok(_slot) = KEYGEN_SLOTS.try_acquire() else {
        let mut response = json_response(
            503,
            &json!({"error": {"code": "busy", "message": "another key pair is being generated; try again in a moment"}}),
        );
        response
            .headers_mut()
            .insert("Retry-After", hyper::header::HeaderValue::from_static("1"));
        return response;
    };
    // Seconds of CPU for the larger sizes: off the threads that answer requests.
    let pair = tokio::task::spawn_blocking(move || generate_key_pair(Some(bits))).await;
    match pair {
        Ok(Ok(pair)) => json_response(
            200,
            &json!({
                "bits": bits,
                "private_key": pair.private_pem.as_str(),
                "public_key": pair.public_pem,
            }),
        ),
        Ok(Err(error)) => json_response(
            500,
            &json!({"error": {"code": "server_error", "message": error.message()}}),
        ),
        Err(_) => json_response(
            500,
            &json!({"error": {"code": "server_error", "message": "key generation failed"}}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_say_when() {
        let claims = r#"{"iat":1700000000,"exp":1700000600}"#;
        let times = times(Some(claims), 1_700_000_003);
        assert_eq!(times["exp"]["utc"], "2023-11-14 22:23:20 UTC");
        assert_eq!(times["exp"]["relative"], "expires in 9m 57s");
        assert!(times["iat"].get("relative").is_none());
        let later = super::times(Some(claims), 1_700_000_780);
        assert_eq!(later["exp"]["relative"], "expired 3m ago");
        assert!(super::times(Some("not json"), 5)["exp"].is_null());
    }
}
