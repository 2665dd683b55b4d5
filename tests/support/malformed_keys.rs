//! Malformed keys and misplaced secrets, and the check that no message quotes one: shared by
//! the library's tests of its messages (tests/key_messages.rs) and the CLI's
//! (cli/tests/key_messages.rs).

use std::collections::HashSet;

use super::vector_file;

/// The passphrase of the encrypted vector keys.
pub const PASSPHRASE: &str = "correct horse battery staple";

pub const WINDOW: usize = 16;
/// Fails if `message` shares any `WINDOW`-byte run with `input`.
pub fn assert_quotes_nothing(input: &[u8], message: &str, context: &str) {
    let pieces: HashSet<&[u8]> = input.windows(WINDOW).collect();
    if let Some(piece) = message
        .as_bytes()
        .windows(WINDOW)
        .find(|w| pieces.contains(w))
    {
        panic!(
            "{context}: the message repeats key text {:?}:\n{message}",
            String::from_utf8_lossy(piece)
        );
    }
}

pub fn text(name: &str) -> String {
    String::from_utf8(vector_file(&format!("keys/{name}"))).unwrap()
}

/// Every malformed (or merely mangled) key the deterministic part of the test feeds in.
pub fn malformed_keys() -> Vec<(String, Vec<u8>)> {
    let pkcs8 = text("rsa2048.pkcs8.pem");
    let pkcs1 = text("rsa2048.pkcs1.pem");
    let encrypted = text("rsa2048.pkcs8.encrypted.pem");
    let public = text("rsa2048.public.pem");
    let body: String = pkcs8.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut keys: Vec<(String, String)> = Vec::new();
    for (name, pem) in [
        ("pkcs8", &pkcs8),
        ("pkcs1", &pkcs1),
        ("encrypted", &encrypted),
        ("public", &public),
    ] {
        let flat = pem.replace('\n', "");
        let spaced = pem.trim_end().replace('\n', " ");
        keys.push((format!("{name} one line"), flat.clone()));
        keys.push((format!("{name} spaces"), spaced));
        keys.push((format!("{name} escaped"), pem.replace('\n', "\\n")));
        for cut in [40, pem.len() / 2, pem.len() - 30] {
            keys.push((format!("{name} truncated at {cut}"), pem[..cut].to_owned()));
            keys.push((
                format!("{name} one line truncated at {cut}"),
                flat[..cut.min(flat.len())].to_owned(),
            ));
        }
        keys.push((format!("{name} doubled"), format!("{pem}{pem}")));
        keys.push((
            format!("{name} doubled on one line"),
            format!("{flat}{flat}"),
        ));
        keys.push((
            format!("{name} no END line"),
            pem.lines()
                .filter(|l| !l.starts_with("-----END"))
                .collect::<Vec<_>>()
                .join("\n"),
        ));
    }
    keys.push((
        "mismatched labels".into(),
        pkcs8.replace("-----END PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----"),
    ));
    for label in [
        "OPENSSH PRIVATE KEY",
        "CERTIFICATE",
        "EC PRIVATE KEY",
        "X509 CRL",
        "ENCRYPTED PRIVATE KEYS",
        "PRIVATE KEY BLOB DATA",
        "lower case label",
        "A VERY LONG LABEL THAT GOES ON AND ON AND ON AND ON AND ON AND ON AND ON AND ON",
    ] {
        keys.push((
            format!("label {label}"),
            pkcs8.replace("PRIVATE KEY-----", &format!("{label}-----")),
        ));
    }
    keys.push((
        "garbage inside armor".into(),
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            body.replace(['A', 'Q'], "*")
        ),
    ));
    keys.push((
        "body with a changed character".into(),
        pkcs8.replacen("MII", "MI!", 1),
    ));
    keys.push(("bare body".into(), body.clone()));
    keys.push(("base64 DER, one line".into(), text("rsa2048.pkcs8.der.b64")));
    keys.push((
        "PKCS#1 body, one line".into(),
        pkcs1.lines().filter(|l| !l.starts_with("-----")).collect(),
    ));
    keys.push((
        "bare body, one character changed".into(),
        body.replacen('B', "!", 1),
    ));
    keys.push(("bare body, cut".into(), body[..body.len() - 7].to_owned()));
    keys.push(("text before BEGIN".into(), format!("my key: {pkcs8}")));
    keys.push((
        "text after END".into(),
        format!("{pkcs8}and more text here that is long\n"),
    ));
    keys.push((
        "a header line in PKCS#8".into(),
        pkcs8.replacen("\n", "\nProc-Type: 4,ENCRYPTED\n", 1),
    ));
    keys.push(("header lines flattened".into(), "-----BEGIN RSA PRIVATE KEY-----Proc-Type: 4,ENCRYPTEDDEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF".to_owned() + &body + "-----END RSA PRIVATE KEY-----"));
    let mut keys: Vec<(String, Vec<u8>)> =
        keys.into_iter().map(|(n, k)| (n, k.into_bytes())).collect();
    keys.push(("DER cut short".into(), der_of_body(&body)[..600].to_vec()));
    keys.push((
        "random bytes".into(),
        (0..2000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 | 1)
            .collect(),
    ));
    keys
}

pub fn der_of_body(body: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// Secrets a user might put where an ID or the token type belongs: a passphrase, key text in
/// any shape, and property-generated passphrases of printable characters.
pub fn misplaced_secrets() -> Vec<String> {
    let pkcs8 = text("rsa2048.pkcs8.pem");
    let body: String = pkcs8.lines().filter(|l| !l.starts_with("-----")).collect();
    vec![
        PASSPHRASE.to_owned(),
        "hunter2 is not a good passphrase".to_owned(),
        pkcs8.clone(),
        pkcs8.replace('\n', ""),
        pkcs8.replace('\n', "\\n"),
        body[..120].to_owned(),
        format!("layer:///providers/{}", &body[..40]),
        format!("layer:///keys/{PASSPHRASE}"),
    ]
}

/// The part of a misplaced secret no message may repeat: the ID prefix in front of it is the
/// public form that messages name.
pub fn secret_part(secret: &str) -> &[u8] {
    ["layer:///providers/", "layer:///keys/"]
        .iter()
        .find_map(|prefix| secret.strip_prefix(prefix))
        .unwrap_or(secret)
        .as_bytes()
}
