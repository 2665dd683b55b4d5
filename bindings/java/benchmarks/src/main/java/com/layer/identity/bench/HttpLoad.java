package com.layer.identity.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small HTTP/1.1 load generator for the identity-token endpoint: CONNECTIONS keep-alive
 * connections, each sending {@code POST /identity-token} with a fresh nonce as soon as the
 * previous answer arrived, for SECONDS after one second of warm-up. Prints one line: tokens per
 * second, and the median and 99th-percentile latency in milliseconds. Every answer must be a
 * 200 with a token, or the run fails.
 *
 * <pre>java -cp benchmarks.jar com.layer.identity.bench.HttpLoad HOST PORT CONNECTIONS SECONDS</pre>
 */
public final class HttpLoad {
  private HttpLoad() {}

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    int connections = Integer.parseInt(args[2]);
    double seconds = Double.parseDouble(args[3]);
    long warmupEnd = System.nanoTime() + 1_000_000_000L;
    long end = warmupEnd + (long) (seconds * 1e9);
    List<long[]> latencies = new ArrayList<>();
    AtomicLong failures = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < connections; c++) {
      long[] mine = new long[4_000_000];
      latencies.add(mine);
      int id = c;
      Thread thread =
          new Thread(
              () -> {
                try {
                  mine[0] = run(host, port, id, warmupEnd, end, mine);
                } catch (IOException e) {
                  failures.incrementAndGet();
                  System.err.println("connection " + id + ": " + e);
                }
              });
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
    if (failures.get() > 0) {
      System.exit(1);
    }
    int total = 0;
    for (long[] mine : latencies) {
      total += (int) mine[0];
    }
    long[] all = new long[total];
    int at = 0;
    for (long[] mine : latencies) {
      System.arraycopy(mine, 1, all, at, (int) mine[0]);
      at += (int) mine[0];
    }
    Arrays.sort(all);
    System.out.printf(
        "connections %d tokens/s %.0f p50_ms %.3f p99_ms %.3f%n",
        connections,
        total / seconds,
        all[total / 2] / 1e6,
        all[(int) Math.min(total - 1, Math.round(total * 0.99))] / 1e6);
  }

  /** Requests until {@code end}; latencies after {@code warmupEnd} go to out[1..]; the count. */
  private static long run(String host, int port, int id, long warmupEnd, long end, long[] out)
      throws IOException {
    long count = 0;
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(host, port));
      OutputStream write = socket.getOutputStream();
      InputStream read = new BufferedInputStream(socket.getInputStream(), 8192);
      for (long n = 0; ; n++) {
        long start = System.nanoTime();
        if (start >= end) {
          return count;
        }
        String body = "{\"nonce\":\"bench-" + id + "-" + n + "\",\"user_id\":\"user-" + id + "\"}";
        String request =
            "POST /identity-token HTTP/1.1\r\nHost: "
                + host
                + "\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length()
                + "\r\n\r\n"
                + body;
        write.write(request.getBytes(StandardCharsets.US_ASCII));
        write.flush();
        readResponse(read);
        if (start >= warmupEnd && count + 1 < out.length) {
          out[(int) ++count] = System.nanoTime() - start;
        }
      }
    }
  }

  private static void readResponse(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the server closed the connection");
      }
      head.append((char) b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String text = head.toString();
    if (!text.startsWith("HTTP/1.1 200")) {
      throw new IOException("not a 200: " + text);
    }
    int length = -1;
    for (String line : text.split("\r\n")) {
      if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    byte[] body = in.readNBytes(length);
    if (body.length != length || !new String(body, StandardCharsets.US_ASCII).contains("identity_token")) {
      throw new IOException("no token in the answer");
    }
  }
}
