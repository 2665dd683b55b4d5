package com.layer.identity.http;

import com.sun.net.httpserver.HttpExchange;

/**
 * Who the user of a request is: the application's own session check. It gets the exchange
 * (headers, cookies, the authenticated principal of an {@code HttpsServer} or filter) and the
 * request's checked fields, and returns the app's user ID. It fails by throwing: the endpoint
 * then answers {@code 401 unauthenticated} and logs the exception, never showing it to the
 * client.
 *
 * <pre>{@code
 * Authenticator authenticate = (exchange, request) -> {
 *   Session session = sessions.find(exchange.getRequestHeaders().getFirst("Cookie"));
 *   if (session == null) throw new SecurityException("no session");
 *   return session.userId();
 * };
 * }</pre>
 */
@FunctionalInterface
public interface Authenticator {
  /**
   * The user ID of the logged-in user making {@code request}.
   *
   * @throws Exception when the request is not authenticated
   */
  String authenticate(HttpExchange exchange, IdentityTokenRequest request) throws Exception;

  /**
   * FOR DEMOS ONLY: trusts the {@code user_id} field of the request body, so anyone can get a
   * token for any user. The sample backend uses it; replace it with your own session check.
   * Its {@code user_id} is checked with the rules of the other fields (400, not 401).
   */
  static Authenticator trustingRequestBody() {
    return (exchange, request) -> request.bodyUserId();
  }
}
