package com.layer.identity;

/** Key-pair generation. */
public final class LayerKeys {
  private LayerKeys() {}

  /** {@return a new 2048-bit RSA key pair (public exponent 65537)} */
  public static LayerKeyPair generate() {
    return generatePair(0);
  }

  /**
   * A new RSA key pair of {@code bits} bits (public exponent 65537).
   *
   * @param bits the key size: at least 2048
   * @return the key pair
   * @throws IllegalArgumentException when {@code bits} is not positive (0 would mean the
   *     library's default)
   * @throws LayerIdentityException {@link LayerStatus#WEAK_KEY} below 2048 bits, {@link
   *     LayerStatus#INVALID_ARGUMENT} above 16384
   */
  public static LayerKeyPair generate(int bits) {
    if (bits < 1) {
      throw new IllegalArgumentException("bits must be positive, not " + bits);
    }
    return generatePair(bits);
  }

  private static LayerKeyPair generatePair(int bits) {
    NativeLibrary.ensureLoaded();
    Packed pems = new Packed(Native.generateKeyPair(bits));
    try {
      return new LayerKeyPair(pems.nextText(), pems.nextText());
    } finally {
      pems.wipe();
    }
  }
}
