package com.layer.identity.http;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The request body's JSON, strictly (RFC 8259): one object, nesting at most {@value
 * #MAX_DEPTH} deep, nothing after it. Only the top-level members are kept, as {@link Value}s:
 * strings with their text (escapes decoded, so an unpaired {@code \ud800} stays an unpaired
 * surrogate for the field rules to refuse), other types by kind only. Deeper values are checked
 * and dropped, numbers are never converted. Recursion is bounded by the depth limit, so no body
 * can overflow the stack. (This reads HTTP requests; tokens are only ever read by the library.)
 */
final class Json {
  static final int MAX_DEPTH = 64;

  /** A top-level member's value: its kind and, for a string, its text. */
  static final class Value {
    final Kind kind;
    final String text;

    Value(Kind kind, String text) {
      this.kind = kind;
      this.text = text;
    }
  }

  enum Kind {
    STRING,
    NULL,
    OTHER
  }

  /** Why a body is not acceptable JSON; the message is for the client. */
  static final class SyntaxError extends Exception {
    private static final long serialVersionUID = 1L;

    SyntaxError(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The top-level members of {@code text}; a member given more than once maps to null (the
   * caller reports it for the fields it knows and ignores it for the others).
   */
  static Map<String, Value> parseObject(String text) throws SyntaxError {
    Json parser = new Json(text);
    parser.skipWhitespace();
    if (parser.peek() != '{') {
      if (parser.pos < text.length()) {
        parser.value(1); // a well-formed value that is not an object says so below
      }
      throw new SyntaxError(
          parser.pos == 0 && text.isEmpty()
              ? "the body is not valid JSON"
              : "the body must be a JSON object");
    }
    Map<String, Value> members = parser.object(1, true);
    parser.skipWhitespace();
    if (parser.pos != text.length()) {
      throw new SyntaxError("the body is not valid JSON");
    }
    return members;
  }

  private final String s;
  private int pos;

  private Json(String s) {
    this.s = s;
  }

  private int peek() {
    return pos < s.length() ? s.charAt(pos) : -1;
  }

  private void skipWhitespace() {
    while (pos < s.length()) {
      char c = s.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  private SyntaxError invalid() {
    return new SyntaxError("the body is not valid JSON");
  }

  private void expect(char c) throws SyntaxError {
    if (peek() != c) {
      throw invalid();
    }
    pos++;
  }

  /** An object at {@code depth}; its members when {@code keep}, else null. */
  private Map<String, Value> object(int depth, boolean keep) throws SyntaxError {
    if (depth > MAX_DEPTH) {
      throw new SyntaxError("the body is nested more than " + MAX_DEPTH + " levels deep");
    }
    expect('{');
    Map<String, Value> members = keep ? new LinkedHashMap<>() : null;
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return members;
    }
    while (true) {
      skipWhitespace();
      String name = string();
      skipWhitespace();
      expect(':');
      skipWhitespace();
      Value value = value(depth + 1);
      if (keep) {
        if (members.containsKey(name)) {
          members.put(name, null);
        } else {
          members.put(name, value);
        }
      }
      skipWhitespace();
      int c = peek();
      pos++;
      if (c == '}') {
        return members;
      }
      if (c != ',') {
        throw invalid();
      }
    }
  }

  private void array(int depth) throws SyntaxError {
    if (depth > MAX_DEPTH) {
      throw new SyntaxError("the body is nested more than " + MAX_DEPTH + " levels deep");
    }
    expect('[');
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return;
    }
    while (true) {
      skipWhitespace();
      value(depth + 1);
      skipWhitespace();
      int c = peek();
      pos++;
      if (c == ']') {
        return;
      }
      if (c != ',') {
        throw invalid();
      }
    }
  }

  /** A value whose container is at {@code depth - 1}: objects and arrays take {@code depth}. */
  private Value value(int depth) throws SyntaxError {
    int c = peek();
    switch (c) {
      case '{':
        object(depth, false);
        return new Value(Kind.OTHER, null);
      case '[':
        array(depth);
        return new Value(Kind.OTHER, null);
      case '"':
        return new Value(Kind.STRING, string());
      case 't':
        literal("true");
        return new Value(Kind.OTHER, null);
      case 'f':
        literal("false");
        return new Value(Kind.OTHER, null);
      case 'n':
        literal("null");
        return new Value(Kind.NULL, null);
      default:
        number();
        return new Value(Kind.OTHER, null);
    }
  }

  private void literal(String word) throws SyntaxError {
    if (!s.startsWith(word, pos)) {
      throw invalid();
    }
    pos += word.length();
  }

  private void number() throws SyntaxError {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
    } else if (digit()) {
      while (digit()) {
        // digits
      }
    } else {
      throw invalid();
    }
    if (peek() == '.') {
      pos++;
      if (!digit()) {
        throw invalid();
      }
      while (digit()) {
        // digits
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!digit()) {
        throw invalid();
      }
      while (digit()) {
        // digits
      }
    }
    if (pos == start) {
      throw invalid();
    }
  }

  private boolean digit() {
    int c = peek();
    if (c >= '0' && c <= '9') {
      pos++;
      return true;
    }
    return false;
  }

  private String string() throws SyntaxError {
    expect('"');
    StringBuilder out = null;
    int start = pos;
    while (true) {
      if (pos >= s.length()) {
        throw invalid();
      }
      char c = s.charAt(pos);
      if (c == '"') {
        String text = out == null ? s.substring(start, pos) : out.toString();
        pos++;
        return text;
      }
      if (c < 0x20) {
        throw invalid();
      }
      if (c != '\\') {
        if (out != null) {
          out.append(c);
        }
        pos++;
        continue;
      }
      if (out == null) {
        out = new StringBuilder(s.substring(start, pos));
      }
      pos++;
      if (pos >= s.length()) {
        throw invalid();
      }
      char e = s.charAt(pos++);
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.append(e);
          break;
        case 'b':
          out.append('\b');
          break;
        case 'f':
          out.append('\f');
          break;
        case 'n':
          out.append('\n');
          break;
        case 'r':
          out.append('\r');
          break;
        case 't':
          out.append('\t');
          break;
        case 'u':
          if (pos + 4 > s.length()) {
            throw invalid();
          }
          int code = 0;
          for (int i = 0; i < 4; i++) {
            int d = hexDigit(s.charAt(pos++));
            if (d < 0) {
              throw invalid();
            }
            code = code * 16 + d;
          }
          out.append((char) code);
          break;
        default:
          throw invalid();
      }
    }
  }

  private static int hexDigit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  /** {@code value} as a JSON string literal: only {@code "}, {@code \} and controls escaped. */
  static void writeString(StringBuilder out, String value) {
    out.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('"');
  }
}
