package com.layer.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Strings cross JNI as standard UTF-8, byte for byte. JNI's own string functions speak modified
 * UTF-8, which writes U+0000 as C0 80 and a character outside the BMP as two 3-byte surrogates:
 * the tokens here would differ (or be refused as invalid UTF-8) if any string took that path.
 */
class Utf8BoundaryTest {
  private static final long IAT = 1_700_000_000L;

  /** U+0000-adjacent characters and every UTF-8 length boundary, BMP and beyond. */
  private static final String EDGES =
      "a\u0001\u001f\u007f\u0080\u07ff\u0800\ud7ff\ue000\uffff"
          + "\ud800\udc00" // U+10000, the first character outside the BMP
          + "\ud83d\ude00" // U+1F600
          + "\udbff\udfff"; // U+10FFFF, the last

  @Test
  void userIdOutsideTheBmpAndNulAdjacentCharactersCrossAsUtf8() {
    String userId = "alice-\ud83d\ude00-\ud834\udd1e"; // U+1F600, U+1D11E
    String nonce = "nonce" + EDGES;
    try (LayerSigner signer = HandlesTest.signer();
        LayerVerifier verifier = HandlesTest.verifier()) {
      String token =
          signer.sign(
              SignRequest.builder(userId, nonce)
                  .issuedAtEpochSecond(IAT)
                  .displayName(EDGES)
                  .putMetadata(EDGES, EDGES)
                  .build());
      String expectedClaims =
          "{\"iss\":\""
              + HandlesTest.PROVIDER
              + "\",\"prn\":\""
              + escape(userId)
              + "\",\"iat\":1700000000,\"exp\":1700000600,\"nce\":\""
              + escape(nonce)
              + "\",\"display_name\":\""
              + escape(EDGES)
              + "\",\"metadata\":{\""
              + escape(EDGES)
              + "\":\""
              + escape(EDGES)
              + "\"}}";
      assertArrayEquals(expectedClaims.getBytes(StandardCharsets.UTF_8), Jws.segment(token, 1));
      assertTrue(
          Jws.signatureValid(token, Jws.publicKey(Vectors.keyFile("keys/rsa2048.public.pem"))));

      LayerClaims claims =
          verifier.verify(token, VerifyOptions.builder().nonce(nonce).nowEpochSecond(IAT).build());
      assertEquals(userId, claims.userId());
      assertEquals(nonce, claims.nonce());
      assertEquals(EDGES, claims.displayName().orElseThrow());
      assertEquals(Map.of(EDGES, EDGES), claims.metadata());
      assertEquals(expectedClaims, claims.json());
    }
  }

  /** What modified UTF-8 would have sent, to show the test above can tell the difference. */
  @Test
  void modifiedUtf8WouldDiffer() {
    byte[] standard = "\ud83d\ude00".getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(new byte[] {(byte) 0xf0, (byte) 0x9f, (byte) 0x98, (byte) 0x80}, standard);
    // Modified UTF-8 (DataOutputStream.writeUTF, GetStringUTFChars): ED A0 BD ED B8 80.
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (java.io.DataOutputStream data = new java.io.DataOutputStream(out)) {
      data.writeUTF("\ud83d\ude00");
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    byte[] modified = java.util.Arrays.copyOfRange(out.toByteArray(), 2, out.size());
    assertEquals(6, modified.length);
    assertFalse(java.util.Arrays.equals(standard, modified));
  }

  /** Claims holding U+0000 (as \u0000 in the token) come back whole: the glue uses lengths. */
  @Test
  void claimsHoldingNulComeBackWhole() throws Exception {
    String header =
        "{\"typ\":\"JWS\",\"alg\":\"RS256\",\"cty\":\"layer-eit;v=1\",\"kid\":\""
            + HandlesTest.KEY_ID
            + "\"}";
    String claims =
        "{\"iss\":\""
            + HandlesTest.PROVIDER
            + "\",\"prn\":\"a\\u0000b\",\"iat\":1700000000,\"exp\":1700000600,"
            + "\"nce\":\"n\\u0000\",\"last_name\":\"\\u0000\","
            + "\"metadata\":{\"k\\u0000\":\"\\u0000v\"}}";
    String token = jdkSign(header, claims);
    try (LayerVerifier verifier = HandlesTest.verifier()) {
      LayerClaims c = verifier.verify(token, VerifyOptions.builder().nowEpochSecond(IAT).build());
      assertEquals("a\u0000b", c.userId());
      assertEquals("n\u0000", c.nonce());
      assertEquals("\u0000", c.lastName().orElseThrow());
      assertEquals(Map.of("k\u0000", "\u0000v"), c.metadata());
      assertEquals(claims, c.json());
      // An argument may not hold U+0000, even to match such a claim: the library refuses it.
      LayerIdentityException e =
          assertThrows(
              LayerIdentityException.class,
              () -> verifier.verify(token, VerifyOptions.withNonce("n\u0000")));
      assertEquals(LayerStatus.INVALID_ARGUMENT, e.status());
      assertTrue(e.getMessage().startsWith("expected_nonce contains U+0000"), e.getMessage());
    }
  }

  /**
   * U+0000 and lone surrogates reach the library as they are (a lone surrogate as its 3-byte
   * form, which is not UTF-8), and the library refuses them naming its argument: the binding
   * decides nothing and never replaces a lone surrogate with other text.
   */
  @Test
  void nulAndLoneSurrogatesAreRefusedByTheLibraryNamingTheArgument() {
    try (LayerSigner signer = HandlesTest.signer();
        LayerVerifier verifier = HandlesTest.verifier()) {
      assertRefused(LayerStatus.INVALID_ARGUMENT, "user_id", () -> signer.sign("a\u0000", "n"));
      assertRefused(LayerStatus.INVALID_ARGUMENT, "nonce", () -> signer.sign("a", "\u0000"));
      assertRefused(LayerStatus.INVALID_UTF8, "user_id", () -> signer.sign("ab\ud800", "n"));
      assertRefused(LayerStatus.INVALID_UTF8, "nonce", () -> signer.sign("a", "\udc00x"));
      assertRefused(LayerStatus.INVALID_UTF8, "nonce", () -> signer.sign("a", "x\ude00\ud83d"));
      assertRefused(
          LayerStatus.INVALID_ARGUMENT,
          "first_name",
          () -> signer.sign(SignRequest.builder("a", "n").firstName("\u0000").build()));
      assertRefused(
          LayerStatus.INVALID_UTF8,
          "avatar_url",
          () -> signer.sign(SignRequest.builder("a", "n").avatarUrl("\udbff").build()));
      assertRefused(
          LayerStatus.INVALID_ARGUMENT,
          "metadata_names",
          () -> signer.sign(SignRequest.builder("a", "n").putMetadata("k\u0000", "v").build()));
      assertRefused(
          LayerStatus.INVALID_UTF8,
          "metadata_values",
          () -> signer.sign(SignRequest.builder("a", "n").putMetadata("k", "\ud800").build()));
      assertRefused(LayerStatus.INVALID_ARGUMENT, "token", () -> verifier.verify("abc\u0000"));
      assertRefused(LayerStatus.INVALID_UTF8, "token", () -> verifier.verify("\udfff"));
      assertRefused(
          LayerStatus.INVALID_UTF8,
          "expected_nonce",
          () -> verifier.verify("a.b.c", VerifyOptions.withNonce("\ud800")));
    }
    assertRefused(
        LayerStatus.INVALID_UTF8,
        "provider_id",
        () ->
            LayerSigner.builder()
                .privateKeyPem(Vectors.keyFile("keys/rsa2048.pkcs8.pem"))
                .providerId(HandlesTest.PROVIDER + "\ud800")
                .keyId(HandlesTest.KEY_ID)
                .build());
    assertRefused(LayerStatus.INVALID_UTF8, "token_type", () -> TokenType.parse("JW\udc54"));
    // A key is bytes: U+0000 in its text makes it a key the library cannot read.
    String key = Vectors.keyFile("keys/rsa2048.pkcs8.pem");
    String withNul = key.substring(0, 40) + "\u0000" + key.substring(40);
    LayerIdentityException e =
        assertThrows(
            LayerIdentityException.class,
            () ->
                LayerSigner.builder()
                    .privateKeyPem(withNul)
                    .providerId(HandlesTest.PROVIDER)
                    .keyId(HandlesTest.KEY_ID)
                    .build());
    assertEquals(LayerStatus.INVALID_KEY, e.status(), e.getMessage());
    assertFalse(e.getMessage().contains(key.substring(28, 40)), "no key text in the message");
  }

  /** The encoding itself: standard UTF-8, and a lone surrogate as its 3-byte (invalid) form. */
  @Test
  void loneSurrogatesAreEncodedAsInvalidBytesNeverReplaced() {
    assertArrayEquals(
        new byte[] {'a', (byte) 0xED, (byte) 0xA0, (byte) 0x80, 'b'}, Utf8.encode("a\ud800b"));
    assertArrayEquals(
        new byte[] {(byte) 0xED, (byte) 0xBF, (byte) 0xBF, (byte) 0xF0, (byte) 0x9F, (byte) 0x98,
            (byte) 0x80},
        Utf8.encode("\udfff\ud83d\ude00"));
    assertArrayEquals(EDGES.getBytes(StandardCharsets.UTF_8), Utf8.encode(EDGES));
    assertArrayEquals(new byte[] {'a', 0, 'b'}, Utf8.encode("a\u0000b"));
  }

  private static LayerIdentityException assertRefused(
      LayerStatus status, String argument, Executable call) {
    LayerIdentityException e = assertThrows(LayerIdentityException.class, call);
    assertEquals(status, e.status(), e.getMessage());
    assertTrue(e.getMessage().startsWith(argument), e.getMessage());
    assertEquals(null, e.eitCode());
    assertTrue(
        e.getMessage().contains(status == LayerStatus.INVALID_UTF8 ? "UTF-8" : "U+0000"),
        e.getMessage());
    return e;
  }

  /** JSON string escaping as the library writes it (serde_json's), written out independently. */
  static String escape(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    return out.toString();
  }

  /** A token signed by the JDK's RSA with the rsa2048 vector key. */
  static String jdkSign(String header, String claims) throws Exception {
    String pem = Vectors.keyFile("keys/rsa2048.pkcs8.pem");
    String body =
        pem.replace("-----BEGIN PRIVATE KEY-----", "")
            .replace("-----END PRIVATE KEY-----", "")
            .replaceAll("\\s", "");
    PrivateKey key =
        KeyFactory.getInstance("RSA")
            .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String input =
        b64.encodeToString(header.getBytes(StandardCharsets.UTF_8))
            + "."
            + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
    Signature signer = Signature.getInstance("SHA256withRSA");
    signer.initSign(key);
    signer.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + b64.encodeToString(signer.sign());
  }
}
