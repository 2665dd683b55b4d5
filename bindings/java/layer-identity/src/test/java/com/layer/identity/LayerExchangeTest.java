package com.layer.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link LayerExchange} without a server: the steps, the one rule for what authenticate
 * returns (a String, nothing, an Optional, an exception, anything else), the raw header values
 * reaching the library, and the handle's lifetime.
 */
class LayerExchangeTest {
  static final byte[] BODY =
      "{\"nonce\":\"n-1\",\"user_id\":\"alice\",\"first_name\":\"Alice\"}"
          .getBytes(StandardCharsets.UTF_8);

  static LayerExchange.Response post(LayerSigner signer, LayerExchange.Authentication auth)
      throws Exception {
    try (LayerExchange exchange =
        LayerExchange.start(
            "POST", "/identity-token", "application/json", Integer.toString(BODY.length))) {
      return exchange.run(new ByteArrayInputStream(BODY), signer, auth);
    }
  }

  static String text(LayerExchange.Response response) {
    return new String(response.body(), StandardCharsets.UTF_8);
  }

  @Test
  void theStepsAndTheFields() {
    try (LayerSigner signer = HandlesTest.signer();
        LayerExchange exchange =
            LayerExchange.start("POST", "/identity-token?x=1", "application/json", null)) {
      assertEquals(LayerExchange.Step.READ_BODY, exchange.step());
      assertEquals(LayerExchange.Step.AUTHENTICATE, exchange.putBody(BODY, BODY.length));
      IdentityTokenRequest request = exchange.request();
      assertEquals("n-1", request.nonce());
      assertEquals(Optional.of("Alice"), request.firstName());
      assertEquals(Optional.empty(), request.avatarUrl());
      assertEquals("alice", request.userIdFromBody());
      exchange.finish(signer, "bob");
      LayerExchange.Response response = exchange.response();
      assertEquals(200, response.status());
      assertTrue(text(response).startsWith("{\"identity_token\":\""), text(response));
      assertEquals("no-store", response.headers().get("Cache-Control"));
      assertFalse(response.closesConnection());
    }
  }

  @Test
  void whatAuthenticateReturnsDecidesTheAnswer() throws Exception {
    try (LayerSigner signer = HandlesTest.signer()) {
      assertEquals(200, post(signer, r -> "alice").status());
      assertEquals(200, post(signer, r -> Optional.of("alice")).status());
      for (LayerExchange.Authentication nothing :
          List.<LayerExchange.Authentication>of(
              r -> null, r -> "", r -> Optional.empty(), r -> Optional.of(""))) {
        LayerExchange.Response response = post(signer, nothing);
        assertEquals(401, response.status());
        assertEquals(
            "{\"error\":{\"code\":\"unauthenticated\",\"message\":\"authentication required\"}}",
            text(response));
      }
      LayerExchange.Response failed =
          post(
              signer,
              r -> {
                throw new SecurityException("no session");
              });
      assertEquals(401, failed.status());
      for (Object notAUserId : List.of(Boolean.TRUE, 42.5, 42, List.of("alice"))) {
        LayerExchange.Response response = post(signer, r -> notAUserId);
        assertEquals(500, response.status(), notAUserId.toString());
        assertTrue(
            response.logMessage().orElseThrow().contains(notAUserId.getClass().getName()),
            response.logMessage().orElseThrow());
      }
      // A user ID that is not valid Unicode reaches the library as bytes that are not UTF-8.
      assertEquals(500, post(signer, r -> "al\ud800ice").status());
    }
  }

  @Test
  void headerValuesReachTheLibraryAsTheyAre() {
    try (LayerExchange plus = LayerExchange.start("POST", "/identity-token", "application/json", "+27");
        LayerExchange charset =
            LayerExchange.start("POST", "/identity-token", "application/json; charset", "2");
        LayerExchange tooLarge =
            LayerExchange.start("POST", "/identity-token", "application/json", "262144");
        LayerExchange digits =
            LayerExchange.start("POST", "/identity-token", "application/json", "\u00b2")) {
      assertEquals(400, plus.response().status());
      assertTrue(plus.response().closesConnection());
      assertEquals(415, charset.response().status());
      assertEquals(413, tooLarge.response().status());
      assertEquals("close", tooLarge.response().headers().get("Connection"));
      assertEquals(400, digits.response().status());
    }
  }

  @Test
  void closeIsIdempotentAndUseAfterCloseIsAnError() {
    LayerExchange exchange = LayerExchange.start("GET", "/healthz", null, null);
    assertEquals(200, exchange.response().status());
    exchange.close();
    exchange.close();
    assertThrows(IllegalStateException.class, exchange::step);
    assertThrows(IllegalStateException.class, exchange::response);
    assertThrows(NullPointerException.class, () -> LayerExchange.start(null, "/", null, null));
  }
}
