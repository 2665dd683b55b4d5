package com.layer.identity.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The fields of a request body (JSON or form), and the contract's rules for each: present,
 * a non-empty string, at most {@value #MAX_FIELD_BYTES} bytes of UTF-8, no U+0000, valid
 * Unicode, given once.
 */
final class RequestBody {
  static final int MAX_FIELD_BYTES = 2048;

  /** A field the client got wrong: 400 with this code and message. */
  static final class FieldError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String code;

    FieldError(String code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  /** A body that cannot be read at all: 400 invalid_json. */
  static final class BodyError extends Exception {
    private static final long serialVersionUID = 1L;

    BodyError(String message) {
      super(message, null, false, false);
    }
  }

  private static final Json.Value TWICE = new Json.Value(Json.Kind.OTHER, null);

  /** name to value; {@link #TWICE} for a name given more than once. */
  private final Map<String, Json.Value> fields;

  private RequestBody(Map<String, Json.Value> fields) {
    this.fields = fields;
  }

  static RequestBody json(byte[] body) throws BodyError {
    if (body.length >= 3
        && (body[0] & 0xff) == 0xef
        && (body[1] & 0xff) == 0xbb
        && (body[2] & 0xff) == 0xbf) {
      throw new BodyError("the body starts with a byte order mark");
    }
    String text = utf8(body, "the body is not valid UTF-8");
    try {
      Map<String, Json.Value> members = Json.parseObject(text);
      Map<String, Json.Value> fields = new HashMap<>();
      members.forEach((name, value) -> fields.put(name, value == null ? TWICE : value));
      return new RequestBody(fields);
    } catch (Json.SyntaxError e) {
      throw new BodyError(e.getMessage());
    }
  }

  static RequestBody form(byte[] body) throws BodyError {
    // Raw bytes must be UTF-8 too; then split on '&', the first '=', '+' to space, %XX.
    String text = utf8(body, "the body is not valid form data");
    Map<String, Json.Value> fields = new HashMap<>();
    for (String piece : text.split("&", -1)) {
      if (piece.isEmpty()) {
        continue;
      }
      int eq = piece.indexOf('=');
      String name = decode(eq < 0 ? piece : piece.substring(0, eq));
      String value = eq < 0 ? "" : decode(piece.substring(eq + 1));
      fields.put(name, fields.containsKey(name) ? TWICE : new Json.Value(Json.Kind.STRING, value));
    }
    return new RequestBody(fields);
  }

  private static String decode(String part) throws BodyError {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(part.length());
    byte[] raw = part.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < raw.length; i++) {
      byte b = raw[i];
      if (b == '+') {
        bytes.write(' ');
      } else if (b == '%') {
        int hi = i + 1 < raw.length ? hex(raw[i + 1]) : -1;
        int lo = i + 2 < raw.length ? hex(raw[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
          throw new BodyError("the body is not valid form data");
        }
        bytes.write(hi * 16 + lo);
        i += 2;
      } else {
        bytes.write(b);
      }
    }
    return utf8(bytes.toByteArray(), "the body is not valid form data");
  }

  private static int hex(byte b) {
    if (b >= '0' && b <= '9') {
      return b - '0';
    }
    if (b >= 'a' && b <= 'f') {
      return b - 'a' + 10;
    }
    if (b >= 'A' && b <= 'F') {
      return b - 'A' + 10;
    }
    return -1;
  }

  private static String utf8(byte[] bytes, String message) throws BodyError {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new BodyError(message);
    }
  }

  /**
   * The field's text: null when absent (or JSON null) and not {@code required}.
   *
   * @throws FieldError by the contract's rules, with its message
   */
  String field(String name, boolean required) {
    Json.Value value = fields.get(name);
    if (value == TWICE) {
      throw new FieldError("invalid_field", name + " is given more than once");
    }
    if (value == null || (value.kind == Json.Kind.NULL && !required)) {
      if (required) {
        throw new FieldError("missing_field", name + " is required");
      }
      return null;
    }
    if (value.kind != Json.Kind.STRING || value.text.isEmpty()) {
      throw new FieldError("invalid_field", name + " must be a non-empty string");
    }
    String text = value.text;
    int bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new FieldError("invalid_field", name + " must be valid Unicode");
      } else if (c == 0) {
        throw new FieldError("invalid_field", name + " must not contain U+0000");
      } else {
        bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      }
    }
    if (bytes > MAX_FIELD_BYTES) {
      throw new FieldError(
          "invalid_field", name + " must be at most " + MAX_FIELD_BYTES + " bytes");
    }
    return text;
  }
}
