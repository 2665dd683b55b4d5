package com.layer.identity;

/**
 * The native methods of {@code liblayer_identity_jni.so}, bound by its {@code JNI_OnLoad}
 * (RegisterNatives): one per C ABI function the binding needs, on the ABI 3 pointer-and-length
 * functions, with texts as UTF-8 byte arrays that {@link Utf8} encoded (never checked here: the
 * library refuses what is not UTF-8 or holds U+0000, naming the argument). Callers have checked
 * that required references are not null and hold a {@link NativeHandle} reference for every
 * handle they pass. Failures are thrown as {@link LayerIdentityException} by the glue itself.
 * Results holding several texts come back packed in one array (read by {@link Packed}).
 */
final class Native {
  /** The glue contract these declarations match ({@code LAYER_JNI_GLUE_VERSION}). */
  static final int GLUE_VERSION = 2;

  /** The C ABI this binding is written against ({@code LAYER_ABI_VERSION}). */
  static final int ABI_VERSION = 3;

  private Native() {}

  static native int abiVersion();

  static native int glueVersion();

  static native byte[] version();

  static native byte[] statusName(int status);

  static native byte[] eitName(int eit);

  /** {@code layer_token_type_flags}. */
  static native int tokenTypeFlags(byte[] tokenType);

  /** {@code layer_signer_new_n}; {@code passphrase} may be null. */
  static native long signerNew(
      byte[] privateKey, byte[] passphrase, byte[] providerId, byte[] keyId, int flags);

  static native long signerFromEnv(int flags);

  /**
   * {@code layer_signer_sign_n}: {@code attributes} is null or four entries by {@code
   * LayerAttribute} (null when absent); {@code metadata} is null or the names, then the values.
   */
  static native byte[] signerSign(
      long signer,
      byte[] userId,
      byte[] nonce,
      long issuedAt,
      long ttlSeconds,
      byte[][] attributes,
      byte[][] metadata);

  static native byte[] signerPublicKeyPem(long signer);

  static native void signerFree(long signer);

  /** {@code layer_sign_token_n}. */
  static native byte[] signToken(
      byte[] privateKey,
      byte[] providerId,
      byte[] keyId,
      byte[] userId,
      byte[] nonce,
      long issuedAt,
      long ttlSeconds);

  static native void keyCacheClear();

  /** {@code layer_verifier_new_n}. */
  static native long verifierNew(byte[] key, byte[] providerId, byte[] keyId, int flags);

  /**
   * {@code layer_verifier_verify_n}, every claim in one call, packed: {@code iat} and {@code
   * exp}, the texts by {@code LayerClaimText}, then the metadata names and values.
   */
  static native byte[] verifierVerify(
      long verifier, byte[] token, byte[] nonce, long now, long leewaySeconds);

  static native void verifierFree(long verifier);

  /** {@code layer_generate_key_pair}: the private PEM, then the public PEM, packed. */
  static native byte[] generateKeyPair(int bits);

  /** {@code layer_exchange_new}; the content type and length may be null (no such header). */
  static native long exchangeNew(
      byte[] method, byte[] target, byte[] contentType, byte[] contentLength);

  static native int exchangeStep(long exchange);

  /** {@code layer_exchange_put_body} with the first {@code length} bytes; the new step. */
  static native int exchangePutBody(long exchange, byte[] body, int length);

  /** {@code layer_exchange_fields}: the six fields by {@code LayerField}, packed. */
  static native byte[] exchangeFields(long exchange);

  /** {@code layer_exchange_demo_user_id}; a refusal is thrown (and remembered). */
  static native byte[] exchangeDemoUserId(long exchange);

  /** {@code layer_exchange_finish}; {@code signer} may be 0 unless the outcome is a user. */
  static native void exchangeFinish(long exchange, long signer, int outcome, byte[] userId);

  static native void exchangeFail(long exchange, byte[] logMessage);

  /**
   * The answer, packed: the status, whether the connection closes, the body, the log message,
   * then the headers' names and values.
   */
  static native byte[] exchangeResponse(long exchange);

  static native void exchangeFree(long exchange);
}
