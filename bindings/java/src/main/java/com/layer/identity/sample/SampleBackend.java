package com.layer.identity.sample;

import com.layer.identity.LayerIdentityException;
import com.layer.identity.LayerSigner;
import com.layer.identity.http.Authenticator;
import com.layer.identity.http.IdentityTokenHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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
 * configuration is missing or invalid; on SIGTERM stops accepting at once, finishes the
 * requests in flight and exits with status 0.
 */
public final class SampleBackend {
  private SampleBackend() {}

  public static void main(String[] args) throws IOException {
    String host = env("HOST", "127.0.0.1");
    int port;
    try {
      port = Integer.parseInt(env("PORT", "8080"));
      if (port < 0 || port > 65535) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      System.err.println("sample backend: PORT must be a port number (0 to 65535)");
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

    // A request whose body is not read (413, 415, 404, 405) ends its connection at once,
    // instead of the server waiting to drain up to 64 KiB the client may never send.
    System.setProperty("sun.net.httpserver.drainAmount", "0");
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 128);
    ExecutorService executor = Executors.newCachedThreadPool(daemonThreads());
    server.setExecutor(executor);
    server.createContext(
        "/", new IdentityTokenHandler(signer, Authenticator.trustingRequestBody()));
    server.start();

    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // SIGTERM: the listening socket closes at once; requests in flight get up
                  // to 3 s; idle keep-alive connections are closed. Then exit 0 (not 143).
                  server.stop(3);
                  executor.shutdown();
                  try {
                    executor.awaitTermination(1, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
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

  private static ThreadFactory daemonThreads() {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, "sample-backend-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
