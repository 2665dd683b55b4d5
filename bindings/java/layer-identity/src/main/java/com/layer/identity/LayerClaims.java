package com.layer.identity;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The claims of a verified identity token, immutable. Built from the library's typed claims
 * ({@code layer_claims_*}), never by parsing JSON here.
 */
public final class LayerClaims {
  /** {@code LAYER_CLAIM_TEXT_COUNT}: the texts {@code layer_verifier_verify_n} reads. */
  static final int CLAIM_TEXT_COUNT = 9;

  private final String providerId;
  private final String userId;
  private final String nonce;
  private final long issuedAt;
  private final long expiresAt;
  private final String firstName;
  private final String lastName;
  private final String displayName;
  private final String avatarUrl;
  private final Map<String, String> metadata;
  private final String json;

  private LayerClaims(
      String providerId,
      String userId,
      String nonce,
      long issuedAt,
      long expiresAt,
      String firstName,
      String lastName,
      String displayName,
      String avatarUrl,
      Map<String, String> metadata,
      String json) {
    this.providerId = providerId;
    this.userId = userId;
    this.nonce = nonce;
    this.issuedAt = issuedAt;
    this.expiresAt = expiresAt;
    this.firstName = firstName;
    this.lastName = lastName;
    this.displayName = displayName;
    this.avatarUrl = avatarUrl;
    this.metadata = metadata;
    this.json = json;
  }

  /** From what {@link Native#verifierVerify} returns, in its order. */
  static LayerClaims fromNative(Packed packed) {
    long issuedAt = packed.nextLong();
    long expiresAt = packed.nextLong();
    String[] texts = new String[CLAIM_TEXT_COUNT];
    for (int i = 0; i < texts.length; i++) {
      texts[i] = packed.nextText();
    }
    int count = packed.nextInt();
    Map<String, String> metadata = count == 0 ? Map.of() : new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      metadata.put(packed.nextText(), packed.nextText());
    }
    return new LayerClaims(
        texts[0],
        texts[1],
        texts[2],
        issuedAt,
        expiresAt,
        texts[3],
        texts[4],
        texts[5],
        texts[6],
        count == 0 ? metadata : Collections.unmodifiableMap(metadata),
        texts[7]);
  }

  /** {@return {@code iss}: the provider ID the token was issued by} */
  public String providerId() {
    return providerId;
  }

  /** {@return {@code prn}: the app's user ID the token authenticates} */
  public String userId() {
    return userId;
  }

  /** {@return {@code nce}: the nonce the token answers} */
  public String nonce() {
    return nonce;
  }

  /**
   * {@code iat}, as an instant (saturated at {@link Instant#MIN} / {@link Instant#MAX} for a
   * value beyond them; {@link #issuedAtEpochSecond()} is exact).
   *
   * @return the claims JSON
   */
  public Instant issuedAt() {
    return Times.instant(issuedAt);
  }

  /** {@return {@code exp}, as an instant (saturated like {@link #issuedAt()})} */
  public Instant expiresAt() {
    return Times.instant(expiresAt);
  }

  /** {@return {@code iat} in Unix seconds} */
  public long issuedAtEpochSecond() {
    return issuedAt;
  }

  /** {@return {@code exp} in Unix seconds} */
  public long expiresAtEpochSecond() {
    return expiresAt;
  }

  /** {@return {@code first_name}; empty when the token has none (absent or null)} */
  public Optional<String> firstName() {
    return Optional.ofNullable(firstName);
  }

  /** {@return {@code last_name}; empty when the token has none} */
  public Optional<String> lastName() {
    return Optional.ofNullable(lastName);
  }

  /** {@return {@code display_name}; empty when the token has none} */
  public Optional<String> displayName() {
    return Optional.ofNullable(displayName);
  }

  /** {@return {@code avatar_url}; empty when the token has none} */
  public Optional<String> avatarUrl() {
    return Optional.ofNullable(avatarUrl);
  }

  /** {@return {@code metadata}, unmodifiable, in the token's order; empty when it has none} */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** {@return the claims JSON exactly as signed, including claims this library does not interpret} */
  public String json() {
    return json;
  }

  @Override
  public boolean equals(Object other) {
    if (this == other) {
      return true;
    }
    if (!(other instanceof LayerClaims)) {
      return false;
    }
    LayerClaims o = (LayerClaims) other;
    return issuedAt == o.issuedAt
        && expiresAt == o.expiresAt
        && providerId.equals(o.providerId)
        && userId.equals(o.userId)
        && nonce.equals(o.nonce)
        && Objects.equals(firstName, o.firstName)
        && Objects.equals(lastName, o.lastName)
        && Objects.equals(displayName, o.displayName)
        && Objects.equals(avatarUrl, o.avatarUrl)
        && metadata.equals(o.metadata)
        && json.equals(o.json);
  }

  @Override
  public int hashCode() {
    return Objects.hash(providerId, userId, nonce, issuedAt, expiresAt, json);
  }

  @Override
  public String toString() {
    return "LayerClaims{providerId="
        + providerId
        + ", userId="
        + userId
        + ", nonce="
        + nonce
        + ", issuedAt="
        + issuedAt
        + ", expiresAt="
        + expiresAt
        + (firstName != null ? ", firstName=" + firstName : "")
        + (lastName != null ? ", lastName=" + lastName : "")
        + (displayName != null ? ", displayName=" + displayName : "")
        + (avatarUrl != null ? ", avatarUrl=" + avatarUrl : "")
        + (metadata.isEmpty() ? "" : ", metadata=" + metadata)
        + "}";
  }
}
