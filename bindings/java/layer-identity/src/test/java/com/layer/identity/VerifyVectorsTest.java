package com.layer.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * vectors/verify.json: every case's exact status and {@code eit_*} identifier (as {@link
 * LayerIdentityException#eitCode()}, as {@link LayerIdentityException#eit()} and at the start of
 * the message) and, on accept, typed claims equal to {@code expected_claims_json} (read here by
 * Jackson; null attributes are absent, {@code -0} is 0) and {@link LayerClaims#json()} equal to
 * it byte for byte.
 */
class VerifyVectorsTest {
  private static final List<JsonNode> CASES = Vectors.cases("verify.json");
  private static final AtomicInteger ACCEPTED = new AtomicInteger();
  private static final AtomicInteger REJECTED = new AtomicInteger();

  @TestFactory
  Stream<DynamicTest> verificationVectors() {
    return CASES.stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> run(c)));
  }

  private static void run(JsonNode c) throws Exception {
    String name = c.get("name").asText();
    LayerVerifier.Builder builder =
        LayerVerifier.builder()
            .publicKeyPem(Vectors.keyFile(c.get("key_file").asText()))
            .providerId(c.get("provider_id").asText())
            .keyId(c.get("key_id").asText());
    if (Vectors.flags(c.get("flags")).contains("ALLOW_1024_BIT_KEY")) {
      builder.allowLegacy1024BitKey();
    }
    VerifyOptions.Builder options =
        VerifyOptions.builder().leewaySeconds(c.get("leeway_seconds").asLong());
    String nonce = Vectors.text(c.get("expected_nonce"));
    if (nonce != null) {
      options.nonce(nonce);
    }
    long now = c.get("now").asLong();
    if (now > 0) { // <= 0 is the C ABI's "system clock": leaving it unset says the same
      options.nowEpochSecond(now);
    }
    String token = c.get("token").asText();
    String expectedStatus = c.get("expected_status").asText();

    try (LayerVerifier verifier = builder.build()) {
      if (expectedStatus.equals("LAYER_OK")) {
        LayerClaims claims = verifier.verify(token, options.build());
        String expectedJson = c.get("expected_claims_json").asText();
        assertEquals(expectedJson, claims.json(), name);
        assertClaims(Vectors.JSON.readTree(expectedJson), claims, name);
        ACCEPTED.incrementAndGet();
      } else {
        LayerIdentityException e =
            assertThrows(
                LayerIdentityException.class, () -> verifier.verify(token, options.build()), name);
        String eit = c.get("expected_eit").asText();
        assertEquals(expectedStatus, e.statusName(), name + ": " + e.getMessage());
        assertEquals(eit, e.eitCode(), name + ": " + e.getMessage());
        assertEquals(eit, e.eit().code(), name);
        assertTrue(e.getMessage().startsWith(eit), name + ": " + e.getMessage());
        REJECTED.incrementAndGet();
      }
    }
  }

  static void assertClaims(JsonNode expected, LayerClaims claims, String name) {
    assertEquals(expected.get("iss").asText(), claims.providerId(), name);
    assertEquals(expected.get("prn").asText(), claims.userId(), name);
    assertEquals(expected.get("nce").asText(), claims.nonce(), name);
    assertEquals(expected.get("iat").asLong(), claims.issuedAtEpochSecond(), name);
    assertEquals(expected.get("exp").asLong(), claims.expiresAtEpochSecond(), name);
    assertEquals(Times.instant(expected.get("iat").asLong()), claims.issuedAt(), name);
    assertEquals(Times.instant(expected.get("exp").asLong()), claims.expiresAt(), name);
    assertEquals(optional(expected, "first_name"), claims.firstName(), name);
    assertEquals(optional(expected, "last_name"), claims.lastName(), name);
    assertEquals(optional(expected, "display_name"), claims.displayName(), name);
    assertEquals(optional(expected, "avatar_url"), claims.avatarUrl(), name);
    Map<String, String> metadata = new LinkedHashMap<>();
    JsonNode m = expected.get("metadata");
    if (m != null && m.isObject()) {
      m.properties().forEach(e -> metadata.put(e.getKey(), e.getValue().asText()));
    }
    assertEquals(metadata, claims.metadata(), name);
  }

  private static Optional<String> optional(JsonNode claims, String field) {
    JsonNode value = claims.get(field);
    return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
  }

  @AfterAll
  static void summary() {
    Report.line(
        "verify.json: %d of %d cases: %d accepted with their typed claims, %d rejected with the"
            + " exact status and eit_* identifier",
        ACCEPTED.get() + REJECTED.get(), CASES.size(), ACCEPTED.get(), REJECTED.get());
    assertEquals(CASES.size(), ACCEPTED.get() + REJECTED.get(), "every verify vector passed");
  }
}
