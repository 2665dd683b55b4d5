package com.layer.identity.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.layer.identity.LayerSigner;
import com.layer.identity.ReportAccess;
import com.layer.identity.http.ContractCases;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Principal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link IdentityTokenServlet} in embedded Tomcat 11 (Servlet 6.1) over real HTTP: every case
 * of the contract for every kind of authenticate, checked in Java and by the shared driver
 * (with pipelining and chunked bodies); the servlet under a context path and a path mapping,
 * and with exact mappings; the container's principal as the user; the 500 path.
 */
class IdentityTokenServletTest {
  static LayerSigner signer;
  static final Map<String, Tomcat> SERVERS = new LinkedHashMap<>();
  static final List<Path> BASES = new ArrayList<>();
  static final AtomicInteger PASSED = new AtomicInteger();

  static ServletAuthenticator authenticator(String kind) {
    switch (kind) {
      case "demo":
        return ServletAuthenticator.trustingRequestBody();
      case "demo_wrapped":
        return (request, fields) ->
            ServletAuthenticator.trustingRequestBody().authenticate(request, fields);
      case "reject":
        return (request, fields) -> {
          throw new SecurityException("no session cookie");
        };
      case "none":
        return (request, fields) -> null;
      case "none_optional":
        return ServletAuthenticator.ofOptional((request, fields) -> Optional.empty());
      case "empty":
        return (request, fields) -> "";
      case "throws":
        return (request, fields) -> {
          throw new IllegalStateException("no session cookie");
        };
      default:
        throw new AssertionError(kind);
    }
  }

  /** A Tomcat with one context and the servlet at {@code mappings}, started. */
  static Tomcat tomcat(String contextPath, IdentityTokenServlet servlet, String... mappings)
      throws Exception {
    Path base = Files.createTempDirectory("layer-identity-tomcat-");
    BASES.add(base);
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(base.toString());
    Connector connector = new Connector();
    connector.setPort(0);
    tomcat.setConnector(connector);
    Context context = tomcat.addContext(contextPath, null);
    Wrapper wrapper = Tomcat.addServlet(context, "layer-identity", servlet);
    for (String mapping : mappings) {
      wrapper.addMapping(mapping);
    }
    // A stand-in for a login filter: the user of the X-Test-User header, as the principal.
    Filter login =
        (request, response, chain) -> {
          HttpServletRequest http = (HttpServletRequest) request;
          String user = http.getHeader("X-Test-User");
          chain.doFilter(
              user == null
                  ? request
                  : new HttpServletRequestWrapper(http) {
                    @Override
                    public Principal getUserPrincipal() {
                      return () -> user;
                    }
                  },
              response);
        };
    FilterDef def = new FilterDef();
    def.setFilterName("login");
    def.setFilter(login);
    context.addFilterDef(def);
    FilterMap map = new FilterMap();
    map.setFilterName("login");
    map.addURLPattern("/*");
    context.addFilterMap(map);
    tomcat.start();
    return tomcat;
  }

  static int port(Tomcat tomcat) {
    return tomcat.getConnector().getLocalPort();
  }

  @BeforeAll
  static void start() throws Exception {
    signer =
        LayerSigner.builder()
            .privateKeyPem(ContractCases.privateKeyPem())
            .providerId(ContractCases.PROVIDER)
            .keyId(ContractCases.KEY_ID)
            .build();
    List<String> kinds = new ArrayList<>(ContractCases.STRING_KINDS);
    kinds.add("none_optional");
    for (String kind : kinds) {
      SERVERS.put(kind, tomcat("", new IdentityTokenServlet(signer, authenticator(kind)), "/*"));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (Tomcat tomcat : SERVERS.values()) {
      tomcat.stop();
      tomcat.destroy();
    }
    signer.close();
    for (Path base : BASES) {
      try (Stream<Path> files = Files.walk(base)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    ReportAccess.line(
        "servlet (embedded Tomcat 11): "
            + PASSED.get()
            + " cases of cases.json checked in Java over HTTP, every kind of authenticate, at"
            + " the root and under /layer/auth/*");
  }

  @TestFactory
  Stream<DynamicTest> everyCaseOfTheContractForEveryKind() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (String kind : ContractCases.STRING_KINDS) {
      for (JsonNode c : ContractCases.cases(kind)) {
        tests.add(
            DynamicTest.dynamicTest(
                kind + ": " + c.get("name").asText(),
                () -> {
                  ContractCases.run(c, port(SERVERS.get(kind)), "");
                  PASSED.incrementAndGet();
                }));
      }
    }
    for (JsonNode c : ContractCases.cases("none")) {
      tests.add(
          DynamicTest.dynamicTest(
              "none (Optional.empty()): " + c.get("name").asText(),
              () -> ContractCases.run(c, port(SERVERS.get("none_optional")), "")));
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> sharedConformanceDriver() {
    return ContractCases.STRING_KINDS.stream()
        .map(
            kind ->
                DynamicTest.dynamicTest(
                    kind,
                    () -> {
                      String url = "http://127.0.0.1:" + port(SERVERS.get(kind));
                      String summary =
                          kind.equals("demo")
                              ? ContractCases.driver(
                                  url, kind, Set.of(), "--pipelining", "--chunked")
                              : ContractCases.driver(url, kind, Set.of());
                      ReportAccess.line("servlet (Tomcat, conformance.py): " + summary);
                    }));
  }

  /**
   * In context /layer with the path mapping /auth/*: every demo case at /layer/auth, and the
   * prefix is a whole path segment (/layeridentity-token and /layer/authidentity-token are not
   * the endpoint's).
   */
  @TestFactory
  Stream<DynamicTest> underAContextPathAndAPathMapping() throws Exception {
    Tomcat tomcat =
        tomcat(
            "/layer",
            new IdentityTokenServlet(signer, ServletAuthenticator.trustingRequestBody()),
            "/auth/*");
    SERVERS.put("prefixed", tomcat);
    int port = port(tomcat);
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : ContractCases.cases("demo")) {
      if (c.get("name").asText().equals("not_found_double_slash")) {
        continue; // "/layer/auth//identity-token" is not the same request under a prefix
      }
      tests.add(
          DynamicTest.dynamicTest(
              "/layer/auth: " + c.get("name").asText(),
              () -> {
                ContractCases.run(c, port, "/layer/auth");
                PASSED.incrementAndGet();
              }));
    }
    tests.add(
        DynamicTest.dynamicTest(
            "not served outside its mount",
            () -> {
              for (String path :
                  List.of(
                      "/layeridentity-token",
                      "/layer/authidentity-token",
                      "/layer/auth",
                      "/layer/identity-token",
                      "/layer/auth/identity-token/",
                      "/layer/aut%68/identity-token")) {
                ContractCases.Response r = post(port, path, "alice");
                assertEquals(404, r.status, path + ": " + r);
                assertFalse(r.text().contains("identity_token"), path);
              }
            }));
    return tests.stream();
  }

  /** Exact mappings: the last segment is the route, the rest the mount. */
  @Test
  void exactMappings() throws Exception {
    Tomcat tomcat =
        tomcat(
            "",
            new IdentityTokenServlet(signer, ServletAuthenticator.trustingRequestBody()),
            "/api/identity-token",
            "/api/healthz");
    SERVERS.put("exact", tomcat);
    int port = port(tomcat);
    assertEquals(200, post(port, "/api/identity-token", "alice").status);
    ContractCases.Response health =
        ContractCases.exchange(port, "GET", "/api/healthz", ContractCases.JSON.readTree("[]"), null);
    assertEquals(200, health.status);
    assertEquals("{\"status\":\"ok\"}", health.text());
  }

  /** The default authenticator: the container's principal (here set by a login filter). */
  @Test
  void thePrincipalIsTheUserByDefault() throws Exception {
    Tomcat tomcat =
        tomcat("", new IdentityTokenServlet(signer, ServletAuthenticator.principal()), "/*");
    SERVERS.put("principal", tomcat);
    int port = port(tomcat);
    ContractCases.Response r =
        ContractCases.exchange(
            port,
            "POST",
            "/identity-token",
            ContractCases.JSON.readTree(
                "[[\"Content-Type\",\"application/json\"],[\"X-Test-User\",\"carol\"]]"),
            "{\"nonce\":\"n-1\",\"user_id\":\"mallory\"}".getBytes(StandardCharsets.UTF_8));
    assertEquals(200, r.status, r.toString());
    JsonNode claims =
        ContractCases.checkToken(
            "principal",
            ContractCases.JSON.readTree(r.body).get("identity_token").asText(),
            ContractCases.JSON.readTree("{\"prn\":\"carol\",\"nce\":\"n-1\"}"));
    assertEquals("carol", claims.get("prn").asText());
    ContractCases.Response anonymous = post(port, "/identity-token", "mallory");
    assertEquals(401, anonymous.status);
  }

  /** A signer that fails (closed) is the contract's 500 with the fixed message. */
  @Test
  void aFailingSignerIsAServerError() throws Exception {
    LayerSigner closed =
        LayerSigner.builder()
            .privateKeyPem(ContractCases.privateKeyPem())
            .providerId(ContractCases.PROVIDER)
            .keyId(ContractCases.KEY_ID)
            .build();
    closed.close();
    Tomcat tomcat =
        tomcat("", new IdentityTokenServlet(closed, ServletAuthenticator.trustingRequestBody()), "/*");
    SERVERS.put("closed", tomcat);
    ContractCases.Response r = post(port(tomcat), "/identity-token", "alice");
    assertEquals(500, r.status);
    assertEquals(
        "{\"error\":{\"code\":\"server_error\",\"message\":\"could not create the identity"
            + " token\"}}",
        r.text());
  }

  /** Pipelined requests behind a GET answered 404 / 405 are answered (no Connection: close). */
  @Test
  void pipelinedRequestsAfterGetAndHeadAreAnswered() throws Exception {
    String requests =
        "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
            + "HEAD /identity-token HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    List<ContractCases.Response> answers =
        ContractCases.pipelined(port(SERVERS.get("demo")), requests, List.of("GET", "HEAD", "GET"));
    assertEquals(List.of(404, 405, 200), answers.stream().map(r -> r.status).toList());
    assertTrue(answers.stream().allMatch(r -> r.header("connection") == null), answers.toString());
  }

  static ContractCases.Response post(int port, String path, String userId) throws IOException {
    return ContractCases.exchange(
        port,
        "POST",
        path,
        ContractCases.JSON.readTree("[[\"Content-Type\",\"application/json\"]]"),
        ("{\"nonce\":\"n\",\"user_id\":\"" + userId + "\"}").getBytes(StandardCharsets.UTF_8));
  }
}
