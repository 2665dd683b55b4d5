/*
 * The C ABI's verifying and signing through the ABI 3 functions that the Python package and
 * the Ruby gem call, for their benchmarks (bench/bench.py, ../ruby/bench/bench.rb) to set
 * beside them: the same work, without Python or Ruby.
 *
 *   abi_calls rate MODE SECONDS KEY_FILE    prints "MODE <operations per second>"
 *   abi_calls count MODE CALLS KEY_FILE     makes CALLS calls (for callgrind)
 *   MODE: verify-into (layer_verifier_verify_into: every claim written into the caller's
 *         buffer, the call both wrappers make), verify-n (layer_verifier_verify_n, every
 *         claim read; then layer_claims_free), sign-n (layer_signer_sign_n with a signer
 *         handle)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layer_identity.h"

static const char PROVIDER_ID[] = "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f";
static const char KEY_ID[] = "layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678";
static const int64_t ISSUED_AT = 1700000000;

static void check(LayerStatus status, char *error, const char *what) {
  if (status != LAYER_OK) {
    fprintf(stderr, "%s failed: %s: %s\n", what, layer_status_name(status), error ? error : "");
    exit(1);
  }
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static LayerSigner *signer;
static LayerVerifier *verifier;
static char *token;
static size_t token_len;

enum mode { VERIFY_INTO, VERIFY_N, SIGN_N };

static void one(enum mode mode) {
  char *error = NULL;
  if (mode == VERIFY_INTO) {
    static uint8_t buffer[LAYER_VERIFY_INTO_BUFFER_BYTES];
    LayerEit eit;
    check(layer_verifier_verify_into(verifier, token, token_len, "nonce", 5, ISSUED_AT + 1,
                                     LAYER_DEFAULT_LEEWAY_SECONDS, buffer, sizeof buffer, &eit,
                                     &error),
          error, "layer_verifier_verify_into");
  } else if (mode == VERIFY_N) {
    LayerClaims *claims = NULL;
    const char *texts[LAYER_CLAIM_TEXT_COUNT];
    size_t lens[LAYER_CLAIM_TEXT_COUNT];
    int64_t times[2];
    LayerEit eit;
    check(layer_verifier_verify_n(verifier, token, token_len, "nonce", 5, ISSUED_AT + 1,
                                  LAYER_DEFAULT_LEEWAY_SECONDS, &claims, texts, lens,
                                  LAYER_CLAIM_TEXT_COUNT, times, &eit, &error),
          error, "layer_verifier_verify_n");
    layer_claims_free(claims);
  } else {
    char *signed_token = NULL;
    check(layer_signer_sign_n(signer, "user-42", 7, "nonce", 5, ISSUED_AT, 0, NULL, NULL, NULL,
                              NULL, NULL, NULL, 0, &signed_token, &error),
          error, "layer_signer_sign_n");
    layer_string_free(signed_token);
  }
}

int main(int argc, char **argv) {
  static const char *const modes[] = {"verify-into", "verify-n", "sign-n"};
  enum mode mode = VERIFY_INTO;
  while (argc == 5 && mode <= SIGN_N && strcmp(argv[2], modes[mode])) mode++;
  if (argc != 5 || mode > SIGN_N) {
    fprintf(stderr, "usage: %s rate|count verify-into|verify-n|sign-n SECONDS|CALLS KEY_FILE\n",
            argv[0]);
    return 2;
  }
  static char pem[65536];
  FILE *file = fopen(argv[4], "rb");
  if (!file) {
    perror(argv[4]);
    return 2;
  }
  size_t pem_len = fread(pem, 1, sizeof pem, file);
  fclose(file);
  char *error = NULL;
  check(layer_signer_new_n((const uint8_t *)pem, pem_len, NULL, 0, PROVIDER_ID,
                           strlen(PROVIDER_ID), KEY_ID, strlen(KEY_ID), 0, &signer, &error),
        error, "layer_signer_new_n");
  check(layer_verifier_new_n((const uint8_t *)pem, pem_len, PROVIDER_ID, strlen(PROVIDER_ID),
                             KEY_ID, strlen(KEY_ID), 0, &verifier, &error),
        error, "layer_verifier_new_n");
  check(layer_signer_sign_n(signer, "user-42", 7, "nonce", 5, ISSUED_AT, 600, NULL, NULL, NULL,
                            NULL, NULL, NULL, 0, &token, &error),
        error, "layer_signer_sign_n");
  token_len = strlen(token);
  if (strcmp(argv[1], "count") == 0) {
    for (long n = atol(argv[3]); n > 0; n--) one(mode);
  } else {
    double seconds = atof(argv[3]), start = now_seconds(), elapsed;
    long operations = 0;
    do {
      for (int i = 0; i < 16; i++, operations++) one(mode);
    } while ((elapsed = now_seconds() - start) < seconds);
    printf("%s %.1f\n", argv[2], (double)operations / elapsed);
  }
  layer_string_free(token);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
  return 0;
}
