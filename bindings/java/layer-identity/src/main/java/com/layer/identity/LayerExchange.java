package com.layer.identity;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One request to the identity-token endpoint on its way through the library's HTTP contract,
 * without any I/O of its own (like h11 or rustls): the adapter for a web server gives it what
 * the server read, calls the application's {@code authenticate}, and writes the answer it
 * gets. Every rule of the contract (routes, methods, media types, sizes, the body's parsing,
 * the fields, the answers) is the library's; the adapter parses nothing.
 *
 * <pre>{@code
 * try (LayerExchange exchange = LayerExchange.start(method, target, contentType, contentLength)) {
 *   LayerExchange.Response answer =
 *       exchange.run(requestBody, signer, request -> sessions.userIdOf(httpRequest));
 *   // write answer.status(), answer.headers(), answer.body();
 *   // close the connection afterwards when answer.closesConnection()
 * }
 * }</pre>
 *
 * The adapters of this library ({@code IdentityTokenHandler} for the JDK's {@code HttpServer},
 * {@code IdentityTokenServlet} for Servlet containers and Spring Boot) are written this way;
 * {@link #run} is steps {@link Step#READ_BODY} and {@link Step#AUTHENTICATE} in one call, for
 * servers with a blocking {@link InputStream}, and the step methods are there for the others.
 *
 * <p>An exchange is used by one thread at a time and closed once ({@link #close()}; a {@link
 * java.lang.ref.Cleaner} frees a forgotten one). After {@code close()} every method throws
 * {@link IllegalStateException}.
 */
public final class LayerExchange implements AutoCloseable {
  /** {@code LAYER_ENDPOINT_MAX_BODY_BYTES}: the largest request body the endpoint reads. */
  public static final int MAX_BODY_BYTES = 65536;

  /** The outcomes of {@code authenticate} ({@code LayerAuthOutcome}). */
  private static final int AUTH_USER = 1;

  private static final int AUTH_NONE = 2;
  private static final int AUTH_FAILED = 3;
  private static final int AUTH_NOT_A_USER_ID = 4;

  /** {@code LayerField} indexes. */
  private static final int FIELD_COUNT = 6;

  private static final System.Logger LOG = System.getLogger("com.layer.identity.http");

  /** What the server does next with an exchange ({@code LayerExchangeStep}). */
  public enum Step {
    /**
     * Read the body until it ends or more than {@link #MAX_BODY_BYTES} bytes have arrived,
     * then {@link #putBody}.
     */
    READ_BODY,
    /** Call the application's authenticate with {@link #request()}, then {@link #finish}. */
    AUTHENTICATE,
    /** Write the {@link #response()}. */
    RESPOND
  }

  /**
   * The application's {@code authenticate}, as {@link #run} and {@link #finish} call it: the
   * user ID of the request's logged-in user.
   */
  @FunctionalInterface
  public interface Authentication {
    /**
     * Names the user, by the library's one rule: a non-empty {@code String} is a user ID and
     * gets a token; {@code null}, an empty {@link Optional} or {@code ""} is nothing ({@code
     * 401}); an exception is a failure ({@code 401}, logged); anything else is the
     * application's bug ({@code 500}, logged). An {@link Optional} holding a value counts as
     * that value.
     *
     * @param request the request's fields, checked by the library
     * @return the user ID, or nothing
     * @throws Exception when the request is not authenticated
     */
    Object authenticate(IdentityTokenRequest request) throws Exception;
  }

  private final NativeHandle handle;
  private IdentityTokenRequest request;

  private LayerExchange(long address) {
    this.handle = new NativeHandle(this, "LayerExchange", address, Native::exchangeFree);
  }

  /**
   * Starts an exchange with the request head exactly as the server received it.
   *
   * @param method the request method, e.g. {@code POST}
   * @param target the request target relative to where the endpoint is mounted: {@code
   *     /identity-token?query}, or an absolute {@code http://host/identity-token}
   * @param contentType the {@code Content-Type} header's value, null when there is none
   * @param contentLength the {@code Content-Length} header's value, null when there is none
   * @return the exchange, at {@link Step#READ_BODY} or, when the head decides, {@link
   *     Step#RESPOND}
   * @throws NullPointerException when the method or the target is null
   */
  public static LayerExchange start(
      byte[] method, byte[] target, byte[] contentType, byte[] contentLength) {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(target, "target");
    NativeLibrary.ensureLoaded();
    long address = Native.exchangeNew(method, target, contentType, contentLength);
    try {
      return new LayerExchange(address);
    } catch (RuntimeException | Error e) {
      Native.exchangeFree(address);
      throw e;
    }
  }

  /**
   * {@link #start(byte[], byte[], byte[], byte[])} with the head as the strings Java servers
   * give: each character up to U+00FF is the byte the server read (HTTP's header octets, as
   * the JDK's server and Tomcat decode them), any other character its UTF-8 bytes (as servers
   * that decode header values as UTF-8 give them).
   *
   * @param method the request method
   * @param target the request target relative to the mount point
   * @param contentType the {@code Content-Type} value, or null
   * @param contentLength the {@code Content-Length} value, or null
   * @return the exchange
   */
  public static LayerExchange start(
      String method, String target, String contentType, String contentLength) {
    return start(
        octets(Objects.requireNonNull(method, "method")),
        octets(Objects.requireNonNull(target, "target")),
        octets(contentType),
        octets(contentLength));
  }

  private static byte[] octets(String value) {
    if (value == null) {
      return null;
    }
    int length = value.length();
    for (int i = 0; i < length; i++) {
      if (value.charAt(i) > 0xFF) {
        return Utf8.encode(value);
      }
    }
    return value.getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * What the server does next.
   *
   * @return the step
   */
  public Step step() {
    long address = handle.acquire();
    try {
      return step(Native.exchangeStep(address));
    } finally {
      handle.release();
    }
  }

  private static Step step(int value) {
    switch (value) {
      case 1:
        return Step.READ_BODY;
      case 2:
        return Step.AUTHENTICATE;
      default:
        return Step.RESPOND;
    }
  }

  /**
   * Gives the body (step {@link Step#READ_BODY}): every byte read, up to {@link
   * #MAX_BODY_BYTES} + 1 (more means 413). The library parses it and checks the fields.
   *
   * @param body the bytes read
   * @param length how many of them
   * @return the next step: {@link Step#AUTHENTICATE}, or {@link Step#RESPOND} (400, 413)
   * @throws LayerIdentityException {@link LayerStatus#INVALID_ARGUMENT} at another step
   */
  public Step putBody(byte[] body, int length) {
    Objects.requireNonNull(body, "body");
    Objects.checkFromIndexSize(0, length, body.length);
    long address = handle.acquire();
    try {
      return step(Native.exchangePutBody(address, body, length));
    } finally {
      handle.release();
    }
  }

  /**
   * Reads the body from {@code in} until it ends or more than {@link #MAX_BODY_BYTES} bytes
   * have arrived (never more than one byte past the limit), and gives it to {@link #putBody}.
   *
   * @param in the request body, as the server decoded it (chunked or not)
   * @return the next step
   * @throws IOException when reading fails (the client is gone)
   */
  public Step readBody(InputStream in) throws IOException {
    byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
    return putBody(body, body.length);
  }

  /**
   * The request's fields for {@code authenticate} (step {@link Step#AUTHENTICATE}).
   *
   * @return the fields, checked by the library
   * @throws IllegalStateException at another step
   */
  public IdentityTokenRequest request() {
    if (request == null) {
      long address = handle.acquire();
      String[] fields = new String[FIELD_COUNT];
      try {
        if (Native.exchangeStep(address) != 2) {
          throw new IllegalStateException("the exchange is not at step AUTHENTICATE");
        }
        Packed packed = new Packed(Native.exchangeFields(address));
        for (int i = 0; i < FIELD_COUNT; i++) {
          fields[i] = packed.nextText();
        }
      } finally {
        handle.release();
      }
      request = new IdentityTokenRequest(this, fields);
    }
    return request;
  }

  /** The demo authenticator's rule ({@link IdentityTokenRequest#userIdFromBody()}). */
  String demoUserId() {
    long address = handle.acquire();
    try {
      return Utf8.decode(Native.exchangeDemoUserId(address));
    } finally {
      handle.release();
    }
  }

  /**
   * Gives what {@code authenticate} returned (step {@link Step#AUTHENTICATE}), by the rule of
   * {@link Authentication#authenticate}, and moves to {@link Step#RESPOND}: a token signed by
   * {@code signer} (200), or 400, 401 or 500.
   *
   * @param signer signs the token
   * @param userId what authenticate returned
   * @throws IllegalStateException when the signer is closed
   */
  public void finish(LayerSigner signer, Object userId) {
    Objects.requireNonNull(signer, "signer");
    while (userId instanceof Optional) {
      userId = ((Optional<?>) userId).orElse(null);
    }
    if (userId == null || "".equals(userId)) {
      finish(null, AUTH_NONE, null);
    } else if (userId instanceof String) {
      finish(signer, AUTH_USER, Utf8.encode((String) userId));
    } else {
      finish(null, AUTH_NOT_A_USER_ID, Utf8.encode("a " + userId.getClass().getName()));
    }
  }

  /**
   * Gives an {@code authenticate} that failed (it threw): {@code 401}, or the demo
   * authenticator's {@code 400} when {@link IdentityTokenRequest#userIdFromBody()} refused the
   * request. The caller logs the failure.
   */
  public void finishFailed() {
    finish(null, AUTH_FAILED, null);
  }

  private void finish(LayerSigner signer, int outcome, byte[] userId) {
    long address = handle.acquire();
    try {
      if (signer == null) {
        Native.exchangeFinish(address, 0, outcome, userId);
        return;
      }
      long signerAddress = signer.handle().acquire();
      try {
        Native.exchangeFinish(address, signerAddress, outcome, userId);
      } finally {
        signer.handle().release();
      }
    } finally {
      handle.release();
    }
  }

  /**
   * Answers {@code 500 server_error} for a failure of the adapter's own (the body was consumed
   * by another layer, an unexpected exception), at any step.
   *
   * @param logMessage why, for the server's log only (never sent to the client)
   */
  public void fail(String logMessage) {
    long address = handle.acquire();
    try {
      Native.exchangeFail(address, Utf8.encode(logMessage));
    } finally {
      handle.release();
    }
  }

  /**
   * Steps {@link Step#READ_BODY} and {@link Step#AUTHENTICATE} for a server with a blocking
   * body stream: reads the body when the head did not decide the answer, calls {@code
   * authenticate} when the fields pass, and returns the answer. Failures of {@code
   * authenticate}, and the answer's log message, go to the log ({@code
   * com.layer.identity.http}: 5xx at {@code ERROR}, the rest at {@code INFO}).
   *
   * @param body the request body
   * @param signer signs the token
   * @param authenticate the application's session check
   * @return the answer to write
   * @throws IOException when reading the body fails (the client is gone)
   */
  public Response run(InputStream body, LayerSigner signer, Authentication authenticate)
      throws IOException {
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(signer, "signer");
    Objects.requireNonNull(authenticate, "authenticate");
    Step step = step();
    if (step == Step.READ_BODY) {
      step = readBody(body);
    }
    if (step == Step.AUTHENTICATE) {
      Object userId;
      try {
        userId = authenticate.authenticate(request());
      } catch (Exception e) {
        LOG.log(Level.INFO, "identity-token endpoint: authenticate failed: {0}", e.toString());
        finishFailed();
        return logged(response());
      }
      finish(signer, userId);
    }
    return logged(response());
  }

  private static Response logged(Response response) {
    response
        .logMessage()
        .ifPresent(
            message ->
                LOG.log(
                    response.status() >= 500 ? Level.ERROR : Level.INFO,
                    "identity-token endpoint: {0} {1}",
                    response.status(),
                    message));
    return response;
  }

  /**
   * The answer (step {@link Step#RESPOND}).
   *
   * @return the answer to write
   * @throws LayerIdentityException {@link LayerStatus#INTERNAL} before step {@link
   *     Step#RESPOND}
   */
  public Response response() {
    long address = handle.acquire();
    try {
      return new Response(new Packed(Native.exchangeResponse(address)));
    } finally {
      handle.release();
    }
  }

  /** Releases the exchange. Idempotent. */
  @Override
  public void close() {
    handle.close();
  }

  /**
   * The endpoint's answer to one request: write the status, the headers and the body as they
   * are (the server adds its own framing: {@code Content-Length} or chunks), and close the
   * connection afterwards when {@link #closesConnection()} says so. Immutable.
   */
  public static final class Response {
    private final int status;
    private final boolean closesConnection;
    private final byte[] body;
    private final String logMessage;
    private final Map<String, String> headers;

    Response(Packed packed) {
      this.status = packed.nextInt();
      this.closesConnection = packed.nextInt() != 0;
      this.body = packed.nextBytes();
      this.logMessage = packed.nextText();
      int count = packed.nextInt();
      Map<String, String> names = new LinkedHashMap<>();
      for (int i = 0; i < count; i++) {
        names.put(packed.nextText(), packed.nextText());
      }
      this.headers = Collections.unmodifiableMap(names);
    }

    /**
     * The HTTP status.
     *
     * @return the status code
     */
    public int status() {
      return status;
    }

    /**
     * The headers to send ({@code Content-Type}, {@code Cache-Control}, and {@code Allow} and
     * {@code Connection} where they apply), in order, unmodifiable.
     *
     * @return header names to values
     */
    public Map<String, String> headers() {
      return headers;
    }

    /**
     * The body, JSON (empty for {@code HEAD}).
     *
     * @return a copy of the body's bytes
     */
    public byte[] body() {
      return body.clone();
    }

    /**
     * The body's length in bytes.
     *
     * @return the length
     */
    public int bodyLength() {
      return body.length;
    }

    /**
     * Writes the body to {@code out}.
     *
     * @param out where the body goes
     * @throws IOException when writing fails
     */
    public void writeBody(java.io.OutputStream out) throws IOException {
      out.write(body);
    }

    /**
     * Whether the connection must be closed after this answer: the request's body was left
     * unread (the headers then hold {@code Connection: close}).
     *
     * @return true to close the connection
     */
    public boolean closesConnection() {
      return closesConnection;
    }

    /**
     * What the server should log about this answer (why a 500 or a 401), never sent to the
     * client.
     *
     * @return the message, or empty
     */
    public Optional<String> logMessage() {
      return Optional.ofNullable(logMessage);
    }

    @Override
    public String toString() {
      return "Response{" + status + " " + headers + " " + new String(body, StandardCharsets.UTF_8)
          + "}";
    }
  }
}
