package com.layer.identity;

/**
 * The library's {@code LayerStatus}, value for value: {@code LAYER_OK} is {@link #OK} and each
 * {@code LAYER_ERR_X} is {@code X}. A test compares this enum with the header, so a status the
 * library adds cannot go unmapped.
 */
public enum LayerStatus {
  /** Success. */
  OK(0),
  /** A required argument was missing (the binding reports nulls before the call). */
  NULL_ARGUMENT(1),
  /** A string was not valid UTF-8 (in Java: it held a lone surrogate). */
  INVALID_UTF8(2),
  /**
   * An argument was not acceptable: an ID, an empty user ID or nonce, a time in milliseconds,
   * metadata, a key size, a missing or malformed {@code LAYER_*} variable, or a string holding
   * U+0000.
   */
  INVALID_ARGUMENT(3),
  /** The key could not be read, is not RSA, or is the wrong kind (public for a signer). */
  INVALID_KEY(4),
  /** The RSA key is smaller than allowed (2048 bits, or 1024 with the legacy option). */
  WEAK_KEY(5),
  /** The key is encrypted and the passphrase is missing or wrong. */
  WRONG_PASSPHRASE(6),
  /** The token is not a well-formed Layer identity token. */
  MALFORMED_TOKEN(7),
  /** The token's signature does not verify with the configured key. */
  BAD_SIGNATURE(8),
  /** The token has expired. */
  EXPIRED(9),
  /** The token is issued in the future. */
  NOT_YET_VALID(10),
  /** The token's kid, iss or nce differs from the expected value. */
  CLAIM_MISMATCH(11),
  /** OpenSSL failed in an operation that should not fail. */
  CRYPTO(12),
  /** A bug in the library or this binding; the message says where. */
  INTERNAL(13);

  private static final LayerStatus[] BY_VALUE = values();

  private final int value;

  LayerStatus(int value) {
    this.value = value;
  }

  /** {@return the numeric value, as in {@code include/layer_identity.h}} */
  public int value() {
    return value;
  }

  /** {@return the C name, e.g. {@code "LAYER_ERR_EXPIRED"}} */
  public String cName() {
    return this == OK ? "LAYER_OK" : "LAYER_ERR_" + name();
  }

  /** The status with this value, or {@code null} for a value this binding does not define. */
  static LayerStatus ofValue(int value) {
    return value >= 0 && value < BY_VALUE.length ? BY_VALUE[value] : null;
  }
}
