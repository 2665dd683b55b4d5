package com.layer.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/**
 * The sample backend's refusals to start (issue 17): a PORT that is not ASCII digits, and an
 * address in use, each with one clear line on stderr, exit status 2 and no stack trace. (The
 * rest of the backend is tested end to end by conformance.py --backend java.)
 */
class SampleBackendTest {
  private static final String MAIN = "com.layer.identity.sample.SampleBackend";

  private static ChildJvm backend(String port) {
    ChildJvm child = new ChildJvm();
    child.env.put("LAYER_PROVIDER_ID", HandlesTest.PROVIDER);
    child.env.put("LAYER_KEY_ID", HandlesTest.KEY_ID);
    child.env.put(
        "LAYER_PRIVATE_KEY_PATH", Vectors.dir().resolve("keys/rsa2048.pkcs8.pem").toString());
    child.env.put("HOST", "127.0.0.1");
    child.env.put("PORT", port);
    return child;
  }

  private static void assertRefused(ChildJvm.Result result, String message) {
    assertEquals(2, result.exitCode, result.toString());
    assertEquals("", result.stdout, result.toString());
    assertTrue(result.stderr.contains(message), result.toString());
    assertFalse(result.stderr.contains("\tat "), "no stack trace: " + result);
    assertFalse(result.stderr.contains("Exception"), "no exception: " + result);
  }

  /** PORT=٣ (an Arabic-Indic digit three) used to listen on port 3. */
  @Test
  void aPortThatIsNotAsciiDigitsIsRefused() {
    for (String port : new String[] {"\u0663", "+80", "80a", "65536", " 80", ""}) {
      if (port.isEmpty()) {
        continue; // an empty PORT means the default, as an unset one
      }
      assertRefused(
          backend(port).run(MAIN),
          "sample backend: PORT must be a port number, ASCII digits from 0 to 65535");
    }
  }

  /** A port in use used to end in a bare stack trace. */
  @Test
  void aPortInUseIsAClearMessage() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      assertRefused(
          backend(Integer.toString(port)).run(MAIN),
          "sample backend: cannot listen on 127.0.0.1:" + port + ": Address already in use");
    }
  }
}
