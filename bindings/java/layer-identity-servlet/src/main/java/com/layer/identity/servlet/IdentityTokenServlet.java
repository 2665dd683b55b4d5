package com.layer.identity.servlet;

import com.layer.identity.LayerExchange;
import com.layer.identity.LayerSigner;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletMapping;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.MappingMatch;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.Objects;

/**
 * The identity-token endpoint as a Jakarta Servlet (Servlet 6), for any container: {@code POST
 * .../identity-token} with the nonce from the Layer client SDK answers {@code
 * {"identity_token": "..."}} for the user that {@code authenticate} names, {@code GET
 * .../healthz} answers {@code {"status":"ok"}}, and every other request the contract's error.
 * The library decides every answer ({@link LayerExchange}): the servlet moves bytes and calls
 * {@code authenticate}.
 *
 * <pre>{@code
 * ServletRegistration.Dynamic endpoint = servletContext.addServlet("layer-identity",
 *     new IdentityTokenServlet(signer, ServletAuthenticator.principal()));
 * endpoint.addMapping("/layer/*");   // POST /layer/identity-token, GET /layer/healthz
 * }</pre>
 *
 * <p><b>Where it answers.</b> The routes are relative to where the servlet is mapped, read from
 * the request's {@link HttpServletMapping} and matched against the request URI as received (not
 * decoded): a path mapping {@code /layer/*} serves {@code /layer/identity-token}; exact mappings
 * {@code /api/identity-token} and {@code /api/healthz} serve those paths; {@code /} or {@code
 * /*} serve the routes at the context's root. The context path is always part of the mount, so
 * a servlet in context {@code /layer} never sees {@code /layeridentity-token}.
 *
 * <p><b>In a {@code web.xml} or {@code @WebServlet} deployment</b> the no-argument constructor
 * is used: the signer comes from the {@code LAYER_*} environment variables ({@link
 * LayerSigner#fromEnv}) and the user from the container's login ({@link
 * ServletAuthenticator#principal()}), or from the class named by the init parameter {@value
 * #AUTHENTICATOR_PARAMETER} (a {@link ServletAuthenticator} with a public no-argument
 * constructor).
 *
 * <p>A request body that another layer has already read (a filter that called {@code
 * getParameter} on a form post) cannot be read again: the answer is {@code 500}, and the log says
 * why.
 */
public class IdentityTokenServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  /** {@value}: the init parameter naming a {@link ServletAuthenticator} class. */
  public static final String AUTHENTICATOR_PARAMETER = "authenticator";

  private static final System.Logger LOG = System.getLogger("com.layer.identity.http");

  private transient LayerSigner signer;
  private transient ServletAuthenticator authenticate;
  private transient boolean ownsSigner;

  /**
   * A servlet configured at {@link #init()}: a signer from the environment, the user from the
   * init parameter's authenticator or the container's principal.
   */
  public IdentityTokenServlet() {}

  /**
   * A servlet that signs with {@code signer} for the users {@code authenticate} names.
   *
   * @param signer signs every token (not closed by the servlet)
   * @param authenticate the application's session check
   */
  public IdentityTokenServlet(LayerSigner signer, ServletAuthenticator authenticate) {
    this.signer = Objects.requireNonNull(signer, "signer");
    this.authenticate = Objects.requireNonNull(authenticate, "authenticate");
  }

  @Override
  public void init() throws ServletException {
    if (authenticate == null) {
      String name = getInitParameter(AUTHENTICATOR_PARAMETER);
      if (name == null || name.isEmpty()) {
        authenticate = ServletAuthenticator.principal();
      } else {
        try {
          authenticate =
              Class.forName(name, true, Thread.currentThread().getContextClassLoader())
                  .asSubclass(ServletAuthenticator.class)
                  .getConstructor()
                  .newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
          throw new ServletException(
              AUTHENTICATOR_PARAMETER
                  + " must name a ServletAuthenticator with a public no-argument constructor",
              e);
        }
      }
    }
    if (signer == null) {
      signer = LayerSigner.fromEnv(); // a bad configuration fails the deployment, by name
      ownsSigner = true;
    }
  }

  @Override
  public void destroy() {
    if (ownsSigner) {
      signer.close();
    }
  }

  /** Every method goes to the library (405 with {@code Allow} is its answer, not the servlet's). */
  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    try (LayerExchange contract =
        LayerExchange.start(
            request.getMethod(),
            target(request),
            request.getHeader("Content-Type"),
            request.getHeader("Content-Length"))) {
      LayerExchange.Response answer;
      try {
        answer = answer(contract, request);
      } catch (RuntimeException e) { // a bug: the client still gets the contract's 500
        LOG.log(Level.ERROR, "identity-token endpoint: unexpected failure", e);
        contract.fail("unexpected failure: " + e);
        answer = contract.response();
      }
      send(response, answer);
    }
  }

  private LayerExchange.Response answer(LayerExchange contract, HttpServletRequest request)
      throws IOException {
    if (contract.step() == LayerExchange.Step.READ_BODY) {
      byte[] body = request.getInputStream().readNBytes(LayerExchange.MAX_BODY_BYTES + 1);
      if (body.length == 0 && request.getContentLengthLong() > 0) {
        contract.fail(
            "the request body was read before the endpoint (by a filter that called"
                + " getParameter or getInputStream?): it cannot be read again");
        return contract.response();
      }
      contract.putBody(body, body.length);
    }
    return contract.run(
        request.getInputStream(), signer, fields -> authenticate.authenticate(request, fields));
  }

  /**
   * The request target as received (not decoded), relative to where the servlet is mapped;
   * the empty string (a 404) when the URI does not start with the mount point as received.
   */
  static String target(HttpServletRequest request) {
    String mount = request.getContextPath() + mountWithinContext(request.getHttpServletMapping());
    String uri = request.getRequestURI();
    String path = uri.startsWith(mount) ? uri.substring(mount.length()) : "";
    String query = request.getQueryString();
    return query == null ? path : path + "?" + query;
  }

  /** The servlet's mount point within its context, from the mapping that matched. */
  static String mountWithinContext(HttpServletMapping mapping) {
    if (mapping == null || mapping.getMappingMatch() == null) {
      return "";
    }
    String pattern = mapping.getPattern();
    if (mapping.getMappingMatch() == MappingMatch.PATH) { // "/layer/*": "/layer"
      return pattern.substring(0, pattern.length() - 2);
    }
    if (mapping.getMappingMatch() == MappingMatch.EXACT) { // "/api/healthz": "/api"
      return pattern.substring(0, pattern.lastIndexOf('/'));
    }
    return ""; // "/", "", "*.ext": the context's root
  }

  private static void send(HttpServletResponse response, LayerExchange.Response answer)
      throws IOException {
    response.setStatus(answer.status());
    for (Map.Entry<String, String> header : answer.headers().entrySet()) {
      response.setHeader(header.getKey(), header.getValue());
    }
    if (answer.bodyLength() > 0) {
      response.setContentLength(answer.bodyLength());
      answer.writeBody(response.getOutputStream());
    }
    response.flushBuffer(); // all of it before the container closes an unread request
  }
}
