package com.layer.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Loops in a child JVM whose Java heap is fixed and touched up front (-Xms = -Xmx,
 * AlwaysPreTouch), so that its resident size moves only with native memory. After a warm-up of
 * a fifth of the run, the resident size must stay flat.
 *
 * <ul>
 *   <li>create, sign, close: a leaked signer (its key copies) would add megabytes. Each create
 *       decodes the key and warms it with signatures, so this loop is slow: {@code
 *       layer.soak.iterations} sets its count, 2,000 in the test run, 100,000 by hand ({@code
 *       mvn verify -Dtest=SoakTest -Dlayer.soak.iterations=100000});
 *   <li>sign, verify, a refused signature, a rejected token, 10,000 times on one signer: a
 *       leaked token, claims object or message (hundreds of bytes) would add megabytes.
 * </ul>
 */
class SoakTest {
  /** Allowed growth after the warm-up, in kB. */
  private static final long SLACK_KB = 4 * 1024;

  @Test
  void createSignCloseKeepsAFlatNativeFootprint() {
    soak("create", "create/sign/close", Integer.getInteger("layer.soak.iterations", 2_000));
  }

  @Test
  void signVerifyAndErrorsKeepAFlatNativeFootprint() {
    soak("use", "sign/verify/refusals", 10_000);
  }

  private static void soak(String mode, String what, int iterations) {
    ChildJvm child = new ChildJvm();
    child.jvmOptions.addAll(List.of("-Xms64m", "-Xmx64m", "-XX:+AlwaysPreTouch"));
    ChildJvm.Result result =
        child.run(SoakLoop.class, Vectors.dir().toString(), mode, Integer.toString(iterations));
    assertEquals(0, result.exitCode, result.toString());
    List<long[]> samples = new ArrayList<>();
    String seconds = "?";
    for (String line : result.stdout.split("\n")) {
      String[] f = line.trim().split(" ");
      if (f[0].equals("RSS")) {
        samples.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
      } else if (f[0].equals("DONE")) {
        seconds = f[1];
      }
    }
    assertEquals(11, samples.size(), result.toString());
    long warm = samples.get(2)[1];
    long end = samples.get(10)[1];
    long max = samples.stream().skip(2).mapToLong(s -> s[1]).max().orElseThrow();
    StringBuilder figures = new StringBuilder();
    for (long[] s : samples) {
      figures.append(' ').append(s[0]).append(':').append(s[1] / 1024).append("MB");
    }
    Report.line(
        "soak: %d x %s in %s s; RSS at 20%% %d kB, at the end %d kB (%+d kB),"
            + " peak after warm-up %d kB;%s",
        iterations,
        what,
        seconds, warm, end, end - warm, max, figures);
    assertTrue(
        max - warm < SLACK_KB,
        "resident size grew by " + (max - warm) + " kB after the warm-up:" + figures);
  }
}
