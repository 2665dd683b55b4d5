package com.layer.identity;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Conversions of Java times to the library's integer seconds. Values the library would read as
 * "use the default" (0 and below) are refused here, so a Java time always means itself; a time
 * in milliseconds is passed on, for the library to refuse with its own message.
 */
final class Times {
  /** The largest {@code uint32_t}: the library's TTL and leeway are 32-bit. */
  static final long UINT32_MAX = 0xFFFF_FFFFL;

  private Times() {}

  /** Unix seconds of {@code instant}, floored; at least 1. */
  static long epochSecond(Instant instant, String name) {
    Objects.requireNonNull(instant, name);
    return epochSecond(instant.getEpochSecond(), name);
  }

  static long epochSecond(long seconds, String name) {
    if (seconds < 1) {
      throw new IllegalArgumentException(
          name + " must be after 1970-01-01T00:00:00Z (Unix seconds >= 1), not " + seconds);
    }
    return seconds;
  }

  /** Whole seconds of {@code duration}, from {@code min} to {@link #UINT32_MAX}. */
  static long seconds(Duration duration, String name, long min) {
    Objects.requireNonNull(duration, name);
    if (duration.getNano() != 0) {
      throw new IllegalArgumentException(name + " must be whole seconds, not " + duration);
    }
    return seconds(duration.getSeconds(), name, min);
  }

  static long seconds(long seconds, String name, long min) {
    if (seconds < min || seconds > UINT32_MAX) {
      throw new IllegalArgumentException(
          name + " must be from " + min + " to " + UINT32_MAX + " seconds, not " + seconds);
    }
    return seconds;
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
