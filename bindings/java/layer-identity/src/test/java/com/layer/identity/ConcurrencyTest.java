package com.layer.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.PublicKey;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 8 threads x 500 tokens on one signer, each verified by one shared verifier (with its nonce)
 * in the thread that made it, and all 4,000 again by the JDK's own RSA afterwards.
 */
class ConcurrencyTest {
  private static final int THREADS = 8;
  private static final int TOKENS = 500;

  @Test
  void eightThreadsShareOneSignerAndOneVerifier() throws Exception {
    PublicKey jdkKey = Jws.publicKey(Vectors.keyFile("keys/rsa2048.public.pem"));
    List<String> all = new ArrayList<>();
    try (LayerSigner signer = HandlesTest.signer();
        LayerVerifier verifier = HandlesTest.verifier()) {
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<String>>> results = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        Callable<List<String>> work =
            () -> {
              start.await();
              List<String> tokens = new ArrayList<>();
              for (int i = 0; i < TOKENS; i++) {
                String user = "user-" + thread + "-" + i;
                String nonce = "nonce-" + thread + "-" + i + "-\u00e9\ud83d\ude00";
                String token =
                    i % 2 == 0
                        ? signer.sign(user, nonce)
                        : signer.sign(
                            SignRequest.builder(user, nonce)
                                .displayName("Thread " + thread)
                                .putMetadata("i", Integer.toString(i))
                                .build());
                LayerClaims claims = verifier.verify(token, VerifyOptions.withNonce(nonce));
                assertEquals(user, claims.userId());
                assertEquals(nonce, claims.nonce());
                if (i % 2 == 1) {
                  assertEquals("Thread " + thread, claims.displayName().orElseThrow());
                  assertEquals(Integer.toString(i), claims.metadata().get("i"));
                }
                tokens.add(token);
              }
              return tokens;
            };
        results.add(pool.submit(work));
      }
      start.countDown();
      for (Future<List<String>> result : results) {
        all.addAll(result.get(5, TimeUnit.MINUTES));
      }
      pool.shutdown();
    }
    assertEquals(THREADS * TOKENS, all.size());
    Set<String> distinct = new HashSet<>(all);
    assertEquals(all.size(), distinct.size(), "every token distinct");
    for (String token : all) {
      assertTrue(Jws.signatureValid(token, jdkKey), "JDK RSA verifies every token");
    }
    Report.line(
        "threads: %d x %d tokens on one signer, all verified by the library and by JDK RSA",
        THREADS, TOKENS);
  }
}
