package com.layer.identity.bench;

import com.layer.identity.LayerSigner;
import com.layer.identity.LayerVerifier;
import com.layer.identity.VerifyOptions;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Operations per second of the Java binding, for bench.sh to set beside the C ABI's abi_bench
 * in the same run: {@code sign} (one signer, a fresh nonce each time) or {@code verify} (every
 * claim read into a LayerClaims), after one second of warm-up.
 *
 * <pre>java -cp benchmarks.jar com.layer.identity.bench.NativeRate sign|verify SECONDS KEY_PEM</pre>
 */
public final class NativeRate {
  private NativeRate() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    double seconds = Double.parseDouble(args[1]);
    String pem = Files.readString(Path.of(args[2]));
    String provider = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f";
    String keyId = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f";
    try (LayerSigner signer =
            LayerSigner.builder().privateKeyPem(pem).providerId(provider).keyId(keyId).build();
        LayerVerifier verifier =
            LayerVerifier.builder().publicKeyPem(pem).providerId(provider).keyId(keyId).build()) {
      String token = signer.sign("user-42", "nonce");
      VerifyOptions options = VerifyOptions.withNonce("nonce");
      long sink = 0;
      long warmupEnd = System.nanoTime() + 1_000_000_000L;
      long end = warmupEnd + (long) (seconds * 1e9);
      long count = 0;
      long start = 0;
      for (long n = 0; ; n++) {
        long now = System.nanoTime();
        if (now >= end) {
          break;
        }
        if (start == 0 && now >= warmupEnd) {
          start = now;
          count = 0;
        }
        if (mode.equals("sign")) {
          sink += signer.sign("user-42", "nonce-" + n).length();
        } else {
          sink += verifier.verify(token, options).issuedAtEpochSecond();
        }
        count++;
      }
      double rate = count / ((System.nanoTime() - start) / 1e9);
      System.out.printf("%s %.1f%n", mode, rate);
      if (sink == 42) {
        System.out.println(); // keeps the results alive
      }
    }
  }
}
