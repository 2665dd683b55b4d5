/*
 * The canary of scripts/sanitize.sh: proves that the checkers still see a defect in our code.
 * Each mode commits one defect through the library, and sanitize.sh requires reports.py to
 * count exactly one report in our code for it (--expect-ours 1), so a sanitizer that stops
 * reporting, or a sorting rule that stops calling the library "ours", fails make sanitize.
 *
 *   canary leak KEY.pem      a token the library allocated, never given to layer_string_free
 *                            (LeakSanitizer or valgrind: one definite leak, allocated by us)
 *   canary overflow KEY.pem  reads one byte past the end of that token (AddressSanitizer:
 *                            heap-buffer-overflow on memory the library allocated)
 *   canary race              two threads write one counter without a lock between their calls
 *                            into the library (ThreadSanitizer: a data race)
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer_identity.h"

#define PROVIDER_ID "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f"
#define KEY_ID "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f"

static char *sign(const char *key_path) {
  FILE *file = fopen(key_path, "rb");
  static char pem[8192];
  size_t len;
  LayerSigner *signer = NULL;
  char *token = NULL, *error = NULL;
  if (file == NULL) {
    perror(key_path);
    exit(2);
  }
  len = fread(pem, 1, sizeof pem - 1, file);
  fclose(file);
  pem[len] = '\0';
  if (layer_signer_new(pem, NULL, PROVIDER_ID, KEY_ID, 0, &signer, &error) != LAYER_OK ||
      layer_signer_sign(signer, "user-42", "nonce-abc", 0, 0, NULL, &token, &error) != LAYER_OK) {
    fprintf(stderr, "canary: %s\n", error ? error : "?");
    exit(2);
  }
  layer_signer_free(signer);
  return token;
}

static volatile long counter;

static void *race(void *arg) {
  int i;
  (void)arg;
  for (i = 0; i < 1000; i++) {
    counter = counter + (long)layer_abi_version();
  }
  return NULL;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "leak") == 0 && argc == 3) {
    char *token = sign(argv[2]);
    printf("canary: leaking a %zu-byte token\n", strlen(token));
    token = NULL;
    return 0;
  }
  if (strcmp(mode, "overflow") == 0 && argc == 3) {
    char *token = sign(argv[2]);
    size_t len = strlen(token);
    printf("canary: the byte after the token's NUL: %d\n", token[len + 1]);
    layer_string_free(token);
    return 0;
  }
  if (strcmp(mode, "race") == 0) {
    pthread_t a, b;
    pthread_create(&a, NULL, race, NULL);
    pthread_create(&b, NULL, race, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("canary: counter %ld\n", counter);
    return 0;
  }
  fprintf(stderr, "usage: canary leak|overflow KEY.pem | canary race\n");
  return 2;
}
