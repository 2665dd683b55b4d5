//! `emulate`: Layer's two authentication calls, as Layer's Client API answered them, so that a
//! client's whole flow (nonce → backend → identity token → session) can be tested offline:
//! `POST /nonces` issues a nonce that lives 10 minutes and is good for one session;
//! `POST /sessions` exchanges an identity token for a session token when the token verifies
//! against the provider's registered public keys and answers a nonce issued here, unused.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use clap::value_parser;
use hyper::body::Incoming;
use hyper::Request;
use layer_identity::{decode, validate_key_id, Eit, Flags, Verifier, DEFAULT_LEEWAY_SECONDS};
use serde_json::{json, Map, Value};

use crate::failure::Failure;
use crate::input;
use crate::server::{self, Address, BodyError, Handler, HttpResponse, LogLine};

#[derive(clap::Args)]
#[command(
    about = "Emulate Layer's two authentication calls (POST /nonces, POST /sessions) for offline tests",
    long_about = "Emulate Layer's authentication calls for testing a client's whole flow without \
        Layer's servers: POST /nonces answers 201 {\"nonce\": ...} (a nonce lives 10 minutes and \
        is good for one session); POST /sessions with {\"identity_token\": ..., \"app_id\": ...} \
        answers 201 {\"session_token\": ...} when the token verifies with a registered public \
        key and carries an unused nonce issued here, and otherwise 422 {\"id\": \
        \"invalid_property\", \"code\": 105, \"message\": \"eit_...: ...\", \"data\": \
        {\"property\": \"identity_token\"}}, as Layer did.\n\n\
        The provider's public keys are registered with --key KEY_ID=FILE (repeatable), or else \
        the one key of LAYER_KEY_ID with LAYER_PUBLIC_KEY_PATH (or the public half of \
        LAYER_PRIVATE_KEY / LAYER_PRIVATE_KEY_PATH).",
    after_help = concat!(
        "Examples:
  layer-identity emulate --provider-id layer:///providers/<uuid> \\
      --key layer:///keys/<uuid>=layer-public.pem --port 9090
  NONCE=$(curl -s -X POST http://127.0.0.1:9090/nonces | jq -r .nonce)
  TOKEN=$(curl -s http://127.0.0.1:8080/identity-token -d user_id=alice -d nonce=$NONCE | jq -r .identity_token)
  curl -s http://127.0.0.1:9090/sessions -H 'Content-Type: application/json' \\
      -d '{\"identity_token\": \"'$TOKEN'\", \"app_id\": \"layer:///apps/staging/test\"}'

",
        exit_status_help!()
    )
)]
pub struct Args {
    /// The provider ID tokens must carry in iss [env: LAYER_PROVIDER_ID]
    #[arg(long, value_name = "ID")]
    provider_id: Option<String>,

    /// A registered public key: its key ID and PEM file (repeat for more keys)
    #[arg(long = "key", value_name = "KEY_ID=FILE", value_parser = registered_key)]
    keys: Vec<(String, PathBuf)>,

    /// Accept only this app_id (by default any non-empty app_id)
    #[arg(long, value_name = "ID")]
    app_id: Option<String>,

    /// How long a nonce lives, in seconds; Layer's lived 10 minutes
    #[arg(long, value_name = "SECS", default_value_t = 600, value_parser = value_parser!(u64).range(1..=86_400))]
    nonce_ttl: u64,

    /// Clock skew tolerated in iat and exp, in seconds
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_LEEWAY_SECONDS)]
    leeway: u32,

    /// Address to listen on [env: HOST] [default: 127.0.0.1]
    #[arg(long, value_name = "HOST")]
    host: Option<String>,

    /// Port to listen on; 0 picks a free port [env: PORT] [default: 8080]
    #[arg(long, value_name = "PORT")]
    port: Option<u16>,
}

/// `KEY_ID=FILE`, split at the first `=` (a key ID has none).
fn registered_key(text: &str) -> Result<(String, PathBuf), String> {
    let (key_id, path) = text
        .split_once('=')
        .ok_or_else(|| "expected KEY_ID=FILE".to_owned())?;
    validate_key_id(key_id).map_err(|e| e.message().to_owned())?;
    Ok((key_id.to_owned(), PathBuf::from(path)))
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let provider_id = match &args.provider_id {
        Some(id) => id.clone(),
        None => layer_identity::env::provider_id().map_err(Failure::from)?,
    };
    let mut verifiers = Vec::new();
    if args.keys.is_empty() {
        let key_id = layer_identity::env::key_id()
            .map_err(|e| Failure::from(e).with_hint("or register keys with --key KEY_ID=FILE"))?;
        let key = input::verification_key(None)?;
        let verifier = key.verifier(&provider_id, &key_id, Flags::default())?;
        verifiers.push((key_id, verifier));
    }
    for (key_id, path) in &args.keys {
        let key = input::verification_key(Some(path))?;
        verifiers.push((
            key_id.clone(),
            key.verifier(&provider_id, key_id, Flags::default())?,
        ));
    }
    let (host, port) = server::host_and_port(args.host.as_deref(), args.port)?;
    let emulator = Arc::new(Emulator {
        verifiers,
        app_id: args.app_id.clone(),
        nonce_ttl: Duration::from_secs(args.nonce_ttl),
        leeway: args.leeway,
        nonces: Mutex::new(HashMap::new()),
    });
    server::runtime()?.block_on(async {
        let address = Address::resolve(&host, port).await?;
        let (listener, url) = address.bind().await?;
        let keys: Vec<&str> = emulator
            .verifiers
            .iter()
            .map(|(id, _)| id.as_str())
            .collect();
        LogLine::new("info", "started")
            .text("url", &url)
            .text("provider_id", &provider_id)
            .text("key_ids", &keys.join(" "))
            .write();
        server::announce(&url)?;
        server::serve(listener, emulator).await
    })
}

const BODY_TIMEOUT: Duration = Duration::from_secs(server::BODY_TIMEOUT_SECONDS);

/// At most this many live nonces are kept; a client that asks for more loses the oldest.
const MAX_NONCES: usize = 100_000;

struct Emulator {
    /// The provider's registered keys: (key ID, verifier).
    verifiers: Vec<(String, Verifier)>,
    app_id: Option<String>,
    nonce_ttl: Duration,
    leeway: u32,
    /// Issued nonces, unused yet, and when they expire.
    nonces: Mutex<HashMap<String, Instant>>,
}

/// A Client API error: `{"id", "code", "message", "data"}`.
fn layer_error(status: u16, id: &str, code: u32, message: &str, data: Value) -> HttpResponse {
    json_response(
        status,
        &json!({"id": id, "code": code, "message": message, "data": data}),
    )
}

fn json_response(status: u16, value: &Value) -> HttpResponse {
    server::response(
        status,
        &[
            ("Content-Type", "application/json"),
            ("Cache-Control", "no-store"),
        ],
        value.to_string(),
    )
}

/// `422 invalid_property` (105) for `property`, as Layer answered a bad identity token.
fn invalid_property(property: &str, message: &str) -> HttpResponse {
    layer_error(
        422,
        "invalid_property",
        105,
        message,
        json!({"property": property}),
    )
}

fn missing_property(property: &str) -> HttpResponse {
    layer_error(
        422,
        "missing_property",
        104,
        &format!("{property} is required"),
        json!({"property": property}),
    )
}

/// 32 random bytes, base64url.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    openssl::rand::rand_bytes(&mut bytes).expect("the system's random source works");
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Emulator {
    fn issue_nonce(&self) -> HttpResponse {
        let nonce = random_token();
        let now = Instant::now();
        let mut nonces = self.nonces.lock().unwrap_or_else(|e| e.into_inner());
        nonces.retain(|_, expires| *expires > now);
        if nonces.len() >= MAX_NONCES {
            if let Some(oldest) = nonces
                .iter()
                .min_by_key(|(_, e)| **e)
                .map(|(n, _)| n.clone())
            {
                nonces.remove(&oldest);
            }
        }
        nonces.insert(nonce.clone(), now + self.nonce_ttl);
        json_response(201, &json!({"nonce": nonce}))
    }

    /// Uses up `nonce` if it was issued here, has not expired and was not used.
    fn take_nonce(&self, nonce: &str) -> bool {
        let mut nonces = self.nonces.lock().unwrap_or_else(|e| e.into_inner());
        matches!(nonces.remove(nonce), Some(expires) if expires > Instant::now())
    }

    /// The token checked as Layer did: against the registered key its `kid` names (any
    /// registered key's verifier says what is wrong with a token that names none).
    fn verify(&self, token: &str) -> Result<String, layer_identity::Error> {
        let kid = decode(token)
            .ok()
            .and_then(|decoded| serde_json::from_slice::<Map<String, Value>>(&decoded.header).ok())
            .and_then(|header| header.get("kid")?.as_str().map(str::to_owned));
        let verifier = self
            .verifiers
            .iter()
            .find(|(key_id, _)| Some(key_id) == kid.as_ref())
            .or(self.verifiers.first())
            .map(|(_, verifier)| verifier)
            .expect("at least one key is registered");
        let verified = verifier.verify(token, None, None, self.leeway)?;
        Ok(verified.claims.nce)
    }

    fn session(&self, body: &[u8]) -> (HttpResponse, Option<String>) {
        let request = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => object,
            _ => {
                return (
                    layer_error(
                        400,
                        "invalid_request",
                        10,
                        "the body must be a JSON object",
                        json!({}),
                    ),
                    None,
                )
            }
        };
        let text = |name: &str| match request.get(name) {
            None | Some(Value::Null) => Err(missing_property(name)),
            Some(Value::String(text)) if !text.is_empty() => Ok(text.as_str()),
            Some(_) => Err(invalid_property(
                name,
                &format!("{name} must be a non-empty string"),
            )),
        };
        let (token, app_id) = match (text("identity_token"), text("app_id")) {
            (Ok(token), Ok(app_id)) => (token, app_id),
            (Err(response), _) | (_, Err(response)) => return (response, None),
        };
        if let Some(expected) = &self.app_id {
            if app_id != expected {
                return (
                    invalid_property("app_id", "app_id is not the app this emulator stands for"),
                    None,
                );
            }
        }
        let nonce = match self.verify(token) {
            Ok(nonce) => nonce,
            Err(error) => {
                let eit = error.eit().map(Eit::as_str).unwrap_or_default().to_owned();
                return (
                    invalid_property("identity_token", error.message()),
                    Some(eit),
                );
            }
        };
        if !self.take_nonce(&nonce) {
            let message = format!(
                "{}: nce is not a nonce this emulator issued, or it expired or was used already; \
                 get a fresh one from POST /nonces for each authentication",
                Eit::NonceNotFound
            );
            return (
                invalid_property("identity_token", &message),
                Some(Eit::NonceNotFound.as_str().to_owned()),
            );
        }
        (
            json_response(201, &json!({"session_token": random_token()})),
            None,
        )
    }
}

impl Handler for Emulator {
    async fn respond(&self, request: Request<Incoming>, remote: SocketAddr) -> HttpResponse {
        let start = Instant::now();
        let target = server::target(&request);
        let method = request.method().as_str().to_owned();
        let path = layer_identity::endpoint::path_of(target.as_bytes()).to_vec();
        let (response, eit) =
            match server::read_body(request.into_body(), 65536, false, BODY_TIMEOUT).await {
                Err(BodyError::TooLarge) => {
                    let mut response = layer_error(
                        413,
                        "invalid_request",
                        10,
                        "the body is larger than 65536 bytes",
                        json!({}),
                    );
                    response.headers_mut().insert(
                        "Connection",
                        hyper::header::HeaderValue::from_static("close"),
                    );
                    (response, None)
                }
                Err(BodyError::TimedOut) => (server::body_timeout_response(BODY_TIMEOUT), None),
                Err(BodyError::Broken(_)) => (
                    layer_error(
                        400,
                        "invalid_request",
                        10,
                        "the body ended early",
                        json!({}),
                    ),
                    None,
                ),
                Ok(body) => match (method.as_str(), path.as_slice()) {
                    ("POST", b"/nonces") => (self.issue_nonce(), None),
                    ("POST", b"/sessions") => self.session(&body),
                    ("GET" | "HEAD", b"/healthz") => {
                        (json_response(200, &json!({"status": "ok"})), None)
                    }
                    (_, b"/nonces" | b"/sessions") => (
                        layer_error(405, "method_not_allowed", 10, "use POST", json!({})),
                        None,
                    ),
                    _ => (
                        layer_error(404, "not_found", 102, "not found", json!({})),
                        None,
                    ),
                },
            };
        let status = response.status().as_u16();
        let mut line = LogLine::new("info", "request")
            .text("method", &method)
            .text("path", &server::loggable_path(&target))
            .number("status", status)
            .number("duration_ms", server::millis_since(start))
            .text("remote", &remote.to_string());
        if let Some(eit) = eit {
            line = line.text("eit", &eit);
        }
        line.write();
        response
    }
}
