//! The token service's routes: the identity-token endpoint through the library's `Exchange`
//! (the same cases and bytes as every language's endpoint), readiness and metrics for
//! operators, and the validation page with its JSON API.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::Request;
use layer_identity::endpoint::{
    self, path_of, Authentication, ErrorCode, Exchange, RequestHead, Step, MAX_BODY_BYTES,
};

use super::caller::CallerCheck;
use super::keys::Keys;
use super::metrics::Metrics;
use super::tools;
use crate::server::{self, BodyError, Handler, HttpResponse, LogLine};

/// The service's routes; each has a fixed name for metrics and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    IdentityToken,
    Healthz,
    Readyz,
    Metrics,
    Page,
    Stylesheet,
    Script,
    ApiConfig,
    ApiValidate,
    ApiKeygen,
    /// Any other path: the endpoint's 404.
    Other,
}

impl Route {
    pub fn of(path: &[u8], tools: bool) -> Route {
        let route = match path {
            endpoint::IDENTITY_TOKEN_PATH => Route::IdentityToken,
            endpoint::HEALTHZ_PATH => Route::Healthz,
            b"/readyz" => Route::Readyz,
            b"/metrics" => Route::Metrics,
            b"/" => Route::Page,
            b"/tools.css" => Route::Stylesheet,
            b"/tools.js" => Route::Script,
            b"/api/config" => Route::ApiConfig,
            b"/api/validate" => Route::ApiValidate,
            b"/api/keygen" => Route::ApiKeygen,
            _ => Route::Other,
        };
        match route {
            Route::Page
            | Route::Stylesheet
            | Route::Script
            | Route::ApiConfig
            | Route::ApiValidate
            | Route::ApiKeygen
                if !tools =>
            {
                Route::Other
            }
            route => route,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Route::IdentityToken => "/identity-token",
            Route::Healthz => "/healthz",
            Route::Readyz => "/readyz",
            Route::Metrics => "/metrics",
            Route::Page => "/",
            Route::Stylesheet => "/tools.css",
            Route::Script => "/tools.js",
            Route::ApiConfig => "/api/config",
            Route::ApiValidate => "/api/validate",
            Route::ApiKeygen => "/api/keygen",
            Route::Other => "other",
        }
    }
}

pub struct Service {
    pub keys: Arc<Keys>,
    pub metrics: Arc<Metrics>,
    pub caller: CallerCheck,
    /// Whether the validation page and its API are served.
    pub tools: bool,
    /// How long a request body may take to arrive.
    pub body_timeout: std::time::Duration,
    draining: AtomicBool,
}

/// An answer and what the log line adds about it (never a secret).
pub struct Answer {
    pub response: HttpResponse,
    pub detail: Option<String>,
}

impl From<HttpResponse> for Answer {
    fn from(response: HttpResponse) -> Answer {
        Answer {
            response,
            detail: None,
        }
    }
}

impl Service {
    pub fn new(
        keys: Arc<Keys>,
        metrics: Arc<Metrics>,
        caller: CallerCheck,
        tools: bool,
        body_timeout: std::time::Duration,
    ) -> Self {
        Service {
            keys,
            metrics,
            caller,
            tools,
            body_timeout,
            draining: AtomicBool::new(false),
        }
    }

    pub fn ready(&self) -> bool {
        !self.draining.load(Ordering::Relaxed)
    }

    /// `POST /identity-token` (and `/healthz`, and every unknown path) through the library's
    /// `Exchange`: this code moves bytes and names the user; the library decides the rest.
    async fn exchange(&self, request: Request<Incoming>, target: &str) -> Answer {
        let headers = request.headers();
        let joined = |name| {
            let values: Vec<&[u8]> = headers.get_all(name).iter().map(|v| v.as_bytes()).collect();
            (!values.is_empty()).then(|| values.join(&b", "[..]))
        };
        let content_type = joined(CONTENT_TYPE);
        let content_length = joined(CONTENT_LENGTH);
        let admitted = self.caller.admits(headers.get(AUTHORIZATION));
        let mut exchange = Exchange::new(&RequestHead {
            method: request.method().as_str().as_bytes(),
            target: target.as_bytes(),
            content_type: content_type.as_deref(),
            content_length: content_length.as_deref(),
        });
        let mut detail = None;
        if exchange.step() == Step::ReadBody {
            match server::read_body(request.into_body(), MAX_BODY_BYTES, true, self.body_timeout)
                .await
            {
                Ok(body) => exchange.put_body(&body).expect("the exchange reads a body"),
                Err(BodyError::Broken(error)) => {
                    exchange.fail(format!("the request body could not be read: {error}"))
                }
                Err(BodyError::TimedOut) => {
                    return server::body_timeout_response(self.body_timeout).into()
                }
                Err(BodyError::TooLarge) => unreachable!("read_body keeps the excess"),
            }
        }
        if exchange.step() == Step::Authenticate {
            // The caller is this service's client, trusted once it proved itself: it names the
            // user in user_id, under the demo authenticator's field rules.
            if !admitted {
                detail = Some("the caller did not present LAYER_SERVICE_TOKEN".to_owned());
                exchange
                    .finish(None, Authentication::Failed)
                    .expect("the exchange authenticates");
            } else {
                match exchange.demo_user_id() {
                    Ok(user) => {
                        let user = user.to_owned();
                        let key = self.keys.current();
                        let start = Instant::now();
                        exchange
                            .finish(Some(&key.signer), Authentication::User(&user))
                            .expect("the exchange authenticates");
                        self.metrics.signed(start.elapsed());
                    }
                    Err(_) => exchange
                        .finish(None, Authentication::Failed)
                        .expect("the exchange authenticates"),
                }
            }
        }
        let answer = exchange
            .into_response()
            .expect("every step ends in an answer");
        let detail = detail.or(answer.log.clone());
        let unauthorized = answer.status == 401 && self.caller.required();
        let mut response = endpoint_response(answer);
        if unauthorized {
            response.headers_mut().insert(
                "WWW-Authenticate",
                HeaderValue::from_static("Bearer realm=\"layer-identity\""),
            );
        }
        Answer { response, detail }
    }

    /// The routes other than the endpoint's. Their bodies are read (and ignored where there
    /// is none to take) up to the endpoint's limit, so that the connection stays usable.
    async fn other(&self, route: Route, request: Request<Incoming>) -> Answer {
        let method = request.method().clone();
        let admitted = self.caller.admits(request.headers().get(AUTHORIZATION));
        let body = match server::read_body(
            request.into_body(),
            MAX_BODY_BYTES,
            false,
            self.body_timeout,
        )
        .await
        {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                let mut response = endpoint_response(endpoint::Response::error(
                    ErrorCode::BodyTooLarge,
                    &format!("the body is larger than {MAX_BODY_BYTES} bytes"),
                ));
                response
                    .headers_mut()
                    .insert("Connection", HeaderValue::from_static("close"));
                return response.into();
            }
            Err(BodyError::Broken(error)) => {
                return Answer {
                    response: endpoint_response(endpoint::Response::server_error("")),
                    detail: Some(format!("the request body could not be read: {error}")),
                }
            }
            Err(BodyError::TimedOut) => {
                return server::body_timeout_response(self.body_timeout).into()
            }
        };
        let get = matches!(method.as_str(), "GET" | "HEAD");
        match route {
            Route::Readyz | Route::Metrics | Route::Page | Route::Stylesheet | Route::Script
                if !get =>
            {
                method_not_allowed("GET, HEAD", "use GET or HEAD")
            }
            Route::ApiConfig if !get => method_not_allowed("GET, HEAD", "use GET or HEAD"),
            Route::ApiValidate | Route::ApiKeygen if method != "POST" => {
                method_not_allowed("POST", "use POST")
            }
            Route::Readyz => {
                let (status, body) = if self.ready() {
                    (200, &br#"{"status":"ready"}"#[..])
                } else {
                    (503, &br#"{"status":"draining"}"#[..])
                };
                server::response(status, &tools::JSON_HEADERS, body).into()
            }
            Route::Metrics => server::response(
                200,
                &[
                    ("Content-Type", "text/plain; version=0.0.4; charset=utf-8"),
                    ("Cache-Control", "no-store"),
                ],
                self.metrics.render(&self.keys.current(), self.ready()),
            )
            .into(),
            Route::Page => tools::asset(tools::PAGE, "text/html; charset=utf-8").into(),
            Route::Stylesheet => tools::asset(tools::STYLESHEET, "text/css; charset=utf-8").into(),
            Route::Script => tools::asset(tools::SCRIPT, "text/javascript; charset=utf-8").into(),
            Route::ApiConfig => tools::config(&self.keys.current(), self.caller.required()).into(),
            Route::ApiValidate | Route::ApiKeygen if !admitted => {
                let mut response = endpoint_response(endpoint::Response::unauthenticated(""));
                response.headers_mut().insert(
                    "WWW-Authenticate",
                    HeaderValue::from_static("Bearer realm=\"layer-identity\""),
                );
                Answer {
                    response,
                    detail: Some("the caller did not present LAYER_SERVICE_TOKEN".to_owned()),
                }
            }
            Route::ApiValidate => tools::validate(&body, &self.keys.current()).into(),
            Route::ApiKeygen => tools::keygen(&body).await.into(),
            Route::IdentityToken | Route::Healthz | Route::Other => {
                unreachable!("the exchange answers these")
            }
        }
    }
}

impl Handler for Service {
    async fn respond(&self, request: Request<Incoming>, remote: SocketAddr) -> HttpResponse {
        let start = Instant::now();
        let _in_flight = self.metrics.in_flight();
        let target = server::target(&request);
        let method = request.method().as_str().to_owned();
        let route = Route::of(path_of(target.as_bytes()), self.tools);
        let answer = match route {
            Route::IdentityToken | Route::Healthz | Route::Other => {
                self.exchange(request, &target).await
            }
            route => self.other(route, request).await,
        };
        let status = answer.response.status().as_u16();
        self.metrics.request(route.name(), status);
        let mut line = LogLine::new(if status >= 500 { "error" } else { "info" }, "request")
            .text("method", &method)
            .text("path", &server::loggable_path(&target))
            .text("route", route.name())
            .number("status", status)
            .number("duration_ms", server::millis_since(start))
            .text("remote", &remote.to_string());
        if let Some(detail) = answer.detail.filter(|detail| !detail.is_empty()) {
            line = line.text("detail", &detail);
        }
        line.write();
        answer.response
    }

    fn draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }
}

/// The library's answer as an HTTP response: its status, headers and body as given (hyper adds
/// the framing: `Content-Length`, `Date`, and closes the connection after `Connection: close`).
pub fn endpoint_response(answer: endpoint::Response) -> HttpResponse {
    let mut builder = hyper::Response::builder().status(answer.status);
    for (name, value) in &answer.headers {
        builder = builder.header(*name, value.as_str());
    }
    builder
        .body(http_body_util::Full::new(answer.body.into()))
        .expect("the library's headers are valid")
}

fn method_not_allowed(allow: &'static str, hint: &str) -> Answer {
    endpoint_response(endpoint::Response::method_not_allowed(allow, hint)).into()
}
