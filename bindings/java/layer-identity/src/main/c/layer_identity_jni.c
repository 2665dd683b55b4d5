/*
 * layer_identity_jni.c: the JNI glue of the Java binding, and nothing more.
 *
 * Each native method of com.layer.identity.Native converts its arguments, makes one call into
 * the C ABI (include/layer_identity.h, ABI 3: the pointer-and-length `_n` functions and the
 * endpoint's LayerExchange) and converts the result back. There is no token logic and no
 * endpoint rule here: the Java side checks argument types, the library checks everything else.
 *
 * Conventions:
 * - Strings cross as byte[] holding UTF-8 that the Java side encoded itself (never jstring:
 *   JNI's own UTF functions speak modified UTF-8). The Java side does not validate them: a
 *   lone surrogate arrives as the bytes of its 3-byte form, which are not UTF-8, and U+0000 as
 *   a zero byte, and the library refuses either, naming the argument. A null byte[] is passed
 *   on as NULL (the library answers LAYER_ERR_NULL_ARGUMENT where a value is required, or
 *   reads "absent" where the argument is optional).
 * - Input bytes are copied (GetByteArrayRegion), on the stack when small: no array is pinned
 *   while RSA runs, so the garbage collector is never held up. Buffers that held a key or a
 *   passphrase are wiped before they are released.
 * - Results that hold several texts (claims, fields, an HTTP answer) come back packed in one
 *   byte[] (see `packer` below), so a call allocates one Java array, not one per text.
 * - Every string the library returns is copied into a new byte[] and freed with
 *   layer_string_free (which zeroizes it) on every path, success or not.
 * - A failure becomes a LayerIdentityException thrown here; after any JNI call that may leave
 *   an exception pending (allocation, Throw), the function only releases and returns.
 * - Handles are jlong values owned by the Java objects, which guarantee (by a reference count)
 *   that no handle is freed while a call on it is running, and (for a LayerExchange) that one
 *   thread uses it at a time.
 * - The native methods are bound with RegisterNatives in JNI_OnLoad, so the library exports
 *   JNI_OnLoad and JNI_OnUnload only (see the version script in build-native.sh), and a
 *   mismatch between these functions and the Java declarations fails at load, by name.
 */
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "layer_identity.h"

/* The version of this glue's contract with the Java classes (com.layer.identity.Native). */
#define LAYER_JNI_GLUE_VERSION 2

#define NATIVE_CLASS "com/layer/identity/Native"
#define EXCEPTION_CLASS "com/layer/identity/LayerIdentityException"

static jclass g_exception_class;   /* global ref: LayerIdentityException */
static jmethodID g_exception_init; /* LayerIdentityException(int, byte[], int, byte[]) */

/* ------------------------------------------------------------------------------------------ */
/* Bytes in                                                                                   */

/* A copy of a Java byte[]; `ptr` is NULL for a null array. */
typedef struct {
  uint8_t *ptr;
  size_t size;
  int secret; /* wipe before release */
  uint8_t small[256];
} in_bytes;

static void wipe(void *p, size_t n) {
  volatile unsigned char *b = p;
  while (n--) *b++ = 0;
}

static void throw_out_of_memory(JNIEnv *env) {
  jclass oom = (*env)->FindClass(env, "java/lang/OutOfMemoryError");
  if (oom != NULL) {
    (*env)->ThrowNew(env, oom, "layer-identity: native allocation failed");
    (*env)->DeleteLocalRef(env, oom);
  }
}

/* Copies the first `n` bytes of `array` (all of it when n < 0) into `s`. Returns 0 with an
 * exception pending when it cannot. */
static int in_bytes_get_n(JNIEnv *env, jbyteArray array, jint n, int secret, in_bytes *s) {
  s->ptr = NULL;
  s->size = 0;
  s->secret = secret;
  if (array == NULL) return 1;
  jsize length = (*env)->GetArrayLength(env, array);
  if (n < 0 || n > length) n = length;
  /* One byte more than needed, so that an empty array still gets a non-NULL pointer. */
  uint8_t *buf = (size_t)n < sizeof s->small ? s->small : malloc((size_t)n + 1);
  if (buf == NULL) {
    throw_out_of_memory(env);
    return 0;
  }
  (*env)->GetByteArrayRegion(env, array, 0, n, (jbyte *)buf);
  s->ptr = buf;
  s->size = (size_t)n;
  return 1;
}

static int in_bytes_get(JNIEnv *env, jbyteArray array, int secret, in_bytes *s) {
  return in_bytes_get_n(env, array, -1, secret, s);
}

static void in_bytes_release(in_bytes *s) {
  if (s->ptr == NULL) return;
  if (s->secret) wipe(s->ptr, s->size);
  if (s->ptr != s->small) free(s->ptr);
  s->ptr = NULL;
}

/* Gets `count` arrays; on failure releases those already got and returns 0. */
static int in_bytes_get_all(JNIEnv *env, int count, const jbyteArray *arrays, const int *secret,
                            in_bytes *out) {
  for (int i = 0; i < count; i++) {
    if (!in_bytes_get(env, arrays[i], secret != NULL && secret[i], &out[i])) {
      while (i-- > 0) in_bytes_release(&out[i]);
      return 0;
    }
  }
  return 1;
}

static void in_bytes_release_all(int count, in_bytes *all) {
  for (int i = 0; i < count; i++) in_bytes_release(&all[i]);
}

#define TEXT(s) ((const char *)(s).ptr), (s).size

/* ------------------------------------------------------------------------------------------ */
/* Bytes out and errors                                                                       */

/* A new byte[] holding `len` bytes of `s`, or NULL with an exception pending. */
static jbyteArray new_bytes(JNIEnv *env, const void *s, size_t len) {
  if (len > INT32_MAX) {
    throw_out_of_memory(env);
    return NULL;
  }
  jbyteArray array = (*env)->NewByteArray(env, (jsize)len);
  if (array != NULL && len > 0)
    (*env)->SetByteArrayRegion(env, array, 0, (jsize)len, (const jbyte *)s);
  return array;
}

/* A byte[] copy of a library string, which is freed (zeroized) whatever happens. */
static jbyteArray take_library_string(JNIEnv *env, char *s) {
  jbyteArray array = new_bytes(env, s, s != NULL ? strlen(s) : 0);
  layer_string_free(s);
  return array;
}

/* Throws LayerIdentityException(status, message bytes, eit, eit name). */
static void throw_error(JNIEnv *env, LayerStatus status, LayerEit eit, jbyteArray message) {
  const char *eit_name = layer_eit_name(eit);
  jbyteArray eit_bytes = new_bytes(env, eit_name, strlen(eit_name));
  if (eit_bytes == NULL) return;
  jthrowable error = (jthrowable)(*env)->NewObject(env, g_exception_class, g_exception_init,
                                                   (jint)status, message, (jint)eit, eit_bytes);
  if (error != NULL) {
    (*env)->Throw(env, error);
    (*env)->DeleteLocalRef(env, error);
  }
  (*env)->DeleteLocalRef(env, eit_bytes);
}

/* Throws the library's error; frees `message` (the library's out_error) whatever happens. */
static void throw_layer_error(JNIEnv *env, LayerStatus status, LayerEit eit, char *message) {
  jbyteArray message_bytes = take_library_string(env, message);
  if (message_bytes == NULL) return;
  throw_error(env, status, eit, message_bytes);
  (*env)->DeleteLocalRef(env, message_bytes);
}

/* Throws LAYER_ERR_INTERNAL for a broken promise between this glue and the Java side. */
static void throw_glue_error(JNIEnv *env, const char *what) {
  jbyteArray message_bytes = new_bytes(env, what, strlen(what));
  if (message_bytes == NULL) return;
  throw_error(env, LAYER_ERR_INTERNAL, LAYER_EIT_NONE, message_bytes);
  (*env)->DeleteLocalRef(env, message_bytes);
}

/*
 * Several results in one byte[]: a sequence of big-endian int32 values and texts, each text
 * written as its length (int32, -1 for an absent text) and its bytes. Two passes over the
 * same writer: the first only counts (`buf` NULL), the second fills the array.
 */
typedef struct {
  uint8_t *buf;
  size_t at;
} packer;

static void pack_int(packer *p, int64_t value) {
  if (p->buf != NULL) {
    uint32_t v = (uint32_t)(int32_t)value;
    p->buf[p->at] = (uint8_t)(v >> 24);
    p->buf[p->at + 1] = (uint8_t)(v >> 16);
    p->buf[p->at + 2] = (uint8_t)(v >> 8);
    p->buf[p->at + 3] = (uint8_t)v;
  }
  p->at += 4;
}

static void pack_text(packer *p, const void *text, size_t len) {
  if (text == NULL) {
    pack_int(p, -1);
    return;
  }
  pack_int(p, (int64_t)len);
  if (p->buf != NULL && len > 0) memcpy(p->buf + p->at, text, len);
  p->at += len;
}

/* A Java byte[] of what `write` packs, or NULL with an exception pending. */
typedef void (*pack_function)(packer *, const void *);

static jbyteArray pack(JNIEnv *env, pack_function write, const void *what) {
  packer count = {NULL, 0};
  write(&count, what);
  if (count.at > INT32_MAX) {
    throw_glue_error(env, "layer-identity JNI: a result is larger than a Java array");
    return NULL;
  }
  uint8_t small[1024];
  packer fill = {count.at <= sizeof small ? small : malloc(count.at), 0};
  if (fill.buf == NULL) {
    throw_out_of_memory(env);
    return NULL;
  }
  write(&fill, what);
  jbyteArray array = new_bytes(env, fill.buf, fill.at);
  if (fill.buf != small) free(fill.buf);
  return array;
}

/* ------------------------------------------------------------------------------------------ */
/* Versions and names                                                                         */

static jint native_abi_version(JNIEnv *env, jclass cls) {
  (void)env;
  (void)cls;
  return (jint)layer_abi_version();
}

static jint native_glue_version(JNIEnv *env, jclass cls) {
  (void)env;
  (void)cls;
  return LAYER_JNI_GLUE_VERSION;
}

static jbyteArray native_version(JNIEnv *env, jclass cls) {
  (void)cls;
  const char *v = layer_version();
  return new_bytes(env, v, strlen(v));
}

static jbyteArray native_status_name(JNIEnv *env, jclass cls, jint status) {
  (void)cls;
  const char *name = layer_status_name((LayerStatus)status);
  return new_bytes(env, name, strlen(name));
}

static jbyteArray native_eit_name(JNIEnv *env, jclass cls, jint eit) {
  (void)cls;
  const char *name = layer_eit_name((LayerEit)eit);
  return new_bytes(env, name, strlen(name));
}

static jint native_token_type_flags(JNIEnv *env, jclass cls, jbyteArray name) {
  (void)cls;
  in_bytes s;
  if (!in_bytes_get(env, name, 0, &s)) return 0;
  uint32_t flags = 0;
  char *error = NULL;
  LayerStatus status = layer_token_type_flags(TEXT(s), &flags, &error);
  in_bytes_release(&s);
  if (status != LAYER_OK) {
    throw_layer_error(env, status, LAYER_EIT_NONE, error);
    return 0;
  }
  return (jint)flags;
}

/* ------------------------------------------------------------------------------------------ */
/* Signer                                                                                     */

static jlong native_signer_new(JNIEnv *env, jclass cls, jbyteArray key, jbyteArray passphrase,
                               jbyteArray provider_id, jbyteArray key_id, jint flags) {
  (void)cls;
  const jbyteArray arrays[4] = {key, passphrase, provider_id, key_id};
  static const int secret[4] = {1, 1, 0, 0};
  in_bytes s[4];
  if (!in_bytes_get_all(env, 4, arrays, secret, s)) return 0;
  LayerSigner *signer = NULL;
  char *error = NULL;
  LayerStatus status = layer_signer_new_n(s[0].ptr, s[0].size, s[1].ptr, s[1].size, TEXT(s[2]),
                                          TEXT(s[3]), (uint32_t)flags, &signer, &error);
  in_bytes_release_all(4, s);
  if (status != LAYER_OK) {
    throw_layer_error(env, status, LAYER_EIT_NONE, error);
    return 0;
  }
  return (jlong)(intptr_t)signer;
}

static jlong native_signer_from_env(JNIEnv *env, jclass cls, jint flags) {
  (void)cls;
  LayerSigner *signer = NULL;
  char *error = NULL;
  LayerStatus status = layer_signer_from_env((uint32_t)flags, &signer, &error);
  if (status != LAYER_OK) {
    throw_layer_error(env, status, LAYER_EIT_NONE, error);
    return 0;
  }
  return (jlong)(intptr_t)signer;
}

/*
 * Texts of a byte[][] (elements may be null), copied for one call: `count` in_bytes and the
 * pointer and length arrays the `_n` functions take, on the stack when few.
 */
typedef struct {
  size_t count;
  in_bytes *bytes;
  const char **pointers;
  size_t *lens;
  in_bytes small_bytes[8];
  const char *small_pointers[8];
  size_t small_lens[8];
} in_texts;

static void in_texts_release(in_texts *t) {
  for (size_t i = 0; i < t->count; i++) in_bytes_release(&t->bytes[i]);
  if (t->bytes != t->small_bytes) {
    free(t->bytes);
    free(t->pointers);
    free(t->lens);
  }
  t->count = 0;
}

/* Copies `array` (NULL: no texts). Returns 0 with an exception pending when it cannot. */
static int in_texts_get(JNIEnv *env, jobjectArray array, in_texts *t) {
  t->count = 0;
  t->bytes = t->small_bytes;
  t->pointers = t->small_pointers;
  t->lens = t->small_lens;
  if (array == NULL) return 1;
  size_t n = (size_t)(*env)->GetArrayLength(env, array);
  if (n > 8) {
    t->bytes = malloc(n * sizeof *t->bytes);
    t->pointers = malloc(n * sizeof *t->pointers);
    t->lens = malloc(n * sizeof *t->lens);
    if (t->bytes == NULL || t->pointers == NULL || t->lens == NULL) {
      free(t->bytes);
      free(t->pointers);
      free(t->lens);
      t->bytes = t->small_bytes;
      throw_out_of_memory(env);
      return 0;
    }
  }
  for (size_t i = 0; i < n; i++) {
    jbyteArray element = (jbyteArray)(*env)->GetObjectArrayElement(env, array, (jsize)i);
    if ((*env)->ExceptionCheck(env)) {
      in_texts_release(t);
      return 0;
    }
    int ok = in_bytes_get(env, element, 0, &t->bytes[i]);
    if (element != NULL) (*env)->DeleteLocalRef(env, element);
    if (!ok) {
      in_texts_release(t);
      return 0;
    }
    t->count = i + 1;
    t->pointers[i] = (const char *)t->bytes[i].ptr;
    t->lens[i] = t->bytes[i].size;
  }
  return 1;
}

/*
 * layer_signer_sign_n. `attributes`: null, or LAYER_ATTRIBUTE_COUNT entries by LayerAttribute
 * (null when absent); `metadata`: null, or names then values (2 * count entries).
 */
static jbyteArray native_signer_sign(JNIEnv *env, jclass cls, jlong handle, jbyteArray user_id,
                                     jbyteArray nonce, jlong issued_at, jlong ttl_seconds,
                                     jobjectArray attributes, jobjectArray metadata) {
  (void)cls;
  const jbyteArray arrays[2] = {user_id, nonce};
  in_bytes s[2];
  if (!in_bytes_get_all(env, 2, arrays, NULL, s)) return NULL;
  in_texts attrs, meta;
  if (!in_texts_get(env, attributes, &attrs)) {
    in_bytes_release_all(2, s);
    return NULL;
  }
  if (!in_texts_get(env, metadata, &meta)) {
    in_texts_release(&attrs);
    in_bytes_release_all(2, s);
    return NULL;
  }
  jbyteArray result = NULL;
  if ((attributes != NULL && attrs.count != LAYER_ATTRIBUTE_COUNT) || meta.count % 2 != 0) {
    throw_glue_error(env, "layer-identity JNI: attributes or metadata of the wrong shape");
  } else {
    size_t pairs = meta.count / 2;
    char *token = NULL, *error = NULL;
    LayerStatus status = layer_signer_sign_n(
        (const LayerSigner *)(intptr_t)handle, TEXT(s[0]), TEXT(s[1]), (int64_t)issued_at,
        (int64_t)ttl_seconds, attributes != NULL ? attrs.pointers : NULL,
        attributes != NULL ? attrs.lens : NULL, pairs > 0 ? meta.pointers : NULL,
        pairs > 0 ? meta.lens : NULL, pairs > 0 ? meta.pointers + pairs : NULL,
        pairs > 0 ? meta.lens + pairs : NULL, pairs, &token, &error);
    if (status == LAYER_OK) {
      result = take_library_string(env, token);
    } else {
      throw_layer_error(env, status, LAYER_EIT_NONE, error);
    }
  }
  in_texts_release(&meta);
  in_texts_release(&attrs);
  in_bytes_release_all(2, s);
  return result;
}

static jbyteArray native_signer_public_key_pem(JNIEnv *env, jclass cls, jlong handle) {
  (void)cls;
  char *pem = NULL, *error = NULL;
  LayerStatus status =
      layer_signer_public_key_pem((const LayerSigner *)(intptr_t)handle, &pem, &error);
  if (status != LAYER_OK) {
    throw_layer_error(env, status, LAYER_EIT_NONE, error);
    return NULL;
  }
  return take_library_string(env, pem);
}

static void native_signer_free(JNIEnv *env, jclass cls, jlong handle) {
  (void)env;
  (void)cls;
  layer_signer_free((LayerSigner *)(intptr_t)handle);
}

static jbyteArray native_sign_token(JNIEnv *env, jclass cls, jbyteArray key,
                                    jbyteArray provider_id, jbyteArray key_id,
                                    jbyteArray user_id, jbyteArray nonce, jlong issued_at,
                                    jlong ttl_seconds) {
  (void)cls;
  const jbyteArray arrays[5] = {key, provider_id, key_id, user_id, nonce};
  static const int secret[5] = {1, 0, 0, 0, 0};
  in_bytes s[5];
  if (!in_bytes_get_all(env, 5, arrays, secret, s)) return NULL;
  char *token = NULL, *error = NULL;
  LayerStatus status =
      layer_sign_token_n(s[0].ptr, s[0].size, TEXT(s[1]), TEXT(s[2]), TEXT(s[3]), TEXT(s[4]),
                         (int64_t)issued_at, (int64_t)ttl_seconds, &token, &error);
  in_bytes_release_all(5, s);
  if (status != LAYER_OK) {
    throw_layer_error(env, status, LAYER_EIT_NONE, error);
    return NULL;
  }
  return take_library_string(env, token);
}

static void native_key_cache_clear(JNIEnv *env, jclass cls) {
  (void)env;
  (void)cls;
  layer_key_cache_clear();
}

/* ------------------------------------------------------------------------------------------ */
/* Verifier                                                                                   */

static jlong native_verifier_new(JNIEnv *env, jclass cls, jbyteArray key, jbyteArray provider_id,
                                 jbyteArray key_id, jint flags) {
  (void)cls;
  const jbyteArray arrays[3] = {key, provider_id, key_id};
  static const int secret[3] = {1, 0, 0}; /* may be a private key to derive the public one */
  in_bytes s[3];
  if (!in_bytes_get_all(env, 3, arrays, secret, s)) return 0;
  LayerVerifier *verifier = NULL;
  char *error = NULL;
  LayerStatus status = layer_verifier_new_n(s[0].ptr, s[0].size, TEXT(s[1]), TEXT(s[2]),
                                            (uint32_t)flags, &verifier, &error);
  in_bytes_release_all(3, s);
  if (status != LAYER_OK) {
    throw_layer_error(env, status, LAYER_EIT_NONE, error);
    return 0;
  }
  return (jlong)(intptr_t)verifier;
}

typedef struct {
  const LayerClaims *claims;
  const char *texts[LAYER_CLAIM_TEXT_COUNT];
  size_t lens[LAYER_CLAIM_TEXT_COUNT];
  int64_t times[2];
} verified;

/* iat, exp (as two int32 halves each), the texts by LayerClaimText, the metadata count, then
 * each metadata name and value in the library's (name) order. */
static void pack_claims(packer *p, const void *what) {
  const verified *v = what;
  for (int i = 0; i < 2; i++) {
    pack_int(p, (int64_t)((uint64_t)v->times[i] >> 32));
    pack_int(p, (int64_t)(v->times[i] & 0xFFFFFFFF));
  }
  for (int i = 0; i < LAYER_CLAIM_TEXT_COUNT; i++) pack_text(p, v->texts[i], v->lens[i]);
  size_t count = layer_claims_metadata_count(v->claims);
  pack_int(p, (int64_t)count);
  for (size_t i = 0; i < count; i++) {
    size_t name_len = 0, value_len = 0;
    const char *name = layer_claims_metadata_name(v->claims, i, &name_len);
    const char *value = layer_claims_metadata_value(v->claims, i, &value_len);
    pack_text(p, name, name_len);
    pack_text(p, value, value_len);
  }
}

/* layer_verifier_verify_n: verifies and reads every claim in one call; the claims packed. */
static jbyteArray native_verifier_verify(JNIEnv *env, jclass cls, jlong handle,
                                         jbyteArray token, jbyteArray nonce, jlong now,
                                         jlong leeway_seconds) {
  (void)cls;
  const jbyteArray arrays[2] = {token, nonce};
  in_bytes s[2];
  if (!in_bytes_get_all(env, 2, arrays, NULL, s)) return NULL;
  LayerClaims *claims = NULL;
  verified v;
  LayerEit eit = LAYER_EIT_NONE;
  char *error = NULL;
  LayerStatus status = layer_verifier_verify_n(
      (const LayerVerifier *)(intptr_t)handle, TEXT(s[0]), TEXT(s[1]), (int64_t)now,
      (int64_t)leeway_seconds, &claims, v.texts, v.lens, LAYER_CLAIM_TEXT_COUNT, v.times, &eit,
      &error);
  in_bytes_release_all(2, s);
  if (status != LAYER_OK) {
    throw_layer_error(env, status, eit, error);
    return NULL;
  }
  v.claims = claims;
  jbyteArray result = pack(env, pack_claims, &v);
  layer_claims_free(claims);
  return result;
}

static void native_verifier_free(JNIEnv *env, jclass cls, jlong handle) {
  (void)env;
  (void)cls;
  layer_verifier_free((LayerVerifier *)(intptr_t)handle);
}

/* ------------------------------------------------------------------------------------------ */
/* Keys                                                                                       */

typedef struct {
  const char *private_pem;
  const char *public_pem;
} key_pair;

static void pack_key_pair(packer *p, const void *what) {
  const key_pair *k = what;
  pack_text(p, k->private_pem, strlen(k->private_pem));
  pack_text(p, k->public_pem, strlen(k->public_pem));
}

/* layer_generate_key_pair: the private PEM, then the public PEM, packed. */
static jbyteArray native_generate_key_pair(JNIEnv *env, jclass cls, jint bits) {
  (void)cls;
  char *private_pem = NULL, *public_pem = NULL, *error = NULL;
  LayerStatus status = layer_generate_key_pair((uint32_t)bits, &private_pem, &public_pem, &error);
  if (status != LAYER_OK) {
    throw_layer_error(env, status, LAYER_EIT_NONE, error);
    return NULL;
  }
  key_pair k = {private_pem, public_pem};
  jbyteArray result = pack(env, pack_key_pair, &k);
  layer_string_free(private_pem); /* zeroizes it */
  layer_string_free(public_pem);
  return result;
}

/* ------------------------------------------------------------------------------------------ */
/* The endpoint: LayerExchange                                                                */

#define EXCHANGE(handle) ((LayerExchange *)(intptr_t)(handle))

static jlong native_exchange_new(JNIEnv *env, jclass cls, jbyteArray method, jbyteArray target,
                                 jbyteArray content_type, jbyteArray content_length) {
  (void)cls;
  const jbyteArray arrays[4] = {method, target, content_type, content_length};
  in_bytes s[4];
  if (!in_bytes_get_all(env, 4, arrays, NULL, s)) return 0;
  LayerExchange *exchange = NULL;
  char *error = NULL;
  LayerStatus status = layer_exchange_new(TEXT(s[0]), TEXT(s[1]), TEXT(s[2]), TEXT(s[3]),
                                          &exchange, &error);
  in_bytes_release_all(4, s);
  if (status != LAYER_OK) {
    throw_layer_error(env, status, LAYER_EIT_NONE, error);
    return 0;
  }
  return (jlong)(intptr_t)exchange;
}

static jint native_exchange_step(JNIEnv *env, jclass cls, jlong handle) {
  (void)env;
  (void)cls;
  return (jint)layer_exchange_step(EXCHANGE(handle));
}

/* layer_exchange_put_body with the first `length` bytes of `body`; returns the new step. */
static jint native_exchange_put_body(JNIEnv *env, jclass cls, jlong handle, jbyteArray body,
                                     jint length) {
  (void)cls;
  in_bytes s;
  if (!in_bytes_get_n(env, body, length, 0, &s)) return 0;
  char *error = NULL;
  LayerStatus status = layer_exchange_put_body(EXCHANGE(handle), s.ptr, s.size, &error);
  in_bytes_release(&s);
  if (status != LAYER_OK) {
    throw_layer_error(env, status, LAYER_EIT_NONE, error);
    return 0;
  }
  return (jint)layer_exchange_step(EXCHANGE(handle));
}

typedef struct {
  const char *values[LAYER_FIELD_COUNT];
  size_t lens[LAYER_FIELD_COUNT];
} fields;

static void pack_fields(packer *p, const void *what) {
  const fields *f = what;
  for (int i = 0; i < LAYER_FIELD_COUNT; i++) pack_text(p, f->values[i], f->lens[i]);
}

/* layer_exchange_fields: the six fields by LayerField, packed. */
static jbyteArray native_exchange_fields(JNIEnv *env, jclass cls, jlong handle) {
  (void)cls;
  fields f;
  layer_exchange_fields(EXCHANGE(handle), f.values, f.lens, LAYER_FIELD_COUNT);
  return pack(env, pack_fields, &f);
}

static jbyteArray native_exchange_demo_user_id(JNIEnv *env, jclass cls, jlong handle) {
  (void)cls;
  const char *user_id = NULL;
  size_t len = 0;
  char *error = NULL;
  LayerStatus status = layer_exchange_demo_user_id(EXCHANGE(handle), &user_id, &len, &error);
  if (status != LAYER_OK) {
    throw_layer_error(env, status, LAYER_EIT_NONE, error);
    return NULL;
  }
  return new_bytes(env, user_id, len);
}

static void native_exchange_finish(JNIEnv *env, jclass cls, jlong handle, jlong signer,
                                   jint outcome, jbyteArray user_id) {
  (void)cls;
  in_bytes s;
  if (!in_bytes_get(env, user_id, 0, &s)) return;
  char *error = NULL;
  LayerStatus status =
      layer_exchange_finish(EXCHANGE(handle), (const LayerSigner *)(intptr_t)signer,
                            (LayerAuthOutcome)outcome, TEXT(s), &error);
  in_bytes_release(&s);
  if (status != LAYER_OK) throw_layer_error(env, status, LAYER_EIT_NONE, error);
}

static void native_exchange_fail(JNIEnv *env, jclass cls, jlong handle, jbyteArray log_message) {
  (void)cls;
  in_bytes s;
  if (!in_bytes_get(env, log_message, 0, &s)) return;
  char *error = NULL;
  LayerStatus status = layer_exchange_fail(EXCHANGE(handle), TEXT(s), &error);
  in_bytes_release(&s);
  if (status != LAYER_OK) throw_layer_error(env, status, LAYER_EIT_NONE, error);
}

/* The status, whether to close, the body, the log message (or absent), the header count,
 * then each header's name and value. */
static void pack_response(packer *p, const void *what) {
  const LayerExchange *exchange = what;
  const char *names[LAYER_EXCHANGE_MAX_HEADERS], *values[LAYER_EXCHANGE_MAX_HEADERS];
  size_t name_lens[LAYER_EXCHANGE_MAX_HEADERS], value_lens[LAYER_EXCHANGE_MAX_HEADERS];
  size_t count = layer_exchange_headers(exchange, names, name_lens, values, value_lens,
                                        LAYER_EXCHANGE_MAX_HEADERS);
  if (count > LAYER_EXCHANGE_MAX_HEADERS) count = LAYER_EXCHANGE_MAX_HEADERS;
  size_t body_len = 0, log_len = 0;
  const uint8_t *body = layer_exchange_body(exchange, &body_len);
  const char *log = layer_exchange_log_message(exchange, &log_len);
  pack_int(p, (int64_t)layer_exchange_status(exchange));
  pack_int(p, layer_exchange_closes_connection(exchange) ? 1 : 0);
  pack_text(p, body != NULL ? (const void *)body : "", body_len);
  pack_text(p, log, log_len);
  pack_int(p, (int64_t)count);
  for (size_t i = 0; i < count; i++) {
    pack_text(p, names[i], name_lens[i]);
    pack_text(p, values[i], value_lens[i]);
  }
}

/* The answer (step RESPOND), packed. */
static jbyteArray native_exchange_response(JNIEnv *env, jclass cls, jlong handle) {
  (void)cls;
  if (layer_exchange_step(EXCHANGE(handle)) != LAYER_EXCHANGE_RESPOND) {
    throw_glue_error(env, "layer-identity JNI: the exchange has no answer yet");
    return NULL;
  }
  return pack(env, pack_response, EXCHANGE(handle));
}

static void native_exchange_free(JNIEnv *env, jclass cls, jlong handle) {
  (void)env;
  (void)cls;
  layer_exchange_free(EXCHANGE(handle));
}

/* ------------------------------------------------------------------------------------------ */
/* Registration                                                                               */

#define METHOD(name, signature, function) {(char *)name, (char *)signature, (void *)function}

static const JNINativeMethod methods[] = {
    METHOD("abiVersion", "()I", native_abi_version),
    METHOD("glueVersion", "()I", native_glue_version),
    METHOD("version", "()[B", native_version),
    METHOD("statusName", "(I)[B", native_status_name),
    METHOD("eitName", "(I)[B", native_eit_name),
    METHOD("tokenTypeFlags", "([B)I", native_token_type_flags),
    METHOD("signerNew", "([B[B[B[BI)J", native_signer_new),
    METHOD("signerFromEnv", "(I)J", native_signer_from_env),
    METHOD("signerSign", "(J[B[BJJ[[B[[B)[B", native_signer_sign),
    METHOD("signerPublicKeyPem", "(J)[B", native_signer_public_key_pem),
    METHOD("signerFree", "(J)V", native_signer_free),
    METHOD("signToken", "([B[B[B[B[BJJ)[B", native_sign_token),
    METHOD("keyCacheClear", "()V", native_key_cache_clear),
    METHOD("verifierNew", "([B[B[BI)J", native_verifier_new),
    METHOD("verifierVerify", "(J[B[BJJ)[B", native_verifier_verify),
    METHOD("verifierFree", "(J)V", native_verifier_free),
    METHOD("generateKeyPair", "(I)[B", native_generate_key_pair),
    METHOD("exchangeNew", "([B[B[B[B)J", native_exchange_new),
    METHOD("exchangeStep", "(J)I", native_exchange_step),
    METHOD("exchangePutBody", "(J[BI)I", native_exchange_put_body),
    METHOD("exchangeFields", "(J)[B", native_exchange_fields),
    METHOD("exchangeDemoUserId", "(J)[B", native_exchange_demo_user_id),
    METHOD("exchangeFinish", "(JJI[B)V", native_exchange_finish),
    METHOD("exchangeFail", "(J[B)V", native_exchange_fail),
    METHOD("exchangeResponse", "(J)[B", native_exchange_response),
    METHOD("exchangeFree", "(J)V", native_exchange_free),
};

/* A global reference to a class, or NULL with an exception pending. */
static jclass global_class(JNIEnv *env, const char *name) {
  jclass local = (*env)->FindClass(env, name);
  if (local == NULL) return NULL;
  jclass global = (jclass)(*env)->NewGlobalRef(env, local);
  (*env)->DeleteLocalRef(env, local);
  if (global == NULL) throw_out_of_memory(env);
  return global;
}

/*
 * Binds the native methods and caches what errors need. On failure it returns JNI_ERR with
 * the exception (ClassNotFoundException, NoSuchMethodError, ...) pending, which the JVM
 * rethrows from System.load: the Java side reports it with the path it tried.
 */
JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
  (void)reserved;
  JNIEnv *env = NULL;
  if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) return JNI_ERR;

  g_exception_class = global_class(env, EXCEPTION_CLASS);
  if (g_exception_class == NULL) return JNI_ERR;
  g_exception_init = (*env)->GetMethodID(env, g_exception_class, "<init>", "(I[BI[B)V");
  if (g_exception_init == NULL) return JNI_ERR;

  jclass native = (*env)->FindClass(env, NATIVE_CLASS);
  if (native == NULL) return JNI_ERR;
  jint registered = (*env)->RegisterNatives(env, native, methods,
                                            (jint)(sizeof methods / sizeof methods[0]));
  (*env)->DeleteLocalRef(env, native);
  if (registered != JNI_OK) return JNI_ERR;
  return JNI_VERSION_1_8;
}

JNIEXPORT void JNICALL JNI_OnUnload(JavaVM *vm, void *reserved) {
  (void)reserved;
  JNIEnv *env = NULL;
  if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) return;
  if (g_exception_class != NULL) (*env)->DeleteGlobalRef(env, g_exception_class);
  g_exception_class = NULL;
}
