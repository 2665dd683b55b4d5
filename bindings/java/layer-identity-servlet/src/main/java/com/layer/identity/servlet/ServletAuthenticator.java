package com.layer.identity.servlet;

import com.layer.identity.IdentityTokenRequest;
import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;
import java.util.Objects;
import java.util.Optional;

/**
 * Who the user of a request is, for {@link IdentityTokenServlet}: the application's own session
 * check. It gets the servlet request (its session, cookies, principal) and the request's
 * checked fields, and returns the app's user ID. One rule decides the answer:
 *
 * <ul>
 *   <li>a non-empty string: the token for that user ({@code 200});
 *   <li>{@code null} or {@code ""}: nobody is logged in ({@code 401 unauthenticated});
 *   <li>an exception: the check failed ({@code 401 unauthenticated}; logged, never shown to
 *       the client).
 * </ul>
 *
 * <pre>{@code
 * ServletAuthenticator authenticate = (request, fields) -> {
 *   HttpSession session = request.getSession(false);
 *   return session == null ? null : (String) session.getAttribute("userId");
 * };
 * }</pre>
 *
 * The return type is {@code String}, so the contract's "anything else is a 500" cannot happen
 * here; a check that returns an {@link Optional} fits through {@link #ofOptional}.
 */
@FunctionalInterface
public interface ServletAuthenticator {
  /**
   * The user ID of the logged-in user making {@code request}.
   *
   * @param request the servlet request, to read the session from
   * @param fields the request's fields, checked by the library
   * @return the user ID, or null (or {@code ""}) when nobody is logged in
   * @throws Exception when the request is not authenticated
   */
  String authenticate(HttpServletRequest request, IdentityTokenRequest fields) throws Exception;

  /**
   * The container's (or a security filter's) logged-in user: the name of {@link
   * HttpServletRequest#getUserPrincipal()}, or nobody ({@code 401}) when there is none. Spring
   * Security, Jakarta Security and container logins all set it.
   *
   * @return the authenticator
   */
  static ServletAuthenticator principal() {
    return (request, fields) -> {
      Principal principal = request.getUserPrincipal();
      return principal == null ? null : principal.getName();
    };
  }

  /**
   * An authenticator from a check that returns an {@link Optional}: empty means nobody is
   * logged in ({@code 401}).
   *
   * @param authenticate the check
   * @return the authenticator
   */
  static ServletAuthenticator ofOptional(OptionalAuthenticator authenticate) {
    Objects.requireNonNull(authenticate, "authenticate");
    return (request, fields) -> {
      Optional<String> userId = authenticate.authenticate(request, fields);
      return userId == null ? null : userId.orElse(null);
    };
  }

  /**
   * FOR DEMOS ONLY: trusts the {@code user_id} field of the request body ({@link
   * IdentityTokenRequest#userIdFromBody()}), so anyone can get a token for any user.
   *
   * @return the demo authenticator
   */
  static ServletAuthenticator trustingRequestBody() {
    return (request, fields) -> fields.userIdFromBody();
  }

  /** {@link ServletAuthenticator} returning an {@link Optional}, for {@link #ofOptional}. */
  @FunctionalInterface
  interface OptionalAuthenticator {
    /**
     * The user ID of the logged-in user making {@code request}.
     *
     * @param request the servlet request
     * @param fields the request's fields
     * @return the user ID, or empty when nobody is logged in
     * @throws Exception when the request is not authenticated
     */
    Optional<String> authenticate(HttpServletRequest request, IdentityTokenRequest fields)
        throws Exception;
  }
}
