/*
 * backend.c: the identity-token step of a Layer backend, in C.
 *
 * The Layer client SDK obtains a nonce and the app POSTs it, with its logged-in user, to the
 * backend; the backend answers with an identity token signed with its Layer key. This program
 * does that once: start-up (configuration, one signer), one "request", shutdown.
 *
 * Configuration (environment), read by layer_signer_from_env:
 *   LAYER_PROVIDER_ID             layer:///providers/<uuid>
 *   LAYER_KEY_ID                  layer:///keys/<uuid>
 *   LAYER_PRIVATE_KEY             the private key PEM itself (literal \n escapes are fine), or
 *   LAYER_PRIVATE_KEY_PATH        the path of the private key PEM file
 *   LAYER_PRIVATE_KEY_PASSPHRASE  for an encrypted key
 *   LAYER_TOKEN_TYPE              JWS (the default) or JWT
 * With none of the first four set, it generates a key pair and uses demo IDs, and says so.
 *
 * Exit status: 0 on success, 2 for a configuration error (the message names the variable to
 * fix) or bad usage, 1 when the request fails.
 *
 * Usage: backend [user_id [nonce]]
 * Build: cc -std=c99 backend.c $(pkg-config --cflags --libs layer_identity)
 */
#include <stdio.h>
#include <stdlib.h>

#include "layer_identity.h"

#define DEMO_PROVIDER_ID "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f"
#define DEMO_KEY_ID "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f"

/*
 * Reports a failed call (status name and the library's message) and frees the message.
 * Takes `&error`, not `error`: the call that fills it is an argument of this function too, and
 * C does not say in which order arguments are evaluated.
 */
static int succeeded(LayerStatus status, char **error, const char *call) {
  if (status == LAYER_OK) return 1;
  fprintf(stderr, "%s failed: %s: %s\n", call, layer_status_name(status),
          *error != NULL ? *error : "(no message)");
  layer_string_free(*error);
  *error = NULL;
  return 0;
}

/* A non-empty environment variable, or NULL. */
static const char *env(const char *name) {
  const char *value = getenv(name);
  return value != NULL && value[0] != '\0' ? value : NULL;
}

/* The demo: a fresh key pair under demo IDs, for a first run with nothing configured. */
static int demo_signer(LayerSigner **signer) {
  char *private_pem = NULL, *public_pem = NULL, *error = NULL;
  int ok = succeeded(layer_generate_key_pair(0, &private_pem, &public_pem, &error), &error,
                     "layer_generate_key_pair") &&
           succeeded(layer_signer_new(private_pem, NULL, DEMO_PROVIDER_ID, DEMO_KEY_ID, 0, signer,
                                      &error),
                     &error, "layer_signer_new");
  /* layer_string_free zeroizes the private key; the signer keeps its own copy. */
  layer_string_free(private_pem);
  layer_string_free(public_pem); /* the signer derives it again for the verifier */
  if (ok) {
    fprintf(stderr, "note: LAYER_PROVIDER_ID, LAYER_KEY_ID and LAYER_PRIVATE_KEY[_PATH] are not "
                    "set: using a freshly generated demo key pair and demo IDs\n");
  }
  return ok;
}

/* Prints a claim's text by its length: a claim may hold U+0000, which would cut a C string. */
static void print_claim(const char *label, const char *text, size_t len) {
  printf("%s", label);
  fwrite(text, 1, len, stdout);
  printf("\n");
}

/* One request: mint the token for this user and nonce, and check it as Layer will. */
static int handle_request(const LayerSigner *signer, const LayerVerifier *verifier,
                          const char *user_id, const char *nonce) {
  char *token = NULL, *error = NULL;
  LayerClaims *claims = NULL;
  LayerEit eit = LAYER_EIT_NONE;
  const char *text;
  size_t len = 0;
  int ok = 0;
  /* issued_at 0: now; ttl 0: the default 600 s; no identity attributes. */
  if (!succeeded(layer_signer_sign(signer, user_id, nonce, 0, 0, NULL, &token, &error), &error,
                 "layer_signer_sign"))
    return 0;
  printf("identity token: %s\n", token);

  /* now 0: the system clock; leeway 0 s. On success the claims come typed. */
  if (layer_verifier_verify_claims(verifier, token, nonce, 0, 0, &claims, &eit, &error) ==
      LAYER_OK) {
    int64_t expires_at = layer_claims_expires_at(claims);
    text = layer_claims_json(claims, &len);
    print_claim("verified claims: ", text, len);
    text = layer_claims_user_id(claims, &len);
    print_claim("  prn: ", text, len);
    printf("  iat: %lld\n", (long long)layer_claims_issued_at(claims));
    printf("  exp: %lld\n", (long long)expires_at);
    layer_claims_free(claims);
    claims = NULL;
    ok = 1;

    /* What Layer answers once the token has expired: a rejection names the rule it broke. */
    if (layer_verifier_verify_claims(verifier, token, nonce, expires_at, 0, &claims, &eit,
                                     &error) != LAYER_OK) {
      printf("at exp Layer rejects it: %s\n", layer_eit_name(eit));
      layer_string_free(error);
      error = NULL;
    } else {
      layer_claims_free(claims);
    }
  } else {
    /* eit is LAYER_EIT_NONE (name "") when the failure is not about the token. */
    fprintf(stderr, "layer_verifier_verify_claims rejected the token (%s): %s\n",
            eit != LAYER_EIT_NONE ? layer_eit_name(eit) : "not a token rule",
            error != NULL ? error : "(no message)");
    layer_string_free(error);
  }
  layer_string_free(token);
  return ok;
}

int main(int argc, char **argv) {
  const char *user_id = argc > 1 ? argv[1] : "alice@example.com";
  const char *nonce = argc > 2 ? argv[2] : "nonce-from-the-layer-client-sdk";
  const char *provider_id = env("LAYER_PROVIDER_ID"), *key_id = env("LAYER_KEY_ID");
  LayerSigner *signer = NULL;
  LayerVerifier *verifier = NULL;
  char *public_pem = NULL, *error = NULL;
  int exit_code = 1;

  if (argc > 3) {
    fprintf(stderr, "usage: %s [user_id [nonce]]\n", argv[0]);
    return 2;
  }
  printf("layer-identity %s\n", layer_version());

  /* Start-up: one signer for the life of the process; it is thread-safe, so every request
   * thread can share it. */
  if (!provider_id && !key_id && !env("LAYER_PRIVATE_KEY") && !env("LAYER_PRIVATE_KEY_PATH")) {
    if (!demo_signer(&signer)) return 1;
    provider_id = DEMO_PROVIDER_ID;
    key_id = DEMO_KEY_ID;
  } else if (!succeeded(layer_signer_from_env(0, &signer, &error), &error,
                        "configuration: layer_signer_from_env")) {
    return 2;
  }

  /* The verifier only demonstrates the check Layer makes, with the same IDs and public key. */
  if (succeeded(layer_signer_public_key_pem(signer, &public_pem, &error), &error,
                "layer_signer_public_key_pem") &&
      succeeded(layer_verifier_new(public_pem, provider_id, key_id, 0, &verifier, &error), &error,
                "layer_verifier_new") &&
      handle_request(signer, verifier, user_id, nonce)) {
    exit_code = 0;
  }

  layer_verifier_free(verifier);
  layer_signer_free(signer);
  layer_string_free(public_pem);
  return exit_code;
}
