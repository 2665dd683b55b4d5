//! The endpoint's answers: status, the contract's headers and a JSON body, ready for any server
//! to write as they are.

use crate::json;

/// Every error code the endpoint answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    NotFound,
    MethodNotAllowed,
    UnsupportedMediaType,
    BodyTooLarge,
    InvalidRequest,
    InvalidJson,
    MissingField,
    InvalidField,
    Unauthenticated,
    ServerError,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::MissingField => "missing_field",
            ErrorCode::InvalidField => "invalid_field",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::ServerError => "server_error",
        }
    }

    pub const fn status(self) -> u16 {
        match self {
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::BodyTooLarge => 413,
            ErrorCode::InvalidRequest
            | ErrorCode::InvalidJson
            | ErrorCode::MissingField
            | ErrorCode::InvalidField => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::ServerError => 500,
        }
    }
}

/// An error answer before it is written: its code and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            message: message.into(),
        }
    }

    pub fn response(&self) -> Response {
        Response::error(self.code, &self.message)
    }
}

/// The message of every 401: what authenticate said is for the log, never for the client.
pub const UNAUTHENTICATED_MESSAGE: &str = "authentication required";
/// The message of every 500: the details go to the server's log only.
pub const SERVER_ERROR_MESSAGE: &str = "could not create the identity token";

/// A complete answer. `headers` are the ones the contract requires (`Content-Type`,
/// `Cache-Control`, and `Allow` / `Connection` where they apply); the server adds its own
/// framing (`Content-Length` or chunking, `Date`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    /// Empty for a HEAD request.
    pub body: Vec<u8>,
    /// Answered without reading a body the request has: close the connection after writing
    /// (the answer carries `Connection: close`).
    pub close: bool,
    /// What the server should log about this answer (a signing failure's details, say), never
    /// sent to the client. `None` when there is nothing to add.
    pub log: Option<String>,
}

impl Response {
    fn json(status: u16, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![
                ("Content-Type", "application/json".to_owned()),
                ("Cache-Control", "no-store".to_owned()),
            ],
            body,
            close: false,
            log: None,
        }
    }

    /// `200 {"identity_token":"<token>"}`.
    pub fn token(token: &str) -> Response {
        let mut body = Vec::with_capacity(token.len() + 22);
        body.extend_from_slice(b"{\"identity_token\":");
        json::push_string(&mut body, token);
        body.push(b'}');
        Response::json(200, body)
    }

    /// `200 {"status":"ok"}`.
    pub fn healthy() -> Response {
        Response::json(200, b"{\"status\":\"ok\"}".to_vec())
    }

    /// `{"error":{"code":...,"message":...}}` with the code's status.
    pub fn error(code: ErrorCode, message: &str) -> Response {
        let mut body = Vec::with_capacity(message.len() + 64);
        body.extend_from_slice(b"{\"error\":{\"code\":\"");
        body.extend_from_slice(code.as_str().as_bytes());
        body.extend_from_slice(b"\",\"message\":");
        json::push_string(&mut body, message);
        body.extend_from_slice(b"}}");
        Response::json(code.status(), body)
    }

    /// `405` with the methods the path allows.
    pub fn method_not_allowed(allow: &'static str, hint: &str) -> Response {
        let mut response = Response::error(ErrorCode::MethodNotAllowed, hint);
        response.headers.push(("Allow", allow.to_owned()));
        response
    }

    /// `500 server_error` with its fixed message; `log` says why, for the server's log only.
    pub fn server_error(log: impl Into<String>) -> Response {
        Response::error(ErrorCode::ServerError, SERVER_ERROR_MESSAGE).logged(log)
    }

    /// `401 unauthenticated` with its fixed message.
    pub fn unauthenticated(log: impl Into<String>) -> Response {
        Response::error(ErrorCode::Unauthenticated, UNAUTHENTICATED_MESSAGE).logged(log)
    }

    pub(crate) fn logged(mut self, log: impl Into<String>) -> Response {
        self.log = Some(log.into());
        self
    }

    /// The same answer, followed by closing the connection.
    pub(crate) fn closing(mut self) -> Response {
        if !self.close {
            self.close = true;
            self.headers.push(("Connection", "close".to_owned()));
        }
        self
    }

    /// The same answer without its body, for HEAD.
    pub(crate) fn without_body(mut self) -> Response {
        self.body.clear();
        self
    }

    /// The value of header `name` (compared case-insensitively), if the answer has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_exactly_the_contract_json() {
        assert_eq!(
            Response::token("a.b.c").body,
            br#"{"identity_token":"a.b.c"}"#
        );
        assert_eq!(Response::healthy().body, br#"{"status":"ok"}"#);
        let error = Response::error(ErrorCode::InvalidField, "nonce \"x\"\n");
        assert_eq!(
            error.body,
            br#"{"error":{"code":"invalid_field","message":"nonce \"x\"\n"}}"#
        );
        assert_eq!(error.status, 400);
        assert_eq!(error.header("cache-control"), Some("no-store"));
        let closed = error.closing().closing();
        assert_eq!(
            closed
                .headers
                .iter()
                .filter(|(n, _)| *n == "Connection")
                .count(),
            1
        );
    }
}
