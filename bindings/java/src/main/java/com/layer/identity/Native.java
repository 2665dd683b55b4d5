package com.layer.identity;

/**
 * The native methods of {@code liblayer_identity_jni.so}, bound by its {@code JNI_OnLoad}
 * (RegisterNatives): one per C ABI function the binding needs, with strings as UTF-8 byte
 * arrays. Callers have checked every argument (nulls, U+0000, lone surrogates, ranges) and hold
 * a {@link NativeHandle} reference for every handle they pass. Failures are thrown as {@link
 * LayerIdentityException} by the glue itself.
 */
final class Native {
  /** The glue contract these declarations match ({@code LAYER_JNI_GLUE_VERSION}). */
  static final int GLUE_VERSION = 1;

  /** The C ABI this binding is written against ({@code LAYER_ABI_VERSION}). */
  static final int ABI_VERSION = 2;

  private Native() {}

  static native int abiVersion();

  static native int glueVersion();

  static native byte[] version();

  static native byte[] statusName(int status);

  static native byte[] eitName(int eit);

  static native long signerNew(
      byte[] privateKeyPem, byte[] passphrase, byte[] providerId, byte[] keyId, int flags);

  static native long signerFromEnv(int flags);

  /**
   * {@code layer_signer_sign_with}; {@code metadata} packs {@code metadataCount} names and
   * values as {@code name NUL value NUL ...} (or is null when there are none).
   */
  static native byte[] signerSign(
      long signer,
      byte[] userId,
      byte[] nonce,
      long issuedAt,
      long ttlSeconds,
      byte[] firstName,
      byte[] lastName,
      byte[] displayName,
      byte[] avatarUrl,
      byte[] metadata,
      int metadataCount);

  static native byte[] signerPublicKeyPem(long signer);

  static native void signerFree(long signer);

  static native byte[] signToken(
      byte[] privateKeyPem,
      byte[] providerId,
      byte[] keyId,
      byte[] userId,
      byte[] nonce,
      long issuedAt,
      long ttlSeconds);

  static native void keyCacheClear();

  static native long verifierNew(byte[] keyPem, byte[] providerId, byte[] keyId, int flags);

  /**
   * {@code layer_verifier_verify_claims} and the {@code layer_claims_*} getters: the string
   * claims in {@link LayerClaims}' field order, then metadata names and values; {@code
   * times[0]} and {@code times[1]} receive {@code iat} and {@code exp}.
   */
  static native byte[][] verifierVerify(
      long verifier, byte[] token, byte[] nonce, long now, long leewaySeconds, long[] times);

  static native void verifierFree(long verifier);

  /** {@code layer_generate_key_pair}: the private PEM, then the public PEM. */
  static native byte[][] generateKeyPair(int bits);
}
