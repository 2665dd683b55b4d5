package com.layer.identity;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The child JVM of {@link NativeLibraryTest}: prints {@code LOADED <where>} after one call
 * that fails in the library (so the glue's exception class works too), or {@code FAILED <base64 of the UnsatisfiedLinkError message>} (twice the same
 * message: every use reports the failure, not only the first).
 */
public final class LoadProbe {
  private LoadProbe() {}

  public static void main(String[] args) {
    try {
      String where = LayerIdentity.nativeLibrary();
      try {
        LayerVerifier.builder().publicKeyPem("").providerId("p").keyId("k").build();
        System.out.println("a verifier without a key?");
        return;
      } catch (LayerIdentityException expected) {
        if (expected.status() != LayerStatus.INVALID_ARGUMENT) {
          System.out.println("unexpected " + expected);
          return;
        }
      }
      System.out.println("LOADED " + where);
    } catch (UnsatisfiedLinkError first) {
      try {
        LayerKeys.generate();
        System.out.println("LOADED on the second try?");
      } catch (UnsatisfiedLinkError second) {
        if (!second.getMessage().equals(first.getMessage())) {
          System.out.println("DIFFERENT " + second.getMessage());
          return;
        }
      }
      System.out.println(
          "FAILED "
              + Base64.getEncoder()
                  .encodeToString(first.getMessage().getBytes(StandardCharsets.UTF_8)));
    }
  }
}
