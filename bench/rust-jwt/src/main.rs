//! The Rust `jsonwebtoken` crate making and checking a Layer identity token (the header and
//! claims of benches/c/abi_bench.c), one operation over and over, like abi_bench:
//!
//!     rust-jwt-bench MODE SECONDS PRIVATE_KEY_PEM PUBLIC_KEY_PEM   prints "MODE <operations/s>"
//!
//! MODE: sign (an EncodingKey decoded once), sign-pem (the key decoded from its PEM text on
//! every call, as the C ABI's one-shot call is given it), verify (a DecodingKey decoded once;
//! signature, issuer, expiry and nonce checked). Every result is checked.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

const PROVIDER_ID: &str = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f";
const KEY_ID: &str = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f";

#[derive(Serialize, Deserialize)]
struct Claims {
    iss: String,
    prn: String,
    iat: i64,
    exp: i64,
    nce: String,
}

fn claims(nonce: String, issued_at: i64) -> Claims {
    Claims {
        iss: PROVIDER_ID.into(),
        prn: "user-42".into(),
        iat: issued_at,
        exp: issued_at + 600,
        nce: nonce,
    }
}

fn header() -> Header {
    let mut header = Header::new(Algorithm::RS256);
    header.typ = Some("JWS".into());
    header.cty = Some("layer-eit;v=1".into());
    header.kid = Some(KEY_ID.into());
    header
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!(
            "usage: {} sign|sign-pem|verify SECONDS PRIVATE_KEY_PEM PUBLIC_KEY_PEM",
            args[0]
        );
        std::process::exit(2);
    }
    let (mode, seconds) = (args[1].as_str(), args[2].parse::<f64>().expect("SECONDS"));
    let private_pem = std::fs::read(&args[3]).expect("PRIVATE_KEY_PEM");
    let public_pem = std::fs::read(&args[4]).expect("PUBLIC_KEY_PEM");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let key = EncodingKey::from_rsa_pem(&private_pem).expect("private key");
    let public = DecodingKey::from_rsa_pem(&public_pem).expect("public key");
    let header = header();
    let token = encode(&header, &claims("nonce".into(), now), &key).expect("sign");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[PROVIDER_ID]);
    validation.set_required_spec_claims(&["exp", "iss"]);

    let mut operation: Box<dyn FnMut(u64)> = match mode {
        "sign" => Box::new(|n| {
            encode(&header, &claims(format!("nonce-{n}"), now), &key).expect("sign");
        }),
        "sign-pem" => Box::new(|n| {
            let key = EncodingKey::from_rsa_pem(&private_pem).expect("private key");
            encode(&header, &claims(format!("nonce-{n}"), now), &key).expect("sign");
        }),
        "verify" => Box::new(|_| {
            let data = decode::<Claims>(&token, &public, &validation).expect("verify");
            assert_eq!(data.claims.nce, "nonce");
        }),
        _ => {
            eprintln!("unknown mode {mode}");
            std::process::exit(2);
        }
    };
    operation(0); // warm up
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        for _ in 0..16 {
            operation(count);
            count += 1;
        }
    }
    println!("{mode} {:.1}", count as f64 / start.elapsed().as_secs_f64());
}
