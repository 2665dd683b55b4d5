package com.layer.identity;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What one identity token says: the user and the nonce, and optionally when it is issued, how
 * long it lives, the identity attributes Layer shows ({@code first_name}, {@code last_name},
 * {@code display_name}, {@code avatar_url}) and metadata (string values by name). Immutable;
 * build one with {@link #builder(String, String)}.
 *
 * <pre>{@code
 * String token = signer.sign(SignRequest.builder(userId, nonce)
 *     .displayName("Alice Liddell")
 *     .avatarUrl("https://example.com/alice.png")
 *     .putMetadata("team", "wonderland")
 *     .ttl(Duration.ofMinutes(5))
 *     .build());
 * }</pre>
 *
 * Unset values take the library's defaults: issued now, a lifetime of 600 seconds, no
 * attributes, no metadata. The token carries the attributes in Layer's fixed order and the
 * metadata sorted by name, whatever order they were given in.
 */
public final class SignRequest {
  private final String userId;
  private final String nonce;
  private final long issuedAt; // Unix seconds, 0: now
  private final long ttlSeconds; // 0: the library's default
  private final String firstName;
  private final String lastName;
  private final String displayName;
  private final String avatarUrl;
  private final Map<String, String> metadata;

  private SignRequest(Builder b) {
    this.userId = b.userId;
    this.nonce = b.nonce;
    this.issuedAt = b.issuedAt;
    this.ttlSeconds = b.ttlSeconds;
    this.firstName = b.firstName;
    this.lastName = b.lastName;
    this.displayName = b.displayName;
    this.avatarUrl = b.avatarUrl;
    this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(b.metadata));
  }

  /**
   * Starts a request for {@code userId} (the app's own ID of the logged-in user) answering
   * {@code nonce} (from the Layer client SDK).
   *
   * @param userId the app's user ID
   * @param nonce the nonce from the Layer client SDK
   * @return a builder
   * @throws NullPointerException when either is null
   */
  public static Builder builder(String userId, String nonce) {
    return new Builder(userId, nonce);
  }

  /**
   * A request with the defaults: issued now, 600 seconds, no attributes.
   *
   * @param userId the app's user ID
   * @param nonce the nonce from the Layer client SDK
   * @return the request
   */
  public static SignRequest of(String userId, String nonce) {
    return new Builder(userId, nonce).build();
  }

  /** {@return the app's user ID ({@code prn})} */
  public String userId() {
    return userId;
  }

  /** {@return the nonce ({@code nce})} */
  public String nonce() {
    return nonce;
  }

  /** {@return when the token is issued; empty for "when it is signed"} */
  public Optional<Instant> issuedAt() {
    return issuedAt == 0 ? Optional.empty() : Optional.of(Instant.ofEpochSecond(issuedAt));
  }

  /** {@return the token's lifetime; empty for the library's default (600 seconds)} */
  public Optional<Duration> ttl() {
    return ttlSeconds == 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(ttlSeconds));
  }

  /** {@return {@code first_name}, or empty} */
  public Optional<String> firstName() {
    return Optional.ofNullable(firstName);
  }

  /** {@return {@code last_name}, or empty} */
  public Optional<String> lastName() {
    return Optional.ofNullable(lastName);
  }

  /** {@return {@code display_name}, or empty} */
  public Optional<String> displayName() {
    return Optional.ofNullable(displayName);
  }

  /** {@return {@code avatar_url}, or empty} */
  public Optional<String> avatarUrl() {
    return Optional.ofNullable(avatarUrl);
  }

  /** {@return the metadata, unmodifiable, in the order given (the token sorts them by name)} */
  public Map<String, String> metadata() {
    return metadata;
  }

  long issuedAtEpochSecond() {
    return issuedAt;
  }

  long ttlSeconds() {
    return ttlSeconds;
  }

  boolean hasAttributes() {
    return hasIdentityAttributes() || !metadata.isEmpty();
  }

  boolean hasIdentityAttributes() {
    return firstName != null || lastName != null || displayName != null || avatarUrl != null;
  }

  @Override
  public String toString() {
    return "SignRequest{userId="
        + userId
        + ", nonce="
        + nonce
        + ", issuedAt="
        + (issuedAt == 0 ? "now" : Instant.ofEpochSecond(issuedAt))
        + ", ttl="
        + (ttlSeconds == 0 ? "default" : ttlSeconds + "s")
        + (firstName != null ? ", firstName=" + firstName : "")
        + (lastName != null ? ", lastName=" + lastName : "")
        + (displayName != null ? ", displayName=" + displayName : "")
        + (avatarUrl != null ? ", avatarUrl=" + avatarUrl : "")
        + (metadata.isEmpty() ? "" : ", metadata=" + metadata)
        + "}";
  }

  /** Builds a {@link SignRequest}. Not thread-safe; each setter checks its argument. */
  public static final class Builder {
    private final String userId;
    private final String nonce;
    private long issuedAt;
    private long ttlSeconds;
    private String firstName;
    private String lastName;
    private String displayName;
    private String avatarUrl;
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private Builder(String userId, String nonce) {
      this.userId = Objects.requireNonNull(userId, "userId");
      this.nonce = Objects.requireNonNull(nonce, "nonce");
    }

    /**
     * When the token is issued ({@code iat}), floored to the second. Default: now. Passed to
     * the library as Unix seconds: {@link Instant#EPOCH} (0) means now, and an earlier time is
     * refused when signing ({@link LayerStatus#INVALID_ARGUMENT}).
     *
     * @param issuedAt the issue time
     * @return this builder
     */
    public Builder issuedAt(Instant issuedAt) {
      this.issuedAt = Times.epochSecond(issuedAt, "issuedAt");
      return this;
    }

    /**
     * {@link #issuedAt(Instant)} in Unix seconds: 0 means now; a negative value or one in
     * milliseconds is refused by the library when signing ({@link
     * LayerStatus#INVALID_ARGUMENT}).
     *
     * @param epochSecond the issue time in Unix seconds
     * @return this builder
     */
    public Builder issuedAtEpochSecond(long epochSecond) {
      this.issuedAt = epochSecond;
      return this;
    }

    /**
     * How long the token is valid ({@code exp - iat}), in whole seconds (floored). Default,
     * and for zero: 600 seconds, the lifetime of a Layer nonce. A negative lifetime or one
     * beyond 4294967295 seconds is refused by the library when signing.
     *
     * @param ttl the token's lifetime
     * @return this builder
     */
    public Builder ttl(Duration ttl) {
      this.ttlSeconds = Times.seconds(ttl, "ttl");
      return this;
    }

    /**
     * {@link #ttl(Duration)} in seconds; 0 for the default.
     *
     * @param seconds the token's lifetime in seconds
     * @return this builder
     */
    public Builder ttlSeconds(long seconds) {
      this.ttlSeconds = seconds;
      return this;
    }

    /**
     * Sets {@code first_name} (an empty one is left out of the token, like an absent one).
     *
     * @param firstName the value
     * @return this builder
     */
    public Builder firstName(String firstName) {
      this.firstName = Objects.requireNonNull(firstName, "firstName");
      return this;
    }

    /**
     * Sets {@code last_name} (an empty one is left out of the token, like an absent one).
     *
     * @param lastName the value
     * @return this builder
     */
    public Builder lastName(String lastName) {
      this.lastName = Objects.requireNonNull(lastName, "lastName");
      return this;
    }

    /**
     * Sets {@code display_name} (an empty one is left out of the token, like an absent one).
     *
     * @param displayName the value
     * @return this builder
     */
    public Builder displayName(String displayName) {
      this.displayName = Objects.requireNonNull(displayName, "displayName");
      return this;
    }

    /**
     * Sets {@code avatar_url} (an empty one is left out of the token, like an absent one).
     *
     * @param avatarUrl the value
     * @return this builder
     */
    public Builder avatarUrl(String avatarUrl) {
      this.avatarUrl = Objects.requireNonNull(avatarUrl, "avatarUrl");
      return this;
    }

    /**
     * Adds one metadata entry. Names must be non-empty (the library checks that).
     *
     * @param name the entry's name
     * @param value the entry's value
     * @return this builder
     * @throws NullPointerException when the name or the value is null
     * @throws IllegalArgumentException when {@code name} was already given
     */
    public Builder putMetadata(String name, String value) {
      Objects.requireNonNull(name, "metadata name");
      Objects.requireNonNull(value, "metadata value");
      if (metadata.putIfAbsent(name, value) != null) {
        throw new IllegalArgumentException("metadata name \"" + name + "\" is given twice");
      }
      return this;
    }

    /**
     * Replaces the metadata with a copy of {@code metadata}.
     *
     * @param metadata the entries
     * @return this builder
     * @throws NullPointerException when the map, a name or a value is null
     */
    public Builder metadata(Map<String, String> metadata) {
      Objects.requireNonNull(metadata, "metadata");
      Map<String, String> copy = new LinkedHashMap<>();
      metadata.forEach(
          (name, value) ->
              copy.put(
                  Objects.requireNonNull(name, "metadata name"),
                  Objects.requireNonNull(value, "metadata value")));
      this.metadata.clear();
      this.metadata.putAll(copy);
      return this;
    }

    /** {@return the request} */
    public SignRequest build() {
      return new SignRequest(this);
    }
  }
}
