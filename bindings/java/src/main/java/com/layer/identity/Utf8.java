package com.layer.identity;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Strings to and from the UTF-8 bytes that cross JNI.
 *
 * <p>A Java string can hold what a C string cannot: U+0000 (which would end it early) and lone
 * surrogates (which have no UTF-8 form; {@link String#getBytes} would silently turn them into
 * {@code ?}). Both are refused here, naming the argument, before anything reaches the library.
 * Messages give the position, never the text: the text may be a key or a passphrase.
 */
final class Utf8 {
  private Utf8() {}

  /**
   * The UTF-8 bytes of a required argument.
   *
   * @throws NullPointerException naming {@code name} when {@code value} is null
   * @throws LayerIdentityException {@link LayerStatus#INVALID_ARGUMENT} for U+0000, {@link
   *     LayerStatus#INVALID_UTF8} for a lone surrogate
   */
  static byte[] required(String value, String name) {
    return encode(Objects.requireNonNull(value, name), name);
  }

  /** The UTF-8 bytes of an optional argument, or null. */
  static byte[] optional(String value, String name) {
    return value == null ? null : encode(value, name);
  }

  /** Checks that {@code value} can be encoded as a C string; returns it. */
  static String check(String value, String name) {
    validate(value, name);
    return value;
  }

  static byte[] encode(String value, String name) {
    validate(value, name);
    return value.getBytes(StandardCharsets.UTF_8);
  }

  private static void validate(String value, String name) {
    int length = value.length();
    for (int i = 0; i < length; i++) {
      char c = value.charAt(i);
      if (c == 0) {
        throw new LayerIdentityException(
            LayerStatus.INVALID_ARGUMENT,
            name
                + " contains U+0000 at index "
                + i
                + ": the library takes NUL-terminated strings, so it cannot be passed");
      }
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c)
            && i + 1 < length
            && Character.isLowSurrogate(value.charAt(i + 1))) {
          i++;
        } else {
          throw new LayerIdentityException(
              LayerStatus.INVALID_UTF8,
              String.format(
                  "%s is not valid Unicode: a lone surrogate U+%04X at index %d has no UTF-8"
                      + " form",
                  name, (int) c, i));
        }
      }
    }
  }

  /** The string a library result holds (always valid UTF-8). */
  static String decode(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }
}
