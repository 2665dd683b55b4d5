package com.layer.identity;

import java.util.Arrays;
import java.util.Objects;

/**
 * Verifies identity tokens with the rules of Layer's identity token validation tool (RFC 8725:
 * RS256 only, an exact header, the configured key ID and provider ID, a valid signature before
 * any claim is trusted, expiry, issue time and the nonce).
 *
 * <pre>{@code
 * try (LayerVerifier verifier = LayerVerifier.builder()
 *     .publicKeyPem(publicPem).providerId(providerId).keyId(keyId).build()) {
 *   LayerClaims claims = verifier.verify(token, VerifyOptions.withNonce(nonce));
 *   System.out.println(claims.userId());
 * } catch (LayerIdentityException e) {
 *   System.out.println(e.eitCode() + ": " + e.getMessage()); // eit_expired: ...
 * }
 * }</pre>
 *
 * Immutable and thread-safe; {@link #close()} (or the garbage collector) releases it, after
 * which it throws {@link IllegalStateException}.
 */
public final class LayerVerifier implements AutoCloseable {
  private final NativeHandle handle;

  private LayerVerifier(long address) {
    this.handle = new NativeHandle(this, "LayerVerifier", address, Native::verifierFree);
  }

  private static LayerVerifier own(long address) {
    try {
      return new LayerVerifier(address);
    } catch (RuntimeException | Error e) {
      Native.verifierFree(address);
      throw e;
    }
  }

  /** {@return a builder} */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@return {@link #verify(String, VerifyOptions)} with {@link VerifyOptions#defaults()}}
   *
   * @param token the token
   */
  public LayerClaims verify(String token) {
    return verify(token, VerifyOptions.defaults());
  }

  /**
   * Verifies {@code token} and returns its claims.
   *
   * @param token the token
   * @param options the nonce, time and leeway to check with
   * @return the token's claims
   * @throws NullPointerException when an argument is null
   * @throws LayerIdentityException when the token is rejected: {@link
   *     LayerIdentityException#eitCode()} is Layer's identifier for the rule it broke
   * @throws IllegalStateException when the verifier is closed
   */
  public LayerClaims verify(String token, VerifyOptions options) {
    byte[] tokenBytes = Utf8.encode(Objects.requireNonNull(token, "token"));
    Objects.requireNonNull(options, "options");
    byte[] nonce = Utf8.encode(options.nonce().orElse(null));
    byte[] claims;
    long address = handle.acquire();
    try {
      claims =
          Native.verifierVerify(
              address, tokenBytes, nonce, options.nowEpochSecond(), options.leewaySeconds());
    } finally {
      handle.release();
    }
    return LayerClaims.fromNative(new Packed(claims));
  }

  /** {@return whether {@link #close()} was called} */
  public boolean isClosed() {
    return handle.isClosed();
  }

  /** Releases the native verifier. Idempotent and safe from any thread. */
  @Override
  public void close() {
    handle.close();
  }

  @Override
  public String toString() {
    return "LayerVerifier[" + (isClosed() ? "closed" : "open") + "]";
  }

  /** Configures a {@link LayerVerifier}; the key, provider ID and key ID are required. */
  public static final class Builder {
    private byte[] key;
    private String providerId;
    private String keyId;
    private boolean allowLegacy1024BitKey;

    private Builder() {}

    /**
     * The RSA public key (SPKI {@code PUBLIC KEY} or PKCS#1 {@code RSA PUBLIC KEY}, PEM or
     * base64 DER), or an unencrypted private key to derive it from.
     *
     * @param keyPem the key's text
     * @return this builder
     */
    public Builder publicKeyPem(String keyPem) {
      return publicKey(Utf8.encode(Objects.requireNonNull(keyPem, "publicKeyPem")));
    }

    /**
     * The key as bytes: PEM, or DER as it is.
     *
     * @param key the key's bytes
     * @return this builder
     */
    public Builder publicKey(byte[] key) {
      this.key = Objects.requireNonNull(key, "publicKey").clone();
      return this;
    }

    /**
     * The provider ID tokens must carry in {@code iss}.
     *
     * @param providerId the provider ID
     * @return this builder
     */
    public Builder providerId(String providerId) {
      this.providerId = Objects.requireNonNull(providerId, "providerId");
      return this;
    }

    /**
     * The key ID tokens must carry in {@code kid}.
     *
     * @param keyId the key ID
     * @return this builder
     */
    public Builder keyId(String keyId) {
      this.keyId = Objects.requireNonNull(keyId, "keyId");
      return this;
    }

    /**
     * Admits a legacy 1024-bit key.
     *
     * @return this builder
     */
    public Builder allowLegacy1024BitKey() {
      this.allowLegacy1024BitKey = true;
      return this;
    }

    /**
     * Loads the key.
     *
     * @return the verifier, which the caller closes
     * @throws NullPointerException when the key, provider ID or key ID is not set
     * @throws LayerIdentityException when the library refuses one of them
     */
    public LayerVerifier build() {
      Objects.requireNonNull(key, "publicKey");
      byte[] provider = Utf8.encode(Objects.requireNonNull(providerId, "providerId"));
      byte[] keyIdBytes = Utf8.encode(Objects.requireNonNull(keyId, "keyId"));
      NativeLibrary.ensureLoaded();
      try {
        return own(
            Native.verifierNew(
                key, provider, keyIdBytes, allowLegacy1024BitKey ? Flags.ALLOW_1024_BIT_KEY : 0));
      } finally {
        Arrays.fill(key, (byte) 0); // it may be a private key
      }
    }
  }
}
