/*
 * Concurrency through the C ABI: THREADS threads x TOKENS tokens on ONE shared LayerSigner and
 * ONE shared LayerVerifier, started together. Every token must verify with its own nonce and
 * give exactly the claims it was signed with; every few tokens a thread also signs the same
 * inputs one-shot (the process-wide key cache, cleared now and then by thread 0) and must get
 * the identical token, and provokes a nonce mismatch whose message must name its own nonce
 * (errors are per call, never per thread or global). Then the typed claims: THREADS threads
 * mint CLAIM_TOKENS tokens each with layer_signer_sign_with, verify them with
 * layer_verifier_verify_claims on the shared verifier and read every getter of their own
 * LayerClaims; and THREADS threads read one shared LayerClaims at once. Last, ABI 3: THREADS
 * threads each take EXCHANGES requests through their own LayerExchange (the endpoint) with the
 * one shared signer, and read every answer's token back with layer_verifier_verify_n on the
 * shared verifier. Run under valgrind and ASan by run.sh.
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
/* Few: every token costs a signature, and valgrind runs the threads one at a time. */
#define CLAIM_TOKENS 5
#define SHARED_READS 200
#define EXCHANGES 5

static const char *private_pem;
static const LayerSigner *shared_signer;
static const LayerVerifier *shared_verifier;
static pthread_barrier_t start;
static const LayerClaims *shared_claims;

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

/* A getter's text equals `expected` (length included). */
static int claim_is(const char *text, size_t len, const char *expected) {
  return text != NULL && len == strlen(expected) && strcmp(text, expected) == 0;
}

/* Each thread: its own tokens with attributes and metadata, its own claims, every getter. */
static void *typed_claims_work(void *arg) {
  struct worker *w = arg;
  int i;
  pthread_barrier_wait(&start);
  for (i = 0; i < CLAIM_TOKENS; i++) {
    char user[64], nonce[64], first[64], index[16], thread[16];
    const char *names[2], *values[2];
    char *token = NULL, *error = NULL;
    LayerClaims *claims = NULL;
    LayerEit eit = LAYER_EIT_NONE;
    LayerStatus status;
    const char *text;
    size_t len = 0;
    int64_t iat = TEST_IAT + w->index * 1000 + i;
    sprintf(user, "claims-user-%d-%d", w->index, i);
    sprintf(nonce, "claims-nonce-%d-%d", w->index, i);
    sprintf(first, "Fr\xc3\xa9" "d\xc3\xa9" "ric %d", w->index);
    sprintf(index, "%d", i);
    sprintf(thread, "%d", w->index);
    /* Given unsorted: "thread" > "index". */
    names[0] = "thread";
    values[0] = thread;
    names[1] = "index";
    values[1] = index;
    status = layer_signer_sign_with(shared_signer, user, nonce, iat, 600, first, NULL, user, NULL,
                                    names, values, 2, &token, &error);
    WCHECK(w, status == LAYER_OK && token != NULL && error == NULL);
    if (status != LAYER_OK) {
      fprintf(stderr, "  sign_with: %s: %s\n", layer_status_name(status), error ? error : "");
      layer_string_free(error);
      continue;
    }
    w->tokens[i] = token;

    status = layer_verifier_verify_claims(shared_verifier, token, nonce, iat + 1, 0, &claims, &eit,
                                          &error);
    WCHECK(w, status == LAYER_OK && claims != NULL && error == NULL && eit == LAYER_EIT_NONE);
    text = layer_claims_user_id(claims, &len);
    WCHECK(w, claim_is(text, len, user));
    text = layer_claims_nonce(claims, &len);
    WCHECK(w, claim_is(text, len, nonce));
    text = layer_claims_provider_id(claims, &len);
    WCHECK(w, claim_is(text, len, TEST_PROVIDER_ID));
    WCHECK(w, layer_claims_issued_at(claims) == iat);
    WCHECK(w, layer_claims_expires_at(claims) == iat + 600);
    text = layer_claims_first_name(claims, &len);
    WCHECK(w, claim_is(text, len, first));
    len = 1;
    WCHECK(w, layer_claims_last_name(claims, &len) == NULL && len == 0);
    text = layer_claims_display_name(claims, &len);
    WCHECK(w, claim_is(text, len, user));
    WCHECK(w, layer_claims_avatar_url(claims, NULL) == NULL);
    WCHECK(w, layer_claims_metadata_count(claims) == 2);
    text = layer_claims_metadata_name(claims, 0, &len);
    WCHECK(w, claim_is(text, len, "index"));
    text = layer_claims_metadata_value(claims, 0, &len);
    WCHECK(w, claim_is(text, len, index));
    text = layer_claims_metadata_name(claims, 1, &len);
    WCHECK(w, claim_is(text, len, "thread"));
    text = layer_claims_metadata_value(claims, 1, &len);
    WCHECK(w, claim_is(text, len, thread));
    WCHECK(w, layer_claims_metadata_name(claims, 2, NULL) == NULL);
    text = layer_claims_json(claims, &len);
    WCHECK(w, text != NULL && len == strlen(text) && strstr(text, user) != NULL);
    layer_claims_free(claims);

    /* A rejection on this thread gives this thread's identifier and message. */
    claims = NULL;
    status = layer_verifier_verify_claims(shared_verifier, token, nonce, iat + 600, 0, &claims,
                                          &eit, &error);
    WCHECK(w, status == LAYER_ERR_EXPIRED && eit == LAYER_EIT_EXPIRED && claims == NULL);
    WCHECK(w, error != NULL && strncmp(error, "eit_expired: ", 13) == 0);
    WCHECK(w, ERR_peek_error() == 0);
    layer_string_free(error);
  }
  return NULL;
}

/* What the shared claims hold, read once by the main thread. */
static struct {
  const char *user, *first, *name, *value, *json;
  size_t json_len;
} shared_expected;

/* Each thread: the one shared LayerClaims, every getter, SHARED_READS times. */
static void *shared_claims_work(void *arg) {
  struct worker *w = arg;
  int i;
  pthread_barrier_wait(&start);
  for (i = 0; i < SHARED_READS; i++) {
    size_t len = 0;
    const char *text = layer_claims_user_id(shared_claims, &len);
    WCHECK(w, text == shared_expected.user && len == 7);
    text = layer_claims_first_name(shared_claims, &len);
    WCHECK(w, text == shared_expected.first && len == 5);
    text = layer_claims_metadata_name(shared_claims, 0, &len);
    WCHECK(w, text == shared_expected.name && len == 1);
    text = layer_claims_metadata_value(shared_claims, 0, &len);
    WCHECK(w, text == shared_expected.value && len == 1);
    text = layer_claims_json(shared_claims, &len);
    WCHECK(w, text == shared_expected.json && len == shared_expected.json_len);
    WCHECK(w, layer_claims_issued_at(shared_claims) == TEST_IAT);
    WCHECK(w, layer_claims_metadata_count(shared_claims) == 1);
    WCHECK(w, layer_claims_last_name(shared_claims, NULL) == NULL);
  }
  return NULL;
}

/* Starts THREADS threads on `body` and adds up their assertions. */
static void run_workers(void *(*body)(void *), struct worker *workers) {
  pthread_t threads[THREADS];
  int t;
  CHECK(pthread_barrier_init(&start, NULL, THREADS) == 0);
  for (t = 0; t < THREADS; t++) {
    memset(&workers[t], 0, sizeof workers[t]);
    workers[t].index = t;
    CHECK(pthread_create(&threads[t], NULL, body, &workers[t]) == 0);
  }
  for (t = 0; t < THREADS; t++) {
    CHECK(pthread_join(threads[t], NULL) == 0);
    ts_assertions += workers[t].assertions;
    CHECK(workers[t].failures == 0);
  }
  pthread_barrier_destroy(&start);
}

static void test_typed_claims(void) {
  struct worker workers[THREADS];
  LayerSigner *signer = NULL;
  LayerVerifier *verifier = NULL;
  LayerClaims *claims = NULL;
  char *pem = ts_key("rsa2048.pkcs8.pem"), *public_pem = NULL, *error = NULL, *token = NULL;
  static const char *const names[] = {"k"};
  static const char *const values[] = {"v"};
  int t, i;

  CHECK_OK(layer_signer_new(pem, NULL, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &signer, &error), error);
  CHECK_OK(layer_signer_public_key_pem(signer, &public_pem, &error), error);
  CHECK_OK(layer_verifier_new(public_pem, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &verifier, &error),
           error);
  if (signer == NULL || verifier == NULL) return;
  shared_signer = signer;
  shared_verifier = verifier;

  /* Every thread its own claims from the shared verifier. */
  run_workers(typed_claims_work, workers);
  for (t = 0; t < THREADS; t++) {
    for (i = 0; i < CLAIM_TOKENS; i++) {
      CHECK(workers[t].tokens[i] != NULL);
      if (workers[t].tokens[i] != NULL) ts_log_token(workers[t].tokens[i], public_pem);
      layer_string_free(workers[t].tokens[i]);
    }
  }

  /* One LayerClaims, read by every thread at once. */
  CHECK_OK(layer_signer_sign_with(signer, "user-42", "nonce-abc", TEST_IAT, 600, "Al\xc3\xa9x",
                                  NULL, NULL, NULL, names, values, 1, &token, &error),
           error);
  if (token != NULL) ts_log_token(token, public_pem);
  CHECK_OK(layer_verifier_verify_claims(verifier, token, "nonce-abc", TEST_IAT, 0, &claims, NULL,
                                        &error),
           error);
  if (claims != NULL) {
    shared_claims = claims;
    shared_expected.user = layer_claims_user_id(claims, NULL);
    shared_expected.first = layer_claims_first_name(claims, NULL);
    shared_expected.name = layer_claims_metadata_name(claims, 0, NULL);
    shared_expected.value = layer_claims_metadata_value(claims, 0, NULL);
    shared_expected.json = layer_claims_json(claims, &shared_expected.json_len);
    CHECK_STR(shared_expected.user, "user-42");
    CHECK_STR(shared_expected.first, "Al\xc3\xa9x");
    CHECK_STR(shared_expected.name, "k");
    CHECK_STR(shared_expected.value, "v");
    CHECK(shared_expected.json != NULL && shared_expected.json_len == strlen(shared_expected.json));
    run_workers(shared_claims_work, workers);
    layer_claims_free(claims);
  }
  layer_string_free(token);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
  layer_string_free(public_pem);
  free(pem);
}

/* Each thread: EXCHANGES requests through the endpoint, each token read back in one call. */
static void *exchange_work(void *arg) {
  struct worker *w = arg;
  int i;
  pthread_barrier_wait(&start);
  for (i = 0; i < EXCHANGES; i++) {
    char body[128], length[16], user[32], nonce[32];
    LayerExchange *exchange = NULL;
    LayerClaims *claims = NULL;
    const char *texts[LAYER_CLAIM_TEXT_COUNT], *user_id = NULL, *answer;
    size_t lens[LAYER_CLAIM_TEXT_COUNT], user_len = 0, answer_len = 0;
    char *error = NULL, *token;
    int written = sprintf(body, "{\"nonce\":\"n-%d-%d\",\"user_id\":\"u-%d-%d\"}", w->index,
                          i, w->index, i);
    sprintf(length, "%d", written);
    sprintf(user, "u-%d-%d", w->index, i);
    sprintf(nonce, "n-%d-%d", w->index, i);
    WCHECK(w, layer_exchange_new("POST", 4, "/identity-token", 15, "application/json", 16,
                                 length, strlen(length), &exchange, &error) == LAYER_OK);
    WCHECK(w, layer_exchange_put_body(exchange, (const unsigned char *)body, (size_t)written,
                                      &error) == LAYER_OK);
    WCHECK(w, layer_exchange_demo_user_id(exchange, &user_id, &user_len, &error) == LAYER_OK);
    WCHECK(w, layer_exchange_finish(exchange, shared_signer, LAYER_AUTH_USER, user_id, user_len,
                                    &error) == LAYER_OK);
    WCHECK(w, layer_exchange_status(exchange) == 200);
    answer = (const char *)layer_exchange_body(exchange, &answer_len);
    WCHECK(w, answer != NULL && answer_len > 21 && memcmp(answer, "{\"identity_token\":\"", 19) == 0);
    if (answer == NULL || answer_len <= 21) {
      layer_exchange_free(exchange);
      continue;
    }
    token = malloc(answer_len - 21 + 1);
    if (token == NULL) abort();
    memcpy(token, answer + 19, answer_len - 21);
    token[answer_len - 21] = '\0';
    layer_exchange_free(exchange);
    WCHECK(w, layer_verifier_verify_n(shared_verifier, token, strlen(token), nonce, strlen(nonce),
                                      0, 60, &claims, texts, lens, LAYER_CLAIM_TEXT_COUNT, NULL,
                                      NULL, &error) == LAYER_OK);
    WCHECK(w, claims != NULL && lens[LAYER_CLAIM_USER_ID] == strlen(user) &&
                  memcmp(texts[LAYER_CLAIM_USER_ID], user, strlen(user)) == 0);
    layer_claims_free(claims);
    if (error != NULL) {
      fprintf(stderr, "  [thread %d] %s\n", w->index, error);
      layer_string_free(error);
    }
    w->tokens[i] = token;
  }
  return NULL;
}

static void test_exchanges(void) {
  struct worker workers[THREADS];
  LayerSigner *signer = NULL;
  LayerVerifier *verifier = NULL;
  char *pem = ts_key("rsa2048.pkcs8.pem"), *public_pem = NULL, *error = NULL;
  int t, i;
  CHECK_OK(layer_signer_new(pem, NULL, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &signer, &error), error);
  CHECK_OK(layer_signer_public_key_pem(signer, &public_pem, &error), error);
  CHECK_OK(layer_verifier_new(public_pem, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &verifier, &error),
           error);
  if (signer == NULL || verifier == NULL) return;
  shared_signer = signer;
  shared_verifier = verifier;
  run_workers(exchange_work, workers);
  for (t = 0; t < THREADS; t++) {
    for (i = 0; i < EXCHANGES; i++) {
      CHECK(workers[t].tokens[i] != NULL);
      if (workers[t].tokens[i] != NULL) ts_log_token(workers[t].tokens[i], public_pem);
      free(workers[t].tokens[i]);
    }
  }
  layer_verifier_free(verifier);
  layer_signer_free(signer);
  layer_string_free(public_pem);
  free(pem);
}

int main(int argc, char **argv) {
  static const struct ts_case cases[] = {{"shared_signer_and_verifier", test_shared_handles},
                                         {"typed_claims", test_typed_claims},
                                         {"exchanges", test_exchanges}};
  return ts_run("test_threads", cases, sizeof cases / sizeof cases[0], argc, argv);
}
