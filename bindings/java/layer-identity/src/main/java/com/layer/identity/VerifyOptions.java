package com.layer.identity;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * How {@link LayerVerifier#verify(String, VerifyOptions)} checks a token: the nonce it must
 * answer (unchecked by default), the time to check against (the system clock by default) and
 * the clock skew allowed for {@code exp} and {@code iat} (60 seconds by default). Immutable.
 *
 * <pre>{@code
 * LayerClaims claims = verifier.verify(token, VerifyOptions.builder().nonce(nonce).build());
 * }</pre>
 */
public final class VerifyOptions {
  private static final VerifyOptions DEFAULTS = new Builder().build();
  /** {@code LAYER_DEFAULT_LEEWAY_SECONDS} of the header (a test compares them). */
  private static final long DEFAULT_LEEWAY_SECONDS = 60;

  private final String nonce;
  private final long now; // Unix seconds, 0: the system clock
  private final long leewaySeconds;

  private VerifyOptions(Builder b) {
    this.nonce = b.nonce;
    this.now = b.now;
    this.leewaySeconds = b.leewaySeconds;
  }

  /** {@return the defaults: no nonce check, the system clock, 60 seconds of leeway} */
  public static VerifyOptions defaults() {
    return DEFAULTS;
  }

  /**
   * The defaults, with the nonce the token must answer.
   *
   * @param nonce the expected nonce
   * @return the options
   */
  public static VerifyOptions withNonce(String nonce) {
    return new Builder().nonce(nonce).build();
  }

  /** {@return a builder, with the defaults} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return the nonce the token must answer; empty when it is not checked} */
  public Optional<String> nonce() {
    return Optional.ofNullable(nonce);
  }

  /** {@return the time the token is checked against; empty for the system clock} */
  public Optional<Instant> now() {
    return now == 0 ? Optional.empty() : Optional.of(Instant.ofEpochSecond(now));
  }

  /** {@return the clock skew allowed} */
  public Duration leeway() {
    return Duration.ofSeconds(leewaySeconds);
  }

  long nowEpochSecond() {
    return now;
  }

  long leewaySeconds() {
    return leewaySeconds;
  }

  @Override
  public String toString() {
    return "VerifyOptions{nonce="
        + (nonce == null ? "(not checked)" : nonce)
        + ", now="
        + (now == 0 ? "clock" : Instant.ofEpochSecond(now))
        + ", leeway="
        + leewaySeconds
        + "s}";
  }

  /** Builds {@link VerifyOptions}. Not thread-safe; each setter checks its argument. */
  public static final class Builder {
    private String nonce;
    private long now;
    private long leewaySeconds = DEFAULT_LEEWAY_SECONDS;

    private Builder() {}

    /**
     * The nonce the token must answer ({@code nce}): the one this login started with. An empty
     * nonce is refused by the library (to check none, set none).
     *
     * @param nonce the expected nonce
     * @return this builder
     */
    public Builder nonce(String nonce) {
      this.nonce = Objects.requireNonNull(nonce, "nonce");
      return this;
    }

    /**
     * Checks the token as of {@code now} instead of the system clock ({@link Instant#EPOCH},
     * 0, means the system clock; an earlier time is refused by the library).
     *
     * @param now the time to check against
     * @return this builder
     */
    public Builder now(Instant now) {
      this.now = Times.epochSecond(now, "now");
      return this;
    }

    /**
     * {@link #now(Instant)} in Unix seconds: 0 for the system clock; a negative value is
     * refused by the library.
     *
     * @param epochSecond the time to check against, in Unix seconds
     * @return this builder
     */
    public Builder nowEpochSecond(long epochSecond) {
      this.now = epochSecond;
      return this;
    }

    /**
     * The clock skew allowed, in whole seconds (floored): {@code exp} may be this much in the
     * past and {@code iat} this much in the future. Default: 60 seconds ({@code
     * LAYER_DEFAULT_LEEWAY_SECONDS}); a negative leeway or one beyond 4294967295 seconds is
     * refused by the library.
     *
     * @param leeway the clock skew allowed
     * @return this builder
     */
    public Builder leeway(Duration leeway) {
      this.leewaySeconds = Times.seconds(leeway, "leeway");
      return this;
    }

    /**
     * {@link #leeway(Duration)} in seconds.
     *
     * @param seconds the clock skew allowed, in seconds
     * @return this builder
     */
    public Builder leewaySeconds(long seconds) {
      this.leewaySeconds = seconds;
      return this;
    }

    /** {@return the options} */
    public VerifyOptions build() {
      return new VerifyOptions(this);
    }
  }
}
