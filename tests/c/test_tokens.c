/*
 * C ABI tests: every exported function of layer_identity.h and every LayerStatus, with exact
 * statuses, exact token bytes, and the conventions of the header (NULL arguments, invalid
 * UTF-8, out-parameters written only on success, error messages always freeable, OpenSSL's
 * error queue left empty). Run by tests/c/run.sh under valgrind and AddressSanitizer; the
 * tokens minted here are logged (ts_log_token) and verified again by the openssl CLI.
 *
 * LAYER_ERR_CRYPTO and LAYER_ERR_INTERNAL cannot be provoked through the C ABI (OpenSSL does
 * not fail on demand, and a panic needs a library bug); their values and names are asserted
 * here, their behaviour is tested by the Rust unit tests in src/ffi.rs.
 */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layer_identity.h"
#include "test_support.h"

#define HEADER_JWS \
  "{\"typ\":\"JWS\",\"alg\":\"RS256\",\"cty\":\"layer-eit;v=1\",\"kid\":\"" TEST_KEY_ID "\"}"
#define HEADER_JWT \
  "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"cty\":\"layer-eit;v=1\",\"kid\":\"" TEST_KEY_ID "\"}"
#define USER "user-42"
#define NONCE "nonce-abc"
#define CLAIMS_FIXED                                                                         \
  "{\"iss\":\"" TEST_PROVIDER_ID "\",\"prn\":\"user-42\",\"iat\":1700000000,\"exp\":1700000600," \
  "\"nce\":\"nonce-abc\"}"

/* Shared fixtures, loaded once in main. */
static char *key_pkcs8;  /* rsa2048.pkcs8.pem */
static char *key_public; /* rsa2048.public.pem */

/* ---------------------------------------------------------------- helpers */

static LayerSigner *new_signer(const char *pem, const char *passphrase, uint32_t flags) {
  LayerSigner *signer = NULL;
  char *error = NULL;
  CHECK_OK(layer_signer_new(pem, passphrase, TEST_PROVIDER_ID, TEST_KEY_ID, flags, &signer,
                            &error),
           error);
  CHECK(signer != NULL);
  return signer;
}

static LayerVerifier *new_verifier(const char *pem, uint32_t flags) {
  LayerVerifier *verifier = NULL;
  char *error = NULL;
  CHECK_OK(layer_verifier_new(pem, TEST_PROVIDER_ID, TEST_KEY_ID, flags, &verifier, &error),
           error);
  CHECK(verifier != NULL);
  return verifier;
}

/* Signs with a handle, expecting success; logs the token for the openssl check. */
static char *sign_ok(const LayerSigner *signer, const char *user, const char *nonce,
                     int64_t issued_at, uint32_t ttl, const char *attributes) {
  char *token = NULL, *error = NULL, *public_pem = NULL;
  CHECK_OK(layer_signer_sign(signer, user, nonce, issued_at, ttl, attributes, &token, &error),
           error);
  CHECK(token != NULL);
  CHECK_OK(layer_signer_public_key_pem(signer, &public_pem, &error), error);
  if (token != NULL && public_pem != NULL) ts_log_token(token, public_pem);
  layer_string_free(public_pem);
  return token;
}

/* One-shot signing with the test IDs, expecting success; logs the token. */
static char *sign_token_ok(const char *pem, const char *public_pem, int64_t issued_at,
                           uint32_t ttl) {
  char *token = NULL, *error = NULL;
  CHECK_OK(layer_sign_token(pem, TEST_PROVIDER_ID, TEST_KEY_ID, USER, NONCE, issued_at, ttl,
                            &token, &error),
           error);
  CHECK(token != NULL);
  if (token != NULL) ts_log_token(token, public_pem);
  return token;
}

/* Verifies, expecting success; returns the claims JSON (free with layer_string_free). */
static char *verify_ok(const LayerVerifier *verifier, const char *token, const char *nonce,
                       int64_t now, uint32_t leeway) {
  char *claims = NULL, *error = NULL;
  CHECK_OK(layer_verifier_verify(verifier, token, nonce, now, leeway, &claims, &error), error);
  CHECK(claims != NULL);
  return claims;
}

/* Expects a verifier rejection with `status` and a message starting with `eit`. */
static void verify_fails(const LayerVerifier *verifier, const char *token, const char *nonce,
                         int64_t now, uint32_t leeway, LayerStatus status, const char *eit) {
  char *claims = ts_sentinel_string, *error = NULL;
  CHECK_ERROR(layer_verifier_verify(verifier, token, nonce, now, leeway, &claims, &error), status,
              error, eit);
  CHECK(claims == ts_sentinel_string);
}

/* Decodes a token with layer_token_inspect, expecting success. */
static void inspect_ok(const char *token, char **header, char **claims) {
  char *error = NULL;
  *header = NULL;
  *claims = NULL;
  CHECK_OK(layer_token_inspect(token, header, claims, &error), error);
}

/* The header and claims of a token as decoded, compared to exact JSON text. */
static void check_token_json(const char *token, const char *header_json, const char *claims_json) {
  char *header, *claims;
  inspect_ok(token, &header, &claims);
  CHECK_STR(header, header_json);
  CHECK_STR(claims, claims_json);
  layer_string_free(header);
  layer_string_free(claims);
}

/* `header_json` (base64url-encoded) + "." + the claims and signature parts of `token`. */
static char *with_header(const char *token, const char *header_json) {
  char *header = ts_b64url_encode((const unsigned char *)header_json, strlen(header_json));
  char *rebuilt = ts_concat(header, strchr(token, '.'), (const char *)NULL);
  free(header);
  return rebuilt;
}

/* A copy of `token` with the character at `index` replaced by another base64url character
 * that keeps the segment canonical ('A' <-> 'Q' differ in one high bit of the sextet). */
static char *tampered(const char *token, size_t index) {
  char *copy = ts_strdup(token);
  copy[index] = copy[index] == 'A' ? 'Q' : 'A';
  return copy;
}

static size_t part_offset(const char *token, int part) {
  const char *p = token;
  while (part-- > 0) p = strchr(p, '.') + 1;
  return (size_t)(p - token);
}

/* ---------------------------------------------------------------- status and version */

static void test_status_values_and_names(void) {
  static const struct {
    LayerStatus status;
    int value;
    const char *name;
  } all[] = {
      {LAYER_OK, 0, "LAYER_OK"},
      {LAYER_ERR_NULL_ARGUMENT, 1, "LAYER_ERR_NULL_ARGUMENT"},
      {LAYER_ERR_INVALID_UTF8, 2, "LAYER_ERR_INVALID_UTF8"},
      {LAYER_ERR_INVALID_ARGUMENT, 3, "LAYER_ERR_INVALID_ARGUMENT"},
      {LAYER_ERR_INVALID_KEY, 4, "LAYER_ERR_INVALID_KEY"},
      {LAYER_ERR_WEAK_KEY, 5, "LAYER_ERR_WEAK_KEY"},
      {LAYER_ERR_WRONG_PASSPHRASE, 6, "LAYER_ERR_WRONG_PASSPHRASE"},
      {LAYER_ERR_MALFORMED_TOKEN, 7, "LAYER_ERR_MALFORMED_TOKEN"},
      {LAYER_ERR_BAD_SIGNATURE, 8, "LAYER_ERR_BAD_SIGNATURE"},
      {LAYER_ERR_EXPIRED, 9, "LAYER_ERR_EXPIRED"},
      {LAYER_ERR_NOT_YET_VALID, 10, "LAYER_ERR_NOT_YET_VALID"},
      {LAYER_ERR_CLAIM_MISMATCH, 11, "LAYER_ERR_CLAIM_MISMATCH"},
      /* Not reachable from C (see the comment at the top): value and name only. */
      {LAYER_ERR_CRYPTO, 12, "LAYER_ERR_CRYPTO"},
      {LAYER_ERR_INTERNAL, 13, "LAYER_ERR_INTERNAL"},
  };
  static const int unknown[] = {14, 15, 100, -1, INT_MIN, INT_MAX};
  size_t i;
  for (i = 0; i < sizeof all / sizeof all[0]; i++) {
    CHECK((int)all[i].status == all[i].value);
    CHECK_STR(layer_status_name(all[i].status), all[i].name);
    /* Static storage: the same pointer every time. */
    CHECK(layer_status_name(all[i].status) == layer_status_name(all[i].status));
  }
  for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    CHECK_STR(layer_status_name((LayerStatus)unknown[i]), "LAYER_STATUS_UNKNOWN");
  }
  CHECK(LAYER_FLAG_TYP_JWT == 1);
  CHECK(LAYER_FLAG_ALLOW_1024_BIT_KEY == 2);
}

static void test_version(void) {
  const char *version = layer_version();
  const char *expected = getenv("LAYER_EXPECTED_VERSION");
  int major = -1, minor = -1, patch = -1, consumed = 0;
  CHECK(version != NULL);
  CHECK(version == layer_version());
  CHECK(sscanf(version, "%d.%d.%d%n", &major, &minor, &patch, &consumed) == 3);
  CHECK(major >= 0 && minor >= 0 && patch >= 0 && version[consumed] == '\0');
  if (expected != NULL) CHECK_STR(version, expected);
}

static void test_free_null_is_a_no_op(void) {
  layer_signer_free(NULL);
  layer_verifier_free(NULL);
  layer_string_free(NULL);
  layer_key_cache_clear();
  layer_key_cache_clear(); /* clearing an empty cache is fine too */
  /* Still fully working afterwards. */
  {
    char *token = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600);
    CHECK(token != NULL);
    layer_string_free(token);
  }
}

/* ---------------------------------------------------------------- one-shot signing */

static void test_sign_token_round_trip(void) {
  char *token = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600);
  char *again = NULL, *claims;
  LayerVerifier *verifier = new_verifier(key_public, 0);
  check_token_json(token, HEADER_JWS, CLAIMS_FIXED);
  claims = verify_ok(verifier, token, NONCE, TEST_IAT + 1, 0);
  CHECK_STR(claims, CLAIMS_FIXED);
  layer_string_free(claims);
  /* out_error may be NULL on success too. */
  CHECK_STATUS(layer_sign_token(key_pkcs8, TEST_PROVIDER_ID, TEST_KEY_ID, USER, NONCE, TEST_IAT,
                                600, &again, NULL),
               LAYER_OK);
  CHECK_STR(again, token);
  layer_string_free(again);
  layer_string_free(token);
  layer_verifier_free(verifier);
}

static void test_sign_token_null_arguments(void) {
  static const char *names[] = {"private_key_pem", "provider_id", "key_id", "user_id", "nonce"};
  size_t i;
  for (i = 0; i < 5; i++) {
    const char *args[5];
    char *token = ts_sentinel_string, *error = NULL;
    args[0] = key_pkcs8;
    args[1] = TEST_PROVIDER_ID;
    args[2] = TEST_KEY_ID;
    args[3] = USER;
    args[4] = NONCE;
    args[i] = NULL;
    CHECK_ERROR(layer_sign_token(args[0], args[1], args[2], args[3], args[4], TEST_IAT, 600,
                                 &token, &error),
                LAYER_ERR_NULL_ARGUMENT, error, names[i]);
    CHECK(token == ts_sentinel_string);
    /* And with out_error NULL. */
    CHECK_STATUS(layer_sign_token(args[0], args[1], args[2], args[3], args[4], TEST_IAT, 600,
                                  &token, NULL),
                 LAYER_ERR_NULL_ARGUMENT);
    CHECK(token == ts_sentinel_string);
  }
  {
    char *error = NULL;
    CHECK_ERROR(layer_sign_token(key_pkcs8, TEST_PROVIDER_ID, TEST_KEY_ID, USER, NONCE, TEST_IAT,
                                 600, NULL, &error),
                LAYER_ERR_NULL_ARGUMENT, error, "out_token");
    CHECK_STATUS(layer_sign_token(key_pkcs8, TEST_PROVIDER_ID, TEST_KEY_ID, USER, NONCE,
                                  TEST_IAT, 600, NULL, NULL),
                 LAYER_ERR_NULL_ARGUMENT);
    /* Everything NULL at once: still a clean NULL_ARGUMENT. */
    CHECK_ERROR(layer_sign_token(NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, &error),
                LAYER_ERR_NULL_ARGUMENT, error, "NULL");
  }
}

/* Invalid UTF-8 of several kinds: a stray byte, a truncated sequence, an overlong encoding, a
 * surrogate, a byte after valid text. */
static const char *const bad_utf8[] = {"\xff", "\xc3\x28", "\xc0\xaf", "\xed\xa0\x80",
                                       "layer:///keys/\x80"};
#define BAD_UTF8_COUNT (sizeof bad_utf8 / sizeof bad_utf8[0])

static void test_sign_token_invalid_utf8(void) {
  static const char *names[] = {"private_key_pem", "provider_id", "key_id", "user_id", "nonce"};
  size_t i, j;
  for (i = 0; i < 5; i++) {
    for (j = 0; j < BAD_UTF8_COUNT; j++) {
      const char *args[5];
      char *token = ts_sentinel_string, *error = NULL;
      args[0] = key_pkcs8;
      args[1] = TEST_PROVIDER_ID;
      args[2] = TEST_KEY_ID;
      args[3] = USER;
      args[4] = NONCE;
      args[i] = bad_utf8[j];
      CHECK_ERROR(layer_sign_token(args[0], args[1], args[2], args[3], args[4], TEST_IAT, 600,
                                   &token, &error),
                  LAYER_ERR_INVALID_UTF8, error, names[i]);
      CHECK(token == ts_sentinel_string);
    }
  }
}

static void test_sign_token_empty_strings(void) {
  static const struct {
    const char *key, *provider, *key_id, *user, *nonce;
    LayerStatus status;
    const char *fragment;
  } cases[] = {
      {"", TEST_PROVIDER_ID, TEST_KEY_ID, USER, NONCE, LAYER_ERR_INVALID_KEY, "empty"},
      {" \r\n\t ", TEST_PROVIDER_ID, TEST_KEY_ID, USER, NONCE, LAYER_ERR_INVALID_KEY, "empty"},
      {NULL, "", TEST_KEY_ID, USER, NONCE, LAYER_ERR_INVALID_ARGUMENT, "provider ID is empty"},
      {NULL, TEST_PROVIDER_ID, "", USER, NONCE, LAYER_ERR_INVALID_ARGUMENT, "key ID is empty"},
      {NULL, TEST_PROVIDER_ID, TEST_KEY_ID, "", NONCE, LAYER_ERR_INVALID_ARGUMENT,
       "user ID is empty"},
      {NULL, TEST_PROVIDER_ID, TEST_KEY_ID, USER, "", LAYER_ERR_INVALID_ARGUMENT,
       "nonce is empty"},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *token = ts_sentinel_string, *error = NULL;
    CHECK_ERROR(layer_sign_token(cases[i].key ? cases[i].key : key_pkcs8, cases[i].provider,
                                 cases[i].key_id, cases[i].user, cases[i].nonce, TEST_IAT, 600,
                                 &token, &error),
                cases[i].status, error, cases[i].fragment);
    CHECK(token == ts_sentinel_string);
  }
}

/* Provider and key IDs: what is accepted, what is rejected and that the message says why. */
static const struct {
  const char *provider, *key_id;
  const char *fragment; /* NULL: accepted */
} id_cases[] = {
    {TEST_PROVIDER_ID, TEST_KEY_ID, NULL},
    {"7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f", "0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f", NULL},
    {"7D1C2F4E-56B1-11E5-A0E4-5A0B0C0D0E0F", TEST_KEY_ID, NULL},
    {"layer:///providers/<uuid>", TEST_KEY_ID, "placeholder"},
    {"YOUR_PROVIDER_ID", TEST_KEY_ID, "provider ID"},
    {TEST_PROVIDER_ID, "YOUR_KEY_ID", "key ID"},
    {TEST_KEY_ID, TEST_KEY_ID, "is a key ID"},
    {TEST_PROVIDER_ID, TEST_PROVIDER_ID, "is a provider ID"},
    {TEST_PROVIDER_ID " ", TEST_KEY_ID, "whitespace"},
    {TEST_PROVIDER_ID, " " TEST_KEY_ID, "whitespace"},
    {"layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0", TEST_KEY_ID, "provider ID"},
    {"layer:///providers/7d1c2f4e56b111e5a0e45a0b0c0d0e0f", TEST_KEY_ID, "provider ID"},
    {TEST_PROVIDER_ID, "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0g", "key ID"},
    {"layer://providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f", TEST_KEY_ID, "provider ID"},
};

static void test_ids_everywhere(void) {
  size_t i;
  for (i = 0; i < sizeof id_cases / sizeof id_cases[0]; i++) {
    const char *provider = id_cases[i].provider, *key_id = id_cases[i].key_id;
    const char *fragment = id_cases[i].fragment;
    char *token = ts_sentinel_string, *error = NULL;
    LayerSigner *signer = ts_sentinel_signer;
    LayerVerifier *verifier = ts_sentinel_verifier;
    LayerStatus one_shot = layer_sign_token(key_pkcs8, provider, key_id, USER, NONCE, TEST_IAT,
                                            600, &token, &error);
    LayerStatus signer_status =
        layer_signer_new(key_pkcs8, NULL, provider, key_id, 0, &signer, NULL);
    LayerStatus verifier_status =
        layer_verifier_new(key_public, provider, key_id, 0, &verifier, NULL);
    if (fragment == NULL) {
      char *claims = NULL, *expected = NULL;
      CHECK_OK(one_shot, error);
      CHECK_STATUS(signer_status, LAYER_OK);
      CHECK_STATUS(verifier_status, LAYER_OK);
      if (one_shot == LAYER_OK && verifier_status == LAYER_OK && signer_status == LAYER_OK) {
        char *handle_token = NULL;
        ts_log_token(token, key_public);
        CHECK_OK(layer_signer_sign(signer, USER, NONCE, TEST_IAT, 600, NULL, &handle_token,
                                   &error),
                 error);
        CHECK_STR(handle_token, token);
        layer_string_free(handle_token);
        /* IDs are emitted exactly as given. */
        expected = ts_concat("{\"iss\":\"", provider, "\",\"prn\":\"user-42\",\"iat\":1700000000,"
                             "\"exp\":1700000600,\"nce\":\"nonce-abc\"}",
                             (const char *)NULL);
        claims = verify_ok(verifier, token, NONCE, TEST_IAT, 0);
        CHECK_STR(claims, expected);
        layer_string_free(claims);
        free(expected);
      }
      if (one_shot == LAYER_OK) layer_string_free(token);
      if (signer_status == LAYER_OK) layer_signer_free(signer);
      if (verifier_status == LAYER_OK) layer_verifier_free(verifier);
    } else {
      CHECK_ERROR(one_shot, LAYER_ERR_INVALID_ARGUMENT, error, fragment);
      CHECK(token == ts_sentinel_string);
      CHECK_STATUS(signer_status, LAYER_ERR_INVALID_ARGUMENT);
      CHECK(signer == ts_sentinel_signer);
      CHECK_STATUS(verifier_status, LAYER_ERR_INVALID_ARGUMENT);
      CHECK(verifier == ts_sentinel_verifier);
    }
  }
}

/* Unix seconds from the clock the library reads (time() may lag it: glibc's is coarse). */
static long long unix_now(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (long long)now.tv_sec;
}

static void test_sign_token_times(void) {
  char *token = ts_sentinel_string, *error = NULL, *header, *claims;
  long long before, after, iat;
  /* Milliseconds are refused: the threshold is 10^11. */
  CHECK_ERROR(layer_sign_token(key_pkcs8, TEST_PROVIDER_ID, TEST_KEY_ID, USER, NONCE,
                               (int64_t)1700000000000LL, 600, &token, &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "milliseconds");
  CHECK_ERROR(layer_sign_token(key_pkcs8, TEST_PROVIDER_ID, TEST_KEY_ID, USER, NONCE,
                               (int64_t)100000000000LL, 600, &token, &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "milliseconds");
  CHECK(token == ts_sentinel_string);
  token = sign_token_ok(key_pkcs8, key_public, (int64_t)99999999999LL, 600);
  inspect_ok(token, &header, &claims);
  CHECK(ts_json_int(claims, "iat") == 99999999999LL);
  CHECK(ts_json_int(claims, "exp") == 99999999999LL + 600);
  layer_string_free(header);
  layer_string_free(claims);
  layer_string_free(token);

  /* issued_at <= 0 means now; ttl 0 means 600. */
  {
    static const int64_t nows[] = {0, -1, -1700000000};
    size_t i;
    for (i = 0; i < 3; i++) {
      before = unix_now();
      token = sign_token_ok(key_pkcs8, key_public, nows[i], 0);
      after = unix_now();
      inspect_ok(token, &header, &claims);
      iat = ts_json_int(claims, "iat");
      CHECK(iat >= before && iat <= after);
      CHECK(ts_json_int(claims, "exp") == iat + 600);
      layer_string_free(header);
      layer_string_free(claims);
      layer_string_free(token);
    }
  }
  {
    static const uint32_t ttls[] = {1, 600, 3600, UINT32_MAX};
    size_t i;
    for (i = 0; i < 4; i++) {
      token = sign_token_ok(key_pkcs8, key_public, TEST_IAT, ttls[i]);
      inspect_ok(token, &header, &claims);
      CHECK(ts_json_int(claims, "iat") == TEST_IAT);
      CHECK(ts_json_int(claims, "exp") == TEST_IAT + (long long)ttls[i]);
      layer_string_free(header);
      layer_string_free(claims);
      layer_string_free(token);
    }
  }
}

/* Keys that no signer accepts, with the status and a fragment of the message. */
static void check_bad_private_key(const char *pem, LayerStatus status, const char *fragment) {
  char *token = ts_sentinel_string, *error = NULL;
  LayerSigner *signer = ts_sentinel_signer;
  CHECK_ERROR(layer_sign_token(pem, TEST_PROVIDER_ID, TEST_KEY_ID, USER, NONCE, TEST_IAT, 600,
                               &token, &error),
              status, error, fragment);
  CHECK(token == ts_sentinel_string);
  CHECK_ERROR(layer_signer_new(pem, NULL, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &signer, &error),
              status, error, fragment);
  CHECK(signer == ts_sentinel_signer);
}

static void test_bad_private_keys(void) {
  static const struct {
    const char *file;
    LayerStatus status;
    const char *fragment;
  } files[] = {
      {"rsa1024.pkcs8.pem", LAYER_ERR_WEAK_KEY, "1024"},
      {"rsa512.pkcs8.pem", LAYER_ERR_WEAK_KEY, "512"},
      {"ec-p256.pkcs8.pem", LAYER_ERR_INVALID_KEY, "EC key"},
      {"ec-p256.public.pem", LAYER_ERR_INVALID_KEY, "key"},
      {"ed25519.pkcs8.pem", LAYER_ERR_INVALID_KEY, "EdDSA"},
      {"rsa2048.public.pem", LAYER_ERR_INVALID_KEY, "public key"},
      {"rsa2048.pkcs8.encrypted.pem", LAYER_ERR_WRONG_PASSPHRASE, "no passphrase"},
  };
  size_t i;
  char *truncated;
  for (i = 0; i < sizeof files / sizeof files[0]; i++) {
    char *pem = ts_key(files[i].file);
    check_bad_private_key(pem, files[i].status, files[i].fragment);
    free(pem);
  }
  check_bad_private_key("not a key", LAYER_ERR_INVALID_KEY, "key");
  check_bad_private_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                        LAYER_ERR_INVALID_KEY, "key");
  check_bad_private_key("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                        LAYER_ERR_INVALID_KEY, "certificate");
  /* A PEM cut in half. */
  truncated = ts_strdup(key_pkcs8);
  truncated[strlen(truncated) / 2] = '\0';
  check_bad_private_key(truncated, LAYER_ERR_INVALID_KEY, "key");
  free(truncated);
  /* A PEM with a flipped base64 character in its body. */
  truncated = ts_strdup(key_pkcs8);
  truncated[40] = truncated[40] == 'A' ? 'B' : 'A';
  truncated[41] = '!';
  check_bad_private_key(truncated, LAYER_ERR_INVALID_KEY, "base64");
  free(truncated);
}

/* Every form of the same key gives byte-identical tokens, one-shot and with a handle. */
static void test_key_forms_give_identical_tokens(void) {
  static const char *forms[] = {"rsa2048.pkcs8.pem",        "rsa2048.pkcs1.pem",
                                "rsa2048.pkcs1.crlf.pem",   "rsa2048.pkcs8.der.b64",
                                "rsa2048.pkcs8.escaped.txt", "rsa2048.pkcs8.padded.pem"};
  char *reference = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600);
  size_t i;
  for (i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    char *pem = ts_key(forms[i]);
    char *token = sign_token_ok(pem, key_public, TEST_IAT, 600);
    LayerSigner *signer = new_signer(pem, NULL, 0);
    char *handle_token = sign_ok(signer, USER, NONCE, TEST_IAT, 600, NULL);
    CHECK_STR(token, reference);
    CHECK_STR(handle_token, reference);
    layer_string_free(token);
    layer_string_free(handle_token);
    layer_signer_free(signer);
    free(pem);
  }
  layer_string_free(reference);
}

/* The one-shot key cache: clearing it, and evicting from it, never changes a token. */
static void test_key_cache(void) {
  static const char *keys[] = {"rsa2048.pkcs1.pem",       "rsa2048.pkcs1.crlf.pem",
                               "rsa2048.pkcs8.der.b64",   "rsa2048.pkcs8.escaped.txt",
                               "rsa2048.pkcs8.padded.pem", "rsa2048-other.pkcs8.pem",
                               "rsa3072.pkcs8.pem",       "rsa3072.pkcs1.pem",
                               "rsa4096.pkcs8.pem",       "rsa4096.pkcs1.pem"};
  char *first = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600), *token;
  size_t i;
  layer_key_cache_clear();
  token = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600);
  CHECK_STR(token, first);
  layer_string_free(token);
  /* More distinct key texts than the cache holds (8), then the first key again. */
  for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    char *pem = ts_key(keys[i]), *public_pem = NULL, *error = NULL;
    LayerSigner *signer = new_signer(pem, NULL, 0);
    CHECK_OK(layer_signer_public_key_pem(signer, &public_pem, &error), error);
    token = sign_token_ok(pem, public_pem, TEST_IAT, 600);
    if (i < 5) {
      CHECK_STR(token, first); /* another form of the same key */
    } else {
      CHECK(token != NULL && strcmp(token, first) != 0);
    }
    layer_string_free(token);
    layer_string_free(public_pem);
    layer_signer_free(signer);
    free(pem);
  }
  token = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600);
  CHECK_STR(token, first);
  layer_string_free(token);
  /* A signer made before a clear keeps working. */
  {
    LayerSigner *signer = new_signer(key_pkcs8, NULL, 0);
    layer_key_cache_clear();
    token = sign_ok(signer, USER, NONCE, TEST_IAT, 600, NULL);
    CHECK_STR(token, first);
    layer_string_free(token);
    layer_signer_free(signer);
  }
  layer_string_free(first);
}

static void test_signing_is_deterministic(void) {
  LayerSigner *signer = new_signer(key_pkcs8, NULL, 0);
  LayerSigner *second = new_signer(key_pkcs8, NULL, 0);
  char *a = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600);
  char *b = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600);
  char *c = sign_ok(signer, USER, NONCE, TEST_IAT, 600, NULL);
  char *d = sign_ok(signer, USER, NONCE, TEST_IAT, 600, NULL);
  char *e = sign_ok(second, USER, NONCE, TEST_IAT, 600, NULL);
  char *f = sign_ok(signer, USER, "nonce-abd", TEST_IAT, 600, NULL);
  char *g = sign_ok(signer, USER, NONCE, TEST_IAT + 1, 600, NULL);
  CHECK_STR(b, a);
  CHECK_STR(c, a);
  CHECK_STR(d, a);
  CHECK_STR(e, a);
  CHECK(f != NULL && strcmp(f, a) != 0);
  CHECK(g != NULL && strcmp(g, a) != 0);
  /* The header part depends only on the key ID and typ. */
  CHECK(f != NULL && strncmp(f, a, part_offset(a, 1)) == 0);
  layer_string_free(a);
  layer_string_free(b);
  layer_string_free(c);
  layer_string_free(d);
  layer_string_free(e);
  layer_string_free(f);
  layer_string_free(g);
  layer_signer_free(signer);
  layer_signer_free(second);
}

/* ---------------------------------------------------------------- signer */

static void test_signer_new_null_arguments(void) {
  static const char *names[] = {"private_key_pem", "provider_id", "key_id"};
  size_t i;
  char *error = NULL;
  for (i = 0; i < 3; i++) {
    const char *args[3];
    LayerSigner *signer = ts_sentinel_signer;
    args[0] = key_pkcs8;
    args[1] = TEST_PROVIDER_ID;
    args[2] = TEST_KEY_ID;
    args[i] = NULL;
    CHECK_ERROR(layer_signer_new(args[0], NULL, args[1], args[2], 0, &signer, &error),
                LAYER_ERR_NULL_ARGUMENT, error, names[i]);
    CHECK(signer == ts_sentinel_signer);
    CHECK_STATUS(layer_signer_new(args[0], NULL, args[1], args[2], 0, &signer, NULL),
                 LAYER_ERR_NULL_ARGUMENT);
    CHECK(signer == ts_sentinel_signer);
  }
  CHECK_ERROR(layer_signer_new(key_pkcs8, NULL, TEST_PROVIDER_ID, TEST_KEY_ID, 0, NULL, &error),
              LAYER_ERR_NULL_ARGUMENT, error, "out_signer");
  CHECK_STATUS(layer_signer_new(key_pkcs8, NULL, TEST_PROVIDER_ID, TEST_KEY_ID, 0, NULL, NULL),
               LAYER_ERR_NULL_ARGUMENT);
}

static void test_signer_new_invalid_utf8(void) {
  static const char *names[] = {"private_key_pem", "passphrase", "provider_id", "key_id"};
  size_t i, j;
  for (i = 0; i < 4; i++) {
    for (j = 0; j < BAD_UTF8_COUNT; j++) {
      const char *args[4];
      LayerSigner *signer = ts_sentinel_signer;
      char *error = NULL;
      args[0] = key_pkcs8;
      args[1] = NULL;
      args[2] = TEST_PROVIDER_ID;
      args[3] = TEST_KEY_ID;
      args[i] = bad_utf8[j];
      CHECK_ERROR(layer_signer_new(args[0], args[1], args[2], args[3], 0, &signer, &error),
                  LAYER_ERR_INVALID_UTF8, error, names[i]);
      CHECK(signer == ts_sentinel_signer);
    }
  }
}

static void test_signer_flags(void) {
  static const uint32_t unknown[] = {4, 8, 1u | 2u | 4u, 0x80000000u, UINT32_MAX};
  char *error = NULL, *token, *claims, *rsa1024, *rsa1024_public, *rsa512;
  LayerSigner *signer;
  LayerVerifier *verifier;
  size_t i;
  for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    LayerVerifier *unused_verifier = ts_sentinel_verifier;
    signer = ts_sentinel_signer;
    CHECK_ERROR(layer_signer_new(key_pkcs8, NULL, TEST_PROVIDER_ID, TEST_KEY_ID, unknown[i],
                                 &signer, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "unknown flag bits");
    CHECK(signer == ts_sentinel_signer);
    CHECK_ERROR(layer_verifier_new(key_public, TEST_PROVIDER_ID, TEST_KEY_ID, unknown[i],
                                   &unused_verifier, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "unknown flag bits");
    CHECK(unused_verifier == ts_sentinel_verifier);
  }

  /* typ JWT: exact header; the verifier accepts both typ values whatever its flags. */
  signer = new_signer(key_pkcs8, NULL, LAYER_FLAG_TYP_JWT);
  token = sign_ok(signer, USER, NONCE, TEST_IAT, 600, NULL);
  check_token_json(token, HEADER_JWT, CLAIMS_FIXED);
  verifier = new_verifier(key_public, 0);
  claims = verify_ok(verifier, token, NONCE, TEST_IAT, 0);
  CHECK_STR(claims, CLAIMS_FIXED);
  layer_string_free(claims);
  layer_verifier_free(verifier);
  verifier = new_verifier(key_public, LAYER_FLAG_TYP_JWT);
  claims = verify_ok(verifier, token, NONCE, TEST_IAT, 0);
  CHECK_STR(claims, CLAIMS_FIXED);
  layer_string_free(claims);
  layer_string_free(token);
  layer_signer_free(signer);
  /* A JWS token verifies with a verifier made with LAYER_FLAG_TYP_JWT. */
  token = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600);
  claims = verify_ok(verifier, token, NONCE, TEST_IAT, 0);
  CHECK_STR(claims, CLAIMS_FIXED);
  layer_string_free(claims);
  layer_string_free(token);
  layer_verifier_free(verifier);

  /* Legacy 1024-bit keys: only with the flag, on both sides. */
  rsa1024 = ts_key("rsa1024.pkcs8.pem");
  rsa1024_public = ts_key("rsa1024.public.pem");
  rsa512 = ts_key("rsa512.pkcs8.pem");
  signer = ts_sentinel_signer;
  CHECK_ERROR(layer_signer_new(rsa1024, NULL, TEST_PROVIDER_ID, TEST_KEY_ID, LAYER_FLAG_TYP_JWT,
                               &signer, &error),
              LAYER_ERR_WEAK_KEY, error, "1024");
  CHECK(signer == ts_sentinel_signer);
  verifier = ts_sentinel_verifier;
  CHECK_ERROR(layer_verifier_new(rsa1024_public, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &verifier,
                                 &error),
              LAYER_ERR_WEAK_KEY, error, "1024");
  CHECK(verifier == ts_sentinel_verifier);
  CHECK_ERROR(layer_signer_new(rsa512, NULL, TEST_PROVIDER_ID, TEST_KEY_ID,
                               LAYER_FLAG_ALLOW_1024_BIT_KEY, &signer, &error),
              LAYER_ERR_WEAK_KEY, error, "512");
  CHECK(signer == ts_sentinel_signer);
  signer = new_signer(rsa1024, NULL, LAYER_FLAG_ALLOW_1024_BIT_KEY | LAYER_FLAG_TYP_JWT);
  token = sign_ok(signer, USER, NONCE, TEST_IAT, 600, NULL);
  check_token_json(token, HEADER_JWT, CLAIMS_FIXED);
  /* A 1024-bit signature is 128 bytes: 171 base64url characters. */
  CHECK(token != NULL && strlen(token) - part_offset(token, 2) == 171);
  verifier = new_verifier(rsa1024_public, LAYER_FLAG_ALLOW_1024_BIT_KEY);
  claims = verify_ok(verifier, token, NONCE, TEST_IAT, 0);
  CHECK_STR(claims, CLAIMS_FIXED);
  layer_string_free(claims);
  layer_string_free(token);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
  free(rsa1024);
  free(rsa1024_public);
  free(rsa512);
}

static void test_signer_passphrases(void) {
  char *encrypted = ts_key("rsa2048.pkcs8.encrypted.pem");
  char *reference = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600), *token, *error = NULL;
  LayerSigner *signer;
  static const struct {
    const char *passphrase;
    const char *fragment;
  } wrong[] = {
      {NULL, "no passphrase"},
      {"", "passphrase"},
      {"correct horse battery stapler", "wrong passphrase"},
      {"Correct horse battery staple", "wrong passphrase"},
  };
  size_t i;
  signer = new_signer(encrypted, TEST_PASSPHRASE, 0);
  token = sign_ok(signer, USER, NONCE, TEST_IAT, 600, NULL);
  CHECK_STR(token, reference);
  layer_string_free(token);
  layer_signer_free(signer);
  for (i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
    signer = ts_sentinel_signer;
    CHECK_ERROR(layer_signer_new(encrypted, wrong[i].passphrase, TEST_PROVIDER_ID, TEST_KEY_ID, 0,
                                 &signer, &error),
                LAYER_ERR_WRONG_PASSPHRASE, error, wrong[i].fragment);
    CHECK(signer == ts_sentinel_signer);
  }
  /* A passphrase given for an unencrypted key is ignored. */
  signer = new_signer(key_pkcs8, TEST_PASSPHRASE, 0);
  token = sign_ok(signer, USER, NONCE, TEST_IAT, 600, NULL);
  CHECK_STR(token, reference);
  layer_string_free(token);
  layer_signer_free(signer);
  layer_string_free(reference);
  free(encrypted);
}

static void test_signer_sign_null_arguments(void) {
  LayerSigner *signer = new_signer(key_pkcs8, NULL, 0);
  static const char *names[] = {"signer", "user_id", "nonce"};
  char *token, *error = NULL;
  size_t i;
  for (i = 0; i < 3; i++) {
    token = ts_sentinel_string;
    CHECK_ERROR(layer_signer_sign(i == 0 ? NULL : signer, i == 1 ? NULL : USER,
                                  i == 2 ? NULL : NONCE, TEST_IAT, 600, NULL, &token, &error),
                LAYER_ERR_NULL_ARGUMENT, error, names[i]);
    CHECK(token == ts_sentinel_string);
    CHECK_STATUS(layer_signer_sign(i == 0 ? NULL : signer, i == 1 ? NULL : USER,
                                   i == 2 ? NULL : NONCE, TEST_IAT, 600, NULL, &token, NULL),
                 LAYER_ERR_NULL_ARGUMENT);
    CHECK(token == ts_sentinel_string);
  }
  CHECK_ERROR(layer_signer_sign(signer, USER, NONCE, TEST_IAT, 600, NULL, NULL, &error),
              LAYER_ERR_NULL_ARGUMENT, error, "out_token");
  CHECK_STATUS(layer_signer_sign(signer, USER, NONCE, TEST_IAT, 600, NULL, NULL, NULL),
               LAYER_ERR_NULL_ARGUMENT);
  /* attributes_json NULL is the normal case; out_error NULL on success is fine. */
  token = NULL;
  CHECK_STATUS(layer_signer_sign(signer, USER, NONCE, TEST_IAT, 600, NULL, &token, NULL),
               LAYER_OK);
  if (token != NULL) ts_log_token(token, key_public);
  check_token_json(token, HEADER_JWS, CLAIMS_FIXED);
  layer_string_free(token);
  layer_signer_free(signer);
}

static void test_signer_sign_invalid_input(void) {
  LayerSigner *signer = new_signer(key_pkcs8, NULL, 0);
  char *token = ts_sentinel_string, *error = NULL, *long_user;
  size_t j;
  for (j = 0; j < BAD_UTF8_COUNT; j++) {
    CHECK_ERROR(layer_signer_sign(signer, bad_utf8[j], NONCE, TEST_IAT, 600, NULL, &token, &error),
                LAYER_ERR_INVALID_UTF8, error, "user_id");
    CHECK_ERROR(layer_signer_sign(signer, USER, bad_utf8[j], TEST_IAT, 600, NULL, &token, &error),
                LAYER_ERR_INVALID_UTF8, error, "nonce");
    CHECK_ERROR(layer_signer_sign(signer, USER, NONCE, TEST_IAT, 600, bad_utf8[j], &token, &error),
                LAYER_ERR_INVALID_UTF8, error, "attributes_json");
  }
  /* Invalid UTF-8 inside a JSON string of the attributes. */
  CHECK_ERROR(layer_signer_sign(signer, USER, NONCE, TEST_IAT, 600, "{\"first_name\":\"\xff\"}",
                                &token, &error),
              LAYER_ERR_INVALID_UTF8, error, "attributes_json");
  CHECK_ERROR(layer_signer_sign(signer, "", NONCE, TEST_IAT, 600, NULL, &token, &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "user ID is empty");
  CHECK_ERROR(layer_signer_sign(signer, USER, "", TEST_IAT, 600, NULL, &token, &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "nonce is empty");
  CHECK_ERROR(layer_signer_sign(signer, USER, NONCE, (int64_t)1700000000123LL, 600, NULL, &token,
                                &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "milliseconds");
  CHECK_ERROR(layer_signer_sign(signer, USER, NONCE, INT64_MAX, 600, NULL, &token, &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "milliseconds");
  /* A token the verifier would refuse (over 16 KiB) is not minted. */
  long_user = malloc(17001);
  memset(long_user, 'u', 17000);
  long_user[17000] = '\0';
  CHECK_ERROR(layer_signer_sign(signer, long_user, NONCE, TEST_IAT, 600, NULL, &token, &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "16384");
  free(long_user);
  CHECK(token == ts_sentinel_string);
  layer_signer_free(signer);
}

static void test_signer_sign_attributes(void) {
  LayerSigner *signer = new_signer(key_pkcs8, NULL, 0);
  LayerVerifier *verifier = new_verifier(key_public, 0);
  char *token, *plain, *claims, *error = NULL;
  static const struct {
    const char *json;
    const char *fragment;
  } bad[] = {
      {"{\"nickname\":\"Al\"}", "unknown member"},
      {"{\"first_name\":\"Al\",\"email\":\"a@example.com\"}", "unknown member"},
      {"{\"First_Name\":\"Al\"}", "unknown member"},
      {"{\"first_name\":42}", "must be a string"},
      {"{\"first_name\":null}", "must be a string"},
      {"{\"last_name\":true}", "must be a string"},
      {"{\"display_name\":[\"Al\"]}", "must be a string"},
      {"{\"avatar_url\":{\"href\":\"x\"}}", "must be a string"},
      {"{\"first_name\":\"Al\",\"first_name\":\"Bo\"}", "duplicate"},
      {"{\"first_name\":\"Al\",\"first_name\":\"Al\"}", "duplicate"},
      {"{\"first_name\":\"Al\",\"first\\u005fname\":\"Bo\"}", "duplicate"},
      {"[]", "not a valid JSON object"},
      {"\"first_name\"", "not a valid JSON object"},
      {"", "not a valid JSON object"},
      {"{", "not a valid JSON object"},
      {"{} {}", "not a valid JSON object"},
      {"{\"first_name\":\"Al\",}", "not a valid JSON object"},
      {"{'first_name':'Al'}", "not a valid JSON object"},
      {"{\"first_name\":\"\\ud800\"}", "not a valid JSON object"},
  };
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    token = ts_sentinel_string;
    CHECK_ERROR(layer_signer_sign(signer, USER, NONCE, TEST_IAT, 600, bad[i].json, &token, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, bad[i].fragment);
    CHECK(token == ts_sentinel_string);
  }

  /* Given in any order and with any whitespace, emitted in the fixed order. */
  token = sign_ok(signer, USER, NONCE, TEST_IAT, 600,
                  " {\n \"avatar_url\" : \"https:\\/\\/cdn.example.com\\/a.png?s=1&t=2\",\n"
                  " \"display_name\":\"Al \\\"the pal\\\"\",\"last_name\":\"Dr\\u00e9\","
                  "\"first_name\":\"Al\\\\x\\ttab\"} ");
  check_token_json(token, HEADER_JWS,
                   "{\"iss\":\"" TEST_PROVIDER_ID "\",\"prn\":\"user-42\",\"iat\":1700000000,"
                   "\"exp\":1700000600,\"nce\":\"nonce-abc\",\"first_name\":\"Al\\\\x\\ttab\","
                   "\"last_name\":\"Dr\xc3\xa9\",\"display_name\":\"Al \\\"the pal\\\"\","
                   "\"avatar_url\":\"https://cdn.example.com/a.png?s=1&t=2\"}");
  claims = verify_ok(verifier, token, NONCE, TEST_IAT, 0);
  CHECK_CONTAINS(claims, "\"first_name\":\"Al\\\\x\\ttab\",\"last_name\":\"Dr\xc3\xa9\"");
  layer_string_free(claims);
  layer_string_free(token);

  /* An empty attribute is an absent one: every language writes the same token for it. */
  token = sign_ok(signer, USER, NONCE, TEST_IAT, 600, "{\"display_name\":\"\"}");
  check_token_json(token, HEADER_JWS,
                   "{\"iss\":\"" TEST_PROVIDER_ID "\",\"prn\":\"user-42\",\"iat\":1700000000,"
                   "\"exp\":1700000600,\"nce\":\"nonce-abc\"}");
  layer_string_free(token);

  /* "{}" is the same as no attributes. */
  plain = sign_ok(signer, USER, NONCE, TEST_IAT, 600, NULL);
  token = sign_ok(signer, USER, NONCE, TEST_IAT, 600, "{}");
  CHECK_STR(token, plain);
  layer_string_free(token);
  token = sign_ok(signer, USER, NONCE, TEST_IAT, 600, " { } ");
  CHECK_STR(token, plain);
  layer_string_free(token);
  layer_string_free(plain);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
}

/* User IDs and nonces pass through unchanged and are escaped exactly as serde_json does. */
static void test_json_escaping(void) {
  LayerSigner *signer = new_signer(key_pkcs8, NULL, 0);
  LayerVerifier *verifier = new_verifier(key_public, 0);
  const char *user = "a\"b\\c/d\b\f\n\r\t\x01\x1f\x7f \xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80";
  const char *nonce = "n\"o\\n/c+e==";
  char *token = sign_ok(signer, user, nonce, TEST_IAT, 600, NULL), *claims;
  const char *expected =
      "{\"iss\":\"" TEST_PROVIDER_ID "\",\"prn\":\"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\\u0001\\u001f\x7f "
      "\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80\",\"iat\":1700000000,\"exp\":1700000600,"
      "\"nce\":\"n\\\"o\\\\n/c+e==\"}";
  check_token_json(token, HEADER_JWS, expected);
  claims = verify_ok(verifier, token, nonce, TEST_IAT, 0);
  CHECK_STR(claims, expected);
  layer_string_free(claims);
  layer_string_free(token);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
}

static void test_signer_public_key_pem(void) {
  LayerSigner *signer = new_signer(key_pkcs8, NULL, 0);
  LayerSigner *from_pkcs1;
  char *pem = NULL, *error = NULL, *pkcs1 = ts_key("rsa2048.pkcs1.pem"), *other = NULL;
  CHECK_OK(layer_signer_public_key_pem(signer, &pem, &error), error);
  CHECK_PREFIX(pem, "-----BEGIN PUBLIC KEY-----\n");
  CHECK_STR(pem, key_public);
  from_pkcs1 = new_signer(pkcs1, NULL, 0);
  CHECK_STATUS(layer_signer_public_key_pem(from_pkcs1, &other, NULL), LAYER_OK);
  CHECK_STR(other, pem);
  layer_string_free(other);
  layer_signer_free(from_pkcs1);
  free(pkcs1);
  /* NULL signer or out-parameter. */
  other = ts_sentinel_string;
  CHECK_ERROR(layer_signer_public_key_pem(NULL, &other, &error), LAYER_ERR_NULL_ARGUMENT, error,
              "signer");
  CHECK(other == ts_sentinel_string);
  CHECK_STATUS(layer_signer_public_key_pem(NULL, &other, NULL), LAYER_ERR_NULL_ARGUMENT);
  CHECK(other == ts_sentinel_string);
  CHECK_ERROR(layer_signer_public_key_pem(signer, NULL, &error), LAYER_ERR_NULL_ARGUMENT, error,
              "out_public_pem");
  CHECK_STATUS(layer_signer_public_key_pem(signer, NULL, NULL), LAYER_ERR_NULL_ARGUMENT);
  layer_string_free(pem);
  layer_signer_free(signer);
}

/* ---------------------------------------------------------------- verifier */

static void test_verifier_new_arguments(void) {
  static const char *names[] = {"key_pem", "provider_id", "key_id"};
  char *error = NULL;
  size_t i, j;
  for (i = 0; i < 3; i++) {
    const char *args[3];
    LayerVerifier *verifier = ts_sentinel_verifier;
    args[0] = key_public;
    args[1] = TEST_PROVIDER_ID;
    args[2] = TEST_KEY_ID;
    args[i] = NULL;
    CHECK_ERROR(layer_verifier_new(args[0], args[1], args[2], 0, &verifier, &error),
                LAYER_ERR_NULL_ARGUMENT, error, names[i]);
    CHECK(verifier == ts_sentinel_verifier);
    CHECK_STATUS(layer_verifier_new(args[0], args[1], args[2], 0, &verifier, NULL),
                 LAYER_ERR_NULL_ARGUMENT);
    CHECK(verifier == ts_sentinel_verifier);
    for (j = 0; j < BAD_UTF8_COUNT; j++) {
      args[i] = bad_utf8[j];
      CHECK_ERROR(layer_verifier_new(args[0], args[1], args[2], 0, &verifier, &error),
                  LAYER_ERR_INVALID_UTF8, error, names[i]);
      CHECK(verifier == ts_sentinel_verifier);
    }
  }
  CHECK_ERROR(layer_verifier_new(key_public, TEST_PROVIDER_ID, TEST_KEY_ID, 0, NULL, &error),
              LAYER_ERR_NULL_ARGUMENT, error, "out_verifier");
  CHECK_STATUS(layer_verifier_new(key_public, TEST_PROVIDER_ID, TEST_KEY_ID, 0, NULL, NULL),
               LAYER_ERR_NULL_ARGUMENT);
  {
    static const char *empty_ids[][2] = {{"", TEST_KEY_ID}, {TEST_PROVIDER_ID, ""}};
    LayerVerifier *verifier = ts_sentinel_verifier;
    for (i = 0; i < 2; i++) {
      CHECK_ERROR(layer_verifier_new(key_public, empty_ids[i][0], empty_ids[i][1], 0, &verifier,
                                     &error),
                  LAYER_ERR_INVALID_ARGUMENT, error, "is empty");
      CHECK(verifier == ts_sentinel_verifier);
    }
  }
}

static void test_verifier_keys(void) {
  static const struct {
    const char *file;
    LayerStatus status;
    const char *fragment;
  } bad[] = {
      {"rsa2048.pkcs8.encrypted.pem", LAYER_ERR_WRONG_PASSPHRASE, "encrypted"},
      {"ec-p256.public.pem", LAYER_ERR_INVALID_KEY, "RSA"},
      {"ec-p256.pkcs8.pem", LAYER_ERR_INVALID_KEY, "EC key"},
      {"ed25519.pkcs8.pem", LAYER_ERR_INVALID_KEY, "EdDSA"},
      {"rsa1024.public.pem", LAYER_ERR_WEAK_KEY, "1024"},
      {"rsa1024.pkcs8.pem", LAYER_ERR_WEAK_KEY, "1024"},
  };
  static const char *good[] = {"rsa2048.public.pem",     "rsa2048.pkcs8.pem",
                               "rsa2048.pkcs1.pem",      "rsa2048.pkcs1.crlf.pem",
                               "rsa2048.pkcs8.der.b64",  "rsa2048.pkcs8.escaped.txt",
                               "rsa2048.pkcs8.padded.pem"};
  char *token = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600), *error = NULL;
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *pem = ts_key(bad[i].file);
    LayerVerifier *verifier = ts_sentinel_verifier;
    CHECK_ERROR(layer_verifier_new(pem, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &verifier, &error),
                bad[i].status, error, bad[i].fragment);
    CHECK(verifier == ts_sentinel_verifier);
    free(pem);
  }
  {
    static const char *garbage[] = {"", "   \n", "not a key",
                                    "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"};
    LayerVerifier *verifier = ts_sentinel_verifier;
    for (i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
      CHECK_ERROR(layer_verifier_new(garbage[i], TEST_PROVIDER_ID, TEST_KEY_ID, 0, &verifier,
                                     &error),
                  LAYER_ERR_INVALID_KEY, error, "key");
      CHECK(verifier == ts_sentinel_verifier);
    }
  }
  /* The public key, or any unencrypted form of the private key to derive it from. */
  for (i = 0; i < sizeof good / sizeof good[0]; i++) {
    char *pem = ts_key(good[i]), *claims;
    LayerVerifier *verifier = new_verifier(pem, 0);
    claims = verify_ok(verifier, token, NONCE, TEST_IAT, 0);
    CHECK_STR(claims, CLAIMS_FIXED);
    layer_string_free(claims);
    layer_verifier_free(verifier);
    free(pem);
  }
  layer_string_free(token);
}

/* Key forms the vectors do not hold, written by run.sh with the openssl CLI from the same key
 * into $LAYER_TEST_EXTRA_KEYS: PKCS#1 "RSA PUBLIC KEY" and legacy encrypted PEM
 * ("Proc-Type: 4,ENCRYPTED", `openssl rsa -aes256 -traditional`). */
static char *extra_key(const char *name) {
  const char *dir = getenv("LAYER_TEST_EXTRA_KEYS");
  char *path, *key;
  if (dir == NULL) {
    fprintf(stderr, "fatal: LAYER_TEST_EXTRA_KEYS is not set (tests/c/run.sh sets it)\n");
    exit(2);
  }
  path = ts_concat(dir, "/", name, (const char *)NULL);
  key = ts_read_file(path);
  free(path);
  return key;
}

static void test_openssl_cli_key_forms(void) {
  char *pkcs1_public = extra_key("rsa2048.pkcs1.public.pem");
  char *legacy = extra_key("rsa2048.legacy-encrypted.pem");
  char *reference = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600), *token, *claims;
  char *error = NULL;
  LayerSigner *signer = ts_sentinel_signer;
  LayerVerifier *verifier = ts_sentinel_verifier;
  CHECK_PREFIX(pkcs1_public, "-----BEGIN RSA PUBLIC KEY-----");
  CHECK_CONTAINS(legacy, "Proc-Type: 4,ENCRYPTED");
  /* A verifier takes the PKCS#1 public key. */
  verifier = new_verifier(pkcs1_public, 0);
  claims = verify_ok(verifier, reference, NONCE, TEST_IAT, 0);
  CHECK_STR(claims, CLAIMS_FIXED);
  layer_string_free(claims);
  layer_verifier_free(verifier);
  /* A signer takes the legacy encrypted PEM with its passphrase: the same token. */
  signer = new_signer(legacy, TEST_PASSPHRASE, 0);
  token = sign_ok(signer, USER, NONCE, TEST_IAT, 600, NULL);
  CHECK_STR(token, reference);
  layer_string_free(token);
  layer_signer_free(signer);
  signer = ts_sentinel_signer;
  CHECK_ERROR(layer_signer_new(legacy, "wrong", TEST_PROVIDER_ID, TEST_KEY_ID, 0, &signer, &error),
              LAYER_ERR_WRONG_PASSPHRASE, error, "wrong passphrase");
  CHECK_ERROR(layer_signer_new(legacy, NULL, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &signer, &error),
              LAYER_ERR_WRONG_PASSPHRASE, error, "no passphrase");
  CHECK(signer == ts_sentinel_signer);
  token = ts_sentinel_string;
  CHECK_ERROR(layer_sign_token(legacy, TEST_PROVIDER_ID, TEST_KEY_ID, USER, NONCE, TEST_IAT, 600,
                               &token, &error),
              LAYER_ERR_WRONG_PASSPHRASE, error, "no passphrase");
  CHECK(token == ts_sentinel_string);
  verifier = ts_sentinel_verifier;
  CHECK_ERROR(layer_verifier_new(legacy, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &verifier, &error),
              LAYER_ERR_WRONG_PASSPHRASE, error, "encrypted");
  CHECK(verifier == ts_sentinel_verifier);
  /* A public key is no signing key, whatever its form. */
  CHECK_ERROR(layer_signer_new(pkcs1_public, NULL, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &signer,
                               &error),
              LAYER_ERR_INVALID_KEY, error, "public key");
  layer_string_free(reference);
  free(pkcs1_public);
  free(legacy);
}

static void test_verifier_verify_arguments(void) {
  LayerVerifier *verifier = new_verifier(key_public, 0);
  char *token = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600), *claims, *error = NULL;
  size_t j;
  claims = ts_sentinel_string;
  CHECK_ERROR(layer_verifier_verify(NULL, token, NONCE, TEST_IAT, 0, &claims, &error),
              LAYER_ERR_NULL_ARGUMENT, error, "verifier");
  CHECK_ERROR(layer_verifier_verify(verifier, NULL, NONCE, TEST_IAT, 0, &claims, &error),
              LAYER_ERR_NULL_ARGUMENT, error, "token");
  CHECK_STATUS(layer_verifier_verify(verifier, NULL, NONCE, TEST_IAT, 0, &claims, NULL),
               LAYER_ERR_NULL_ARGUMENT);
  CHECK_STATUS(layer_verifier_verify(NULL, token, NONCE, TEST_IAT, 0, &claims, NULL),
               LAYER_ERR_NULL_ARGUMENT);
  CHECK(claims == ts_sentinel_string);
  CHECK_ERROR(layer_verifier_verify(verifier, token, NONCE, TEST_IAT, 0, NULL, &error),
              LAYER_ERR_NULL_ARGUMENT, error, "out_claims_json");
  CHECK_STATUS(layer_verifier_verify(verifier, token, NONCE, TEST_IAT, 0, NULL, NULL),
               LAYER_ERR_NULL_ARGUMENT);
  for (j = 0; j < BAD_UTF8_COUNT; j++) {
    CHECK_ERROR(layer_verifier_verify(verifier, bad_utf8[j], NONCE, TEST_IAT, 0, &claims, &error),
                LAYER_ERR_INVALID_UTF8, error, "token");
    CHECK_ERROR(layer_verifier_verify(verifier, token, bad_utf8[j], TEST_IAT, 0, &claims, &error),
                LAYER_ERR_INVALID_UTF8, error, "expected_nonce");
  }
  CHECK(claims == ts_sentinel_string);
  /* An empty expected nonce is a mistake, not "skip the check". */
  CHECK_ERROR(layer_verifier_verify(verifier, token, "", TEST_IAT, 0, &claims, &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "nonce");
  /* now in milliseconds. */
  CHECK_ERROR(layer_verifier_verify(verifier, token, NONCE, (int64_t)1700000000000LL, 0, &claims,
                                    &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "milliseconds");
  CHECK(claims == ts_sentinel_string);
  /* NULL expected nonce skips the nonce check; out_error NULL on success. */
  claims = NULL;
  CHECK_STATUS(layer_verifier_verify(verifier, token, NULL, TEST_IAT, 0, &claims, NULL), LAYER_OK);
  CHECK_STR(claims, CLAIMS_FIXED);
  layer_string_free(claims);
  layer_string_free(token);
  layer_verifier_free(verifier);
}

static void test_verify_time_rules(void) {
  LayerVerifier *verifier = new_verifier(key_public, 0);
  char *token = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600), *claims, *fresh;
  const int64_t exp = TEST_IAT + 600;
  /* Valid on [iat, exp). */
  claims = verify_ok(verifier, token, NONCE, TEST_IAT, 0);
  CHECK_STR(claims, CLAIMS_FIXED);
  layer_string_free(claims);
  claims = verify_ok(verifier, token, NONCE, exp - 1, 0);
  CHECK_STR(claims, CLAIMS_FIXED);
  layer_string_free(claims);
  verify_fails(verifier, token, NONCE, exp, 0, LAYER_ERR_EXPIRED, "eit_expired");
  verify_fails(verifier, token, NONCE, exp + 86400, 0, LAYER_ERR_EXPIRED, "eit_expired");
  verify_fails(verifier, token, NULL, exp + 10, 10, LAYER_ERR_EXPIRED, "eit_expired");
  claims = verify_ok(verifier, token, NONCE, exp + 10, 11);
  layer_string_free(claims);
  verify_fails(verifier, token, NONCE, TEST_IAT - 1, 0, LAYER_ERR_NOT_YET_VALID, "eit_not_before");
  verify_fails(verifier, token, NONCE, TEST_IAT - 60, 59, LAYER_ERR_NOT_YET_VALID,
               "eit_not_before");
  claims = verify_ok(verifier, token, NONCE, TEST_IAT - 60, 60);
  layer_string_free(claims);
  /* now <= 0 is the system clock, long after this token expired. */
  verify_fails(verifier, token, NONCE, 0, 0, LAYER_ERR_EXPIRED, "eit_expired");
  verify_fails(verifier, token, NONCE, -1, 0, LAYER_ERR_EXPIRED, "eit_expired");
  /* A token minted now verifies now. */
  fresh = sign_token_ok(key_pkcs8, key_public, 0, 0);
  claims = verify_ok(verifier, fresh, NONCE, 0, 0);
  CHECK_CONTAINS(claims, "\"prn\":\"user-42\"");
  layer_string_free(claims);
  layer_string_free(fresh);
  layer_string_free(token);
  layer_verifier_free(verifier);
}

static void test_verify_claim_mismatch(void) {
  LayerVerifier *verifier = new_verifier(key_public, 0), *other = NULL;
  char *token = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600), *error = NULL;
  verify_fails(verifier, token, "nonce-abd", TEST_IAT, 0, LAYER_ERR_CLAIM_MISMATCH,
               "eit_nonce_not_found");
  verify_fails(verifier, token, "nonce-ab", TEST_IAT, 0, LAYER_ERR_CLAIM_MISMATCH,
               "eit_nonce_not_found");
  verify_fails(verifier, token, "NONCE-ABC", TEST_IAT, 0, LAYER_ERR_CLAIM_MISMATCH,
               "eit_nonce_not_found");
  CHECK_OK(layer_verifier_new(key_public, TEST_PROVIDER_ID, TEST_OTHER_KEY_ID, 0, &other, &error),
           error);
  verify_fails(other, token, NONCE, TEST_IAT, 0, LAYER_ERR_CLAIM_MISMATCH, "eit_key_not_found");
  layer_verifier_free(other);
  other = NULL;
  CHECK_OK(layer_verifier_new(key_public, TEST_OTHER_PROVIDER_ID, TEST_KEY_ID, 0, &other, &error),
           error);
  verify_fails(other, token, NONCE, TEST_IAT, 0, LAYER_ERR_CLAIM_MISMATCH,
               "eit_provider_not_found");
  layer_verifier_free(other);
  /* The same IDs as bare UUIDs are different strings: tokens carry IDs exactly. */
  other = NULL;
  CHECK_OK(layer_verifier_new(key_public, "7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f", TEST_KEY_ID, 0,
                              &other, &error),
           error);
  verify_fails(other, token, NONCE, TEST_IAT, 0, LAYER_ERR_CLAIM_MISMATCH,
               "eit_provider_not_found");
  layer_verifier_free(other);
  layer_string_free(token);
  layer_verifier_free(verifier);
}

static void test_verify_bad_signature(void) {
  LayerVerifier *verifier = new_verifier(key_public, 0);
  char *other_public = ts_key("rsa2048-other.public.pem"), *other_private;
  LayerVerifier *wrong_key = new_verifier(other_public, 0);
  char *token = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600), *forged, *second, *spliced;
  size_t claims_at = part_offset(token, 1), signature_at = part_offset(token, 2);
  LayerSigner *attacker;
  verify_fails(wrong_key, token, NONCE, TEST_IAT, 0, LAYER_ERR_BAD_SIGNATURE,
               "eit_signature_verification_failed");
  /* One character changed in the claims, in the signature, in the header's kid. */
  forged = tampered(token, claims_at + 10);
  verify_fails(verifier, forged, NONCE, TEST_IAT, 0, LAYER_ERR_BAD_SIGNATURE,
               "eit_signature_verification_failed");
  free(forged);
  forged = tampered(token, signature_at + 100);
  verify_fails(verifier, forged, NONCE, TEST_IAT, 0, LAYER_ERR_BAD_SIGNATURE,
               "eit_signature_verification_failed");
  free(forged);
  forged = tampered(token, signature_at);
  verify_fails(verifier, forged, NONCE, TEST_IAT, 0, LAYER_ERR_BAD_SIGNATURE,
               "eit_signature_verification_failed");
  free(forged);
  /* Claims of one token with the signature of another. */
  second = sign_token_ok(key_pkcs8, key_public, TEST_IAT + 1, 600);
  spliced = ts_strdup(token);
  memcpy(spliced + signature_at, second + part_offset(second, 2), strlen(token) - signature_at);
  verify_fails(verifier, spliced, NONCE, TEST_IAT, 0, LAYER_ERR_BAD_SIGNATURE,
               "eit_signature_verification_failed");
  free(spliced);
  layer_string_free(second);
  /* A token signed by another key under our IDs. */
  other_private = ts_key("rsa2048-other.pkcs8.pem");
  attacker = new_signer(other_private, NULL, 0);
  forged = sign_ok(attacker, USER, NONCE, TEST_IAT, 600, NULL);
  verify_fails(verifier, forged, NONCE, TEST_IAT, 0, LAYER_ERR_BAD_SIGNATURE,
               "eit_signature_verification_failed");
  layer_string_free(forged);
  layer_signer_free(attacker);
  free(other_private);
  free(other_public);
  layer_string_free(token);
  layer_verifier_free(wrong_key);
  layer_verifier_free(verifier);
}

static void test_verify_malformed(void) {
  LayerVerifier *verifier = new_verifier(key_public, 0);
  char *token = sign_token_ok(key_pkcs8, key_public, TEST_IAT, 600), *bad, *huge;
  static const struct {
    const char *token;
    const char *eit;
  } garbage[] = {
      {"", "eit_wrong_jws_part_count"},
      {"garbage", "eit_wrong_jws_part_count"},
      {"a.b", "eit_wrong_jws_part_count"},
      {"a.b.c.d", "eit_wrong_jws_part_count"},
      {"..", "eit_malformed_base64url"},
      {"a.b.c", "eit_malformed_base64url"},
      {"e30.e30.", "eit_malformed_base64url"},
      {"e30=.e30.AAAA", "eit_malformed_base64url"},
      {"e30.e30.AAAA", "eit_header_param_not_found"},
      {"bm90IGpzb24.e30.AAAA", "eit_malformed_json"},
  };
  size_t i;
  for (i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
    verify_fails(verifier, garbage[i].token, NONCE, TEST_IAT, 0, LAYER_ERR_MALFORMED_TOKEN,
                 garbage[i].eit);
  }
  /* Changes around a real token. */
  bad = ts_concat(token, "=", (const char *)NULL);
  verify_fails(verifier, bad, NONCE, TEST_IAT, 0, LAYER_ERR_MALFORMED_TOKEN,
               "eit_malformed_base64url");
  free(bad);
  bad = ts_concat(" ", token, (const char *)NULL);
  verify_fails(verifier, bad, NONCE, TEST_IAT, 0, LAYER_ERR_MALFORMED_TOKEN,
               "eit_malformed_base64url");
  free(bad);
  bad = ts_concat(token, ".", (const char *)NULL);
  verify_fails(verifier, bad, NONCE, TEST_IAT, 0, LAYER_ERR_MALFORMED_TOKEN,
               "eit_wrong_jws_part_count");
  free(bad);
  /* Headers that RFC 8725 says never to trust, on a real claims part and signature. */
  {
    static const struct {
      const char *header;
      const char *eit;
    } headers[] = {
        {"{\"typ\":\"JWS\",\"alg\":\"none\",\"cty\":\"layer-eit;v=1\",\"kid\":\"" TEST_KEY_ID
         "\"}",
         "eit_header_param_wrong_value"},
        {"{\"typ\":\"JWS\",\"alg\":\"HS256\",\"cty\":\"layer-eit;v=1\",\"kid\":\"" TEST_KEY_ID
         "\"}",
         "eit_header_param_wrong_value"},
        {"{\"typ\":\"JWS\",\"alg\":\"RS256\",\"cty\":\"layer-eit;v=1\",\"kid\":\"" TEST_KEY_ID
         "\",\"jku\":\"https://evil.example\"}",
         "eit_header_param_wrong_value"},
        {"{\"typ\":\"JWS\",\"alg\":\"RS256\",\"cty\":\"layer-eit;v=1\"}",
         "eit_header_param_not_found"},
        {"{\"typ\":\"JWS\",\"alg\":\"RS256\",\"cty\":1,\"kid\":\"" TEST_KEY_ID "\"}",
         "eit_header_param_wrong_type"},
        {"{\"typ\":\"JWS\",\"alg\":\"RS256\",\"alg\":\"RS256\",\"cty\":\"layer-eit;v=1\","
         "\"kid\":\"" TEST_KEY_ID "\"}",
         "eit_malformed_json"},
        {"{\"typ\":\"JOSE\",\"alg\":\"RS256\",\"cty\":\"layer-eit;v=1\",\"kid\":\"" TEST_KEY_ID
         "\"}",
         "eit_header_param_wrong_value"},
        {"[\"typ\",\"alg\"]", "eit_malformed_json"},
    };
    for (i = 0; i < sizeof headers / sizeof headers[0]; i++) {
      bad = with_header(token, headers[i].header);
      verify_fails(verifier, bad, NONCE, TEST_IAT, 0, LAYER_ERR_MALFORMED_TOKEN, headers[i].eit);
      free(bad);
    }
    /* The same header members in another order are fine, but the signature covers the
     * header bytes, so the reordered token no longer verifies. */
    bad = with_header(token, "{\"alg\":\"RS256\",\"typ\":\"JWS\",\"cty\":\"layer-eit;v=1\","
                             "\"kid\":\"" TEST_KEY_ID "\"}");
    verify_fails(verifier, bad, NONCE, TEST_IAT, 0, LAYER_ERR_BAD_SIGNATURE,
                 "eit_signature_verification_failed");
    free(bad);
  }
  /* At most 16 KiB. */
  huge = malloc(16 * 1024 + 2);
  memset(huge, 'A', 16 * 1024 + 1);
  huge[100] = '.';
  huge[200] = '.';
  huge[16 * 1024 + 1] = '\0';
  verify_fails(verifier, huge, NONCE, TEST_IAT, 0, LAYER_ERR_MALFORMED_TOKEN, "eit_malformed_json");
  free(huge);
  layer_string_free(token);
  layer_verifier_free(verifier);
}

/* ---------------------------------------------------------------- inspect */

static void test_token_inspect(void) {
  LayerSigner *signer = new_signer(key_pkcs8, NULL, LAYER_FLAG_TYP_JWT);
  char *token = sign_ok(signer, USER, NONCE, TEST_IAT, 600, NULL);
  char *header = ts_sentinel_string, *claims = ts_sentinel_string, *error = NULL, *bad;
  size_t j;
  check_token_json(token, HEADER_JWT, CLAIMS_FIXED);
  CHECK_STATUS(layer_token_inspect(token, &header, &claims, NULL), LAYER_OK);
  CHECK_STR(header, HEADER_JWT);
  CHECK_STR(claims, CLAIMS_FIXED);
  layer_string_free(header);
  layer_string_free(claims);

  header = ts_sentinel_string;
  claims = ts_sentinel_string;
  CHECK_ERROR(layer_token_inspect(NULL, &header, &claims, &error), LAYER_ERR_NULL_ARGUMENT, error,
              "token");
  CHECK_ERROR(layer_token_inspect(token, NULL, &claims, &error), LAYER_ERR_NULL_ARGUMENT, error,
              "out_header_json");
  CHECK_ERROR(layer_token_inspect(token, &header, NULL, &error), LAYER_ERR_NULL_ARGUMENT, error,
              "out_claims_json");
  CHECK_STATUS(layer_token_inspect(token, &header, NULL, NULL), LAYER_ERR_NULL_ARGUMENT);
  CHECK_STATUS(layer_token_inspect(NULL, NULL, NULL, NULL), LAYER_ERR_NULL_ARGUMENT);
  for (j = 0; j < BAD_UTF8_COUNT; j++) {
    CHECK_ERROR(layer_token_inspect(bad_utf8[j], &header, &claims, &error), LAYER_ERR_INVALID_UTF8,
                error, "token");
  }
  CHECK_ERROR(layer_token_inspect("garbage", &header, &claims, &error), LAYER_ERR_MALFORMED_TOKEN,
              error, "eit_wrong_jws_part_count");
  CHECK_ERROR(layer_token_inspect("a.b.c", &header, &claims, &error), LAYER_ERR_MALFORMED_TOKEN,
              error, "eit_malformed_base64url");
  /* Segments that are base64url but not UTF-8 text (0xff 0xfe). */
  CHECK_ERROR(layer_token_inspect("__4.e30.AAAA", &header, &claims, &error),
              LAYER_ERR_MALFORMED_TOKEN, error, "UTF-8");
  CHECK_ERROR(layer_token_inspect("e30.__4.AAAA", &header, &claims, &error),
              LAYER_ERR_MALFORMED_TOKEN, error, "UTF-8");
  CHECK(header == ts_sentinel_string);
  CHECK(claims == ts_sentinel_string);
  /* Inspect does not verify: a forged signature and any JSON still decode. */
  bad = tampered(token, part_offset(token, 2) + 5);
  inspect_ok(bad, &header, &claims);
  CHECK_STR(header, HEADER_JWT);
  CHECK_STR(claims, CLAIMS_FIXED);
  layer_string_free(header);
  layer_string_free(claims);
  free(bad);
  inspect_ok("bm90IGpzb24.e30.AAAA", &header, &claims);
  CHECK_STR(header, "not json");
  CHECK_STR(claims, "{}");
  layer_string_free(header);
  layer_string_free(claims);
  layer_string_free(token);
  layer_signer_free(signer);
}

/* ---------------------------------------------------------------- key generation */

static void test_generate_key_pair(void) {
  char *private_pem = ts_sentinel_string, *public_pem = ts_sentinel_string, *error = NULL;
  char *derived = NULL, *token, *claims;
  LayerSigner *signer;
  LayerVerifier *verifier;
  static const struct {
    uint32_t bits;
    LayerStatus status;
    const char *fragment;
  } bad[] = {
      {1, LAYER_ERR_WEAK_KEY, "1"},
      {512, LAYER_ERR_WEAK_KEY, "512"},
      {1024, LAYER_ERR_WEAK_KEY, "1024"},
      {2047, LAYER_ERR_WEAK_KEY, "2047"},
      {16385, LAYER_ERR_INVALID_ARGUMENT, "bits"},
      {100000, LAYER_ERR_INVALID_ARGUMENT, "bits"},
      {UINT32_MAX, LAYER_ERR_INVALID_ARGUMENT, "bits"},
  };
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK_ERROR(layer_generate_key_pair(bad[i].bits, &private_pem, &public_pem, &error),
                bad[i].status, error, bad[i].fragment);
    CHECK_STATUS(layer_generate_key_pair(bad[i].bits, &private_pem, &public_pem, NULL),
                 bad[i].status);
  }
  CHECK_ERROR(layer_generate_key_pair(0, NULL, &public_pem, &error), LAYER_ERR_NULL_ARGUMENT,
              error, "out_private_pem");
  CHECK_ERROR(layer_generate_key_pair(0, &private_pem, NULL, &error), LAYER_ERR_NULL_ARGUMENT,
              error, "out_public_pem");
  CHECK_STATUS(layer_generate_key_pair(0, NULL, NULL, NULL), LAYER_ERR_NULL_ARGUMENT);
  CHECK(private_pem == ts_sentinel_string);
  CHECK(public_pem == ts_sentinel_string);

  /* bits 0: a 2048-bit pair, PKCS#8 private and SPKI public, usable with the defaults. */
  CHECK_OK(layer_generate_key_pair(0, &private_pem, &public_pem, &error), error);
  CHECK_PREFIX(private_pem, "-----BEGIN PRIVATE KEY-----\n");
  CHECK_CONTAINS(private_pem, "-----END PRIVATE KEY-----");
  CHECK_PREFIX(public_pem, "-----BEGIN PUBLIC KEY-----\n");
  CHECK_CONTAINS(public_pem, "-----END PUBLIC KEY-----");
  signer = new_signer(private_pem, NULL, 0);
  CHECK_OK(layer_signer_public_key_pem(signer, &derived, &error), error);
  CHECK_STR(derived, public_pem);
  token = sign_ok(signer, USER, NONCE, TEST_IAT, 600, NULL);
  /* A 2048-bit signature is 256 bytes: 342 base64url characters. */
  CHECK(token != NULL && strlen(token) - part_offset(token, 2) == 342);
  verifier = new_verifier(public_pem, 0);
  claims = verify_ok(verifier, token, NONCE, TEST_IAT, 0);
  CHECK_STR(claims, CLAIMS_FIXED);
  layer_string_free(claims);
  layer_verifier_free(verifier);
  /* The generated key is not the fixture key. */
  verifier = new_verifier(key_public, 0);
  verify_fails(verifier, token, NONCE, TEST_IAT, 0, LAYER_ERR_BAD_SIGNATURE,
               "eit_signature_verification_failed");
  layer_verifier_free(verifier);
  /* The one-shot path takes the generated PEM as well. */
  {
    char *one_shot = sign_token_ok(private_pem, public_pem, TEST_IAT, 600);
    CHECK_STR(one_shot, token);
    layer_string_free(one_shot);
  }
  layer_string_free(token);
  layer_string_free(derived);
  layer_signer_free(signer);
  layer_string_free(private_pem);
  layer_string_free(public_pem);
}

/* ---------------------------------------------------------------- conventions */

/* out_error is only ever written on failure: a value in it survives a successful call. */
static void test_out_error_untouched_on_success(void) {
  char *error = ts_sentinel_string, *token = NULL, *claims = NULL, *header = NULL, *pem = NULL;
  LayerSigner *signer = NULL;
  LayerVerifier *verifier = NULL;
  CHECK_STATUS(layer_sign_token(key_pkcs8, TEST_PROVIDER_ID, TEST_KEY_ID, USER, NONCE, TEST_IAT,
                                600, &token, &error),
               LAYER_OK);
  CHECK(error == ts_sentinel_string);
  CHECK_STATUS(layer_signer_new(key_pkcs8, NULL, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &signer, &error),
               LAYER_OK);
  CHECK(error == ts_sentinel_string);
  layer_string_free(token);
  token = NULL;
  CHECK_STATUS(layer_signer_sign(signer, USER, NONCE, TEST_IAT, 600, NULL, &token, &error),
               LAYER_OK);
  CHECK(error == ts_sentinel_string);
  CHECK_STATUS(layer_signer_public_key_pem(signer, &pem, &error), LAYER_OK);
  CHECK(error == ts_sentinel_string);
  CHECK_STATUS(layer_verifier_new(pem, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &verifier, &error),
               LAYER_OK);
  CHECK(error == ts_sentinel_string);
  CHECK_STATUS(layer_verifier_verify(verifier, token, NONCE, TEST_IAT, 0, &claims, &error),
               LAYER_OK);
  CHECK(error == ts_sentinel_string);
  layer_string_free(claims);
  CHECK_STATUS(layer_token_inspect(token, &header, &claims, &error), LAYER_OK);
  CHECK(error == ts_sentinel_string);
  if (token != NULL) ts_log_token(token, key_public);
  layer_string_free(header);
  layer_string_free(claims);
  layer_string_free(token);
  layer_string_free(pem);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
}

/* Errors from one handle never leak into another call: each call reports its own failure,
 * even interleaved (there is no "last error" state). */
static void test_errors_are_per_call(void) {
  LayerSigner *signer = new_signer(key_pkcs8, NULL, 0);
  LayerVerifier *verifier = new_verifier(key_public, 0);
  char *token = NULL, *error_a = NULL, *error_b = NULL, *claims = NULL;
  CHECK_STATUS(layer_signer_sign(signer, "", NONCE, TEST_IAT, 600, NULL, &token, &error_a),
               LAYER_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(layer_verifier_verify(verifier, "x", NONCE, TEST_IAT, 0, &claims, &error_b),
               LAYER_ERR_MALFORMED_TOKEN);
  CHECK(error_a != NULL && error_b != NULL && error_a != error_b);
  CHECK_CONTAINS(error_a, "user ID");
  CHECK_PREFIX(error_b, "eit_wrong_jws_part_count: ");
  layer_string_free(error_a);
  layer_string_free(error_b);
  /* And a success right after a failure is a plain success. */
  token = sign_ok(signer, USER, NONCE, TEST_IAT, 600, NULL);
  claims = verify_ok(verifier, token, NONCE, TEST_IAT, 0);
  CHECK_STR(claims, CLAIMS_FIXED);
  layer_string_free(claims);
  layer_string_free(token);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
}

int main(int argc, char **argv) {
  static const struct ts_case cases[] = {
      {"status_values_and_names", test_status_values_and_names},
      {"version", test_version},
      {"free_null_is_a_no_op", test_free_null_is_a_no_op},
      {"sign_token_round_trip", test_sign_token_round_trip},
      {"sign_token_null_arguments", test_sign_token_null_arguments},
      {"sign_token_invalid_utf8", test_sign_token_invalid_utf8},
      {"sign_token_empty_strings", test_sign_token_empty_strings},
      {"ids_everywhere", test_ids_everywhere},
      {"sign_token_times", test_sign_token_times},
      {"bad_private_keys", test_bad_private_keys},
      {"key_forms_give_identical_tokens", test_key_forms_give_identical_tokens},
      {"key_cache", test_key_cache},
      {"signing_is_deterministic", test_signing_is_deterministic},
      {"signer_new_null_arguments", test_signer_new_null_arguments},
      {"signer_new_invalid_utf8", test_signer_new_invalid_utf8},
      {"signer_flags", test_signer_flags},
      {"signer_passphrases", test_signer_passphrases},
      {"signer_sign_null_arguments", test_signer_sign_null_arguments},
      {"signer_sign_invalid_input", test_signer_sign_invalid_input},
      {"signer_sign_attributes", test_signer_sign_attributes},
      {"json_escaping", test_json_escaping},
      {"signer_public_key_pem", test_signer_public_key_pem},
      {"verifier_new_arguments", test_verifier_new_arguments},
      {"verifier_keys", test_verifier_keys},
      {"openssl_cli_key_forms", test_openssl_cli_key_forms},
      {"verifier_verify_arguments", test_verifier_verify_arguments},
      {"verify_time_rules", test_verify_time_rules},
      {"verify_claim_mismatch", test_verify_claim_mismatch},
      {"verify_bad_signature", test_verify_bad_signature},
      {"verify_malformed", test_verify_malformed},
      {"token_inspect", test_token_inspect},
      {"generate_key_pair", test_generate_key_pair},
      {"out_error_untouched_on_success", test_out_error_untouched_on_success},
      {"errors_are_per_call", test_errors_are_per_call},
  };
  int status;
  key_pkcs8 = ts_key("rsa2048.pkcs8.pem");
  key_public = ts_key("rsa2048.public.pem");
  status = ts_run("test_tokens", cases, sizeof cases / sizeof cases[0], argc, argv);
  free(key_pkcs8);
  free(key_public);
  return status;
}
