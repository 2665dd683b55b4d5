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

  public static Builder builder() {
    return new Builder();
  }

  /** {@link #verify(String, VerifyOptions)} with {@link VerifyOptions#defaults()}. */
  public LayerClaims verify(String token) {
    return verify(token, VerifyOptions.defaults());
  }

  /**
   * Verifies {@code token} and returns its claims.
   *
   * @throws NullPointerException when an argument is null
   * @throws LayerIdentityException when the token is rejected: {@link
   *     LayerIdentityException#eitCode()} is Layer's identifier for the rule it broke
   * @throws IllegalStateException when the verifier is closed
   */
  public LayerClaims verify(String token, VerifyOptions options) {
    byte[] tokenBytes = Utf8.required(token, "token");
    Objects.requireNonNull(options, "options");
    byte[] nonce = Utf8.optional(options.nonce().orElse(null), "nonce");
    long[] times = new long[2];
    byte[][] fields;
    long address = handle.acquire();
    try {
      fields =
          Native.verifierVerify(
              address, tokenBytes, nonce, options.nowEpochSecond(), options.leewaySeconds(), times);
    } finally {
      handle.release();
    }
    return LayerClaims.fromNative(fields, times);
  }

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
    private String keyPem;
    private String providerId;
    private String keyId;
    private boolean allowLegacy1024BitKey;

    private Builder() {}

    /**
     * The RSA public key (SPKI {@code PUBLIC KEY} or PKCS#1 {@code RSA PUBLIC KEY}, PEM or
     * base64 DER), or an unencrypted private key to derive it from.
     */
    public Builder publicKeyPem(String keyPem) {
      this.keyPem = Objects.requireNonNull(keyPem, "publicKeyPem");
      return this;
    }

    /** The provider ID tokens must carry in {@code iss}. */
    public Builder providerId(String providerId) {
      this.providerId = Objects.requireNonNull(providerId, "providerId");
      return this;
    }

    /** The key ID tokens must carry in {@code kid}. */
    public Builder keyId(String keyId) {
      this.keyId = Objects.requireNonNull(keyId, "keyId");
      return this;
    }

    /** Admits a legacy 1024-bit key. */
    public Builder allowLegacy1024BitKey() {
      this.allowLegacy1024BitKey = true;
      return this;
    }

    /**
     * @throws NullPointerException when the key, provider ID or key ID is not set
     * @throws LayerIdentityException when the library refuses one of them
     */
    public LayerVerifier build() {
      byte[] key = Utf8.required(keyPem, "publicKeyPem");
      try {
        byte[] provider = Utf8.required(providerId, "providerId");
        byte[] keyIdBytes = Utf8.required(keyId, "keyId");
        NativeLibrary.ensureLoaded();
        return own(
            Native.verifierNew(
                key, provider, keyIdBytes, allowLegacy1024BitKey ? Flags.ALLOW_1024_BIT_KEY : 0));
      } finally {
        Arrays.fill(key, (byte) 0);
      }
    }
  }
}
