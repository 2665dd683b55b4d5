package com.layer.identity;

import java.nio.charset.StandardCharsets;

/**
 * Reads a result the JNI glue packed into one byte array (so that a call allocates one Java
 * array, not one per text): big-endian 32-bit integers and texts, each text its length (-1 for
 * an absent one) and its UTF-8 bytes, in the order the native method documents.
 */
final class Packed {
  private final byte[] bytes;
  private int at;

  Packed(byte[] bytes) {
    this.bytes = bytes;
  }

  int nextInt() {
    int value =
        (bytes[at] & 0xFF) << 24
            | (bytes[at + 1] & 0xFF) << 16
            | (bytes[at + 2] & 0xFF) << 8
            | (bytes[at + 3] & 0xFF);
    at += 4;
    return value;
  }

  /** A 64-bit integer written as two 32-bit halves, high first. */
  long nextLong() {
    long high = nextInt();
    return high << 32 | (nextInt() & 0xFFFF_FFFFL);
  }

  /** The next text, or null when it is absent. */
  String nextText() {
    int length = nextInt();
    if (length < 0) {
      return null;
    }
    String text = new String(bytes, at, length, StandardCharsets.UTF_8);
    at += length;
    return text;
  }

  /** The next text's bytes, or null when it is absent. */
  byte[] nextBytes() {
    int length = nextInt();
    if (length < 0) {
      return null;
    }
    byte[] copy = java.util.Arrays.copyOfRange(bytes, at, at + length);
    at += length;
    return copy;
  }

  /** Overwrites the packed bytes (they held a private key). */
  void wipe() {
    java.util.Arrays.fill(bytes, (byte) 0);
  }
}
