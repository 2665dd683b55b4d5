/*
 * layer_identity_node.c: the Node-API addon of the layer-identity npm package.
 *
 * A plain C addon against node_api.h (Node-API 8, so one build serves Node 18 and later)
 * over the pointer-and-length (`_n`) functions of include/layer_identity.h (ABI 3), statically
 * linked with liblayer_identity.a. It converts values and nothing more: every rule about a
 * value (U+0000, negative times, token type names, the endpoint's HTTP contract) is the
 * core's. The JavaScript layer (lib/) checks argument types and names the argument at fault;
 * this file checks them again so that calling it directly can never crash.
 *
 * Strings cross as UTF-8 encoded here from the string's UTF-16 code units, with a lone
 * surrogate written as its 3-byte form (as Python's "surrogatepass" does), which is not
 * UTF-8: the core refuses it as LAYER_ERR_INVALID_UTF8 naming the argument, where
 * napi_get_value_string_utf8 would have replaced it by U+FFFD and signed other text.
 *
 * Ownership
 * - A signer, verifier or exchange is a JS external, type-tagged so one kind cannot pose as
 *   another, wrapping a Handle. Handle.refs counts the users of the native handle: 1 for the
 *   JS owner until close() or garbage collection, plus 1 for every pending async job. The
 *   native handle is freed when refs reaches 0, so close() during a pending signAsync() defers
 *   the free until the job completes; each job also holds a napi_ref on the external, so the
 *   finalizer cannot run while a job is pending. refs is touched only on the JS thread (call,
 *   complete callback, close, finalizer), never in the execute callback.
 * - An exchange (one HTTP request) is used from one thread at a time: while an async finish
 *   (the signing step) runs on the thread pool it is `busy`, and every other call on it throws.
 * - Async jobs copy every input into C memory before they are queued; the execute callback
 *   (libuv thread pool) touches no JS value. Copies of key text and passphrases are zeroized
 *   when the job is freed.
 *
 * Errors from the library become LayerIdentityError instances through a factory the JS layer
 * registers with setup(); sync calls throw them and async calls reject with them.
 */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uchar.h>

#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "layer_identity.h"

/* Bumped whenever the functions below change, so lib/native.js refuses a stale addon. */
#define ADDON_INTERFACE 2

/* ---------------------------------------------------------------------------------------- */
/* Small helpers                                                                             */

/* Throws a generic error for a failed napi call unless an exception is already pending. */
static void throw_napi_failure(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  napi_throw_error(env, "ERR_LAYER_IDENTITY_NAPI",
                   info != NULL && info->error_message != NULL ? info->error_message
                                                               : "a Node-API call failed");
}

#define NAPI(call)                \
  do {                            \
    if ((call) != napi_ok) {      \
      throw_napi_failure(env);    \
      return NULL;                \
    }                             \
  } while (0)

#define NAPI_OR(call, label)      \
  do {                            \
    if ((call) != napi_ok) {      \
      throw_napi_failure(env);    \
      goto label;                 \
    }                             \
  } while (0)

static void throw_type(napi_env env, const char *name, const char *expected) {
  char message[160];
  snprintf(message, sizeof message, "%s must be %s", name, expected);
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
}

static void throw_range(napi_env env, const char *name, const char *expected) {
  char message[160];
  snprintf(message, sizeof message, "%s must be %s", name, expected);
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", message);
}

static void throw_no_memory(napi_env env) {
  napi_throw_error(env, "ERR_LAYER_IDENTITY_NO_MEMORY", "out of memory");
}

static void secure_zero(void *p, size_t n) {
  volatile unsigned char *v = p;
  while (n--) *v++ = 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Per-environment state (worker threads each have their own)                               */

typedef struct {
  napi_ref make_error; /* (status, code, message, eitCode) => LayerIdentityError */
} AddonData;

static void addon_data_free(napi_env env, void *data, void *hint) {
  (void)hint;
  AddonData *addon = data;
  if (addon->make_error != NULL) napi_delete_reference(env, addon->make_error);
  free(addon);
}

/* A LayerIdentityError for a failed library call; NULL (with an exception pending) if even
 * that failed. */
static napi_value library_error(napi_env env, LayerStatus status, const char *message,
                                LayerEit eit) {
  AddonData *addon = NULL;
  napi_value args[4], factory, global, error = NULL;
  const char *eit_name = layer_eit_name(eit);
  NAPI(napi_create_int32(env, (int32_t)status, &args[0]));
  NAPI(napi_create_string_utf8(env, layer_status_name(status), NAPI_AUTO_LENGTH, &args[1]));
  NAPI(napi_create_string_utf8(env, message != NULL ? message : layer_status_name(status),
                               NAPI_AUTO_LENGTH, &args[2]));
  if (eit_name[0] != '\0') {
    NAPI(napi_create_string_utf8(env, eit_name, NAPI_AUTO_LENGTH, &args[3]));
  } else {
    NAPI(napi_get_null(env, &args[3]));
  }
  if (napi_get_instance_data(env, (void **)&addon) == napi_ok && addon != NULL &&
      addon->make_error != NULL) {
    NAPI(napi_get_reference_value(env, addon->make_error, &factory));
    NAPI(napi_get_global(env, &global));
    NAPI(napi_call_function(env, global, factory, 4, args, &error));
    return error;
  }
  /* setup() not called (the addon used on its own): a plain Error with the same fields. */
  NAPI(napi_create_error(env, args[1], args[2], &error));
  NAPI(napi_set_named_property(env, error, "status", args[0]));
  NAPI(napi_set_named_property(env, error, "eitCode", args[3]));
  return error;
}

/* Throws the library's error for a failed call and frees its message. */
static void throw_library_error(napi_env env, LayerStatus status, char *message, LayerEit eit) {
  napi_value e = library_error(env, status, message, eit);
  layer_string_free(message);
  if (e != NULL) napi_throw(env, e);
}

/* ---------------------------------------------------------------------------------------- */
/* Handles                                                                                   */

typedef enum { KIND_SIGNER, KIND_VERIFIER, KIND_EXCHANGE } Kind;
enum { KIND_COUNT = 3 };

static const napi_type_tag TAGS[KIND_COUNT] = {
    {0x7e4b1c2a9d5f4e01ULL, 0xa3c8e6f1b2d4c901ULL}, /* KIND_SIGNER */
    {0x7e4b1c2a9d5f4e02ULL, 0xa3c8e6f1b2d4c902ULL}, /* KIND_VERIFIER */
    {0x7e4b1c2a9d5f4e03ULL, 0xa3c8e6f1b2d4c903ULL}, /* KIND_EXCHANGE */
};
static const char *const KIND_NAMES[KIND_COUNT] = {"signer", "verifier", "exchange"};

typedef struct {
  Kind kind;
  void *native;    /* LayerSigner *, LayerVerifier * or LayerExchange *; NULL once freed */
  uint32_t refs;   /* the JS owner (until closed) + pending jobs */
  bool closed;     /* close() was called or the external was collected */
  bool finalized;  /* the external is gone: free the struct with the last reference */
  bool busy;       /* an exchange whose async finish is running on the thread pool */
} Handle;

static void native_free(Kind kind, void *native) {
  switch (kind) {
    case KIND_SIGNER: layer_signer_free(native); break;
    case KIND_VERIFIER: layer_verifier_free(native); break;
    case KIND_EXCHANGE: layer_exchange_free(native); break;
  }
}

static void handle_release(Handle *h) {
  if (--h->refs > 0) return;
  native_free(h->kind, h->native);
  h->native = NULL;
  if (h->finalized) free(h);
}

static void handle_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Handle *h = data;
  h->finalized = true;
  if (!h->closed) {
    h->closed = true;
    handle_release(h); /* frees the struct too when nothing else holds it */
  } else if (h->refs == 0) {
    free(h);
  }
}

static napi_value handle_wrap(napi_env env, Kind kind, void *native) {
  napi_value external;
  Handle *h = calloc(1, sizeof *h);
  if (h == NULL) {
    native_free(kind, native);
    throw_no_memory(env);
    return NULL;
  }
  h->kind = kind;
  h->native = native;
  h->refs = 1;
  if (napi_create_external(env, h, handle_finalize, NULL, &external) != napi_ok) {
    handle_release(h);
    free(h);
    throw_napi_failure(env);
    return NULL;
  }
  NAPI(napi_type_tag_object(env, external, &TAGS[kind]));
  return external;
}

/* The Handle of `kind` in `value` (open or not), or NULL with a TypeError. */
static Handle *handle_of(napi_env env, napi_value value, Kind kind) {
  bool ok = false;
  void *data = NULL;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external ||
      napi_check_object_type_tag(env, value, &TAGS[kind], &ok) != napi_ok || !ok ||
      napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    char expected[32];
    snprintf(expected, sizeof expected, "a %s handle", KIND_NAMES[kind]);
    throw_type(env, KIND_NAMES[kind], expected);
    return NULL;
  }
  return data;
}

/* The open handle of `kind` in `value`, or NULL with a TypeError / use-after-close error. */
static Handle *handle_get(napi_env env, napi_value value, Kind kind) {
  Handle *h = handle_of(env, value, kind);
  if (h == NULL) return NULL;
  if (h->closed) {
    char message[64];
    snprintf(message, sizeof message, "the %s is closed", KIND_NAMES[kind]);
    napi_throw_error(env, "ERR_USE_AFTER_CLOSE", message);
    return NULL;
  }
  if (h->busy) {
    napi_throw_error(env, "ERR_LAYER_IDENTITY_BUSY",
                     "the exchange is in use by a pending call (finishAsync)");
    return NULL;
  }
  return h;
}

/* ---------------------------------------------------------------------------------------- */
/* Strings and numbers in                                                                    */

/* A copy of a JS string as UTF-8 (lone surrogates in their 3-byte form, which is not UTF-8),
 * or of a Buffer's bytes where allowed. No terminator: everything crosses as pointer and
 * length. Short values live in `small`, so most calls allocate nothing. */
typedef struct {
  char *ptr; /* NULL for an absent nullable argument */
  size_t len;
  bool heap;
  bool secret; /* zeroize on release: key text, passphrases */
  char small[1024];
} Str;

static void str_release(Str *s) {
  if (s->ptr != NULL && s->secret) secure_zero(s->ptr, s->len);
  if (s->heap) free(s->ptr);
  s->ptr = NULL;
  s->heap = false;
}

enum {
  STR_REQUIRED = 0,
  STR_NULLABLE = 1, /* null or undefined → absent (NULL) */
  STR_BYTES = 2,    /* a Buffer / Uint8Array is accepted as its raw bytes */
  STR_SECRET = 4,
};

static bool is_high(char16_t c) { return c >= 0xD800 && c <= 0xDBFF; }
static bool is_low(char16_t c) { return c >= 0xDC00 && c <= 0xDFFF; }

static size_t utf8_length(const char16_t *in, size_t n) {
  size_t len = 0;
  for (size_t i = 0; i < n; i++) {
    char16_t c = in[i];
    if (c < 0x80) {
      len += 1;
    } else if (c < 0x800) {
      len += 2;
    } else if (is_high(c) && i + 1 < n && is_low(in[i + 1])) {
      len += 4;
      i++;
    } else {
      len += 3; /* the BMP, and a lone surrogate (ED A0..BF xx: not UTF-8) */
    }
  }
  return len;
}

static void utf8_encode(const char16_t *in, size_t n, char *out) {
  unsigned char *o = (unsigned char *)out;
  for (size_t i = 0; i < n; i++) {
    uint32_t c = in[i];
    if (c < 0x80) {
      *o++ = (unsigned char)c;
    } else if (c < 0x800) {
      *o++ = (unsigned char)(0xC0 | (c >> 6));
      *o++ = (unsigned char)(0x80 | (c & 0x3F));
    } else if (is_high((char16_t)c) && i + 1 < n && is_low(in[i + 1])) {
      uint32_t cp = 0x10000 + ((c - 0xD800) << 10) + (in[i + 1] - 0xDC00u);
      i++;
      *o++ = (unsigned char)(0xF0 | (cp >> 18));
      *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
      *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
      *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
      *o++ = (unsigned char)(0xE0 | (c >> 12));
      *o++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
      *o++ = (unsigned char)(0x80 | (c & 0x3F));
    }
  }
}

/* Room for `len` bytes in s: its inline buffer or the heap. */
static bool str_reserve(napi_env env, Str *s, size_t len) {
  if (len <= sizeof s->small) {
    s->ptr = s->small;
    return true;
  }
  s->ptr = malloc(len);
  if (s->ptr == NULL) {
    throw_no_memory(env);
    return false;
  }
  s->heap = true;
  return true;
}

enum { STACK_UNITS = 2048 };

/* The string's UTF-16 code units, encoded here: the exact bytes for a string that holds a lone
 * surrogate (which napi_get_value_string_utf8 would turn into U+FFFD). */
static bool str_from_units(napi_env env, napi_value value, Str *s) {
  char16_t stack[STACK_UNITS];
  char16_t *units = stack;
  size_t count = 0;
  bool ok = false;
  if (napi_get_value_string_utf16(env, value, stack, STACK_UNITS, &count) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  if (count >= STACK_UNITS - 1) { /* possibly cut short: ask for the length and copy again */
    if (napi_get_value_string_utf16(env, value, NULL, 0, &count) != napi_ok) {
      throw_napi_failure(env);
      return false;
    }
    units = malloc((count + 1) * sizeof *units);
    if (units == NULL) {
      throw_no_memory(env);
      return false;
    }
    if (napi_get_value_string_utf16(env, value, units, count + 1, &count) != napi_ok) {
      throw_napi_failure(env);
      goto done;
    }
  }
  s->len = utf8_length(units, count);
  if (str_reserve(env, s, s->len)) {
    utf8_encode(units, count, s->ptr);
    ok = true;
  }
done:
  if (s->secret) secure_zero(units, count * sizeof *units);
  if (units != stack) free(units);
  return ok;
}

/* V8's own UTF-8 encoder first (the fast path); when its output holds U+FFFD (EF BF BD), which
 * is also what it writes for a lone surrogate, the string is encoded again from its code
 * units, so a lone surrogate reaches the library as bytes that are not UTF-8. */
static bool str_from_string(napi_env env, napi_value value, Str *s) {
  size_t copied = 0;
  if (napi_get_value_string_utf8(env, value, s->small, sizeof s->small, &copied) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  /* napi stops before a character that does not fit whole, so the copy is complete only if
   * the longest UTF-8 character (4 bytes) would still have fitted after it. */
  if (copied + 4 < sizeof s->small) {
    s->ptr = s->small;
    s->len = copied;
  } else {
    size_t len = 0;
    if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) {
      throw_napi_failure(env);
      return false;
    }
    s->ptr = malloc(len + 1);
    if (s->ptr == NULL) {
      throw_no_memory(env);
      return false;
    }
    s->heap = true;
    if (napi_get_value_string_utf8(env, value, s->ptr, len + 1, &s->len) != napi_ok) {
      str_release(s);
      throw_napi_failure(env);
      return false;
    }
  }
  if (memmem(s->ptr, s->len, "\xEF\xBF\xBD", 3) == NULL) return true;
  str_release(s);
  s->len = 0;
  return str_from_units(env, value, s);
}

static bool str_get(napi_env env, napi_value value, const char *name, int options, Str *s) {
  napi_valuetype type;
  s->ptr = NULL;
  s->len = 0;
  s->heap = false;
  s->secret = (options & STR_SECRET) != 0;
  if (napi_typeof(env, value, &type) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  if ((type == napi_null || type == napi_undefined) && (options & STR_NULLABLE)) return true;
  if (type == napi_string) return str_from_string(env, value, s);
  if (options & STR_BYTES) {
    bool is_typed = false;
    napi_typedarray_type ta_type;
    size_t length = 0;
    void *bytes = NULL;
    if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
        napi_get_typedarray_info(env, value, &ta_type, &length, &bytes, NULL, NULL) != napi_ok ||
        ta_type != napi_uint8_array) {
      throw_type(env, name, (options & STR_NULLABLE) ? "a string, a Buffer, null or undefined"
                                                     : "a string or a Buffer");
      return false;
    }
    if (!str_reserve(env, s, length)) return false;
    if (length > 0) memcpy(s->ptr, bytes, length);
    s->len = length;
    return true;
  }
  throw_type(env, name, (options & STR_NULLABLE) ? "a string, null or undefined" : "a string");
  return false;
}

/* Seconds as int64: a number with an integer value (the JS layer floors times), or a BigInt.
 * Whether the value is acceptable (negative, milliseconds, ...) is the library's call. */
static bool i64_get(napi_env env, napi_value value, const char *name, int64_t *out) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  if (type == napi_bigint) {
    bool lossless = false;
    if (napi_get_value_bigint_int64(env, value, out, &lossless) != napi_ok) {
      throw_napi_failure(env);
      return false;
    }
    if (!lossless) {
      throw_range(env, name, "a 64-bit signed integer");
      return false;
    }
    return true;
  }
  double d;
  if (type != napi_number || napi_get_value_double(env, value, &d) != napi_ok) {
    throw_type(env, name, "a number or a bigint");
    return false;
  }
  /* 2^63 is exactly representable; every integer-valued double below it fits in int64. */
  if (!isfinite(d) || floor(d) != d || d < -9223372036854775808.0 || d >= 9223372036854775808.0) {
    throw_range(env, name, "an integer number of seconds");
    return false;
  }
  *out = (int64_t)d;
  return true;
}

static bool u32_get(napi_env env, napi_value value, const char *name, uint32_t *out) {
  napi_valuetype type;
  double d;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number ||
      napi_get_value_double(env, value, &d) != napi_ok) {
    throw_type(env, name, "a number");
    return false;
  }
  if (!isfinite(d) || floor(d) != d || d < 0 || d > 4294967295.0) {
    throw_range(env, name, "an integer from 0 to 4294967295");
    return false;
  }
  *out = (uint32_t)d;
  return true;
}

static bool outcome_get(napi_env env, napi_value value, LayerAuthOutcome *out) {
  uint32_t n;
  if (!u32_get(env, value, "outcome", &n)) return false;
  if (n < LAYER_AUTH_USER || n > LAYER_AUTH_NOT_A_USER_ID) {
    throw_range(env, "outcome", "a LayerAuthOutcome (1 to 4)");
    return false;
  }
  *out = (LayerAuthOutcome)n;
  return true;
}

/* ---------------------------------------------------------------------------------------- */
/* Jobs: one call's inputs and outputs, run on the JS thread (sync) or the thread pool        */

typedef enum { OP_SIGN, OP_SIGN_TOKEN, OP_VERIFY, OP_GENERATE, OP_FINISH } Op;

enum { JOB_STRS = 6 };

typedef struct {
  Op op;
  Handle *handle;  /* OP_SIGN: the signer; OP_VERIFY: the verifier; OP_FINISH: the exchange */
  Handle *signer;  /* OP_FINISH: the signer, or NULL */
  /* OP_SIGN: user, nonce, first, last, display, avatar. OP_SIGN_TOKEN: key, provider, key
   * id, user, nonce. OP_VERIFY: token, nonce. OP_FINISH: user. */
  Str s[JOB_STRS];
  int strs;
  Str *md;            /* metadata: md_count names, then md_count values */
  const char **md_ptrs;
  size_t *md_lens;
  size_t md_count;
  int64_t time;       /* issued_at / now */
  int64_t seconds;    /* ttl / leeway */
  uint32_t u32;       /* bits / outcome */
  /* async */
  napi_async_work work;
  napi_deferred deferred;
  napi_ref keep;      /* the handle's external, alive until complete */
  napi_ref keep_signer;
  /* results */
  LayerStatus status;
  LayerEit eit;
  char *out1, *out2, *error;
  LayerClaims *claims;
  const char *texts[LAYER_CLAIM_TEXT_COUNT];
  size_t text_lens[LAYER_CLAIM_TEXT_COUNT];
  int64_t times[2];
} Job;

static void job_init(Job *job, Op op) {
  memset(job, 0, sizeof *job);
  job->op = op;
}

static void job_release_inputs(Job *job) {
  for (int i = 0; i < job->strs; i++) str_release(&job->s[i]);
  job->strs = 0;
  if (job->md != NULL) {
    for (size_t i = 0; i < 2 * job->md_count; i++) str_release(&job->md[i]);
    free(job->md);
    free(job->md_ptrs);
    free(job->md_lens);
    job->md = NULL;
    job->md_ptrs = NULL;
    job->md_lens = NULL;
  }
}

static void job_release_outputs(Job *job) {
  layer_string_free(job->out1); /* zeroizes: generated private keys too */
  layer_string_free(job->out2);
  layer_string_free(job->error);
  layer_claims_free(job->claims);
  job->out1 = job->out2 = job->error = NULL;
  job->claims = NULL;
}

static bool job_str(napi_env env, Job *job, napi_value value, const char *name, int options) {
  if (!str_get(env, value, name, options, &job->s[job->strs])) return false;
  job->strs++;
  return true;
}

static const char *job_ptr(const Job *job, int i) { return job->s[i].ptr; }
static size_t job_len(const Job *job, int i) { return job->s[i].len; }

/* Metadata as two arrays of strings (names, values) of equal length, or null/undefined. */
static bool job_metadata(napi_env env, Job *job, napi_value names, napi_value values) {
  napi_valuetype t1, t2;
  bool a1 = false, a2 = false;
  uint32_t n1 = 0, n2 = 0;
  if (napi_typeof(env, names, &t1) != napi_ok || napi_typeof(env, values, &t2) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  if ((t1 == napi_null || t1 == napi_undefined) && (t2 == napi_null || t2 == napi_undefined))
    return true;
  if (napi_is_array(env, names, &a1) != napi_ok || napi_is_array(env, values, &a2) != napi_ok ||
      !a1 || !a2 || napi_get_array_length(env, names, &n1) != napi_ok ||
      napi_get_array_length(env, values, &n2) != napi_ok || n1 != n2) {
    throw_type(env, "metadata", "two arrays of strings of the same length (names, values)");
    return false;
  }
  if (n1 == 0) return true;
  job->md = calloc(2 * (size_t)n1, sizeof *job->md);
  job->md_ptrs = calloc(2 * (size_t)n1, sizeof *job->md_ptrs);
  job->md_lens = calloc(2 * (size_t)n1, sizeof *job->md_lens);
  if (job->md == NULL || job->md_ptrs == NULL || job->md_lens == NULL) {
    free(job->md);
    free(job->md_ptrs);
    free(job->md_lens);
    job->md = NULL;
    job->md_ptrs = NULL;
    job->md_lens = NULL;
    throw_no_memory(env);
    return false;
  }
  job->md_count = n1; /* the zeroed entries not yet filled release as no-ops */
  for (uint32_t i = 0; i < 2 * n1; i++) {
    napi_value element;
    bool is_name = i < n1;
    if (napi_get_element(env, is_name ? names : values, is_name ? i : i - n1, &element) !=
        napi_ok) {
      throw_napi_failure(env);
      return false;
    }
    if (!str_get(env, element, is_name ? "a metadata name" : "a metadata value", STR_REQUIRED,
                 &job->md[i])) {
      return false;
    }
    job->md_ptrs[i] = job->md[i].ptr;
    job->md_lens[i] = job->md[i].len;
  }
  return true;
}

/* Runs the library call: no JS value is touched here (thread-pool safe). */
static void job_run(Job *job) {
  switch (job->op) {
    case OP_SIGN: {
      const char *attributes[LAYER_ATTRIBUTE_COUNT];
      size_t attribute_lens[LAYER_ATTRIBUTE_COUNT];
      for (int i = 0; i < LAYER_ATTRIBUTE_COUNT; i++) {
        attributes[i] = job_ptr(job, 2 + i);
        attribute_lens[i] = job_len(job, 2 + i);
      }
      size_t n = job->md_count;
      job->status = layer_signer_sign_n(
          job->handle->native, job_ptr(job, 0), job_len(job, 0), job_ptr(job, 1),
          job_len(job, 1), job->time, job->seconds, attributes, attribute_lens,
          n ? job->md_ptrs : NULL, n ? job->md_lens : NULL, n ? job->md_ptrs + n : NULL,
          n ? job->md_lens + n : NULL, n, &job->out1, &job->error);
      break;
    }
    case OP_SIGN_TOKEN:
      job->status = layer_sign_token_n(
          (const uint8_t *)job_ptr(job, 0), job_len(job, 0), job_ptr(job, 1), job_len(job, 1),
          job_ptr(job, 2), job_len(job, 2), job_ptr(job, 3), job_len(job, 3), job_ptr(job, 4),
          job_len(job, 4), job->time, job->seconds, &job->out1, &job->error);
      break;
    case OP_VERIFY:
      job->status = layer_verifier_verify_n(
          job->handle->native, job_ptr(job, 0), job_len(job, 0), job_ptr(job, 1),
          job_len(job, 1), job->time, job->seconds, &job->claims, job->texts, job->text_lens,
          LAYER_CLAIM_TEXT_COUNT, job->times, &job->eit, &job->error);
      break;
    case OP_GENERATE:
      job->status = layer_generate_key_pair(job->u32, &job->out1, &job->out2, &job->error);
      break;
    case OP_FINISH:
      job->status = layer_exchange_finish(
          job->handle->native, job->signer != NULL ? job->signer->native : NULL,
          (LayerAuthOutcome)job->u32, job_ptr(job, 0), job_len(job, 0), &job->error);
      break;
  }
}

/* Verified claims as an array, assembled into a frozen object by lib/index.js:
 * [providerId, userId, nonce, firstName, lastName, displayName, avatarUrl, json,
 *  metadataJson, issuedAt, expiresAt]; absent texts are undefined. */
static napi_value claims_value(napi_env env, Job *job) {
  napi_value values[LAYER_CLAIM_TEXT_COUNT + 2], array;
  for (int i = 0; i < LAYER_CLAIM_TEXT_COUNT; i++) {
    if (job->texts[i] == NULL) {
      NAPI(napi_get_undefined(env, &values[i]));
    } else {
      NAPI(napi_create_string_utf8(env, job->texts[i], job->text_lens[i], &values[i]));
    }
  }
  NAPI(napi_create_int64(env, job->times[0], &values[LAYER_CLAIM_TEXT_COUNT]));
  NAPI(napi_create_int64(env, job->times[1], &values[LAYER_CLAIM_TEXT_COUNT + 1]));
  NAPI(napi_create_array_with_length(env, LAYER_CLAIM_TEXT_COUNT + 2, &array));
  for (uint32_t i = 0; i < LAYER_CLAIM_TEXT_COUNT + 2; i++) {
    NAPI(napi_set_element(env, array, i, values[i]));
  }
  return array;
}

/* The JS value of a finished job: the result, or (in *error) the LayerIdentityError. */
static napi_value job_result(napi_env env, Job *job, napi_value *error) {
  napi_value v, a, b;
  *error = NULL;
  if (job->status != LAYER_OK) {
    *error = library_error(env, job->status, job->error, job->eit);
    return NULL;
  }
  switch (job->op) {
    case OP_SIGN:
    case OP_SIGN_TOKEN: /* a token is ASCII */
      NAPI(napi_create_string_latin1(env, job->out1, NAPI_AUTO_LENGTH, &v));
      return v;
    case OP_VERIFY:
      return claims_value(env, job);
    case OP_GENERATE:
      NAPI(napi_create_array_with_length(env, 2, &v));
      NAPI(napi_create_string_utf8(env, job->out1, NAPI_AUTO_LENGTH, &a));
      NAPI(napi_create_string_utf8(env, job->out2, NAPI_AUTO_LENGTH, &b));
      NAPI(napi_set_element(env, v, 0, a));
      NAPI(napi_set_element(env, v, 1, b));
      return v;
    case OP_FINISH:
      NAPI(napi_get_undefined(env, &v));
      return v;
  }
  return NULL;
}

/* Sync: run now, throw on failure. */
static napi_value job_sync(napi_env env, Job *job) {
  napi_value result, error;
  job_run(job);
  job_release_inputs(job);
  result = job_result(env, job, &error);
  job_release_outputs(job);
  if (error != NULL) napi_throw(env, error);
  return error != NULL ? NULL : result;
}

static void job_execute(napi_env env, void *data) {
  (void)env;
  job_run(data);
}

/* Gives back what a queued job held: the handles' references and busy flags. */
static void job_release_handles(napi_env env, Job *job) {
  if (job->handle != NULL) {
    job->handle->busy = false;
    handle_release(job->handle);
  }
  if (job->signer != NULL) handle_release(job->signer);
  if (job->keep != NULL) napi_delete_reference(env, job->keep);
  if (job->keep_signer != NULL) napi_delete_reference(env, job->keep_signer);
}

static void job_complete(napi_env env, napi_status status, void *data) {
  Job *job = data;
  napi_value result = NULL, error = NULL;
  /* The handles are usable again before the promise settles, so its callbacks may use them. */
  job_release_handles(env, job);
  if (status == napi_ok) {
    result = job_result(env, job, &error);
    if (result == NULL && error == NULL) { /* a Node-API failure: reject with its exception */
      bool pending = false;
      if (napi_is_exception_pending(env, &pending) == napi_ok && pending)
        napi_get_and_clear_last_exception(env, &error);
    }
  } else {
    napi_value message;
    if (napi_create_string_utf8(env, "the operation was cancelled", NAPI_AUTO_LENGTH,
                                &message) == napi_ok)
      napi_create_error(env, NULL, message, &error);
  }
  if (error != NULL || result == NULL) {
    if (error == NULL) napi_get_undefined(env, &error);
    napi_reject_deferred(env, job->deferred, error);
  } else {
    napi_resolve_deferred(env, job->deferred, result);
  }
  napi_delete_async_work(env, job->work);
  job_release_inputs(job);
  job_release_outputs(job);
  free(job);
}

static const char *const OP_NAMES[] = {"layer-identity:sign", "layer-identity:signToken",
                                       "layer-identity:verify", "layer-identity:generateKeyPair",
                                       "layer-identity:exchangeFinish"};

/* Async: queue the (heap) job on the thread pool and return its promise. Takes ownership of
 * `job` whatever happens. `externals[0]` / `[1]` are the JS values of job->handle and
 * job->signer, kept alive until the job completes. */
static napi_value job_queue(napi_env env, Job *job, napi_value *externals) {
  napi_value promise = NULL, name;
  NAPI_OR(napi_create_string_utf8(env, OP_NAMES[job->op], NAPI_AUTO_LENGTH, &name), fail);
  NAPI_OR(napi_create_async_work(env, NULL, name, job_execute, job_complete, job, &job->work),
          fail);
  if (job->handle != NULL) NAPI_OR(napi_create_reference(env, externals[0], 1, &job->keep), fail);
  if (job->signer != NULL)
    NAPI_OR(napi_create_reference(env, externals[1], 1, &job->keep_signer), fail);
  NAPI_OR(napi_create_promise(env, &job->deferred, &promise), fail);
  if (napi_queue_async_work(env, job->work) != napi_ok) {
    /* The promise exists but will never settle: fail loudly instead of returning it. */
    throw_napi_failure(env);
    goto fail;
  }
  /* Released in job_complete. */
  if (job->handle != NULL) {
    job->handle->refs++;
    if (job->handle->kind == KIND_EXCHANGE) job->handle->busy = true;
  }
  if (job->signer != NULL) job->signer->refs++;
  return promise;
fail:
  if (job->keep != NULL) napi_delete_reference(env, job->keep);
  if (job->keep_signer != NULL) napi_delete_reference(env, job->keep_signer);
  if (job->work != NULL) napi_delete_async_work(env, job->work);
  job_release_inputs(job);
  free(job);
  return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Argument parsing shared by the sync and async forms                                       */

/* Reads the n arguments the JS layer passes; false (an exception pending) otherwise. */
static bool args_get(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  if (argc < n) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "missing arguments");
    return false;
  }
  return true;
}

/* For the exported functions: declares argv and returns NULL when arguments are missing. */
#define GET_ARGS(n)   \
  napi_value argv[n]; \
  if (!args_get(env, info, (n), argv)) return NULL

/* Reads a call's arguments into a Job. externals[0] / [1] receive the JS objects of the
 * handles the job uses, which an async job keeps alive until it completes. */
typedef bool (*JobParser)(napi_env env, napi_callback_info info, Job *job,
                          napi_value *externals);

/* sign(handle, userId, nonce, issuedAt, ttl, firstName, lastName, displayName, avatarUrl,
 *      metadataNames, metadataValues) */
static bool parse_sign(napi_env env, napi_callback_info info, Job *job, napi_value *externals) {
  napi_value argv[11];
  static const char *const attrs[] = {"firstName", "lastName", "displayName", "avatarUrl"};
  if (!args_get(env, info, 11, argv)) return false;
  externals[0] = argv[0];
  if ((job->handle = handle_get(env, argv[0], KIND_SIGNER)) == NULL) return false;
  if (!job_str(env, job, argv[1], "userId", STR_REQUIRED)) return false;
  if (!job_str(env, job, argv[2], "nonce", STR_REQUIRED)) return false;
  if (!i64_get(env, argv[3], "issuedAt", &job->time)) return false;
  if (!i64_get(env, argv[4], "ttl", &job->seconds)) return false;
  for (int i = 0; i < 4; i++) {
    if (!job_str(env, job, argv[5 + i], attrs[i], STR_NULLABLE)) return false;
  }
  return job_metadata(env, job, argv[9], argv[10]);
}

/* signToken(privateKey, providerId, keyId, userId, nonce, issuedAt, ttl) */
static bool parse_sign_token(napi_env env, napi_callback_info info, Job *job,
                             napi_value *externals) {
  napi_value argv[7];
  static const char *const names[] = {"privateKey", "providerId", "keyId", "userId", "nonce"};
  (void)externals;
  if (!args_get(env, info, 7, argv)) return false;
  for (int i = 0; i < 5; i++) {
    if (!job_str(env, job, argv[i], names[i], i == 0 ? STR_BYTES | STR_SECRET : STR_REQUIRED))
      return false;
  }
  return i64_get(env, argv[5], "issuedAt", &job->time) &&
         i64_get(env, argv[6], "ttl", &job->seconds);
}

/* verify(handle, token, nonce | null, now, leeway) */
static bool parse_verify(napi_env env, napi_callback_info info, Job *job,
                         napi_value *externals) {
  napi_value argv[5];
  if (!args_get(env, info, 5, argv)) return false;
  externals[0] = argv[0];
  if ((job->handle = handle_get(env, argv[0], KIND_VERIFIER)) == NULL) return false;
  return job_str(env, job, argv[1], "token", STR_REQUIRED) &&
         job_str(env, job, argv[2], "nonce", STR_NULLABLE) &&
         i64_get(env, argv[3], "now", &job->time) &&
         i64_get(env, argv[4], "leeway", &job->seconds);
}

/* generateKeyPair(bits) */
static bool parse_generate(napi_env env, napi_callback_info info, Job *job,
                           napi_value *externals) {
  napi_value argv[1];
  (void)externals;
  return args_get(env, info, 1, argv) && u32_get(env, argv[0], "bits", &job->u32);
}

/* exchangeFinish(exchange, signer | null, outcome, userId | null) */
static bool parse_finish(napi_env env, napi_callback_info info, Job *job,
                         napi_value *externals) {
  napi_value argv[4];
  napi_valuetype type;
  LayerAuthOutcome outcome;
  if (!args_get(env, info, 4, argv)) return false;
  externals[0] = argv[0];
  externals[1] = argv[1];
  if ((job->handle = handle_get(env, argv[0], KIND_EXCHANGE)) == NULL) return false;
  if (napi_typeof(env, argv[1], &type) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  if (type != napi_null && type != napi_undefined &&
      (job->signer = handle_get(env, argv[1], KIND_SIGNER)) == NULL)
    return false;
  if (!outcome_get(env, argv[2], &outcome)) return false;
  job->u32 = (uint32_t)outcome;
  return job_str(env, job, argv[3], "userId", STR_NULLABLE);
}

/* The sync form of an operation: the job runs on the calling thread. */
static napi_value run_sync(napi_env env, napi_callback_info info, Op op, JobParser parse) {
  Job job;
  napi_value externals[2] = {NULL, NULL};
  job_init(&job, op);
  if (!parse(env, info, &job, externals)) {
    job_release_inputs(&job);
    return NULL;
  }
  return job_sync(env, &job);
}

/* The async form: the job runs on libuv's thread pool, and a promise is returned. */
static napi_value run_async(napi_env env, napi_callback_info info, Op op, JobParser parse) {
  napi_value externals[2] = {NULL, NULL};
  Job *job = malloc(sizeof *job);
  if (job == NULL) {
    throw_no_memory(env);
    return NULL;
  }
  job_init(job, op);
  if (!parse(env, info, job, externals)) {
    job_release_inputs(job);
    free(job);
    return NULL;
  }
  return job_queue(env, job, externals);
}

/* ---------------------------------------------------------------------------------------- */
/* Exported functions: tokens                                                                */

static napi_value Sign(napi_env env, napi_callback_info info) {
  return run_sync(env, info, OP_SIGN, parse_sign);
}

static napi_value SignAsync(napi_env env, napi_callback_info info) {
  return run_async(env, info, OP_SIGN, parse_sign);
}

static napi_value SignToken(napi_env env, napi_callback_info info) {
  return run_sync(env, info, OP_SIGN_TOKEN, parse_sign_token);
}

static napi_value SignTokenAsync(napi_env env, napi_callback_info info) {
  return run_async(env, info, OP_SIGN_TOKEN, parse_sign_token);
}

static napi_value Verify(napi_env env, napi_callback_info info) {
  return run_sync(env, info, OP_VERIFY, parse_verify);
}

static napi_value VerifyAsync(napi_env env, napi_callback_info info) {
  return run_async(env, info, OP_VERIFY, parse_verify);
}

static napi_value GenerateKeyPair(napi_env env, napi_callback_info info) {
  return run_sync(env, info, OP_GENERATE, parse_generate);
}

static napi_value GenerateKeyPairAsync(napi_env env, napi_callback_info info) {
  return run_async(env, info, OP_GENERATE, parse_generate);
}

/* tokenTypeFlags(name): the flags a token type name selects (the library's rule). */
static napi_value TokenTypeFlags(napi_env env, napi_callback_info info) {
  Str name;
  uint32_t flags = 0;
  char *error = NULL;
  napi_value v;
  GET_ARGS(1);
  if (!str_get(env, argv[0], "tokenType", STR_REQUIRED, &name)) return NULL;
  LayerStatus status = layer_token_type_flags(name.ptr, name.len, &flags, &error);
  str_release(&name);
  if (status != LAYER_OK) {
    throw_library_error(env, status, error, LAYER_EIT_NONE);
    return NULL;
  }
  NAPI(napi_create_uint32(env, flags, &v));
  return v;
}

/* signerNew(privateKey, passphrase | null, providerId, keyId, flags) */
static napi_value SignerNew(napi_env env, napi_callback_info info) {
  Str key, pass, provider, key_id;
  uint32_t flags;
  LayerSigner *signer = NULL;
  char *error = NULL;
  napi_value result = NULL;
  GET_ARGS(5);
  if (!str_get(env, argv[0], "privateKey", STR_BYTES | STR_SECRET, &key)) return NULL;
  if (!str_get(env, argv[1], "passphrase", STR_BYTES | STR_SECRET | STR_NULLABLE, &pass))
    goto free_key;
  if (!str_get(env, argv[2], "providerId", STR_REQUIRED, &provider)) goto free_pass;
  if (!str_get(env, argv[3], "keyId", STR_REQUIRED, &key_id)) goto free_provider;
  if (u32_get(env, argv[4], "flags", &flags)) {
    LayerStatus status = layer_signer_new_n(
        (const uint8_t *)key.ptr, key.len, (const uint8_t *)pass.ptr, pass.len, provider.ptr,
        provider.len, key_id.ptr, key_id.len, flags, &signer, &error);
    if (status == LAYER_OK) {
      result = handle_wrap(env, KIND_SIGNER, signer);
    } else {
      throw_library_error(env, status, error, LAYER_EIT_NONE);
    }
  }
  str_release(&key_id);
free_provider:
  str_release(&provider);
free_pass:
  str_release(&pass);
free_key:
  str_release(&key);
  return result;
}

/* signerFromEnv(flags) */
static napi_value SignerFromEnv(napi_env env, napi_callback_info info) {
  uint32_t flags;
  LayerSigner *signer = NULL;
  char *error = NULL;
  GET_ARGS(1);
  if (!u32_get(env, argv[0], "flags", &flags)) return NULL;
  LayerStatus status = layer_signer_from_env(flags, &signer, &error);
  if (status == LAYER_OK) return handle_wrap(env, KIND_SIGNER, signer);
  throw_library_error(env, status, error, LAYER_EIT_NONE);
  return NULL;
}

static napi_value SignerPublicKeyPem(napi_env env, napi_callback_info info) {
  char *pem = NULL, *error = NULL;
  napi_value v = NULL;
  GET_ARGS(1);
  Handle *h = handle_get(env, argv[0], KIND_SIGNER);
  if (h == NULL) return NULL;
  LayerStatus status = layer_signer_public_key_pem(h->native, &pem, &error);
  if (status != LAYER_OK) {
    throw_library_error(env, status, error, LAYER_EIT_NONE);
    return NULL;
  }
  napi_create_string_utf8(env, pem, NAPI_AUTO_LENGTH, &v);
  layer_string_free(pem);
  if (v == NULL) throw_napi_failure(env);
  return v;
}

/* verifierNew(key, providerId, keyId, flags) */
static napi_value VerifierNew(napi_env env, napi_callback_info info) {
  Str key, provider, key_id;
  uint32_t flags;
  LayerVerifier *verifier = NULL;
  char *error = NULL;
  napi_value result = NULL;
  GET_ARGS(4);
  if (!str_get(env, argv[0], "publicKey", STR_BYTES | STR_SECRET, &key)) return NULL;
  if (!str_get(env, argv[1], "providerId", STR_REQUIRED, &provider)) goto free_key;
  if (!str_get(env, argv[2], "keyId", STR_REQUIRED, &key_id)) goto free_provider;
  if (u32_get(env, argv[3], "flags", &flags)) {
    LayerStatus status =
        layer_verifier_new_n((const uint8_t *)key.ptr, key.len, provider.ptr, provider.len,
                             key_id.ptr, key_id.len, flags, &verifier, &error);
    if (status == LAYER_OK) {
      result = handle_wrap(env, KIND_VERIFIER, verifier);
    } else {
      throw_library_error(env, status, error, LAYER_EIT_NONE);
    }
  }
  str_release(&key_id);
free_provider:
  str_release(&provider);
free_key:
  str_release(&key);
  return result;
}

/* close(handle): idempotent; the native handle is freed now, or when the last pending job
 * using it completes. Returns true the first time. */
static napi_value Close(napi_env env, napi_callback_info info) {
  void *data = NULL;
  bool ok = false;
  napi_value result;
  napi_valuetype type;
  GET_ARGS(1);
  NAPI(napi_typeof(env, argv[0], &type));
  if (type == napi_external) {
    for (int kind = 0; kind < KIND_COUNT && !ok; kind++)
      NAPI(napi_check_object_type_tag(env, argv[0], &TAGS[kind], &ok));
  }
  if (!ok || napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    throw_type(env, "handle", "a signer, verifier or exchange handle");
    return NULL;
  }
  Handle *h = data;
  bool first = !h->closed;
  if (first) {
    h->closed = true;
    handle_release(h);
  }
  NAPI(napi_get_boolean(env, first, &result));
  return result;
}

/* inspectToken(token) → [headerJson, claimsJson], NOT verified. */
static napi_value InspectToken(napi_env env, napi_callback_info info) {
  Str token;
  char *header = NULL, *claims = NULL, *error = NULL;
  napi_value result = NULL, a, b;
  GET_ARGS(1);
  if (!str_get(env, argv[0], "token", STR_REQUIRED, &token)) return NULL;
  LayerStatus status = layer_token_inspect_n(token.ptr, token.len, &header, &claims, &error);
  str_release(&token);
  if (status != LAYER_OK) {
    throw_library_error(env, status, error, LAYER_EIT_NONE);
    return NULL;
  }
  if (napi_create_array_with_length(env, 2, &result) != napi_ok ||
      napi_create_string_utf8(env, header, NAPI_AUTO_LENGTH, &a) != napi_ok ||
      napi_create_string_utf8(env, claims, NAPI_AUTO_LENGTH, &b) != napi_ok ||
      napi_set_element(env, result, 0, a) != napi_ok ||
      napi_set_element(env, result, 1, b) != napi_ok) {
    throw_napi_failure(env);
    result = NULL;
  }
  layer_string_free(header);
  layer_string_free(claims);
  return result;
}

static napi_value KeyCacheClear(napi_env env, napi_callback_info info) {
  (void)info;
  layer_key_cache_clear();
  napi_value v;
  NAPI(napi_get_undefined(env, &v));
  return v;
}

/* ---------------------------------------------------------------------------------------- */
/* Exported functions: the endpoint (LayerExchange, one per HTTP request)                   */

/* exchangeNew(method, target, contentType | null, contentLength | null) → exchange handle */
static napi_value ExchangeNew(napi_env env, napi_callback_info info) {
  Str method, target, content_type, content_length;
  LayerExchange *exchange = NULL;
  char *error = NULL;
  napi_value result = NULL;
  GET_ARGS(4);
  if (!str_get(env, argv[0], "method", STR_REQUIRED, &method)) return NULL;
  if (!str_get(env, argv[1], "target", STR_REQUIRED, &target)) goto free_method;
  if (!str_get(env, argv[2], "contentType", STR_NULLABLE, &content_type)) goto free_target;
  if (str_get(env, argv[3], "contentLength", STR_NULLABLE, &content_length)) {
    LayerStatus status = layer_exchange_new(method.ptr, method.len, target.ptr, target.len,
                                            content_type.ptr, content_type.len,
                                            content_length.ptr, content_length.len, &exchange,
                                            &error);
    if (status == LAYER_OK) {
      result = handle_wrap(env, KIND_EXCHANGE, exchange);
    } else {
      throw_library_error(env, status, error, LAYER_EIT_NONE);
    }
    str_release(&content_length);
  }
  str_release(&content_type);
free_target:
  str_release(&target);
free_method:
  str_release(&method);
  return result;
}

static napi_value step_value(napi_env env, const Handle *h) {
  napi_value v;
  NAPI(napi_create_uint32(env, (uint32_t)layer_exchange_step(h->native), &v));
  return v;
}

/* exchangeStep(exchange) → LayerExchangeStep */
static napi_value ExchangeStep(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  Handle *h = handle_get(env, argv[0], KIND_EXCHANGE);
  return h == NULL ? NULL : step_value(env, h);
}

/* exchangePutBody(exchange, bytes: Uint8Array) → LayerExchangeStep. The bytes are read in
 * place: the call is synchronous. */
static napi_value ExchangePutBody(napi_env env, napi_callback_info info) {
  bool is_typed = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *bytes = NULL;
  char *error = NULL;
  GET_ARGS(2);
  Handle *h = handle_get(env, argv[0], KIND_EXCHANGE);
  if (h == NULL) return NULL;
  if (napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &bytes, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    throw_type(env, "body", "a Buffer or a Uint8Array");
    return NULL;
  }
  LayerStatus status = layer_exchange_put_body(h->native, bytes, length, &error);
  if (status != LAYER_OK) {
    throw_library_error(env, status, error, LAYER_EIT_NONE);
    return NULL;
  }
  return step_value(env, h);
}

static napi_value text_or_undefined(napi_env env, const char *p, size_t len) {
  napi_value v;
  if (p == NULL) {
    NAPI(napi_get_undefined(env, &v));
  } else {
    NAPI(napi_create_string_utf8(env, p, len, &v));
  }
  return v;
}

/* exchangeFields(exchange) → [nonce, firstName, lastName, displayName, avatarUrl, userId],
 * absent ones undefined. */
static napi_value ExchangeFields(napi_env env, napi_callback_info info) {
  const char *values[LAYER_FIELD_COUNT];
  size_t lens[LAYER_FIELD_COUNT];
  napi_value array, v;
  GET_ARGS(1);
  Handle *h = handle_get(env, argv[0], KIND_EXCHANGE);
  if (h == NULL) return NULL;
  layer_exchange_fields(h->native, values, lens, LAYER_FIELD_COUNT);
  NAPI(napi_create_array_with_length(env, LAYER_FIELD_COUNT, &array));
  for (uint32_t i = 0; i < LAYER_FIELD_COUNT; i++) {
    if ((v = text_or_undefined(env, values[i], lens[i])) == NULL) return NULL;
    NAPI(napi_set_element(env, array, i, v));
  }
  return array;
}

/* exchangeDemoUserId(exchange) → the body's user_id, or throws the library's refusal. */
static napi_value ExchangeDemoUserId(napi_env env, napi_callback_info info) {
  const char *user_id = NULL;
  size_t len = 0;
  char *error = NULL;
  GET_ARGS(1);
  Handle *h = handle_get(env, argv[0], KIND_EXCHANGE);
  if (h == NULL) return NULL;
  LayerStatus status = layer_exchange_demo_user_id(h->native, &user_id, &len, &error);
  if (status != LAYER_OK) {
    throw_library_error(env, status, error, LAYER_EIT_NONE);
    return NULL;
  }
  return text_or_undefined(env, user_id, len);
}

static napi_value ExchangeFinish(napi_env env, napi_callback_info info) {
  return run_sync(env, info, OP_FINISH, parse_finish);
}

/* The signing step on the thread pool; the exchange is busy until the promise settles. */
static napi_value ExchangeFinishAsync(napi_env env, napi_callback_info info) {
  return run_async(env, info, OP_FINISH, parse_finish);
}

/* exchangeFail(exchange, logMessage) */
static napi_value ExchangeFail(napi_env env, napi_callback_info info) {
  Str message;
  char *error = NULL;
  napi_value v;
  GET_ARGS(2);
  Handle *h = handle_get(env, argv[0], KIND_EXCHANGE);
  if (h == NULL) return NULL;
  if (!str_get(env, argv[1], "logMessage", STR_NULLABLE, &message)) return NULL;
  LayerStatus status = layer_exchange_fail(h->native, message.ptr, message.len, &error);
  str_release(&message);
  if (status != LAYER_OK) {
    throw_library_error(env, status, error, LAYER_EIT_NONE);
    return NULL;
  }
  NAPI(napi_get_undefined(env, &v));
  return v;
}

/* exchangeResponse(exchange) → [status, [name, value, ...], body: Buffer, closesConnection,
 * logMessage | undefined], or undefined before step RESPOND. */
static napi_value ExchangeResponse(napi_env env, napi_callback_info info) {
  const char *names[LAYER_EXCHANGE_MAX_HEADERS], *values[LAYER_EXCHANGE_MAX_HEADERS];
  size_t name_lens[LAYER_EXCHANGE_MAX_HEADERS], value_lens[LAYER_EXCHANGE_MAX_HEADERS];
  napi_value result, headers, v;
  size_t body_len = 0, log_len = 0;
  GET_ARGS(1);
  Handle *h = handle_get(env, argv[0], KIND_EXCHANGE);
  if (h == NULL) return NULL;
  if (layer_exchange_step(h->native) != LAYER_EXCHANGE_RESPOND) {
    NAPI(napi_get_undefined(env, &v));
    return v;
  }
  size_t count = layer_exchange_headers(h->native, names, name_lens, values, value_lens,
                                        LAYER_EXCHANGE_MAX_HEADERS);
  if (count > LAYER_EXCHANGE_MAX_HEADERS) count = LAYER_EXCHANGE_MAX_HEADERS;
  NAPI(napi_create_array_with_length(env, 5, &result));
  NAPI(napi_create_uint32(env, layer_exchange_status(h->native), &v));
  NAPI(napi_set_element(env, result, 0, v));
  NAPI(napi_create_array_with_length(env, 2 * count, &headers));
  for (size_t i = 0; i < count; i++) {
    NAPI(napi_create_string_latin1(env, names[i], name_lens[i], &v));
    NAPI(napi_set_element(env, headers, (uint32_t)(2 * i), v));
    NAPI(napi_create_string_latin1(env, values[i], value_lens[i], &v));
    NAPI(napi_set_element(env, headers, (uint32_t)(2 * i + 1), v));
  }
  NAPI(napi_set_element(env, result, 1, headers));
  const uint8_t *body = layer_exchange_body(h->native, &body_len);
  NAPI(napi_create_buffer_copy(env, body_len, body_len > 0 ? (const void *)body : "", NULL, &v));
  NAPI(napi_set_element(env, result, 2, v));
  NAPI(napi_get_boolean(env, layer_exchange_closes_connection(h->native), &v));
  NAPI(napi_set_element(env, result, 3, v));
  const char *log = layer_exchange_log_message(h->native, &log_len);
  if ((v = text_or_undefined(env, log, log_len)) == NULL) return NULL;
  NAPI(napi_set_element(env, result, 4, v));
  return result;
}

/* ---------------------------------------------------------------------------------------- */
/* Exported functions: tables and the load-time checks                                       */

static napi_value StatusName(napi_env env, napi_callback_info info) {
  int32_t n;
  napi_value v;
  GET_ARGS(1);
  NAPI(napi_get_value_int32(env, argv[0], &n));
  NAPI(napi_create_string_utf8(env, layer_status_name((LayerStatus)n), NAPI_AUTO_LENGTH, &v));
  return v;
}

static napi_value EitName(napi_env env, napi_callback_info info) {
  int32_t n;
  napi_value v;
  GET_ARGS(1);
  NAPI(napi_get_value_int32(env, argv[0], &n));
  NAPI(napi_create_string_utf8(env, layer_eit_name((LayerEit)n), NAPI_AUTO_LENGTH, &v));
  return v;
}

/* setup(makeError): registers the factory of LayerIdentityError instances. */
static napi_value Setup(napi_env env, napi_callback_info info) {
  AddonData *addon = NULL;
  napi_valuetype type;
  napi_value v;
  GET_ARGS(1);
  NAPI(napi_typeof(env, argv[0], &type));
  if (type != napi_function) {
    throw_type(env, "makeError", "a function");
    return NULL;
  }
  NAPI(napi_get_instance_data(env, (void **)&addon));
  if (addon->make_error != NULL) NAPI(napi_delete_reference(env, addon->make_error));
  addon->make_error = NULL;
  NAPI(napi_create_reference(env, argv[0], 1, &addon->make_error));
  NAPI(napi_get_undefined(env, &v));
  return v;
}

/* The file that provides the OpenSSL functions this addon calls: the system's libcrypto.so.3
 * when loaded with RTLD_DEEPBIND (lib/native.js), the node executable when loaded without it
 * (Node exports its own bundled OpenSSL, which would then win). */
static napi_value CryptoLibrary(napi_env env, napi_callback_info info) {
  (void)info;
  static const struct {
    const char *name;
    void *address;
  } probes[] = {{"OpenSSL_version", (void *)&OpenSSL_version},
                {"EVP_PKEY_sign", (void *)&EVP_PKEY_sign}};
  napi_value result;
  NAPI(napi_create_object(env, &result));
  for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
    Dl_info where;
    napi_value v;
    const char *file = dladdr(probes[i].address, &where) && where.dli_fname != NULL
                           ? where.dli_fname
                           : "(unknown)";
    NAPI(napi_create_string_utf8(env, file, NAPI_AUTO_LENGTH, &v));
    NAPI(napi_set_named_property(env, result, probes[i].name, v));
  }
  return result;
}

static napi_value define_string(napi_env env, napi_value exports, const char *name,
                                const char *value) {
  napi_value v;
  NAPI(napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v));
  NAPI(napi_set_named_property(env, exports, name, v));
  return exports;
}

static napi_value define_u32(napi_env env, napi_value exports, const char *name, uint32_t value) {
  napi_value v;
  NAPI(napi_create_uint32(env, value, &v));
  NAPI(napi_set_named_property(env, exports, name, v));
  return exports;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  /* The library must offer at least the ABI this file was compiled against. It is linked
   * statically, so this fails only for a broken build; say so instead of misbehaving. */
  if (layer_abi_version() < LAYER_ABI_VERSION) {
    char message[200];
    snprintf(message, sizeof message,
             "layer-identity: the linked library has C ABI version %u, this addon needs %u or "
             "later: rebuild the addon against the current liblayer_identity.a",
             (unsigned)layer_abi_version(), (unsigned)LAYER_ABI_VERSION);
    napi_throw_error(env, "ERR_LAYER_IDENTITY_ABI", message);
    return NULL;
  }
  AddonData *addon = calloc(1, sizeof *addon);
  if (addon == NULL) {
    throw_no_memory(env);
    return NULL;
  }
  if (napi_set_instance_data(env, addon, addon_data_free, NULL) != napi_ok) {
    free(addon);
    throw_napi_failure(env);
    return NULL;
  }
  static const struct {
    const char *name;
    napi_callback cb;
  } functions[] = {
      {"setup", Setup},
      {"tokenTypeFlags", TokenTypeFlags},
      {"signerNew", SignerNew},
      {"signerFromEnv", SignerFromEnv},
      {"signerPublicKeyPem", SignerPublicKeyPem},
      {"sign", Sign},
      {"signAsync", SignAsync},
      {"signToken", SignToken},
      {"signTokenAsync", SignTokenAsync},
      {"verifierNew", VerifierNew},
      {"verify", Verify},
      {"verifyAsync", VerifyAsync},
      {"generateKeyPair", GenerateKeyPair},
      {"generateKeyPairAsync", GenerateKeyPairAsync},
      {"inspectToken", InspectToken},
      {"keyCacheClear", KeyCacheClear},
      {"exchangeNew", ExchangeNew},
      {"exchangeStep", ExchangeStep},
      {"exchangePutBody", ExchangePutBody},
      {"exchangeFields", ExchangeFields},
      {"exchangeDemoUserId", ExchangeDemoUserId},
      {"exchangeFinish", ExchangeFinish},
      {"exchangeFinishAsync", ExchangeFinishAsync},
      {"exchangeFail", ExchangeFail},
      {"exchangeResponse", ExchangeResponse},
      {"close", Close},
      {"statusName", StatusName},
      {"eitName", EitName},
      {"cryptoLibrary", CryptoLibrary},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    NAPI(napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].cb, NULL,
                              &fn));
    NAPI(napi_set_named_property(env, exports, functions[i].name, fn));
  }
  if (define_u32(env, exports, "addonInterface", ADDON_INTERFACE) == NULL ||
      define_u32(env, exports, "abiVersion", layer_abi_version()) == NULL ||
      define_u32(env, exports, "headerAbiVersion", LAYER_ABI_VERSION) == NULL ||
      define_u32(env, exports, "FLAG_TYP_JWT", LAYER_FLAG_TYP_JWT) == NULL ||
      define_u32(env, exports, "FLAG_ALLOW_1024_BIT_KEY", LAYER_FLAG_ALLOW_1024_BIT_KEY) == NULL ||
      define_u32(env, exports, "DEFAULT_LEEWAY_SECONDS", LAYER_DEFAULT_LEEWAY_SECONDS) == NULL ||
      define_u32(env, exports, "MAX_BODY_BYTES", LAYER_ENDPOINT_MAX_BODY_BYTES) == NULL ||
      define_u32(env, exports, "STEP_READ_BODY", LAYER_EXCHANGE_READ_BODY) == NULL ||
      define_u32(env, exports, "STEP_AUTHENTICATE", LAYER_EXCHANGE_AUTHENTICATE) == NULL ||
      define_u32(env, exports, "STEP_RESPOND", LAYER_EXCHANGE_RESPOND) == NULL ||
      define_u32(env, exports, "AUTH_USER", LAYER_AUTH_USER) == NULL ||
      define_u32(env, exports, "AUTH_NONE", LAYER_AUTH_NONE) == NULL ||
      define_u32(env, exports, "AUTH_FAILED", LAYER_AUTH_FAILED) == NULL ||
      define_u32(env, exports, "AUTH_NOT_A_USER_ID", LAYER_AUTH_NOT_A_USER_ID) == NULL ||
      define_u32(env, exports, "napiVersion", NAPI_VERSION) == NULL ||
      define_string(env, exports, "version", layer_version()) == NULL ||
      define_string(env, exports, "opensslVersion", OpenSSL_version(OPENSSL_VERSION)) == NULL) {
    return NULL;
  }
  return exports;
}
