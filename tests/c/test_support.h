/*
 * A small test harness for the C ABI tests: counted assertions, named cases, key files,
 * base64url, and the token log that tests/c/run.sh checks with the openssl CLI.
 *
 * Every CHECK counts one assertion; a failed one prints file:line and the case name, and the
 * program exits non-zero at the end. Assertion helpers never abort, so one run reports every
 * failure; only missing test inputs (key files) abort.
 */
#ifndef LAYER_TEST_SUPPORT_H
#define LAYER_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "layer_identity.h"

/* IDs used by the tests (valid, and distinct from those in vectors/). */
#define TEST_PROVIDER_ID "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f"
#define TEST_KEY_ID "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f"
#define TEST_OTHER_PROVIDER_ID "layer:///providers/11111111-2222-4333-8444-555555555555"
#define TEST_OTHER_KEY_ID "layer:///keys/66666666-7777-4888-9999-aaaaaaaaaaaa"
#define TEST_PASSPHRASE "correct horse battery staple"

/* A fixed issue time (2023-11-14T22:13:20Z) so tokens are reproducible. */
#define TEST_IAT ((int64_t)1700000000)

/* Running totals, read by ts_run's summary. */
extern long ts_assertions;
extern long ts_failures;
extern const char *ts_case_name;

/* Distinct, never-dereferenced pointer values to pre-set out-parameters with, so a test can
 * tell that a failed call left them alone. */
extern char *const ts_sentinel_string;
extern LayerSigner *const ts_sentinel_signer;
extern LayerVerifier *const ts_sentinel_verifier;

/* One assertion; `what` describes it. Returns `ok` so callers can skip dependent checks. */
int ts_check(int ok, const char *file, int line, const char *what);
/* `actual == expected`, printing both status names when not. */
int ts_check_status(LayerStatus actual, LayerStatus expected, const char *file, int line,
                    const char *what);
/* Both non-NULL and equal, printing both when not. */
int ts_check_str(const char *actual, const char *expected, const char *file, int line,
                 const char *what);
/* `haystack` (non-NULL) contains `needle`. */
int ts_check_contains(const char *haystack, const char *needle, const char *file, int line,
                      const char *what);
/* `text` (non-NULL) starts with `prefix`. */
int ts_check_prefix(const char *text, const char *prefix, const char *file, int line,
                    const char *what);
/*
 * A failed call: `status == expected`, `*error` a non-empty message containing `fragment`
 * (when not NULL) and, for a token rejection, starting with it when `fragment` starts with
 * "eit_"; OpenSSL's error queue empty. Frees `*error` and sets it to NULL.
 */
int ts_check_error(LayerStatus status, LayerStatus expected, char **error, const char *fragment,
                   const char *file, int line, const char *what);
/* A successful call: LAYER_OK and no error message (the message is printed and freed if
 * there is one); OpenSSL's error queue empty. */
int ts_check_ok(LayerStatus status, char **error, const char *file, int line, const char *what);

#define CHECK(cond) ts_check((cond) != 0, __FILE__, __LINE__, #cond)
#define CHECK_STATUS(actual, expected) \
  ts_check_status((actual), (expected), __FILE__, __LINE__, #actual)
#define CHECK_STR(actual, expected) ts_check_str((actual), (expected), __FILE__, __LINE__, #actual)
#define CHECK_CONTAINS(text, needle) \
  ts_check_contains((text), (needle), __FILE__, __LINE__, #text)
#define CHECK_PREFIX(text, prefix) ts_check_prefix((text), (prefix), __FILE__, __LINE__, #text)
/* CHECK_ERROR(call, LAYER_ERR_x, err, "fragment"): `err` is a `char *` lvalue. */
#define CHECK_ERROR(call, expected, error, fragment) \
  ts_check_error((call), (expected), &(error), (fragment), __FILE__, __LINE__, #call)
#define CHECK_OK(call, error) ts_check_ok((call), &(error), __FILE__, __LINE__, #call)

struct ts_case {
  const char *name;
  void (*run)(void);
};

/* Runs every case (or those whose names contain argv[1]), prints a summary line
 * "<program>: N cases, M assertions, F failures" and returns the exit status. */
int ts_run(const char *program, const struct ts_case *cases, size_t count, int argc,
           char **argv);

/* Reads a whole file as a NUL-terminated string (malloc'd); exits the program if it cannot. */
char *ts_read_file(const char *path);
/* Reads a whole file as bytes (malloc'd, with a NUL after them); `*out_len` receives their
 * number. Exits the program if it cannot. */
unsigned char *ts_read_bytes(const char *path, size_t *out_len);
/* Reads vectors/keys/<name> (the directory is $LAYER_TEST_KEYS, default "vectors/keys"). */
char *ts_key(const char *name);
/* malloc'd copy; exits on allocation failure. */
char *ts_strdup(const char *text);
/* malloc'd concatenation of NULL-terminated arguments. */
char *ts_concat(const char *first, ...);

/* Unpadded base64url of `len` bytes (malloc'd). */
char *ts_b64url_encode(const unsigned char *data, size_t len);
/* Decodes unpadded base64url into a NUL-terminated malloc'd buffer; NULL if invalid. */
char *ts_b64url_decode(const char *text, size_t len, size_t *out_len);

/* The value of integer member `name` in flat JSON `json`, or -1 when absent. */
long long ts_json_int(const char *json, const char *name);

/*
 * Appends `token` and the public key that must verify it to the file named by
 * $LAYER_TEST_TOKEN_LOG (nothing when unset): one line `token TAB pem-with-newlines-as-|`.
 * tests/c/run.sh checks every line with `openssl dgst -sha256 -verify`. Not thread-safe.
 */
void ts_log_token(const char *token, const char *public_key_pem);

#endif /* LAYER_TEST_SUPPORT_H */
