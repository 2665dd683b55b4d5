package com.layer.identity.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.layer.identity.LayerSigner;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link IdentityTokenHandler} over real HTTP on loopback, in-process: every case of
 * tests/endpoint/cases.json sent as raw bytes and checked here (status, headers, the body's
 * exact members, error codes and messages, the token's header, claims and JDK-verified
 * signature); then the shared driver, conformance.py --url, against the same servers; then the
 * 500 path with a signer that fails.
 */
class EndpointTest {
  static final String PROVIDER = "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f";
  static final String KEY_ID = "layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678";
  static final ObjectMapper JSON = new ObjectMapper();

  static LayerSigner signer;
  static HttpServer demo;
  static HttpServer reject;
  static ExecutorService executor;
  static PublicKey publicKey;
  static final AtomicInteger PASSED = new AtomicInteger();

  static Path root() {
    return Paths.get(System.getProperty("layer.root", "../..")).toAbsolutePath().normalize();
  }

  static String read(String relative) throws IOException {
    return Files.readString(root().resolve(relative), StandardCharsets.UTF_8);
  }

  @BeforeAll
  static void start() throws Exception {
    // As the sample backend does: close a connection whose request body was not read.
    System.setProperty("sun.net.httpserver.drainAmount", "0");
    signer =
        LayerSigner.builder()
            .privateKeyPem(read("vectors/keys/rsa2048.pkcs8.pem"))
            .providerId(PROVIDER)
            .keyId(KEY_ID)
            .build();
    String pem = read("vectors/keys/rsa2048.public.pem");
    publicKey =
        KeyFactory.getInstance("RSA")
            .generatePublic(
                new X509EncodedKeySpec(
                    Base64.getDecoder()
                        .decode(
                            pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", ""))));
    executor = Executors.newCachedThreadPool();
    demo = serve(Authenticator.trustingRequestBody());
    reject =
        serve(
            (exchange, request) -> {
              throw new SecurityException("no session (test)");
            });
  }

  static HttpServer serve(Authenticator authenticate) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.setExecutor(executor);
    server.createContext("/", new IdentityTokenHandler(signer, authenticate));
    server.start();
    return server;
  }

  @AfterAll
  static void stop() {
    demo.stop(0);
    reject.stop(0);
    executor.shutdownNow();
    signer.close();
  }

  @TestFactory
  Stream<DynamicTest> everyCaseOfTheContract() throws IOException {
    JsonNode cases = JSON.readTree(read("tests/endpoint/cases.json")).get("cases");
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : cases) {
      tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> run(c)));
    }
    return tests.stream();
  }

  /** A raw HTTP/1.1 exchange: the case's request exactly, then everything until close. */
  static final class Response {
    int status;
    final Map<String, List<String>> headers = new LinkedHashMap<>();
    byte[] body;

    String header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null ? null : String.join(", ", values);
    }
  }

  private static void run(JsonNode c) throws Exception {
    String name = c.get("name").asText();
    HttpServer server = c.get("authenticator").asText().equals("reject") ? reject : demo;
    JsonNode request = c.get("request");
    String method = request.get("method").asText();
    byte[] body = body(request.get("body"));
    Response response =
        exchange(server.getAddress().getPort(), method, request.get("path").asText(),
            request.get("headers"), body);
    JsonNode expected = c.get("expected");
    assertEquals(expected.get("status").asInt(), response.status, name);
    assertTrue(
        String.valueOf(response.header("cache-control")).contains("no-store"), name);
    if (!expected.get("allow").isNull()) {
      Set<String> allow = new HashSet<>();
      for (String m : response.header("allow").split(",")) {
        allow.add(m.trim());
      }
      Set<String> want = new HashSet<>();
      JsonNode methods = expected.get("allow");
      if (methods.isTextual()) {
        for (String m : methods.asText().split(",")) {
          want.add(m.trim());
        }
      } else {
        methods.forEach(m -> want.add(m.asText()));
      }
      assertEquals(want, allow, name);
    }
    if (method.equals("HEAD")) {
      assertEquals(0, response.body.length, name + ": HEAD has no body");
      PASSED.incrementAndGet();
      return;
    }
    String type = response.header("content-type");
    assertNotNull(type, name);
    assertTrue(
        type.equals("application/json") || type.equals("application/json; charset=utf-8"),
        name + ": " + type);
    JsonNode json = JSON.readTree(response.body);
    assertTrue(json.isObject(), name);
    if (expected.get("error_code").isNull()) {
      if (expected.has("json")) {
        assertEquals(expected.get("json"), json, name);
      } else {
        assertEquals(List.of("identity_token"), names(json), name);
        checkToken(name, json.get("identity_token").asText(), expected.get("token"));
      }
    } else {
      assertEquals(List.of("error"), names(json), name);
      JsonNode error = json.get("error");
      assertEquals(List.of("code", "message"), names(error), name);
      assertEquals(expected.get("error_code").asText(), error.get("code").asText(), name);
      String message = error.get("message").asText();
      assertFalse(message.isEmpty(), name);
      if (expected.has("message")) {
        assertEquals(expected.get("message").asText(), message, name);
      }
      if (expected.has("message_contains")) {
        assertTrue(
            message.contains(expected.get("message_contains").asText()),
            name + ": " + message);
      }
      assertNoEcho(name, message, body);
    }
    PASSED.incrementAndGet();
  }

  private static List<String> names(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** No run of 65 characters of the request in an error message. */
  private static void assertNoEcho(String name, String message, byte[] body) {
    if (body == null) {
      return;
    }
    String request = new String(body, StandardCharsets.UTF_8);
    for (int i = 0; i + 65 <= message.length(); i++) {
      assertFalse(request.contains(message.substring(i, i + 65)), name + ": echoes the body");
    }
  }

  private static void checkToken(String name, String token, JsonNode expected) throws Exception {
    String[] parts = token.split("\\.", -1);
    assertEquals(3, parts.length, name);
    String header = new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8);
    assertEquals(
        "{\"typ\":\"JWS\",\"alg\":\"RS256\",\"cty\":\"layer-eit;v=1\",\"kid\":\"" + KEY_ID + "\"}",
        header,
        name);
    Signature verify = Signature.getInstance("SHA256withRSA");
    verify.initVerify(publicKey);
    verify.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    assertTrue(verify.verify(Base64.getUrlDecoder().decode(parts[2])), name + ": signature");
    JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
    List<String> want = new ArrayList<>(List.of("iss", "prn", "iat", "exp", "nce"));
    for (String attribute : List.of("first_name", "last_name", "display_name", "avatar_url")) {
      if (expected.has(attribute)) {
        want.add(attribute);
      }
    }
    assertEquals(want, names(claims), name);
    assertEquals(PROVIDER, claims.get("iss").asText(), name);
    for (Map.Entry<String, JsonNode> field : expected.properties()) {
      assertEquals(field.getValue().asText(), claims.get(field.getKey()).asText(), name);
    }
    long iat = claims.get("iat").asLong();
    assertEquals(600, claims.get("exp").asLong() - iat, name);
    assertTrue(Math.abs(System.currentTimeMillis() / 1000 - iat) <= 5, name + ": iat is now");
  }

  static byte[] body(JsonNode body) throws IOException {
    if (body == null || body.isNull()) {
      return null;
    }
    if (body.has("text")) {
      return body.get("text").asText().getBytes(StandardCharsets.UTF_8);
    }
    if (body.has("json")) {
      return JSON.writeValueAsBytes(body.get("json"));
    }
    if (body.has("base64")) {
      return Base64.getDecoder().decode(body.get("base64").asText());
    }
    if (body.has("form")) {
      StringBuilder out = new StringBuilder();
      for (JsonNode pair : body.get("form")) {
        if (out.length() > 0) {
          out.append('&');
        }
        out.append(URLEncoder.encode(pair.get(0).asText(), StandardCharsets.UTF_8))
            .append('=')
            .append(URLEncoder.encode(pair.get(1).asText(), StandardCharsets.UTF_8));
      }
      return out.toString().getBytes(StandardCharsets.UTF_8);
    }
    JsonNode repeat = body.get("repeat");
    StringBuilder out = new StringBuilder();
    if (repeat.has("prefix")) {
      out.append(repeat.get("prefix").asText());
    }
    out.append(repeat.get("text").asText().repeat(repeat.get("count").asInt()));
    if (repeat.has("suffix")) {
      out.append(repeat.get("suffix").asText());
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  static Response exchange(int port, String method, String path, JsonNode headers, byte[] body)
      throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(10_000);
      StringBuilder head = new StringBuilder();
      head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
      head.append("Host: 127.0.0.1:").append(port).append("\r\n");
      boolean declared = false;
      for (JsonNode h : headers) {
        head.append(h.get(0).asText()).append(": ").append(h.get(1).asText()).append("\r\n");
        declared |= h.get(0).asText().equalsIgnoreCase("Content-Length");
      }
      if (body != null && !declared) {
        head.append("Content-Length: ").append(body.length).append("\r\n");
      }
      head.append("Connection: close\r\n\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.UTF_8));
      if (body != null) {
        try {
          out.write(body);
        } catch (IOException e) {
          // the server may answer (413) and close before reading it all
        }
      }
      out.flush();
      return parse(socket.getInputStream(), method.equals("HEAD"));
    }
  }

  /** Reads the status line and headers, then exactly Content-Length bytes of body. */
  private static Response parse(InputStream in, boolean head) throws IOException {
    ByteArrayOutputStream headBytes = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the connection closed before the end of the headers");
      }
      headBytes.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String text = new String(headBytes.toByteArray(), StandardCharsets.ISO_8859_1);
    Response r = new Response();
    String[] lines = text.trim().split("\r\n");
    r.status = Integer.parseInt(lines[0].split(" ")[1]);
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      r.headers
          .computeIfAbsent(
              lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
              k -> new ArrayList<>())
          .add(lines[i].substring(colon + 1).trim());
    }
    String length = r.header("content-length");
    if (head) {
      // HEAD: nothing may follow the headers; the server closes (Connection: close sent).
      r.body = in.readAllBytes();
    } else {
      assertNotNull(length, "Content-Length");
      r.body = in.readNBytes(Integer.parseInt(length));
    }
    return r;
  }

  /** The shared driver against the same in-process servers: its checks, by construction. */
  @Test
  void sharedConformanceDriver() throws Exception {
    Path publicPem = root().resolve("vectors/keys/rsa2048.public.pem");
    for (HttpServer server : List.of(demo, reject)) {
      List<String> command =
          new ArrayList<>(
              List.of(
                  "/usr/bin/python3",
                  root().resolve("tests/endpoint/conformance.py").toString(),
                  "--url",
                  "http://127.0.0.1:" + server.getAddress().getPort(),
                  "--public-key",
                  publicPem.toString(),
                  "--provider-id",
                  PROVIDER,
                  "--key-id",
                  KEY_ID));
      if (server == reject) {
        command.addAll(List.of("--authenticator", "reject"));
      }
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(process.waitFor(5, TimeUnit.MINUTES));
      assertEquals(0, process.exitValue(), out);
      assertTrue(out.contains("passed"), out);
      com.layer.identity.ReportAccess.line("endpoint (in-process, conformance.py --url): " + out.trim());
    }
  }

  /** A signer that fails (here: closed) is a 500 with the fixed message, details in the log. */
  @Test
  void aFailingSignerIsAServerError() throws Exception {
    LayerSigner closed =
        LayerSigner.builder()
            .privateKeyPem(read("vectors/keys/rsa2048.pkcs8.pem"))
            .providerId(PROVIDER)
            .keyId(KEY_ID)
            .build();
    closed.close();
    for (Authenticator authenticate :
        List.<Authenticator>of(Authenticator.trustingRequestBody(), (e, r) -> "", (e, r) -> null)) {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
      server.setExecutor(executor);
      server.createContext(
          "/", new IdentityTokenHandler(authenticate == null ? signer : closed, authenticate));
      server.start();
      try {
        Response r =
            exchange(
                server.getAddress().getPort(),
                "POST",
                "/identity-token",
                JSON.readTree("[[\"Content-Type\",\"application/json\"]]"),
                "{\"nonce\":\"n\",\"user_id\":\"alice\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals(500, r.status);
        assertEquals(
            "{\"error\":{\"code\":\"server_error\",\"message\":\"could not create the identity"
                + " token\"}}",
            new String(r.body, StandardCharsets.UTF_8));
      } finally {
        server.stop(0);
      }
    }
  }

  /** Mounted under a prefix, the routes are relative to it. */
  @Test
  void mountedUnderAContext() throws Exception {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    server.setExecutor(executor);
    server.createContext(
        "/auth", new IdentityTokenHandler(signer, Authenticator.trustingRequestBody()));
    server.start();
    try {
      Response r =
          exchange(
              server.getAddress().getPort(),
              "POST",
              "/auth/identity-token",
              JSON.readTree("[[\"Content-Type\",\"application/x-www-form-urlencoded\"]]"),
              "nonce=n&user_id=alice".getBytes(StandardCharsets.UTF_8));
      assertEquals(200, r.status);
      assertNull(r.header("allow"));
    } finally {
      server.stop(0);
    }
  }

  @AfterAll
  static void summary() throws IOException {
    com.layer.identity.ReportAccess.line(
        "endpoint: " + PASSED.get() + " cases of cases.json against the in-process handler");
  }
}
