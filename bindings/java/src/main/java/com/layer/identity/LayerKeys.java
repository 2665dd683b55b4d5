package com.layer.identity;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Key-pair generation. */
public final class LayerKeys {
  private LayerKeys() {}

  /** A new 2048-bit RSA key pair (public exponent 65537). */
  public static LayerKeyPair generate() {
    return generatePair(0);
  }

  /**
   * A new RSA key pair of {@code bits} bits (public exponent 65537).
   *
   * @throws IllegalArgumentException when {@code bits} is not positive
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
    byte[][] pems = Native.generateKeyPair(bits);
    try {
      return new LayerKeyPair(
          new String(pems[0], StandardCharsets.UTF_8), new String(pems[1], StandardCharsets.UTF_8));
    } finally {
      Arrays.fill(pems[0], (byte) 0);
    }
  }
}
