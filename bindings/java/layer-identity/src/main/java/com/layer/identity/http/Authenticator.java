package com.layer.identity.http;

import com.layer.identity.IdentityTokenRequest;
import com.sun.net.httpserver.HttpExchange;
import java.util.Objects;
import java.util.Optional;

/**
 * Who the user of a request is: the application's own session check for {@link
 * IdentityTokenHandler}. It gets the exchange (headers, cookies, the authenticated principal of
 * an {@code HttpsServer} or a filter) and the request's checked fields, and returns the app's
 * user ID. One rule decides the answer:
 *
 * <ul>
 *   <li>a non-empty string: the token for that user ({@code 200});
 *   <li>{@code null} or {@code ""}: nobody is logged in ({@code 401 unauthenticated});
 *   <li>an exception: the check failed ({@code 401 unauthenticated}; the exception is logged,
 *       never shown to the client).
 * </ul>
 *
 * <pre>{@code
 * Authenticator authenticate = (exchange, request) ->
 *     sessions.userIdOf(exchange.getRequestHeaders().getFirst("Cookie")); // null: no session
 * }</pre>
 *
 * A check that returns an {@link Optional} fits through {@link #ofOptional}. The return type
 * is {@code String}, so the contract's "anything else is a 500" cannot happen here (the
 * compiler refuses it); it applies to {@link com.layer.identity.LayerExchange}'s own {@code
 * Object}-returning authenticate.
 */
@FunctionalInterface
public interface Authenticator {
  /**
   * The user ID of the logged-in user making {@code request}.
   *
   * @param exchange the HTTP exchange, to read the session from
   * @param request the request's fields, checked by the library
   * @return the user ID, or null (or {@code ""}) when nobody is logged in
   * @throws Exception when the request is not authenticated
   */
  String authenticate(HttpExchange exchange, IdentityTokenRequest request) throws Exception;

  /**
   * An authenticator from a check that returns an {@link Optional}: empty means nobody is
   * logged in ({@code 401}).
   *
   * @param authenticate the check
   * @return the authenticator
   */
  static Authenticator ofOptional(OptionalAuthenticator authenticate) {
    Objects.requireNonNull(authenticate, "authenticate");
    return (exchange, request) -> {
      Optional<String> userId = authenticate.authenticate(exchange, request);
      return userId == null ? null : userId.orElse(null);
    };
  }

  /**
   * FOR DEMOS ONLY: trusts the {@code user_id} field of the request body ({@link
   * IdentityTokenRequest#userIdFromBody()}), so anyone can get a token for any user. The
   * sample backend uses it; replace it with your own session check.
   *
   * @return the demo authenticator
   */
  static Authenticator trustingRequestBody() {
    return (exchange, request) -> request.userIdFromBody();
  }

  /** {@link Authenticator} returning an {@link Optional}, for {@link #ofOptional}. */
  @FunctionalInterface
  interface OptionalAuthenticator {
    /**
     * The user ID of the logged-in user making {@code request}.
     *
     * @param exchange the HTTP exchange
     * @param request the request's fields
     * @return the user ID, or empty when nobody is logged in
     * @throws Exception when the request is not authenticated
     */
    Optional<String> authenticate(HttpExchange exchange, IdentityTokenRequest request)
        throws Exception;
  }
}
