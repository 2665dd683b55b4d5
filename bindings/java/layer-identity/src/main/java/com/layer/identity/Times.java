package com.layer.identity;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Java times to the library's integer seconds, passed through as they are: 0 means now (or the
 * default), and the library refuses a negative time, a time in milliseconds or a TTL beyond 32
 * bits with its own message. No rule is decided here.
 */
final class Times {
  private Times() {}

  /** Unix seconds of {@code instant}, floored. */
  static long epochSecond(Instant instant, String name) {
    return Objects.requireNonNull(instant, name).getEpochSecond();
  }

  /** Whole seconds of {@code duration}, floored. */
  static long seconds(Duration duration, String name) {
    return Objects.requireNonNull(duration, name).getSeconds();
  }

  /** {@code Instant.ofEpochSecond}, saturated at {@link Instant#MIN} and {@link Instant#MAX}. */
  static Instant instant(long epochSecond) {
    if (epochSecond < Instant.MIN.getEpochSecond()) {
      return Instant.MIN;
    }
    if (epochSecond > Instant.MAX.getEpochSecond()) {
      return Instant.MAX;
    }
    return Instant.ofEpochSecond(epochSecond);
  }
}
