/*
 * C ABI tests for the identity-token endpoint (ABI 3): LayerExchange, one HTTP request from
 * head to answer. Every case of tests/endpoint/cases.json is replayed through the C functions
 * (run.sh turns the cases into tab-separated hex with tests/c/endpoint_cases.py and passes the
 * file in $LAYER_TEST_ENDPOINT_CASES), then each step is tested on its own: the answer's
 * headers and body, HEAD, Connection: close, the demo authenticator and its remembered refusal,
 * every authenticate outcome, misuse (NULLs, calls out of step, unknown outcomes), adapter
 * failures, and hostile 64 KiB bodies. Run by tests/c/run.sh under valgrind and ASan+UBSan;
 * every token the endpoint signs is logged and verified again by the openssl CLI and PyJWT.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer_identity.h"
#include "test_support.h"

#define S(text) (text), (sizeof(text) - 1)
#define VALID_BODY "{\"nonce\":\"n-1\",\"user_id\":\"alice\",\"first_name\":\"Ada\"}"
#define JSON_TYPE "application/json"

static char *key_pkcs8;
static char *key_public;
static LayerSigner *signer;
static LayerVerifier *verifier;

/* ---------------------------------------------------------------- helpers */

/* An exchange for a request head; content_type / content_length NULL when absent. */
static LayerExchange *exchange_for(const char *method, const char *target,
                                   const char *content_type, const char *content_length) {
  LayerExchange *exchange = NULL;
  char *error = NULL;
  CHECK_OK(layer_exchange_new(method, strlen(method), target, strlen(target), content_type,
                              content_type ? strlen(content_type) : 0, content_length,
                              content_length ? strlen(content_length) : 0, &exchange, &error),
           error);
  return exchange;
}

/* A POST /identity-token with a JSON body, at step AUTHENTICATE (or RESPOND). */
static LayerExchange *posted(const char *body) {
  char length[32];
  char *error = NULL;
  LayerExchange *exchange;
  snprintf(length, sizeof length, "%zu", strlen(body));
  exchange = exchange_for("POST", "/identity-token", JSON_TYPE, length);
  CHECK(layer_exchange_step(exchange) == LAYER_EXCHANGE_READ_BODY);
  CHECK_OK(layer_exchange_put_body(exchange, (const uint8_t *)body, strlen(body), &error), error);
  return exchange;
}

/* The answer's body as a NUL-terminated copy (malloc'd). */
static char *body_of(const LayerExchange *exchange) {
  size_t len = 99;
  const uint8_t *body = layer_exchange_body(exchange, &len);
  char *copy = malloc(len + 1);
  if (copy == NULL) abort();
  if (len > 0) memcpy(copy, body, len);
  copy[len] = '\0';
  return copy;
}

/* The value of header `name` as a NUL-terminated copy (malloc'd), or NULL. */
static char *header_of(const LayerExchange *exchange, const char *name) {
  const char *names[LAYER_EXCHANGE_MAX_HEADERS], *values[LAYER_EXCHANGE_MAX_HEADERS];
  size_t name_lens[LAYER_EXCHANGE_MAX_HEADERS], value_lens[LAYER_EXCHANGE_MAX_HEADERS];
  size_t count = layer_exchange_headers(exchange, names, name_lens, values, value_lens,
                                        LAYER_EXCHANGE_MAX_HEADERS);
  size_t i;
  CHECK(count <= LAYER_EXCHANGE_MAX_HEADERS);
  for (i = 0; i < count && i < LAYER_EXCHANGE_MAX_HEADERS; i++) {
    if (name_lens[i] == strlen(name) && memcmp(names[i], name, name_lens[i]) == 0) {
      char *value = malloc(value_lens[i] + 1);
      if (value == NULL) abort();
      memcpy(value, values[i], value_lens[i]);
      value[value_lens[i]] = '\0';
      return value;
    }
  }
  return NULL;
}

/* Status, error code (NULL for none) and the contract's two headers on every answer. */
static void check_answer(const LayerExchange *exchange, unsigned status, const char *code) {
  char *body = body_of(exchange), *type = header_of(exchange, "Content-Type"),
       *cache = header_of(exchange, "Cache-Control");
  CHECK(layer_exchange_step(exchange) == LAYER_EXCHANGE_RESPOND);
  if (!CHECK(layer_exchange_status(exchange) == status)) {
    fprintf(stderr, "  status %u, expected %u: %s\n", layer_exchange_status(exchange), status,
            body);
  }
  CHECK_STR(type, "application/json");
  CHECK_STR(cache, "no-store");
  if (code != NULL) {
    char *wanted = ts_concat("{\"error\":{\"code\":\"", code, "\",\"message\":", (const char *)NULL);
    CHECK_PREFIX(body, wanted);
    free(wanted);
  }
  free(body);
  free(type);
  free(cache);
}

/* The token of a 200 answer, verified: prn and nce as expected (malloc'd; logged). */
static char *check_token(const LayerExchange *exchange, const char *prn, size_t prn_len,
                         const char *nce, size_t nce_len) {
  static const char prefix[] = "{\"identity_token\":\"";
  char *body = body_of(exchange), *token, *end, *error = NULL;
  LayerClaims *claims = NULL;
  const char *texts[LAYER_CLAIM_TEXT_COUNT];
  size_t lens[LAYER_CLAIM_TEXT_COUNT];
  if (!CHECK_PREFIX(body, prefix)) return body;
  token = ts_strdup(body + sizeof prefix - 1);
  end = strchr(token, '"');
  if (CHECK(end != NULL && strcmp(end, "\"}") == 0)) *end = '\0';
  free(body);
  if (CHECK_OK(layer_verifier_verify_n(verifier, token, strlen(token), nce, nce_len, 0, 60,
                                       &claims, texts, lens, LAYER_CLAIM_TEXT_COUNT, NULL, NULL,
                                       &error),
               error)) {
    CHECK(lens[LAYER_CLAIM_USER_ID] == prn_len &&
          memcmp(texts[LAYER_CLAIM_USER_ID], prn, prn_len) == 0);
    ts_log_token(token, key_public);
  }
  layer_claims_free(claims);
  return token;
}

/* What a case's authenticate does, at step AUTHENTICATE. */
static void authenticate(LayerExchange *exchange, const char *kind) {
  char *error = NULL;
  if (strcmp(kind, "demo") == 0 || strcmp(kind, "demo_wrapped") == 0) {
    const char *user = NULL;
    size_t len = 0;
    if (layer_exchange_demo_user_id(exchange, &user, &len, &error) == LAYER_OK) {
      /* The exchange's own pointer goes straight back, as adapters do. */
      CHECK_OK(layer_exchange_finish(exchange, signer, LAYER_AUTH_USER, user, len, &error), error);
      return;
    }
    layer_string_free(error);
    error = NULL;
    CHECK_OK(layer_exchange_finish(exchange, signer, LAYER_AUTH_FAILED, NULL, 0, &error), error);
  } else if (strcmp(kind, "reject") == 0 || strcmp(kind, "throws") == 0) {
    CHECK_OK(layer_exchange_finish(exchange, signer, LAYER_AUTH_FAILED, NULL, 0, &error), error);
  } else if (strcmp(kind, "none") == 0) {
    CHECK_OK(layer_exchange_finish(exchange, signer, LAYER_AUTH_NONE, NULL, 0, &error), error);
  } else if (strcmp(kind, "empty") == 0) {
    CHECK_OK(layer_exchange_finish(exchange, signer, LAYER_AUTH_USER, "", 0, &error), error);
  } else if (strcmp(kind, "integer") == 0) {
    CHECK_OK(layer_exchange_finish(exchange, signer, LAYER_AUTH_USER, S("42"), &error), error);
  } else if (strcmp(kind, "not_a_user_id") == 0) {
    CHECK_OK(layer_exchange_finish(exchange, signer, LAYER_AUTH_NOT_A_USER_ID, S("a float"),
                                   &error),
             error);
  } else {
    fprintf(stderr, "unknown authenticator kind %s\n", kind);
    CHECK(0);
  }
}

/* Decodes one field of a case line: `-` is absent (NULL); `x<hex>` bytes, NUL-terminated. */
static unsigned char *decode_field(const char *field, size_t *out_len) {
  size_t len, i;
  unsigned char *bytes;
  *out_len = 0;
  if (strcmp(field, "-") == 0) return NULL;
  if (field[0] != 'x') {
    fprintf(stderr, "malformed case field %s\n", field);
    exit(2);
  }
  len = (strlen(field) - 1) / 2;
  bytes = malloc(len + 1);
  if (bytes == NULL) abort();
  for (i = 0; i < len; i++) {
    unsigned value;
    if (sscanf(field + 1 + 2 * i, "%2x", &value) != 1) exit(2);
    bytes[i] = (unsigned char)value;
  }
  bytes[len] = '\0';
  *out_len = len;
  return bytes;
}

/* ---------------------------------------------------------------- cases */

/* Every case of the contract, through the C functions. */
static void test_every_contract_case(void) {
  const char *path = getenv("LAYER_TEST_ENDPOINT_CASES");
  char *text, *line, *save = NULL;
  int cases = 0;
  if (!CHECK(path != NULL)) return;
  text = ts_read_file(path);
  for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    char *fields[12], *cursor = line;
    unsigned char *decoded[12];
    size_t lens[12], i, body_len;
    LayerExchange *exchange = NULL;
    char *error = NULL;
    for (i = 0; i < 12; i++) {
      fields[i] = cursor;
      cursor = strchr(cursor, '\t');
      if (cursor != NULL) *cursor++ = '\0';
      if (cursor == NULL && i < 11) exit(2);
    }
    for (i = 2; i < 12; i++) {
      decoded[i] = (i == 6 || i == 7 || i == 8) ? NULL : decode_field(fields[i], &lens[i]);
    }
    ts_case_name = fields[0];
    CHECK_OK(layer_exchange_new(fields[1], strlen(fields[1]), (const char *)decoded[2], lens[2],
                                (const char *)decoded[3], lens[3], (const char *)decoded[4],
                                lens[4], &exchange, &error),
             error);
    if (layer_exchange_step(exchange) == LAYER_EXCHANGE_READ_BODY) {
      /* As a server reads it: at most one byte more than the limit. */
      body_len = lens[5] > LAYER_ENDPOINT_MAX_BODY_BYTES + 1 ? LAYER_ENDPOINT_MAX_BODY_BYTES + 1
                                                             : lens[5];
      CHECK_OK(layer_exchange_put_body(exchange, decoded[5], body_len, &error), error);
    }
    if (layer_exchange_step(exchange) == LAYER_EXCHANGE_AUTHENTICATE) {
      authenticate(exchange, fields[6]);
    }
    /* A HEAD answer has no body to carry the code. */
    check_answer(exchange, (unsigned)atoi(fields[7]),
                 strcmp(fields[8], "-") == 0 || strcmp(fields[1], "HEAD") == 0 ? NULL : fields[8]);
    if (strcmp(fields[1], "HEAD") == 0) {
      size_t len = 99;
      layer_exchange_body(exchange, &len);
      CHECK(len == 0);
    }
    if (decoded[9] != NULL) {
      free(check_token(exchange, (const char *)decoded[9], lens[9], (const char *)decoded[10],
                       lens[10]));
    }
    if (decoded[11] != NULL) {
      char *body = body_of(exchange);
      char *wanted = ts_concat("\"message\":", (const char *)decoded[11], "}}", (const char *)NULL);
      CHECK_CONTAINS(body, wanted);
      free(wanted);
      free(body);
    }
    layer_exchange_free(exchange);
    for (i = 2; i < 12; i++) free(decoded[i]);
    cases++;
  }
  ts_case_name = "every_contract_case";
  CHECK(cases >= 170);
  free(text);
}

static void test_health_and_head(void) {
  LayerExchange *get = exchange_for("GET", "/healthz?probe=1", NULL, NULL);
  LayerExchange *head = exchange_for("HEAD", "http://host:8080/healthz", NULL, NULL);
  char *body = body_of(get), *allow;
  size_t len = 99;
  check_answer(get, 200, NULL);
  CHECK_STR(body, "{\"status\":\"ok\"}");
  CHECK(!layer_exchange_closes_connection(get));
  check_answer(head, 200, NULL);
  CHECK(layer_exchange_body(head, &len) != NULL && len == 0);
  free(body);
  layer_exchange_free(get);
  layer_exchange_free(head);
  head = exchange_for("HEAD", "/identity-token", NULL, NULL);
  check_answer(head, 405, NULL);
  allow = header_of(head, "Allow");
  CHECK_STR(allow, "POST");
  len = 99;
  layer_exchange_body(head, &len);
  CHECK(len == 0 && !layer_exchange_closes_connection(head));
  free(allow);
  layer_exchange_free(head);
}

/* Connection: close exactly when a body is left on the connection. */
static void test_connection_close(void) {
  static const struct {
    const char *method, *target, *type, *length;
    unsigned status;
    int closes;
  } cases[] = {
      {"GET", "/nope", NULL, NULL, 404, 0},
      {"GET", "/identity-token", NULL, NULL, 405, 0},
      {"POST", "/nope", JSON_TYPE, "10", 404, 1},
      {"POST", "/nope", NULL, "0", 404, 0},
      {"POST", "/nope", NULL, NULL, 404, 1},
      {"POST", "/identity-token", "text/plain", "5", 415, 1},
      {"POST", "/identity-token", JSON_TYPE, "65537", 413, 1},
      {"POST", "/identity-token", JSON_TYPE, "99999999999999999999999999", 413, 1},
      {"POST", "/identity-token", JSON_TYPE, "+27", 400, 1},
      {"GET", "/healthz", NULL, "1,1", 200, 1},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    LayerExchange *exchange =
        exchange_for(cases[i].method, cases[i].target, cases[i].type, cases[i].length);
    char *connection = header_of(exchange, "Connection");
    check_answer(exchange, cases[i].status, NULL);
    CHECK(layer_exchange_closes_connection(exchange) == (cases[i].closes != 0));
    CHECK((connection != NULL) == (cases[i].closes != 0));
    if (connection != NULL) CHECK_STR(connection, "close");
    free(connection);
    layer_exchange_free(exchange);
  }
}

static void test_fields(void) {
  LayerExchange *exchange = posted(VALID_BODY);
  const char *values[LAYER_FIELD_COUNT + 1];
  size_t lens[LAYER_FIELD_COUNT + 1];
  values[LAYER_FIELD_COUNT] = "untouched";
  CHECK(layer_exchange_step(exchange) == LAYER_EXCHANGE_AUTHENTICATE);
  layer_exchange_fields(exchange, values, lens, LAYER_FIELD_COUNT + 1);
  CHECK(lens[LAYER_FIELD_NONCE] == 3 && memcmp(values[LAYER_FIELD_NONCE], "n-1", 3) == 0);
  CHECK(lens[LAYER_FIELD_FIRST_NAME] == 3 && memcmp(values[LAYER_FIELD_FIRST_NAME], "Ada", 3) == 0);
  CHECK(values[LAYER_FIELD_LAST_NAME] == NULL && lens[LAYER_FIELD_LAST_NAME] == 0);
  CHECK(lens[LAYER_FIELD_USER_ID] == 5 && memcmp(values[LAYER_FIELD_USER_ID], "alice", 5) == 0);
  CHECK(strcmp(values[LAYER_FIELD_COUNT], "untouched") == 0);
  /* Only as many as asked for; either array may be NULL. */
  values[1] = "untouched";
  layer_exchange_fields(exchange, values, NULL, 1);
  CHECK(strcmp(values[1], "untouched") == 0);
  layer_exchange_fields(exchange, NULL, lens, LAYER_FIELD_COUNT);
  CHECK(lens[LAYER_FIELD_USER_ID] == 5);
  layer_exchange_free(exchange);

  /* A user_id that breaks the field rules is absent for a custom authenticate. */
  exchange = posted("{\"nonce\":\"n\",\"user_id\":42}");
  layer_exchange_fields(exchange, values, lens, LAYER_FIELD_COUNT);
  CHECK(values[LAYER_FIELD_USER_ID] == NULL && lens[LAYER_FIELD_USER_ID] == 0);
  layer_exchange_free(exchange);

  /* Before the body, and for NULL, every field is absent. */
  exchange = exchange_for("POST", "/identity-token", JSON_TYPE, "2");
  values[0] = "x";
  layer_exchange_fields(exchange, values, lens, LAYER_FIELD_COUNT);
  CHECK(values[LAYER_FIELD_NONCE] == NULL && lens[LAYER_FIELD_NONCE] == 0);
  layer_exchange_fields(NULL, values, lens, LAYER_FIELD_COUNT);
  CHECK(values[LAYER_FIELD_NONCE] == NULL);
  layer_exchange_free(exchange);
}

/* The demo authenticator's refusal is remembered: a failed authenticate answers it. */
static void test_demo_authenticator(void) {
  LayerExchange *exchange = posted("{\"nonce\":\"n\"}");
  const char *user = "sentinel";
  size_t len = 77;
  char *error = NULL, *token;
  CHECK_ERROR(layer_exchange_demo_user_id(exchange, &user, &len, &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "user_id is required");
  CHECK(strcmp(user, "sentinel") == 0 && len == 77);
  CHECK_OK(layer_exchange_finish(exchange, signer, LAYER_AUTH_FAILED, NULL, 0, &error), error);
  check_answer(exchange, 400, "missing_field");
  layer_exchange_free(exchange);

  /* The application overrides the refusal with a user of its own: a token. */
  exchange = posted("{\"nonce\":\"n\",\"user_id\":\"\"}");
  CHECK_ERROR(layer_exchange_demo_user_id(exchange, &user, &len, &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "user_id must be a non-empty string");
  CHECK_OK(layer_exchange_finish(exchange, signer, LAYER_AUTH_USER, S("bob"), &error), error);
  check_answer(exchange, 200, NULL);
  free(check_token(exchange, S("bob"), S("n")));
  layer_exchange_free(exchange);

  /* Nothing after a refusal is 401, not the refusal. */
  exchange = posted("{\"nonce\":\"n\"}");
  CHECK_STATUS(layer_exchange_demo_user_id(exchange, &user, &len, &error),
               LAYER_ERR_INVALID_ARGUMENT);
  layer_string_free(error);
  error = NULL;
  CHECK_OK(layer_exchange_finish(exchange, signer, LAYER_AUTH_NONE, NULL, 0, &error), error);
  check_answer(exchange, 401, "unauthenticated");
  layer_exchange_free(exchange);

  exchange = posted(VALID_BODY);
  CHECK_OK(layer_exchange_demo_user_id(exchange, &user, &len, &error), error);
  CHECK(len == 5 && memcmp(user, "alice", 5) == 0);
  token = ts_strdup("alice");
  CHECK_OK(layer_exchange_finish(exchange, signer, LAYER_AUTH_USER, token, 5, &error), error);
  free(token);
  free(check_token(exchange, S("alice"), S("n-1")));
  layer_exchange_free(exchange);
}

/* One rule for what authenticate returned. */
static void test_outcomes(void) {
  static const struct {
    int outcome;
    const char *user;
    size_t user_len;
    unsigned status;
    const char *code, *log;
  } cases[] = {
      {LAYER_AUTH_USER, "carol", 5, 200, NULL, NULL},
      {LAYER_AUTH_USER, "", 0, 401, "unauthenticated", "no user"},
      {LAYER_AUTH_NONE, NULL, 0, 401, "unauthenticated", "no user"},
      {LAYER_AUTH_FAILED, NULL, 0, 401, "unauthenticated", "failed"},
      {LAYER_AUTH_NOT_A_USER_ID, "a boolean", 9, 500, "server_error", "a boolean"},
      {LAYER_AUTH_NOT_A_USER_ID, NULL, 0, 500, "server_error", "not a user ID"},
      {LAYER_AUTH_USER, "caf\xe9", 4, 500, "server_error", "not valid UTF-8"},
      {LAYER_AUTH_USER, "a\0b", 3, 500, "server_error", "U+0000"},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    LayerExchange *exchange = posted(VALID_BODY);
    char *error = NULL, *body;
    size_t log_len = 0;
    const char *log;
    CHECK_OK(layer_exchange_finish(exchange, signer, cases[i].outcome, cases[i].user,
                                   cases[i].user_len, &error),
             error);
    check_answer(exchange, cases[i].status, cases[i].code);
    body = body_of(exchange);
    log = layer_exchange_log_message(exchange, &log_len);
    if (cases[i].status == 200) {
      CHECK(log == NULL && log_len == 0);
      free(check_token(exchange, S("carol"), S("n-1")));
    } else if (CHECK(log != NULL)) {
      char *copy = malloc(log_len + 1);
      if (copy == NULL) abort();
      memcpy(copy, log, log_len);
      copy[log_len] = '\0';
      CHECK_CONTAINS(copy, cases[i].log);
      free(copy);
    }
    if (cases[i].status == 401) {
      CHECK_STR(body, "{\"error\":{\"code\":\"unauthenticated\",\"message\":\"authentication required\"}}");
    }
    if (cases[i].status == 500) {
      /* The details are for the log only. */
      CHECK_STR(body, "{\"error\":{\"code\":\"server_error\",\"message\":\"could not create the identity token\"}}");
    }
    free(body);
    layer_exchange_free(exchange);
  }
}

/* Misuse is an error, never a crash: NULLs, calls out of step, unknown outcomes. */
static void test_misuse(void) {
  LayerExchange *exchange = exchange_for("GET", "/healthz", NULL, NULL), *out = NULL;
  char *error = NULL;
  const char *user = NULL;
  size_t len = 0;
  CHECK_ERROR(layer_exchange_put_body(exchange, (const uint8_t *)"{}", 2, &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "put_body");
  CHECK_ERROR(layer_exchange_finish(exchange, signer, LAYER_AUTH_USER, S("x"), &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "finish");
  CHECK_ERROR(layer_exchange_demo_user_id(exchange, &user, &len, &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "demo_user_id");
  check_answer(exchange, 200, NULL); /* unchanged */
  layer_exchange_free(exchange);

  exchange = posted(VALID_BODY);
  CHECK_ERROR(layer_exchange_finish(exchange, signer, 99, NULL, 0, &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "not a LayerAuthOutcome");
  CHECK_ERROR(layer_exchange_finish(exchange, signer, 0, NULL, 0, &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "not a LayerAuthOutcome");
  CHECK_ERROR(layer_exchange_finish(exchange, NULL, LAYER_AUTH_USER, S("x"), &error),
              LAYER_ERR_NULL_ARGUMENT, error, "signer");
  CHECK_ERROR(layer_exchange_finish(exchange, signer, LAYER_AUTH_USER, NULL, 0, &error),
              LAYER_ERR_NULL_ARGUMENT, error, "user_id");
  CHECK_ERROR(layer_exchange_put_body(exchange, (const uint8_t *)"{}", 2, &error),
              LAYER_ERR_INVALID_ARGUMENT, error, "put_body");
  CHECK(layer_exchange_step(exchange) == LAYER_EXCHANGE_AUTHENTICATE);
  /* Nothing needs a signer but a user. */
  CHECK_OK(layer_exchange_finish(exchange, NULL, LAYER_AUTH_NONE, NULL, 0, &error), error);
  check_answer(exchange, 401, "unauthenticated");
  layer_exchange_free(exchange);

  CHECK_ERROR(layer_exchange_new(NULL, 0, S("/"), NULL, 0, NULL, 0, &out, &error),
              LAYER_ERR_NULL_ARGUMENT, error, "method");
  CHECK_ERROR(layer_exchange_new(S("GET"), NULL, 0, NULL, 0, NULL, 0, &out, &error),
              LAYER_ERR_NULL_ARGUMENT, error, "target");
  CHECK_ERROR(layer_exchange_new(S("GET"), S("/"), NULL, 0, NULL, 0, NULL, &error),
              LAYER_ERR_NULL_ARGUMENT, error, "out_exchange");
  CHECK(out == NULL);
  CHECK_ERROR(layer_exchange_put_body(NULL, NULL, 0, &error), LAYER_ERR_NULL_ARGUMENT, error,
              "exchange");
  CHECK_ERROR(layer_exchange_finish(NULL, signer, LAYER_AUTH_NONE, NULL, 0, &error),
              LAYER_ERR_NULL_ARGUMENT, error, "exchange");
  CHECK_ERROR(layer_exchange_fail(NULL, NULL, 0, &error), LAYER_ERR_NULL_ARGUMENT, error,
              "exchange");
  CHECK_ERROR(layer_exchange_demo_user_id(NULL, &user, &len, &error), LAYER_ERR_NULL_ARGUMENT,
              error, "exchange");
  /* Getters on NULL: nothing, and never a crash. */
  CHECK(layer_exchange_step(NULL) == LAYER_EXCHANGE_RESPOND);
  CHECK(layer_exchange_status(NULL) == 0);
  CHECK(layer_exchange_headers(NULL, NULL, NULL, NULL, NULL, 4) == 0);
  len = 5;
  CHECK(layer_exchange_body(NULL, &len) == NULL && len == 0);
  len = 5;
  CHECK(layer_exchange_log_message(NULL, &len) == NULL && len == 0);
  CHECK(layer_exchange_closes_connection(NULL));
  layer_exchange_free(NULL);

  /* Before the answer, the answer's getters give nothing. */
  exchange = exchange_for("POST", "/identity-token", JSON_TYPE, "2");
  CHECK(layer_exchange_status(exchange) == 0);
  CHECK(layer_exchange_headers(exchange, NULL, NULL, NULL, NULL, 0) == 0);
  CHECK(layer_exchange_body(exchange, NULL) == NULL);
  /* A NULL body with length 0 is the empty body. */
  CHECK_OK(layer_exchange_put_body(exchange, NULL, 0, &error), error);
  check_answer(exchange, 400, "invalid_json");
  layer_exchange_free(exchange);
  exchange = exchange_for("POST", "/identity-token", JSON_TYPE, "2");
  CHECK_ERROR(layer_exchange_put_body(exchange, NULL, 2, &error), LAYER_ERR_NULL_ARGUMENT, error,
              "body");
  layer_exchange_free(exchange);
}

/* The adapter's own failure: 500, the reason only in the log. */
static void test_fail(void) {
  LayerExchange *exchange = exchange_for("POST", "/identity-token", JSON_TYPE, "40");
  char *error = NULL, *body;
  size_t len = 0;
  const char *log;
  CHECK_OK(layer_exchange_fail(exchange, S("express.json() consumed the body"), &error), error);
  check_answer(exchange, 500, "server_error");
  CHECK(layer_exchange_closes_connection(exchange)); /* the body was never read */
  log = layer_exchange_log_message(exchange, &len);
  CHECK(log != NULL && len == strlen("express.json() consumed the body") &&
        memcmp(log, "express.json() consumed the body", len) == 0);
  body = body_of(exchange);
  CHECK(strstr(body, "express") == NULL);
  free(body);
  layer_exchange_free(exchange);

  exchange = posted(VALID_BODY);
  CHECK_OK(layer_exchange_fail(exchange, NULL, 0, &error), error);
  check_answer(exchange, 500, "server_error");
  CHECK(!layer_exchange_closes_connection(exchange));
  layer_exchange_free(exchange);
}

/* Headers are read into arrays of any capacity; the count is the answer's. */
static void test_headers(void) {
  LayerExchange *exchange = exchange_for("PUT", "/identity-token", JSON_TYPE, "4");
  const char *names[2] = {"a", "b"}, *values[2];
  size_t name_lens[2], value_lens[2];
  size_t count = layer_exchange_headers(exchange, names, name_lens, values, value_lens, 1);
  CHECK(count == 4); /* Content-Type, Cache-Control, Allow, Connection */
  CHECK(name_lens[0] == 12 && memcmp(names[0], "Content-Type", 12) == 0);
  CHECK(strcmp(names[1], "b") == 0);
  CHECK(layer_exchange_headers(exchange, NULL, NULL, NULL, NULL, 4) == 4);
  layer_exchange_free(exchange);
}

/* Hostile bodies of the largest size: answered, in one pass, without a crash. */
static void test_hostile_bodies(void) {
  size_t size = LAYER_ENDPOINT_MAX_BODY_BYTES, i;
  char *body = malloc(size + 2), *error = NULL;
  LayerExchange *exchange;
  char length[16];
  if (body == NULL) abort();
  snprintf(length, sizeof length, "%zu", size);

  /* 64 KiB of opening brackets. */
  memset(body, '[', size);
  exchange = exchange_for("POST", "/identity-token", JSON_TYPE, length);
  CHECK_OK(layer_exchange_put_body(exchange, (const uint8_t *)body, size, &error), error);
  check_answer(exchange, 400, "invalid_json");
  layer_exchange_free(exchange);

  /* A nonce of escapes that unescape to far more than 2048 bytes. */
  memcpy(body, "{\"nonce\":\"", 10);
  for (i = 10; i + 6 < size - 2; i += 6) memcpy(body + i, "\\u0041", 6);
  memcpy(body + i, "\"}", 2);
  exchange = exchange_for("POST", "/identity-token", JSON_TYPE, NULL);
  CHECK_OK(layer_exchange_put_body(exchange, (const uint8_t *)body, i + 2, &error), error);
  check_answer(exchange, 400, "invalid_field");
  layer_exchange_free(exchange);

  /* Thousands of duplicate unknown members, then a valid request: ignored. */
  i = 0;
  memcpy(body, "{", 1);
  i = 1;
  while (i + 8 < size - 64) {
    memcpy(body + i, "\"x\":[1],", 8);
    i += 8;
  }
  i += (size_t)sprintf(body + i, "\"nonce\":\"n\",\"user_id\":\"u\"}");
  exchange = exchange_for("POST", "/identity-token", JSON_TYPE, NULL);
  CHECK_OK(layer_exchange_put_body(exchange, (const uint8_t *)body, i, &error), error);
  authenticate(exchange, "demo");
  check_answer(exchange, 200, NULL);
  free(check_token(exchange, S("u"), S("n")));
  layer_exchange_free(exchange);

  /* One byte over the limit, without a declared length: 413 and close. */
  memset(body, ' ', size + 1);
  exchange = exchange_for("POST", "/identity-token", "application/x-www-form-urlencoded", NULL);
  CHECK_OK(layer_exchange_put_body(exchange, (const uint8_t *)body, size + 1, &error), error);
  check_answer(exchange, 413, "body_too_large");
  CHECK(layer_exchange_closes_connection(exchange));
  layer_exchange_free(exchange);

  /* Bytes that are not UTF-8, and a NUL, in a form body. */
  exchange = exchange_for("POST", "/identity-token", "application/x-www-form-urlencoded", NULL);
  CHECK_OK(layer_exchange_put_body(exchange, (const uint8_t *)"nonce=%ff", 9, &error), error);
  check_answer(exchange, 400, "invalid_json");
  layer_exchange_free(exchange);
  exchange = exchange_for("POST", "/identity-token", "application/x-www-form-urlencoded", NULL);
  CHECK_OK(layer_exchange_put_body(exchange, (const uint8_t *)"nonce=a\0b&user_id=u", 19, &error),
           error);
  check_answer(exchange, 400, "invalid_field");
  layer_exchange_free(exchange);
  free(body);
}

int main(int argc, char **argv) {
  static const struct ts_case cases[] = {
      {"every_contract_case", test_every_contract_case},
      {"health_and_head", test_health_and_head},
      {"connection_close", test_connection_close},
      {"fields", test_fields},
      {"demo_authenticator", test_demo_authenticator},
      {"outcomes", test_outcomes},
      {"misuse", test_misuse},
      {"fail", test_fail},
      {"headers", test_headers},
      {"hostile_bodies", test_hostile_bodies},
  };
  char *error = NULL;
  int status;
  key_pkcs8 = ts_key("rsa2048.pkcs8.pem");
  key_public = ts_key("rsa2048.public.pem");
  if (layer_signer_new(key_pkcs8, NULL, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &signer, &error) !=
          LAYER_OK ||
      layer_verifier_new(key_public, TEST_PROVIDER_ID, TEST_KEY_ID, 0, &verifier, &error) !=
          LAYER_OK) {
    fprintf(stderr, "fatal: %s\n", error ? error : "no signer");
    return 2;
  }
  status = ts_run("test_endpoint", cases, sizeof cases / sizeof cases[0], argc, argv);
  layer_signer_free(signer);
  layer_verifier_free(verifier);
  free(key_pkcs8);
  free(key_public);
  return status;
}
