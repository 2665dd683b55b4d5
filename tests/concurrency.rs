//! One signer shared by 8 threads minting 500 tokens each: every token is distinct, verifies
//! with our verifier, with PyJWT and with the openssl CLI.

mod support;

use std::collections::HashSet;
use std::sync::Arc;

use layer_identity::{Attributes, Flags, Signer, Verifier};
use support::{openssl_verify_all, pyjwt_verify_all, vector_file, KEY_ID, PROVIDER_ID};

const THREADS: usize = 8;
const TOKENS_PER_THREAD: usize = 500;
const ISSUED_AT: i64 = 1_700_000_000;

#[test]
fn eight_threads_share_one_signer_and_one_verifier() {
    let private = vector_file("keys/rsa2048.pkcs8.pem");
    let public = vector_file("keys/rsa2048.public.pem");
    let signer =
        Arc::new(Signer::new(&private, None, PROVIDER_ID, KEY_ID, Flags::default()).unwrap());
    let verifier = Arc::new(Verifier::new(&public, PROVIDER_ID, KEY_ID, Flags::default()).unwrap());

    let handles: Vec<_> = (0..THREADS)
        .map(|thread| {
            let signer = Arc::clone(&signer);
            let verifier = Arc::clone(&verifier);
            std::thread::spawn(move || {
                (0..TOKENS_PER_THREAD)
                    .map(|i| {
                        let user = format!("user-{thread}");
                        let nonce = format!("nonce-{thread}-{i}");
                        let token = signer
                            .sign(&user, &nonce, Some(ISSUED_AT), None, &Attributes::default())
                            .unwrap();
                        let verified = verifier
                            .verify(&token, Some(&nonce), Some(ISSUED_AT + 1), 0)
                            .unwrap();
                        assert_eq!(
                            (verified.claims.prn.as_str(), verified.claims.nce.as_str()),
                            (user.as_str(), nonce.as_str())
                        );
                        token
                    })
                    .collect::<Vec<String>>()
            })
        })
        .collect();
    let tokens: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();

    assert_eq!(tokens.len(), THREADS * TOKENS_PER_THREAD);
    assert_eq!(
        tokens.iter().collect::<HashSet<_>>().len(),
        tokens.len(),
        "every token distinct"
    );
    let decoded = pyjwt_verify_all(&tokens, &public);
    assert_eq!(decoded.len(), tokens.len());
    openssl_verify_all(&tokens, &public);
}
