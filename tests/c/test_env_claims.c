/*
 * C ABI tests for what ABI version 2 added: layer_abi_version, layer_signer_from_env,
 * layer_signer_sign_with, layer_verifier_verify_claims with every LayerClaims getter,
 * layer_eit_name, and the key and inspect fixes that came with them (flattened PEM keys,
 * layer_token_inspect of NUL text). Same conventions as test_tokens.c: exact statuses and bytes,
 * out-parameters untouched on failure (sentinels), every message freed, OpenSSL's error queue
 * empty. Run by tests/c/run.sh under valgrind and ASan+UBSan; the tokens minted here are
 * logged (ts_log_token) and verified again by the openssl CLI and PyJWT.
 *
 * Tokens the library cannot mint (a U+0000 in prn, null attributes, metadata out of order, a
 * missing or mistyped claim) are signed by run.sh with the openssl CLI alone and passed in
 * $LAYER_TEST_CRAFTED_<NAME>.
 *
 * layer_signer_from_env reads the environment: its cases setenv/unsetenv the LAYER_* variables
 * (this program is single-threaded) and unset them all again when they finish.
 */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer_identity.h"
#include "test_support.h"

#define USER "user-42"
#define NONCE "nonce-abc"
#define CLAIMS_HEAD                                                                          \
  "{\"iss\":\"" TEST_PROVIDER_ID "\",\"prn\":\"user-42\",\"iat\":1700000000,\"exp\":1700000600," \
  "\"nce\":\"nonce-abc\""
#define CLAIMS_FIXED CLAIMS_HEAD "}"
#define HEADER_JWS \
  "{\"typ\":\"JWS\",\"alg\":\"RS256\",\"cty\":\"layer-eit;v=1\",\"kid\":\"" TEST_KEY_ID "\"}"
#define HEADER_JWT \
  "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"cty\":\"layer-eit;v=1\",\"kid\":\"" TEST_KEY_ID "\"}"

/* Shared fixtures, loaded once in main. */
static char *key_pkcs8;     /* rsa2048.pkcs8.pem */
static char *key_public;    /* rsa2048.public.pem */
static char *reference_jws; /* layer_signer_new(key_pkcs8) signing USER, NONCE, TEST_IAT, 600 */
static char *reference_jwt; /* the same with LAYER_FLAG_TYP_JWT */

/* Sentinels for the out-parameters test_support has none for. */
static union {
  void *align_ptr;
  char bytes[8];
} claims_storage;
static LayerClaims *const sentinel_claims = (LayerClaims *)(void *)&claims_storage;
/* Not a LayerEit value: a failed call must overwrite it, a successful one must not. */
#define EIT_SENTINEL ((LayerEit)-7)

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

static LayerVerifier *new_verifier(const char *pem, const char *provider_id, const char *key_id,
                                   uint32_t flags) {
  LayerVerifier *verifier = NULL;
  char *error = NULL;
  CHECK_OK(layer_verifier_new(pem, provider_id, key_id, flags, &verifier, &error), error);
  CHECK(verifier != NULL);
  return verifier;
}

/* Signs the fixed inputs (USER, NONCE, TEST_IAT, 600, no attributes); logs the token. */
static char *sign_fixed(const LayerSigner *signer) {
  char *token = NULL, *error = NULL, *public_pem = NULL;
  if (signer == NULL) return NULL;
  CHECK_OK(layer_signer_sign(signer, USER, NONCE, TEST_IAT, 600, NULL, &token, &error), error);
  CHECK_OK(layer_signer_public_key_pem(signer, &public_pem, &error), error);
  if (token != NULL && public_pem != NULL) ts_log_token(token, public_pem);
  layer_string_free(public_pem);
  return token;
}

/* layer_signer_sign with attributes JSON, expecting success; logs the token. */
static char *sign_json_ok(const LayerSigner *signer, const char *attributes_json) {
  char *token = NULL, *error = NULL;
  CHECK_OK(layer_signer_sign(signer, USER, NONCE, TEST_IAT, 600, attributes_json, &token, &error),
           error);
  if (token != NULL) ts_log_token(token, key_public);
  return token;
}

/* layer_signer_sign_with on the fixed user, nonce and times, expecting success; logs it. */
static char *sign_with_ok(const LayerSigner *signer, const char *first, const char *last,
                          const char *display, const char *avatar, const char *const *names,
                          const char *const *values, size_t count) {
  char *token = NULL, *error = NULL;
  CHECK_OK(layer_signer_sign_with(signer, USER, NONCE, TEST_IAT, 600, first, last, display, avatar,
                                  names, values, count, &token, &error),
           error);
  if (token != NULL) ts_log_token(token, key_public);
  return token;
}

/* The claims text of a token, decoded with layer_token_inspect (free with layer_string_free). */
static char *claims_of(const char *token) {
  char *header = NULL, *claims = NULL, *error = NULL;
  if (token == NULL) return NULL;
  CHECK_OK(layer_token_inspect(token, &header, &claims, &error), error);
  layer_string_free(header);
  return claims;
}

static char *header_of(const char *token) {
  char *header = NULL, *claims = NULL, *error = NULL;
  if (token == NULL) return NULL;
  CHECK_OK(layer_token_inspect(token, &header, &claims, &error), error);
  layer_string_free(claims);
  return header;
}

/* verify_claims, expecting success: the claims, with out_eit and out_error left alone. */
static LayerClaims *verify_claims_ok(const LayerVerifier *verifier, const char *token,
                                     const char *nonce, int64_t now) {
  LayerClaims *claims = NULL;
  LayerEit eit = EIT_SENTINEL;
  char *error = NULL;
  CHECK_OK(layer_verifier_verify_claims(verifier, token, nonce, now, 0, &claims, &eit, &error),
           error);
  CHECK(claims != NULL);
  CHECK(eit == EIT_SENTINEL);
  return claims;
}

/* A copy of `text` with every '\n' replaced by `with` ('\0': removed). */
static char *replace_newlines(const char *text, char with) {
  char *copy = ts_strdup(text), *out = copy;
  const char *in;
  for (in = text; *in; in++) {
    if (*in != '\n') {
      *out++ = *in;
    } else if (with != '\0') {
      *out++ = with;
    }
  }
  *out = '\0';
  return copy;
}

/* No `piece`-byte substring of `secret` appears in `message` (one assertion). */
static int check_no_piece(const char *message, const char *secret, size_t piece, const char *file,
                          int line) {
  size_t len = strlen(secret), i;
  char *window;
  int ok = 1;
  if (piece > len) piece = len;
  window = malloc(piece + 1);
  if (window == NULL) abort();
  for (i = 0; ok && i + piece <= len; i++) {
    memcpy(window, secret + i, piece);
    window[piece] = '\0';
    if (message != NULL && strstr(message, window) != NULL) ok = 0;
  }
  if (!ts_check(ok && message != NULL, file, line, "message quotes a secret")) {
    fprintf(stderr, "  message: %s\n  quotes: %s\n", message ? message : "(NULL)", window);
  }
  free(window);
  return ok;
}
#define CHECK_NO_PIECE(message, secret, piece) \
  check_no_piece((message), (secret), (piece), __FILE__, __LINE__)

/* A token run.sh signed with the openssl CLI (see the comment at the top). */
static const char *crafted(const char *name) {
  char variable[64];
  const char *token;
  sprintf(variable, "LAYER_TEST_CRAFTED_%s", name);
  token = getenv(variable);
  if (token == NULL || token[0] == '\0') {
    fprintf(stderr, "fatal: %s is not set (tests/c/run.sh sets it)\n", variable);
    exit(2);
  }
  return token;
}

/* The absolute path of vectors/keys/<name> (malloc'd). */
static char *key_path(const char *name) {
  const char *dir = getenv("LAYER_TEST_KEYS");
  return ts_concat(dir ? dir : "vectors/keys", "/", name, (const char *)NULL);
}

/* ---------------------------------------------------------------- versions and names */

static void test_abi_version(void) {
  CHECK(LAYER_ABI_VERSION >= 2); /* test_lengths.c checks ABI 3 */
  CHECK(layer_abi_version() == LAYER_ABI_VERSION);
  CHECK(layer_abi_version() == layer_abi_version());
}

static void test_eit_names(void) {
  static const struct {
    LayerEit eit;
    int value;
    const char *name;
  } all[] = {
      {LAYER_EIT_NONE, 0, ""},
      {LAYER_EIT_WRONG_JWS_PART_COUNT, 1, "eit_wrong_jws_part_count"},
      {LAYER_EIT_MALFORMED_BASE64URL, 2, "eit_malformed_base64url"},
      {LAYER_EIT_MALFORMED_JSON, 3, "eit_malformed_json"},
      {LAYER_EIT_HEADER_PARAM_NOT_FOUND, 4, "eit_header_param_not_found"},
      {LAYER_EIT_HEADER_PARAM_WRONG_TYPE, 5, "eit_header_param_wrong_type"},
      {LAYER_EIT_HEADER_PARAM_WRONG_VALUE, 6, "eit_header_param_wrong_value"},
      {LAYER_EIT_CLAIM_NOT_FOUND, 7, "eit_claim_not_found"},
      {LAYER_EIT_CLAIM_WRONG_TYPE, 8, "eit_claim_wrong_type"},
      {LAYER_EIT_EXPIRED, 9, "eit_expired"},
      {LAYER_EIT_NOT_BEFORE, 10, "eit_not_before"},
      {LAYER_EIT_KEY_NOT_FOUND, 11, "eit_key_not_found"},
      {LAYER_EIT_PROVIDER_NOT_FOUND, 12, "eit_provider_not_found"},
      {LAYER_EIT_SIGNATURE_VERIFICATION_FAILED, 13, "eit_signature_verification_failed"},
      {LAYER_EIT_NONCE_NOT_FOUND, 14, "eit_nonce_not_found"},
  };
  static const int unknown[] = {-1, 15, 16, 100, INT_MAX, INT_MIN};
  size_t i, j, count = sizeof all / sizeof all[0];
  for (i = 0; i < count; i++) {
    const char *name = layer_eit_name(all[i].eit);
    CHECK((int)all[i].eit == all[i].value);
    CHECK_STR(name, all[i].name);
    CHECK(name == layer_eit_name(all[i].eit)); /* static storage */
    if (i == 0) continue;
    CHECK_PREFIX(name, "eit_");
    CHECK(name != NULL && strlen(name) > 4);
    for (j = 1; j < i; j++) CHECK(strcmp(layer_eit_name(all[j].eit), name) != 0);
  }
  /* The last value is the highest: one past it is already unknown. */
  CHECK((int)LAYER_EIT_NONCE_NOT_FOUND == (int)count - 1);
  for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    CHECK_STR(layer_eit_name((LayerEit)unknown[i]), "");
  }
}

/* ---------------------------------------------------------------- layer_signer_from_env */

static const char *const layer_variables[] = {
    "LAYER_PROVIDER_ID",           "LAYER_KEY_ID",    "LAYER_PRIVATE_KEY", "LAYER_PRIVATE_KEY_PATH",
    "LAYER_PRIVATE_KEY_PASSPHRASE", "LAYER_TOKEN_TYPE"};

static void clear_env(void) {
  size_t i;
  for (i = 0; i < sizeof layer_variables / sizeof layer_variables[0]; i++) {
    CHECK(unsetenv(layer_variables[i]) == 0);
  }
}

static void set_env(const char *name, const char *value) {
  CHECK(setenv(name, value, 1) == 0);
}

/* Only the two IDs set, to the test IDs. */
static void set_ids(void) {
  clear_env();
  set_env("LAYER_PROVIDER_ID", TEST_PROVIDER_ID);
  set_env("LAYER_KEY_ID", TEST_KEY_ID);
}

/* layer_signer_from_env, expecting success: the signer's token for the fixed inputs must be
 * `expected`. */
static void from_env_signs(uint32_t flags, const char *expected, const char *what) {
  LayerSigner *signer = NULL;
  char *error = ts_sentinel_string, *token;
  LayerStatus status = layer_signer_from_env(flags, &signer, &error);
  if (!CHECK_STATUS(status, LAYER_OK)) {
    fprintf(stderr, "  %s: %s\n", what, error != ts_sentinel_string ? error : "(no message)");
    if (error != ts_sentinel_string) layer_string_free(error);
    return;
  }
  CHECK(error == ts_sentinel_string); /* out_error is written only on failure */
  CHECK(signer != NULL);
  token = sign_fixed(signer);
  if (!CHECK_STR(token, expected)) fprintf(stderr, "  (%s)\n", what);
  layer_string_free(token);
  layer_signer_free(signer);
}

/* layer_signer_from_env, expecting `status` with `fragment` in the message (when not NULL);
 * returns the message (free with layer_string_free) for more checks. */
static char *from_env_fails(uint32_t flags, LayerStatus status, const char *fragment) {
  LayerSigner *signer = ts_sentinel_signer;
  char *error = NULL, *message;
  CHECK_STATUS(layer_signer_from_env(flags, &signer, &error), status);
  CHECK(signer == ts_sentinel_signer);
  if (!CHECK(error != NULL && error[0] != '\0')) return NULL;
  if (fragment != NULL) CHECK_CONTAINS(error, fragment);
  if (getenv("LAYER_TEST_VERBOSE") != NULL) fprintf(stderr, "  %s -> %s\n", ts_case_name, error);
  message = ts_strdup(error);
  layer_string_free(error);
  /* And with out_error NULL: the same status, nothing written. */
  CHECK_STATUS(layer_signer_from_env(flags, &signer, NULL), status);
  CHECK(signer == ts_sentinel_signer);
  return message;
}

static void test_from_env_missing_variables(void) {
  char *path = key_path("rsa2048.pkcs8.pem"), *message;

  clear_env();
  message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, "LAYER_PROVIDER_ID");
  CHECK_CONTAINS(message, "not set");
  free(message);
  /* Each variable is reported whatever else is missing or present. */
  set_env("LAYER_KEY_ID", TEST_KEY_ID);
  set_env("LAYER_PRIVATE_KEY_PATH", path);
  message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, "LAYER_PROVIDER_ID is not set");
  free(message);

  clear_env();
  set_env("LAYER_PROVIDER_ID", TEST_PROVIDER_ID);
  message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, "LAYER_KEY_ID is not set");
  CHECK(message == NULL || strstr(message, "LAYER_PROVIDER_ID") == NULL);
  free(message);
  set_env("LAYER_PRIVATE_KEY_PATH", path);
  message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, "LAYER_KEY_ID is not set");
  free(message);

  /* Neither key variable: the message names both. */
  set_ids();
  message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, "LAYER_PRIVATE_KEY ");
  CHECK_CONTAINS(message, "LAYER_PRIVATE_KEY_PATH");
  free(message);
  /* A passphrase or token type alone is no key. */
  set_env("LAYER_PRIVATE_KEY_PASSPHRASE", TEST_PASSPHRASE);
  set_env("LAYER_TOKEN_TYPE", "JWT");
  message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, "LAYER_PRIVATE_KEY_PATH");
  CHECK_NO_PIECE(message, TEST_PASSPHRASE, 8);
  free(message);

  /* Empty variables count as unset. */
  clear_env();
  set_env("LAYER_PROVIDER_ID", "");
  set_env("LAYER_KEY_ID", TEST_KEY_ID);
  set_env("LAYER_PRIVATE_KEY_PATH", path);
  message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, "LAYER_PROVIDER_ID is not set");
  free(message);
  set_env("LAYER_PROVIDER_ID", TEST_PROVIDER_ID);
  set_env("LAYER_KEY_ID", "");
  message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, "LAYER_KEY_ID is not set");
  free(message);
  set_ids();
  set_env("LAYER_PRIVATE_KEY", "");
  set_env("LAYER_PRIVATE_KEY_PATH", "");
  message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, "LAYER_PRIVATE_KEY_PATH");
  free(message);
  clear_env();
  free(path);
}

static void test_from_env_malformed_ids(void) {
  static const struct {
    const char *provider, *key_id, *variable, *fragment;
  } cases[] = {
      {"YOUR_PROVIDER_ID", TEST_KEY_ID, "LAYER_PROVIDER_ID", "provider ID"},
      {"layer:///providers/<uuid>", TEST_KEY_ID, "LAYER_PROVIDER_ID", "placeholder"},
      {TEST_PROVIDER_ID " ", TEST_KEY_ID, "LAYER_PROVIDER_ID", "whitespace"},
      {TEST_KEY_ID, TEST_KEY_ID, "LAYER_PROVIDER_ID", "is a key ID"},
      {"\xff", TEST_KEY_ID, "LAYER_PROVIDER_ID", "UTF-8"},
      {TEST_PROVIDER_ID, "YOUR_KEY_ID", "LAYER_KEY_ID", "key ID"},
      {TEST_PROVIDER_ID, TEST_PROVIDER_ID, "LAYER_KEY_ID", "is a provider ID"},
      {TEST_PROVIDER_ID, "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0g", "LAYER_KEY_ID",
       "key ID"},
      {TEST_PROVIDER_ID, "layer:///keys/\x80", "LAYER_KEY_ID", "UTF-8"},
  };
  char *path = key_path("rsa2048.pkcs8.pem");
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *message;
    clear_env();
    set_env("LAYER_PROVIDER_ID", cases[i].provider);
    set_env("LAYER_KEY_ID", cases[i].key_id);
    set_env("LAYER_PRIVATE_KEY_PATH", path);
    message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, cases[i].variable);
    CHECK_CONTAINS(message, cases[i].fragment);
    free(message);
  }
  /* Bare UUIDs are valid IDs, as for layer_signer_new. */
  clear_env();
  set_env("LAYER_PROVIDER_ID", "7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f");
  set_env("LAYER_KEY_ID", "0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f");
  set_env("LAYER_PRIVATE_KEY_PATH", path);
  {
    LayerSigner *signer = NULL;
    char *error = NULL, *token, *claims;
    CHECK_OK(layer_signer_from_env(0, &signer, &error), error);
    token = sign_fixed(signer);
    claims = claims_of(token);
    CHECK_PREFIX(claims, "{\"iss\":\"7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f\",");
    layer_string_free(claims);
    layer_string_free(token);
    layer_signer_free(signer);
  }
  clear_env();
  free(path);
}

static void test_from_env_key_variables(void) {
  char *path = key_path("rsa2048.pkcs8.pem"), *missing = key_path("no-such-key.pem");
  char *der_b64 = ts_key("rsa2048.pkcs8.der.b64"), *escaped = ts_key("rsa2048.pkcs8.escaped.txt");
  char *pkcs1 = ts_key("rsa2048.pkcs1.pem");
  char *flat = replace_newlines(key_pkcs8, '\0'), *spaced = replace_newlines(key_pkcs8, ' ');
  char *flat_pkcs1 = replace_newlines(pkcs1, '\0'), *message;
  const char *dir = getenv("LAYER_TEST_KEYS");
  size_t i;

  /* The key file, and the key text in every shape it arrives in. */
  set_ids();
  set_env("LAYER_PRIVATE_KEY_PATH", path);
  from_env_signs(0, reference_jws, "LAYER_PRIVATE_KEY_PATH");
  {
    static const char *forms[] = {"rsa2048.pkcs8.der.b64"};
    for (i = 0; i < sizeof forms / sizeof forms[0]; i++) {
      char *form_path = key_path(forms[i]);
      set_env("LAYER_PRIVATE_KEY_PATH", form_path);
      from_env_signs(0, reference_jws, forms[i]);
      free(form_path);
    }
  }
  {
    const struct {
      const char *text, *what;
    } texts[] = {
        {key_pkcs8, "real newlines"},
        {escaped, "literal \\n escapes"},
        {flat, "flattened to one line"},
        {spaced, "spaces for newlines"},
        {flat_pkcs1, "PKCS#1 flattened"},
        {der_b64, "base64 DER"},
    };
    CHECK(strchr(flat, '\n') == NULL && strchr(spaced, '\n') == NULL);
    set_ids();
    for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
      set_env("LAYER_PRIVATE_KEY", texts[i].text);
      from_env_signs(0, reference_jws, texts[i].what);
    }
  }

  /* Both key variables. */
  set_ids();
  set_env("LAYER_PRIVATE_KEY", key_pkcs8);
  set_env("LAYER_PRIVATE_KEY_PATH", path);
  message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, "both LAYER_PRIVATE_KEY and "
                                                          "LAYER_PRIVATE_KEY_PATH");
  CHECK_NO_PIECE(message, key_pkcs8, 16);
  free(message);
  /* ... unless one of them is empty. */
  set_env("LAYER_PRIVATE_KEY", "");
  from_env_signs(0, reference_jws, "LAYER_PRIVATE_KEY empty");
  set_env("LAYER_PRIVATE_KEY", key_pkcs8);
  set_env("LAYER_PRIVATE_KEY_PATH", "");
  from_env_signs(0, reference_jws, "LAYER_PRIVATE_KEY_PATH empty");

  /* A file that does not exist, a directory: the message names the variable and the path. */
  set_ids();
  set_env("LAYER_PRIVATE_KEY_PATH", missing);
  message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, "LAYER_PRIVATE_KEY_PATH");
  CHECK_CONTAINS(message, missing);
  free(message);
  set_env("LAYER_PRIVATE_KEY_PATH", dir ? dir : "vectors/keys");
  message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, "LAYER_PRIVATE_KEY_PATH");
  free(message);
  /* A file that is no key: the key's own status, naming the variable and file. */
  {
    char *public_path = key_path("rsa2048.public.pem");
    set_env("LAYER_PRIVATE_KEY_PATH", public_path);
    message = from_env_fails(0, LAYER_ERR_INVALID_KEY, "LAYER_PRIVATE_KEY_PATH");
    CHECK_CONTAINS(message, "rsa2048.public.pem");
    CHECK_CONTAINS(message, "public key");
    free(message);
    free(public_path);
  }
  set_ids();
  set_env("LAYER_PRIVATE_KEY", "not a key");
  message = from_env_fails(0, LAYER_ERR_INVALID_KEY, "LAYER_PRIVATE_KEY");
  free(message);
  {
    char *truncated = ts_strdup(key_pkcs8);
    truncated[strlen(truncated) / 2] = '\0';
    set_env("LAYER_PRIVATE_KEY", truncated);
    message = from_env_fails(0, LAYER_ERR_INVALID_KEY, "LAYER_PRIVATE_KEY");
    CHECK_NO_PIECE(message, truncated, 16);
    free(message);
    free(truncated);
  }

  /* The PEM text where its path belongs, in every shape: never repeated in the message (for
   * base64 DER text, see from_env_path_holding_der_key). */
  {
    const char *texts[5];
    texts[0] = key_pkcs8;
    texts[1] = escaped;
    texts[2] = flat;
    texts[3] = spaced;
    texts[4] = pkcs1;
    for (i = 0; i < 5; i++) {
      set_ids();
      set_env("LAYER_PRIVATE_KEY_PATH", texts[i]);
      message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, "LAYER_PRIVATE_KEY_PATH");
      CHECK_NO_PIECE(message, texts[i], 16);
      CHECK_CONTAINS(message, "key text");
      free(message);
    }
  }
  clear_env();
  free(path);
  free(missing);
  free(der_b64);
  free(escaped);
  free(pkcs1);
  free(flat);
  free(spaced);
  free(flat_pkcs1);
}

/*
 * Known library bug: LAYER_PRIVATE_KEY_PATH holding key text as base64 DER (one line, the form
 * vectors/keys/rsa2048.pkcs8.der.b64 has, which LAYER_PRIVATE_KEY and layer_signer_new accept)
 * is taken for a file name, and the message quotes it whole:
 * "LAYER_PRIVATE_KEY_PATH (file MIIEvAIBADAN...): cannot read it: No such file or directory".
 * src/env.rs only recognises key text by "-----BEGIN", a newline or more than 4096 bytes.
 */
static void check_path_holding_der_key(void) {
  char *der_b64 = ts_key("rsa2048.pkcs8.der.b64"), *pkcs1 = ts_key("rsa2048.pkcs1.pem");
  char *pkcs1_body, *message, *end;
  /* The PKCS#1 DER as base64 on one line: the PEM body without armor and line breaks. */
  pkcs1_body = replace_newlines(strchr(pkcs1, '\n') + 1, '\0');
  end = strstr(pkcs1_body, "-----END");
  if (end != NULL) *end = '\0';
  CHECK(strchr(der_b64, '\n') == NULL && strlen(der_b64) > 1500 && strlen(pkcs1_body) > 1500);
  set_ids();
  set_env("LAYER_PRIVATE_KEY", der_b64);
  from_env_signs(0, reference_jws, "base64 DER in LAYER_PRIVATE_KEY");
  clear_env();
  set_ids();
  set_env("LAYER_PRIVATE_KEY_PATH", der_b64);
  message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, "LAYER_PRIVATE_KEY_PATH");
  CHECK_NO_PIECE(message, der_b64, 16);
  free(message);
  set_env("LAYER_PRIVATE_KEY_PATH", pkcs1_body);
  message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, "LAYER_PRIVATE_KEY_PATH");
  CHECK_NO_PIECE(message, pkcs1_body, 16);
  free(message);
  clear_env();
  free(pkcs1_body);
  free(pkcs1);
  free(der_b64);
}

/* Base64 DER key text where its path belongs is refused without being repeated, like PEM. */
static void test_from_env_path_holding_der_key(void) { check_path_holding_der_key(); }

static void test_from_env_passphrase(void) {
  char *encrypted = ts_key("rsa2048.pkcs8.encrypted.pem");
  char *encrypted_path = key_path("rsa2048.pkcs8.encrypted.pem");
  char *flat = replace_newlines(encrypted, '\0'), *message;
  static const char *wrong[] = {"correct horse battery stapler", "Correct horse battery staple",
                                "tr0ub4dor&3"};
  size_t i;

  /* Right passphrase: the same token as the unencrypted key, from the text or the file. */
  set_ids();
  set_env("LAYER_PRIVATE_KEY_PASSPHRASE", TEST_PASSPHRASE);
  set_env("LAYER_PRIVATE_KEY", encrypted);
  from_env_signs(0, reference_jws, "encrypted key text");
  set_env("LAYER_PRIVATE_KEY", flat);
  from_env_signs(0, reference_jws, "encrypted key text, flattened");
  unsetenv("LAYER_PRIVATE_KEY");
  set_env("LAYER_PRIVATE_KEY_PATH", encrypted_path);
  from_env_signs(0, reference_jws, "encrypted key file");

  /* Wrong: the status, the variable to check, never the passphrase itself. */
  for (i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
    set_env("LAYER_PRIVATE_KEY_PASSPHRASE", wrong[i]);
    message = from_env_fails(0, LAYER_ERR_WRONG_PASSPHRASE, "LAYER_PRIVATE_KEY_PASSPHRASE");
    CHECK_NO_PIECE(message, wrong[i], 5);
    CHECK_NO_PIECE(message, TEST_PASSPHRASE, 8);
    CHECK_NO_PIECE(message, encrypted, 16);
    free(message);
  }
  /* Missing, or empty (= unset): the variable to set. */
  unsetenv("LAYER_PRIVATE_KEY_PASSPHRASE");
  message = from_env_fails(0, LAYER_ERR_WRONG_PASSPHRASE, "LAYER_PRIVATE_KEY_PASSPHRASE");
  free(message);
  set_env("LAYER_PRIVATE_KEY_PASSPHRASE", "");
  message = from_env_fails(0, LAYER_ERR_WRONG_PASSPHRASE, "LAYER_PRIVATE_KEY_PASSPHRASE");
  free(message);
  set_ids();
  set_env("LAYER_PRIVATE_KEY", encrypted);
  message = from_env_fails(0, LAYER_ERR_WRONG_PASSPHRASE, "set LAYER_PRIVATE_KEY_PASSPHRASE");
  CHECK_NO_PIECE(message, encrypted, 16);
  free(message);

  /* A passphrase for an unencrypted key is ignored, as by layer_signer_new. */
  set_env("LAYER_PRIVATE_KEY", key_pkcs8);
  set_env("LAYER_PRIVATE_KEY_PASSPHRASE", "unused");
  from_env_signs(0, reference_jws, "passphrase for an unencrypted key");
  clear_env();
  free(encrypted);
  free(encrypted_path);
  free(flat);
}

static void test_from_env_token_type_and_flags(void) {
  static const struct {
    const char *value;
    int jwt;
  } types[] = {{"JWT", 1}, {"jwt", 1}, {"JWS", 0}, {"", 0}};
  static const char *bad_types[] = {"JWX", " JWT", "JWT ", "JOSE", "none", "\xff"};
  static const uint32_t unknown[] = {4, 8, 1u | 2u | 4u, 0x80000000u, UINT32_MAX};
  char *path = key_path("rsa2048.pkcs8.pem"), *message, *header, *token;
  size_t i;

  set_ids();
  set_env("LAYER_PRIVATE_KEY_PATH", path);
  from_env_signs(0, reference_jws, "LAYER_TOKEN_TYPE unset");
  for (i = 0; i < sizeof types / sizeof types[0]; i++) {
    set_env("LAYER_TOKEN_TYPE", types[i].value);
    from_env_signs(0, types[i].jwt ? reference_jwt : reference_jws, types[i].value);
  }
  /* The flag adds JWT to what the variable says, or does not say. */
  set_env("LAYER_TOKEN_TYPE", "JWS");
  from_env_signs(LAYER_FLAG_TYP_JWT, reference_jwt, "JWS and LAYER_FLAG_TYP_JWT");
  unsetenv("LAYER_TOKEN_TYPE");
  from_env_signs(LAYER_FLAG_TYP_JWT, reference_jwt, "LAYER_FLAG_TYP_JWT");
  header = header_of(reference_jwt);
  CHECK_STR(header, HEADER_JWT);
  layer_string_free(header);
  header = header_of(reference_jws);
  CHECK_STR(header, HEADER_JWS);
  layer_string_free(header);
  for (i = 0; i < sizeof bad_types / sizeof bad_types[0]; i++) {
    set_env("LAYER_TOKEN_TYPE", bad_types[i]);
    message = from_env_fails(0, LAYER_ERR_INVALID_ARGUMENT, "LAYER_TOKEN_TYPE");
    free(message);
  }
  unsetenv("LAYER_TOKEN_TYPE");

  /* Unknown flag bits, whatever the environment holds. */
  for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    message = from_env_fails(unknown[i], LAYER_ERR_INVALID_ARGUMENT, "unknown flag bits");
    free(message);
  }
  clear_env();
  message = from_env_fails(4, LAYER_ERR_INVALID_ARGUMENT, "unknown flag bits");
  free(message);

  /* NULL out_signer, before anything else is looked at. */
  {
    char *error = NULL;
    CHECK_ERROR(layer_signer_from_env(0, NULL, &error), LAYER_ERR_NULL_ARGUMENT, error,
                "out_signer");
    CHECK_STATUS(layer_signer_from_env(0, NULL, NULL), LAYER_ERR_NULL_ARGUMENT);
  }

  /* The 1024-bit key: weak by default (naming the variable), admitted by the flag. */
  {
    char *rsa1024_path = key_path("rsa1024.pkcs8.pem"), *rsa1024 = ts_key("rsa1024.pkcs8.pem");
    char *rsa1024_public = ts_key("rsa1024.public.pem");
    LayerSigner *signer = NULL, *direct;
    LayerVerifier *verifier;
    LayerClaims *claims;
    char *error = NULL, *expected;
    set_ids();
    set_env("LAYER_PRIVATE_KEY_PATH", rsa1024_path);
    message = from_env_fails(0, LAYER_ERR_WEAK_KEY, "LAYER_PRIVATE_KEY_PATH");
    CHECK_CONTAINS(message, "1024");
    free(message);
    message = from_env_fails(LAYER_FLAG_TYP_JWT, LAYER_ERR_WEAK_KEY, "1024");
    free(message);
    direct = new_signer(rsa1024, NULL, LAYER_FLAG_ALLOW_1024_BIT_KEY);
    expected = sign_fixed(direct);
    from_env_signs(LAYER_FLAG_ALLOW_1024_BIT_KEY, expected, "1024-bit key with the flag");
    CHECK_OK(layer_signer_from_env(LAYER_FLAG_ALLOW_1024_BIT_KEY, &signer, &error), error);
    token = sign_fixed(signer);
    CHECK_STR(token, expected);
    verifier = new_verifier(rsa1024_public, TEST_PROVIDER_ID, TEST_KEY_ID,
                            LAYER_FLAG_ALLOW_1024_BIT_KEY);
    claims = verify_claims_ok(verifier, token, NONCE, TEST_IAT);
    CHECK_STR(layer_claims_user_id(claims, NULL), USER);
    layer_claims_free(claims);
    layer_verifier_free(verifier);
    layer_string_free(token);
    layer_string_free(expected);
    layer_signer_free(signer);
    layer_signer_free(direct);
    /* The 512-bit key stays weak with the flag. */
    free(rsa1024_path);
    rsa1024_path = key_path("rsa512.pkcs8.pem");
    set_env("LAYER_PRIVATE_KEY_PATH", rsa1024_path);
    message = from_env_fails(LAYER_FLAG_ALLOW_1024_BIT_KEY, LAYER_ERR_WEAK_KEY, "512");
    free(message);
    free(rsa1024_path);
    free(rsa1024);
    free(rsa1024_public);
  }
  clear_env();
  free(path);
}

/* ---------------------------------------------------------------- layer_signer_sign_with */

/* Indexes 0..count-1 of `names` in byte order of the names (strcmp compares unsigned chars). */
static void sorted_order(const char *const *names, size_t count, size_t *order) {
  size_t i, j;
  for (i = 0; i < count; i++) order[i] = i;
  for (i = 1; i < count; i++) {
    for (j = i; j > 0 && strcmp(names[order[j - 1]], names[order[j]]) > 0; j--) {
      size_t swap = order[j];
      order[j] = order[j - 1];
      order[j - 1] = swap;
    }
  }
}

/* `text` with length `len` (from a getter) equals the C string `expected` (NULL: absent). */
static int check_claim(const char *text, size_t len, const char *expected, const char *file,
                       int line, const char *what) {
  if (expected == NULL) {
    return ts_check(text == NULL && len == 0, file, line, what);
  }
  if (!ts_check_str(text, expected, file, line, what)) return 0;
  return ts_check(len == strlen(expected), file, line, what);
}
#define CHECK_CLAIM(getter, claims, expected)                                              \
  do {                                                                                     \
    size_t len_ = 12345;                                                                   \
    const char *text_ = getter((claims), &len_);                                           \
    check_claim(text_, len_, (expected), __FILE__, __LINE__, #getter);                     \
    ts_check(getter((claims), NULL) == text_, __FILE__, __LINE__, #getter " (NULL out_len)"); \
  } while (0)

/* Every getter of `claims` against the values signed (metadata given in any order). */
static void check_claims(const LayerClaims *claims, const char *user, const char *nonce,
                         int64_t iat, int64_t exp, const char *first, const char *last,
                         const char *display, const char *avatar, const char *const *names,
                         const char *const *values, size_t count) {
  size_t order[64], i, len;
  CHECK_CLAIM(layer_claims_provider_id, claims, TEST_PROVIDER_ID);
  CHECK_CLAIM(layer_claims_user_id, claims, user);
  CHECK_CLAIM(layer_claims_nonce, claims, nonce);
  CHECK(layer_claims_issued_at(claims) == iat);
  CHECK(layer_claims_expires_at(claims) == exp);
  CHECK_CLAIM(layer_claims_first_name, claims, first);
  CHECK_CLAIM(layer_claims_last_name, claims, last);
  CHECK_CLAIM(layer_claims_display_name, claims, display);
  CHECK_CLAIM(layer_claims_avatar_url, claims, avatar);
  if (!CHECK(count <= 64 && layer_claims_metadata_count(claims) == count)) return;
  sorted_order(names, count, order);
  for (i = 0; i < count; i++) {
    const char *name, *value;
    len = 999;
    name = layer_claims_metadata_name(claims, i, &len);
    check_claim(name, len, names[order[i]], __FILE__, __LINE__, "layer_claims_metadata_name");
    len = 999;
    value = layer_claims_metadata_value(claims, i, &len);
    check_claim(value, len, values[order[i]], __FILE__, __LINE__, "layer_claims_metadata_value");
    CHECK(layer_claims_metadata_name(claims, i, NULL) == name);
    CHECK(layer_claims_metadata_value(claims, i, NULL) == value);
  }
  /* Past the end, far past it. */
  len = 999;
  CHECK(layer_claims_metadata_name(claims, count, &len) == NULL && len == 0);
  len = 999;
  CHECK(layer_claims_metadata_value(claims, count, &len) == NULL && len == 0);
  CHECK(layer_claims_metadata_name(claims, (size_t)-1, NULL) == NULL);
  CHECK(layer_claims_metadata_value(claims, (size_t)-1, NULL) == NULL);
}

/* An attribute signed as "" is absent from the token. */
static const char *signed_attribute(const char *value) {
  return value != NULL && *value == '\0' ? NULL : value;
}

/* The typed claims of `token` equal what was signed, and their JSON what verify returns. */
static void verify_and_check(const LayerVerifier *verifier, const char *token, const char *first,
                             const char *last, const char *display, const char *avatar,
                             const char *const *names, const char *const *values, size_t count) {
  LayerClaims *claims = verify_claims_ok(verifier, token, NONCE, TEST_IAT);
  char *json = NULL, *error = NULL;
  size_t len = 0;
  CHECK_OK(layer_verifier_verify(verifier, token, NONCE, TEST_IAT, 0, &json, &error), error);
  check_claims(claims, USER, NONCE, TEST_IAT, TEST_IAT + 600, signed_attribute(first),
               signed_attribute(last), signed_attribute(display), signed_attribute(avatar), names,
               values, count);
  CHECK_STR(layer_claims_json(claims, &len), json);
  CHECK(json != NULL && len == strlen(json));
  layer_string_free(json);
  layer_claims_free(claims);
}

struct sign_with_case {
  const char *what;
  const char *first, *last, *display, *avatar;
  size_t count;
  const char *names[4], *values[4];
  const char *json;  /* the equivalent attributes_json for layer_signer_sign */
  const char *tail;  /* the claims after "nce", exactly */
};

static const struct sign_with_case sign_with_cases[] = {
    {"nothing", NULL, NULL, NULL, NULL, 0, {NULL}, {NULL}, NULL, ""},
    {"first name", "Al", NULL, NULL, NULL, 0, {NULL}, {NULL}, "{\"first_name\":\"Al\"}",
     ",\"first_name\":\"Al\""},
    {"everything, metadata unsorted",
     "Zo\xc3\xab",
     "O'Brien",
     "Zo\xc3\xab \xc3\x96",
     "https://cdn.example.com/a.png?s=1&t=2",
     4,
     {"tier", "\xc3\xa9t\xc3\xa9", "Team", "10"},
     {"gold", "\xc3\xbc", "x", ""},
     "{\"metadata\":{\"tier\":\"gold\",\"\xc3\xa9t\xc3\xa9\":\"\\u00fc\",\"Team\":\"x\","
     "\"10\":\"\"},\"avatar_url\":\"https:\\/\\/cdn.example.com\\/a.png?s=1&t=2\","
     "\"display_name\":\"Zo\xc3\xab \xc3\x96\",\"last_name\":\"O'Brien\","
     "\"first_name\":\"Zo\\u00eb\"}",
     ",\"first_name\":\"Zo\xc3\xab\",\"last_name\":\"O'Brien\",\"display_name\":\"Zo\xc3\xab "
     "\xc3\x96\",\"avatar_url\":\"https://cdn.example.com/a.png?s=1&t=2\",\"metadata\":{\"10\":"
     "\"\",\"Team\":\"x\",\"tier\":\"gold\",\"\xc3\xa9t\xc3\xa9\":\"\xc3\xbc\"}"},
    {"escaping",
     "a\"b\\c\n\x01",
     NULL,
     "\xf0\x9f\x98\x80",
     NULL,
     2,
     {"k\"ey", "\x7f"},
     {"v\\al\t", "\xe2\x80\xa8"},
     "{\"first_name\":\"a\\\"b\\\\c\\n\\u0001\",\"display_name\":\"\\ud83d\\ude00\","
     "\"metadata\":{\"k\\\"ey\":\"v\\\\al\\t\",\"\x7f\":\"\\u2028\"}}",
     ",\"first_name\":\"a\\\"b\\\\c\\n\\u0001\",\"display_name\":\"\xf0\x9f\x98\x80\","
     "\"metadata\":{\"k\\\"ey\":\"v\\\\al\\t\",\"\x7f\":\"\xe2\x80\xa8\"}"},
    /* An empty attribute is absent; an empty metadata value is a value. */
    {"empty strings", NULL, "", NULL, NULL, 1, {"x"}, {""},
     "{\"last_name\":\"\",\"metadata\":{\"x\":\"\"}}",
     ",\"metadata\":{\"x\":\"\"}"},
    {"metadata only, names that sort by bytes",
     NULL,
     NULL,
     NULL,
     NULL,
     4,
     {"b", "B", "a_", "a"},
     {"1", "2", "3", "4"},
     "{\"metadata\":{\"a_\":\"3\",\"B\":\"2\",\"a\":\"4\",\"b\":\"1\"}}",
     ",\"metadata\":{\"B\":\"2\",\"a\":\"4\",\"a_\":\"3\",\"b\":\"1\"}"},
};

static void test_sign_with_equals_sign(void) {
  LayerSigner *signer = new_signer(key_pkcs8, NULL, 0);
  LayerSigner *jwt_signer = new_signer(key_pkcs8, NULL, LAYER_FLAG_TYP_JWT);
  LayerVerifier *verifier = new_verifier(key_public, TEST_PROVIDER_ID, TEST_KEY_ID, 0);
  size_t i;
  for (i = 0; i < sizeof sign_with_cases / sizeof sign_with_cases[0]; i++) {
    const struct sign_with_case *c = &sign_with_cases[i];
    const char *const *names = c->count ? c->names : NULL;
    const char *const *values = c->count ? c->values : NULL;
    char *with = sign_with_ok(signer, c->first, c->last, c->display, c->avatar, names, values,
                              c->count);
    char *json = sign_json_ok(signer, c->json);
    char *claims = claims_of(with), *expected = ts_concat(CLAIMS_HEAD, c->tail, "}", (char *)0);
    if (!CHECK_STR(with, json)) fprintf(stderr, "  (%s)\n", c->what);
    if (!CHECK_STR(claims, expected)) fprintf(stderr, "  (%s)\n", c->what);
    verify_and_check(verifier, with, c->first, c->last, c->display, c->avatar, c->names,
                     c->values, c->count);
    if (c->count == 4 && c->first != NULL) {
      /* The same with typ JWT (once: signing is slow under valgrind). */
      char *jwt_with = sign_with_ok(jwt_signer, c->first, c->last, c->display, c->avatar, names,
                                    values, c->count);
      char *jwt_json = sign_json_ok(jwt_signer, c->json);
      CHECK_STR(jwt_with, jwt_json);
      CHECK(jwt_with != NULL && with != NULL && strcmp(jwt_with, with) != 0);
      layer_string_free(jwt_with);
      layer_string_free(jwt_json);
    }
    layer_string_free(claims);
    free(expected);
    layer_string_free(with);
    layer_string_free(json);
  }
  /* No metadata in any spelling is the plain token. */
  {
    static const char *const names[] = {"a", "b", "c"};
    static const char *const values[] = {"1", "2", "3"};
    char *token = sign_with_ok(signer, NULL, NULL, NULL, NULL, names, values, 0);
    CHECK_STR(token, reference_jws);
    layer_string_free(token);
    token = sign_json_ok(signer, "{\"metadata\":null}");
    CHECK_STR(token, reference_jws);
    layer_string_free(token);
    token = sign_json_ok(signer, "{\"metadata\":{}}");
    CHECK_STR(token, reference_jws);
    layer_string_free(token);
    /* count is what counts: the third entry is not read. */
    token = sign_with_ok(signer, NULL, NULL, NULL, NULL, names, values, 2);
    {
      char *json = sign_json_ok(signer, "{\"metadata\":{\"b\":\"2\",\"a\":\"1\"}}");
      CHECK_STR(token, json);
      layer_string_free(json);
    }
    layer_string_free(token);
  }
  /* Times and user as for layer_signer_sign; out_error NULL on success. */
  {
    char *a = NULL, *b = NULL;
    CHECK_STATUS(layer_signer_sign_with(signer, "\xc3\xa9l\xc3\xa8ve", "n", TEST_IAT + 5, 60,
                                        "F", NULL, NULL, NULL, NULL, NULL, 0, &a, NULL),
                 LAYER_OK);
    CHECK_STATUS(layer_signer_sign(signer, "\xc3\xa9l\xc3\xa8ve", "n", TEST_IAT + 5, 60,
                                   "{\"first_name\":\"F\"}", &b, NULL),
                 LAYER_OK);
    CHECK_STR(a, b);
    if (a != NULL) ts_log_token(a, key_public);
    layer_string_free(a);
    layer_string_free(b);
  }
  layer_verifier_free(verifier);
  layer_signer_free(jwt_signer);
  layer_signer_free(signer);
}

/* sign_with expecting `status` with `fragment`; the token out-parameter left alone. */
static void sign_with_fails(const LayerSigner *signer, const char *user, const char *nonce,
                            const char *first, const char *last, const char *display,
                            const char *avatar, const char *const *names,
                            const char *const *values, size_t count, LayerStatus status,
                            const char *fragment, int line) {
  char *token = ts_sentinel_string, *error = NULL;
  ts_check_error(layer_signer_sign_with(signer, user, nonce, TEST_IAT, 600, first, last, display,
                                        avatar, names, values, count, &token, &error),
                 status, &error, fragment, __FILE__, line, "layer_signer_sign_with");
  ts_check(token == ts_sentinel_string, __FILE__, line, "token untouched");
  ts_check_status(layer_signer_sign_with(signer, user, nonce, TEST_IAT, 600, first, last,
                                         display, avatar, names, values, count, &token, NULL),
                  status, __FILE__, line, "layer_signer_sign_with (out_error NULL)");
  ts_check(token == ts_sentinel_string, __FILE__, line, "token untouched");
}
#define SIGN_WITH_FAILS(signer, user, nonce, first, last, display, avatar, names, values, count, \
                        status, fragment)                                                       \
  sign_with_fails((signer), (user), (nonce), (first), (last), (display), (avatar), (names),     \
                  (values), (count), (status), (fragment), __LINE__)

static void test_sign_with_invalid(void) {
  LayerSigner *signer = new_signer(key_pkcs8, NULL, 0);
  static const char *const two[] = {"a", "b"};
  static const char *const twice[] = {"a", "b", "a"};
  static const char *const twice_values[] = {"1", "2", "1"};
  static const char *const empty_name[] = {"a", ""};
  static const char *const null_second[] = {"a", NULL};
  static const char *const null_first[] = {NULL, "b"};
  static const char *const bad_utf8[] = {"\xff", "\xc3\x28", "\xc0\xaf", "\xed\xa0\x80"};
  size_t j;

  /* Metadata names: distinct and non-empty. */
  SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, NULL, twice, twice_values, 3,
                  LAYER_ERR_INVALID_ARGUMENT, "metadata");
  SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, NULL, twice, twice_values, 3,
                  LAYER_ERR_INVALID_ARGUMENT, "twice");
  SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, NULL, empty_name, two, 2,
                  LAYER_ERR_INVALID_ARGUMENT, "metadata");
  SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, NULL, empty_name + 1, two, 1,
                  LAYER_ERR_INVALID_ARGUMENT, "empty");
  /* The same through attributes_json. */
  {
    char *token = ts_sentinel_string, *error = NULL;
    CHECK_ERROR(layer_signer_sign(signer, USER, NONCE, TEST_IAT, 600, "{\"metadata\":{\"\":\"1\"}}",
                                  &token, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "metadata");
    CHECK_ERROR(layer_signer_sign(signer, USER, NONCE, TEST_IAT, 600,
                                  "{\"metadata\":{\"a\":\"1\",\"a\":\"2\"}}", &token, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "duplicate");
    CHECK_ERROR(layer_signer_sign(signer, USER, NONCE, TEST_IAT, 600, "{\"metadata\":{\"a\":1}}",
                                  &token, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "metadata");
    CHECK_ERROR(layer_signer_sign(signer, USER, NONCE, TEST_IAT, 600, "{\"metadata\":[]}", &token,
                                  &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "metadata");
    CHECK(token == ts_sentinel_string);
  }

  /* NULL arrays: fine with count 0, named with count > 0; a NULL element is named too. */
  SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, NULL, NULL, two, 2,
                  LAYER_ERR_NULL_ARGUMENT, "metadata_names");
  SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, NULL, two, NULL, 2,
                  LAYER_ERR_NULL_ARGUMENT, "metadata_values");
  SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, NULL, NULL, NULL, 1,
                  LAYER_ERR_NULL_ARGUMENT, "metadata_");
  SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, NULL, null_second, two, 2,
                  LAYER_ERR_NULL_ARGUMENT, "metadata_names[1]");
  SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, NULL, null_first, two, 2,
                  LAYER_ERR_NULL_ARGUMENT, "metadata_names[0]");
  SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, NULL, two, null_second, 2,
                  LAYER_ERR_NULL_ARGUMENT, "metadata_values[1]");
  SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, NULL, two, null_first, 2,
                  LAYER_ERR_NULL_ARGUMENT, "metadata_values[0]");

  /* The other required arguments. */
  SIGN_WITH_FAILS(NULL, USER, NONCE, NULL, NULL, NULL, NULL, NULL, NULL, 0,
                  LAYER_ERR_NULL_ARGUMENT, "signer");
  SIGN_WITH_FAILS(signer, NULL, NONCE, "F", NULL, NULL, NULL, two, two, 2,
                  LAYER_ERR_NULL_ARGUMENT, "user_id");
  SIGN_WITH_FAILS(signer, USER, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0,
                  LAYER_ERR_NULL_ARGUMENT, "nonce");
  SIGN_WITH_FAILS(signer, "", NONCE, NULL, NULL, NULL, NULL, NULL, NULL, 0,
                  LAYER_ERR_INVALID_ARGUMENT, "user ID is empty");
  SIGN_WITH_FAILS(signer, USER, "", NULL, NULL, NULL, NULL, NULL, NULL, 0,
                  LAYER_ERR_INVALID_ARGUMENT, "nonce is empty");
  {
    char *error = NULL;
    char *token = ts_sentinel_string;
    CHECK_ERROR(layer_signer_sign_with(signer, USER, NONCE, TEST_IAT, 600, NULL, NULL, NULL, NULL,
                                       NULL, NULL, 0, NULL, &error),
                LAYER_ERR_NULL_ARGUMENT, error, "out_token");
    CHECK_STATUS(layer_signer_sign_with(signer, USER, NONCE, TEST_IAT, 600, NULL, NULL, NULL,
                                        NULL, NULL, NULL, 0, NULL, NULL),
                 LAYER_ERR_NULL_ARGUMENT);
    CHECK_ERROR(layer_signer_sign_with(signer, USER, NONCE, (int64_t)1700000000000LL, 600, NULL,
                                       NULL, NULL, NULL, NULL, NULL, 0, &token, &error),
                LAYER_ERR_INVALID_ARGUMENT, error, "milliseconds");
    CHECK(token == ts_sentinel_string);
  }

  /* Invalid UTF-8 in every string argument, named. */
  for (j = 0; j < sizeof bad_utf8 / sizeof bad_utf8[0]; j++) {
    const char *bad = bad_utf8[j];
    const char *names[3], *values[3];
    names[0] = "a";
    names[1] = "b";
    names[2] = "c";
    values[0] = "1";
    values[1] = "2";
    values[2] = "3";
    SIGN_WITH_FAILS(signer, bad, NONCE, NULL, NULL, NULL, NULL, NULL, NULL, 0,
                    LAYER_ERR_INVALID_UTF8, "user_id");
    SIGN_WITH_FAILS(signer, USER, bad, NULL, NULL, NULL, NULL, NULL, NULL, 0,
                    LAYER_ERR_INVALID_UTF8, "nonce");
    SIGN_WITH_FAILS(signer, USER, NONCE, bad, NULL, NULL, NULL, NULL, NULL, 0,
                    LAYER_ERR_INVALID_UTF8, "first_name");
    SIGN_WITH_FAILS(signer, USER, NONCE, NULL, bad, NULL, NULL, NULL, NULL, 0,
                    LAYER_ERR_INVALID_UTF8, "last_name");
    SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, bad, NULL, NULL, NULL, 0,
                    LAYER_ERR_INVALID_UTF8, "display_name");
    SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, bad, NULL, NULL, 0,
                    LAYER_ERR_INVALID_UTF8, "avatar_url");
    names[2] = bad;
    SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, NULL, names, values, 3,
                    LAYER_ERR_INVALID_UTF8, "metadata_names[2]");
    names[2] = "c";
    values[1] = bad;
    SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, NULL, names, values, 3,
                    LAYER_ERR_INVALID_UTF8, "metadata_values[1]");
  }
  layer_signer_free(signer);
}

/* The 16 KiB limit: the largest token sign_with makes verifies, one byte more is refused. */
static void test_sign_with_size_limit(void) {
  LayerSigner *signer = new_signer(key_pkcs8, NULL, 0);
  LayerVerifier *verifier = new_verifier(key_public, TEST_PROVIDER_ID, TEST_KEY_ID, 0);
  char *big = malloc(20001), *token;
  size_t low = 0, high = 20000, len;
  static const char *const name[] = {"blob"};
  const char *value[1];
  if (big == NULL) abort();
  memset(big, 'v', 20000);
  big[20000] = '\0';
  value[0] = big;
  /* Binary search for the longest metadata value that fits: low fits, high does not. */
  while (high - low > 1) {
    size_t mid = (low + high) / 2;
    LayerStatus status;
    token = NULL;
    big[mid] = '\0';
    status = layer_signer_sign_with(signer, USER, NONCE, TEST_IAT, 600, NULL, NULL, NULL, NULL,
                                    name, value, 1, &token, NULL);
    big[mid] = 'v';
    CHECK(status == LAYER_OK || status == LAYER_ERR_INVALID_ARGUMENT);
    if (status == LAYER_OK) {
      low = mid;
    } else {
      high = mid;
    }
    layer_string_free(token);
  }
  /* About 3/4 of 16 KiB: the claims are base64url-encoded, beside header and signature. */
  CHECK(low > 11500 && low < 12288 && high == low + 1);
  big[low] = '\0';
  token = sign_with_ok(signer, NULL, NULL, NULL, NULL, name, value, 1);
  len = token ? strlen(token) : 0;
  CHECK(len <= 16384 && len > 16384 - 4);
  {
    LayerClaims *claims = verify_claims_ok(verifier, token, NONCE, TEST_IAT);
    size_t value_len = 0;
    CHECK(layer_claims_metadata_count(claims) == 1);
    CHECK(layer_claims_metadata_value(claims, 0, &value_len) != NULL && value_len == low);
    layer_claims_free(claims);
  }
  layer_string_free(token);
  big[low] = 'v';
  big[high] = '\0';
  SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, NULL, name, value, 1,
                  LAYER_ERR_INVALID_ARGUMENT, "16384");
  /* Far over, in an attribute. */
  big[high] = 'v';
  SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, big, NULL, NULL, NULL, 0,
                  LAYER_ERR_INVALID_ARGUMENT, "16384");
  /* Short enough raw, too long once escaped (\u0001 is six bytes). */
  memset(big, '\x01', 3000);
  big[3000] = '\0';
  SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, NULL, name, value, 1,
                  LAYER_ERR_INVALID_ARGUMENT, "16384");
  /* Many entries: 300 fit and come back sorted; 2000 do not. */
  {
    static char storage[2000][8];
    const char *names[2000], *values[2000];
    size_t i;
    for (i = 0; i < 2000; i++) {
      /* Counting down, so the given order is the reverse of the sorted one. */
      sprintf(storage[i], "k%04u", (unsigned)(1999 - i));
      names[i] = storage[i];
      values[i] = "v";
    }
    SIGN_WITH_FAILS(signer, USER, NONCE, NULL, NULL, NULL, NULL, names, values, 2000,
                    LAYER_ERR_INVALID_ARGUMENT, "16384");
    token = sign_with_ok(signer, NULL, NULL, NULL, NULL, names, values, 300);
    {
      LayerClaims *claims = verify_claims_ok(verifier, token, NONCE, TEST_IAT);
      CHECK(layer_claims_metadata_count(claims) == 300);
      CHECK_STR(layer_claims_metadata_name(claims, 0, NULL), "k1700");
      CHECK_STR(layer_claims_metadata_name(claims, 299, NULL), "k1999");
      CHECK_STR(layer_claims_metadata_value(claims, 299, NULL), "v");
      layer_claims_free(claims);
    }
    layer_string_free(token);
  }
  free(big);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
}

/* ---------------------------------------------------------------- verify_claims and getters */

static void test_claims_getters(void) {
  LayerSigner *signer = new_signer(key_pkcs8, NULL, 0);
  LayerVerifier *verifier = new_verifier(key_public, TEST_PROVIDER_ID, TEST_KEY_ID, 0);
  const char *user = "\xe6\xb8\xa1\xe8\xbe\xba \"q\" \\ \xf0\x9f\x98\x80";
  const char *nonce = "n/+=\xc3\xa9";
  static const char *const names[] = {"z", "\xc3\xa9", "A"};
  static const char *const values[] = {"last", "\xe2\x82\xac", "first"};
  char *token = NULL, *error = NULL, *json = NULL;
  LayerClaims *claims;
  size_t len;

  /* Non-ASCII everywhere; now 0 with a token minted now. */
  CHECK_OK(layer_signer_sign_with(signer, user, nonce, 0, 0, "J\xc3\xbcrgen", "M\xc3\xbcller",
                                  "\xe5\xb1\xb1\xe7\x94\xb0", "https://x.example/\xc3\xa4", names,
                                  values, 3, &token, &error),
           error);
  if (token != NULL) ts_log_token(token, key_public);
  claims = verify_claims_ok(verifier, token, nonce, 0);
  {
    int64_t iat = layer_claims_issued_at(claims);
    CHECK(iat > TEST_IAT);
    check_claims(claims, user, nonce, iat, iat + 600, "J\xc3\xbcrgen", "M\xc3\xbcller",
                 "\xe5\xb1\xb1\xe7\x94\xb0", "https://x.example/\xc3\xa4", names, values, 3);
  }
  CHECK_OK(layer_verifier_verify(verifier, token, nonce, 0, 0, &json, &error), error);
  len = 0;
  CHECK_STR(layer_claims_json(claims, &len), json);
  CHECK(json != NULL && len == strlen(json));
  /* Strings are the claims' own: the same pointers until freed. */
  CHECK(layer_claims_user_id(claims, NULL) == layer_claims_user_id(claims, NULL));
  CHECK(layer_claims_json(claims, NULL) == layer_claims_json(claims, NULL));
  layer_string_free(json);
  layer_claims_free(claims);
  layer_string_free(token);

  /* No attributes, no metadata: NULL and 0; the nonce check skipped with NULL. */
  claims = verify_claims_ok(verifier, reference_jws, NULL, TEST_IAT);
  check_claims(claims, USER, NONCE, TEST_IAT, TEST_IAT + 600, NULL, NULL, NULL, NULL, NULL, NULL,
               0);
  CHECK_STR(layer_claims_json(claims, NULL), CLAIMS_FIXED);
  layer_claims_free(claims);
  /* typ JWT verifies the same; out_eit and out_error may be NULL on success. */
  claims = NULL;
  CHECK_STATUS(layer_verifier_verify_claims(verifier, reference_jwt, NONCE, TEST_IAT + 599, 0,
                                            &claims, NULL, NULL),
               LAYER_OK);
  CHECK_STR(layer_claims_json(claims, NULL), CLAIMS_FIXED);
  layer_claims_free(claims);
  /* Leeway as for layer_verifier_verify. */
  claims = NULL;
  CHECK_STATUS(layer_verifier_verify_claims(verifier, reference_jws, NONCE, TEST_IAT + 610, 11,
                                            &claims, NULL, NULL),
               LAYER_OK);
  CHECK(layer_claims_expires_at(claims) == TEST_IAT + 600);
  layer_claims_free(claims);
  layer_verifier_free(verifier);
  layer_signer_free(signer);
}

static void test_claims_null(void) {
  size_t len = 77;
  CHECK(layer_claims_provider_id(NULL, &len) == NULL && len == 0);
  len = 77;
  CHECK(layer_claims_user_id(NULL, &len) == NULL && len == 0);
  len = 77;
  CHECK(layer_claims_nonce(NULL, &len) == NULL && len == 0);
  len = 77;
  CHECK(layer_claims_first_name(NULL, &len) == NULL && len == 0);
  len = 77;
  CHECK(layer_claims_last_name(NULL, &len) == NULL && len == 0);
  len = 77;
  CHECK(layer_claims_display_name(NULL, &len) == NULL && len == 0);
  len = 77;
  CHECK(layer_claims_avatar_url(NULL, &len) == NULL && len == 0);
  len = 77;
  CHECK(layer_claims_json(NULL, &len) == NULL && len == 0);
  len = 77;
  CHECK(layer_claims_metadata_name(NULL, 0, &len) == NULL && len == 0);
  len = 77;
  CHECK(layer_claims_metadata_value(NULL, 0, &len) == NULL && len == 0);
  CHECK(layer_claims_user_id(NULL, NULL) == NULL);
  CHECK(layer_claims_json(NULL, NULL) == NULL);
  CHECK(layer_claims_metadata_name(NULL, 0, NULL) == NULL);
  CHECK(layer_claims_issued_at(NULL) == 0);
  CHECK(layer_claims_expires_at(NULL) == 0);
  CHECK(layer_claims_metadata_count(NULL) == 0);
  layer_claims_free(NULL);
}

/* Tokens crafted by run.sh: what only a foreign signer writes. */
static void test_claims_of_crafted_tokens(void) {
  LayerVerifier *verifier = new_verifier(key_public, TEST_PROVIDER_ID, TEST_KEY_ID, 0);
  LayerClaims *claims;
  const char *text;
  char *json = NULL, *error = NULL;
  size_t len;

  /* prn "a\u0000b": three bytes, NUL in the middle, NUL-terminated after. */
  claims = verify_claims_ok(verifier, crafted("NUL_PRN"), NONCE, TEST_IAT);
  len = 0;
  text = layer_claims_user_id(claims, &len);
  CHECK(len == 3);
  CHECK(text != NULL && memcmp(text, "a\0b", 4) == 0);
  CHECK_STR(layer_claims_json(claims, NULL),
            "{\"iss\":\"" TEST_PROVIDER_ID "\",\"prn\":\"a\\u0000b\",\"iat\":1700000000,"
            "\"exp\":1700000600,\"nce\":\"nonce-abc\"}");
  CHECK_OK(layer_verifier_verify(verifier, crafted("NUL_PRN"), NONCE, TEST_IAT, 0, &json, &error),
           error);
  CHECK_STR(layer_claims_json(claims, NULL), json);
  layer_string_free(json);
  layer_claims_free(claims);

  /* Null attributes are absent; metadata out of order comes back in name order, a U+0000 in a
   * value kept; claims the library does not interpret stay in the JSON. */
  claims = verify_claims_ok(verifier, crafted("ATTRIBUTES"), NONCE, TEST_IAT);
  CHECK_CLAIM(layer_claims_first_name, claims, "Al");
  CHECK_CLAIM(layer_claims_last_name, claims, NULL);
  CHECK_CLAIM(layer_claims_display_name, claims, NULL);
  CHECK_CLAIM(layer_claims_avatar_url, claims, NULL);
  CHECK(layer_claims_metadata_count(claims) == 3);
  CHECK_STR(layer_claims_metadata_name(claims, 0, NULL), "Alpha");
  CHECK_STR(layer_claims_metadata_name(claims, 1, NULL), "mid");
  CHECK_STR(layer_claims_metadata_name(claims, 2, NULL), "zeta");
  len = 0;
  text = layer_claims_metadata_value(claims, 0, &len);
  CHECK(len == 3 && text != NULL && memcmp(text, "x\0y", 4) == 0);
  len = 99;
  CHECK_STR(layer_claims_metadata_value(claims, 1, &len), "");
  CHECK(len == 0);
  CHECK_STR(layer_claims_metadata_value(claims, 2, NULL), "1");
  CHECK_CONTAINS(layer_claims_json(claims, NULL),
                 ",\"last_name\":null,\"display_name\":null,\"metadata\":{\"zeta\":\"1\","
                 "\"Alpha\":\"x\\u0000y\",\"mid\":\"\"},\"extra\":[1,{\"n\":null}]}");
  CHECK_OK(layer_verifier_verify(verifier, crafted("ATTRIBUTES"), NONCE, TEST_IAT, 0, &json,
                                 &error),
           error);
  CHECK_STR(layer_claims_json(claims, NULL), json);
  layer_string_free(json);
  layer_claims_free(claims);

  /* metadata null: none. */
  claims = verify_claims_ok(verifier, crafted("NULL_METADATA"), NONCE, TEST_IAT);
  CHECK(layer_claims_metadata_count(claims) == 0);
  CHECK(layer_claims_metadata_name(claims, 0, NULL) == NULL);
  CHECK_CLAIM(layer_claims_first_name, claims, NULL);
  layer_claims_free(claims);
  layer_verifier_free(verifier);
}

struct rejection {
  const char *what;
  const LayerVerifier *verifier;
  const char *token;
  const char *nonce;
  int64_t now;
  LayerStatus status;
  LayerEit eit;
};

/* One rejection by verify_claims: status, eit, its name as the message's prefix, the same
 * message as layer_verifier_verify, claims untouched; again with out_eit and out_error NULL. */
static void check_rejection(const struct rejection *r) {
  LayerClaims *claims = sentinel_claims;
  LayerEit eit = EIT_SENTINEL;
  char *error = NULL, *verify_error = NULL, *json = ts_sentinel_string, *prefix;
  LayerStatus status =
      layer_verifier_verify_claims(r->verifier, r->token, r->nonce, r->now, 0, &claims, &eit,
                                   &error);
  int ok = CHECK_STATUS(status, r->status);
  ok &= CHECK(eit == r->eit);
  if (!ok) {
    fprintf(stderr, "  (%s: eit %d, expected %d; %s)\n", r->what, (int)eit, (int)r->eit,
            error ? error : "no message");
  }
  CHECK(claims == sentinel_claims);
  prefix = ts_concat(layer_eit_name(r->eit), ": ", (const char *)NULL);
  CHECK(strlen(prefix) > 6);
  CHECK_PREFIX(error, prefix);
  CHECK_PREFIX(error, layer_eit_name(eit));
  CHECK_STATUS(layer_verifier_verify(r->verifier, r->token, r->nonce, r->now, 0, &json,
                                     &verify_error),
               r->status);
  CHECK_STR(error, verify_error);
  CHECK(json == ts_sentinel_string);
  free(prefix);
  layer_string_free(error);
  layer_string_free(verify_error);
  CHECK_STATUS(layer_verifier_verify_claims(r->verifier, r->token, r->nonce, r->now, 0, &claims,
                                            NULL, NULL),
               r->status);
  CHECK(claims == sentinel_claims);
  eit = EIT_SENTINEL;
  CHECK_STATUS(layer_verifier_verify_claims(r->verifier, r->token, r->nonce, r->now, 0, &claims,
                                            &eit, NULL),
               r->status);
  CHECK(eit == r->eit);
}

/* `header_json` (base64url) + the claims and signature parts of `token`. */
static char *with_header(const char *token, const char *header_json) {
  char *header = ts_b64url_encode((const unsigned char *)header_json, strlen(header_json));
  char *rebuilt = ts_concat(header, strchr(token, '.'), (const char *)NULL);
  free(header);
  return rebuilt;
}

static void test_verify_claims_rejections(void) {
  char *other_public = ts_key("rsa2048-other.public.pem");
  LayerVerifier *verifier = new_verifier(key_public, TEST_PROVIDER_ID, TEST_KEY_ID, 0);
  LayerVerifier *other_key = new_verifier(other_public, TEST_PROVIDER_ID, TEST_KEY_ID, 0);
  LayerVerifier *other_kid = new_verifier(key_public, TEST_PROVIDER_ID, TEST_OTHER_KEY_ID, 0);
  LayerVerifier *other_iss = new_verifier(key_public, TEST_OTHER_PROVIDER_ID, TEST_KEY_ID, 0);
  char *padded = ts_concat(reference_jws, "=", (const char *)NULL);
  char *wrong_type = with_header(
      reference_jws, "{\"typ\":\"JWS\",\"alg\":\"RS256\",\"cty\":1,\"kid\":\"" TEST_KEY_ID "\"}");
  char *wrong_alg = with_header(
      reference_jws,
      "{\"typ\":\"JWS\",\"alg\":\"none\",\"cty\":\"layer-eit;v=1\",\"kid\":\"" TEST_KEY_ID "\"}");
  char *no_kid =
      with_header(reference_jws, "{\"typ\":\"JWS\",\"alg\":\"RS256\",\"cty\":\"layer-eit;v=1\"}");
  const int64_t exp = TEST_IAT + 600;
  const struct rejection rejections[] = {
      {"two parts", verifier, "a.b", NONCE, TEST_IAT, LAYER_ERR_MALFORMED_TOKEN,
       LAYER_EIT_WRONG_JWS_PART_COUNT},
      {"empty", verifier, "", NONCE, TEST_IAT, LAYER_ERR_MALFORMED_TOKEN,
       LAYER_EIT_WRONG_JWS_PART_COUNT},
      {"padding", verifier, padded, NONCE, TEST_IAT, LAYER_ERR_MALFORMED_TOKEN,
       LAYER_EIT_MALFORMED_BASE64URL},
      {"not base64url", verifier, "a.b.c", NONCE, TEST_IAT, LAYER_ERR_MALFORMED_TOKEN,
       LAYER_EIT_MALFORMED_BASE64URL},
      {"header not JSON", verifier, "bm90IGpzb24.e30.AAAA", NONCE, TEST_IAT,
       LAYER_ERR_MALFORMED_TOKEN, LAYER_EIT_MALFORMED_JSON},
      {"NUL text", verifier, "AA.AA.AA", NONCE, TEST_IAT, LAYER_ERR_MALFORMED_TOKEN,
       LAYER_EIT_MALFORMED_JSON},
      {"duplicate metadata name", verifier, crafted("DUPLICATE_METADATA"), NONCE, TEST_IAT,
       LAYER_ERR_MALFORMED_TOKEN, LAYER_EIT_MALFORMED_JSON},
      {"duplicate metadata name, escaped", verifier, crafted("DUPLICATE_METADATA_ESCAPED"), NONCE,
       TEST_IAT, LAYER_ERR_MALFORMED_TOKEN, LAYER_EIT_MALFORMED_JSON},
      {"no header members", verifier, "e30.e30.AAAA", NONCE, TEST_IAT, LAYER_ERR_MALFORMED_TOKEN,
       LAYER_EIT_HEADER_PARAM_NOT_FOUND},
      {"no kid", verifier, no_kid, NONCE, TEST_IAT, LAYER_ERR_MALFORMED_TOKEN,
       LAYER_EIT_HEADER_PARAM_NOT_FOUND},
      {"cty a number", verifier, wrong_type, NONCE, TEST_IAT, LAYER_ERR_MALFORMED_TOKEN,
       LAYER_EIT_HEADER_PARAM_WRONG_TYPE},
      {"alg none", verifier, wrong_alg, NONCE, TEST_IAT, LAYER_ERR_MALFORMED_TOKEN,
       LAYER_EIT_HEADER_PARAM_WRONG_VALUE},
      {"no nce", verifier, crafted("NO_NCE"), NONCE, TEST_IAT, LAYER_ERR_MALFORMED_TOKEN,
       LAYER_EIT_CLAIM_NOT_FOUND},
      {"iat a string", verifier, crafted("IAT_STRING"), NONCE, TEST_IAT,
       LAYER_ERR_MALFORMED_TOKEN, LAYER_EIT_CLAIM_WRONG_TYPE},
      {"iat = exp", verifier, crafted("IAT_IS_EXP"), NONCE, TEST_IAT, LAYER_ERR_MALFORMED_TOKEN,
       LAYER_EIT_CLAIM_WRONG_TYPE},
      {"last_name a number", verifier, crafted("LAST_NAME_NUMBER"), NONCE, TEST_IAT,
       LAYER_ERR_MALFORMED_TOKEN, LAYER_EIT_CLAIM_WRONG_TYPE},
      {"metadata value a number", verifier, crafted("METADATA_NUMBER"), NONCE, TEST_IAT,
       LAYER_ERR_MALFORMED_TOKEN, LAYER_EIT_CLAIM_WRONG_TYPE},
      {"expired", verifier, reference_jws, NONCE, exp, LAYER_ERR_EXPIRED, LAYER_EIT_EXPIRED},
      {"not yet valid", verifier, reference_jws, NONCE, TEST_IAT - 1, LAYER_ERR_NOT_YET_VALID,
       LAYER_EIT_NOT_BEFORE},
      {"other kid", other_kid, reference_jws, NONCE, TEST_IAT, LAYER_ERR_CLAIM_MISMATCH,
       LAYER_EIT_KEY_NOT_FOUND},
      {"other iss", other_iss, reference_jws, NONCE, TEST_IAT, LAYER_ERR_CLAIM_MISMATCH,
       LAYER_EIT_PROVIDER_NOT_FOUND},
      {"other key", other_key, reference_jws, NONCE, TEST_IAT, LAYER_ERR_BAD_SIGNATURE,
       LAYER_EIT_SIGNATURE_VERIFICATION_FAILED},
      {"other nonce", verifier, reference_jws, "nonce-abd", TEST_IAT, LAYER_ERR_CLAIM_MISMATCH,
       LAYER_EIT_NONCE_NOT_FOUND},
  };
  int seen[LAYER_EIT_NONCE_NOT_FOUND + 1] = {0};
  size_t i;
  int all = 1;
  for (i = 0; i < sizeof rejections / sizeof rejections[0]; i++) {
    check_rejection(&rejections[i]);
    seen[rejections[i].eit] = 1;
  }
  /* One token for every identifier. */
  for (i = LAYER_EIT_WRONG_JWS_PART_COUNT; i <= LAYER_EIT_NONCE_NOT_FOUND; i++) all &= seen[i];
  CHECK(all);
  free(padded);
  free(wrong_type);
  free(wrong_alg);
  free(no_kid);
  free(other_public);
  layer_verifier_free(other_iss);
  layer_verifier_free(other_kid);
  layer_verifier_free(other_key);
  layer_verifier_free(verifier);
}

/* Failures that are not about the token: LAYER_EIT_NONE, and nothing else written. */
static void verify_claims_fails_without_eit(const LayerVerifier *verifier, const char *token,
                                            const char *nonce, int64_t now, int null_out_claims,
                                            LayerStatus status, const char *fragment, int line) {
  LayerClaims *claims = sentinel_claims;
  LayerEit eit = LAYER_EIT_EXPIRED;
  char *error = NULL;
  ts_check_error(layer_verifier_verify_claims(verifier, token, nonce, now, 0,
                                              null_out_claims ? NULL : &claims, &eit, &error),
                 status, &error, fragment, __FILE__, line, "layer_verifier_verify_claims");
  ts_check(eit == LAYER_EIT_NONE, __FILE__, line, "eit == LAYER_EIT_NONE");
  ts_check(claims == sentinel_claims, __FILE__, line, "claims untouched");
  ts_check_status(layer_verifier_verify_claims(verifier, token, nonce, now, 0,
                                               null_out_claims ? NULL : &claims, NULL, NULL),
                  status, __FILE__, line, "layer_verifier_verify_claims (NULL out_eit)");
}

static void test_verify_claims_arguments(void) {
  LayerVerifier *verifier = new_verifier(key_public, TEST_PROVIDER_ID, TEST_KEY_ID, 0);
  static const char *bad_utf8[] = {"\xff", "\xc3\x28", "\xed\xa0\x80"};
  size_t j;
  verify_claims_fails_without_eit(NULL, reference_jws, NONCE, TEST_IAT, 0,
                                  LAYER_ERR_NULL_ARGUMENT, "verifier", __LINE__);
  verify_claims_fails_without_eit(verifier, NULL, NONCE, TEST_IAT, 0, LAYER_ERR_NULL_ARGUMENT,
                                  "token", __LINE__);
  verify_claims_fails_without_eit(verifier, reference_jws, NONCE, TEST_IAT, 1,
                                  LAYER_ERR_NULL_ARGUMENT, "out_claims", __LINE__);
  verify_claims_fails_without_eit(NULL, NULL, NULL, 0, 1, LAYER_ERR_NULL_ARGUMENT, "NULL",
                                  __LINE__);
  for (j = 0; j < sizeof bad_utf8 / sizeof bad_utf8[0]; j++) {
    verify_claims_fails_without_eit(verifier, bad_utf8[j], NONCE, TEST_IAT, 0,
                                    LAYER_ERR_INVALID_UTF8, "token", __LINE__);
    verify_claims_fails_without_eit(verifier, reference_jws, bad_utf8[j], TEST_IAT, 0,
                                    LAYER_ERR_INVALID_UTF8, "expected_nonce", __LINE__);
  }
  verify_claims_fails_without_eit(verifier, reference_jws, "", TEST_IAT, 0,
                                  LAYER_ERR_INVALID_ARGUMENT, "nonce", __LINE__);
  verify_claims_fails_without_eit(verifier, reference_jws, NONCE, (int64_t)1700000000000LL, 0,
                                  LAYER_ERR_INVALID_ARGUMENT, "milliseconds", __LINE__);
  layer_verifier_free(verifier);
}

/* ---------------------------------------------------------------- keys and inspect */

/* PEM keys whose line breaks were lost (flattened to nothing or to spaces) load as the
 * original, for signers and verifiers. */
static void test_flattened_pem_keys(void) {
  static const char *private_forms[] = {"rsa2048.pkcs8.pem", "rsa2048.pkcs1.pem"};
  static const char *public_forms[] = {"rsa2048.public.pem", "rsa2048.pkcs8.pem"};
  char *encrypted = ts_key("rsa2048.pkcs8.encrypted.pem");
  size_t i, k;
  for (i = 0; i < sizeof private_forms / sizeof private_forms[0]; i++) {
    char *pem = ts_key(private_forms[i]);
    for (k = 0; k < 2; k++) {
      char *flat = replace_newlines(pem, k == 0 ? '\0' : ' ');
      LayerSigner *signer = new_signer(flat, NULL, 0);
      char *token = sign_fixed(signer), *one_shot = NULL, *error = NULL;
      if (!CHECK_STR(token, reference_jws)) {
        fprintf(stderr, "  (%s, newlines to %s)\n", private_forms[i],
                k == 0 ? "nothing" : "spaces");
      }
      if (i == 0 && k == 1) {
        /* And one-shot. */
        CHECK_OK(layer_sign_token(flat, TEST_PROVIDER_ID, TEST_KEY_ID, USER, NONCE, TEST_IAT, 600,
                                  &one_shot, &error),
                 error);
        CHECK_STR(one_shot, reference_jws);
        layer_string_free(one_shot);
      }
      layer_string_free(token);
      layer_signer_free(signer);
      free(flat);
    }
    free(pem);
  }
  for (k = 0; k < 2; k++) {
    char *flat = replace_newlines(encrypted, k == 0 ? '\0' : ' ');
    LayerSigner *signer = new_signer(flat, TEST_PASSPHRASE, 0);
    char *token = sign_fixed(signer);
    CHECK_STR(token, reference_jws);
    layer_string_free(token);
    layer_signer_free(signer);
    free(flat);
  }
  for (i = 0; i < sizeof public_forms / sizeof public_forms[0]; i++) {
    char *pem = ts_key(public_forms[i]);
    for (k = 0; k < 2; k++) {
      char *flat = replace_newlines(pem, k == 0 ? '\0' : ' ');
      LayerVerifier *verifier = new_verifier(flat, TEST_PROVIDER_ID, TEST_KEY_ID, 0);
      LayerClaims *claims = verify_claims_ok(verifier, reference_jws, NONCE, TEST_IAT);
      CHECK_STR(layer_claims_json(claims, NULL), CLAIMS_FIXED);
      layer_claims_free(claims);
      layer_verifier_free(verifier);
      free(flat);
    }
    free(pem);
  }
  free(encrypted);
}

static void test_inspect_nul_text(void) {
  char *header = ts_sentinel_string, *claims = ts_sentinel_string, *error = NULL;
  /* "AA" is the single byte 0x00: base64url, but no JSON text. It used to be INTERNAL. */
  CHECK_ERROR(layer_token_inspect("AA.AA.AA", &header, &claims, &error), LAYER_ERR_MALFORMED_TOKEN,
              error, "NUL");
  CHECK_ERROR(layer_token_inspect("e30.AA.AA", &header, &claims, &error), LAYER_ERR_MALFORMED_TOKEN,
              error, "claims");
  CHECK_ERROR(layer_token_inspect("AA.e30.AA", &header, &claims, &error), LAYER_ERR_MALFORMED_TOKEN,
              error, "header");
  CHECK_STATUS(layer_token_inspect("AA.AA.AA", &header, &claims, NULL), LAYER_ERR_MALFORMED_TOKEN);
  CHECK(header == ts_sentinel_string);
  CHECK(claims == ts_sentinel_string);
}

int main(int argc, char **argv) {
  static const struct ts_case cases[] = {
      {"abi_version", test_abi_version},
      {"eit_names", test_eit_names},
      {"from_env_missing_variables", test_from_env_missing_variables},
      {"from_env_malformed_ids", test_from_env_malformed_ids},
      {"from_env_key_variables", test_from_env_key_variables},
      {"from_env_path_holding_der_key", test_from_env_path_holding_der_key},
      {"from_env_passphrase", test_from_env_passphrase},
      {"from_env_token_type_and_flags", test_from_env_token_type_and_flags},
      {"sign_with_equals_sign", test_sign_with_equals_sign},
      {"sign_with_invalid", test_sign_with_invalid},
      {"sign_with_size_limit", test_sign_with_size_limit},
      {"claims_getters", test_claims_getters},
      {"claims_null", test_claims_null},
      {"claims_of_crafted_tokens", test_claims_of_crafted_tokens},
      {"verify_claims_rejections", test_verify_claims_rejections},
      {"verify_claims_arguments", test_verify_claims_arguments},
      {"flattened_pem_keys", test_flattened_pem_keys},
      {"inspect_nul_text", test_inspect_nul_text},
  };
  int status;
  LayerSigner *signer;
  key_pkcs8 = ts_key("rsa2048.pkcs8.pem");
  key_public = ts_key("rsa2048.public.pem");
  signer = new_signer(key_pkcs8, NULL, 0);
  reference_jws = sign_fixed(signer);
  layer_signer_free(signer);
  signer = new_signer(key_pkcs8, NULL, LAYER_FLAG_TYP_JWT);
  reference_jwt = sign_fixed(signer);
  layer_signer_free(signer);
  if (reference_jws == NULL || reference_jwt == NULL) {
    fprintf(stderr, "fatal: cannot sign the reference tokens\n");
    return 2;
  }
  status = ts_run("test_env_claims", cases, sizeof cases / sizeof cases[0], argc, argv);
  layer_string_free(reference_jws);
  layer_string_free(reference_jwt);
  free(key_pkcs8);
  free(key_public);
  return status;
}
