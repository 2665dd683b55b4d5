//! For the tests of `serve` and `emulate`: the binary started as a real process on a free
//! loopback port, and a small HTTP/1.1 client over `std::net` (keep-alive, exact bytes).

#![allow(dead_code)] // each test binary uses its own part of this module

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_layer-identity");
/// Generous: the machine may be busy (tests never depend on its speed).
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The variables a test sets itself; removed from the inherited environment.
const CONFIG: [&str; 10] = [
    "LAYER_PROVIDER_ID",
    "LAYER_KEY_ID",
    "LAYER_PRIVATE_KEY",
    "LAYER_PRIVATE_KEY_PATH",
    "LAYER_PRIVATE_KEY_PASSPHRASE",
    "LAYER_TOKEN_TYPE",
    "LAYER_PUBLIC_KEY_PATH",
    "LAYER_SERVICE_TOKEN",
    "HOST",
    "PORT",
];

/// A `layer-identity` process; killed when dropped if it is still running.
pub struct Process {
    child: Child,
    pub addr: SocketAddr,
    pub stdout: Arc<Mutex<String>>,
    pub stderr: Arc<Mutex<String>>,
}

fn collect(stream: impl std::io::Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            into.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
}

fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args);
    for var in CONFIG {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command
}

impl Process {
    /// Starts `layer-identity ARGS` with `env` (plus PORT=0 and HOST=127.0.0.1 unless given)
    /// and waits for `listening on http://127.0.0.1:PORT`.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Process {
        let mut command = command(args, env);
        if !env.iter().any(|(name, _)| *name == "PORT") {
            command.env("PORT", "0");
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        collect(child.stdout.take().unwrap(), Arc::clone(&stdout));
        collect(child.stderr.take().unwrap(), Arc::clone(&stderr));
        let deadline = Instant::now() + START_TIMEOUT;
        let addr = loop {
            if let Some(line) = stdout.lock().unwrap().lines().next() {
                let url = line
                    .strip_prefix("listening on http://")
                    .unwrap_or_else(|| panic!("first stdout line {line:?}"));
                break url.parse::<SocketAddr>().expect("HOST:PORT");
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "exited ({status}) before listening: {}",
                    stderr.lock().unwrap()
                );
            }
            assert!(Instant::now() < deadline, "no listening line");
            std::thread::sleep(Duration::from_millis(20));
        };
        Process {
            child,
            addr,
            stdout,
            stderr,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name}");
    }

    /// The exit status, waiting up to `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until stderr holds `text` (up to `START_TIMEOUT`).
    pub fn wait_for_stderr(&self, text: &str) {
        let deadline = Instant::now() + START_TIMEOUT;
        while !self.stderr().contains(text) {
            assert!(
                Instant::now() < deadline,
                "stderr never said {text:?}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn get(&self, path: &str) -> Response {
        request(self.addr, "GET", path, &[], b"")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `layer-identity ARGS` with `env` to its end (it is expected to refuse to start).
pub fn run_to_end(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = command(args, env);
    if !env.iter().any(|(name, _)| *name == "PORT") {
        command.env("PORT", "0");
    }
    command.stdin(Stdio::null()).output().unwrap()
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// One kept-alive connection.
pub struct Connection {
    reader: BufReader<TcpStream>,
}

impl Connection {
    pub fn open(addr: SocketAddr) -> Connection {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        Connection {
            reader: BufReader::new(stream),
        }
    }

    pub fn write(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).unwrap();
    }

    /// Writes one request: `Host` and, with a body, `Content-Length` are added.
    pub fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        self.write(&bytes);
    }

    /// Reads one response (framed by Content-Length, or to the end without it).
    pub fn read(&mut self) -> Response {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("status line {line:?}"));
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            let (name, value) = trimmed.split_once(':').unwrap();
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        let length = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse::<usize>().unwrap());
        let mut body = Vec::new();
        match length {
            Some(length) => {
                body.resize(length, 0);
                self.reader.read_exact(&mut body).unwrap();
            }
            None => {
                self.reader.read_to_end(&mut body).unwrap();
            }
        }
        Response {
            status,
            headers,
            body,
        }
    }

    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        self.send(method, path, headers, body);
        self.read()
    }

    /// Whether the server has closed the connection (reads the end within `timeout`).
    pub fn is_closed_within(&mut self, timeout: Duration) -> bool {
        self.reader
            .get_mut()
            .set_read_timeout(Some(timeout))
            .unwrap();
        let mut byte = [0u8; 1];
        matches!(self.reader.read(&mut byte), Ok(0))
    }
}

/// One request on a fresh connection.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    Connection::open(addr).request(method, path, headers, body)
}

/// `POST path` with a JSON body.
pub fn post_json(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    request(addr, "POST", path, &all, body.as_bytes())
}
