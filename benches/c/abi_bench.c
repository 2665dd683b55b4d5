/*
 * Throughput of the C ABI, for scripts/bench.sh (and each wrapper's benchmark) to set beside
 * `openssl speed rsa2048`, and instruction counts under callgrind (bench/run.py).
 *
 *   abi_bench MODE SECONDS PRIVATE_KEY_PEM_FILE          prints "MODE <operations per second>"
 *   abi_bench --count MODE CALLS PRIVATE_KEY_PEM_FILE    makes CALLS calls, prints nothing
 *
 * MODE: sign (layer_signer_sign, one signer handle), sign-n (layer_signer_sign_n, the call the
 * wrappers make), oneshot (layer_sign_token, the PEM text on every call), verify
 * (layer_verifier_verify, the claims JSON), verify-n (layer_verifier_verify_n reading every
 * claim, the call the wrappers make), verify-into (layer_verifier_verify_into), and, for rates
 * only, sign-threads=N (N threads sharing one signer). Every result is checked, so a failing
 * call stops the benchmark instead of being counted.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layer_identity.h"

static const char PROVIDER_ID[] = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f";
static const char KEY_ID[] = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f";
static const int64_t ISSUED_AT = 1700000000;

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(LayerStatus status, char *error, const char *what) {
  if (status != LAYER_OK) {
    fprintf(stderr, "%s failed: %s: %s\n", what, layer_status_name(status), error ? error : "");
    exit(1);
  }
}

static char pem[65536];
static size_t pem_len;
static LayerSigner *signer;
static LayerVerifier *verifier;
static char *token;
static size_t token_len;

static void read_key(const char *path) {
  FILE *file = fopen(path, "rb");
  if (!file) {
    perror(path);
    exit(2);
  }
  pem_len = fread(pem, 1, sizeof pem - 1, file);
  fclose(file);
  pem[pem_len] = '\0';
}

/* One call of each mode; n numbers the call (signing uses a distinct nonce each time). */
static void sign(long n) {
  char nonce[32], *out = NULL, *error = NULL;
  snprintf(nonce, sizeof nonce, "nonce-%ld", n);
  check(layer_signer_sign(signer, "user-42", nonce, ISSUED_AT, 600, NULL, &out, &error), error,
        "layer_signer_sign");
  layer_string_free(out);
}

static void sign_n(long n) {
  char nonce[32], *out = NULL, *error = NULL;
  int len = snprintf(nonce, sizeof nonce, "nonce-%ld", n);
  check(layer_signer_sign_n(signer, "user-42", 7, nonce, (size_t)len, ISSUED_AT, 600, NULL, NULL, NULL,
                            NULL, NULL, NULL, 0, &out, &error),
        error, "layer_signer_sign_n");
  layer_string_free(out);
}

static void oneshot(long n) {
  char *out = NULL, *error = NULL;
  (void)n;
  check(layer_sign_token(pem, PROVIDER_ID, KEY_ID, "user-42", "nonce", ISSUED_AT, 600, &out, &error),
        error, "layer_sign_token");
  layer_string_free(out);
}

static void verify(long n) {
  char *claims = NULL, *error = NULL;
  (void)n;
  check(layer_verifier_verify(verifier, token, "nonce", ISSUED_AT + 1, 0, &claims, &error), error,
        "layer_verifier_verify");
  layer_string_free(claims);
}

static void verify_n(long n) {
  LayerClaims *claims = NULL;
  const char *texts[LAYER_CLAIM_TEXT_COUNT];
  size_t lens[LAYER_CLAIM_TEXT_COUNT];
  int64_t times[2];
  LayerEit eit;
  char *error = NULL;
  (void)n;
  check(layer_verifier_verify_n(verifier, token, token_len, "nonce", 5, ISSUED_AT + 1,
                                LAYER_DEFAULT_LEEWAY_SECONDS, &claims, texts, lens,
                                LAYER_CLAIM_TEXT_COUNT, times, &eit, &error),
        error, "layer_verifier_verify_n");
  layer_claims_free(claims);
}

static void verify_into(long n) {
  static uint8_t buffer[LAYER_VERIFY_INTO_BUFFER_BYTES];
  LayerEit eit;
  char *error = NULL;
  (void)n;
  check(layer_verifier_verify_into(verifier, token, token_len, "nonce", 5, ISSUED_AT + 1,
                                   LAYER_DEFAULT_LEEWAY_SECONDS, buffer, sizeof buffer, &eit, &error),
        error, "layer_verifier_verify_into");
}

static const struct {
  const char *name;
  void (*call)(long);
} MODES[] = {{"sign", sign},     {"sign-n", sign_n},     {"oneshot", oneshot},
             {"verify", verify}, {"verify-n", verify_n}, {"verify-into", verify_into}};

struct worker {
  void (*call)(long);
  double seconds;
  long operations;
};

/* Calls for the given time, in batches of 16 between clock reads. */
static void *loop(void *arg) {
  struct worker *w = arg;
  double end = now_seconds() + w->seconds;
  long n = 0;
  do {
    for (int i = 0; i < 16; i++, n++) w->call(n);
  } while (now_seconds() < end);
  w->operations = n;
  return NULL;
}

static int usage(const char *program) {
  fprintf(stderr,
          "usage: %s MODE SECONDS PRIVATE_KEY_PEM_FILE\n"
          "       %s --count MODE CALLS PRIVATE_KEY_PEM_FILE\n"
          "MODE: sign, sign-n, oneshot, verify, verify-n, verify-into, sign-threads=N (rates only)\n",
          program, program);
  return 2;
}

int main(int argc, char **argv) {
  int count = argc == 5 && strcmp(argv[1], "--count") == 0;
  if (argc != 4 && !count) return usage(argv[0]);
  const char *mode = argv[1 + count];
  read_key(argv[3 + count]);
  char *error = NULL;
  check(layer_signer_new(pem, NULL, PROVIDER_ID, KEY_ID, 0, &signer, &error), error, "layer_signer_new");
  check(layer_verifier_new(pem, PROVIDER_ID, KEY_ID, 0, &verifier, &error), error, "layer_verifier_new");
  check(layer_signer_sign(signer, "user-42", "nonce", ISSUED_AT, 600, NULL, &token, &error), error,
        "layer_signer_sign");
  token_len = strlen(token);

  int threads = 0;
  void (*call)(long) = NULL;
  if (strncmp(mode, "sign-threads=", 13) == 0 && !count) {
    threads = atoi(mode + 13);
    if (threads < 1 || threads > 64) return usage(argv[0]);
    call = sign;
  }
  for (size_t i = 0; i < sizeof MODES / sizeof MODES[0]; i++) {
    if (strcmp(mode, MODES[i].name) == 0) call = MODES[i].call;
  }
  if (!call) return usage(argv[0]);

  if (count) {
    for (long n = 0, calls = atol(argv[3]); n < calls; n++) call(n);
  } else {
    struct worker workers[64];
    pthread_t ids[64];
    double seconds = atof(argv[2]), start = now_seconds();
    long operations = 0;
    if (threads == 0) {
      workers[0] = (struct worker){call, seconds, 0};
      loop(&workers[0]);
      operations = workers[0].operations;
    } else {
      for (int t = 0; t < threads; t++) {
        workers[t] = (struct worker){call, seconds, 0};
        pthread_create(&ids[t], NULL, loop, &workers[t]);
      }
      for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        operations += workers[t].operations;
      }
    }
    printf("%s %.1f\n", mode, (double)operations / (now_seconds() - start));
  }
  layer_string_free(token);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
  return 0;
}
