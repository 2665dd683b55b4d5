/*
 * Throughput of the C ABI, for scripts/bench.sh to set beside `openssl speed rsa2048`.
 *
 *   abi_bench MODE SECONDS PRIVATE_KEY_PEM_FILE
 *   MODE: sign (one signer handle), oneshot (layer_sign_token), verify, sign-threads=N
 *
 * Prints one line: "MODE <operations per second>". Every result is checked, so a failing
 * call stops the benchmark instead of being counted.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layer_identity.h"

static const char *const PROVIDER_ID = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f";
static const char *const KEY_ID = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f";
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

static char *read_file(const char *path) {
  FILE *file = fopen(path, "rb");
  if (!file) {
    perror(path);
    exit(2);
  }
  static char buffer[65536];
  size_t len = fread(buffer, 1, sizeof buffer - 1, file);
  fclose(file);
  buffer[len] = '\0';
  return buffer;
}

struct worker {
  const LayerSigner *signer;
  double seconds;
  long operations;
};

/* Signs for the given time, one token after another, with a distinct nonce each. */
static void *sign_loop(void *arg) {
  struct worker *w = arg;
  char nonce[32];
  double end = now_seconds() + w->seconds;
  long n = 0;
  do {
    for (int i = 0; i < 16; i++, n++) {
      char *token = NULL, *error = NULL;
      snprintf(nonce, sizeof nonce, "nonce-%ld", n);
      check(layer_signer_sign(w->signer, "user-42", nonce, ISSUED_AT, 600, NULL, &token, &error),
            error, "layer_signer_sign");
      layer_string_free(token);
    }
  } while (now_seconds() < end);
  w->operations = n;
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s sign|oneshot|verify|sign-threads=N SECONDS PRIVATE_KEY_PEM_FILE\n", argv[0]);
    return 2;
  }
  const char *mode = argv[1];
  double seconds = atof(argv[2]);
  const char *pem = read_file(argv[3]);
  char *error = NULL;
  LayerSigner *signer = NULL;
  check(layer_signer_new(pem, NULL, PROVIDER_ID, KEY_ID, 0, &signer, &error), error, "layer_signer_new");

  long operations = 0;
  double start = now_seconds(), elapsed;
  if (strcmp(mode, "sign") == 0) {
    struct worker w = {signer, seconds, 0};
    sign_loop(&w);
    operations = w.operations;
  } else if (strncmp(mode, "sign-threads=", 13) == 0) {
    int threads = atoi(mode + 13);
    pthread_t ids[64];
    struct worker workers[64];
    if (threads < 1 || threads > 64) return 2;
    for (int t = 0; t < threads; t++) {
      workers[t] = (struct worker){signer, seconds, 0};
      pthread_create(&ids[t], NULL, sign_loop, &workers[t]);
    }
    for (int t = 0; t < threads; t++) {
      pthread_join(ids[t], NULL);
      operations += workers[t].operations;
    }
  } else if (strcmp(mode, "oneshot") == 0) {
    double end = start + seconds;
    do {
      for (int i = 0; i < 16; i++, operations++) {
        char *token = NULL;
        check(layer_sign_token(pem, PROVIDER_ID, KEY_ID, "user-42", "nonce", ISSUED_AT, 600, &token, &error),
              error, "layer_sign_token");
        layer_string_free(token);
      }
    } while (now_seconds() < end);
  } else if (strcmp(mode, "verify") == 0) {
    LayerVerifier *verifier = NULL;
    char *token = NULL;
    check(layer_verifier_new(pem, PROVIDER_ID, KEY_ID, 0, &verifier, &error), error, "layer_verifier_new");
    check(layer_signer_sign(signer, "user-42", "nonce", ISSUED_AT, 600, NULL, &token, &error), error,
          "layer_signer_sign");
    start = now_seconds();
    double end = start + seconds;
    do {
      for (int i = 0; i < 64; i++, operations++) {
        char *claims = NULL;
        check(layer_verifier_verify(verifier, token, "nonce", ISSUED_AT + 1, 0, &claims, &error), error,
              "layer_verifier_verify");
        layer_string_free(claims);
      }
    } while (now_seconds() < end);
    layer_string_free(token);
    layer_verifier_free(verifier);
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  elapsed = now_seconds() - start;
  printf("%s %.1f\n", mode, (double)operations / elapsed);
  layer_signer_free(signer);
  return 0;
}
