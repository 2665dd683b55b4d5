package com.layer.identity;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * An independent check of tokens: the JDK's own RSA (SunRsaSign, {@code SHA256withRSA})
 * verifies the signature; nothing here comes from layer-identity.
 */
final class Jws {
  private Jws() {}

  static PublicKey publicKey(String spkiPem) {
    String body =
        spkiPem
            .replace("-----BEGIN PUBLIC KEY-----", "")
            .replace("-----END PUBLIC KEY-----", "")
            .replaceAll("\\s", "");
    try {
      return KeyFactory.getInstance("RSA")
          .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(body)));
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /** Whether the JDK accepts the token's RS256 signature with {@code key}. */
  static boolean signatureValid(String token, PublicKey key) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) {
      return false;
    }
    try {
      Signature verifier = Signature.getInstance("SHA256withRSA");
      verifier.initVerify(key);
      verifier.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      return verifier.verify(Base64.getUrlDecoder().decode(parts[2]));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  static byte[] segment(String token, int index) {
    return Base64.getUrlDecoder().decode(token.split("\\.", -1)[index]);
  }

  static String headerJson(String token) {
    return new String(segment(token, 0), StandardCharsets.UTF_8);
  }

  static String claimsJson(String token) {
    return new String(segment(token, 1), StandardCharsets.UTF_8);
  }
}
