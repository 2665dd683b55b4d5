package com.layer.identity;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * The child JVM of {@link JniHygieneTest}: every native method, on its success and failure
 * paths, with many metadata entries (many local references in one call), a few times over.
 * Arguments: the vectors directory. Prints {@code DONE} at the end.
 */
public final class JniWorkload {
  private JniWorkload() {}

  public static void main(String[] args) throws Exception {
    String keys = args[0] + "/keys/";
    String privatePem =
        new String(Files.readAllBytes(Paths.get(keys + "rsa2048.pkcs8.pem")), StandardCharsets.UTF_8);
    String publicPem =
        new String(Files.readAllBytes(Paths.get(keys + "rsa2048.public.pem")), StandardCharsets.UTF_8);
    String provider = HandlesTest.PROVIDER;
    String keyId = HandlesTest.KEY_ID;
    for (int round = 0; round < 3; round++) {
      LayerIdentity.version();
      LayerIdentity.abiVersion();
      for (int i = 0; i < 20; i++) {
        Native.statusName(i);
        Native.eitName(i);
      }
      expectFailure(() -> LayerSigner.fromEnv());
      expectFailure(
          () -> LayerSigner.builder().privateKeyPem("x").providerId(provider).keyId(keyId).build());
      try (LayerSigner signer =
              LayerSigner.builder()
                  .privateKeyPem(privatePem)
                  .providerId(provider)
                  .keyId(keyId)
                  .tokenType(TokenType.JWT)
                  .build();
          LayerVerifier verifier =
              LayerVerifier.builder().publicKeyPem(publicPem).providerId(provider).keyId(keyId).build()) {
        SignRequest.Builder request =
            SignRequest.builder("alice\ud83d\ude00", "nonce")
                .firstName("Alice")
                .lastName("Liddell")
                .displayName("Alice L.")
                .avatarUrl("https://example.com/a.png");
        for (int i = 0; i < 300; i++) {
          request.putMetadata("name-" + i, "value-" + i);
        }
        String token = signer.sign(request.build());
        LayerClaims claims = verifier.verify(token, VerifyOptions.withNonce("nonce"));
        if (claims.metadata().size() != 300) {
          throw new AssertionError("metadata lost");
        }
        verifier.verify(signer.sign("bob", "nonce"));
        expectFailure(() -> verifier.verify("not.a.token"));
        expectFailure(() -> verifier.verify(token, VerifyOptions.withNonce("other")));
        expectFailure(() -> signer.sign("", "nonce"));
        expectFailure(
            () ->
                signer.sign(SignRequest.builder("a", "n").putMetadata("", "empty name").build()));
        signer.publicKeyPem();
        TokenType.parse("jWt");
        expectFailure(() -> TokenType.parse("JOSE"));
        exchanges(signer);
      }
      LayerSigner.signToken(privatePem, provider, keyId, "carol", "nonce");
      expectFailure(() -> LayerSigner.signToken(privatePem, "bad", keyId, "carol", "nonce"));
      LayerSigner.clearKeyCache();
      expectFailure(() -> LayerVerifier.builder().publicKeyPem("").providerId(provider).keyId(keyId).build());
      if (round == 0) {
        LayerKeys.generate(2048);
      }
      expectFailure(() -> LayerKeys.generate(1024));
    }
    System.out.println("DONE");
  }

  /** Every exchange native, on its answering and refusing paths. */
  private static void exchanges(LayerSigner signer) throws Exception {
    byte[] body = "{\"nonce\":\"n\",\"first_name\":\"A\"}".getBytes(StandardCharsets.UTF_8);
    try (LayerExchange exchange =
        LayerExchange.start("POST", "/identity-token", "application/json", "25")) {
      exchange.putBody(body, body.length);
      exchange.request().firstName();
      expectFailure(() -> exchange.request().userIdFromBody()); // no user_id: refused
      exchange.finishFailed();
      if (exchange.response().status() != 400) {
        throw new AssertionError("the demo's refusal");
      }
    }
    try (LayerExchange exchange =
        LayerExchange.start("POST", "/identity-token", "application/json", null)) {
      exchange.run(new java.io.ByteArrayInputStream(body), signer, request -> "alice");
      exchange.response().body();
    }
    try (LayerExchange exchange =
        LayerExchange.start("POST", "/identity-token", "application/json", null)) {
      exchange.fail("adapter failure");
      exchange.response().logMessage();
      expectFailure(() -> exchange.putBody(body, body.length)); // out of step
    }
    try (LayerExchange exchange = LayerExchange.start("HEAD", "/healthz", null, null)) {
      exchange.response().headers();
      expectFailure(() -> exchange.finish(signer, "x")); // out of step
    }
  }

  private static void expectFailure(Runnable call) {
    try {
      call.run();
    } catch (LayerIdentityException expected) {
      return;
    }
    throw new AssertionError("no LayerIdentityException");
  }
}
