/*
 * C ABI tests for the pointer-and-length functions of ABI 3: layer_sign_token_n,
 * layer_signer_new_n, layer_signer_sign_n, layer_verifier_new_n, layer_verifier_verify_n,
 * layer_token_inspect_n and layer_token_type_flags. They take texts as pointer and length, so
 * the core itself refuses U+0000 and invalid UTF-8 (naming the argument) and every binding can
 * drop its own checks; keys and passphrases are bytes (raw DER too); times are int64_t with 0
 * for now and negatives refused. Same conventions as test_tokens.c: exact statuses and bytes,
 * out-parameters untouched on failure (sentinels), every message freed, OpenSSL's error queue
 * empty. Run by tests/c/run.sh under valgrind and ASan+UBSan; the tokens minted here are
 * logged and verified again by the openssl CLI and PyJWT.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layer_identity.h"
#include "test_support.h"

#define USER "user-42"
#define NONCE "nonce-abc"
/* A literal as pointer and length. */
#define S(text) (text), (sizeof(text) - 1)

static char *key_pkcs8;  /* rsa2048.pkcs8.pem */
static char *key_public; /* rsa2048.public.pem */
static unsigned char *key_der; /* rsa2048.pkcs8.pem as raw DER, made by run.sh */
static size_t key_der_len;
static char *key_encrypted; /* rsa2048.pkcs8.encrypted.pem, TEST_PASSPHRASE */

static union {
  void *align_ptr;
  char bytes[8];
} claims_storage;
static LayerClaims *const sentinel_claims = (LayerClaims *)(void *)&claims_storage;
#define EIT_SENTINEL ((LayerEit)-7)

/* ---------------------------------------------------------------- helpers */

static size_t len_of(const char *text) {
  return text == NULL ? 0 : strlen(text);
}

static LayerSigner *new_signer_n(const char *pem, uint32_t flags) {
  LayerSigner *signer = NULL;
  char *error = NULL;
  CHECK_OK(layer_signer_new_n((const uint8_t *)pem, strlen(pem), NULL, 0, S(TEST_PROVIDER_ID),
                              S(TEST_KEY_ID), flags, &signer, &error),
           error);
  return signer;
}

static LayerVerifier *new_verifier_n(const char *pem) {
  LayerVerifier *verifier = NULL;
  char *error = NULL;
  CHECK_OK(layer_verifier_new_n((const uint8_t *)pem, strlen(pem), S(TEST_PROVIDER_ID),
                                S(TEST_KEY_ID), 0, &verifier, &error),
           error);
  return verifier;
}

/* layer_signer_sign_n with NUL-terminated attributes (NULL: absent) and no metadata. */
static LayerStatus sign_n(const LayerSigner *signer, const char *user, const char *nonce,
                          int64_t issued_at, int64_t ttl, const char *const attributes[4],
                          char **token, char **error) {
  size_t lens[LAYER_ATTRIBUTE_COUNT] = {0};
  size_t i;
  if (attributes != NULL) {
    for (i = 0; i < LAYER_ATTRIBUTE_COUNT; i++) lens[i] = len_of(attributes[i]);
  }
  return layer_signer_sign_n(signer, user, len_of(user), nonce, len_of(nonce), issued_at, ttl,
                             attributes, attributes ? lens : NULL, NULL, NULL, NULL, NULL, 0,
                             token, error);
}

/* The claims JSON of a token (malloc'd), decoded without verifying it. */
static char *claims_of(const char *token) {
  const char *dot = strchr(token, '.');
  const char *second = dot ? strchr(dot + 1, '.') : NULL;
  size_t len;
  if (second == NULL) return ts_strdup("");
  return ts_b64url_decode(dot + 1, (size_t)(second - dot - 1), &len);
}

/* A failed call left `*error` with a message naming `argument`, and mentioning `fragment`. */
#define CHECK_REFUSED(call, status, error, argument, fragment)                   \
  do {                                                                           \
    LayerStatus refused_ = (call);                                               \
    CHECK_STATUS(refused_, (status));                                            \
    if (CHECK((error) != NULL)) {                                                \
      CHECK_CONTAINS((error), (argument));                                       \
      CHECK_CONTAINS((error), (fragment));                                       \
    }                                                                            \
    layer_string_free(error);                                                    \
    (error) = NULL;                                                              \
  } while (0)

/* ---------------------------------------------------------------- cases */

static void test_abi_version_is_3(void) {
  CHECK(LAYER_ABI_VERSION == 3);
  CHECK(layer_abi_version() == LAYER_ABI_VERSION);
}

/* The _n functions mint exactly the tokens of the NUL-terminated ones. */
static void test_n_functions_equal_the_nul_terminated_ones(void) {
  LayerSigner *signer = new_signer_n(key_pkcs8, 0), *classic = NULL;
  char *a = NULL, *b = NULL, *error = NULL;
  const char *const attributes[4] = {"Ada", "Lovelace", "Ada L.", "https://example.com/a.png"};
  static const char *const names[] = {"team", "role"};
  static const char *const values[] = {"engines", "analyst"};
  size_t name_lens[2], value_lens[2], attribute_lens[4];
  size_t i;

  CHECK_OK(layer_sign_token(key_pkcs8, TEST_PROVIDER_ID, TEST_KEY_ID, USER, NONCE, TEST_IAT, 600,
                            &a, &error),
           error);
  CHECK_OK(layer_sign_token_n((const uint8_t *)key_pkcs8, strlen(key_pkcs8), S(TEST_PROVIDER_ID),
                              S(TEST_KEY_ID), S(USER), S(NONCE), TEST_IAT, 600, &b, &error),
           error);
  CHECK_STR(b, a);
  ts_log_token(b, key_public);
  layer_string_free(a);
  layer_string_free(b);
  a = b = NULL;

  CHECK_OK(layer_signer_new(key_pkcs8, NULL, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &classic, &error),
           error);
  CHECK_OK(layer_signer_sign_with(classic, USER, NONCE, TEST_IAT, 0, attributes[0],
                                  attributes[1], attributes[2], attributes[3], names, values, 2,
                                  &a, &error),
           error);
  for (i = 0; i < 2; i++) {
    name_lens[i] = strlen(names[i]);
    value_lens[i] = strlen(values[i]);
  }
  for (i = 0; i < 4; i++) attribute_lens[i] = strlen(attributes[i]);
  CHECK_OK(layer_signer_sign_n(signer, S(USER), S(NONCE), TEST_IAT, 0, attributes,
                               attribute_lens, names, name_lens, values, value_lens, 2, &b,
                               &error),
           error);
  CHECK_STR(b, a);
  ts_log_token(b, key_public);
  layer_string_free(a);
  layer_string_free(b);
  layer_signer_free(classic);
  layer_signer_free(signer);
}

/* Lengths are honoured: nothing after them is read, and no terminator is needed. */
static void test_texts_end_at_their_length(void) {
  LayerSigner *signer = new_signer_n(key_pkcs8, 0);
  LayerVerifier *verifier = new_verifier_n(key_public);
  char buffer[] = "user-42|and more that is not the user ID";
  char *user = malloc(7), *nonce = malloc(9), *token = NULL, *error = NULL, *claims;
  if (user == NULL || nonce == NULL) abort();
  memcpy(user, "user-42", 7);   /* no NUL after it: ASan and valgrind watch the read */
  memcpy(nonce, "nonce-abc", 9);
  CHECK_OK(layer_signer_sign_n(signer, user, 7, nonce, 9, TEST_IAT, 600, NULL, NULL, NULL, NULL,
                               NULL, NULL, 0, &token, &error),
           error);
  claims = claims_of(token);
  CHECK_CONTAINS(claims, "\"prn\":\"user-42\",");
  CHECK_CONTAINS(claims, "\"nce\":\"nonce-abc\"}");
  free(claims);
  layer_string_free(token);
  token = NULL;
  CHECK_OK(layer_signer_sign_n(signer, buffer, 7, S(NONCE), TEST_IAT, 600, NULL, NULL, NULL,
                               NULL, NULL, NULL, 0, &token, &error),
           error);
  claims = claims_of(token);
  CHECK_CONTAINS(claims, "\"prn\":\"user-42\",");
  free(claims);
  ts_log_token(token, key_public);
  {
    LayerClaims *read = NULL;
    const char *texts[LAYER_CLAIM_TEXT_COUNT];
    size_t lens[LAYER_CLAIM_TEXT_COUNT];
    char *copy = ts_concat(token, "trailing", (const char *)NULL);
    CHECK_OK(layer_verifier_verify_n(verifier, copy, strlen(token), nonce, 9, TEST_IAT, 0, &read,
                                     texts, lens, LAYER_CLAIM_TEXT_COUNT, NULL, NULL, &error),
             error);
    CHECK(lens[LAYER_CLAIM_USER_ID] == 7 && memcmp(texts[LAYER_CLAIM_USER_ID], "user-42", 7) == 0);
    layer_claims_free(read);
    free(copy);
  }
  layer_string_free(token);
  free(user);
  free(nonce);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
}

/* Keys cross as bytes: raw DER works, as does an encrypted PEM with its passphrase bytes. */
static void test_keys_are_bytes(void) {
  LayerSigner *from_der = NULL, *from_pem = new_signer_n(key_pkcs8, 0), *encrypted = NULL;
  LayerVerifier *verifier = NULL;
  char *a = NULL, *b = NULL, *error = NULL;
  CHECK_OK(layer_signer_new_n(key_der, key_der_len, NULL, 0, S(TEST_PROVIDER_ID), S(TEST_KEY_ID),
                              0, &from_der, &error),
           error);
  CHECK_OK(sign_n(from_der, USER, NONCE, TEST_IAT, 600, NULL, &a, &error), error);
  CHECK_OK(sign_n(from_pem, USER, NONCE, TEST_IAT, 600, NULL, &b, &error), error);
  CHECK_STR(a, b);
  layer_string_free(b);
  b = NULL;
  CHECK_OK(layer_verifier_new_n(key_der, key_der_len, S(TEST_PROVIDER_ID), S(TEST_KEY_ID), 0,
                                &verifier, &error),
           error);
  {
    LayerClaims *claims = NULL;
    CHECK_OK(layer_verifier_verify_n(verifier, a, strlen(a), S(NONCE), TEST_IAT, 0, &claims,
                                     NULL, NULL, 0, NULL, NULL, &error),
             error);
    layer_claims_free(claims);
  }
  CHECK_OK(layer_signer_new_n((const uint8_t *)key_encrypted, strlen(key_encrypted),
                              (const uint8_t *)S(TEST_PASSPHRASE), S(TEST_PROVIDER_ID),
                              S(TEST_KEY_ID), 0, &encrypted, &error),
           error);
  CHECK_OK(sign_n(encrypted, USER, NONCE, TEST_IAT, 600, NULL, &b, &error), error);
  CHECK_STR(b, a);
  layer_string_free(b);
  b = NULL;
  {
    /* The passphrase is bytes: its length, not a NUL, ends it. */
    static const uint8_t longer[] = "correct horse battery staple!";
    LayerSigner *wrong = ts_sentinel_signer;
    CHECK_ERROR(layer_signer_new_n((const uint8_t *)key_encrypted, strlen(key_encrypted), longer,
                                   sizeof longer - 1, S(TEST_PROVIDER_ID), S(TEST_KEY_ID), 0,
                                   &wrong, &error),
                LAYER_ERR_WRONG_PASSPHRASE, error, "passphrase");
    CHECK(wrong == ts_sentinel_signer);
    CHECK_OK(layer_signer_new_n((const uint8_t *)key_encrypted, strlen(key_encrypted), longer,
                                sizeof longer - 2, S(TEST_PROVIDER_ID), S(TEST_KEY_ID), 0, &wrong,
                                &error),
             error);
    layer_signer_free(wrong);
  }
  layer_string_free(a);
  layer_verifier_free(verifier);
  layer_signer_free(encrypted);
  layer_signer_free(from_pem);
  layer_signer_free(from_der);
}

/* U+0000 in any text is refused by the core, naming the argument. */
static void test_u0000_is_refused_naming_the_argument(void) {
  LayerSigner *signer = new_signer_n(key_pkcs8, 0), *out_signer = ts_sentinel_signer;
  LayerVerifier *verifier = new_verifier_n(key_public), *out_verifier = ts_sentinel_verifier;
  LayerClaims *claims = sentinel_claims;
  LayerEit eit = EIT_SENTINEL;
  char *token = ts_sentinel_string, *header = ts_sentinel_string, *error = NULL, *good = NULL;
  static const char user_nul[] = "user\0-42", pid_nul[] = TEST_PROVIDER_ID "\0";
  static const char kid_nul[] = "\0" TEST_KEY_ID;
  uint32_t flags = 77;
  static const char *const attribute_names[4] = {"first_name", "last_name", "display_name",
                                                 "avatar_url"};
  size_t i;

  CHECK_REFUSED(layer_sign_token_n((const uint8_t *)key_pkcs8, strlen(key_pkcs8), S(TEST_PROVIDER_ID),
                                   S(TEST_KEY_ID), user_nul, sizeof user_nul - 1, S(NONCE),
                                   TEST_IAT, 0, &token, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "user_id", "U+0000");
  CHECK_REFUSED(layer_sign_token_n((const uint8_t *)key_pkcs8, strlen(key_pkcs8), pid_nul,
                                   sizeof pid_nul - 1, S(TEST_KEY_ID), S(USER), S(NONCE),
                                   TEST_IAT, 0, &token, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "provider_id", "U+0000");
  CHECK_REFUSED(layer_signer_new_n((const uint8_t *)key_pkcs8, strlen(key_pkcs8), NULL, 0,
                                   S(TEST_PROVIDER_ID), kid_nul, sizeof kid_nul - 1, 0,
                                   &out_signer, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "key_id", "U+0000");
  CHECK_REFUSED(layer_signer_sign_n(signer, S(USER), "non\0ce", 6, TEST_IAT, 0, NULL, NULL, NULL,
                                    NULL, NULL, NULL, 0, &token, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "nonce", "U+0000");
  for (i = 0; i < LAYER_ATTRIBUTE_COUNT; i++) {
    const char *attributes[4] = {NULL, NULL, NULL, NULL};
    size_t lens[4] = {0, 0, 0, 0};
    attributes[i] = "A\0da";
    lens[i] = 4;
    CHECK_REFUSED(layer_signer_sign_n(signer, S(USER), S(NONCE), TEST_IAT, 0, attributes, lens,
                                      NULL, NULL, NULL, NULL, 0, &token, &error),
                  LAYER_ERR_INVALID_ARGUMENT, error, attribute_names[i], "U+0000");
  }
  {
    const char *names[1] = {"te\0am"}, *values[1] = {"x"};
    size_t name_lens[1] = {5}, value_lens[1] = {1};
    CHECK_REFUSED(layer_signer_sign_n(signer, S(USER), S(NONCE), TEST_IAT, 0, NULL, NULL, names,
                                      name_lens, values, value_lens, 1, &token, &error),
                  LAYER_ERR_INVALID_ARGUMENT, error, "metadata_names[0]", "U+0000");
    names[0] = "team";
    name_lens[0] = 4;
    values[0] = "a\0b";
    value_lens[0] = 3;
    CHECK_REFUSED(layer_signer_sign_n(signer, S(USER), S(NONCE), TEST_IAT, 0, NULL, NULL, names,
                                      name_lens, values, value_lens, 1, &token, &error),
                  LAYER_ERR_INVALID_ARGUMENT, error, "metadata_values[0]", "U+0000");
  }
  CHECK(token == ts_sentinel_string && out_signer == ts_sentinel_signer);

  CHECK_REFUSED(layer_verifier_new_n((const uint8_t *)key_public, strlen(key_public), pid_nul,
                                     sizeof pid_nul - 1, S(TEST_KEY_ID), 0, &out_verifier,
                                     &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "provider_id", "U+0000");
  CHECK(out_verifier == ts_sentinel_verifier);
  CHECK_OK(sign_n(signer, USER, NONCE, TEST_IAT, 600, NULL, &good, &error), error);
  CHECK_REFUSED(layer_verifier_verify_n(verifier, good, strlen(good), "nonce\0abc", 9, TEST_IAT,
                                        0, &claims, NULL, NULL, 0, NULL, &eit, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "expected_nonce", "U+0000");
  CHECK(eit == LAYER_EIT_NONE && claims == sentinel_claims);
  {
    char *with_nul = ts_strdup(good);
    with_nul[10] = '\0';
    eit = EIT_SENTINEL;
    CHECK_REFUSED(layer_verifier_verify_n(verifier, with_nul, strlen(good), S(NONCE), TEST_IAT,
                                          0, &claims, NULL, NULL, 0, NULL, &eit, &error),
                  LAYER_ERR_INVALID_ARGUMENT, error, "token", "U+0000");
    CHECK_REFUSED(layer_token_inspect_n(with_nul, strlen(good), &header, &token, &error),
                  LAYER_ERR_INVALID_ARGUMENT, error, "token", "U+0000");
    free(with_nul);
  }
  CHECK(header == ts_sentinel_string && token == ts_sentinel_string);
  CHECK_REFUSED(layer_token_type_flags("JWT\0", 4, &flags, &error), LAYER_ERR_INVALID_ARGUMENT,
                error, "token_type", "U+0000");
  CHECK(flags == 77);
  layer_string_free(good);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
}

/* Bytes that are not UTF-8 (a lone surrogate as some runtimes encode it, a stray byte) are
 * refused with LAYER_ERR_INVALID_UTF8, naming the argument: never replaced, never re-encoded. */
static void test_invalid_utf8_is_refused_naming_the_argument(void) {
  LayerSigner *signer = new_signer_n(key_pkcs8, 0);
  LayerVerifier *verifier = new_verifier_n(key_public);
  LayerClaims *claims = sentinel_claims;
  char *token = ts_sentinel_string, *error = NULL, *good = NULL;
  static const char surrogate[] = "alice\xed\xb3\x83\xed\xb2\xa9"; /* "\udcc3\udca9" */
  static const char stray[] = "caf\xe9";
  const char *attributes[4] = {NULL, NULL, surrogate, NULL};
  size_t lens[4] = {0, 0, sizeof surrogate - 1, 0};

  CHECK_REFUSED(layer_signer_sign_n(signer, surrogate, sizeof surrogate - 1, S(NONCE), TEST_IAT,
                                    0, NULL, NULL, NULL, NULL, NULL, NULL, 0, &token, &error),
                LAYER_ERR_INVALID_UTF8, error, "user_id", "offset 5");
  CHECK_REFUSED(layer_signer_sign_n(signer, S(USER), stray, sizeof stray - 1, TEST_IAT, 0, NULL,
                                    NULL, NULL, NULL, NULL, NULL, 0, &token, &error),
                LAYER_ERR_INVALID_UTF8, error, "nonce", "offset 3");
  CHECK_REFUSED(layer_signer_sign_n(signer, S(USER), S(NONCE), TEST_IAT, 0, attributes, lens,
                                    NULL, NULL, NULL, NULL, 0, &token, &error),
                LAYER_ERR_INVALID_UTF8, error, "display_name", "UTF-8");
  CHECK(token == ts_sentinel_string);
  CHECK_OK(sign_n(signer, USER, NONCE, TEST_IAT, 600, NULL, &good, &error), error);
  CHECK_REFUSED(layer_verifier_verify_n(verifier, good, strlen(good), surrogate,
                                        sizeof surrogate - 1, TEST_IAT, 0, &claims, NULL, NULL, 0,
                                        NULL, NULL, &error),
                LAYER_ERR_INVALID_UTF8, error, "expected_nonce", "UTF-8");
  CHECK(claims == sentinel_claims);
  layer_string_free(good);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
}

static void test_null_arguments(void) {
  LayerSigner *signer = new_signer_n(key_pkcs8, 0), *out_signer = ts_sentinel_signer;
  LayerVerifier *verifier = new_verifier_n(key_public);
  LayerClaims *claims = sentinel_claims;
  char *token = ts_sentinel_string, *error = NULL;
  const char *attributes[4] = {"Ada", NULL, NULL, NULL};
  uint32_t flags = 0;

  CHECK_REFUSED(layer_sign_token_n(NULL, 5, S(TEST_PROVIDER_ID), S(TEST_KEY_ID), S(USER),
                                   S(NONCE), 0, 0, &token, &error),
                LAYER_ERR_NULL_ARGUMENT, error, "private_key", "NULL");
  CHECK_REFUSED(layer_sign_token_n((const uint8_t *)key_pkcs8, strlen(key_pkcs8), S(TEST_PROVIDER_ID),
                                   S(TEST_KEY_ID), S(USER), S(NONCE), 0, 0, NULL, &error),
                LAYER_ERR_NULL_ARGUMENT, error, "out_token", "NULL");
  CHECK_REFUSED(layer_signer_new_n((const uint8_t *)key_pkcs8, strlen(key_pkcs8), NULL, 0, NULL,
                                   0, S(TEST_KEY_ID), 0, &out_signer, &error),
                LAYER_ERR_NULL_ARGUMENT, error, "provider_id", "NULL");
  CHECK_REFUSED(layer_signer_sign_n(NULL, S(USER), S(NONCE), 0, 0, NULL, NULL, NULL, NULL, NULL,
                                    NULL, 0, &token, &error),
                LAYER_ERR_NULL_ARGUMENT, error, "signer", "NULL");
  CHECK_REFUSED(layer_signer_sign_n(signer, NULL, 0, S(NONCE), 0, 0, NULL, NULL, NULL, NULL, NULL,
                                    NULL, 0, &token, &error),
                LAYER_ERR_NULL_ARGUMENT, error, "user_id", "NULL");
  CHECK_REFUSED(layer_signer_sign_n(signer, S(USER), S(NONCE), 0, 0, attributes, NULL, NULL, NULL,
                                    NULL, NULL, 0, &token, &error),
                LAYER_ERR_NULL_ARGUMENT, error, "first_name", "NULL");
  CHECK_REFUSED(layer_signer_sign_n(signer, S(USER), S(NONCE), 0, 0, NULL, NULL, NULL, NULL, NULL,
                                    NULL, 1, &token, &error),
                LAYER_ERR_NULL_ARGUMENT, error, "metadata_names", "NULL");
  {
    const char *names[1] = {NULL}, *values[1] = {"v"};
    size_t name_lens[1] = {0}, value_lens[1] = {1};
    CHECK_REFUSED(layer_signer_sign_n(signer, S(USER), S(NONCE), 0, 0, NULL, NULL, names,
                                      name_lens, values, value_lens, 1, &token, &error),
                  LAYER_ERR_NULL_ARGUMENT, error, "metadata_names[0]", "NULL");
  }
  CHECK(token == ts_sentinel_string && out_signer == ts_sentinel_signer);
  CHECK_REFUSED(layer_verifier_verify_n(verifier, NULL, 0, NULL, 0, 0, 0, &claims, NULL, NULL, 0,
                                        NULL, NULL, &error),
                LAYER_ERR_NULL_ARGUMENT, error, "token", "NULL");
  CHECK_REFUSED(layer_verifier_verify_n(verifier, S("a.b.c"), NULL, 0, 0, 0, NULL, NULL, NULL, 0,
                                        NULL, NULL, &error),
                LAYER_ERR_NULL_ARGUMENT, error, "out_claims", "NULL");
  CHECK_REFUSED(layer_token_type_flags(NULL, 0, &flags, &error), LAYER_ERR_NULL_ARGUMENT, error,
                "token_type", "NULL");
  CHECK_REFUSED(layer_token_type_flags(S("JWT"), NULL, &error), LAYER_ERR_NULL_ARGUMENT, error,
                "out_flags", "NULL");
  CHECK(claims == sentinel_claims);
  /* A NULL out_error is fine: the status alone reports the failure. */
  CHECK_STATUS(layer_signer_sign_n(signer, NULL, 0, S(NONCE), 0, 0, NULL, NULL, NULL, NULL, NULL,
                                   NULL, 0, &token, NULL),
               LAYER_ERR_NULL_ARGUMENT);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
}

/* 0 is now (or 600 s); a negative time is refused, never read as now. */
static void test_times(void) {
  LayerSigner *signer = new_signer_n(key_pkcs8, 0);
  LayerVerifier *verifier = new_verifier_n(key_public);
  LayerClaims *claims = NULL;
  char *token = NULL, *error = NULL, *json;
  int64_t times[2] = {0, 0};
  time_t before = time(NULL);

  CHECK_OK(sign_n(signer, USER, NONCE, 0, 0, NULL, &token, &error), error);
  json = claims_of(token);
  CHECK(ts_json_int(json, "iat") >= (long long)before &&
        ts_json_int(json, "iat") <= (long long)time(NULL) + 1);
  CHECK(ts_json_int(json, "exp") - ts_json_int(json, "iat") == LAYER_DEFAULT_TTL_SECONDS);
  free(json);
  CHECK_OK(layer_verifier_verify_n(verifier, token, strlen(token), S(NONCE), 0, 0, &claims, NULL,
                                   NULL, 0, times, NULL, &error),
           error);
  CHECK(times[1] - times[0] == 600);
  layer_claims_free(claims);
  claims = NULL;
  ts_log_token(token, key_public);
  layer_string_free(token);
  token = NULL;

  CHECK_REFUSED(sign_n(signer, USER, NONCE, -1, 0, NULL, &token, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "issued_at", "negative");
  CHECK_REFUSED(sign_n(signer, USER, NONCE, INT64_MIN, 0, NULL, &token, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "issued_at", "negative");
  CHECK_REFUSED(sign_n(signer, USER, NONCE, TEST_IAT, -600, NULL, &token, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "ttl_seconds", "negative");
  CHECK_REFUSED(sign_n(signer, USER, NONCE, TEST_IAT, (int64_t)UINT32_MAX + 1, NULL, &token,
                       &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "ttl_seconds", "136 years");
  CHECK_REFUSED(sign_n(signer, USER, NONCE, TEST_IAT * 1000, 0, NULL, &token, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "issued_at", "milliseconds");
  CHECK_REFUSED(layer_sign_token_n((const uint8_t *)key_pkcs8, strlen(key_pkcs8), S(TEST_PROVIDER_ID),
                                   S(TEST_KEY_ID), S(USER), S(NONCE), -5, 0, &token, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "issued_at", "negative");
  CHECK(token == NULL);

  CHECK_OK(sign_n(signer, USER, NONCE, TEST_IAT, 60, NULL, &token, &error), error);
  CHECK_REFUSED(layer_verifier_verify_n(verifier, token, strlen(token), S(NONCE), -1, 0, &claims,
                                        NULL, NULL, 0, NULL, NULL, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "now", "negative");
  CHECK_REFUSED(layer_verifier_verify_n(verifier, token, strlen(token), S(NONCE), TEST_IAT, -1,
                                        &claims, NULL, NULL, 0, NULL, NULL, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "leeway_seconds", "negative");
  /* The ABI 2 function keeps reading a negative now as the clock, for C users. */
  {
    char *claims_json = NULL;
    CHECK_ERROR(layer_verifier_verify(verifier, token, NONCE, -1, 0, &claims_json, &error),
                LAYER_ERR_EXPIRED, error, "eit_expired");
  }
  /* Leeway: 60 s of grace past exp. */
  CHECK_OK(layer_verifier_verify_n(verifier, token, strlen(token), S(NONCE), TEST_IAT + 100, 60,
                                   &claims, NULL, NULL, 0, NULL, NULL, &error),
           error);
  layer_claims_free(claims);
  ts_log_token(token, key_public);
  layer_string_free(token);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
}

static void test_expected_nonce(void) {
  LayerSigner *signer = new_signer_n(key_pkcs8, 0);
  LayerVerifier *verifier = new_verifier_n(key_public);
  LayerClaims *claims = sentinel_claims;
  LayerEit eit = EIT_SENTINEL;
  char *token = NULL, *error = NULL;
  CHECK_OK(sign_n(signer, USER, NONCE, TEST_IAT, 600, NULL, &token, &error), error);
  /* Empty is refused, so that a missing value cannot switch the check off. */
  CHECK_REFUSED(layer_verifier_verify_n(verifier, token, strlen(token), "", 0, TEST_IAT, 0,
                                        &claims, NULL, NULL, 0, NULL, &eit, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "expected_nonce", "skip");
  CHECK(claims == sentinel_claims && eit == LAYER_EIT_NONE);
  eit = EIT_SENTINEL;
  CHECK_ERROR(layer_verifier_verify_n(verifier, token, strlen(token), S("another"), TEST_IAT, 0,
                                      &claims, NULL, NULL, 0, NULL, &eit, &error),
              LAYER_ERR_CLAIM_MISMATCH, error, "eit_nonce_not_found");
  CHECK(eit == LAYER_EIT_NONCE_NOT_FOUND && claims == sentinel_claims);
  /* NULL skips the check. */
  CHECK_OK(layer_verifier_verify_n(verifier, token, strlen(token), NULL, 0, TEST_IAT, 0, &claims,
                                   NULL, NULL, 0, NULL, &eit, &error),
           error);
  CHECK(eit == LAYER_EIT_NONCE_NOT_FOUND); /* untouched on success */
  layer_claims_free(claims);
  layer_string_free(token);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
}

/* An empty attribute is absent: the same token as without it. */
static void test_empty_attributes_are_absent(void) {
  LayerSigner *signer = new_signer_n(key_pkcs8, 0);
  const char *const empty[4] = {"", "Lovelace", "", ""};
  const char *const only[4] = {NULL, "Lovelace", NULL, NULL};
  char *a = NULL, *b = NULL, *error = NULL, *json;
  CHECK_OK(sign_n(signer, USER, NONCE, TEST_IAT, 600, empty, &a, &error), error);
  CHECK_OK(sign_n(signer, USER, NONCE, TEST_IAT, 600, only, &b, &error), error);
  CHECK_STR(a, b);
  json = claims_of(a);
  CHECK(strstr(json, "first_name") == NULL && strstr(json, "\"last_name\":\"Lovelace\"") != NULL);
  free(json);
  layer_string_free(a);
  layer_string_free(b);
  layer_signer_free(signer);
}

/* One call verifies and reads every claim. */
static void test_verify_n_reads_every_claim(void) {
  LayerSigner *signer = new_signer_n(key_pkcs8, 0);
  LayerVerifier *verifier = new_verifier_n(key_public);
  LayerClaims *claims = NULL;
  const char *attributes[4] = {"Ada", NULL, "Ada \xe2\x80\x94 L.", "https://e.x/a.png"};
  size_t attribute_lens[4] = {3, 0, 10, 17};
  const char *names[2] = {"z", "a\"b"}, *values[2] = {"1", "x\ny"};
  size_t name_lens[2] = {1, 3}, value_lens[2] = {1, 3};
  const char *texts[LAYER_CLAIM_TEXT_COUNT + 1];
  size_t lens[LAYER_CLAIM_TEXT_COUNT + 1];
  int64_t times[2] = {0, 0};
  char *token = NULL, *error = NULL;
  size_t json_len = 0;
  const char *json;

  CHECK_OK(layer_signer_sign_n(signer, S(USER), S(NONCE), TEST_IAT, 0, attributes, attribute_lens,
                               names, name_lens, values, value_lens, 2, &token, &error),
           error);
  ts_log_token(token, key_public);
  texts[LAYER_CLAIM_TEXT_COUNT] = "untouched";
  lens[LAYER_CLAIM_TEXT_COUNT] = 12345;
  /* A larger count than the library knows is fine: only LAYER_CLAIM_TEXT_COUNT are written. */
  CHECK_OK(layer_verifier_verify_n(verifier, token, strlen(token), S(NONCE), TEST_IAT, 60,
                                   &claims, texts, lens, LAYER_CLAIM_TEXT_COUNT + 1, times, NULL,
                                   &error),
           error);
  CHECK(lens[LAYER_CLAIM_PROVIDER_ID] == strlen(TEST_PROVIDER_ID) &&
        memcmp(texts[LAYER_CLAIM_PROVIDER_ID], TEST_PROVIDER_ID, strlen(TEST_PROVIDER_ID)) == 0);
  CHECK(lens[LAYER_CLAIM_USER_ID] == 7 && memcmp(texts[LAYER_CLAIM_USER_ID], USER, 7) == 0);
  CHECK(lens[LAYER_CLAIM_NONCE] == 9 && memcmp(texts[LAYER_CLAIM_NONCE], NONCE, 9) == 0);
  CHECK(lens[LAYER_CLAIM_FIRST_NAME] == 3 && memcmp(texts[LAYER_CLAIM_FIRST_NAME], "Ada", 3) == 0);
  CHECK(texts[LAYER_CLAIM_LAST_NAME] == NULL && lens[LAYER_CLAIM_LAST_NAME] == 0);
  CHECK(lens[LAYER_CLAIM_DISPLAY_NAME] == 10 &&
        memcmp(texts[LAYER_CLAIM_DISPLAY_NAME], attributes[2], 10) == 0);
  CHECK(lens[LAYER_CLAIM_AVATAR_URL] == 17);
  json = layer_claims_json(claims, &json_len);
  CHECK(texts[LAYER_CLAIM_JSON] == json && lens[LAYER_CLAIM_JSON] == json_len);
  CHECK_STR(texts[LAYER_CLAIM_METADATA_JSON], "{\"a\\\"b\":\"x\\ny\",\"z\":\"1\"}");
  CHECK(lens[LAYER_CLAIM_METADATA_JSON] == strlen("{\"a\\\"b\":\"x\\ny\",\"z\":\"1\"}"));
  CHECK(times[0] == TEST_IAT && times[1] == TEST_IAT + 600);
  CHECK(layer_claims_metadata_count(claims) == 2);
  CHECK(strcmp(texts[LAYER_CLAIM_TEXT_COUNT], "untouched") == 0 &&
        lens[LAYER_CLAIM_TEXT_COUNT] == 12345);
  layer_claims_free(claims);
  claims = NULL;

  /* Fewer slots: only those are written. */
  texts[3] = "untouched";
  CHECK_OK(layer_verifier_verify_n(verifier, token, strlen(token), NULL, 0, TEST_IAT, 0, &claims,
                                   texts, lens, 3, NULL, NULL, &error),
           error);
  CHECK(strcmp(texts[3], "untouched") == 0);
  CHECK(lens[LAYER_CLAIM_NONCE] == 9);
  layer_claims_free(claims);
  claims = NULL;

  /* Without metadata, its JSON text is absent. */
  layer_string_free(token);
  token = NULL;
  CHECK_OK(sign_n(signer, USER, NONCE, TEST_IAT, 600, NULL, &token, &error), error);
  CHECK_OK(layer_verifier_verify_n(verifier, token, strlen(token), NULL, 0, TEST_IAT, 0, &claims,
                                   texts, lens, LAYER_CLAIM_TEXT_COUNT, NULL, NULL, &error),
           error);
  CHECK(texts[LAYER_CLAIM_METADATA_JSON] == NULL && lens[LAYER_CLAIM_METADATA_JSON] == 0);
  CHECK(texts[LAYER_CLAIM_FIRST_NAME] == NULL);
  layer_claims_free(claims);
  layer_string_free(token);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
}

/* Every claim into the caller's buffer: the layout the header describes, no handle. */
static void test_verify_into(void) {
  LayerSigner *signer = new_signer_n(key_pkcs8, 0);
  LayerVerifier *verifier = new_verifier_n(key_public);
  const char *attributes[4] = {"Ada", NULL, NULL, "https://e.x/a.png"};
  size_t attribute_lens[4] = {3, 0, 0, 17};
  unsigned char *buffer = malloc(LAYER_VERIFY_INTO_BUFFER_BYTES);
  char *token = NULL, *error = NULL;
  LayerEit eit = EIT_SENTINEL;
  int64_t iat, exp;
  uint32_t lens[LAYER_CLAIM_TEXT_COUNT];
  size_t at = LAYER_VERIFY_INTO_HEADER_BYTES, i;
  if (buffer == NULL) abort();
  memset(buffer, 0xa5, LAYER_VERIFY_INTO_BUFFER_BYTES);
  CHECK_OK(layer_signer_sign_n(signer, S(USER), S(NONCE), TEST_IAT, 0, attributes, attribute_lens,
                               NULL, NULL, NULL, NULL, 0, &token, &error),
           error);
  ts_log_token(token, key_public);
  CHECK_OK(layer_verifier_verify_into(verifier, token, strlen(token), S(NONCE), TEST_IAT, 0, buffer,
                                      LAYER_VERIFY_INTO_BUFFER_BYTES, &eit, &error),
           error);
  CHECK(eit == EIT_SENTINEL); /* untouched on success */
  memcpy(&iat, buffer, 8);
  memcpy(&exp, buffer + 8, 8);
  memcpy(lens, buffer + 16, sizeof lens);
  CHECK(iat == TEST_IAT && exp == TEST_IAT + 600);
  CHECK(lens[LAYER_CLAIM_PROVIDER_ID] == strlen(TEST_PROVIDER_ID));
  CHECK(memcmp(buffer + at, TEST_PROVIDER_ID, strlen(TEST_PROVIDER_ID)) == 0);
  for (i = 0; i < LAYER_CLAIM_USER_ID; i++) at += lens[i];
  CHECK(lens[LAYER_CLAIM_USER_ID] == 7 && memcmp(buffer + at, USER, 7) == 0);
  at += lens[LAYER_CLAIM_USER_ID];
  CHECK(lens[LAYER_CLAIM_NONCE] == 9 && memcmp(buffer + at, NONCE, 9) == 0);
  at += lens[LAYER_CLAIM_NONCE];
  CHECK(lens[LAYER_CLAIM_FIRST_NAME] == 3 && memcmp(buffer + at, "Ada", 3) == 0);
  at += 3;
  CHECK(lens[LAYER_CLAIM_LAST_NAME] == LAYER_CLAIM_ABSENT);
  CHECK(lens[LAYER_CLAIM_DISPLAY_NAME] == LAYER_CLAIM_ABSENT);
  CHECK(lens[LAYER_CLAIM_AVATAR_URL] == 17 && memcmp(buffer + at, "https://e.x/a.png", 17) == 0);
  at += 17;
  CHECK(lens[LAYER_CLAIM_JSON] > 100 && buffer[at] == '{' && buffer[at + lens[LAYER_CLAIM_JSON] - 1] == '}');
  at += lens[LAYER_CLAIM_JSON];
  CHECK(lens[LAYER_CLAIM_METADATA_JSON] == LAYER_CLAIM_ABSENT);
  CHECK(buffer[at] == 0xa5); /* nothing past the last text */

  /* Too small: refused, with what it needs; nothing written. */
  memset(buffer, 0, LAYER_VERIFY_INTO_BUFFER_BYTES);
  CHECK_ERROR(layer_verifier_verify_into(verifier, token, strlen(token), NULL, 0, TEST_IAT, 0, buffer,
                                         LAYER_VERIFY_INTO_HEADER_BYTES + 10, NULL, &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "LAYER_VERIFY_INTO_BUFFER_BYTES");
  CHECK(buffer[0] == 0 && buffer[LAYER_VERIFY_INTO_HEADER_BYTES] == 0);
  /* A rejection: the identifier, and the buffer untouched. */
  CHECK_ERROR(layer_verifier_verify_into(verifier, token, strlen(token), S("other"), TEST_IAT, 0,
                                         buffer, LAYER_VERIFY_INTO_BUFFER_BYTES, &eit, &error),
              LAYER_ERR_CLAIM_MISMATCH, error, "eit_nonce_not_found");
  CHECK(eit == LAYER_EIT_NONCE_NOT_FOUND && buffer[0] == 0);
  CHECK_ERROR(layer_verifier_verify_into(verifier, token, strlen(token), NULL, 0, TEST_IAT, 0, NULL,
                                         100, NULL, &error),
              LAYER_ERR_NULL_ARGUMENT, error, "out_buffer");
  free(buffer);
  layer_string_free(token);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
}

/* A rejection: identifier and message, nothing written. */
static void test_verify_n_rejections(void) {
  LayerVerifier *verifier = new_verifier_n(key_public);
  LayerClaims *claims = sentinel_claims;
  LayerEit eit = EIT_SENTINEL;
  const char *texts[2] = {"a", "b"};
  char *error = NULL;
  CHECK_ERROR(layer_verifier_verify_n(verifier, S("not-a-token"), NULL, 0, TEST_IAT, 0, &claims,
                                      texts, NULL, 2, NULL, &eit, &error),
              LAYER_ERR_MALFORMED_TOKEN, error, "eit_wrong_jws_part_count");
  CHECK(eit == LAYER_EIT_WRONG_JWS_PART_COUNT && claims == sentinel_claims);
  CHECK(strcmp(texts[0], "a") == 0);
  layer_verifier_free(verifier);
}

/* Huge inputs are refused by size, not by reading them through. */
static void test_huge_inputs(void) {
  LayerSigner *signer = new_signer_n(key_pkcs8, 0);
  LayerVerifier *verifier = new_verifier_n(key_public);
  LayerClaims *claims = sentinel_claims;
  size_t huge = (size_t)16 << 20;
  char *big = malloc(huge), *token = ts_sentinel_string, *error = NULL;
  if (big == NULL) abort();
  memset(big, 'u', huge);
  CHECK_REFUSED(layer_signer_sign_n(signer, big, huge, S(NONCE), TEST_IAT, 0, NULL, NULL, NULL,
                                    NULL, NULL, NULL, 0, &token, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "16384", "shorten");
  CHECK_ERROR(layer_verifier_verify_n(verifier, big, (size_t)1 << 20, NULL, 0, TEST_IAT, 0,
                                      &claims, NULL, NULL, 0, NULL, NULL, &error),
              LAYER_ERR_MALFORMED_TOKEN, error, "eit_malformed_json");
  CHECK(token == ts_sentinel_string && claims == sentinel_claims);
  free(big);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
}

static void test_token_type_flags(void) {
  static const struct {
    const char *name;
    uint32_t flags;
  } accepted[] = {{"JWS", 0}, {"jws", 0}, {"Jws", 0}, {"JWT", LAYER_FLAG_TYP_JWT},
                  {"jwt", LAYER_FLAG_TYP_JWT}, {"jWt", LAYER_FLAG_TYP_JWT}};
  static const char *const refused[] = {"", "JOSE", "JWE", " JWT", "JWT ", "J\xc3\xa9T"};
  char *error = NULL;
  size_t i;
  for (i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
    uint32_t flags = 99;
    CHECK_OK(layer_token_type_flags(accepted[i].name, strlen(accepted[i].name), &flags, &error),
             error);
    CHECK(flags == accepted[i].flags);
  }
  for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    uint32_t flags = 99;
    CHECK_ERROR(layer_token_type_flags(refused[i], strlen(refused[i]), &flags, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "JWS (the default) or JWT");
    CHECK(flags == 99);
  }
  {
    /* A secret put where the token type belongs is not repeated. */
    uint32_t flags = 99;
    CHECK_STATUS(layer_token_type_flags(S(TEST_PASSPHRASE), &flags, &error),
                 LAYER_ERR_INVALID_ARGUMENT);
    CHECK(error != NULL && strstr(error, "horse") == NULL);
    layer_string_free(error);
  }
}

static void test_token_inspect_n(void) {
  LayerSigner *signer = new_signer_n(key_pkcs8, LAYER_FLAG_TYP_JWT);
  char *token = NULL, *header = NULL, *claims = NULL, *error = NULL, *padded;
  CHECK_OK(sign_n(signer, USER, NONCE, TEST_IAT, 600, NULL, &token, &error), error);
  padded = ts_concat(token, ".extra", (const char *)NULL);
  CHECK_OK(layer_token_inspect_n(padded, strlen(token), &header, &claims, &error), error);
  CHECK_PREFIX(header, "{\"typ\":\"JWT\",");
  CHECK_CONTAINS(claims, "\"prn\":\"user-42\"");
  layer_string_free(header);
  layer_string_free(claims);
  header = claims = ts_sentinel_string;
  CHECK_ERROR(layer_token_inspect_n(padded, strlen(padded), &header, &claims, &error),
              LAYER_ERR_MALFORMED_TOKEN, error, "eit_wrong_jws_part_count");
  CHECK(header == ts_sentinel_string && claims == ts_sentinel_string);
  free(padded);
  layer_string_free(token);
  layer_signer_free(signer);
}

/* A secret put where an ID belongs is never repeated in the message. */
static void test_ids_never_echo_secrets(void) {
  static const char *const misplaced[] = {
      TEST_PASSPHRASE, "hunter2-but-longer-than-that", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN",
      "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4"};
  static const char *const fragments[] = {"horse", "hunter2", "MIIEvQ", "BgkqhkiG9w0B"};
  size_t i;
  for (i = 0; i < sizeof misplaced / sizeof misplaced[0]; i++) {
    LayerSigner *signer = ts_sentinel_signer;
    char *error = NULL;
    CHECK_STATUS(layer_signer_new_n((const uint8_t *)key_pkcs8, strlen(key_pkcs8), NULL, 0,
                                    misplaced[i], strlen(misplaced[i]), S(TEST_KEY_ID), 0,
                                    &signer, &error),
                 LAYER_ERR_INVALID_ARGUMENT);
    if (CHECK(error != NULL)) {
      CHECK(strstr(error, fragments[i]) == NULL);
      CHECK_CONTAINS(error, "provider ID");
      CHECK_CONTAINS(error, "not repeated");
    }
    layer_string_free(error);
    CHECK(signer == ts_sentinel_signer);
  }
}

int main(int argc, char **argv) {
  static const struct ts_case cases[] = {
      {"abi_version_is_3", test_abi_version_is_3},
      {"n_functions_equal_the_nul_terminated_ones", test_n_functions_equal_the_nul_terminated_ones},
      {"texts_end_at_their_length", test_texts_end_at_their_length},
      {"keys_are_bytes", test_keys_are_bytes},
      {"u0000_is_refused_naming_the_argument", test_u0000_is_refused_naming_the_argument},
      {"invalid_utf8_is_refused_naming_the_argument",
       test_invalid_utf8_is_refused_naming_the_argument},
      {"null_arguments", test_null_arguments},
      {"times", test_times},
      {"expected_nonce", test_expected_nonce},
      {"empty_attributes_are_absent", test_empty_attributes_are_absent},
      {"verify_n_reads_every_claim", test_verify_n_reads_every_claim},
      {"verify_n_rejections", test_verify_n_rejections},
      {"verify_into", test_verify_into},
      {"huge_inputs", test_huge_inputs},
      {"token_type_flags", test_token_type_flags},
      {"token_inspect_n", test_token_inspect_n},
      {"ids_never_echo_secrets", test_ids_never_echo_secrets},
  };
  const char *extra = getenv("LAYER_TEST_EXTRA_KEYS");
  char *der_path = ts_concat(extra ? extra : ".", "/rsa2048.pkcs8.der", (const char *)NULL);
  int status;
  key_pkcs8 = ts_key("rsa2048.pkcs8.pem");
  key_public = ts_key("rsa2048.public.pem");
  key_encrypted = ts_key("rsa2048.pkcs8.encrypted.pem");
  key_der = ts_read_bytes(der_path, &key_der_len);
  free(der_path);
  status = ts_run("test_lengths", cases, sizeof cases / sizeof cases[0], argc, argv);
  free(key_pkcs8);
  free(key_public);
  free(key_encrypted);
  free(key_der);
  return status;
}
