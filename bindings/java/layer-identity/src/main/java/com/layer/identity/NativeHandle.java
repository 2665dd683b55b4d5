package com.layer.identity;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Owns one native handle ({@code LayerSigner*} or {@code LayerVerifier*}) for a Java object and
 * frees it exactly once: when the owner is {@linkplain #close() closed}, or, as a safety net,
 * when the owner becomes unreachable ({@link Cleaner}).
 *
 * <p><b>Close versus concurrent use: a reference count.</b> Every native call on the handle runs
 * between {@link #acquire()} and {@link #release()}. The state is one atomic integer: bit 0 says
 * closed, the rest counts the calls in flight. {@code acquire} increments the count unless the
 * closed bit is set (then it throws {@link IllegalStateException}, before any native call);
 * {@code close} sets the bit; whoever brings the state to exactly "closed, no calls" - {@code
 * close} when nothing is in flight, otherwise the last {@code release} - frees the handle. Once
 * the bit is set the count can only fall, so that state is reached once: no handle is freed
 * while a call on it runs, none is freed twice, and a thread that closes never waits for a
 * signature in another thread. (A read-write lock would do the same with a blocking close and
 * more cost per call; the two compare-and-set operations here cost nanoseconds against the
 * microseconds of an RSA operation.)
 *
 * <p>The Cleaner's action is {@link #close}, which references this object but never the owner,
 * so the owner can become unreachable. It cannot free the handle under a running call either:
 * the call holds a count, so the free waits for its {@code release}.
 */
final class NativeHandle {
  private static final Cleaner CLEANER =
      Cleaner.create(
          runnable -> {
            Thread thread = new Thread(runnable, "layer-identity-cleaner");
            thread.setDaemon(true);
            return thread;
          });

  /** Native handles created and not yet freed, in this class loader (read by the tests). */
  private static final AtomicLong LIVE = new AtomicLong();

  private static final int CLOSED = 1;
  private static final int CALL = 2;

  private final String kind;
  private final long address;
  private final LongConsumer free;
  private final AtomicInteger state = new AtomicInteger();
  private final Cleaner.Cleanable cleanable;

  /**
   * Takes ownership of {@code address} (never 0) for {@code owner}.
   *
   * @param kind the owner's class name, for the message after close
   * @param free the library's {@code *_free} function for this kind of handle
   */
  NativeHandle(Object owner, String kind, long address, LongConsumer free) {
    if (address == 0) {
      throw new LayerIdentityException(LayerStatus.INTERNAL, kind + ": the library returned NULL");
    }
    this.kind = kind;
    this.address = address;
    this.free = free;
    LIVE.incrementAndGet();
    this.cleanable = CLEANER.register(owner, this::markClosed);
  }

  /**
   * Starts a native call: returns the address, valid until {@link #release()}.
   *
   * @throws IllegalStateException when the owner is closed
   */
  long acquire() {
    for (; ; ) {
      int s = state.get();
      if ((s & CLOSED) != 0) {
        throw new IllegalStateException(kind + " is closed");
      }
      if (state.compareAndSet(s, s + CALL)) {
        return address;
      }
    }
  }

  /** Ends a native call started by {@link #acquire()}. */
  void release() {
    if (state.addAndGet(-CALL) == CLOSED) {
      freeNow();
    }
  }

  /** Closes the owner: idempotent, safe from any thread, never blocks. */
  void close() {
    cleanable.clean();
  }

  boolean isClosed() {
    return (state.get() & CLOSED) != 0;
  }

  private void markClosed() {
    int s;
    do {
      s = state.get();
      if ((s & CLOSED) != 0) {
        return;
      }
    } while (!state.compareAndSet(s, s | CLOSED));
    if (s == 0) {
      freeNow();
    }
  }

  private void freeNow() {
    LIVE.decrementAndGet();
    free.accept(address);
  }

  /** Native handles created and not yet freed (tests). */
  static long liveCount() {
    return LIVE.get();
  }
}
