package com.layer.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Handle lifetimes: close is idempotent and thread-safe, use after close is an {@link
 * IllegalStateException} (never a crash), a close during signatures in other threads waits for
 * none and frees after the last, and the Cleaner frees what nobody closed. Native handles are
 * counted ({@link NativeHandle#liveCount()}), so "freed exactly once" is observed, not assumed.
 */
@Isolated
class HandlesTest {
  static final String PROVIDER = "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f";
  static final String KEY_ID = "layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678";

  static LayerSigner signer() {
    return LayerSigner.builder()
        .privateKeyPem(Vectors.keyFile("keys/rsa2048.pkcs8.pem"))
        .providerId(PROVIDER)
        .keyId(KEY_ID)
        .build();
  }

  static LayerVerifier verifier() {
    return LayerVerifier.builder()
        .publicKeyPem(Vectors.keyFile("keys/rsa2048.public.pem"))
        .providerId(PROVIDER)
        .keyId(KEY_ID)
        .build();
  }

  @Test
  void closeTwiceThenUseThrowsIllegalState() {
    long live = NativeHandle.liveCount();
    LayerSigner signer = signer();
    LayerVerifier verifier = verifier();
    assertEquals(live + 2, NativeHandle.liveCount());
    String token = signer.sign("alice", "nonce");
    assertEquals("alice", verifier.verify(token).userId());

    signer.close();
    signer.close();
    verifier.close();
    verifier.close();
    assertEquals(live, NativeHandle.liveCount(), "each handle freed once");
    assertTrue(signer.isClosed());
    assertTrue(verifier.isClosed());
    assertEquals("LayerSigner[closed]", signer.toString());

    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> signer.sign("alice", "nonce"));
    assertEquals("LayerSigner is closed", e.getMessage());
    assertThrows(IllegalStateException.class, () -> signer.sign(SignRequest.of("a", "n")));
    assertThrows(IllegalStateException.class, signer::publicKeyPem);
    e = assertThrows(IllegalStateException.class, () -> verifier.verify(token));
    assertEquals("LayerVerifier is closed", e.getMessage());
    assertEquals(live, NativeHandle.liveCount());
  }

  @Test
  void tryWithResourcesCloses() {
    LayerSigner kept;
    try (LayerSigner signer = signer()) {
      kept = signer;
      assertFalse(signer.isClosed());
    }
    assertTrue(kept.isClosed());
  }

  @Test
  void closeFromManyThreadsAtOnceFreesOnce() throws Exception {
    long live = NativeHandle.liveCount();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 20; round++) {
        LayerSigner signer = signer();
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> closes = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          closes.add(
              pool.submit(
                  () -> {
                    start.await();
                    signer.close();
                    return null;
                  }));
        }
        start.countDown();
        for (Future<?> f : closes) {
          f.get(30, TimeUnit.SECONDS);
        }
        assertEquals(live, NativeHandle.liveCount());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Threads sign in a loop while another closes the signer: every call either returns a valid
   * token or throws IllegalStateException, and the handle is freed once, after the last call.
   */
  @Test
  void closeWhileOtherThreadsSign() throws Exception {
    try (LayerVerifier verifier = verifier()) {
      long live = NativeHandle.liveCount();
      for (int round = 0; round < 5; round++) {
        LayerSigner signer = signer();
        AtomicInteger tokens = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        AtomicBoolean failed = new AtomicBoolean();
        CountDownLatch signing = new CountDownLatch(4);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          Thread thread =
              new Thread(
                  () -> {
                    signing.countDown();
                    while (true) {
                      try {
                        String token = signer.sign("user", "nonce");
                        verifier.verify(token);
                        tokens.incrementAndGet();
                      } catch (IllegalStateException closed) {
                        refused.incrementAndGet();
                        return;
                      } catch (RuntimeException other) {
                        failed.set(true);
                        return;
                      }
                    }
                  });
          thread.start();
          threads.add(thread);
        }
        signing.await();
        Thread.sleep(20);
        signer.close();
        for (Thread thread : threads) {
          thread.join(30_000);
        }
        assertFalse(failed.get());
        assertEquals(4, refused.get(), "each thread sees the close");
        assertEquals(live, NativeHandle.liveCount(), "freed once, after the last call");
        assertTrue(tokens.get() > 0);
      }
    }
  }

  /** Signers and verifiers nobody closes are freed by the Cleaner once unreachable. */
  @Test
  void cleanerFreesWhatWasNotClosed() throws Exception {
    long live = NativeHandle.liveCount();
    for (int i = 0; i < 50; i++) {
      signer().sign("u", "n");
      verifier();
    }
    assertTrue(NativeHandle.liveCount() > live);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (NativeHandle.liveCount() > live && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(20);
    }
    assertEquals(live, NativeHandle.liveCount(), "the Cleaner freed every lost handle");
  }
}
