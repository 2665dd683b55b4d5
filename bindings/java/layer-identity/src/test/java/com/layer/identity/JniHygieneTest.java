package com.layer.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

/**
 * The JVM's own JNI checker ({@code -Xcheck:jni}) over every native method and error path: it
 * reports a JNI call made with an exception pending, an exception left unchecked, a local
 * reference table overflowing its capacity, a wrong array or string function, and the like.
 * Any warning fails the test.
 */
class JniHygieneTest {
  @Test
  void noJniWarningsOnAnyPath() {
    ChildJvm child = new ChildJvm();
    child.jvmOptions.add("-Xcheck:jni");
    ChildJvm.Result result = child.run(JniWorkload.class, Vectors.dir().toString());
    assertEquals(0, result.exitCode, result.toString());
    assertEquals("DONE", result.stdout.trim(), result.toString());
    assertFalse(result.stdout.contains("WARNING"), result.toString());
    assertFalse(result.stderr.contains("WARNING"), result.toString());
    assertFalse(result.stderr.contains("FATAL"), result.toString());
  }
}
