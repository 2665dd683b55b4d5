package com.layer.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.security.PublicKey;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * vectors/sign.json through the typed API: every token byte for byte (attributes and metadata
 * taken from each case's attributes_json and passed through {@link SignRequest.Builder}, so
 * {@code layer_signer_sign_with} makes them), the one-shot cases through {@link
 * LayerSigner#signToken} too, and every token checked by the JDK's own RSA.
 */
class SignVectorsTest {
  private static final List<JsonNode> CASES = Vectors.cases("sign.json");
  private static final AtomicInteger PASSED = new AtomicInteger();
  private static final AtomicInteger ONE_SHOT = new AtomicInteger();

  @TestFactory
  Stream<DynamicTest> signingVectors() {
    return CASES.stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> run(c)));
  }

  private static void run(JsonNode c) {
    String keyFile = c.get("private_key_file").asText();
    String key = Vectors.keyFile(keyFile);
    LayerSigner.Builder builder =
        LayerSigner.builder()
            .privateKeyPem(key)
            .providerId(c.get("provider_id").asText())
            .keyId(c.get("key_id").asText());
    Vectors.passphrase(builder, c.get("passphrase"));
    Vectors.signerFlags(builder, Vectors.flags(c.get("flags")));
    String tokenType = Vectors.text(c.get("token_type"));
    if (tokenType != null) {
      builder.tokenType(tokenType); // the library's rule: any letter case
    }

    Vectors.AttributesMapping attributes =
        Vectors.mapAttributes(Vectors.text(c.get("attributes_json")));
    assertNull(attributes.inexpressible, "every signing vector is expressible");
    SignRequest.Builder request =
        Vectors.times(
            SignRequest.builder(c.get("user_id").asText(), c.get("nonce").asText()),
            c.get("issued_at"),
            c.get("ttl_seconds"));
    attributes.apply(request);

    String expected = c.get("expected_token").asText();
    try (LayerSigner signer = builder.build()) {
      String token = signer.sign(request.build());
      assertEquals(expected, token);
      assertEquals(c.get("expected_header_json").asText(), Jws.headerJson(token));
      assertEquals(c.get("expected_claims_json").asText(), Jws.claimsJson(token));
      if (Vectors.text(c.get("attributes_json")) == null) {
        // sign(userId, nonce) is sign(SignRequest) with the defaults: same path, same bytes.
        SignRequest plain = request.build();
        if (plain.issuedAt().isEmpty() && plain.ttl().map(t -> t.getSeconds() == 600).orElse(true)) {
          assertEquals(expected, signer.sign(plain.userId(), plain.nonce()));
        }
      }
    }
    assertTrue(Jws.signatureValid(expected, publicKeyFor(keyFile)), "JDK RSA verifies it");

    if (c.get("one_shot").asBoolean()) {
      SignRequest plain =
          Vectors.times(
                  SignRequest.builder(c.get("user_id").asText(), c.get("nonce").asText()),
                  c.get("issued_at"),
                  c.get("ttl_seconds"))
              .build();
      assertEquals(
          expected,
          LayerSigner.signToken(
              key, c.get("provider_id").asText(), c.get("key_id").asText(), plain));
      ONE_SHOT.incrementAndGet();
    }
    PASSED.incrementAndGet();
  }

  /** The vector's own public key file for a private key file (keys/rsa2048.pkcs1.pem ...). */
  static PublicKey publicKeyFor(String privateKeyFile) {
    String name = privateKeyFile.substring(privateKeyFile.lastIndexOf('/') + 1);
    String base = name.substring(0, name.indexOf('.'));
    String publicFile = "keys/" + base + ".public.pem";
    assertTrue(Files.exists(Vectors.dir().resolve(publicFile)), publicFile);
    return Jws.publicKey(Vectors.keyFile(publicFile));
  }

  @AfterAll
  static void summary() {
    Report.line(
        "sign.json: %d of %d cases byte for byte (%d also one-shot), all verified by JDK RSA",
        PASSED.get(), CASES.size(), ONE_SHOT.get());
    assertEquals(CASES.size(), PASSED.get(), "every signing vector passed");
  }
}
