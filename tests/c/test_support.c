#define _POSIX_C_SOURCE 200809L

#include "test_support.h"

#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long ts_assertions;
long ts_failures;
const char *ts_case_name = "(none)";

/* Storage that the sentinels point into; never read or written through them. */
static union {
  long double align_ld;
  void *align_ptr;
  char bytes[32];
} sentinel_storage;

char *const ts_sentinel_string = &sentinel_storage.bytes[1];
LayerSigner *const ts_sentinel_signer = (LayerSigner *)(void *)&sentinel_storage;
LayerVerifier *const ts_sentinel_verifier = (LayerVerifier *)(void *)&sentinel_storage.bytes[16];

static void fail_header(const char *file, int line) {
  ts_failures++;
  fprintf(stderr, "FAIL %s:%d [%s]: ", file, line, ts_case_name);
}

int ts_check(int ok, const char *file, int line, const char *what) {
  ts_assertions++;
  if (!ok) {
    fail_header(file, line);
    fprintf(stderr, "%s\n", what);
  }
  return ok;
}

int ts_check_status(LayerStatus actual, LayerStatus expected, const char *file, int line,
                    const char *what) {
  ts_assertions++;
  if (actual != expected) {
    fail_header(file, line);
    fprintf(stderr, "%s: got %s (%d), expected %s (%d)\n", what, layer_status_name(actual),
            (int)actual, layer_status_name(expected), (int)expected);
    return 0;
  }
  return 1;
}

int ts_check_str(const char *actual, const char *expected, const char *file, int line,
                 const char *what) {
  ts_assertions++;
  if (actual == NULL || expected == NULL || strcmp(actual, expected) != 0) {
    fail_header(file, line);
    fprintf(stderr, "%s:\n  got      %s\n  expected %s\n", what, actual ? actual : "(NULL)",
            expected ? expected : "(NULL)");
    return 0;
  }
  return 1;
}

int ts_check_contains(const char *haystack, const char *needle, const char *file, int line,
                      const char *what) {
  ts_assertions++;
  if (haystack == NULL || strstr(haystack, needle) == NULL) {
    fail_header(file, line);
    fprintf(stderr, "%s: %s%s%s does not contain \"%s\"\n", what, haystack ? "\"" : "",
            haystack ? haystack : "(NULL)", haystack ? "\"" : "", needle);
    return 0;
  }
  return 1;
}

int ts_check_prefix(const char *text, const char *prefix, const char *file, int line,
                    const char *what) {
  ts_assertions++;
  if (text == NULL || strncmp(text, prefix, strlen(prefix)) != 0) {
    fail_header(file, line);
    fprintf(stderr, "%s: %s%s%s does not start with \"%s\"\n", what, text ? "\"" : "",
            text ? text : "(NULL)", text ? "\"" : "", prefix);
    return 0;
  }
  return 1;
}

/* The library promises to leave OpenSSL's per-thread error queue empty on every return. */
static void check_openssl_queue(const char *file, int line, const char *what) {
  unsigned long code = ERR_peek_error();
  ts_assertions++;
  if (code != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    fail_header(file, line);
    fprintf(stderr, "%s: OpenSSL error queue left non-empty: %s\n", what, buffer);
    ERR_clear_error();
  }
}

int ts_check_error(LayerStatus status, LayerStatus expected, char **error, const char *fragment,
                   const char *file, int line, const char *what) {
  int ok = ts_check_status(status, expected, file, line, what);
  ts_assertions++;
  if (*error == NULL || (*error)[0] == '\0') {
    fail_header(file, line);
    fprintf(stderr, "%s: expected a non-empty error message, got %s\n", what,
            *error ? "\"\"" : "NULL");
    ok = 0;
  } else if (fragment != NULL) {
    if (strncmp(fragment, "eit_", 4) == 0) {
      char *prefix = ts_concat(fragment, ": ", (const char *)NULL);
      ok &= ts_check_prefix(*error, prefix, file, line, what);
      free(prefix);
    } else {
      ok &= ts_check_contains(*error, fragment, file, line, what);
    }
  }
  if (getenv("LAYER_TEST_VERBOSE") != NULL && *error != NULL) {
    fprintf(stderr, "  %s -> %s: %s\n", ts_case_name, layer_status_name(status), *error);
  }
  check_openssl_queue(file, line, what);
  layer_string_free(*error);
  *error = NULL;
  return ok;
}

int ts_check_ok(LayerStatus status, char **error, const char *file, int line, const char *what) {
  int ok = ts_check_status(status, LAYER_OK, file, line, what);
  ts_assertions++;
  if (*error != NULL) {
    fail_header(file, line);
    fprintf(stderr, "%s: unexpected error message: %s\n", what, *error);
    layer_string_free(*error);
    *error = NULL;
    ok = 0;
  }
  check_openssl_queue(file, line, what);
  return ok;
}

int ts_run(const char *program, const struct ts_case *cases, size_t count, int argc,
           char **argv) {
  size_t i, ran = 0;
  const char *filter = argc > 1 ? argv[1] : NULL;
  for (i = 0; i < count; i++) {
    long failures_before = ts_failures;
    if (filter != NULL && strstr(cases[i].name, filter) == NULL) {
      continue;
    }
    ts_case_name = cases[i].name;
    cases[i].run();
    ran++;
    printf("%s %s\n", ts_failures == failures_before ? "ok  " : "FAIL", cases[i].name);
    fflush(stdout);
  }
  ts_case_name = "(none)";
  printf("%s: %lu cases, %ld assertions, %ld failures\n", program, (unsigned long)ran,
         ts_assertions, ts_failures);
  if (ran == 0 || ts_assertions == 0) {
    fprintf(stderr, "%s: no test ran\n", program);
    return 1;
  }
  return ts_failures == 0 ? 0 : 1;
}

static void die(const char *what, const char *detail) {
  fprintf(stderr, "fatal: %s: %s\n", what, detail);
  exit(2);
}

unsigned char *ts_read_bytes(const char *path, size_t *out_len) {
  FILE *file = fopen(path, "rb");
  unsigned char *data;
  long size;
  if (file == NULL) die("cannot open", path);
  if (fseek(file, 0, SEEK_END) != 0 || (size = ftell(file)) < 0 || fseek(file, 0, SEEK_SET) != 0)
    die("cannot size", path);
  data = malloc((size_t)size + 1);
  if (data == NULL) die("out of memory reading", path);
  if (fread(data, 1, (size_t)size, file) != (size_t)size) die("cannot read", path);
  data[size] = '\0';
  fclose(file);
  *out_len = (size_t)size;
  return data;
}

char *ts_read_file(const char *path) {
  size_t len;
  return (char *)ts_read_bytes(path, &len);
}

char *ts_key(const char *name) {
  const char *dir = getenv("LAYER_TEST_KEYS");
  char *path = ts_concat(dir ? dir : "vectors/keys", "/", name, (const char *)NULL);
  char *key = ts_read_file(path);
  free(path);
  return key;
}

char *ts_strdup(const char *text) {
  return ts_concat(text, (const char *)NULL);
}

char *ts_concat(const char *first, ...) {
  va_list args;
  const char *part;
  size_t len = 0;
  char *out, *cursor;
  va_start(args, first);
  for (part = first; part != NULL; part = va_arg(args, const char *)) len += strlen(part);
  va_end(args);
  out = malloc(len + 1);
  if (out == NULL) die("out of memory", "ts_concat");
  cursor = out;
  va_start(args, first);
  for (part = first; part != NULL; part = va_arg(args, const char *)) {
    size_t n = strlen(part);
    memcpy(cursor, part, n);
    cursor += n;
  }
  va_end(args);
  *cursor = '\0';
  return out;
}

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *ts_b64url_encode(const unsigned char *data, size_t len) {
  char *out = malloc((len * 4) / 3 + 4), *cursor = out;
  size_t i;
  if (out == NULL) die("out of memory", "ts_b64url_encode");
  for (i = 0; i + 2 < len; i += 3) {
    unsigned long v =
        ((unsigned long)data[i] << 16) | ((unsigned long)data[i + 1] << 8) | data[i + 2];
    *cursor++ = b64url_alphabet[(v >> 18) & 63];
    *cursor++ = b64url_alphabet[(v >> 12) & 63];
    *cursor++ = b64url_alphabet[(v >> 6) & 63];
    *cursor++ = b64url_alphabet[v & 63];
  }
  if (len - i == 1) {
    unsigned long v = (unsigned long)data[i] << 16;
    *cursor++ = b64url_alphabet[(v >> 18) & 63];
    *cursor++ = b64url_alphabet[(v >> 12) & 63];
  } else if (len - i == 2) {
    unsigned long v = ((unsigned long)data[i] << 16) | ((unsigned long)data[i + 1] << 8);
    *cursor++ = b64url_alphabet[(v >> 18) & 63];
    *cursor++ = b64url_alphabet[(v >> 12) & 63];
    *cursor++ = b64url_alphabet[(v >> 6) & 63];
  }
  *cursor = '\0';
  return out;
}

static int b64url_value(char c) {
  const char *at = c ? strchr(b64url_alphabet, c) : NULL;
  return at ? (int)(at - b64url_alphabet) : -1;
}

char *ts_b64url_decode(const char *text, size_t len, size_t *out_len) {
  char *out = malloc(len + 1);
  size_t i, n = 0;
  unsigned long acc = 0;
  int bits = 0;
  if (out == NULL) die("out of memory", "ts_b64url_decode");
  if (len % 4 == 1) {
    free(out);
    return NULL;
  }
  for (i = 0; i < len; i++) {
    int v = b64url_value(text[i]);
    if (v < 0) {
      free(out);
      return NULL;
    }
    acc = (acc << 6) | (unsigned long)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (char)((acc >> bits) & 0xff);
    }
  }
  out[n] = '\0';
  if (out_len) *out_len = n;
  return out;
}

long long ts_json_int(const char *json, const char *name) {
  char *key = ts_concat("\"", name, "\":", (const char *)NULL);
  const char *at = json ? strstr(json, key) : NULL;
  long long value = -1;
  if (at != NULL) value = strtoll(at + strlen(key), NULL, 10);
  free(key);
  return value;
}

void ts_log_token(const char *token, const char *public_key_pem) {
  const char *path = getenv("LAYER_TEST_TOKEN_LOG");
  FILE *log;
  const char *c;
  if (path == NULL || path[0] == '\0') return;
  log = fopen(path, "a");
  if (log == NULL) die("cannot append to", path);
  fputs(token, log);
  fputc('\t', log);
  for (c = public_key_pem; *c; c++) fputc(*c == '\n' ? '|' : *c, log);
  fputc('\n', log);
  fclose(log);
}
