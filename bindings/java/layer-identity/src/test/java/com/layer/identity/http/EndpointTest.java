package com.layer.identity.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.layer.identity.LayerExchange;
import com.layer.identity.LayerSigner;
import com.layer.identity.ReportAccess;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link IdentityTokenHandler} on the JDK's HttpServer over real HTTP on loopback, in-process:
 * every case of tests/endpoint/cases.json for every kind of authenticate a {@code String}
 * authenticate can be (and {@code not_a_user_id} through {@link LayerExchange}'s own
 * authenticate), checked here and by the shared driver; the 500 path; and the defects of issue
 * 17, each with its own test.
 */
class EndpointTest {
  static LayerSigner signer;
  /** One server per kind of authenticate, mounted at /. */
  static final Map<String, HttpServer> SERVERS = new LinkedHashMap<>();

  static final AtomicInteger PASSED = new AtomicInteger();

  /**
   * A target the JDK's HttpServer answers itself, before any handler: it finds the context by
   * {@code URI.getPath()}, and {@code //identity-token} parses as an authority with an empty
   * path, which no context matches, so the JDK sends its own HTML 404 and closes the
   * connection. The status is the contract's; the body cannot be.
   */
  static final String JDK_OWN_404 = "not_found_double_slash";

  static void runCase(JsonNode c, int port) throws Exception {
    if (c.get("name").asText().equals(JDK_OWN_404)) {
      JsonNode request = c.get("request");
      ContractCases.Response r =
          ContractCases.exchange(
              port,
              request.get("method").asText(),
              request.get("path").asText(),
              request.get("headers"),
              ContractCases.body(request.get("body")));
      assertEquals(404, r.status, r.toString());
      assertTrue(r.text().contains("No context found"), r.toString());
      return;
    }
    ContractCases.run(c, port, "");
  }

  /** The authenticate of each kind, as an application would write it. */
  static Authenticator authenticator(String kind) {
    switch (kind) {
      case "demo":
        return Authenticator.trustingRequestBody();
      case "demo_wrapped": // the application's own, calling the demo one
        return (exchange, request) -> {
          String userId = Authenticator.trustingRequestBody().authenticate(exchange, request);
          return userId;
        };
      case "reject":
        return (exchange, request) -> {
          throw new SecurityException("no session cookie");
        };
      case "none":
        return (exchange, request) -> null;
      case "none_optional": // the same cases, nothing as an empty Optional
        return Authenticator.ofOptional((exchange, request) -> Optional.empty());
      case "empty":
        return (exchange, request) -> "";
      case "throws":
        return (exchange, request) -> {
          throw new IllegalStateException("no session cookie");
        };
      default:
        throw new AssertionError(kind);
    }
  }

  @BeforeAll
  static void start() throws Exception {
    IdentityTokenHandler.configureJdkHttpServer();
    signer =
        LayerSigner.builder()
            .privateKeyPem(ContractCases.privateKeyPem())
            .providerId(ContractCases.PROVIDER)
            .keyId(ContractCases.KEY_ID)
            .build();
    for (String kind : ContractCases.STRING_KINDS) {
      SERVERS.put(kind, serve("/", new IdentityTokenHandler(signer, authenticator(kind))));
    }
    SERVERS.put(
        "none_optional",
        serve("/", new IdentityTokenHandler(signer, authenticator("none_optional"))));
    SERVERS.put("not_a_user_id", serve("/", notAUserIdHandler()));
  }

  /**
   * An adapter written on {@link LayerExchange} directly, as a user would for another server,
   * with an authenticate that returns what the {@code not_a_user_id} cases ask for: a value
   * that is not a user ID (a boolean, a float, a list) is the application's bug, 500.
   */
  static HttpHandler notAUserIdHandler() {
    return exchange -> {
      try (LayerExchange contract =
          LayerExchange.start(
              exchange.getRequestMethod(),
              exchange.getRequestURI().toString(),
              exchange.getRequestHeaders().getFirst("Content-Type"),
              exchange.getRequestHeaders().getFirst("Content-Length"))) {
        LayerExchange.Response answer =
            contract.run(
                exchange.getRequestBody(),
                signer,
                request -> {
                  switch (request.userIdFromBody()) {
                    case "boolean":
                      return Boolean.TRUE;
                    case "float":
                      return 42.5;
                    default:
                      return List.of("alice");
                  }
                });
        answer.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
        exchange.sendResponseHeaders(answer.status(), answer.bodyLength());
        try (OutputStream out = exchange.getResponseBody()) {
          answer.writeBody(out);
        }
      }
    };
  }

  static HttpServer serve(String context, HttpHandler handler) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.createContext(context, handler);
    server.start();
    return server;
  }

  static int port(String kind) {
    return SERVERS.get(kind).getAddress().getPort();
  }

  @AfterAll
  static void stop() {
    SERVERS.values().forEach(server -> server.stop(0));
    signer.close();
    ReportAccess.line(
        "endpoint (JDK HttpServer): "
            + PASSED.get()
            + " cases of cases.json checked in Java over HTTP, every kind of authenticate");
  }

  @TestFactory
  Stream<DynamicTest> everyCaseOfTheContractForEveryKind() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    List<String> kinds = new ArrayList<>(ContractCases.STRING_KINDS);
    kinds.add("not_a_user_id");
    for (String kind : kinds) {
      for (JsonNode c : ContractCases.cases(kind)) {
        tests.add(
            DynamicTest.dynamicTest(
                kind + ": " + c.get("name").asText(),
                () -> {
                  runCase(c, port(kind));
                  PASSED.incrementAndGet();
                }));
      }
    }
    for (JsonNode c : ContractCases.cases("none")) { // the none cases, via an empty Optional
      tests.add(
          DynamicTest.dynamicTest(
              "none (Optional.empty()): " + c.get("name").asText(),
              () -> runCase(c, port("none_optional"))));
    }
    return tests.stream();
  }

  /** The shared driver against the same in-process servers: its checks, by construction. */
  @TestFactory
  Stream<DynamicTest> sharedConformanceDriver() {
    List<String> kinds = new ArrayList<>(ContractCases.STRING_KINDS);
    kinds.add("not_a_user_id");
    return kinds.stream()
        .map(
            kind ->
                DynamicTest.dynamicTest(
                    kind,
                    () -> {
                      String summary =
                          kind.equals("demo")
                              ? ContractCases.driver(
                                  "http://127.0.0.1:" + port(kind),
                                  kind,
                                  Set.of(), // the JDK's own 404 is the contract's server_may_route
                                  "--pipelining",
                                  "--chunked")
                              : ContractCases.driver(
                                  "http://127.0.0.1:" + port(kind), kind, Set.of());
                      ReportAccess.line("endpoint (JDK HttpServer, conformance.py): " + summary);
                    }));
  }

  /** A signer that fails (here: closed) is a 500 with the fixed message, details in the log. */
  @Test
  void aFailingSignerIsAServerError() throws Exception {
    LayerSigner closed =
        LayerSigner.builder()
            .privateKeyPem(ContractCases.privateKeyPem())
            .providerId(ContractCases.PROVIDER)
            .keyId(ContractCases.KEY_ID)
            .build();
    closed.close();
    HttpServer server =
        serve("/", new IdentityTokenHandler(closed, Authenticator.trustingRequestBody()));
    try {
      ContractCases.Response r =
          ContractCases.exchange(
              server.getAddress().getPort(),
              "POST",
              "/identity-token",
              ContractCases.JSON.readTree("[[\"Content-Type\",\"application/json\"]]"),
              "{\"nonce\":\"n\",\"user_id\":\"alice\"}".getBytes(StandardCharsets.UTF_8));
      assertEquals(500, r.status);
      assertEquals(
          "{\"error\":{\"code\":\"server_error\",\"message\":\"could not create the identity"
              + " token\"}}",
          r.text());
    } finally {
      server.stop(0);
    }
  }

  // ----------------------------------------------------------------------------------------
  // The defects of issue 17

  /**
   * A declared Content-Length from 65,537 to 262,144 with no body sent: 413 at once, from the
   * head, without waiting for the body (the handler used to read up to 256 KiB first, so the
   * client never got an answer).
   */
  @Test
  void aDeclaredBodyTooLargeIsRefusedFromTheHeadWithoutReadingIt() throws Exception {
    for (String length : List.of("65537", "100000", "262144")) {
      ContractCases.Response r =
          ContractCases.exchange(
              port("demo"),
              "POST",
              "/identity-token",
              ContractCases.JSON.readTree(
                  "[[\"Content-Type\",\"application/json\"],[\"Content-Length\",\"" + length
                      + "\"]]"),
              null);
      assertEquals(413, r.status, length);
      assertEquals("close", r.header("connection"), length);
      assertTrue(r.closed, length + ": the connection closes");
    }
  }

  /**
   * Requests pipelined behind a GET or HEAD that is answered 404 or 405 are answered too: the
   * answer closes the connection only when the library says so (a body left unread).
   */
  @Test
  void pipelinedRequestsAfterGetAndHeadAreAnswered() throws Exception {
    String requests =
        "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
            + "HEAD /identity-token HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /identity-token HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    List<ContractCases.Response> answers =
        ContractCases.pipelined(port("demo"), requests, List.of("GET", "HEAD", "GET", "GET"));
    assertEquals(List.of(404, 405, 405, 200), answers.stream().map(r -> r.status).toList());
    for (ContractCases.Response r : answers) {
      assertNull(r.header("connection"), r.toString());
    }
    assertEquals("{\"status\":\"ok\"}", answers.get(3).text());
  }

  /**
   * Mounted at context /layer, the handler serves /layer/identity-token and /layer/healthz and
   * nothing else: the JDK matches contexts by string prefix, so /layeridentity-token reaches it
   * too, and must be a 404 (it used to be served).
   */
  @Test
  void aContextServesOnlyItsOwnPaths() throws Exception {
    HttpServer server =
        serve("/layer", new IdentityTokenHandler(signer, Authenticator.trustingRequestBody()));
    try {
      int port = server.getAddress().getPort();
      JsonNode form =
          ContractCases.JSON.readTree(
              "[[\"Content-Type\",\"application/x-www-form-urlencoded\"]]");
      byte[] body = "nonce=n&user_id=alice".getBytes(StandardCharsets.UTF_8);
      assertEquals(
          200, ContractCases.exchange(port, "POST", "/layer/identity-token", form, body).status);
      assertEquals(
          200,
          ContractCases.exchange(port, "POST", "/layer/identity-token?x=1", form, body).status);
      assertEquals(
          200,
          ContractCases.exchange(
                  port, "POST", "http://127.0.0.1/layer/identity-token", form, body)
              .status);
      assertEquals(
          200, ContractCases.exchange(port, "GET", "/layer/healthz", form, null).status);
      for (String path :
          List.of("/layeridentity-token", "/layerhealthz", "/layer", "/layer/", "/layer//healthz")) {
        ContractCases.Response r = ContractCases.exchange(port, "POST", path, form, body);
        assertEquals(404, r.status, path);
        assertTrue(r.text().contains("not_found"), path + ": " + r);
      }
    } finally {
      server.stop(0);
    }
  }

  /**
   * {@code Content-Length: +27} and {@code application/json; charset} are refused by the
   * library's rules, because the handler passes the raw header values (it used to parse them
   * itself and accept both).
   */
  @Test
  void rawHeaderValuesReachTheLibrary() throws Exception {
    String body = "{\"nonce\":\"n\",\"user_id\":\"alice\"}";
    ContractCases.Response plus =
        ContractCases.exchange(
            port("demo"),
            "POST",
            "/identity-token",
            ContractCases.JSON.readTree(
                "[[\"Content-Type\",\"application/json\"],[\"Content-Length\",\"+"
                    + body.length()
                    + "\"]]"),
            body.getBytes(StandardCharsets.UTF_8));
    assertEquals(400, plus.status, plus.toString());
    assertTrue(plus.text().contains("invalid_request"), plus.toString());
    assertTrue(plus.closed);
    ContractCases.Response charset =
        ContractCases.exchange(
            port("demo"),
            "POST",
            "/identity-token",
            ContractCases.JSON.readTree("[[\"Content-Type\",\"application/json; charset\"]]"),
            body.getBytes(StandardCharsets.UTF_8));
    assertEquals(415, charset.status, charset.toString());
  }

  /** The target relative to a context, as the handler computes it (a unit check). */
  @Test
  void targetRelativeToTheMount() {
    assertEquals("/identity-token?x", Targets.relative("/layer/identity-token?x", "/layer"));
    assertEquals("identity-token", Targets.relative("/layeridentity-token", "/layer"));
    assertEquals("", Targets.relative("/other/identity-token", "/layer"));
    assertEquals("/healthz", Targets.relative("http://h:1/layer/healthz", "/layer/"));
    assertEquals("//identity-token", Targets.relative("//identity-token", "/"));
  }

  /** Calls the handler's target computation without a server. */
  static final class Targets {
    static String relative(String target, String context) {
      return IdentityTokenHandler.relativeTarget(target, context);
    }
  }
}
