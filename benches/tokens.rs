//! `cargo bench`: signing with a long-lived signer, the one-shot call (cached key), and
//! verification, all with a 2048-bit key. scripts/bench.sh sets the C ABI's rates beside
//! `openssl speed rsa2048` measured in the same run.
//!
//! The `hostile` group measures what an attacker's input costs before any key is involved:
//! a 14 KB header with 1,350 distinct members (the worst case of the duplicate-member check,
//! which runs before the signature), an ordinary bad token beside it, and a 64 MiB user ID,
//! which the signer must refuse without escaping it.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use layer_identity::{sign_token, Attributes, Flags, Signer, Verifier};

const PROVIDER_ID: &str = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f";
const KEY_ID: &str = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f";
const ISSUED_AT: i64 = 1_700_000_000;

fn tokens(c: &mut Criterion) {
    let pem =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/keys/rsa2048.pkcs8.pem"))
            .unwrap();
    let signer = Signer::new(&pem, None, PROVIDER_ID, KEY_ID, Flags::default()).unwrap();
    let verifier = Verifier::new(&pem, PROVIDER_ID, KEY_ID, Flags::default()).unwrap();
    let none = Attributes::default();
    let token = signer
        .sign("user-42", "nonce", Some(ISSUED_AT), None, &none)
        .unwrap();

    let mut group = c.benchmark_group("rsa2048");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sign (signer handle)", |b| {
        b.iter(|| {
            signer
                .sign(
                    black_box("user-42"),
                    black_box("nonce"),
                    Some(ISSUED_AT),
                    None,
                    &none,
                )
                .unwrap()
        })
    });
    group.bench_function("sign (one-shot, cached key)", |b| {
        b.iter(|| {
            sign_token(
                black_box(&pem),
                PROVIDER_ID,
                KEY_ID,
                "user-42",
                "nonce",
                Some(ISSUED_AT),
                None,
            )
            .unwrap()
        })
    });
    group.bench_function("verify", |b| {
        b.iter(|| {
            verifier
                .verify(black_box(&token), Some("nonce"), Some(ISSUED_AT + 1), 0)
                .unwrap()
        })
    });
    group.finish();
}

fn hostile(c: &mut Criterion) {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    let pem =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/keys/rsa2048.pkcs8.pem"))
            .unwrap();
    let signer = Signer::new(&pem, None, PROVIDER_ID, KEY_ID, Flags::default()).unwrap();
    let verifier = Verifier::new(&pem, PROVIDER_ID, KEY_ID, Flags::default()).unwrap();
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let members: String = (0..1350)
        .map(|i| format!(",\"{}{}\":0", CHARS[i / 62] as char, CHARS[i % 62] as char))
        .collect();
    let header =
        format!(r#"{{"typ":"JWS","alg":"RS256","cty":"layer-eit;v=1","kid":"{KEY_ID}"{members}}}"#);
    let wide = format!("{}.e30.AAAA", URL_SAFE_NO_PAD.encode(&header));
    // The same size in one member: what parsing 14 KB costs without the many names.
    let long = format!(
        r#"{{"typ":"JWS","alg":"RS256","cty":"layer-eit;v=1","kid":"{KEY_ID}","x":"{}"}}"#,
        "a".repeat(header.len() - 90)
    );
    let long = format!("{}.e30.AAAA", URL_SAFE_NO_PAD.encode(&long));
    let bad = "eyJhbGciOiJub25lIn0.e30.AAAA";
    let huge_user = "u".repeat(64 << 20);

    let mut group = c.benchmark_group("hostile");
    group.bench_function("verify: 1350-member header (rejected)", |b| {
        b.iter(|| {
            verifier
                .verify(black_box(&wide), None, Some(ISSUED_AT), 0)
                .unwrap_err()
        })
    });
    group.bench_function("verify: 14 KB header, one long member (rejected)", |b| {
        b.iter(|| {
            verifier
                .verify(black_box(&long), None, Some(ISSUED_AT), 0)
                .unwrap_err()
        })
    });
    group.bench_function("verify: ordinary bad token (rejected)", |b| {
        b.iter(|| {
            verifier
                .verify(black_box(bad), None, Some(ISSUED_AT), 0)
                .unwrap_err()
        })
    });
    group.bench_function("sign: 64 MiB user ID (refused)", |b| {
        b.iter(|| {
            signer
                .sign(
                    black_box(&huge_user),
                    "nonce",
                    Some(ISSUED_AT),
                    None,
                    &Attributes::default(),
                )
                .unwrap_err()
        })
    });
    group.finish();
}

criterion_group!(benches, tokens, hostile);
criterion_main!(benches);
