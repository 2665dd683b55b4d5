package com.layer.identity;

import java.util.Optional;

/**
 * The fields of a {@code POST /identity-token} as the library parsed and checked them, for the
 * application's {@code authenticate}: the nonce from the Layer client SDK and the optional
 * identity attributes, each a non-empty string of at most 2048 UTF-8 bytes. The token is signed
 * with exactly these values.
 */
public final class IdentityTokenRequest {
  private final LayerExchange exchange;
  private final String nonce;
  private final String firstName;
  private final String lastName;
  private final String displayName;
  private final String avatarUrl;

  /** {@code fields}: by {@code LayerField} (nonce, the four attributes, user_id). */
  IdentityTokenRequest(LayerExchange exchange, String[] fields) {
    this.exchange = exchange;
    this.nonce = fields[0];
    this.firstName = fields[1];
    this.lastName = fields[2];
    this.displayName = fields[3];
    this.avatarUrl = fields[4];
  }

  /**
   * The nonce the Layer client SDK got from Layer.
   *
   * @return the nonce
   */
  public String nonce() {
    return nonce;
  }

  /**
   * {@code first_name}.
   *
   * @return the first name, or empty
   */
  public Optional<String> firstName() {
    return Optional.ofNullable(firstName);
  }

  /**
   * {@code last_name}.
   *
   * @return the last name, or empty
   */
  public Optional<String> lastName() {
    return Optional.ofNullable(lastName);
  }

  /**
   * {@code display_name}.
   *
   * @return the display name, or empty
   */
  public Optional<String> displayName() {
    return Optional.ofNullable(displayName);
  }

  /**
   * {@code avatar_url}.
   *
   * @return the avatar URL, or empty
   */
  public Optional<String> avatarUrl() {
    return Optional.ofNullable(avatarUrl);
  }

  /**
   * FOR DEMOS ONLY: the body's {@code user_id}, trusted as it is, so anyone can get a token for
   * any user. The sample backends use it; a real {@code authenticate} names the user of its own
   * session instead. It is checked by the field rules: when it breaks them this throws, and the
   * endpoint answers the field's {@code 400} ({@code missing_field} / {@code invalid_field})
   * rather than {@code 401}, whether the demo authenticator is mounted as it is or called from
   * the application's own.
   *
   * @return the body's user ID
   * @throws LayerIdentityException {@link LayerStatus#INVALID_ARGUMENT} with the field's
   *     message when {@code user_id} is absent or breaks the field rules
   */
  public String userIdFromBody() {
    return exchange.demoUserId();
  }

  @Override
  public String toString() {
    return "IdentityTokenRequest{nonce="
        + nonce
        + (firstName != null ? ", firstName=" + firstName : "")
        + (lastName != null ? ", lastName=" + lastName : "")
        + (displayName != null ? ", displayName=" + displayName : "")
        + (avatarUrl != null ? ", avatarUrl=" + avatarUrl : "")
        + "}";
  }
}
