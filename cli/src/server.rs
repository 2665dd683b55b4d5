//! The HTTP plumbing that `serve` and `emulate` share, on hyper and tokio: resolving and binding
//! HOST:PORT, the accept loop with keep-alive, SIGTERM's graceful stop, reading a body up to a
//! limit, and one structured log line per event on stderr.

use std::convert::Infallible;
use std::fmt::Display;
use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, SignalKind};

use crate::failure::Failure;
use crate::output;

pub type HttpResponse = Response<Full<Bytes>>;

/// How long SIGTERM waits for requests in flight before the process exits anyway: within the
/// 5 s that orchestrators and the contract give.
const DRAIN_SECONDS: u64 = 4;
/// A client that opened a connection must send its request head within this time (slowloris).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// An application served over HTTP/1.1.
pub trait Handler: Send + Sync + 'static {
    /// The answer to one request from `remote`.
    fn respond(
        &self,
        request: Request<Incoming>,
        remote: SocketAddr,
    ) -> impl Future<Output = HttpResponse> + Send;

    /// SIGTERM arrived: no new connections are accepted, requests in flight finish.
    fn draining(&self) {}
}

/// `PORT` (default 8080) and `HOST` (default 127.0.0.1), as every sample backend reads them;
/// flags take precedence.
pub fn host_and_port(host: Option<&str>, port: Option<u16>) -> Result<(String, u16), Failure> {
    let host = match host {
        Some(host) => host.to_owned(),
        None => env_text("HOST")?.unwrap_or_else(|| "127.0.0.1".to_owned()),
    };
    let port = match port {
        Some(port) => port,
        None => match env_text("PORT")? {
            None => 8080,
            Some(text) => text.parse().map_err(|_| {
                Failure::usage(format!(
                    "PORT must be a port number from 0 to 65535, not {}",
                    crate::layer_identity_quote(&text)
                ))
            })?,
        },
    };
    Ok((host, port))
}

fn env_text(var: &str) -> Result<Option<String>, Failure> {
    match std::env::var(var) {
        Ok(value) if value.is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Failure::usage(format!("{var} is not valid UTF-8")))
        }
    }
}

/// Where the server will listen: every address `host` names, and whether they are all on
/// loopback (where only this machine's processes reach the server).
pub struct Address {
    pub host: String,
    pub addrs: Vec<SocketAddr>,
}

impl Address {
    pub async fn resolve(host: &str, port: u16) -> Result<Address, Failure> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| Failure::usage(format!("HOST {host:?} does not resolve: {e}")))?
            .collect();
        if addrs.is_empty() {
            return Err(Failure::usage(format!("HOST {host:?} names no address")));
        }
        Ok(Address {
            host: host.to_owned(),
            addrs,
        })
    }

    pub fn is_loopback(&self) -> bool {
        self.addrs.iter().all(|addr| addr.ip().is_loopback())
    }

    /// Binds the first address; returns the listener and the URL to announce.
    pub async fn bind(&self) -> Result<(TcpListener, String), Failure> {
        let addr = self.addrs[0];
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| Failure::usage(format!("cannot listen on {addr}: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| Failure::usage(format!("cannot listen on {addr}: {e}")))?
            .port();
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        Ok((listener, format!("http://{host}:{port}")))
    }
}

/// Prints `listening on URL` on stdout, the one line stdout ever carries, once the socket
/// listens.
pub fn announce(url: &str) -> Result<(), Failure> {
    output::print(&format!("listening on {url}\n"))
}

/// A multi-threaded runtime with one worker per core: signing is CPU work done on the worker
/// that received the request, so more workers than cores would only add switching.
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the runtime: {e}")))
}

/// Serves `handler` on `listener` until SIGTERM or SIGINT: then stops accepting at once, lets
/// requests in flight finish (closing idle keep-alive connections), and returns within
/// `DRAIN_SECONDS`.
pub async fn serve<H: Handler>(listener: TcpListener, handler: Arc<H>) -> Result<(), Failure> {
    let stop = stop_signal()?;
    tokio::pin!(stop);
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .keep_alive(true)
        // Not pipeline_flush: it holds an answer back while more input is buffered, and hyper
        // 1.13 then closes without ever writing its 400 for a malformed head that arrived
        // together with a body.
        .header_read_timeout(HEADER_READ_TIMEOUT);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    // Small answers on kept-alive connections: never wait for Nagle.
                    let _ = stream.set_nodelay(true);
                    let handler = Arc::clone(&handler);
                    let service = service_fn(move |request| {
                        let handler = Arc::clone(&handler);
                        async move { Ok::<_, Infallible>(handler.respond(request, remote).await) }
                    });
                    let io = TokioIo::new(LingeringClose(Some(stream)));
                    let connection = graceful.watch(http.serve_connection(io, service));
                    tokio::spawn(async move {
                        // A client that goes away mid-request is its own business.
                        let _ = connection.await;
                    });
                }
                Err(error) => {
                    // Out of file descriptors and the like: say so, breathe, go on.
                    LogLine::new("error", "accept_failed").text("error", &error.to_string()).write();
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            signal = &mut stop => {
                LogLine::new("info", "stopping").text("signal", signal).write();
                break;
            }
        }
    }
    drop(listener);
    handler.draining();
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(DRAIN_SECONDS)) => {
            LogLine::new("warn", "drain_timeout")
                .text("message", "requests were still in flight when the drain time ran out")
                .write();
        }
    }
    LogLine::new("info", "stopped").write();
    Ok(())
}

/// How long a closed connection's unread input is drained before the socket is closed.
const LINGER: Duration = Duration::from_secs(2);
/// How much unread input is drained at most.
const LINGER_BYTES: usize = 1 << 20;

/// A connection that closes the way RFC 9112 section 9.6 asks: when hyper is done with it
/// (after an answer given without reading the request's body, such as a 413, or its own 400 for
/// a malformed head), the write side is shut down first and what the client still sends is read
/// and dropped until it closes too (at most `LINGER`). Closing a socket with unread input
/// instead makes the kernel send a reset, and a reset makes the client's kernel drop the answer
/// it has not yet read.
struct LingeringClose(Option<TcpStream>);

impl LingeringClose {
    fn stream(&mut self) -> &mut TcpStream {
        self.0.as_mut().expect("the stream is only taken on drop")
    }
}

impl Drop for LingeringClose {
    fn drop(&mut self) {
        let (Some(mut stream), Ok(runtime)) =
            (self.0.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        runtime.spawn(async move {
            let _ = stream.shutdown().await;
            let mut buffer = [0u8; 8192];
            let mut drained = 0;
            let _ = tokio::time::timeout(LINGER, async {
                while drained < LINGER_BYTES {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(read) => drained += read,
                    }
                }
            })
            .await;
        });
    }
}

impl AsyncRead for LingeringClose {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(self.stream()).poll_read(cx, buf)
    }
}

impl AsyncWrite for LingeringClose {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(self.stream()).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(self.stream()).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(self.stream()).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(self.stream()).poll_shutdown(cx)
    }
}

/// Resolves on SIGTERM or SIGINT, with the signal's name.
fn stop_signal() -> Result<impl Future<Output = &'static str>, Failure> {
    let failure = |e: std::io::Error| Failure::usage(format!("cannot handle signals: {e}"));
    let mut terminate = signal(SignalKind::terminate()).map_err(failure)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(failure)?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        }
    })
}

/// How long a request's body may take to arrive, once its head has, by default: a client that
/// stalls longer is answered 408 and disconnected, so that stalled bodies cannot pile up.
pub const BODY_TIMEOUT_SECONDS: u64 = 30;

/// Why a body could not be read to its end.
#[derive(Debug)]
pub enum BodyError {
    /// More than the limit arrived (the rest is left unread).
    TooLarge,
    /// The connection failed or the framing was broken.
    Broken(hyper::Error),
    /// The body did not arrive in time.
    TimedOut,
}

/// `408` with `Connection: close`, in the endpoint's error shape.
pub fn body_timeout_response(timeout: Duration) -> HttpResponse {
    response(
        408,
        &[
            ("Content-Type", "application/json"),
            ("Cache-Control", "no-store"),
            ("Connection", "close"),
        ],
        format!(
            "{{\"error\":{{\"code\":\"request_timeout\",\"message\":\"the request body did not arrive within {} s\"}}}}",
            timeout.as_secs()
        ),
    )
}

/// The body, read until it ends or more than `limit` bytes arrived, within `timeout`. With
/// `keep_excess`, up to `limit + 1` bytes are returned instead of [`BodyError::TooLarge`], so
/// that a caller that decides on size itself (the endpoint's `put_body`) sees that there was
/// more.
pub async fn read_body(
    body: Incoming,
    limit: usize,
    keep_excess: bool,
    timeout: Duration,
) -> Result<Vec<u8>, BodyError> {
    tokio::time::timeout(timeout, read_body_to_end(body, limit, keep_excess))
        .await
        .unwrap_or(Err(BodyError::TimedOut))
}

async fn read_body_to_end(
    mut body: Incoming,
    limit: usize,
    keep_excess: bool,
) -> Result<Vec<u8>, BodyError> {
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(BodyError::Broken)?;
        if let Ok(data) = frame.into_data() {
            bytes.extend_from_slice(&data);
            if bytes.len() > limit {
                if !keep_excess {
                    return Err(BodyError::TooLarge);
                }
                bytes.truncate(limit + 1);
                break;
            }
        }
    }
    Ok(bytes)
}

/// A response with `status`, `headers` and `body`.
pub fn response(status: u16, headers: &[(&str, &str)], body: impl Into<Bytes>) -> HttpResponse {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Full::new(body.into()))
        .expect("static header names and checked values")
}

/// One JSON object per line on stderr, written with a single `write`: `time`, `level`,
/// `event`, then the fields added. Values are escaped, so input cannot forge lines; nothing
/// secret is ever added (the callers log routes, statuses and sizes, never bodies or headers).
pub struct LogLine(String);

impl LogLine {
    pub fn new(level: &str, event: &str) -> LogLine {
        let mut line = String::with_capacity(256);
        line.push_str("{\"time\":\"");
        line.push_str(&output::rfc3339_millis(SystemTime::now()));
        line.push_str("\",\"level\":\"");
        line.push_str(level);
        line.push_str("\",\"event\":\"");
        line.push_str(event);
        line.push('"');
        LogLine(line)
    }

    pub fn text(mut self, name: &str, value: &str) -> LogLine {
        self.0.push_str(",\"");
        self.0.push_str(name);
        self.0.push_str("\":");
        self.0.push_str(&output::json_string(value));
        self
    }

    pub fn number(mut self, name: &str, value: impl Display) -> LogLine {
        self.0.push_str(",\"");
        self.0.push_str(name);
        self.0.push_str("\":");
        self.0.push_str(&value.to_string());
        self
    }

    pub fn write(mut self) {
        self.0.push_str("}\n");
        // Nobody is left to tell if stderr is gone.
        let _ = std::io::stderr().lock().write_all(self.0.as_bytes());
    }
}

/// The request target as received: the path and query of an origin-form target, or the whole
/// absolute-form URI (what clients send to a proxy). hyper has parsed it already; both forms
/// keep their text as sent.
pub fn target(request: &Request<Incoming>) -> String {
    let uri = request.uri();
    if uri.scheme().is_some() || uri.authority().is_some() {
        uri.to_string()
    } else {
        uri.path_and_query()
            .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned())
    }
}

/// A request's path for the log: without the query (which may carry anything), cut short.
pub fn loggable_path(target: &str) -> String {
    let path = layer_identity::endpoint::path_of(target.as_bytes());
    let path = String::from_utf8_lossy(path);
    path.chars().take(100).collect()
}

/// Shared by the handlers: the milliseconds since `start`, rounded to microseconds.
pub fn millis_since(start: std::time::Instant) -> String {
    format!("{:.3}", start.elapsed().as_secs_f64() * 1000.0)
}
