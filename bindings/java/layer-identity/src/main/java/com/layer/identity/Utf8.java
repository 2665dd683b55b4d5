package com.layer.identity;

import java.nio.charset.StandardCharsets;

/**
 * Strings to and from the UTF-8 bytes that cross JNI.
 *
 * <p>Nothing is checked here: the library refuses U+0000 ({@link LayerStatus#INVALID_ARGUMENT})
 * and text that is not UTF-8 ({@link LayerStatus#INVALID_UTF8}), naming the argument, the same
 * way in every language. What this class guarantees is that the library sees exactly the
 * string's text: a Java string may hold a lone surrogate, which has no UTF-8 form, and {@link
 * String#getBytes} would silently replace it with {@code ?}. Here it is written as its 3-byte
 * form ({@code ED A0 80} for U+D800, as Python's {@code surrogatepass} does), which is not
 * UTF-8, so that the library refuses it instead of signing other text.
 */
final class Utf8 {
  private Utf8() {}

  /** The string's UTF-8 bytes, a lone surrogate as its (invalid) 3-byte form; null for null. */
  static byte[] encode(String value) {
    if (value == null) {
      return null;
    }
    int length = value.length();
    for (int i = 0; i < length; i++) {
      if (Character.isSurrogate(value.charAt(i))) {
        return encodeSurrogates(value);
      }
    }
    return value.getBytes(StandardCharsets.UTF_8); // no surrogates: the JDK's fast encoder
  }

  private static byte[] encodeSurrogates(String value) {
    int length = value.length();
    byte[] out = new byte[length * 3];
    int n = 0;
    for (int i = 0; i < length; i++) {
      int c = value.charAt(i);
      if (Character.isHighSurrogate((char) c)
          && i + 1 < length
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        c = Character.toCodePoint((char) c, value.charAt(++i));
      }
      if (c < 0x80) {
        out[n++] = (byte) c;
      } else if (c < 0x800) {
        out[n++] = (byte) (0xC0 | c >> 6);
        out[n++] = (byte) (0x80 | c & 0x3F);
      } else if (c < 0x10000) { // includes a lone surrogate: ED A0..BF xx, not UTF-8
        out[n++] = (byte) (0xE0 | c >> 12);
        out[n++] = (byte) (0x80 | c >> 6 & 0x3F);
        out[n++] = (byte) (0x80 | c & 0x3F);
      } else {
        out[n++] = (byte) (0xF0 | c >> 18);
        out[n++] = (byte) (0x80 | c >> 12 & 0x3F);
        out[n++] = (byte) (0x80 | c >> 6 & 0x3F);
        out[n++] = (byte) (0x80 | c & 0x3F);
      }
    }
    return java.util.Arrays.copyOf(out, n);
  }

  /** The string a library result holds (always UTF-8). */
  static String decode(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }
}
