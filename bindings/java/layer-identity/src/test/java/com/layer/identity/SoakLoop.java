package com.layer.identity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * The child JVM of {@link SoakTest}, printing {@code RSS <iteration> <kB>} ten times along the
 * way and {@code DONE <seconds>} at the end. Arguments: the vectors directory, the mode, the
 * iteration count. Modes: {@code create}, ITERATIONS x (build a signer from PEM, sign one
 * token, close); {@code use}, one signer and one verifier, ITERATIONS x (sign with attributes
 * and metadata, verify, a refused signature, a rejected token, the public key), so that every
 * string and claims object the library returns on success and on failure passes through.
 */
public final class SoakLoop {
  private SoakLoop() {}

  public static void main(String[] args) throws IOException {
    String pem =
        new String(
            Files.readAllBytes(Paths.get(args[0], "keys", "rsa2048.pkcs8.pem")),
            StandardCharsets.UTF_8);
    String publicPem =
        new String(
            Files.readAllBytes(Paths.get(args[0], "keys", "rsa2048.public.pem")),
            StandardCharsets.UTF_8);
    boolean create = args[1].equals("create");
    int iterations = Integer.parseInt(args[2]);
    int step = Math.max(1, iterations / 10);
    long start = System.nanoTime();
    System.out.println("RSS 0 " + rssKb());
    try (LayerSigner shared = signer(pem);
        LayerVerifier verifier =
            LayerVerifier.builder()
                .publicKeyPem(publicPem)
                .providerId(HandlesTest.PROVIDER)
                .keyId(HandlesTest.KEY_ID)
                .build()) {
      for (int i = 1; i <= iterations; i++) {
        if (create) {
          try (LayerSigner signer = signer(pem)) {
            check(!signer.sign("user-" + i, "nonce").isEmpty());
          }
        } else {
          String nonce = "nonce-" + i;
          String token =
              shared.sign(
                  SignRequest.builder("user-" + i, nonce)
                      .displayName("User " + i)
                      .putMetadata("plan", "pro")
                      .putMetadata("i", Integer.toString(i))
                      .build());
          check(verifier.verify(token, VerifyOptions.withNonce(nonce)).metadata().size() == 2);
          check(refused(() -> shared.sign("", nonce)));
          check(refused(() -> verifier.verify(token, VerifyOptions.withNonce("other"))));
          check(!shared.publicKeyPem().isEmpty());
        }
        if (i % step == 0) {
          System.out.println("RSS " + i + " " + rssKb());
        }
      }
    }
    System.out.printf("DONE %.1f%n", (System.nanoTime() - start) / 1e9);
  }

  private static LayerSigner signer(String pem) {
    return LayerSigner.builder()
        .privateKeyPem(pem)
        .providerId(HandlesTest.PROVIDER)
        .keyId(HandlesTest.KEY_ID)
        .build();
  }

  private static boolean refused(Runnable call) {
    try {
      call.run();
      return false;
    } catch (LayerIdentityException expected) {
      return !expected.getMessage().isEmpty();
    }
  }

  private static void check(boolean condition) {
    if (!condition) {
      throw new AssertionError("soak loop check failed");
    }
  }

  static long rssKb() throws IOException {
    for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no VmRSS");
  }
}
