package com.layer.identity;

import java.util.Objects;

/** The header's {@code typ}: {@link #JWS} by default, {@link #JWT} when Layer asks for it. */
public enum TokenType {
  /** {@code "typ":"JWS"}, as in Layer's original authentication guide: the default. */
  JWS(0),
  /** {@code "typ":"JWT"}, as Layer's later documentation asked. */
  JWT(Flags.TYP_JWT);

  private final int flags;

  TokenType(int flags) {
    this.flags = flags;
  }

  int flags() {
    return flags;
  }

  /**
   * The token type a name selects, by the library's rule (the same in every language and in
   * {@code LAYER_TOKEN_TYPE}): {@code JWS} or {@code JWT} in any letter case.
   *
   * @param name the type's name, as configuration gives it
   * @return the token type
   * @throws NullPointerException when {@code name} is null
   * @throws LayerIdentityException {@link LayerStatus#INVALID_ARGUMENT} for any other name
   */
  public static TokenType parse(String name) {
    byte[] bytes = Utf8.encode(Objects.requireNonNull(name, "tokenType"));
    NativeLibrary.ensureLoaded();
    return (Native.tokenTypeFlags(bytes) & Flags.TYP_JWT) != 0 ? JWT : JWS;
  }
}
