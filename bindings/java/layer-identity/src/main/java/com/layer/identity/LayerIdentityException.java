package com.layer.identity;

import java.nio.charset.StandardCharsets;

/**
 * A failure reported by layer-identity: the {@link #status() status}, the library's {@link
 * #getMessage() message} (which names the argument or rule at fault, and never quotes a key or
 * a passphrase) and, when a token was rejected, Layer's {@link #eitCode() identifier} for the
 * rule it broke.
 *
 * <pre>{@code
 * try {
 *   LayerClaims claims = verifier.verify(token, VerifyOptions.builder().nonce(nonce).build());
 * } catch (LayerIdentityException e) {
 *   if (e.status() == LayerStatus.EXPIRED) ...
 *   log.warn("rejected ({}): {}", e.eitCode(), e.getMessage()); // eit_expired: ...
 * }
 * }</pre>
 *
 * <p>Arguments that Java's types already rule out fail before the library is called, in the
 * usual Java way: {@link NullPointerException} naming the parameter, {@link
 * IllegalArgumentException} for a value out of range, {@link IllegalStateException} for a
 * closed signer or verifier.
 */
public final class LayerIdentityException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  private final LayerStatus status;

  /** The rule a rejected token broke, or {@link LayerEit#NONE}. */
  private final LayerEit eit;

  /** Layer's identifier of that rule, or null. */
  private final String eitCode;

  /** Thrown by the JNI glue: the library's status, message and {@code layer_eit_name}. */
  LayerIdentityException(int status, byte[] message, int eit, byte[] eitName) {
    super(describe(status, message));
    LayerStatus known = LayerStatus.ofValue(status);
    this.status = known != null && known != LayerStatus.OK ? known : LayerStatus.INTERNAL;
    LayerEit knownEit = LayerEit.ofValue(eit);
    this.eit = knownEit != null ? knownEit : LayerEit.NONE;
    String name = eitName == null ? "" : new String(eitName, StandardCharsets.UTF_8);
    this.eitCode = name.isEmpty() ? null : name;
  }

  /** An error found by the binding itself (U+0000 or a lone surrogate in an argument). */
  LayerIdentityException(LayerStatus status, String message) {
    super(message);
    this.status = status;
    this.eit = LayerEit.NONE;
    this.eitCode = null;
  }

  private static String describe(int status, byte[] message) {
    String text =
        message == null || message.length == 0
            ? "(no message)"
            : new String(message, StandardCharsets.UTF_8);
    LayerStatus known = LayerStatus.ofValue(status);
    return known != null && known != LayerStatus.OK
        ? text
        : "status " + status + " unknown to this binding: " + text;
  }

  /** {@return what went wrong, as the library's status} */
  public LayerStatus status() {
    return status;
  }

  /** {@return the status' C name, e.g. {@code "LAYER_ERR_EXPIRED"}} */
  public String statusName() {
    return status.cName();
  }

  /**
   * Layer's identifier for the rule a rejected token broke, e.g. {@code "eit_expired"} (the
   * message starts with it too), or {@code null} when the failure is not about a token.
   *
   * @return the identifier, or null
   */
  public String eitCode() {
    return eitCode;
  }

  /** {@return the same identifier as an enum; {@link LayerEit#NONE} when {@link #eitCode()} is null} */
  public LayerEit eit() {
    return eit;
  }

  /** The class, the status name and the message. */
  @Override
  public String toString() {
    return getClass().getName() + ": " + statusName() + ": " + getMessage();
  }
}
