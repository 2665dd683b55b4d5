package com.layer.identity;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * Signs Layer identity tokens with one private key, bound to a provider ID and a key ID.
 *
 * <pre>{@code
 * // Once, at start-up: the signer holds the decoded key; share it across threads.
 * LayerSigner signer = LayerSigner.builder()
 *     .privateKeyPem(Files.readString(Path.of("layer-private.pem")))
 *     .providerId("layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f")
 *     .keyId("layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f")
 *     .build();
 * // Per request: the logged-in user and the nonce the client SDK sent.
 * String token = signer.sign(userId, nonce);
 * }</pre>
 *
 * Or configured by the {@code LAYER_*} environment variables: {@link #fromEnv}.
 *
 * <p>A signer is immutable and thread-safe: any number of threads may sign with it at once. It
 * holds native memory (the key, zeroized when freed): {@link #close()} it when done, or leave
 * that to the garbage collector ({@link java.lang.ref.Cleaner}) for a signer that lives as long
 * as the application. After {@code close()}, every method but {@code close()} throws {@link
 * IllegalStateException}; a close while other threads are signing frees the key when the last
 * of those calls returns.
 */
public final class LayerSigner implements AutoCloseable {
  private final NativeHandle handle;

  private LayerSigner(long address) {
    this.handle = new NativeHandle(this, "LayerSigner", address, Native::signerFree);
  }

  private static LayerSigner own(long address) {
    try {
      return new LayerSigner(address);
    } catch (RuntimeException | Error e) {
      Native.signerFree(address);
      throw e;
    }
  }

  /** {@return a builder, to configure a signer} */
  public static Builder builder() {
    return new Builder();
  }

  /** Options of {@link #fromEnv(EnvOption...)} that have no environment variable. */
  public enum EnvOption {
    /** Sign with {@code "typ":"JWT"} whatever {@code LAYER_TOKEN_TYPE} says. */
    TOKEN_TYPE_JWT,
    /** Admit the legacy 1024-bit keys of early Layer accounts. */
    ALLOW_LEGACY_1024_BIT_KEY
  }

  /**
   * A signer configured by the environment, read by the library (the same rules and messages
   * in every language): {@code LAYER_PROVIDER_ID}, {@code LAYER_KEY_ID}, the key as {@code
   * LAYER_PRIVATE_KEY} (the PEM text) or {@code LAYER_PRIVATE_KEY_PATH} (its file), {@code
   * LAYER_PRIVATE_KEY_PASSPHRASE} for an encrypted key, {@code LAYER_TOKEN_TYPE} ({@code JWS} or
   * {@code JWT}).
   *
   * @param options options that have no environment variable
   * @return the signer, which the caller closes
   * @throws LayerIdentityException naming the variable that is missing or malformed
   */
  public static LayerSigner fromEnv(EnvOption... options) {
    Objects.requireNonNull(options, "options");
    int flags = 0;
    for (EnvOption option : options) {
      switch (Objects.requireNonNull(option, "options")) {
        case TOKEN_TYPE_JWT:
          flags |= Flags.TYP_JWT;
          break;
        case ALLOW_LEGACY_1024_BIT_KEY:
          flags |= Flags.ALLOW_1024_BIT_KEY;
          break;
      }
    }
    NativeLibrary.ensureLoaded();
    return own(Native.signerFromEnv(flags));
  }

  /**
   * Signs a token for {@code userId} answering {@code nonce}: issued now, valid for 600
   * seconds, no identity attributes.
   *
   * @param userId the app's user ID of the logged-in user
   * @param nonce the nonce from the Layer client SDK
   * @return the token
   * @throws NullPointerException when an argument is null
   * @throws LayerIdentityException when the library refuses an argument (an empty user ID, say)
   * @throws IllegalStateException when the signer is closed
   */
  public String sign(String userId, String nonce) {
    byte[] user = Utf8.encode(Objects.requireNonNull(userId, "userId"));
    byte[] once = Utf8.encode(Objects.requireNonNull(nonce, "nonce"));
    long address = handle.acquire();
    try {
      return Utf8.decode(Native.signerSign(address, user, once, 0, 0, null, null));
    } finally {
      handle.release();
    }
  }

  /**
   * Signs the token {@code request} describes.
   *
   * @param request the user, the nonce and the token's options
   * @return the token
   * @throws NullPointerException when {@code request} is null
   * @throws LayerIdentityException when the library refuses a value (an issued-at time in
   *     milliseconds or before 1970, an empty metadata name, a token over 16 KiB ...)
   * @throws IllegalStateException when the signer is closed
   */
  public String sign(SignRequest request) {
    Objects.requireNonNull(request, "request");
    byte[] user = Utf8.encode(request.userId());
    byte[] once = Utf8.encode(request.nonce());
    byte[][] attributes =
        request.hasIdentityAttributes()
            ? new byte[][] {
              Utf8.encode(request.firstName().orElse(null)),
              Utf8.encode(request.lastName().orElse(null)),
              Utf8.encode(request.displayName().orElse(null)),
              Utf8.encode(request.avatarUrl().orElse(null))
            }
            : null;
    Map<String, String> metadata = request.metadata();
    byte[][] names = null;
    if (!metadata.isEmpty()) {
      // The names, then the values, in the same order: the library sorts them by name.
      names = new byte[metadata.size() * 2][];
      int i = 0;
      for (Map.Entry<String, String> entry : metadata.entrySet()) {
        names[i] = Utf8.encode(entry.getKey());
        names[metadata.size() + i] = Utf8.encode(entry.getValue());
        i++;
      }
    }
    long address = handle.acquire();
    try {
      return Utf8.decode(
          Native.signerSign(
              address,
              user,
              once,
              request.issuedAtEpochSecond(),
              request.ttlSeconds(),
              attributes,
              names));
    } finally {
      handle.release();
    }
  }

  /**
   * The signer's public key as SPKI PEM ({@code -----BEGIN PUBLIC KEY-----}): what to upload to
   * Layer for this key ID, or to give a {@link LayerVerifier}.
   *
   * @return the public key's PEM text
   * @throws IllegalStateException when the signer is closed
   */
  public String publicKeyPem() {
    long address = handle.acquire();
    try {
      return Utf8.decode(Native.signerPublicKeyPem(address));
    } finally {
      handle.release();
    }
  }

  /**
   * Signs one token with a key given as PEM text on each call, with the defaults (issued now,
   * 600 seconds, {@code "typ":"JWS"}). The library keeps the last few decoded keys in a small
   * process-wide cache, so a repeated key costs one signature; prefer a {@code LayerSigner} for
   * a long-lived key.
   *
   * @param privateKeyPem the RSA private key as PEM text
   * @param providerId the provider ID
   * @param keyId the key ID
   * @param userId the app's user ID
   * @param nonce the nonce from the Layer client SDK
   * @return the token
   * @throws NullPointerException when an argument is null
   * @throws LayerIdentityException when the library refuses an argument or the key
   */
  public static String signToken(
      String privateKeyPem, String providerId, String keyId, String userId, String nonce) {
    return signToken(privateKeyPem, providerId, keyId, SignRequest.of(userId, nonce));
  }

  /**
   * {@link #signToken(String, String, String, String, String)} with the issued-at time and
   * lifetime of {@code request}, which must have no attributes or metadata.
   *
   * @param privateKeyPem the RSA private key as PEM text
   * @param providerId the provider ID
   * @param keyId the key ID
   * @param request the user, the nonce, the issue time and lifetime
   * @return the token
   * @throws IllegalArgumentException when {@code request} has attributes or metadata (sign
   *     those with a {@code LayerSigner})
   */
  public static String signToken(
      String privateKeyPem, String providerId, String keyId, SignRequest request) {
    Objects.requireNonNull(request, "request");
    if (request.hasAttributes()) {
      throw new IllegalArgumentException(
          "signToken takes no identity attributes or metadata: sign with a LayerSigner");
    }
    byte[] key = Utf8.encode(Objects.requireNonNull(privateKeyPem, "privateKeyPem"));
    try {
      byte[] provider = Utf8.encode(Objects.requireNonNull(providerId, "providerId"));
      byte[] keyIdBytes = Utf8.encode(Objects.requireNonNull(keyId, "keyId"));
      byte[] user = Utf8.encode(request.userId());
      byte[] once = Utf8.encode(request.nonce());
      NativeLibrary.ensureLoaded();
      return Utf8.decode(
          Native.signToken(
              key,
              provider,
              keyIdBytes,
              user,
              once,
              request.issuedAtEpochSecond(),
              request.ttlSeconds()));
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /**
   * Empties the key cache of {@link #signToken} (after rotating a key out, say). Signers
   * already built are not affected.
   */
  public static void clearKeyCache() {
    NativeLibrary.ensureLoaded();
    Native.keyCacheClear();
  }

  /** The native handle, for {@link LayerExchange#finish}. */
  NativeHandle handle() {
    return handle;
  }

  /**
   * Whether {@link #close()} was called (or the signer was cleaned).
   *
   * @return true once closed
   */
  public boolean isClosed() {
    return handle.isClosed();
  }

  /**
   * Releases the native key (zeroized). Idempotent and safe from any thread; signatures in
   * progress in other threads finish first.
   */
  @Override
  public void close() {
    handle.close();
  }

  @Override
  public String toString() {
    return "LayerSigner[" + (isClosed() ? "closed" : "open") + "]";
  }

  /**
   * Configures a {@link LayerSigner}. The private key, provider ID and key ID are required. Not
   * thread-safe; each setter takes its value as it is, for the library to check when {@link
   * #build()} is called.
   */
  public static final class Builder {
    private byte[] privateKey;
    private byte[] passphrase;
    private String providerId;
    private String keyId;
    private int typeFlags;
    private boolean allowLegacy1024BitKey;

    private Builder() {}

    /**
     * The RSA private key as PEM text: PKCS#1 {@code RSA PRIVATE KEY}, PKCS#8 {@code PRIVATE
     * KEY}, encrypted PKCS#8 with a {@link #passphrase}, or base64 DER. CRLF, surrounding
     * whitespace, literal {@code \n} escapes and lost line breaks are fine.
     *
     * @param privateKeyPem the key's text
     * @return this builder
     */
    public Builder privateKeyPem(String privateKeyPem) {
      return privateKey(Utf8.encode(Objects.requireNonNull(privateKeyPem, "privateKeyPem")));
    }

    /**
     * The RSA private key as bytes: PEM, or DER as it is (what a key store or a secret manager
     * holds). The builder keeps its own copy, wiped once the signer is built.
     *
     * @param privateKey the key's bytes
     * @return this builder
     */
    public Builder privateKey(byte[] privateKey) {
      wipe(this.privateKey);
      this.privateKey = Objects.requireNonNull(privateKey, "privateKey").clone();
      return this;
    }

    /**
     * The passphrase of an encrypted key (ignored for an unencrypted one), as UTF-8.
     *
     * @param passphrase the passphrase
     * @return this builder
     */
    public Builder passphrase(String passphrase) {
      wipe(this.passphrase);
      this.passphrase = Utf8.encode(Objects.requireNonNull(passphrase, "passphrase"));
      return this;
    }

    /**
     * The passphrase of an encrypted key as bytes, exactly as the key was encrypted with them
     * (a passphrase in another encoding than UTF-8). The builder keeps its own copy, wiped once
     * the signer is built.
     *
     * @param passphrase the passphrase's bytes
     * @return this builder
     */
    public Builder passphrase(byte[] passphrase) {
      wipe(this.passphrase);
      this.passphrase = Objects.requireNonNull(passphrase, "passphrase").clone();
      return this;
    }

    /**
     * {@code layer:///providers/<uuid>} (or the bare UUID), from the Layer dashboard.
     *
     * @param providerId the provider ID
     * @return this builder
     */
    public Builder providerId(String providerId) {
      this.providerId = Objects.requireNonNull(providerId, "providerId");
      return this;
    }

    /**
     * {@code layer:///keys/<uuid>} (or the bare UUID) of the uploaded public key.
     *
     * @param keyId the key ID
     * @return this builder
     */
    public Builder keyId(String keyId) {
      this.keyId = Objects.requireNonNull(keyId, "keyId");
      return this;
    }

    /**
     * The header's {@code typ}; {@link TokenType#JWS} by default.
     *
     * @param tokenType the token type
     * @return this builder
     */
    public Builder tokenType(TokenType tokenType) {
      this.typeFlags = Objects.requireNonNull(tokenType, "tokenType").flags();
      return this;
    }

    /**
     * The header's {@code typ} by name, as configuration gives it: {@code JWS} or {@code JWT}
     * in any letter case (the library's rule, {@link TokenType#parse}).
     *
     * @param tokenType {@code "JWS"} or {@code "JWT"}
     * @return this builder
     * @throws LayerIdentityException {@link LayerStatus#INVALID_ARGUMENT} for any other name
     */
    public Builder tokenType(String tokenType) {
      return tokenType(TokenType.parse(tokenType));
    }

    /**
     * Admits the legacy 1024-bit keys that early Layer accounts were issued.
     *
     * @return this builder
     */
    public Builder allowLegacy1024BitKey() {
      this.allowLegacy1024BitKey = true;
      return this;
    }

    /**
     * Loads and checks the key, once for any number of tokens.
     *
     * @return the signer, which the caller closes
     * @throws NullPointerException when the key, provider ID or key ID is not set
     * @throws LayerIdentityException when the library refuses one of them (a malformed ID, a
     *     key that is not RSA, too small, encrypted with another passphrase ...)
     */
    public LayerSigner build() {
      Objects.requireNonNull(privateKey, "privateKey");
      byte[] provider = Utf8.encode(Objects.requireNonNull(providerId, "providerId"));
      byte[] keyIdBytes = Utf8.encode(Objects.requireNonNull(keyId, "keyId"));
      int flags = typeFlags | (allowLegacy1024BitKey ? Flags.ALLOW_1024_BIT_KEY : 0);
      NativeLibrary.ensureLoaded();
      try {
        return own(Native.signerNew(privateKey, passphrase, provider, keyIdBytes, flags));
      } finally {
        wipe(privateKey);
        wipe(passphrase);
        privateKey = null;
        passphrase = null;
      }
    }

    private static void wipe(byte[] secret) {
      if (secret != null) {
        Arrays.fill(secret, (byte) 0);
      }
    }
  }
}
