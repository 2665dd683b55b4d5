package com.layer.identity.http;

import com.layer.identity.LayerExchange;
import com.layer.identity.LayerSigner;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The identity-token endpoint for the JDK's {@code com.sun.net.httpserver}: {@code POST
 * /identity-token} with the nonce from the Layer client SDK (JSON or form-encoded) answers
 * {@code {"identity_token": "..."}} for the user that {@code authenticate} names; {@code GET
 * /healthz} answers {@code {"status":"ok"}}; every other request gets the contract's error
 * (404, 405, 415, 413, 400, 401, 500). The library decides every answer ({@link
 * LayerExchange}): this handler moves bytes and calls {@code authenticate}.
 *
 * <pre>{@code
 * HttpServer server = IdentityTokenHandler.createServer(
 *     new InetSocketAddress("127.0.0.1", 8080), signer,
 *     (exchange, request) -> sessions.userIdOf(exchange));   // null: nobody is logged in
 * server.start();
 * }</pre>
 *
 * <p><b>Your own {@code HttpServer}.</b> Mount the handler with {@code
 * server.createContext("/", handler)} (or under a prefix: {@code createContext("/auth", ...)}
 * serves {@code /auth/identity-token}), give the server an executor so that a slow client does
 * not hold up the others, and start the JVM with {@code -Dsun.net.httpserver.nodelay=true}
 * (or call {@link #configureJdkHttpServer()} before the first {@code HttpServer.create}): without
 * {@code TCP_NODELAY} the JDK's server answers a keep-alive client only after the client's
 * delayed acknowledgment, about 40 ms per request (Nagle's algorithm). The same method sets
 * {@code sun.net.httpserver.drainAmount=0}, so that a connection whose body the endpoint did
 * not read (a 413 from the declared length, a 404 with a body) is closed at once instead of
 * waiting for bytes the client may never send. The JDK reads both properties once, when its
 * server class is first used; the handler logs a warning when it finds {@code nodelay} unset.
 *
 * <p>The handler is thread-safe and keeps no state of its own.
 */
public final class IdentityTokenHandler implements HttpHandler {
  /** {@value}: the JDK server's switch for {@code TCP_NODELAY} on accepted connections. */
  public static final String NODELAY_PROPERTY = "sun.net.httpserver.nodelay";

  /** {@value}: how much of an unread request body the JDK server drains before reuse. */
  public static final String DRAIN_AMOUNT_PROPERTY = "sun.net.httpserver.drainAmount";

  private static final System.Logger LOG = System.getLogger("com.layer.identity.http");
  private static final AtomicBoolean WARNED = new AtomicBoolean();

  private final LayerSigner signer;
  private final Authenticator authenticate;

  /**
   * A handler that signs with {@code signer} for the users {@code authenticate} names.
   *
   * @param signer signs every token (created once, at start-up; not closed by the handler)
   * @param authenticate the app's session check: the user ID of a request, or null
   */
  public IdentityTokenHandler(LayerSigner signer, Authenticator authenticate) {
    this.signer = Objects.requireNonNull(signer, "signer");
    this.authenticate = Objects.requireNonNull(authenticate, "authenticate");
    if (!Boolean.getBoolean(NODELAY_PROPERTY) && !WARNED.getAndSet(true)) {
      LOG.log(
          Level.WARNING,
          "identity-token endpoint: -D"
              + NODELAY_PROPERTY
              + "=true is not set: the JDK's HttpServer then answers keep-alive clients about"
              + " 40 ms late (Nagle's algorithm); set it, or call"
              + " IdentityTokenHandler.configureJdkHttpServer() before HttpServer.create");
    }
  }

  /**
   * Sets the JDK server's properties this endpoint needs, unless they are set already: {@code
   * sun.net.httpserver.nodelay=true} and {@code sun.net.httpserver.drainAmount=0}. Call it
   * before the first {@code HttpServer.create} of the JVM: the JDK reads them once.
   */
  public static void configureJdkHttpServer() {
    if (System.getProperty(NODELAY_PROPERTY) == null) {
      System.setProperty(NODELAY_PROPERTY, "true");
    }
    if (System.getProperty(DRAIN_AMOUNT_PROPERTY) == null) {
      System.setProperty(DRAIN_AMOUNT_PROPERTY, "0");
    }
  }

  /**
   * A JDK {@code HttpServer} bound to {@code address} with the endpoint at {@code /}, a thread
   * per concurrent request (a cached pool of daemon threads), {@code TCP_NODELAY} ({@link
   * #configureJdkHttpServer()}) and a backlog of 128. Not started: call {@code start()}, and
   * {@code stop(seconds)} when done.
   *
   * @param address where to listen
   * @param signer signs every token
   * @param authenticate the app's session check
   * @return the server, not started
   * @throws IOException when the address cannot be bound (in use, say)
   */
  public static HttpServer createServer(
      InetSocketAddress address, LayerSigner signer, Authenticator authenticate)
      throws IOException {
    Objects.requireNonNull(address, "address");
    configureJdkHttpServer();
    IdentityTokenHandler handler = new IdentityTokenHandler(signer, authenticate);
    HttpServer server = HttpServer.create(address, 128);
    AtomicInteger threads = new AtomicInteger();
    ExecutorService executor =
        Executors.newCachedThreadPool(
            runnable -> {
              Thread thread =
                  new Thread(runnable, "layer-identity-http-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    server.setExecutor(executor);
    server.createContext("/", handler);
    return server;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try {
      Headers request = exchange.getRequestHeaders();
      try (LayerExchange contract =
          LayerExchange.start(
              exchange.getRequestMethod(),
              target(exchange),
              request.getFirst("Content-Type"),
              request.getFirst("Content-Length"))) {
        LayerExchange.Response answer;
        try {
          answer =
              contract.run(
                  exchange.getRequestBody(),
                  signer,
                  fields -> authenticate.authenticate(exchange, fields));
        } catch (RuntimeException e) { // a bug: the client still gets the contract's 500
          LOG.log(Level.ERROR, "identity-token endpoint: unexpected failure", e);
          contract.fail("unexpected failure: " + e);
          answer = contract.response();
        }
        send(exchange, answer);
      }
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "identity-token endpoint: connection failed", e);
    } finally {
      exchange.close();
    }
  }

  /**
   * The request target as received, relative to the context the handler is mounted at. The
   * JDK matches a context by string prefix ({@code /layer} matches {@code
   * /layeridentity-token}); what follows the context without a {@code /} is passed on as it
   * is, a path the library does not know (404).
   */
  static String target(HttpExchange exchange) {
    return relativeTarget(
        exchange.getRequestURI().toString(), exchange.getHttpContext().getPath());
  }

  static String relativeTarget(String target, String context) {
    if (context.equals("/")) {
      return target;
    }
    String mount = context.endsWith("/") ? context.substring(0, context.length() - 1) : context;
    int at = 0;
    int scheme = target.indexOf("://");
    if (!target.startsWith("/") && scheme > 0) { // absolute-form: http://host/path
      int slash = target.indexOf('/', scheme + 3);
      at = slash < 0 ? target.length() : slash;
    }
    return target.startsWith(mount, at) ? target.substring(at + mount.length()) : "";
  }

  private static void send(HttpExchange exchange, LayerExchange.Response answer)
      throws IOException {
    if (!answer.closesConnection()) {
      // Nothing of the request is left on the connection (no body, or all of it read), but
      // the JDK's stream learns that only by reading its end; with drainAmount=0 it would
      // otherwise close the connection, dropping requests pipelined behind this one.
      exchange.getRequestBody().read();
    }
    Headers headers = exchange.getResponseHeaders();
    for (Map.Entry<String, String> header : answer.headers().entrySet()) {
      headers.set(header.getKey(), header.getValue());
    }
    if (exchange.getRequestMethod().equals("HEAD") || answer.bodyLength() == 0) {
      exchange.sendResponseHeaders(answer.status(), -1);
      return;
    }
    exchange.sendResponseHeaders(answer.status(), answer.bodyLength());
    OutputStream out = exchange.getResponseBody();
    answer.writeBody(out);
    out.flush(); // all of it before the server drains or closes an unread request
  }
}
