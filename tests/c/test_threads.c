/*
 * Concurrency through the C ABI: THREADS threads x TOKENS tokens on ONE shared LayerSigner and
 * ONE shared LayerVerifier, started together. Every token must verify with its own nonce and
 * give exactly the claims it was signed with; every few tokens a thread also signs the same
 * inputs one-shot (the process-wide key cache, cleared now and then by thread 0) and must get
 * the identical token, and provokes a nonce mismatch whose message must name its own nonce
 * (errors are per call, never per thread or global). Run under valgrind and ASan by run.sh.
 */
#define _POSIX_C_SOURCE 200809L

#include <openssl/err.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer_identity.h"
#include "test_support.h"

#define THREADS 4
#define TOKENS 50

static const char *private_pem;
static const LayerSigner *shared_signer;
static const LayerVerifier *shared_verifier;
static pthread_barrier_t start;

struct worker {
  int index;
  long assertions;
  long failures;
  char *tokens[TOKENS];
};

/* Per-thread assertion: the global counters of test_support are not thread-safe. */
#define WCHECK(w, cond)                                                                     \
  do {                                                                                      \
    (w)->assertions++;                                                                      \
    if (!(cond)) {                                                                          \
      (w)->failures++;                                                                      \
      fprintf(stderr, "FAIL %s:%d [thread %d]: %s\n", __FILE__, __LINE__, (w)->index, #cond); \
    }                                                                                       \
  } while (0)

static void *work(void *arg) {
  struct worker *w = arg;
  int i;
  pthread_barrier_wait(&start);
  for (i = 0; i < TOKENS; i++) {
    char user[64], nonce[64], expected[512], fragment[96];
    char *token = NULL, *claims = NULL, *error = NULL, *one_shot = NULL;
    int64_t iat = TEST_IAT + w->index * 1000 + i;
    LayerStatus status;
    sprintf(user, "user-%d-%d", w->index, i);
    sprintf(nonce, "nonce-%d-%d", w->index, i);
    sprintf(expected,
            "{\"iss\":\"" TEST_PROVIDER_ID "\",\"prn\":\"%s\",\"iat\":%lld,\"exp\":%lld,"
            "\"nce\":\"%s\"}",
            user, (long long)iat, (long long)iat + 600, nonce);

    status = layer_signer_sign(shared_signer, user, nonce, iat, 600, NULL, &token, &error);
    WCHECK(w, status == LAYER_OK && token != NULL && error == NULL);
    if (status != LAYER_OK) {
      fprintf(stderr, "  sign: %s: %s\n", layer_status_name(status), error ? error : "");
      layer_string_free(error);
      continue;
    }
    w->tokens[i] = token;

    status = layer_verifier_verify(shared_verifier, token, nonce, iat + 1, 0, &claims, &error);
    WCHECK(w, status == LAYER_OK && error == NULL);
    WCHECK(w, claims != NULL && strcmp(claims, expected) == 0);
    layer_string_free(claims);
    layer_string_free(error);
    error = NULL;

    if (i % 10 == 0) {
      if (w->index == 0) layer_key_cache_clear();
      status = layer_sign_token(private_pem, TEST_PROVIDER_ID, TEST_KEY_ID, user, nonce, iat, 600,
                                &one_shot, &error);
      WCHECK(w, status == LAYER_OK && error == NULL);
      WCHECK(w, one_shot != NULL && strcmp(one_shot, token) == 0);
      layer_string_free(one_shot);
      layer_string_free(error);
      error = NULL;

      claims = ts_sentinel_string;
      status = layer_verifier_verify(shared_verifier, token, "someone-else", iat, 0, &claims,
                                     &error);
      sprintf(fragment, "eit_nonce_not_found: nce \"%s\"", nonce);
      WCHECK(w, status == LAYER_ERR_CLAIM_MISMATCH);
      WCHECK(w, claims == ts_sentinel_string);
      WCHECK(w, error != NULL && strncmp(error, fragment, strlen(fragment)) == 0);
      WCHECK(w, ERR_peek_error() == 0);
      layer_string_free(error);
    }
  }
  return NULL;
}

static void test_shared_handles(void) {
  struct worker workers[THREADS];
  pthread_t threads[THREADS];
  LayerSigner *signer = NULL;
  LayerVerifier *verifier = NULL;
  char *pem = ts_key("rsa2048.pkcs8.pem"), *public_pem = NULL, *error = NULL;
  int t, i, j, distinct = 1;

  private_pem = pem;
  CHECK_OK(layer_signer_new(pem, NULL, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &signer, &error), error);
  CHECK_OK(layer_signer_public_key_pem(signer, &public_pem, &error), error);
  CHECK_OK(layer_verifier_new(public_pem, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &verifier, &error),
           error);
  if (signer == NULL || verifier == NULL) return;
  shared_signer = signer;
  shared_verifier = verifier;

  CHECK(pthread_barrier_init(&start, NULL, THREADS) == 0);
  for (t = 0; t < THREADS; t++) {
    memset(&workers[t], 0, sizeof workers[t]);
    workers[t].index = t;
    CHECK(pthread_create(&threads[t], NULL, work, &workers[t]) == 0);
  }
  for (t = 0; t < THREADS; t++) {
    CHECK(pthread_join(threads[t], NULL) == 0);
    ts_assertions += workers[t].assertions;
    CHECK(workers[t].failures == 0);
  }
  pthread_barrier_destroy(&start);

  /* Every token was minted, all differ, and all verify once more from the main thread. */
  for (t = 0; t < THREADS; t++) {
    for (i = 0; i < TOKENS; i++) {
      char *token = workers[t].tokens[i], *claims = NULL;
      if (!CHECK(token != NULL)) continue;
      ts_log_token(token, public_pem);
      CHECK_OK(layer_verifier_verify(verifier, token, NULL, TEST_IAT + t * 1000 + i, 0, &claims,
                                     &error),
               error);
      layer_string_free(claims);
      for (j = 0; j < i; j++) {
        if (workers[t].tokens[j] && strcmp(workers[t].tokens[j], token) == 0) distinct = 0;
      }
    }
  }
  CHECK(distinct);
  for (t = 0; t < THREADS; t++) {
    for (i = 0; i < TOKENS; i++) layer_string_free(workers[t].tokens[i]);
  }
  layer_verifier_free(verifier);
  layer_signer_free(signer);
  layer_string_free(public_pem);
  free(pem);
}

int main(int argc, char **argv) {
  static const struct ts_case cases[] = {{"shared_signer_and_verifier", test_shared_handles}};
  return ts_run("test_threads", cases, 1, argc, argv);
}
