//! End-to-end tests of the `layer-identity` binary: each test runs the real executable with a
//! clean environment and checks its stdout, stderr and exit status (0 ok, 1 token rejected,
//! 2 usage/configuration/input error, 3 other failure).

use std::ffi::OsStr;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;
use support::{openssl_verifies, repo_path, vector_json, TempDir, KEY_ID, PROVIDER_ID};

mod support;

const BIN: &str = env!("CARGO_BIN_EXE_layer-identity");

const PASSPHRASE: &str = "correct horse battery staple";
const IAT: i64 = 1_700_000_000;
const NONCE: &str = "c2VjcmV0LW5vbmNlLWZyb20tbGF5ZXItc2RrLTAwMDE";

/// Every variable the tool reads; removed from each run so the developer's own configuration
/// cannot leak into a test.
const LAYER_VARS: [&str; 7] = [
    "LAYER_PROVIDER_ID",
    "LAYER_KEY_ID",
    "LAYER_PRIVATE_KEY",
    "LAYER_PRIVATE_KEY_PATH",
    "LAYER_PRIVATE_KEY_PASSPHRASE",
    "LAYER_TOKEN_TYPE",
    "LAYER_PUBLIC_KEY_PATH",
];

// ---------------------------------------------------------------------------------------------
// Harness

/// One invocation of the binary, built up and then run.
struct Cli {
    command: Command,
    stdin: Vec<u8>,
    stdout: Option<Stdio>,
}

/// What a run produced.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn cli<I, S>(args: I) -> Cli
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(BIN);
    command.args(args);
    for var in LAYER_VARS {
        command.env_remove(var);
    }
    Cli {
        command,
        stdin: Vec::new(),
        stdout: None,
    }
}

impl Cli {
    fn args<I, S>(mut self, args: I) -> Cli
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    fn env(mut self, name: &str, value: impl AsRef<OsStr>) -> Cli {
        self.command.env(name, value);
        self
    }

    /// Bytes on stdin; without this stdin is empty (not a terminal).
    fn stdin(mut self, bytes: impl AsRef<[u8]>) -> Cli {
        self.stdin = bytes.as_ref().to_vec();
        self
    }

    /// Where stdout goes; by default it is captured.
    fn stdout_to(mut self, stdout: Stdio) -> Cli {
        self.stdout = Some(stdout);
        self
    }

    fn run(mut self) -> Run {
        let mut child = self
            .command
            .stdin(Stdio::piped())
            .stdout(self.stdout.take().unwrap_or_else(Stdio::piped))
            .stderr(Stdio::piped())
            .spawn()
            .expect("the layer-identity binary runs");
        let mut stdin = child.stdin.take().unwrap();
        let input = std::mem::take(&mut self.stdin);
        // A writer thread, so that a child that exits without reading cannot block the test.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap();
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Runs and asserts the exit status, showing everything if it differs.
    fn expect(self, code: i32) -> Run {
        let run = self.run();
        assert_eq!(run.code, code, "unexpected exit status: {run:#?}");
        run
    }
}

fn key_file(name: &str) -> PathBuf {
    repo_path("vectors/keys").join(name)
}

fn key_text(name: &str) -> String {
    std::fs::read_to_string(key_file(name)).unwrap()
}

fn vector_cases(file: &str) -> Vec<Value> {
    vector_json(file)["cases"].as_array().unwrap().clone()
}

fn sign_vector(name: &str) -> Value {
    vector_cases("sign.json")
        .into_iter()
        .find(|case| case["name"] == name)
        .unwrap_or_else(|| panic!("vectors/sign.json has no case {name}"))
}

fn text<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not a string"))
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// `sign` with the test IDs, the shared 2048-bit key and a fixed issue time.
fn sign_args() -> Vec<String> {
    [
        "sign",
        "--user-id",
        "alice",
        "--nonce",
        NONCE,
        "--provider-id",
        PROVIDER_ID,
        "--key-id",
        KEY_ID,
        "--issued-at",
        &IAT.to_string(),
        "--key",
    ]
    .map(str::to_owned)
    .into_iter()
    .chain([key_file("rsa2048.pkcs8.pem").display().to_string()])
    .collect()
}

fn signed_token() -> String {
    let run = cli(sign_args()).expect(0);
    run.stdout.strip_suffix('\n').unwrap().to_owned()
}

/// `verify` with the test IDs and the shared 2048-bit public key, at a time the token is valid.
fn verify_args(token: &str) -> Vec<String> {
    [
        "verify",
        token,
        "--provider-id",
        PROVIDER_ID,
        "--key-id",
        KEY_ID,
        "--now",
        &(IAT + 100).to_string(),
        "--public-key",
    ]
    .map(str::to_owned)
    .into_iter()
    .chain([key_file("rsa2048.public.pem").display().to_string()])
    .collect()
}

fn decode_json(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// The token with its claims replaced (the signature no longer matches).
fn with_claims(token: &str, claims: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims),
        parts[2]
    )
}

/// Lines of a PEM body long enough that they could only come from the key.
fn key_body_lines(pem: &str) -> Vec<&str> {
    pem.lines().filter(|line| line.len() > 40).collect()
}

fn assert_no_key_material(run: &Run, pem: &str) {
    for line in key_body_lines(pem) {
        assert!(
            !run.stderr.contains(line) && !run.stdout.contains(line),
            "key material printed: {run:#?}"
        );
    }
    assert!(!run.stderr.contains("-----BEGIN"), "{run:#?}");
}

// ---------------------------------------------------------------------------------------------
// Help and usage

#[test]
fn help_on_every_command_lists_examples_and_exit_statuses() {
    for command in [&[][..], &["keygen"], &["sign"], &["verify"], &["inspect"]] {
        for help in ["--help", "-h"] {
            let run = cli(command.iter().copied().chain([help])).expect(0);
            let usage = format!("Usage: layer-identity {}", command.join(" "));
            assert!(run.stdout.contains(usage.trim_end()), "{run:#?}");
            assert!(run.stdout.contains("Examples:"), "{run:#?}");
            assert!(run.stdout.contains("Exit status:"), "{run:#?}");
            for line in [
                "  1  verify: the token was rejected",
                "  2  usage",
                "  3  any other",
            ] {
                assert!(run.stdout.contains(line), "{line:?} missing: {run:#?}");
            }
        }
    }
    let run = cli(["help", "sign"]).expect(0);
    assert!(run.stdout.contains("--passphrase-env"));
    assert!(run.stdout.contains("LAYER_PRIVATE_KEY"));
    assert!(cli(["--version"])
        .expect(0)
        .stdout
        .starts_with("layer-identity "));
}

#[test]
fn usage_errors_exit_with_status_2() {
    cli(Vec::<&str>::new()).expect(2);
    let run = cli(["sign", "--nonce", "n"]).expect(2);
    assert!(run.stderr.contains("--user-id"), "{run:#?}");
    let run = cli(["verify", "--bogus"]).expect(2);
    assert!(run.stderr.contains("--bogus"), "{run:#?}");
    // There is deliberately no flag for a passphrase's value.
    let run = cli(sign_args()).args(["--passphrase", "secret"]).expect(2);
    assert!(run.stderr.contains("--passphrase-env"), "{run:#?}");
    assert!(!run.stderr.contains("secret"), "{run:#?}");
    // Times in milliseconds are refused by the library, as a usage error.
    let run = cli(sign_args())
        .args(["--issued-at", "1700000000000"])
        .expect(2);
    assert!(run.stderr.contains("milliseconds"), "{run:#?}");
}

// ---------------------------------------------------------------------------------------------
// keygen

#[test]
fn keygen_prints_both_pems_and_the_upload_reminder() {
    let run = cli(["keygen"]).expect(0);
    let private_end = run.stdout.find("-----END PRIVATE KEY-----\n").unwrap() + 26;
    let (private_pem, public_pem) = run.stdout.split_at(private_end);
    assert!(private_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert!(public_pem.ends_with("-----END PUBLIC KEY-----\n"));
    let private = layer_identity::load_private_key(private_pem.as_bytes(), None).unwrap();
    let public = layer_identity::load_public_key(public_pem.as_bytes()).unwrap();
    assert_eq!(private.bits(), 2048);
    assert!(private.public_eq(&public), "the two PEMs are one key pair");
    assert!(run.stderr.contains("Upload the public key"), "{run:#?}");
    assert!(run.stderr.contains("LAYER_KEY_ID"), "{run:#?}");
}

#[cfg(unix)]
#[test]
fn keygen_files_private_key_mode_0600_never_overwritten_without_force() {
    let dir = TempDir::new("keygen");
    let private = dir.join("layer-private.pem");
    let public = dir.join("layer-public.pem");
    let outputs = [
        OsStr::new("keygen"),
        OsStr::new("--private-out"),
        private.as_os_str(),
        OsStr::new("--public-out"),
        public.as_os_str(),
    ];

    let run = cli(outputs).expect(0);
    assert_eq!(run.stdout, "", "PEMs go to the files only");
    assert!(run.stderr.contains("Upload the public key"), "{run:#?}");
    assert!(run.stderr.contains(&public.display().to_string()));
    assert_eq!(mode(&private), 0o600);
    let first_private = std::fs::read_to_string(&private).unwrap();
    let first_public = std::fs::read_to_string(&public).unwrap();
    let key = layer_identity::load_private_key(first_private.as_bytes(), None).unwrap();
    assert!(key.public_eq(&layer_identity::load_public_key(first_public.as_bytes()).unwrap()));

    let run = cli(outputs).expect(2);
    assert!(run.stderr.contains("already exists"), "{run:#?}");
    assert!(run.stderr.contains("--force"), "{run:#?}");
    assert_eq!(std::fs::read_to_string(&private).unwrap(), first_private);
    assert_eq!(std::fs::read_to_string(&public).unwrap(), first_public);

    // Only the private key file exists: still refused, and the public key is not written.
    std::fs::remove_file(&public).unwrap();
    cli(outputs).expect(2);
    assert!(!public.exists());

    // --force replaces a world-readable file and the result is still 0600.
    std::fs::write(&public, "old").unwrap();
    std::fs::set_permissions(
        &private,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    cli(outputs).args(["--force"]).expect(0);
    assert_eq!(mode(&private), 0o600);
    assert_ne!(std::fs::read_to_string(&private).unwrap(), first_private);
    assert!(std::fs::read_to_string(&public)
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 2, "no temporary files left: {leftovers:?}");
}

#[test]
fn keygen_rejects_1024_bits() {
    let dir = TempDir::new("keygen-1024");
    let private = dir.join("private.pem");
    let run = cli(["keygen", "--bits", "1024", "--private-out"])
        .args([&private])
        .expect(2);
    assert!(run.stderr.contains("1024 bits"), "{run:#?}");
    assert!(run.stderr.contains("2048"), "{run:#?}");
    assert_eq!(run.stdout, "");
    assert!(!private.exists());
}

// ---------------------------------------------------------------------------------------------
// sign

#[test]
fn sign_with_flags_matches_the_shared_vector_byte_for_byte() {
    let case = sign_vector("keyform-2048-pkcs8");
    let run = cli(["sign", "--user-id", text(&case, "user_id")])
        .args(["--nonce", text(&case, "nonce")])
        .args(["--provider-id", text(&case, "provider_id")])
        .args(["--key-id", text(&case, "key_id")])
        .args(["--issued-at", &case["issued_at"].to_string()])
        .args(["--ttl", &case["ttl_seconds"].to_string()])
        .args(["--key"])
        .args([key_file("rsa2048.pkcs8.pem")])
        .expect(0);
    assert_eq!(run.stdout, format!("{}\n", text(&case, "expected_token")));
    assert_eq!(run.stderr, "");
}

#[test]
fn sign_with_typ_jwt_attributes_and_encrypted_key_matches_the_shared_vector() {
    let case = sign_vector("typ-jwt-encrypted-key-with-attributes");
    assert_eq!(case["passphrase"], PASSPHRASE);
    let attributes: Value = serde_json::from_str(text(&case, "attributes_json")).unwrap();
    let run = cli(["sign", "--jwt", "--user-id", text(&case, "user_id")])
        .args(["--nonce", text(&case, "nonce")])
        .args(["--provider-id", text(&case, "provider_id")])
        .args(["--key-id", text(&case, "key_id")])
        .args(["--issued-at", &case["issued_at"].to_string()])
        .args(["--first-name", attributes["first_name"].as_str().unwrap()])
        .args([
            "--display-name",
            attributes["display_name"].as_str().unwrap(),
        ])
        .args(["--passphrase-env", "KEY_PASSPHRASE"])
        .env("KEY_PASSPHRASE", PASSPHRASE)
        .args(["--key"])
        .args([key_file("rsa2048.pkcs8.encrypted.pem")])
        .expect(0);
    assert_eq!(run.stdout, format!("{}\n", text(&case, "expected_token")));
}

/// Every signing vector whose inputs the CLI can express, through the CLI: arguments with
/// non-ASCII and control characters, every key form, attributes and flags.
#[test]
fn sign_matches_every_shared_signing_vector() {
    let mut checked = 0;
    let passphrases = TempDir::new("cli-passphrases");
    for case in vector_cases("sign.json") {
        let mut command = cli(["sign", "--user-id", text(&case, "user_id")])
            .args(["--nonce", text(&case, "nonce")])
            .args(["--provider-id", text(&case, "provider_id")])
            .args(["--key-id", text(&case, "key_id")])
            .args(["--issued-at", &case["issued_at"].to_string()])
            .args(["--key"])
            .args([Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("vectors")
                .join(text(&case, "private_key_file"))]);
        // TTL 0 means "the default" to the library; the CLI spells the default 600.
        if case["ttl_seconds"] != 0 {
            command = command.args(["--ttl", &case["ttl_seconds"].to_string()]);
        }
        for flag in case["flags"].as_array().unwrap() {
            command = command.args([match flag.as_str().unwrap() {
                "TYP_JWT" => "--jwt",
                "ALLOW_1024_BIT_KEY" => "--allow-1024-bit-key",
                other => panic!("unknown flag {other}"),
            }]);
        }
        match &case["passphrase"] {
            Value::String(passphrase) => {
                command = command
                    .args(["--passphrase-env", "KEY_PASSPHRASE"])
                    .env("KEY_PASSPHRASE", passphrase);
            }
            // Bytes that are not UTF-8 go through a file, as they are.
            Value::Object(bytes) => {
                let hex = bytes["hex"].as_str().unwrap().replace(' ', "");
                let raw: Vec<u8> = (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                    .collect();
                let file = passphrases.join(&format!("{checked}.txt"));
                std::fs::write(&file, raw).unwrap();
                command = command.args(["--passphrase-file".as_ref(), file.as_os_str()]);
            }
            _ => {}
        }
        if let Some(token_type) = case["token_type"].as_str() {
            command = command.env("LAYER_TOKEN_TYPE", token_type);
        }
        if let Some(json) = case["attributes_json"].as_str() {
            let attributes: serde_json::Map<String, Value> = serde_json::from_str(json).unwrap();
            for (name, value) in attributes {
                match value {
                    Value::Object(metadata) => {
                        for (key, value) in metadata {
                            let entry = format!("{key}={}", value.as_str().unwrap());
                            command = command.args(["--metadata".to_owned(), entry]);
                        }
                    }
                    Value::Null => {}
                    value => {
                        command = command.args([
                            format!("--{}", name.replace('_', "-")),
                            value.as_str().unwrap().to_owned(),
                        ])
                    }
                }
            }
        }
        let run = command.run();
        assert_eq!(run.code, 0, "{}: {run:#?}", case["name"]);
        assert_eq!(
            run.stdout,
            format!("{}\n", text(&case, "expected_token")),
            "{}",
            case["name"]
        );
        checked += 1;
    }
    assert!(checked >= 50, "only {checked} signing vectors");
}

#[test]
fn sign_from_environment_only_with_escaped_newlines() {
    let escaped = key_text("rsa2048.pkcs8.pem")
        .trim_end()
        .replace('\n', "\\n");
    assert!(!escaped.contains('\n'));
    let run = cli(["sign", "--user-id", "alice", "--nonce", NONCE])
        .args(["--issued-at", &IAT.to_string()])
        .env("LAYER_PROVIDER_ID", PROVIDER_ID)
        .env("LAYER_KEY_ID", KEY_ID)
        .env("LAYER_PRIVATE_KEY", &escaped)
        .expect(0);
    assert_eq!(run.stdout.trim_end(), signed_token());
}

#[test]
fn sign_from_environment_with_key_path() {
    let run = cli(["sign", "--user-id", "alice", "--nonce", NONCE])
        .args(["--issued-at", &IAT.to_string()])
        .env("LAYER_PROVIDER_ID", PROVIDER_ID)
        .env("LAYER_KEY_ID", KEY_ID)
        .env("LAYER_PRIVATE_KEY_PATH", key_file("rsa2048.pkcs8.pem"))
        .expect(0);
    assert_eq!(run.stdout.trim_end(), signed_token());
}

#[test]
fn sign_flags_override_environment() {
    let run = cli(sign_args())
        .env("LAYER_PROVIDER_ID", "not-a-provider")
        .env("LAYER_PRIVATE_KEY_PATH", "/nonexistent/key.pem")
        .expect(0);
    assert_eq!(run.stdout.trim_end(), signed_token());
}

#[test]
fn sign_with_key_named_by_key_env() {
    let run = cli(["sign", "--user-id", "alice", "--nonce", NONCE])
        .args(["--provider-id", PROVIDER_ID, "--key-id", KEY_ID])
        .args(["--issued-at", &IAT.to_string(), "--key-env", "MY_LAYER_KEY"])
        .env("MY_LAYER_KEY", key_text("rsa2048.pkcs1.pem"))
        .expect(0);
    assert_eq!(run.stdout.trim_end(), signed_token());
}

#[test]
fn sign_reads_the_key_from_stdin() {
    let run = cli(["sign", "--user-id", "alice", "--nonce", NONCE])
        .args(["--provider-id", PROVIDER_ID, "--key-id", KEY_ID])
        .args(["--issued-at", &IAT.to_string(), "--key", "-"])
        .stdin(key_text("rsa2048.pkcs8.pem"))
        .expect(0);
    assert_eq!(run.stdout.trim_end(), signed_token());
}

#[test]
fn sign_with_encrypted_key_and_passphrase_from_env_or_file() {
    let base = || {
        cli(["sign", "--user-id", "alice", "--nonce", NONCE])
            .args(["--provider-id", PROVIDER_ID, "--key-id", KEY_ID])
            .args(["--issued-at", &IAT.to_string(), "--key"])
            .args([key_file("rsa2048.pkcs8.encrypted.pem")])
    };
    let expected = signed_token();

    let run = base()
        .args(["--passphrase-env", "LAYER_KEY_PASSPHRASE"])
        .env("LAYER_KEY_PASSPHRASE", PASSPHRASE)
        .expect(0);
    assert_eq!(run.stdout.trim_end(), expected);

    // A passphrase file as `echo` writes it: the trailing newline is not part of the passphrase.
    let dir = TempDir::new("passphrase");
    let file = dir.join("passphrase.txt");
    std::fs::write(&file, format!("{PASSPHRASE}\n")).unwrap();
    let run = base().args(["--passphrase-file"]).args([&file]).expect(0);
    assert_eq!(run.stdout.trim_end(), expected);

    let run = base().expect(2);
    assert!(run.stderr.contains("encrypted"), "{run:#?}");
    assert!(run.stderr.contains("--passphrase-env"), "{run:#?}");
    assert!(run.stderr.contains("--passphrase-file"), "{run:#?}");

    let run = base()
        .args(["--passphrase-env", "LAYER_KEY_PASSPHRASE"])
        .env("LAYER_KEY_PASSPHRASE", "incorrect donkey")
        .expect(2);
    assert!(run.stderr.contains("wrong passphrase"), "{run:#?}");
    assert!(!run.stderr.contains("incorrect donkey"), "{run:#?}");
    assert_eq!(run.stdout, "");
}

#[test]
fn sign_missing_configuration_names_the_flag_and_the_variable() {
    let base = || cli(["sign", "--user-id", "alice", "--nonce", NONCE]);
    let run = base()
        .env("LAYER_KEY_ID", KEY_ID)
        .env("LAYER_PRIVATE_KEY_PATH", key_file("rsa2048.pkcs8.pem"))
        .expect(2);
    assert!(run.stderr.contains("--provider-id"), "{run:#?}");
    assert!(run.stderr.contains("LAYER_PROVIDER_ID"), "{run:#?}");

    let run = base()
        .env("LAYER_PROVIDER_ID", PROVIDER_ID)
        .env("LAYER_PRIVATE_KEY_PATH", key_file("rsa2048.pkcs8.pem"))
        .expect(2);
    assert!(run.stderr.contains("--key-id"), "{run:#?}");
    assert!(run.stderr.contains("LAYER_KEY_ID"), "{run:#?}");

    let run = base()
        .env("LAYER_PROVIDER_ID", PROVIDER_ID)
        .env("LAYER_KEY_ID", KEY_ID)
        .expect(2);
    for name in [
        "--key",
        "--key-env",
        "LAYER_PRIVATE_KEY",
        "LAYER_PRIVATE_KEY_PATH",
    ] {
        assert!(run.stderr.contains(name), "{name} missing: {run:#?}");
    }

    let run = base()
        .env("LAYER_PROVIDER_ID", PROVIDER_ID)
        .env("LAYER_KEY_ID", KEY_ID)
        .args(["--key-env", "UNSET_LAYER_TEST_VARIABLE"])
        .expect(2);
    assert!(run.stderr.contains("--key-env"), "{run:#?}");
    assert!(run.stderr.contains("not set"), "{run:#?}");
}

#[test]
fn sign_refuses_ambiguous_or_invalid_configuration() {
    let run = cli(["sign", "--user-id", "alice", "--nonce", NONCE])
        .env("LAYER_PROVIDER_ID", PROVIDER_ID)
        .env("LAYER_KEY_ID", KEY_ID)
        .env("LAYER_PRIVATE_KEY", key_text("rsa2048.pkcs8.pem"))
        .env(
            "LAYER_PRIVATE_KEY_PATH",
            key_file("rsa2048-other.pkcs8.pem"),
        )
        .expect(2);
    assert!(run
        .stderr
        .contains("LAYER_PRIVATE_KEY and LAYER_PRIVATE_KEY_PATH"));

    // A key ID where the provider ID belongs, and a placeholder: the library says which.
    let run = cli(sign_args()).args(["--provider-id", KEY_ID]).expect(2);
    assert!(run.stderr.contains("is a key ID"), "{run:#?}");
    let run = cli(sign_args())
        .args(["--key-id", "layer:///keys/<uuid>"])
        .expect(2);
    assert!(run.stderr.contains("placeholder"), "{run:#?}");

    let run = cli(sign_args())
        .args(["--key"])
        .args([key_file("rsa2048.public.pem")])
        .expect(2);
    assert!(run.stderr.contains("public key"), "{run:#?}");
    let run = cli(sign_args())
        .args(["--key"])
        .args([key_file("ec-p256.pkcs8.pem")])
        .expect(2);
    assert!(run.stderr.contains("EC key"), "{run:#?}");
    let run = cli(sign_args())
        .args(["--key", "/nonexistent/key.pem"])
        .expect(2);
    assert!(run.stderr.contains("/nonexistent/key.pem"), "{run:#?}");

    // The key's path where its text belongs: the hint names the variable for paths.
    let run = cli(["sign", "--user-id", "alice", "--nonce", NONCE])
        .args(["--provider-id", PROVIDER_ID, "--key-id", KEY_ID])
        .env("LAYER_PRIVATE_KEY", key_file("rsa2048.pkcs8.pem"))
        .expect(2);
    assert!(
        run.stderr.starts_with("error: LAYER_PRIVATE_KEY: "),
        "{run:#?}"
    );
    assert!(run.stderr.contains("hint: "), "{run:#?}");
    assert!(run.stderr.contains("LAYER_PRIVATE_KEY_PATH"), "{run:#?}");

    let run = cli(sign_args()).args(["--user-id", ""]).expect(2);
    assert!(run.stderr.contains("user ID is empty"), "{run:#?}");
}

#[test]
fn sign_accepts_a_nonce_starting_with_a_dash() {
    let run = cli(sign_args()).args(["--nonce", "-9eA_x"]).expect(0);
    let claims = decode_json(run.stdout.trim_end().split('.').nth(1).unwrap());
    assert_eq!(claims["nce"], "-9eA_x");
}

#[test]
fn sign_rejects_a_1024_bit_key_unless_allowed() {
    let args = || {
        cli(["sign", "--user-id", "alice", "--nonce", NONCE])
            .args(["--provider-id", PROVIDER_ID, "--key-id", KEY_ID])
            .args(["--key"])
            .args([key_file("rsa1024.pkcs8.pem")])
    };
    let run = args().expect(2);
    assert!(run.stderr.contains("1024 bits"), "{run:#?}");
    assert!(run.stderr.contains("--allow-1024-bit-key"), "{run:#?}");

    let run = args().args(["--allow-1024-bit-key"]).expect(0);
    let token = run.stdout.trim_end();
    let verify = || {
        cli([
            "verify",
            token,
            "--provider-id",
            PROVIDER_ID,
            "--key-id",
            KEY_ID,
        ])
        .args(["--public-key"])
        .args([key_file("rsa1024.public.pem")])
    };
    let run = verify().expect(2);
    assert!(run.stderr.contains("--allow-1024-bit-key"), "{run:#?}");
    verify().args(["--allow-1024-bit-key"]).expect(0);
}

/// A key or passphrase given where a path or a variable's name belongs must not be printed back.
#[test]
fn sign_never_prints_a_misplaced_key_or_passphrase() {
    let pem = key_text("rsa2048.pkcs8.pem");
    let base = || {
        cli(["sign", "--user-id", "alice", "--nonce", NONCE]).args([
            "--provider-id",
            PROVIDER_ID,
            "--key-id",
            KEY_ID,
        ])
    };
    let runs = [
        base().args(["--key", &pem]).expect(2),
        base().args(["--key-env", &pem]).expect(2),
        base().args([&pem]).expect(2),
        base().env("LAYER_PRIVATE_KEY_PATH", &pem).expect(2),
    ];
    for run in &runs {
        assert_no_key_material(run, &pem);
    }
    assert!(runs[3].stderr.contains("LAYER_PRIVATE_KEY_PATH"));

    let encrypted = || {
        base()
            .args(["--key"])
            .args([key_file("rsa2048.pkcs8.encrypted.pem")])
    };
    for run in [
        encrypted().args(["--passphrase-env", PASSPHRASE]).expect(2),
        encrypted().args(["--passphrase-env", "hunter2"]).expect(2),
        encrypted()
            .args(["--passphrase-file", PASSPHRASE])
            .expect(2),
    ] {
        assert!(!run.stderr.contains(PASSPHRASE), "{run:#?}");
        assert!(!run.stderr.contains("hunter2"), "{run:#?}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn sign_output_that_cannot_be_written_exits_with_status_3() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let run = cli(sign_args()).stdout_to(full.into()).expect(3);
    assert!(run.stderr.contains("cannot write"), "{run:#?}");
}

#[test]
fn minted_token_verifies_with_the_openssl_cli() {
    let token = signed_token();
    assert!(openssl_verifies(
        &token,
        key_text("rsa2048.public.pem").as_bytes()
    ));
    // And openssl is really checking: another key does not verify it.
    assert!(!openssl_verifies(
        &token,
        key_text("rsa2048-other.public.pem").as_bytes()
    ));
}

// ---------------------------------------------------------------------------------------------
// verify

#[test]
fn sign_then_verify_round_trip() {
    let sign = cli(["sign", "--user-id", "user 42", "--nonce", NONCE])
        .args([
            "--display-name",
            "Zoë Ω",
            "--avatar-url",
            "https://example.com/a.png",
        ])
        .env("LAYER_PROVIDER_ID", PROVIDER_ID)
        .env("LAYER_KEY_ID", KEY_ID)
        .env("LAYER_PRIVATE_KEY_PATH", key_file("rsa2048.pkcs8.pem"))
        .expect(0);
    let run = cli(["verify", "--nonce", NONCE])
        .env("LAYER_PROVIDER_ID", PROVIDER_ID)
        .env("LAYER_KEY_ID", KEY_ID)
        .env("LAYER_PUBLIC_KEY_PATH", key_file("rsa2048.public.pem"))
        .stdin(&sign.stdout)
        .expect(0);
    let claims_text = run.stdout.strip_prefix("valid\n").expect("valid first");
    let claims: Value = serde_json::from_str(claims_text).unwrap();
    assert_eq!(claims["iss"], PROVIDER_ID);
    assert_eq!(claims["prn"], "user 42");
    assert_eq!(claims["nce"], NONCE);
    assert_eq!(claims["display_name"], "Zoë Ω");
    assert_eq!(claims["avatar_url"], "https://example.com/a.png");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    assert!(claims.get("first_name").is_none());
    // Pretty-printed in the token's member order.
    let order: Vec<usize> = [
        "\"iss\"",
        "\"prn\"",
        "\"iat\"",
        "\"exp\"",
        "\"nce\"",
        "\"display_name\"",
    ]
    .iter()
    .map(|name| claims_text.find(name).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{claims_text}");
    assert!(claims_text.starts_with("{\n  \"iss\": "), "{claims_text}");
    assert_eq!(run.stderr, "");
}

#[test]
fn verify_derives_the_public_key_from_the_private_key_in_the_environment() {
    let token = signed_token();
    let run = cli(["verify", &token, "--now", &(IAT + 1).to_string()])
        .env("LAYER_PROVIDER_ID", PROVIDER_ID)
        .env("LAYER_KEY_ID", KEY_ID)
        .env("LAYER_PRIVATE_KEY", key_text("rsa2048.pkcs8.pem"))
        .expect(0);
    assert!(run.stdout.starts_with("valid\n"));
    assert!(
        run.stderr.contains("--nonce"),
        "says nce was not checked: {run:#?}"
    );

    cli(["verify", &token, "--now", &(IAT + 1).to_string()])
        .env("LAYER_PROVIDER_ID", PROVIDER_ID)
        .env("LAYER_KEY_ID", KEY_ID)
        .env("LAYER_PRIVATE_KEY_PATH", key_file("rsa2048.pkcs1.pem"))
        .expect(0);

    let run = cli(["verify", &token])
        .env("LAYER_PROVIDER_ID", PROVIDER_ID)
        .env("LAYER_KEY_ID", KEY_ID)
        .expect(2);
    for name in ["--public-key", "LAYER_PUBLIC_KEY_PATH", "LAYER_PRIVATE_KEY"] {
        assert!(run.stderr.contains(name), "{name} missing: {run:#?}");
    }
    let run = cli(verify_args(&token))
        .args(["--public-key"])
        .args([key_file("rsa2048.pkcs8.encrypted.pem")])
        .expect(2);
    assert!(run.stderr.contains("public key"), "{run:#?}");
}

#[test]
fn verify_rejects_an_expired_token_with_eit_expired() {
    let token = signed_token();
    let run = cli(verify_args(&token))
        .args(["--nonce", NONCE, "--now", &(IAT + 600).to_string()])
        .args(["--leeway", "0"])
        .expect(1);
    assert_eq!(run.stdout, "");
    let mut lines = run.stderr.lines();
    assert!(
        lines.next().unwrap().starts_with("invalid: eit_expired: "),
        "{run:#?}"
    );
    assert_eq!(
        lines.next().unwrap(),
        format!("hint: {}", layer_identity::Eit::Expired.hint())
    );
    // The leeway admits the same token; by default it is 60 s.
    cli(verify_args(&token))
        .args(["--now", &(IAT + 600).to_string(), "--leeway", "1"])
        .expect(0);
    cli(verify_args(&token))
        .args(["--now", &(IAT + 659).to_string()])
        .expect(0);
    cli(verify_args(&token))
        .args(["--now", &(IAT + 660).to_string()])
        .expect(1);
}

#[test]
fn verify_rejects_tampered_tokens() {
    let token = signed_token();
    let mut claims = decode_json(token.split('.').nth(1).unwrap());
    claims["prn"] = "mallory".into();
    let forged = with_claims(&token, &claims.to_string());
    let run = cli(verify_args(&forged)).expect(1);
    assert!(
        run.stderr
            .starts_with("invalid: eit_signature_verification_failed: "),
        "{run:#?}"
    );
    assert!(run.stderr.contains("hint: "), "{run:#?}");

    // Signed by another key.
    let run = cli(verify_args(&token))
        .args(["--public-key"])
        .args([key_file("rsa2048-other.public.pem")])
        .expect(1);
    assert!(run
        .stderr
        .starts_with("invalid: eit_signature_verification_failed: "));

    let run = cli(verify_args(token.rsplit_once('.').unwrap().0)).expect(1);
    assert!(
        run.stderr
            .starts_with("invalid: eit_wrong_jws_part_count: "),
        "{run:#?}"
    );

    // Arguments are not trimmed: a token with a newline is a bug to report, not to hide.
    let run = cli(verify_args(&format!("{token}\n"))).expect(1);
    assert!(
        run.stderr.starts_with("invalid: eit_malformed_base64url: "),
        "{run:#?}"
    );
}

#[test]
fn verify_rejects_a_wrong_nonce_provider_or_key_id() {
    let token = signed_token();
    let run = cli(verify_args(&token))
        .args(["--nonce", "another-nonce"])
        .expect(1);
    assert!(
        run.stderr.starts_with("invalid: eit_nonce_not_found: "),
        "{run:#?}"
    );
    assert!(run
        .stderr
        .contains(layer_identity::Eit::NonceNotFound.hint()));

    let other_provider = "layer:///providers/00000000-56b1-11e5-a0e4-5a0b0c0d0e0f";
    let run = cli(verify_args(&token))
        .args(["--provider-id", other_provider])
        .expect(1);
    assert!(
        run.stderr.starts_with("invalid: eit_provider_not_found: "),
        "{run:#?}"
    );

    let other_key = "layer:///keys/00000000-56b1-11e5-a0e4-5a0b0c0d0e0f";
    let run = cli(verify_args(&token))
        .args(["--key-id", other_key])
        .expect(1);
    assert!(
        run.stderr.starts_with("invalid: eit_key_not_found: "),
        "{run:#?}"
    );
}

#[test]
fn verify_json_reports_valid_tokens_field_by_field() {
    let token = signed_token();
    let run = cli(verify_args(&token))
        .args(["--json", "--nonce", NONCE])
        .expect(0);
    assert_eq!(run.stderr, "");
    assert_eq!(run.stdout.lines().count(), 1);
    let output: Value = serde_json::from_str(&run.stdout).unwrap();
    let object = output.as_object().unwrap();
    assert_eq!(object.len(), 2, "{output}");
    assert_eq!(output["valid"], true);
    let claims = output["claims"].as_object().unwrap();
    assert_eq!(claims.len(), 5);
    assert_eq!(claims["iss"], PROVIDER_ID);
    assert_eq!(claims["prn"], "alice");
    assert_eq!(claims["iat"], IAT);
    assert_eq!(claims["exp"], IAT + 600);
    assert_eq!(claims["nce"], NONCE);
}

#[test]
fn verify_json_reports_rejections_field_by_field() {
    let token = signed_token();
    let run = cli(verify_args(&token))
        .args(["--json", "--now", &(IAT + 661).to_string()])
        .expect(1);
    assert_eq!(run.stderr, "");
    let output: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(output.as_object().unwrap().len(), 5, "{output}");
    assert_eq!(output["valid"], false);
    assert_eq!(output["eit"], "eit_expired");
    assert_eq!(output["status"], "LAYER_ERR_EXPIRED");
    let message = output["message"].as_str().unwrap();
    assert!(message.starts_with("eit_expired: "), "{message}");
    assert!(message.contains(&(IAT + 600).to_string()), "{message}");
    assert_eq!(output["hint"], layer_identity::Eit::Expired.hint());

    let run = cli(verify_args(&token))
        .args(["--json", "--nonce", "other"])
        .expect(1);
    let output: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(output["eit"], "eit_nonce_not_found");
    assert_eq!(output["status"], "LAYER_ERR_CLAIM_MISMATCH");

    // Configuration errors are not verdicts: stderr only, status 2, nothing on stdout.
    let run = cli(verify_args(&token))
        .args(["--json", "--key-id", "placeholder"])
        .expect(2);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.starts_with("error: "), "{run:#?}");
}

/// Every verifier vector through `verify --json`: exit status, eit, status name and the claims.
#[test]
fn verify_json_matches_every_shared_verifier_vector() {
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let mut checked = 0;
    for case in vector_cases("verify.json") {
        let name = &case["name"];
        let mut command = cli(["verify", "--json", text(&case, "token")])
            .args(["--provider-id", text(&case, "provider_id")])
            .args(["--key-id", text(&case, "key_id")])
            .args(["--leeway", &case["leeway_seconds"].to_string()])
            .args(["--public-key"])
            .args([vectors.join(text(&case, "key_file"))]);
        // A time of 0 or less means the system clock to the library; the CLI omits --now.
        if case["now"].as_i64().unwrap() > 0 {
            command = command.args(["--now", &case["now"].to_string()]);
        }
        if let Some(nonce) = case["expected_nonce"].as_str() {
            command = command.args(["--nonce", nonce]);
        }
        if case["flags"]
            .as_array()
            .unwrap()
            .contains(&"ALLOW_1024_BIT_KEY".into())
        {
            command = command.args(["--allow-1024-bit-key"]);
        }
        let run = command.run();
        if case["expected_status"] == "LAYER_OK" {
            assert_eq!(run.code, 0, "{name}: {run:#?}");
            assert_eq!(
                run.stdout,
                format!(
                    "{{\"valid\":true,\"claims\":{}}}\n",
                    text(&case, "expected_claims_json")
                ),
                "{name}"
            );
        } else {
            assert_eq!(run.code, 1, "{name}: {run:#?}");
            let output: Value = serde_json::from_str(&run.stdout).unwrap();
            assert_eq!(output["valid"], false, "{name}");
            assert_eq!(output["eit"], case["expected_eit"], "{name}");
            assert_eq!(output["status"], case["expected_status"], "{name}");
        }
        checked += 1;
    }
    assert!(checked >= 150, "only {checked} verifier vectors");
}

// ---------------------------------------------------------------------------------------------
// inspect

#[test]
fn inspect_shows_header_claims_and_dates_and_says_nothing_is_verified() {
    let token = signed_token();
    let run = cli(["inspect", &token, "--now", &(IAT + 300).to_string()]).expect(0);
    let banner = "NOT VERIFIED — anyone can create a token with these contents";
    // Once, in the report: neither stream here is a terminal, so stderr stays quiet.
    assert!(run.stdout.starts_with(banner), "{run:#?}");
    assert_eq!(run.stdout.matches(banner).count(), 1, "{run:#?}");
    assert_eq!(run.stderr, "", "{run:#?}");
    assert!(run.stdout.contains(
        "Header:\n{\n  \"typ\": \"JWS\",\n  \"alg\": \"RS256\",\n  \"cty\": \"layer-eit;v=1\",\n  \
         \"kid\": \"layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f\"\n}\n"
    ));
    assert!(run.stdout.contains("Claims:\n{\n  \"iss\": \""), "{run:#?}");
    assert!(run.stdout.contains("  \"prn\": \"alice\",\n"), "{run:#?}");
    assert!(run.stdout.contains("Signature: 256 bytes, not checked"));
    assert!(run
        .stdout
        .contains("Issued at (iat): 2023-11-14 22:13:20 UTC (1700000000)\n"));
    assert!(run
        .stdout
        .contains("Expires (exp):   2023-11-14 22:23:20 UTC (1700000600), not expired, 5m left\n"));
    assert!(run
        .stdout
        .contains("Now:             2023-11-14 22:18:20 UTC (1700000300)"));

    let run = cli(["inspect", "-", "--now", &(IAT + 600 + 90_061).to_string()])
        .stdin(format!("{token}\n"))
        .expect(0);
    assert!(
        run.stdout.contains("(1700000600), EXPIRED 1d 1h ago\n"),
        "{run:#?}"
    );

    // Without --now, against the system clock: a 2023 token has expired.
    let run = cli(["inspect", &token]).expect(0);
    assert!(run.stdout.contains(", EXPIRED "), "{run:#?}");
}

#[test]
fn inspect_shows_what_a_forged_token_says_and_escapes_terminal_controls() {
    // Members out of order, a duplicate, an escape sequence and a bidi override: shown as they
    // are, but never as raw control characters.
    let claims =
        "{\"prn\":\"\u{9b}31mred\u{202e}\",\"prn\":\"x\",\"exp\":1700000000000,\"iat\":\"soon\"}";
    let token = with_claims(&signed_token(), claims);
    let run = cli(["inspect", &token]).expect(0);
    assert!(
        run.stdout
            .contains("\"prn\": \"\\u009b31mred\\u202e\",\n  \"prn\": \"x\""),
        "{run:#?}"
    );
    assert!(!run.stdout.contains('\u{9b}') && !run.stdout.contains('\u{202e}'));
    assert!(
        run.stdout.contains("Issued at (iat): not an integer"),
        "{run:#?}"
    );
    assert!(run.stdout.contains("looks like milliseconds"), "{run:#?}");

    let token = with_claims(&signed_token(), "not json \u{1b}[2J");
    let run = cli(["inspect", &token]).expect(0);
    assert!(
        run.stdout
            .contains("(not valid JSON, shown escaped)\nnot json \\u{1b}[2J"),
        "{run:#?}"
    );
    assert!(!run.stdout.contains('\u{1b}'));
    assert!(run.stdout.contains("Issued at (iat): missing"), "{run:#?}");
}

#[test]
fn inspect_of_something_that_is_no_token_exits_with_status_2() {
    let run = cli(["inspect", "abc.def"]).expect(2);
    assert!(run.stderr.contains("eit_wrong_jws_part_count"), "{run:#?}");
    assert!(run.stderr.contains("hint: "), "{run:#?}");
    let run = cli(["inspect", "abc.d=f.ghi"]).expect(2);
    assert!(run.stderr.contains("eit_malformed_base64url"), "{run:#?}");
    let run = cli(["inspect", "-"]).stdin("\n").expect(2);
    assert!(run.stderr.contains("no token"), "{run:#?}");
}

// ---------------------------------------------------------------------------------------------
// Round 2: what new users ran into

#[test]
fn help_works_as_a_command_too() {
    let run = cli(["help", "--help"]).expect(0);
    assert!(
        run.stdout.contains("Usage: layer-identity help [COMMAND]"),
        "{run:#?}"
    );
    let run = cli(["help", "sign"]).expect(0);
    assert_eq!(
        run.stdout.trim_end(),
        cli(["sign", "--help"]).expect(0).stdout.trim_end()
    );
    let run = cli(["help"]).expect(0);
    assert!(run.stdout.contains("LAYER_TOKEN_TYPE"), "{run:#?}");
    let run = cli(["help", "bogus"]).expect(2);
    assert!(run.stderr.contains("no command \"bogus\""), "{run:#?}");
}

/// The issue's own reproduction: a PKCS#8 key with its line breaks lost, in the environment
/// and in a file, signs; the same text never appears in a message.
#[test]
fn a_key_whose_line_breaks_were_lost_signs() {
    let pem = key_text("rsa2048.pkcs8.pem");
    let dir = TempDir::new("flat-key");
    for flattened in [pem.replace('\n', ""), pem.trim_end().replace('\n', " ")] {
        let run = cli(["sign", "--user-id", "alice", "--nonce", NONCE])
            .args(["--issued-at", &IAT.to_string()])
            .env("LAYER_PROVIDER_ID", PROVIDER_ID)
            .env("LAYER_KEY_ID", KEY_ID)
            .env("LAYER_PRIVATE_KEY", &flattened)
            .expect(0);
        assert_eq!(run.stdout.trim_end(), signed_token());
        let file = dir.join("flat.pem");
        std::fs::write(&file, &flattened).unwrap();
        let run = cli(sign_args()).args(["--key"]).args([&file]).expect(0);
        assert_eq!(run.stdout.trim_end(), signed_token());
    }
}

#[test]
fn passphrase_and_token_type_come_from_the_environment_too() {
    let encrypted = key_file("rsa2048.pkcs8.encrypted.pem");
    let base = || {
        cli(["sign", "--user-id", "alice", "--nonce", NONCE])
            .args(["--issued-at", &IAT.to_string()])
            .env("LAYER_PROVIDER_ID", PROVIDER_ID)
            .env("LAYER_KEY_ID", KEY_ID)
    };
    let run = base()
        .env("LAYER_PRIVATE_KEY_PATH", &encrypted)
        .env("LAYER_PRIVATE_KEY_PASSPHRASE", PASSPHRASE)
        .expect(0);
    assert_eq!(run.stdout.trim_end(), signed_token());
    let run = base().env("LAYER_PRIVATE_KEY_PATH", &encrypted).expect(2);
    assert!(
        run.stderr.contains("LAYER_PRIVATE_KEY_PASSPHRASE"),
        "{run:#?}"
    );

    let plain = key_file("rsa2048.pkcs8.pem");
    let run = base()
        .env("LAYER_PRIVATE_KEY_PATH", &plain)
        .env("LAYER_TOKEN_TYPE", "jwt")
        .expect(0);
    assert_eq!(
        decode_json(run.stdout.split('.').next().unwrap())["typ"],
        "JWT"
    );
    let run = base()
        .env("LAYER_PRIVATE_KEY_PATH", &plain)
        .env("LAYER_TOKEN_TYPE", "jwx")
        .expect(2);
    assert!(run.stderr.contains("LAYER_TOKEN_TYPE"), "{run:#?}");
    assert!(run.stderr.contains("--jwt"), "{run:#?}");
}

#[test]
fn a_passphrase_for_an_unencrypted_key_is_ignored_with_a_warning() {
    let run = cli(sign_args())
        .args(["--passphrase-env", "SOME_PASSPHRASE"])
        .env("SOME_PASSPHRASE", "hunter2")
        .expect(0);
    assert_eq!(run.stdout.trim_end(), signed_token());
    assert!(
        run.stderr.starts_with("warning: a passphrase was given"),
        "{run:#?}"
    );
    assert!(!run.stderr.contains("hunter2"), "{run:#?}");
    // No warning when the key needs it.
    let run = cli(["sign", "--user-id", "alice", "--nonce", NONCE])
        .args(["--provider-id", PROVIDER_ID, "--key-id", KEY_ID, "--key"])
        .args([key_file("rsa2048.pkcs8.encrypted.pem")])
        .args(["--passphrase-env", "SOME_PASSPHRASE"])
        .env("SOME_PASSPHRASE", PASSPHRASE)
        .expect(0);
    assert_eq!(run.stderr, "", "{run:#?}");
}

#[test]
fn a_token_argument_that_is_a_file_name_gets_told_how_to_pass_a_file() {
    let dir = TempDir::new("token-file");
    let file = dir.join("token.txt");
    std::fs::write(&file, signed_token()).unwrap();
    let path = file.display().to_string();
    let run = cli(verify_args(&path)).expect(1);
    assert!(run.stderr.contains("eit_wrong_jws_part_count"), "{run:#?}");
    assert!(run.stderr.contains(&format!("- < {path}")), "{run:#?}");
    let run = cli(["inspect", &path]).expect(2);
    assert!(run.stderr.contains(&format!("- < {path}")), "{run:#?}");
    // The way the hint says works.
    cli(verify_args("-")).stdin(signed_token()).expect(0);
    // Not for a mangled token.
    let run = cli(verify_args("abc")).expect(1);
    assert!(!run.stderr.contains("- <"), "{run:#?}");
}

#[test]
fn inspect_prints_no_banner_for_what_is_not_a_token() {
    let run = cli(["inspect", "not a token"]).expect(2);
    assert!(!run.stderr.contains("NOT VERIFIED"), "{run:#?}");
    assert_eq!(run.stdout, "");
}
