/*
 * layer_identity_jni.c: the JNI glue of the Java binding, and nothing more.
 *
 * Each native method of com.layer.identity.Native converts its arguments, makes one call into
 * the C ABI (include/layer_identity.h) and converts the result back. There is no token logic
 * here: the Java side checks argument types, the library checks everything else.
 *
 * Conventions:
 * - Strings cross as byte[] holding UTF-8 (never jstring: JNI's own UTF functions speak
 *   modified UTF-8, which encodes U+0000 and characters outside the BMP differently). The
 *   Java side has already refused U+0000 and lone surrogates, so every byte[] is valid UTF-8
 *   without a NUL; a null byte[] is passed on as NULL (the library answers
 *   LAYER_ERR_NULL_ARGUMENT where a value is required).
 * - Input bytes are copied (GetByteArrayRegion) into a NUL-terminated buffer, on the stack when
 *   small: no array is pinned while RSA runs, so the garbage collector is never held up.
 *   Buffers that held a key or a passphrase are wiped before they are released.
 * - Every string the library returns is copied into a new byte[] and freed with
 *   layer_string_free (which zeroizes it) on every path, success or not.
 * - A failure becomes a LayerIdentityException thrown here; after any JNI call that may leave
 *   an exception pending (allocation, Throw), the function only releases and returns.
 * - Handles are jlong values owned by the Java objects, which guarantee (by a reference count)
 *   that no handle is freed while a call on it is running.
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
#define LAYER_JNI_GLUE_VERSION 1

#define NATIVE_CLASS "com/layer/identity/Native"
#define EXCEPTION_CLASS "com/layer/identity/LayerIdentityException"

static jclass g_exception_class;   /* global ref: LayerIdentityException */
static jmethodID g_exception_init; /* LayerIdentityException(int, byte[], int, byte[]) */
static jclass g_byte_array_class;  /* global ref: byte[] */

/* ------------------------------------------------------------------------------------------ */
/* Strings in                                                                                 */

/* A NUL-terminated copy of a Java byte[]; `ptr` is NULL for a null array. */
typedef struct {
  char *ptr;
  size_t size;
  int secret; /* wipe before release */
  char small[256];
} in_string;

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

/* Copies `array` into `s`. Returns 0 with an OutOfMemoryError pending when it cannot. */
static int in_string_get(JNIEnv *env, jbyteArray array, int secret, in_string *s) {
  s->ptr = NULL;
  s->size = 0;
  s->secret = secret;
  if (array == NULL) return 1;
  jsize n = (*env)->GetArrayLength(env, array);
  char *buf = (size_t)n < sizeof s->small ? s->small : malloc((size_t)n + 1);
  if (buf == NULL) {
    throw_out_of_memory(env);
    return 0;
  }
  (*env)->GetByteArrayRegion(env, array, 0, n, (jbyte *)buf);
  buf[n] = '\0';
  s->ptr = buf;
  s->size = (size_t)n;
  return 1;
}

static void in_string_release(in_string *s) {
  if (s->ptr == NULL) return;
  if (s->secret) wipe(s->ptr, s->size);
  if (s->ptr != s->small) free(s->ptr);
  s->ptr = NULL;
}

/* Gets `count` strings; on failure releases those already got and returns 0. */
static int in_strings_get(JNIEnv *env, int count, const jbyteArray *arrays, const int *secret,
                          in_string *out) {
  for (int i = 0; i < count; i++) {
    if (!in_string_get(env, arrays[i], secret != NULL && secret[i], &out[i])) {
      while (i-- > 0) in_string_release(&out[i]);
      return 0;
    }
  }
  return 1;
}

static void in_strings_release(int count, in_string *strings) {
  for (int i = 0; i < count; i++) in_string_release(&strings[i]);
}

/* ------------------------------------------------------------------------------------------ */
/* Strings out and errors                                                                     */

/* A new byte[] holding `len` bytes of `s`, or NULL with an exception pending. */
static jbyteArray new_bytes(JNIEnv *env, const char *s, size_t len) {
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

/* Stores the library string `s` (freed here) at `index` of `array`; 0 with an exception. */
static int set_library_string(JNIEnv *env, jobjectArray array, jsize index, char *s) {
  jbyteArray bytes = take_library_string(env, s);
  if (bytes == NULL) return 0;
  (*env)->SetObjectArrayElement(env, array, index, bytes);
  (*env)->DeleteLocalRef(env, bytes);
  return 1;
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

/* ------------------------------------------------------------------------------------------ */
/* Signer                                                                                     */

static jlong native_signer_new(JNIEnv *env, jclass cls, jbyteArray key, jbyteArray passphrase,
                               jbyteArray provider_id, jbyteArray key_id, jint flags) {
  (void)cls;
  const jbyteArray arrays[4] = {key, passphrase, provider_id, key_id};
  static const int secret[4] = {1, 1, 0, 0};
  in_string s[4];
  if (!in_strings_get(env, 4, arrays, secret, s)) return 0;
  LayerSigner *signer = NULL;
  char *error = NULL;
  LayerStatus status =
      layer_signer_new(s[0].ptr, s[1].ptr, s[2].ptr, s[3].ptr, (uint32_t)flags, &signer, &error);
  in_strings_release(4, s);
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
 * Metadata arrive packed in one byte[]: name, NUL, value, NUL, for `count` entries (the Java
 * side refuses U+0000 in names and values, so NUL separates them unambiguously). Fills
 * `pointers` (2 * count) with the names first, then the values, as layer_signer_sign_with
 * takes them; 0 when the packing does not hold exactly that many strings.
 */
static int unpack_metadata(const in_string *packed, size_t count, const char **pointers) {
  const char *p = packed->ptr, *end = packed->ptr + packed->size;
  for (size_t i = 0; i < 2 * count; i++) {
    const char *nul = memchr(p, '\0', (size_t)(end - p));
    if (nul == NULL) return 0;
    pointers[i % 2 == 0 ? i / 2 : count + i / 2] = p;
    p = nul + 1;
  }
  return p == end;
}

static jbyteArray native_signer_sign(JNIEnv *env, jclass cls, jlong handle, jbyteArray user_id,
                                     jbyteArray nonce, jlong issued_at, jlong ttl_seconds,
                                     jbyteArray first_name, jbyteArray last_name,
                                     jbyteArray display_name, jbyteArray avatar_url,
                                     jbyteArray metadata, jint metadata_count) {
  (void)cls;
  const jbyteArray arrays[7] = {user_id,      nonce,      first_name, last_name,
                                display_name, avatar_url, metadata};
  in_string s[7];
  if (!in_strings_get(env, 7, arrays, NULL, s)) return NULL;

  size_t count = metadata_count > 0 && s[6].ptr != NULL ? (size_t)metadata_count : 0;
  const char *small[16], **pointers = small;
  if (2 * count > sizeof small / sizeof small[0]) {
    pointers = malloc(2 * count * sizeof *pointers);
    if (pointers == NULL) {
      in_strings_release(7, s);
      throw_out_of_memory(env);
      return NULL;
    }
  }
  jbyteArray result = NULL;
  if (count > 0 && !unpack_metadata(&s[6], count, pointers)) {
    throw_glue_error(env, "layer-identity JNI: metadata packing does not match its count");
  } else {
    char *token = NULL, *error = NULL;
    LayerStatus status = layer_signer_sign_with(
        (const LayerSigner *)(intptr_t)handle, s[0].ptr, s[1].ptr, (int64_t)issued_at,
        (uint32_t)ttl_seconds, s[2].ptr, s[3].ptr, s[4].ptr, s[5].ptr,
        count > 0 ? pointers : NULL, count > 0 ? pointers + count : NULL, count, &token, &error);
    if (status == LAYER_OK) {
      result = take_library_string(env, token);
    } else {
      throw_layer_error(env, status, LAYER_EIT_NONE, error);
    }
  }
  if (pointers != small) free(pointers);
  in_strings_release(7, s);
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
  in_string s[5];
  if (!in_strings_get(env, 5, arrays, secret, s)) return NULL;
  char *token = NULL, *error = NULL;
  LayerStatus status = layer_sign_token(s[0].ptr, s[1].ptr, s[2].ptr, s[3].ptr, s[4].ptr,
                                        (int64_t)issued_at, (uint32_t)ttl_seconds, &token, &error);
  in_strings_release(5, s);
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
  in_string s[3];
  if (!in_strings_get(env, 3, arrays, secret, s)) return 0;
  LayerVerifier *verifier = NULL;
  char *error = NULL;
  LayerStatus status =
      layer_verifier_new(s[0].ptr, s[1].ptr, s[2].ptr, (uint32_t)flags, &verifier, &error);
  in_strings_release(3, s);
  if (status != LAYER_OK) {
    throw_layer_error(env, status, LAYER_EIT_NONE, error);
    return 0;
  }
  return (jlong)(intptr_t)verifier;
}

/* Indexes of the fixed fields in the array verifierVerify returns; metadata pairs follow. */
enum {
  CLAIM_PROVIDER_ID,
  CLAIM_USER_ID,
  CLAIM_NONCE,
  CLAIM_FIRST_NAME,
  CLAIM_LAST_NAME,
  CLAIM_DISPLAY_NAME,
  CLAIM_AVATAR_URL,
  CLAIM_JSON,
  CLAIM_FIXED_COUNT
};

typedef const char *(*claims_getter)(const LayerClaims *, size_t *);

/* Stores a claim (NULL: leaves the element null) at `index`; 0 with an exception pending. */
static int set_claim(JNIEnv *env, jobjectArray array, jsize index, const char *text, size_t len) {
  if (text == NULL) return 1;
  jbyteArray bytes = new_bytes(env, text, len);
  if (bytes == NULL) return 0;
  (*env)->SetObjectArrayElement(env, array, index, bytes);
  (*env)->DeleteLocalRef(env, bytes);
  return 1;
}

/*
 * The typed claims as byte[][]: the fixed fields by the indexes above, then name and value of
 * each metadata entry, in the library's (name) order; iat and exp go to times[0] and times[1].
 */
static jobjectArray claims_to_java(JNIEnv *env, const LayerClaims *claims, jlongArray times) {
  static const claims_getter getters[CLAIM_FIXED_COUNT] = {
      layer_claims_provider_id, layer_claims_user_id,      layer_claims_nonce,
      layer_claims_first_name,  layer_claims_last_name,    layer_claims_display_name,
      layer_claims_avatar_url,  layer_claims_json,
  };
  size_t count = layer_claims_metadata_count(claims);
  if (count > (size_t)(INT32_MAX - CLAIM_FIXED_COUNT) / 2) {
    throw_glue_error(env, "layer-identity JNI: too many metadata entries");
    return NULL;
  }
  jobjectArray array = (*env)->NewObjectArray(env, (jsize)(CLAIM_FIXED_COUNT + 2 * count),
                                              g_byte_array_class, NULL);
  if (array == NULL) return NULL;
  for (jsize i = 0; i < CLAIM_FIXED_COUNT; i++) {
    size_t len = 0;
    const char *text = getters[i](claims, &len);
    if (!set_claim(env, array, i, text, len)) goto fail;
  }
  for (size_t i = 0; i < count; i++) {
    size_t name_len = 0, value_len = 0;
    const char *name = layer_claims_metadata_name(claims, i, &name_len);
    const char *value = layer_claims_metadata_value(claims, i, &value_len);
    jsize at = (jsize)(CLAIM_FIXED_COUNT + 2 * i);
    if (!set_claim(env, array, at, name, name_len) ||
        !set_claim(env, array, at + 1, value, value_len))
      goto fail;
  }
  const jlong iat_exp[2] = {(jlong)layer_claims_issued_at(claims),
                            (jlong)layer_claims_expires_at(claims)};
  (*env)->SetLongArrayRegion(env, times, 0, 2, iat_exp);
  if ((*env)->ExceptionCheck(env)) goto fail;
  return array;
fail:
  (*env)->DeleteLocalRef(env, array);
  return NULL;
}

static jobjectArray native_verifier_verify(JNIEnv *env, jclass cls, jlong handle,
                                           jbyteArray token, jbyteArray nonce, jlong now,
                                           jlong leeway_seconds, jlongArray times) {
  (void)cls;
  const jbyteArray arrays[2] = {token, nonce};
  in_string s[2];
  if (!in_strings_get(env, 2, arrays, NULL, s)) return NULL;
  LayerClaims *claims = NULL;
  LayerEit eit = LAYER_EIT_NONE;
  char *error = NULL;
  LayerStatus status =
      layer_verifier_verify_claims((const LayerVerifier *)(intptr_t)handle, s[0].ptr, s[1].ptr,
                                   (int64_t)now, (uint32_t)leeway_seconds, &claims, &eit, &error);
  in_strings_release(2, s);
  if (status != LAYER_OK) {
    throw_layer_error(env, status, eit, error);
    return NULL;
  }
  jobjectArray result = claims_to_java(env, claims, times);
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

static jobjectArray native_generate_key_pair(JNIEnv *env, jclass cls, jint bits) {
  (void)cls;
  char *private_pem = NULL, *public_pem = NULL, *error = NULL;
  LayerStatus status = layer_generate_key_pair((uint32_t)bits, &private_pem, &public_pem, &error);
  if (status != LAYER_OK) {
    throw_layer_error(env, status, LAYER_EIT_NONE, error);
    return NULL;
  }
  jobjectArray pair = (*env)->NewObjectArray(env, 2, g_byte_array_class, NULL);
  if (pair == NULL) {
    layer_string_free(private_pem);
    layer_string_free(public_pem);
    return NULL;
  }
  /* set_library_string frees the string it is given, on success and on failure. */
  int ok = set_library_string(env, pair, 0, private_pem);
  if (ok) {
    ok = set_library_string(env, pair, 1, public_pem);
  } else {
    layer_string_free(public_pem);
  }
  if (!ok) {
    (*env)->DeleteLocalRef(env, pair);
    return NULL;
  }
  return pair;
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
    METHOD("signerNew", "([B[B[B[BI)J", native_signer_new),
    METHOD("signerFromEnv", "(I)J", native_signer_from_env),
    METHOD("signerSign", "(J[B[BJJ[B[B[B[B[BI)[B", native_signer_sign),
    METHOD("signerPublicKeyPem", "(J)[B", native_signer_public_key_pem),
    METHOD("signerFree", "(J)V", native_signer_free),
    METHOD("signToken", "([B[B[B[B[BJJ)[B", native_sign_token),
    METHOD("keyCacheClear", "()V", native_key_cache_clear),
    METHOD("verifierNew", "([B[B[BI)J", native_verifier_new),
    METHOD("verifierVerify", "(J[B[BJJ[J)[[B", native_verifier_verify),
    METHOD("verifierFree", "(J)V", native_verifier_free),
    METHOD("generateKeyPair", "(I)[[B", native_generate_key_pair),
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
  g_byte_array_class = global_class(env, "[B");
  if (g_byte_array_class == NULL) return JNI_ERR;

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
  if (g_byte_array_class != NULL) (*env)->DeleteGlobalRef(env, g_byte_array_class);
  g_exception_class = NULL;
  g_byte_array_class = NULL;
}
