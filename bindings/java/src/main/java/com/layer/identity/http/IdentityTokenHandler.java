package com.layer.identity.http;

import com.layer.identity.LayerIdentityException;
import com.layer.identity.LayerSigner;
import com.layer.identity.LayerStatus;
import com.layer.identity.SignRequest;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * The identity-token endpoint for {@code com.sun.net.httpserver}: {@code POST /identity-token}
 * with the nonce from the Layer client SDK (JSON or form-encoded) answers {@code
 * {"identity_token": "..."}} for the user that {@code authenticate} names; {@code GET
 * /healthz} answers {@code {"status":"ok"}}. Every other request, and every bad one, gets the
 * contract's error ({@code tests/endpoint/README.md}): 404, 405 with {@code Allow}, 415, 413,
 * 400 {@code invalid_json} / {@code missing_field} / {@code invalid_field}, 401 {@code
 * unauthenticated}, 500 {@code server_error} (details only in the log, logger {@code
 * com.layer.identity.http}).
 *
 * <pre>{@code
 * HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 8080), 128);
 * server.createContext("/", new IdentityTokenHandler(signer, (exchange, request) ->
 *     sessions.userIdOf(exchange)));   // your own session check; throw when there is none
 * server.setExecutor(Executors.newCachedThreadPool());
 * server.start();
 * }</pre>
 *
 * Mounted under a context other than {@code /}, the routes are relative to it ({@code
 * createContext("/auth", ...)} serves {@code /auth/identity-token}). The handler is thread-safe
 * and keeps no state of its own; give the server an executor, so that a slow client does not
 * hold up the others. A response to a request whose body was not used (404, 405, 413, 415)
 * says {@code Connection: close}. The handler reads and discards such a body first when it is
 * at most {@link #DISCARD_LIMIT_BYTES} (as Go's net/http does), so that the client reads the
 * response instead of a connection reset: closing a socket with unread data resets it. With
 * {@code -Dsun.net.httpserver.drainAmount=0} (set before the first server is created) the JDK's
 * server then closes a connection with a larger or a declared-but-unsent body at once, instead
 * of waiting for up to 64 KiB that the client may never send.
 */
public final class IdentityTokenHandler implements HttpHandler {
  /** The largest body accepted, in bytes. */
  public static final int MAX_BODY_BYTES = 65536;

  /** The most of an unused request body read and discarded before an error response. */
  public static final int DISCARD_LIMIT_BYTES = 256 * 1024;

  private static final System.Logger LOG = System.getLogger("com.layer.identity.http");

  private final LayerSigner signer;
  private final Authenticator authenticate;

  /**
   * @param signer signs every token (created once, at start-up; not closed by the handler)
   * @param authenticate the app's session check: the user ID of a request, or an exception
   */
  public IdentityTokenHandler(LayerSigner signer, Authenticator authenticate) {
    this.signer = Objects.requireNonNull(signer, "signer");
    this.authenticate = Objects.requireNonNull(authenticate, "authenticate");
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try {
      route(exchange);
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "identity-token endpoint: connection failed", e);
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "identity-token endpoint: unexpected failure", e);
      if (exchange.getResponseCode() == -1) { // nothing sent yet: the client still gets JSON
        try {
          serverError(exchange);
        } catch (IOException | RuntimeException ignored) {
          // the connection is gone; the log has the cause
        }
      }
    } finally {
      exchange.close();
    }
  }

  private void route(HttpExchange exchange) throws IOException {
    String path = path(exchange);
    String method = exchange.getRequestMethod();
    if (path.equals("/healthz")) {
      if (method.equals("GET") || method.equals("HEAD")) {
        send(exchange, 200, "{\"status\":\"ok\"}", false);
      } else {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        error(exchange, 405, "method_not_allowed", "use GET or HEAD", true);
      }
      return;
    }
    if (!path.equals("/identity-token")) {
      error(exchange, 404, "not_found", "not found", true);
      return;
    }
    if (!method.equals("POST")) {
      exchange.getResponseHeaders().set("Allow", "POST");
      error(exchange, 405, "method_not_allowed", "use POST", true);
      return;
    }
    Boolean json = mediaType(exchange.getRequestHeaders().getFirst("Content-Type"));
    if (json == null) {
      error(
          exchange,
          415,
          "unsupported_media_type",
          "Content-Type must be application/json or application/x-www-form-urlencoded"
              + " (charset utf-8)",
          true);
      return;
    }
    byte[] body = readBody(exchange);
    if (body == null) {
      error(
          exchange,
          413,
          "body_too_large",
          "the body is larger than " + MAX_BODY_BYTES + " bytes",
          true);
      return;
    }
    RequestBody fields;
    try {
      fields = json ? RequestBody.json(body) : RequestBody.form(body);
    } catch (RequestBody.BodyError e) {
      error(exchange, 400, "invalid_json", e.getMessage(), false);
      return;
    }
    IdentityTokenRequest request;
    try {
      request = new IdentityTokenRequest(fields);
    } catch (RequestBody.FieldError e) {
      error(exchange, 400, e.code, e.getMessage(), false);
      return;
    }
    String userId;
    try {
      userId = authenticate.authenticate(exchange, request);
    } catch (RequestBody.FieldError e) { // the demo authenticator's user_id
      error(exchange, 400, e.code, e.getMessage(), false);
      return;
    } catch (Exception e) {
      LOG.log(Level.INFO, "identity-token endpoint: authentication failed: " + e);
      error(exchange, 401, "unauthenticated", "authentication required", false);
      return;
    }
    if (userId == null || userId.isEmpty()) {
      LOG.log(
          Level.ERROR,
          "identity-token endpoint: the authenticate function returned "
              + (userId == null ? "null" : "an empty string")
              + " instead of a user ID");
      serverError(exchange);
      return;
    }
    String token;
    try {
      SignRequest.Builder sign = SignRequest.builder(userId, request.nonce());
      request.firstName().ifPresent(sign::firstName);
      request.lastName().ifPresent(sign::lastName);
      request.displayName().ifPresent(sign::displayName);
      request.avatarUrl().ifPresent(sign::avatarUrl);
      token = signer.sign(sign.build());
    } catch (LayerIdentityException e) {
      if (e.status() == LayerStatus.INVALID_ARGUMENT) {
        error(exchange, 400, "invalid_field", e.getMessage(), false);
      } else {
        LOG.log(Level.ERROR, "identity-token endpoint: signing failed: " + e);
        serverError(exchange);
      }
      return;
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "identity-token endpoint: signing failed", e);
      serverError(exchange);
      return;
    }
    StringBuilder out = new StringBuilder("{\"identity_token\":");
    Json.writeString(out, token);
    send(exchange, 200, out.append('}').toString(), false);
  }

  /** The request target up to the first {@code ?}, as received, relative to the context. */
  private static String path(HttpExchange exchange) {
    String target = exchange.getRequestURI().toString();
    if (exchange.getRequestURI().isAbsolute()) { // absolute-form: http://host/path
      target = exchange.getRequestURI().getRawPath();
      if (exchange.getRequestURI().getRawQuery() != null) {
        target += "?" + exchange.getRequestURI().getRawQuery();
      }
    }
    int query = target.indexOf('?');
    String path = query < 0 ? target : target.substring(0, query);
    String context = exchange.getHttpContext().getPath();
    if (!context.equals("/") && path.startsWith(context)) {
      path = path.substring(context.length());
      if (!path.startsWith("/")) {
        path = "/" + path;
      }
    }
    return path;
  }

  /** TRUE for JSON, FALSE for a form, null for anything else (415). */
  static Boolean mediaType(String contentType) {
    if (contentType == null) {
      return null;
    }
    String[] parts = contentType.split(";", -1);
    String type = parts[0].trim().toLowerCase(Locale.ROOT);
    Boolean json =
        type.equals("application/json")
            ? Boolean.TRUE
            : type.equals("application/x-www-form-urlencoded") ? Boolean.FALSE : null;
    if (json == null) {
      return null;
    }
    for (int i = 1; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      if (eq < 0) {
        continue;
      }
      String name = parts[i].substring(0, eq).trim();
      if (!name.equalsIgnoreCase("charset")) {
        continue;
      }
      String value = parts[i].substring(eq + 1).trim();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        value = value.substring(1, value.length() - 1);
      }
      if (!value.equalsIgnoreCase("utf-8")) {
        return null;
      }
    }
    return json;
  }

  /**
   * The body, or null when it is larger than {@link #MAX_BODY_BYTES} (413; the stream is left
   * open for {@link #discardUnusedBody}).
   */
  private static byte[] readBody(HttpExchange exchange) throws IOException {
    if (declaredLength(exchange) > MAX_BODY_BYTES) {
      return null;
    }
    InputStream in = exchange.getRequestBody();
    byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
    if (body.length > MAX_BODY_BYTES) {
      return null;
    }
    in.close();
    return body;
  }

  /** The request's Content-Length, or -1 when it has none (a chunked or empty body). */
  private static long declaredLength(HttpExchange exchange) {
    String declared = exchange.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      try {
        return Long.parseLong(declared.trim());
      } catch (NumberFormatException e) {
        // the server has already refused a malformed Content-Length
      }
    }
    return -1;
  }

  /**
   * Reads and discards what the client sends of a body the handler does not use, up to {@link
   * #DISCARD_LIMIT_BYTES}: a body the client has finished sending lets the connection close
   * cleanly. A body declared larger is not waited for (the client may never send it).
   */
  private static void discardUnusedBody(HttpExchange exchange) {
    if (declaredLength(exchange) > DISCARD_LIMIT_BYTES) {
      return;
    }
    byte[] buffer = new byte[8192];
    try {
      InputStream in = exchange.getRequestBody();
      long discarded = 0;
      int n;
      while (discarded <= DISCARD_LIMIT_BYTES && (n = in.read(buffer)) > 0) {
        discarded += n;
      }
    } catch (IOException e) {
      // the client is gone or the stream was already read to its end: nothing to protect
    }
  }

  private static void serverError(HttpExchange exchange) throws IOException {
    error(exchange, 500, "server_error", "could not create the identity token", false);
  }

  private static void error(
      HttpExchange exchange, int status, String code, String message, boolean unread)
      throws IOException {
    StringBuilder out = new StringBuilder("{\"error\":{\"code\":");
    Json.writeString(out, code);
    out.append(",\"message\":");
    Json.writeString(out, message);
    send(exchange, status, out.append("}}").toString(), unread);
  }

  private static void send(HttpExchange exchange, int status, String json, boolean unread)
      throws IOException {
    Headers headers = exchange.getResponseHeaders();
    headers.set("Content-Type", "application/json; charset=utf-8");
    headers.set("Cache-Control", "no-store");
    if (unread) {
      discardUnusedBody(exchange);
      headers.set("Connection", "close"); // the body was not used: do not reuse the connection
    }
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, bytes.length);
    OutputStream out = exchange.getResponseBody();
    out.write(bytes);
    out.flush(); // all of it before the server drains or closes the unread request
  }
}
