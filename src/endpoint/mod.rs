//! The identity-token endpoint's HTTP contract (`tests/endpoint/README.md`), once for every
//! language and server, without I/O: the server reads, this module decides, the server writes.
//! Like h11 or rustls' connection API, an [`Exchange`] is fed what arrived and says what to do
//! next:
//!
//! 1. [`Exchange::new`] takes the request head (method, target, `Content-Type`,
//!    `Content-Length`, all as received) and either answers at once (404, 405, 415, 413, ...)
//!    or asks for the body ([`Step::ReadBody`]);
//! 2. [`Exchange::put_body`] takes the body (at most [`MAX_BODY_BYTES`] + 1 bytes read) and
//!    either answers (400, 413) or hands the validated [`Fields`] to the application
//!    ([`Step::Authenticate`]);
//! 3. [`Exchange::finish`] takes what the application's `authenticate` returned and signs, or
//!    answers 400, 401 or 500 ([`Step::Respond`]).

mod body;
mod fields;
mod head;
mod response;

pub use body::MAX_DEPTH;
pub use fields::{Field, Fields, MAX_FIELD_BYTES};
pub use head::{body_kind, declared_length, path_of, BodyKind};
pub use response::{ErrorCode, Refusal, Response, SERVER_ERROR_MESSAGE, UNAUTHENTICATED_MESSAGE};

use crate::error::{Error, ErrorKind, Result};
use crate::token::Signer;

/// The largest body the endpoint reads, in bytes.
pub const MAX_BODY_BYTES: usize = 65536;
/// Where tokens are issued.
pub const IDENTITY_TOKEN_PATH: &[u8] = b"/identity-token";
/// The health check.
pub const HEALTHZ_PATH: &[u8] = b"/healthz";

/// A request head as the server received it: bytes, not yet interpreted.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestHead<'a> {
    pub method: &'a [u8],
    /// The request target: `/path?query`, or an absolute `http://host/path`.
    pub target: &'a [u8],
    /// The `Content-Type` value, `None` without the header.
    pub content_type: Option<&'a [u8]>,
    /// The `Content-Length` value, `None` without the header (no body, or a chunked one).
    pub content_length: Option<&'a [u8]>,
}

/// What the server does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Read the body until it ends or more than [`MAX_BODY_BYTES`] have arrived, then
    /// [`Exchange::put_body`].
    ReadBody,
    /// Call the application's `authenticate` with [`Exchange::fields`], then
    /// [`Exchange::finish`].
    Authenticate,
    /// Write [`Exchange::response`].
    Respond,
}

/// What the application's `authenticate` returned. One rule for every language: a user ID
/// gets a token; nothing (including the empty string) or a failure is 401; anything else is
/// the application's bug, 500.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authentication<'a> {
    /// A user ID.
    User(&'a str),
    /// Nothing: nil, None, null, undefined, an empty Optional.
    Nothing,
    /// It raised, threw or returned an error (which the adapter logs).
    Failed,
    /// Something that is not a user ID; the text describes it for the log.
    NotAUserId(&'a str),
}

/// One request's way through the contract. Owned by one request handler; not shared.
#[derive(Clone, Debug)]
pub struct Exchange {
    state: State,
    /// The demo authenticator refused `user_id`: a failed authenticate answers this.
    demo_refusal: Option<Refusal>,
}

#[derive(Clone, Debug)]
enum State {
    ReadBody(BodyKind),
    Authenticate(Fields),
    Respond(Response),
}

impl Exchange {
    /// Routes a request by its head: the contract's steps 1–4 (path, method, content type,
    /// size), which need no body.
    pub fn new(head: &RequestHead) -> Exchange {
        let state = match route(head) {
            Ok(kind) => State::ReadBody(kind),
            Err(mut response) => {
                if body_left_unread(head) {
                    response = response.closing();
                }
                if head.method == b"HEAD" {
                    response = response.without_body();
                }
                State::Respond(response)
            }
        };
        Exchange {
            state,
            demo_refusal: None,
        }
    }

    pub fn step(&self) -> Step {
        match self.state {
            State::ReadBody(_) => Step::ReadBody,
            State::Authenticate(_) => Step::Authenticate,
            State::Respond(_) => Step::Respond,
        }
    }

    /// The body, read until it ended or more than [`MAX_BODY_BYTES`] arrived: step 5 (parse)
    /// and step 6 (fields).
    pub fn put_body(&mut self, body: &[u8]) -> Result<()> {
        let State::ReadBody(kind) = self.state else {
            return Err(self.out_of_step("put_body"));
        };
        self.state = if body.len() > MAX_BODY_BYTES {
            State::Respond(too_large().closing())
        } else {
            let parsed = match kind {
                BodyKind::Json => body::parse_json(body),
                BodyKind::Form => body::parse_form(body),
            };
            match parsed.map_err(|e| Refusal::new(ErrorCode::InvalidJson, e.message())) {
                Ok(raw) => match raw.check() {
                    Ok(fields) => State::Authenticate(fields),
                    Err(refusal) => State::Respond(refusal.response()),
                },
                Err(refusal) => State::Respond(refusal.response()),
            }
        };
        Ok(())
    }

    /// The validated fields, from step Authenticate on.
    pub fn fields(&self) -> Option<&Fields> {
        match &self.state {
            State::Authenticate(fields) => Some(fields),
            _ => None,
        }
    }

    /// The demo authenticator: `user_id` from the body under the field rules. Its refusal is
    /// remembered, so that [`Authentication::Failed`] then answers the refusal (400) rather
    /// than 401 whether the demo authenticator was mounted as it is or called from the
    /// application's own `authenticate`. The error's message is the refusal's.
    pub fn demo_user_id(&mut self) -> Result<&str> {
        let State::Authenticate(fields) = &self.state else {
            return Err(self.out_of_step("demo_user_id"));
        };
        if let Err(refusal) = fields.demo_user_id() {
            self.demo_refusal = Some(refusal.clone());
            return Err(Error::invalid_argument(refusal.message.clone()));
        }
        match &self.state {
            State::Authenticate(fields) => Ok(fields.demo_user_id().expect("checked above")),
            _ => unreachable!("the state did not change"),
        }
    }

    /// Step 7's outcome: signs for a user (step 8) or answers 401 / 500. `signer` is needed
    /// only for [`Authentication::User`].
    pub fn finish(&mut self, signer: Option<&Signer>, outcome: Authentication) -> Result<()> {
        let State::Authenticate(fields) = &self.state else {
            return Err(self.out_of_step("finish"));
        };
        let response = match outcome {
            Authentication::User("") | Authentication::Nothing => {
                Response::unauthenticated("authenticate returned no user")
            }
            Authentication::Failed => match &self.demo_refusal {
                Some(refusal) => refusal.response(),
                None => Response::unauthenticated("authenticate failed"),
            },
            Authentication::NotAUserId(what) => Response::server_error(format!(
                "authenticate returned {what}, which is not a user ID (a non-empty string)"
            )),
            Authentication::User(user_id) if user_id.contains('\0') => {
                Response::server_error("authenticate returned a user ID that contains U+0000")
            }
            Authentication::User(user_id) => {
                let signer = signer.ok_or_else(|| {
                    Error::invalid_argument("a signer is needed to answer with a token")
                })?;
                sign(signer, fields, user_id)
            }
        };
        self.state = State::Respond(response);
        Ok(())
    }

    /// The adapter's own failure (the body was consumed by something else, an unexpected
    /// exception): `500 server_error`, with `log` for the server's log only.
    pub fn fail(&mut self, log: impl Into<String>) {
        let response = Response::server_error(log);
        self.state = State::Respond(match self.state {
            State::ReadBody(_) => response.closing(),
            _ => response,
        });
    }

    /// The answer, once [`Step::Respond`] is reached.
    pub fn response(&self) -> Option<&Response> {
        match &self.state {
            State::Respond(response) => Some(response),
            _ => None,
        }
    }

    /// The answer, taking it out of the exchange.
    pub fn into_response(self) -> Option<Response> {
        match self.state {
            State::Respond(response) => Some(response),
            _ => None,
        }
    }

    fn out_of_step(&self, call: &str) -> Error {
        Error::invalid_argument(format!(
            "{call} does not fit this exchange, which is at step {:?}",
            self.step()
        ))
    }
}

/// Steps 1–4; `Ok` with the body kind when the body is to be read.
fn route(head: &RequestHead) -> Result<BodyKind, Response> {
    let path = path_of(head.target);
    if path == HEALTHZ_PATH {
        return match head.method {
            b"GET" | b"HEAD" => Err(Response::healthy()),
            _ => Err(Response::method_not_allowed("GET, HEAD", "use GET or HEAD")),
        };
    }
    if path != IDENTITY_TOKEN_PATH {
        return Err(Response::error(ErrorCode::NotFound, "not found"));
    }
    if head.method != b"POST" {
        return Err(Response::method_not_allowed("POST", "use POST"));
    }
    let kind = body_kind(head.content_type).ok_or_else(|| {
        Response::error(
            ErrorCode::UnsupportedMediaType,
            "Content-Type must be application/json or application/x-www-form-urlencoded (charset utf-8)",
        )
    })?;
    match declared_length(head.content_length) {
        Err(()) => Err(Response::error(
            ErrorCode::InvalidRequest,
            "Content-Length must be a decimal number of bytes",
        )),
        Ok(Some(length)) if length > MAX_BODY_BYTES as u64 => Err(too_large()),
        Ok(_) => Ok(kind),
    }
}

fn too_large() -> Response {
    Response::error(
        ErrorCode::BodyTooLarge,
        &format!("the body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

/// Whether answering from the head alone leaves a body on the connection: a declared length
/// above 0, an unreadable one, or none on a method that usually carries a body. Then the
/// connection cannot be reused, and the answer says `Connection: close`.
fn body_left_unread(head: &RequestHead) -> bool {
    match declared_length(head.content_length) {
        Err(()) => true,
        Ok(Some(length)) => length > 0,
        Ok(None) => !matches!(head.method, b"GET" | b"HEAD"),
    }
}

/// Step 8: a token, or why not. The library refusing an argument is the client's fault (the
/// token would be too large for its fields); any other failure is the server's.
fn sign(signer: &Signer, fields: &Fields, user_id: &str) -> Response {
    match signer.sign(user_id, fields.nonce(), None, None, &fields.attributes()) {
        Ok(token) => Response::token(&token),
        Err(error) if error.kind() == ErrorKind::InvalidArgument => {
            Response::error(ErrorCode::InvalidField, error.message())
        }
        Err(error) => Response::server_error(format!(
            "signing failed ({}): {}",
            error.status_name(),
            error.message()
        )),
    }
}
