package com.layer.identity;

/** The header's {@code typ}: {@link #JWS} by default, {@link #JWT} when Layer asks for it. */
public enum TokenType {
  /** {@code "typ":"JWS"}, as in Layer's original authentication guide: the default. */
  JWS,
  /** {@code "typ":"JWT"}, as Layer's later documentation asked. */
  JWT
}
