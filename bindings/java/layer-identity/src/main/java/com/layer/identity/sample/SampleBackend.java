package com.layer.identity.sample;

import com.layer.identity.LayerIdentityException;
import com.layer.identity.LayerSigner;
import com.layer.identity.http.Authenticator;
import com.layer.identity.http.IdentityTokenHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The sample backend: the identity-token endpoint on the JDK's HTTP server, configured by the
 * environment ({@code LAYER_PROVIDER_ID}, {@code LAYER_KEY_ID}, {@code LAYER_PRIVATE_KEY} or
 * {@code LAYER_PRIVATE_KEY_PATH}, {@code LAYER_PRIVATE_KEY_PASSPHRASE}, {@code
 * LAYER_TOKEN_TYPE}; {@code PORT}, default 8080; {@code HOST}, default 127.0.0.1).
 *
 * <p>It uses the DEMO authenticator, which trusts the {@code user_id} of the request body: a
 * real backend passes its own session check to {@link IdentityTokenHandler} instead.
 *
 * <p>Prints {@code listening on http://HOST:PORT} on stdout when ready (everything else goes
 * to stderr); refuses to start, with the library's message and exit status 1, when the
 * configuration is missing or invalid, and with exit status 2 when {@code PORT} is not a port
 * number or the address cannot be bound (in use); on SIGTERM stops accepting at once, finishes
 * the requests in flight and exits with status 0. Connections are kept alive, with {@code
 * TCP_NODELAY} ({@link IdentityTokenHandler#createServer}).
 */
public final class SampleBackend {
  private SampleBackend() {}

  /**
   * Starts the backend.
   *
   * @param args ignored: the configuration is the environment
   */
  public static void main(String[] args) {
    String host = env("HOST", "127.0.0.1");
    int port = port(env("PORT", "8080"));
    if (port < 0) {
      System.err.println("sample backend: PORT must be a port number, ASCII digits from 0 to 65535");
      System.exit(2);
      return;
    }

    LayerSigner signer;
    try {
      signer = LayerSigner.fromEnv();
    } catch (LayerIdentityException e) {
      System.err.println("sample backend: " + e.statusName() + ": " + e.getMessage());
      System.exit(1);
      return;
    }
    System.err.println(
        "WARNING: demo authenticator: trusting user_id from the request body; replace it with"
            + " your own session check");

    HttpServer server;
    try {
      server =
          IdentityTokenHandler.createServer(
              new InetSocketAddress(host, port), signer, Authenticator.trustingRequestBody());
    } catch (IOException | RuntimeException e) {
      // BindException (in use, not ours), an unresolvable HOST: one line, no stack trace.
      System.err.println(
          "sample backend: cannot listen on " + host + ":" + port + ": " + e.getMessage());
      System.exit(2);
      return;
    }
    server.start();

    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // SIGTERM: the listening socket closes at once; requests in flight get up
                  // to 3 s; idle keep-alive connections are closed. Then exit 0 (not 143).
                  server.stop(3);
                  signer.close();
                  System.err.println("sample backend: stopped");
                  Runtime.getRuntime().halt(0);
                },
                "sample-backend-shutdown"));

    String shownHost = host.contains(":") ? "[" + host + "]" : host;
    System.out.println("listening on http://" + shownHost + ":" + server.getAddress().getPort());
    System.out.flush();
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? fallback : value;
  }

  /** PORT as a number: ASCII digits only (not {@code +80}, not {@code ٣}), 0 to 65535; else -1. */
  static int port(String text) {
    if (text.isEmpty() || text.length() > 5) {
      return -1;
    }
    int port = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      port = port * 10 + (c - '0');
    }
    return port <= 65535 ? port : -1;
  }
}
