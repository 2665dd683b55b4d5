package com.layer.identity.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/** The shared vector key (rsa2048), as PEM text and as JCA keys. */
final class Keys {
  static final String PROVIDER = "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f";
  static final String KEY_ID = "layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678";
  static final String USER = "alice@example.com";
  static final String NONCE = "c2VjcmV0LW5vbmNlLWZyb20tbGF5ZXItc2RrLTAwMDE";

  private Keys() {}

  /** The vectors directory: -Dlayer.vectors=..., else ../../vectors or ../../../vectors. */
  static Path vectors() {
    String explicit = System.getProperty("layer.vectors");
    if (explicit != null) {
      return Paths.get(explicit);
    }
    for (String candidate : new String[] {"../../vectors", "../../../vectors", "vectors"}) {
      if (Files.isDirectory(Paths.get(candidate))) {
        return Paths.get(candidate);
      }
    }
    throw new IllegalStateException("set -Dlayer.vectors=<repository>/vectors");
  }

  static String privatePem() {
    return read("keys/rsa2048.pkcs8.pem");
  }

  static String publicPem() {
    return read("keys/rsa2048.public.pem");
  }

  static String read(String relative) {
    try {
      return Files.readString(vectors().resolve(relative), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] der(String pem) {
    return Base64.getDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", ""));
  }

  /** What a JCA user does with PEM text: decode it and build the key. */
  static RSAPrivateKey privateKey(String pem) {
    try {
      return (RSAPrivateKey)
          KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der(pem)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static RSAPublicKey publicKey(String pem) {
    try {
      return (RSAPublicKey)
          KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der(pem)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
