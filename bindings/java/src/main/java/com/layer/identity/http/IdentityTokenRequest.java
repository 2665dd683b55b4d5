package com.layer.identity.http;

import java.util.Optional;

/**
 * The checked fields of a {@code POST /identity-token}: the nonce from the Layer client SDK
 * and the optional identity attributes, each a non-empty string of at most 2048 UTF-8 bytes.
 */
public final class IdentityTokenRequest {
  private final String nonce;
  private final String firstName;
  private final String lastName;
  private final String displayName;
  private final String avatarUrl;
  private final RequestBody body;

  IdentityTokenRequest(RequestBody body) {
    this.body = body;
    this.nonce = body.field("nonce", true);
    this.firstName = body.field("first_name", false);
    this.lastName = body.field("last_name", false);
    this.displayName = body.field("display_name", false);
    this.avatarUrl = body.field("avatar_url", false);
  }

  public String nonce() {
    return nonce;
  }

  public Optional<String> firstName() {
    return Optional.ofNullable(firstName);
  }

  public Optional<String> lastName() {
    return Optional.ofNullable(lastName);
  }

  public Optional<String> displayName() {
    return Optional.ofNullable(displayName);
  }

  public Optional<String> avatarUrl() {
    return Optional.ofNullable(avatarUrl);
  }

  /** The body's {@code user_id}, checked like the other fields (the demo authenticator). */
  String bodyUserId() {
    return body.field("user_id", true);
  }
}
