/*
 * The shared known-answer signing vectors (vectors/sign.json, made by an independent Python
 * generator) through the C ABI: for every case, layer_signer_new + layer_signer_sign must give
 * the expected token byte for byte, layer_token_inspect the expected header and claims JSON, a
 * verifier built from layer_signer_public_key_pem the expected claims, and, for one-shot cases,
 * layer_sign_token the same token. run.sh converts the JSON with sign_vectors.py into the file
 * named by $LAYER_TEST_SIGN_VECTORS (hex-encoded tab-separated fields: no JSON parser in C).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer_identity.h"
#include "test_support.h"

#define FIELDS 15

/* Hex-decoded copy of a field; NULL for "-" (JSON null). */
static char *field_text(const char *hex) {
  size_t len = strlen(hex), i;
  char *text;
  if (strcmp(hex, "-") == 0) return NULL;
  text = malloc(len / 2 + 1);
  if (text == NULL || len % 2 != 0) {
    fprintf(stderr, "fatal: bad hex field \"%s\"\n", hex);
    exit(2);
  }
  for (i = 0; i < len / 2; i++) {
    unsigned int byte;
    if (sscanf(hex + 2 * i, "%2x", &byte) != 1) {
      fprintf(stderr, "fatal: bad hex field \"%s\"\n", hex);
      exit(2);
    }
    text[i] = (char)byte;
  }
  text[len / 2] = '\0';
  return text;
}

static uint32_t flag_bits(const char *names) {
  uint32_t bits = 0;
  char *copy = ts_strdup(names), *name = copy, *end;
  while (*name != '\0') {
    end = strchr(name, '|');
    if (end != NULL) *end = '\0';
    if (strcmp(name, "TYP_JWT") == 0) {
      bits |= LAYER_FLAG_TYP_JWT;
    } else if (strcmp(name, "ALLOW_1024_BIT_KEY") == 0) {
      bits |= LAYER_FLAG_ALLOW_1024_BIT_KEY;
    } else {
      fprintf(stderr, "fatal: unknown flag name \"%s\" in the vectors\n", name);
      exit(2);
    }
    if (end == NULL) break;
    name = end + 1;
  }
  free(copy);
  return bits;
}

static void run_case(char **field) {
  char *passphrase = field_text(field[2]), *provider = field_text(field[3]);
  char *key_id = field_text(field[4]), *user = field_text(field[5]), *nonce = field_text(field[6]);
  int64_t issued_at = strtoll(field[7], NULL, 10);
  uint32_t ttl = (uint32_t)strtoul(field[8], NULL, 10), flags = flag_bits(field[9]);
  char *attributes = field_text(field[10]);
  int one_shot = strcmp(field[11], "1") == 0;
  char *header_json = field_text(field[12]), *claims_json = field_text(field[13]);
  char *expected = field_text(field[14]);
  char *key, *token = NULL, *header = NULL, *claims = NULL, *public_pem = NULL, *error = NULL;
  LayerSigner *signer = NULL;
  LayerVerifier *verifier = NULL;

  if (strncmp(field[1], "keys/", 5) != 0) {
    fprintf(stderr, "fatal: key file %s is not under vectors/keys\n", field[1]);
    exit(2);
  }
  key = ts_key(field[1] + 5);
  if (CHECK_OK(layer_signer_new(key, passphrase, provider, key_id, flags, &signer, &error),
               error)) {
    CHECK_OK(layer_signer_sign(signer, user, nonce, issued_at, ttl, attributes, &token, &error),
             error);
    CHECK_STR(token, expected);
    CHECK_OK(layer_token_inspect(token ? token : "", &header, &claims, &error), error);
    CHECK_STR(header, header_json);
    CHECK_STR(claims, claims_json);
    layer_string_free(header);
    layer_string_free(claims);
    claims = NULL;
    CHECK_OK(layer_signer_public_key_pem(signer, &public_pem, &error), error);
    if (token != NULL && public_pem != NULL) ts_log_token(token, public_pem);
    CHECK_OK(layer_verifier_new(public_pem ? public_pem : "", provider, key_id,
                                flags & LAYER_FLAG_ALLOW_1024_BIT_KEY, &verifier, &error),
             error);
    CHECK_OK(layer_verifier_verify(verifier, token ? token : "", nonce, issued_at, 0, &claims,
                                   &error),
             error);
    CHECK_STR(claims, claims_json);
    layer_string_free(claims);
    layer_string_free(token);
    token = NULL;
  }
  if (one_shot) {
    CHECK_OK(layer_sign_token(key, provider, key_id, user, nonce, issued_at, ttl, &token, &error),
             error);
    CHECK_STR(token, expected);
    layer_string_free(token);
  }
  layer_verifier_free(verifier);
  layer_signer_free(signer);
  layer_string_free(public_pem);
  free(key);
  free(passphrase);
  free(provider);
  free(key_id);
  free(user);
  free(nonce);
  free(attributes);
  free(header_json);
  free(claims_json);
  free(expected);
}

static void test_sign_vectors(void) {
  const char *path = getenv("LAYER_TEST_SIGN_VECTORS");
  char *text, *line, *next;
  long expected_cases, cases = 0;
  const char *suite_name = ts_case_name;
  if (path == NULL) {
    fprintf(stderr, "fatal: LAYER_TEST_SIGN_VECTORS is not set (tests/c/run.sh sets it)\n");
    exit(2);
  }
  text = ts_read_file(path);
  expected_cases = strtol(text, &line, 10);
  for (line = strchr(text, '\n'); line != NULL && line[1] != '\0'; line = next) {
    char *field[FIELDS];
    int count = 0;
    char *cursor = ++line;
    next = strchr(line, '\n');
    if (next != NULL) *next = '\0';
    while (count < FIELDS) {
      char *tab = strchr(cursor, '\t');
      field[count++] = cursor;
      if (tab == NULL) break;
      *tab = '\0';
      cursor = tab + 1;
    }
    if (count != FIELDS) {
      fprintf(stderr, "fatal: a vector line has %d fields, not %d\n", count, FIELDS);
      exit(2);
    }
    ts_case_name = field[0];
    run_case(field);
    cases++;
    if (next == NULL) break;
  }
  ts_case_name = suite_name;
  CHECK(expected_cases > 0);
  CHECK(cases == expected_cases);
  free(text);
}

int main(int argc, char **argv) {
  static const struct ts_case cases[] = {{"sign_vectors", test_sign_vectors}};
  return ts_run("test_vectors", cases, 1, argc, argv);
}
