//! Shared by the integration tests: the shared vectors, and independent checks of minted
//! tokens with the `openssl` CLI and with PyJWT.

#![allow(dead_code)] // each test binary uses its own part of this module

pub mod malformed_keys;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

pub const PROVIDER_ID: &str = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f";
pub const KEY_ID: &str = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f";

/// A path in the repository. The tests of the library and of the CLI (`cli/`, which includes
/// this module too) both resolve it from the workspace root, where `Cargo.lock` is.
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .expect("the workspace root holds Cargo.lock")
        .join(relative)
}

/// A file of the shared vectors (`vectors/<relative>`).
pub fn vector_file(relative: &str) -> Vec<u8> {
    let path = repo_path("vectors").join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn vector_json(relative: &str) -> Value {
    serde_json::from_slice(&vector_file(relative)).unwrap()
}

/// A fresh directory under the system temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "layer-identity-{label}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Verifies the token's RS256 signature with `openssl dgst`, an implementation independent of
/// this library's code path.
pub fn openssl_verifies(token: &str, public_key_pem: &[u8]) -> bool {
    let dir = TempDir::new("openssl");
    let key = dir.join("public.pem");
    std::fs::write(&key, public_key_pem).unwrap();
    openssl_verifies_in(token, &key, dir.path())
}

/// Verifies every token with `openssl dgst` (one process each, on every core); panics naming
/// any it rejects.
pub fn openssl_verify_all(tokens: &[String], public_key_pem: &[u8]) {
    let dir = TempDir::new("openssl-all");
    let key = dir.join("public.pem");
    std::fs::write(&key, public_key_pem).unwrap();
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    let chunk = tokens.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        for (worker, tokens) in tokens.chunks(chunk).enumerate() {
            let work = dir.join(&worker.to_string());
            std::fs::create_dir(&work).unwrap();
            let key = &key;
            scope.spawn(move || {
                for token in tokens {
                    assert!(
                        openssl_verifies_in(token, key, &work),
                        "openssl rejected {token}"
                    );
                }
            });
        }
    });
}

fn openssl_verifies_in(token: &str, key: &Path, work: &Path) -> bool {
    let (signing_input, signature) = token.rsplit_once('.').expect("a JWS has dots");
    let input = work.join("input");
    let sig = work.join("signature");
    std::fs::write(&input, signing_input).unwrap();
    std::fs::write(&sig, URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap();
    let output = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(key)
        .arg("-signature")
        .arg(&sig)
        .arg(&input)
        .output()
        .expect("the openssl CLI runs");
    output.status.success() && String::from_utf8_lossy(&output.stdout).contains("Verified OK")
}

/// What PyJWT made of a token it accepted.
pub struct PyJwtDecoded {
    pub header: Value,
    pub claims: Value,
}

/// Verifies every token with PyJWT in one Python process; panics naming any it rejects.
pub fn pyjwt_verify_all(tokens: &[String], public_key_pem: &[u8]) -> Vec<PyJwtDecoded> {
    let pem = std::str::from_utf8(public_key_pem).unwrap();
    let mut child = Command::new("/usr/bin/python3")
        .arg(repo_path("tests/support/pyjwt_verify.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("/usr/bin/python3 with python3-jwt (scripts/install-deps.sh installs it)");
    let mut requests = Vec::new();
    for token in tokens {
        serde_json::to_writer(
            &mut requests,
            &serde_json::json!({"token": token, "public_key_pem": pem}),
        )
        .unwrap();
        requests.push(b'\n');
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&requests).unwrap());
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(output.status.success(), "pyjwt_verify.py failed");
    let lines: Vec<&str> = std::str::from_utf8(&output.stdout)
        .unwrap()
        .lines()
        .collect();
    assert_eq!(lines.len(), tokens.len(), "one answer per token");
    lines
        .iter()
        .zip(tokens)
        .map(|(line, token)| {
            let answer: Value = serde_json::from_str(line).unwrap();
            assert_eq!(
                answer["ok"], true,
                "PyJWT rejected {token}: {}",
                answer["error"]
            );
            PyJwtDecoded {
                header: answer["header"].clone(),
                claims: answer["claims"].clone(),
            }
        })
        .collect()
}

/// A variable's value in an environment vector (vectors/env.json): text, a file's contents, or a file's absolute path.
pub fn env_value(spec: &Value) -> String {
    match spec {
        Value::String(text) => text.clone(),
        Value::Object(object) => {
            if let Some(file) = object.get("file_contents").and_then(Value::as_str) {
                String::from_utf8(std::fs::read(repo_path("vectors").join(file)).unwrap()).unwrap()
            } else {
                let path = object["path"].as_str().unwrap();
                repo_path("vectors").join(path).display().to_string()
            }
        }
        other => panic!("unexpected variable value {other}"),
    }
}

/// The README's text from `## <title>` to the next `## ` heading.
pub fn readme_section(title: &str) -> String {
    let text = std::fs::read_to_string(repo_path("README.md")).unwrap();
    let start = text
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("no section {title:?}"));
    let rest = &text[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    rest[..end].to_owned()
}
