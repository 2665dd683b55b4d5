package com.layer.identity.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
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
import java.util.concurrent.TimeUnit;

/**
 * The endpoint contract (tests/endpoint/cases.json) over real HTTP, for the tests of every
 * Java adapter (the JDK handler here, the Servlet in Tomcat, the Spring Boot starter): each
 * case sent as raw bytes and checked in Java (status, headers, the body's exact members, error
 * codes and messages, the token's header, claims and JDK-verified signature), the shared driver
 * {@code conformance.py --url} for every kind of authenticate, and raw HTTP helpers for the
 * connection checks (pipelining, a declared body never sent).
 */
public final class ContractCases {
  public static final String PROVIDER = "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f";
  public static final String KEY_ID = "layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678";
  public static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The kinds of authenticate Java's adapters can be mounted with. {@code integer} is not
   * among them: an authenticate returns a {@code String} here, so an integer cannot be
   * returned (and the contract converts integers only in Ruby, Python and Node).
   * {@code not_a_user_id} is run against an adapter written on {@code LayerExchange}, whose
   * authenticate returns {@code Object}.
   */
  public static final List<String> STRING_KINDS =
      List.of("demo", "demo_wrapped", "reject", "none", "empty", "throws");

  private ContractCases() {}

  public static Path root() {
    return Paths.get(System.getProperty("layer.root", "../../..")).toAbsolutePath().normalize();
  }

  public static String read(String relative) throws IOException {
    return Files.readString(root().resolve(relative), StandardCharsets.UTF_8);
  }

  /** The test key's signer inputs: vectors/keys/rsa2048. */
  public static String privateKeyPem() throws IOException {
    return read("vectors/keys/rsa2048.pkcs8.pem");
  }

  /** The cases for one kind of authenticate. */
  public static List<JsonNode> cases(String kind) throws IOException {
    List<JsonNode> cases = new ArrayList<>();
    for (JsonNode c : JSON.readTree(read("tests/endpoint/cases.json")).get("cases")) {
      if (c.get("authenticator").asText().equals(kind)) {
        cases.add(c);
      }
    }
    return cases;
  }

  /** A raw HTTP/1.1 response. */
  public static final class Response {
    public int status;
    public final Map<String, List<String>> headers = new LinkedHashMap<>();
    public byte[] body;
    /** Whether the server closed the connection after the response (read to the end). */
    public boolean closed;

    public String header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null ? null : String.join(", ", values);
    }

    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return status + " " + headers + " " + text();
    }
  }

  /** Runs one case against {@code host:port}{@code prefix} and checks the answer in Java. */
  public static void run(JsonNode c, int port, String prefix) throws Exception {
    String name = c.get("name").asText();
    JsonNode request = c.get("request");
    String method = request.get("method").asText();
    byte[] body = body(request.get("body"));
    String path = request.get("path").asText();
    if (path.startsWith("/")) {
      path = prefix + path;
    } else {
      int slash = path.indexOf('/', path.indexOf("://") + 3);
      path = path.substring(0, slash) + prefix + path.substring(slash);
    }
    JsonNode expected = c.get("expected");
    boolean mayClose =
        expected.path("server_may_refuse").asBoolean()
            || expected.path("error_code").asText().equals("invalid_request");
    Response response = exchange(port, method, path, request.get("headers"), body, mayClose);
    if (expected.path("server_may_refuse").asBoolean()
        && response.status == 400
        && !isJsonObject(response.body)) {
      assertTrue(response.closed, name + ": the server's own 400 closes the connection");
      return;
    }
    assertEquals(expected.get("status").asInt(), response.status, name + ": " + response);
    assertTrue(String.valueOf(response.header("cache-control")).contains("no-store"), name);
    if (!expected.get("allow").isNull()) {
      Set<String> allow = new HashSet<>();
      for (String m : response.header("allow").split(",")) {
        allow.add(m.trim());
      }
      Set<String> want = new HashSet<>();
      for (String m : expected.get("allow").asText().split(",")) {
        want.add(m.trim());
      }
      assertEquals(want, allow, name);
    }
    if (method.equals("HEAD")) {
      assertEquals(0, response.body.length, name + ": HEAD has no body");
      return;
    }
    String type = response.header("content-type");
    assertNotNull(type, name);
    assertTrue(
        type.equalsIgnoreCase("application/json")
            || type.equalsIgnoreCase("application/json; charset=utf-8")
            || type.equalsIgnoreCase("application/json;charset=utf-8"),
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
            message.contains(expected.get("message_contains").asText()), name + ": " + message);
      }
      assertNoEcho(name, message, body);
      if (expected.get("error_code").asText().equals("invalid_request")) {
        assertTrue(response.closed, name + ": invalid_request closes the connection");
      }
    }
  }

  static boolean isJsonObject(byte[] body) {
    try {
      return JSON.readTree(body).isObject();
    } catch (IOException e) {
      return false;
    }
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

  private static PublicKey publicKey() throws Exception {
    String pem = read("vectors/keys/rsa2048.public.pem");
    return KeyFactory.getInstance("RSA")
        .generatePublic(
            new X509EncodedKeySpec(
                Base64.getDecoder()
                    .decode(pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", ""))));
  }

  /** The token's header, claims (and their order) and signature, checked by the JDK. */
  public static JsonNode checkToken(String name, String token, JsonNode expected)
      throws Exception {
    String[] parts = token.split("\\.", -1);
    assertEquals(3, parts.length, name);
    String header = new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8);
    assertEquals(
        "{\"typ\":\"JWS\",\"alg\":\"RS256\",\"cty\":\"layer-eit;v=1\",\"kid\":\"" + KEY_ID + "\"}",
        header,
        name);
    Signature verify = Signature.getInstance("SHA256withRSA");
    verify.initVerify(publicKey());
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
    return claims;
  }

  public static byte[] body(JsonNode body) throws IOException {
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

  /**
   * One request on its own connection ({@code Connection: close}), headers as UTF-8; whether
   * the server then closes the connection is read ({@link Response#closed}).
   */
  public static Response exchange(
      int port, String method, String path, JsonNode headers, byte[] body) throws IOException {
    return exchange(port, method, path, headers, body, true);
  }

  /**
   * {@link #exchange(int, String, String, JsonNode, byte[])}, reading whether the server
   * closes the connection only when {@code waitForClose} (a server that swallows a body the
   * client declared and never sent closes only at its read timeout).
   */
  public static Response exchange(
      int port, String method, String path, JsonNode headers, byte[] body, boolean waitForClose)
      throws IOException {
    StringBuilder head = new StringBuilder();
    head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
    String host = "127.0.0.1:" + port;
    if (path.startsWith("http://")) { // absolute-form: Host is the target's authority
      int slash = path.indexOf('/', "http://".length());
      host = path.substring("http://".length(), slash < 0 ? path.length() : slash);
    }
    head.append("Host: ").append(host).append("\r\n");
    boolean declared = false;
    for (JsonNode h : headers) {
      head.append(h.get(0).asText()).append(": ").append(h.get(1).asText()).append("\r\n");
      declared |= h.get(0).asText().equalsIgnoreCase("Content-Length");
    }
    if (body != null && !declared) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append("Connection: close\r\n\r\n");
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      // A liveness bound, not a timing: an answer that never comes fails instead of hanging.
      socket.setSoTimeout(30_000);
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
      InputStream in = socket.getInputStream();
      Response response = read(in, method.equals("HEAD"));
      response.closed = waitForClose && closes(in);
      return response;
    }
  }

  /** Writes {@code requests} at once on one connection and reads {@code count} answers. */
  public static List<Response> pipelined(int port, String requests, List<String> methods)
      throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(requests.getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
      List<Response> responses = new ArrayList<>();
      InputStream in = socket.getInputStream();
      for (String method : methods) {
        responses.add(read(in, method.equals("HEAD")));
      }
      return responses;
    }
  }

  /** Whether the connection is closed by the server once the response is read. */
  private static boolean closes(InputStream in) {
    try {
      return in.read() < 0;
    } catch (IOException e) {
      return true; // reset: closed too
    }
  }

  /** Reads the status line and headers, then exactly Content-Length bytes of body. */
  public static Response read(InputStream in, boolean head) throws IOException {
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
      r.body = new byte[0];
    } else if (length != null) {
      r.body = in.readNBytes(Integer.parseInt(length));
    } else if ("chunked".equalsIgnoreCase(r.header("transfer-encoding"))) {
      r.body = readChunked(in);
    } else {
      r.body = in.readAllBytes();
    }
    return r;
  }

  private static byte[] readChunked(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String size = line(in);
      int n = Integer.parseInt(size.split(";")[0].trim(), 16);
      if (n == 0) {
        while (!line(in).isEmpty()) {
          // trailers
        }
        return body.toByteArray();
      }
      body.write(in.readNBytes(n));
      line(in);
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder out = new StringBuilder();
    int b;
    while ((b = in.read()) >= 0 && b != '\n') {
      if (b != '\r') {
        out.append((char) b);
      }
    }
    return out.toString();
  }

  /**
   * The shared driver, {@code conformance.py --url}, against a running endpoint mounted at the
   * root with {@code kind}; returns its summary line. {@code serverOwn}: the cases the HTTP
   * server answers itself before the endpoint sees them, which must be the only failures.
   */
  public static String driver(String url, String kind, Set<String> serverOwn, String... more)
      throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                "/usr/bin/python3",
                root().resolve("tests/endpoint/conformance.py").toString(),
                "--url",
                url,
                "--public-key",
                root().resolve("vectors/keys/rsa2048.public.pem").toString(),
                "--provider-id",
                PROVIDER,
                "--key-id",
                KEY_ID,
                "--authenticator",
                kind));
    command.addAll(List.of(more));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(5, TimeUnit.MINUTES), "conformance.py finished");
    String[] lines = out.trim().split("\n");
    String summary = lines[lines.length - 1];
    if (serverOwn.isEmpty()) {
      assertEquals(0, process.exitValue(), kind + ":\n" + out);
    } else {
      // Exactly the cases the HTTP server answers itself fail, and nothing else.
      java.util.Set<String> failed = new java.util.TreeSet<>();
      for (String line : lines) {
        if (line.startsWith("FAIL ")) {
          failed.add(line.substring(5).trim());
        }
      }
      assertEquals(new java.util.TreeSet<>(serverOwn), failed, kind + ":\n" + out);
    }
    return summary;
  }
}
