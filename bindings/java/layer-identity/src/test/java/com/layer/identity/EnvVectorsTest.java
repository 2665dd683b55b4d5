package com.layer.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * vectors/env.json: {@link LayerSigner#fromEnv} reads the process environment through the
 * library ({@code getenv}), and Java cannot change its own environment, so each case runs in a
 * child JVM started with exactly the case's {@code LAYER_*} variables (every other one unset),
 * three at a time.
 */
class EnvVectorsTest {
  private static final List<JsonNode> CASES = Vectors.cases("env.json");
  private static final AtomicInteger PASSED = new AtomicInteger();

  @TestFactory
  Stream<DynamicTest> environmentVectors() {
    ExecutorService pool = Executors.newFixedThreadPool(3);
    List<CompletableFuture<ChildJvm.Result>> results = new ArrayList<>();
    for (JsonNode c : CASES) {
      results.add(CompletableFuture.supplyAsync(() -> runCase(c), pool));
    }
    pool.shutdown();
    List<DynamicTest> tests = new ArrayList<>();
    for (int i = 0; i < CASES.size(); i++) {
      JsonNode c = CASES.get(i);
      CompletableFuture<ChildJvm.Result> result = results.get(i);
      tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> check(c, result.join())));
    }
    return tests.stream();
  }

  private static ChildJvm.Result runCase(JsonNode c) {
    ChildJvm child = new ChildJvm();
    c.get("env")
        .properties()
        .forEach(
            e -> {
              JsonNode v = e.getValue();
              String value;
              if (v.isTextual()) {
                value = v.asText();
              } else if (v.has("file_contents")) {
                value = Vectors.keyFile(v.get("file_contents").asText());
              } else {
                value = Vectors.dir().resolve(v.get("path").asText()).toString();
              }
              child.env.put(e.getKey(), value);
            });
    List<String> flags = new ArrayList<>(Vectors.flags(c.get("flags")));
    JsonNode sign = c.get("sign");
    boolean ok = sign != null && !sign.isNull();
    return child.run(
        EnvCase.class,
        flags.isEmpty() ? "-" : flags.stream().sorted().collect(Collectors.joining(",")),
        ok ? sign.get("user_id").asText() : "alice",
        ok ? sign.get("nonce").asText() : "nonce",
        ok ? sign.get("issued_at").asText() : "1700000000",
        ok ? sign.get("ttl_seconds").asText() : "600");
  }

  private static void check(JsonNode c, ChildJvm.Result result) {
    String name = c.get("name").asText();
    assertEquals(0, result.exitCode, name + ": " + result);
    String[] out = result.stdout.trim().split(" ");
    String expectedStatus = c.get("expected_status").asText();
    if (expectedStatus.equals("LAYER_OK")) {
      assertEquals("OK", out[0], name + ": " + result);
      assertEquals(c.get("expected_token").asText(), out[1], name);
    } else {
      assertEquals("ERR", out[0], name + ": " + result);
      String message = new String(Base64.getDecoder().decode(out[2]), StandardCharsets.UTF_8);
      assertEquals(expectedStatus, out[1], name + ": " + message);
      String fragment = c.get("message_contains").asText();
      assertTrue(
          message.toLowerCase(Locale.ROOT).contains(fragment),
          name + ": " + message + " lacks " + fragment);
    }
    PASSED.incrementAndGet();
  }

  @AfterAll
  static void summary() {
    Report.line(
        "env.json: %d of %d cases through LayerSigner.fromEnv, one child JVM each",
        PASSED.get(), CASES.size());
    assertEquals(CASES.size(), PASSED.get(), "every environment vector passed");
  }
}
