//! `layer-identity serve` as a real process over loopback HTTP: tokens that verify, caller
//! authentication, refused start-ups, readiness, metrics, logs, key reload, graceful stop, and
//! the validation page's API. (The endpoint contract itself is tests/endpoint/conformance.py
//! --backend serve; the page in a browser is cli/tests/browser.)

#[path = "../../tests/support/mod.rs"]
mod support;

mod process;

use std::time::Duration;

use layer_identity::{Flags, Verifier};
use process::{post_json, request, run_to_end, Connection, Process};
use serde_json::Value;
use support::{repo_path, TempDir, KEY_ID, PROVIDER_ID};

const SECRET: &str = "s3cr3t-service-token-0123456789abcdef";

fn key_path(name: &str) -> String {
    repo_path("vectors/keys").join(name).display().to_string()
}

fn public_key(name: &str) -> Vec<u8> {
    std::fs::read(repo_path("vectors/keys").join(name)).unwrap()
}

/// The service on a free port with `vectors/keys/<key>` and `env`.
fn serve_with(key: &str, args: &[&str], env: &[(&str, &str)]) -> Process {
    let path = key_path(key);
    let mut all = vec![
        ("LAYER_PROVIDER_ID", PROVIDER_ID),
        ("LAYER_KEY_ID", KEY_ID),
        ("LAYER_PRIVATE_KEY_PATH", path.as_str()),
    ];
    all.extend_from_slice(env);
    let mut full_args = vec!["serve"];
    full_args.extend_from_slice(args);
    Process::start(&full_args, &all)
}

fn serve() -> Process {
    serve_with("rsa2048.pkcs8.pem", &[], &[])
}

fn token_request(
    server: &Process,
    headers: &[(&str, &str)],
    user: &str,
    nonce: &str,
) -> process::Response {
    post_json(
        server.addr,
        "/identity-token",
        headers,
        &format!(r#"{{"user_id":"{user}","nonce":"{nonce}"}}"#),
    )
}

/// The token of a 200 answer, verified with `public_key` as Layer would.
fn verified_user(response: &process::Response, public_key: &[u8], nonce: &str) -> String {
    assert_eq!(response.status, 200, "{}", response.text());
    let token = response.json()["identity_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let verifier = Verifier::new(public_key, PROVIDER_ID, KEY_ID, Flags::default()).unwrap();
    verifier
        .verify(&token, Some(nonce), None, 60)
        .unwrap_or_else(|e| panic!("{e}"))
        .claims
        .prn
}

#[test]
fn mints_tokens_that_verify_and_announces_itself() {
    let server = serve();
    let response = token_request(&server, &[], "alice", "n-1");
    assert_eq!(
        verified_user(&response, &public_key("rsa2048.public.pem"), "n-1"),
        "alice"
    );
    assert_eq!(response.header("cache-control"), Some("no-store"));
    // A form body too, as PHP's http_build_query writes it.
    let form = request(
        server.addr,
        "POST",
        "/identity-token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"user_id=bob%40example.com&nonce=n-2",
    );
    assert_eq!(
        verified_user(&form, &public_key("rsa2048.public.pem"), "n-2"),
        "bob@example.com"
    );
    let stdout = server.stdout.lock().unwrap().clone();
    assert_eq!(stdout, format!("listening on http://{}\n", server.addr));
    let stderr = server.stderr();
    assert!(
        stderr.contains("WARNING") && stderr.contains("every process on this machine"),
        "{stderr}"
    );
}

#[test]
fn keeps_connections_alive_and_answers_pipelined_requests() {
    let server = serve();
    let mut connection = Connection::open(server.addr);
    for i in 0..3 {
        let body = format!(r#"{{"user_id":"u{i}","nonce":"n{i}"}}"#);
        let response = connection.request(
            "POST",
            "/identity-token",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        assert_eq!(response.status, 200);
    }
    connection
        .write(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /readyz HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(connection.read().text(), r#"{"status":"ok"}"#);
    assert_eq!(connection.read().text(), r#"{"status":"ready"}"#);
}

#[test]
fn a_service_token_is_required_when_set_and_compared_exactly() {
    let server = serve_with("rsa2048.pkcs8.pem", &[], &[("LAYER_SERVICE_TOKEN", SECRET)]);
    let bearer = format!("Bearer {SECRET}");
    let ok = token_request(&server, &[("Authorization", &bearer)], "alice", "n");
    verified_user(&ok, &public_key("rsa2048.public.pem"), "n");
    for authorization in [
        None,
        Some(format!("Bearer {SECRET}x")),
        Some(format!("Bearer {}", &SECRET[1..])),
        Some(format!("Basic {SECRET}")),
        Some(SECRET.to_owned()),
    ] {
        let headers: Vec<(&str, &str)> = authorization
            .as_deref()
            .map(|value| ("Authorization", value))
            .into_iter()
            .collect();
        let refused = token_request(&server, &headers, "alice", "n");
        assert_eq!(refused.status, 401, "{authorization:?}");
        assert_eq!(
            refused.text(),
            r#"{"error":{"code":"unauthenticated","message":"authentication required"}}"#
        );
        assert_eq!(
            refused.header("www-authenticate"),
            Some("Bearer realm=\"layer-identity\"")
        );
    }
    // The page's API is the caller's too; health and readiness are for everyone.
    let api = post_json(server.addr, "/api/keygen", &[], "{}");
    assert_eq!(api.status, 401);
    assert_eq!(server.get("/healthz").status, 200);
    assert_eq!(server.get("/readyz").status, 200);
    let config = server.get("/api/config").json();
    assert_eq!(config["auth_required"], true);
    let stderr = server.stderr();
    assert!(!stderr.contains(SECRET), "the log holds the secret");
    assert!(!stderr.contains("WARNING"), "{stderr}");
}

#[test]
fn the_contract_s_reject_cases_hold_for_an_unauthenticated_caller() {
    // Without the bearer token the service's authenticate fails: exactly the contract's
    // `reject` kind (fields are still checked first).
    let server = serve_with("rsa2048.pkcs8.pem", &[], &[("LAYER_SERVICE_TOKEN", SECRET)]);
    let output = std::process::Command::new("/usr/bin/python3")
        .arg(repo_path("tests/endpoint/conformance.py"))
        .args(["--url", &format!("http://{}", server.addr)])
        .args(["--public-key", &key_path("rsa2048.public.pem")])
        .args(["--provider-id", PROVIDER_ID, "--key-id", KEY_ID])
        .args(["--authenticator", "reject"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("cases passed"), "{stdout}");
}

#[test]
fn refuses_to_start_unprotected_on_a_public_address_or_misconfigured() {
    let key = key_path("rsa2048.pkcs8.pem");
    let base = [
        ("LAYER_PROVIDER_ID", PROVIDER_ID),
        ("LAYER_KEY_ID", KEY_ID),
        ("LAYER_PRIVATE_KEY_PATH", key.as_str()),
    ];
    let refused = |env: &[(&str, &str)], names: &str| {
        let output = run_to_end(&["serve"], env);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(output.stdout.is_empty(), "it printed {:?}", output.stdout);
        assert!(stderr.contains(names), "{stderr} lacks {names}");
        stderr
    };
    for host in ["0.0.0.0", "::"] {
        let mut env = base.to_vec();
        env.push(("HOST", host));
        let stderr = refused(&env, "LAYER_SERVICE_TOKEN");
        assert!(stderr.contains("not a loopback address"), "{stderr}");
    }
    let mut short = base.to_vec();
    short.push(("LAYER_SERVICE_TOKEN", "tooshort"));
    let stderr = refused(&short, "LAYER_SERVICE_TOKEN");
    assert!(
        !stderr.contains("tooshort"),
        "the message repeats the secret"
    );
    let mut spaced = base.to_vec();
    spaced.push(("LAYER_SERVICE_TOKEN", "a secret with spaces in it"));
    let stderr = refused(&spaced, "LAYER_SERVICE_TOKEN");
    assert!(!stderr.contains("spaces in it"));
    refused(&base[1..], "LAYER_PROVIDER_ID");
    let mut port = base.to_vec();
    port.push(("PORT", "http"));
    refused(&port, "PORT");
}

#[test]
fn listens_on_a_public_address_with_a_service_token() {
    // Bound to every address, reached on loopback only.
    let server = serve_with(
        "rsa2048.pkcs8.pem",
        &[],
        &[("LAYER_SERVICE_TOKEN", SECRET), ("HOST", "0.0.0.0")],
    );
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], server.addr.port()));
    assert_eq!(request(loopback, "GET", "/healthz", &[], b"").status, 200);
}

#[test]
fn metrics_count_requests_and_describe_the_key() {
    let server = serve();
    for i in 0..3 {
        token_request(&server, &[], "alice", &format!("n{i}"));
    }
    request(server.addr, "GET", "/nope?secret=1", &[], b"");
    let response = server.get("/metrics");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = response.text();
    for line in [
        "layer_identity_http_requests_total{route=\"/identity-token\",status=\"200\"} 3",
        "layer_identity_http_requests_total{route=\"other\",status=\"404\"} 1",
        "layer_identity_sign_duration_seconds_count 3",
        "layer_identity_sign_duration_seconds_bucket{le=\"+Inf\"} 3",
        "layer_identity_key_reloads_total{result=\"ok\"} 0",
        "layer_identity_ready 1",
        "# TYPE layer_identity_sign_duration_seconds histogram",
        "# TYPE process_start_time_seconds gauge",
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }
    assert!(text.contains(&format!(
        "layer_identity_key_info{{key_id=\"{KEY_ID}\",provider_id=\"{PROVIDER_ID}\",public_key_sha256=\""
    )));
    // Every sample line is `name{labels} value` with a number.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }
}

#[test]
fn one_json_log_line_per_request_without_secrets() {
    let server = serve_with("rsa2048.pkcs8.pem", &[], &[("LAYER_SERVICE_TOKEN", SECRET)]);
    let bearer = format!("Bearer {SECRET}");
    let response = token_request(
        &server,
        &[("Authorization", &bearer)],
        "alice",
        "the-nonce-42",
    );
    let token = response.json()["identity_token"]
        .as_str()
        .unwrap()
        .to_owned();
    token_request(&server, &[], "mallory", "n");
    request(server.addr, "GET", "/healthz?token=abc", &[], b"");
    server.wait_for_stderr("\"path\":\"/healthz\"");
    let stderr = server.stderr();
    let requests: Vec<Value> = stderr
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .filter(|line| line["event"] == "request")
        .collect();
    assert_eq!(requests.len(), 3, "{stderr}");
    assert_eq!(requests[0]["status"], 200);
    assert_eq!(requests[0]["route"], "/identity-token");
    assert_eq!(requests[0]["method"], "POST");
    assert!(requests[0]["duration_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(requests[1]["status"], 401);
    assert!(requests[1]["detail"]
        .as_str()
        .unwrap()
        .contains("LAYER_SERVICE_TOKEN"));
    assert_eq!(requests[2]["path"], "/healthz");
    let key_text = String::from_utf8(public_key("rsa2048.pkcs8.pem")).unwrap();
    let key_body: String = key_text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    for secret in [
        token.as_str(),
        SECRET,
        "the-nonce-42",
        "mallory",
        "token=abc",
        &key_body[..40],
    ] {
        assert!(!stderr.contains(secret), "the log holds {secret:?}");
    }
}

/// Copies `vectors/keys/<name>` over `path` by renaming a new file into place.
fn install_key(dir: &TempDir, name: &str, path: &std::path::Path) {
    let staged = dir.join("staged.pem");
    std::fs::copy(repo_path("vectors/keys").join(name), &staged).unwrap();
    std::fs::rename(&staged, path).unwrap();
}

fn metric(server: &Process, prefix: &str) -> String {
    let text = server.get("/metrics").text();
    text.lines()
        .find(|line| line.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {text}"))
        .to_owned()
}

#[test]
fn sighup_reloads_the_key_and_a_bad_key_keeps_the_old_one() {
    let dir = TempDir::new("serve-reload");
    let path = dir.join("key.pem");
    install_key(&dir, "rsa2048.pkcs8.pem", &path);
    let path_text = path.display().to_string();
    let server = Process::start(
        &["serve", "--key-poll", "0"],
        &[
            ("LAYER_PROVIDER_ID", PROVIDER_ID),
            ("LAYER_KEY_ID", KEY_ID),
            ("LAYER_PRIVATE_KEY_PATH", &path_text),
        ],
    );
    let first = token_request(&server, &[], "alice", "n1");
    verified_user(&first, &public_key("rsa2048.public.pem"), "n1");
    let fingerprint = metric(&server, "layer_identity_key_info");

    // A connection kept alive across the reload still works.
    let mut connection = Connection::open(server.addr);
    assert_eq!(connection.request("GET", "/healthz", &[], b"").status, 200);

    install_key(&dir, "rsa2048-other.pkcs8.pem", &path);
    server.signal("HUP");
    server.wait_for_stderr("\"event\":\"key_reloaded\"");
    let second = connection.request(
        "POST",
        "/identity-token",
        &[("Content-Type", "application/json")],
        br#"{"user_id":"bob","nonce":"n2"}"#,
    );
    verified_user(&second, &public_key("rsa2048-other.public.pem"), "n2");
    assert_ne!(metric(&server, "layer_identity_key_info"), fingerprint);
    assert!(metric(&server, "layer_identity_key_reloads_total{result=\"ok\"}").ends_with(" 1"));

    std::fs::write(
        &path,
        "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    server.signal("HUP");
    server.wait_for_stderr("\"event\":\"key_reload_failed\"");
    let third = token_request(&server, &[], "carol", "n3");
    verified_user(&third, &public_key("rsa2048-other.public.pem"), "n3");
    assert!(metric(
        &server,
        "layer_identity_key_reloads_total{result=\"error\"}"
    )
    .ends_with(" 1"));
    let stderr = server.stderr();
    let failure = stderr
        .lines()
        .find(|line| line.contains("key_reload_failed"))
        .unwrap();
    assert!(failure.contains("LAYER_PRIVATE_KEY_PATH"), "{failure}");
    assert!(
        failure.contains("the previous key keeps serving"),
        "{failure}"
    );
}

#[test]
fn a_changed_key_file_is_reloaded_without_a_signal() {
    let dir = TempDir::new("serve-watch");
    let path = dir.join("key.pem");
    install_key(&dir, "rsa2048.pkcs8.pem", &path);
    let path_text = path.display().to_string();
    let server = Process::start(
        &["serve", "--key-poll", "1"],
        &[
            ("LAYER_PROVIDER_ID", PROVIDER_ID),
            ("LAYER_KEY_ID", KEY_ID),
            ("LAYER_PRIVATE_KEY_PATH", &path_text),
        ],
    );
    install_key(&dir, "rsa2048-other.pkcs8.pem", &path);
    server.wait_for_stderr("\"cause\":\"file_changed\"");
    let response = token_request(&server, &[], "alice", "n");
    verified_user(&response, &public_key("rsa2048-other.public.pem"), "n");
}

#[test]
fn sigterm_finishes_the_request_in_flight_and_exits_0() {
    let mut server = serve();
    let idle = Connection::open(server.addr);
    let mut in_flight = Connection::open(server.addr);
    let body = br#"{"user_id":"alice","nonce":"late"}"#;
    in_flight.write(
        format!(
            "POST /identity-token HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    in_flight.write(&body[..10]);
    wait_until_in_flight(&server, 1);
    server.signal("TERM");
    server.wait_for_stderr("\"event\":\"stopping\"");
    in_flight.write(&body[10..]);
    let response = in_flight.read();
    verified_user(&response, &public_key("rsa2048.public.pem"), "late");
    let status = server.wait_exit(Duration::from_secs(30)).expect("it exits");
    assert_eq!(status.code(), Some(0));
    drop(idle);
    let stderr = server.stderr();
    assert!(stderr.contains("\"event\":\"stopped\""), "{stderr}");
}

#[test]
fn the_page_is_built_in_and_locked_to_its_origin() {
    let server = serve();
    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    let html = page.text();
    for id in [
        "token",
        "public-key",
        "provider-id",
        "key-id",
        "nonce",
        "now",
        "leeway",
        "validate",
        "verdict",
        "rules",
        "generate",
        "private-key",
        "generated-public-key",
        "mint",
        "mint-user-id",
        "mint-nonce",
        "minted-token",
        "service-token",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "no #{id}");
    }
    // Nothing from elsewhere: no absolute URL to load, no inline script or style.
    for asset in ["/", "/tools.js", "/tools.css"] {
        let text = server.get(asset).text();
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{asset}"
        );
    }
    assert!(!html.contains("<script>") && !html.contains("style="));
    assert_eq!(server.get("/tools.js").status, 200);
    assert_eq!(server.get("/tools.css").status, 200);
    assert_eq!(request(server.addr, "POST", "/", &[], b"").status, 405);

    let plain = serve_with("rsa2048.pkcs8.pem", &["--no-tools"], &[]);
    assert_eq!(plain.get("/").status, 404);
    assert_eq!(
        post_json(plain.addr, "/api/validate", &[], "{}").status,
        404
    );
}

#[test]
fn the_validate_api_shows_every_rule() {
    let server = serve();
    let config = server.get("/api/config").json();
    assert_eq!(config["provider_id"], PROVIDER_ID);
    assert_eq!(config["key_id"], KEY_ID);
    assert_eq!(config["auth_required"], false);
    assert!(config["public_key"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));

    let token = token_request(&server, &[], "alice", "n-9").json()["identity_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The service's own key and IDs stand in for those not given.
    let valid = post_json(
        server.addr,
        "/api/validate",
        &[],
        &serde_json::json!({"token": token, "nonce": "n-9"}).to_string(),
    );
    assert_eq!(valid.status, 200, "{}", valid.text());
    let report = valid.json();
    assert_eq!(report["valid"], true);
    assert_eq!(report["verdict"], "Token valid.");
    let rules = report["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 16);
    assert!(
        rules.iter().all(|rule| rule["result"] == "pass"),
        "{rules:?}"
    );
    assert!(report["claims"]
        .as_str()
        .unwrap()
        .contains("\"prn\": \"alice\""));
    assert!(report["times"]["exp"]["relative"]
        .as_str()
        .unwrap()
        .starts_with("expires in"));

    // An hour later, with another nonce and the other key: every failing rule shows.
    let iat = report["times"]["iat"]["unix"].as_i64().unwrap();
    let other_key = String::from_utf8(public_key("rsa2048-other.public.pem")).unwrap();
    let late = post_json(
        server.addr,
        "/api/validate",
        &[],
        &serde_json::json!({
            "token": token, "nonce": "other", "now": iat + 3600, "leeway": 0,
            "public_key": other_key, "provider_id": PROVIDER_ID, "key_id": KEY_ID,
        })
        .to_string(),
    )
    .json();
    assert_eq!(late["valid"], false);
    assert_eq!(late["eit"], "eit_signature_verification_failed");
    assert!(late["verdict"]
        .as_str()
        .unwrap()
        .starts_with("eit_signature_verification_failed: "));
    let failed: Vec<&str> = late["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|rule| rule["result"] == "fail")
        .map(|rule| rule["eit"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        [
            "eit_signature_verification_failed",
            "eit_expired",
            "eit_nonce_not_found"
        ]
    );
    assert!(late["times"]["exp"]["relative"]
        .as_str()
        .unwrap()
        .starts_with("expired"));

    let garbage = post_json(server.addr, "/api/validate", &[], r#"{"token":"abc"}"#).json();
    assert_eq!(garbage["eit"], "eit_wrong_jws_part_count");
    for (body, words) in [
        (
            r#"{"token":"a.b.c","provider_id":"placeholder"}"#,
            "provider",
        ),
        (r#"{"token":"a.b.c","public_key":"not a key"}"#, "key"),
        (r#"{"token":"a.b.c","leeway":-1}"#, "leeway"),
        (r#"{}"#, "token is required"),
        (r#"[1]"#, "json object"),
    ] {
        let refused = post_json(server.addr, "/api/validate", &[], body);
        assert_eq!(refused.status, 400, "{body}");
        let message = refused.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.to_lowercase().contains(words), "{message}");
    }
}

#[test]
fn the_keygen_api_makes_a_working_pair_and_keeps_nothing() {
    let server = serve();
    let pair = post_json(server.addr, "/api/keygen", &[], r#"{"bits":2048}"#);
    assert_eq!(pair.status, 200);
    assert_eq!(pair.header("cache-control"), Some("no-store"));
    let pair = pair.json();
    let private = pair["private_key"].as_str().unwrap();
    let public = pair["public_key"].as_str().unwrap();
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
    let signer = layer_identity::Signer::new(
        private.as_bytes(),
        None,
        PROVIDER_ID,
        KEY_ID,
        Flags::default(),
    )
    .unwrap();
    let token = signer
        .sign("u", "n", None, None, &Default::default())
        .unwrap();
    Verifier::new(public.as_bytes(), PROVIDER_ID, KEY_ID, Flags::default())
        .unwrap()
        .verify(&token, Some("n"), None, 60)
        .unwrap();
    let body: String = private
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(
        !server.stderr().contains(&body[..32]),
        "the log holds the private key"
    );
    for bits in ["1024", "16384", "\"2048\""] {
        let refused = post_json(
            server.addr,
            "/api/keygen",
            &[],
            &format!(r#"{{"bits":{bits}}}"#),
        );
        assert_eq!(refused.status, 400, "{bits}");
    }
    assert_eq!(
        request(server.addr, "GET", "/api/keygen", &[], b"").status,
        405
    );
}

/// Waits until `count` requests (besides the metrics request asking) are being answered.
fn wait_until_in_flight(server: &Process, count: u32) {
    let line = format!("layer_identity_http_requests_in_flight {}", count + 1);
    let deadline = std::time::Instant::now() + process::START_TIMEOUT;
    while !server.get("/metrics").text().contains(&line) {
        assert!(
            std::time::Instant::now() < deadline,
            "never {count} in flight"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_closes_idle_connections_and_drains_for_a_bounded_time() {
    let mut server = serve();
    let mut kept = Connection::open(server.addr);
    let mut slow = Connection::open(server.addr);
    // A request whose body is still coming keeps the server draining.
    slow.write(
        b"POST /identity-token HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{",
    );
    assert_eq!(kept.request("GET", "/readyz", &[], b"").status, 200);
    wait_until_in_flight(&server, 1);
    server.signal("TERM");
    server.wait_for_stderr("\"event\":\"stopping\"");
    // The idle kept-alive connection is closed rather than served.
    assert!(kept.is_closed_within(Duration::from_secs(30)));
    // The request that never completes is given up after the drain time, and the exit is
    // still clean.
    let status = server.wait_exit(Duration::from_secs(30)).expect("it exits");
    assert_eq!(status.code(), Some(0));
    assert!(server.stderr().contains("\"event\":\"drain_timeout\""));
    drop(slow);
}

#[test]
fn a_stalled_body_is_answered_408_and_disconnected() {
    let server = serve_with("rsa2048.pkcs8.pem", &["--body-timeout", "1"], &[]);
    let mut stalled = Connection::open(server.addr);
    stalled.write(
        b"POST /identity-token HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{",
    );
    let response = stalled.read();
    assert_eq!(response.status, 408);
    assert_eq!(response.header("connection"), Some("close"));
    assert_eq!(response.json()["error"]["code"], "request_timeout");
    assert!(stalled.is_closed_within(Duration::from_secs(30)));
    // Everyone else was served meanwhile and still is.
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn key_generation_runs_one_at_a_time_and_says_when_busy() {
    let server = serve();
    let answers: Vec<process::Response> = std::thread::scope(|scope| {
        let requests: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| post_json(server.addr, "/api/keygen", &[], r#"{"bits":4096}"#)))
            .collect();
        requests.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert!(answers.iter().any(|a| a.status == 200));
    for answer in &answers {
        match answer.status {
            200 => assert!(answer.json()["public_key"].is_string()),
            503 => {
                assert_eq!(answer.json()["error"]["code"], "busy");
                assert_eq!(answer.header("retry-after"), Some("1"));
            }
            other => panic!("keygen answered {other}: {}", answer.text()),
        }
    }
}
