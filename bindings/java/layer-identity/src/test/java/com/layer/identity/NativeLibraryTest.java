package com.layer.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JNI library as built, and how it is found: the jar's copy, {@code LAYER_IDENTITY_JNI_LIB},
 * {@code java.library.path}, and the message that lists every place tried when none works.
 */
class NativeLibraryTest {
  static final Path LIBRARY =
      Paths.get("target", "classes", "native", "linux-x86_64", "liblayer_identity_jni.so")
          .toAbsolutePath();

  @TempDir static Path temp;
  static Path classesWithoutLibrary;

  @BeforeAll
  static void copyClassesWithoutTheLibrary() throws IOException {
    Path classes = Paths.get("target", "classes").toAbsolutePath();
    classesWithoutLibrary = temp.resolve("classes");
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Path target = classesWithoutLibrary.resolve(classes.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(target);
        } else if (!file.toString().endsWith(".so")) {
          Files.copy(file, target);
        }
      }
    }
  }

  private static List<String> command(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + out);
    return List.of(out.split("\n"));
  }

  /** One library of ours: OpenSSL 3 stays the system's; nothing else of ours is NEEDED. */
  @Test
  void linksOpenSslDynamicallyAndNothingOfOurs() throws Exception {
    Set<String> needed = new TreeSet<>();
    for (String line : command("readelf", "-d", "-W", LIBRARY.toString())) {
      if (line.contains("(NEEDED)")) {
        needed.add(line.substring(line.indexOf('[') + 1, line.indexOf(']')));
      }
    }
    assertTrue(needed.contains("libssl.so.3"), needed.toString());
    assertTrue(needed.contains("libcrypto.so.3"), needed.toString());
    for (String library : needed) {
      assertFalse(library.contains("layer_identity"), "NEEDED " + library);
      assertTrue(
          Set.of(
                  "libssl.so.3",
                  "libcrypto.so.3",
                  "libgcc_s.so.1",
                  "libc.so.6",
                  "libm.so.6",
                  "ld-linux-x86-64.so.2")
              .contains(library),
          "unexpected NEEDED " + library);
    }
  }

  /** The Rust core's symbols are hidden: only the JNI entry points are exported. */
  @Test
  void exportsOnlyTheJniEntryPoints() throws Exception {
    Set<String> exported = new TreeSet<>();
    for (String line : command("readelf", "--dyn-syms", "-W", LIBRARY.toString())) {
      String[] f = line.trim().split("\\s+");
      // Num: Value Size Type Bind Vis Ndx Name
      if (f.length >= 8 && f[0].endsWith(":") && !f[6].equals("UND") && f[4].equals("GLOBAL")) {
        exported.add(f[7]);
      }
    }
    assertEquals(Set.of("JNI_OnLoad", "JNI_OnUnload"), exported);
  }

  @Test
  void loadsTheJarsCopyAndLeavesNoFileBehind() throws Exception {
    Path tmp = Files.createDirectories(temp.resolve("tmp-jar"));
    ChildJvm child = new ChildJvm();
    child.jvmOptions.add("-Djava.io.tmpdir=" + tmp);
    ChildJvm.Result result = child.run(LoadProbe.class);
    assertEquals(
        "LOADED the copy in the jar (/native/linux-x86_64/liblayer_identity_jni.so)",
        result.stdout.trim(),
        result.toString());
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(0, left.count(), "the extracted library is deleted once loaded");
    }
  }

  @Test
  void theJniLibVariableComesFirst() {
    ChildJvm child = new ChildJvm();
    Path copy = LIBRARY;
    child.env.put("LAYER_IDENTITY_JNI_LIB", copy.toString());
    ChildJvm.Result result = child.run(LoadProbe.class);
    assertEquals("LOADED LAYER_IDENTITY_JNI_LIB=" + copy, result.stdout.trim(), result.toString());
  }

  /** LAYER_IDENTITY_LIB names the C library for other languages: the JNI loader ignores it. */
  @Test
  void theCLibraryVariableIsNotTheJniLibrarys() {
    ChildJvm child = new ChildJvm();
    child.env.put("LAYER_IDENTITY_LIB", "/nonexistent/liblayer_identity.so");
    ChildJvm.Result result = child.run(LoadProbe.class);
    assertEquals(
        "LOADED the copy in the jar (/native/linux-x86_64/liblayer_identity_jni.so)",
        result.stdout.trim(),
        result.toString());
  }

  @Test
  void fallsBackToJavaLibraryPath() {
    ChildJvm child = new ChildJvm();
    child.classpath = classpathWithoutLibrary();
    child.jvmOptions.add("-Djava.library.path=" + LIBRARY.getParent());
    ChildJvm.Result result = child.run(LoadProbe.class);
    assertEquals(
        "LOADED java.library.path (" + LIBRARY.getParent() + ")",
        result.stdout.trim(),
        result.toString());
  }

  @Test
  void anUnextractableCopyFallsBackToJavaLibraryPath() {
    ChildJvm child = new ChildJvm();
    child.jvmOptions.add("-Djava.io.tmpdir=/nonexistent/tmp");
    child.jvmOptions.add("-Djava.library.path=" + LIBRARY.getParent());
    ChildJvm.Result result = child.run(LoadProbe.class);
    assertEquals(
        "LOADED java.library.path (" + LIBRARY.getParent() + ")",
        result.stdout.trim(),
        result.toString());
  }

  @Test
  void nothingLoadsAndTheMessageListsEveryPlaceTried() {
    ChildJvm child = new ChildJvm();
    child.classpath = classpathWithoutLibrary();
    child.jvmOptions.add("-Djava.library.path=/nonexistent/lib");
    String message = failure(child.run(LoadProbe.class));
    assertTrue(
        message.startsWith(
            "layer-identity could not load its native library liblayer_identity_jni.so."
                + " Tried, in order:\n"
                + "  1. LAYER_IDENTITY_JNI_LIB: not set\n"),
        message);
    assertTrue(
        message.contains(
            "\n  2. the copy in the jar (/native/linux-x86_64/liblayer_identity_jni.so):"
                + " not in the jar\n"),
        message);
    assertTrue(
        message.contains(
            "\n  3. java.library.path: no layer_identity_jni in java.library.path:"
                + " /nonexistent/lib\n"),
        message);
    assertTrue(message.contains("libssl.so.3"), message);
  }

  /**
   * When LAYER_IDENTITY_JNI_LIB is set it is the only place tried: a path that does not load
   * is the error, naming the variable and the path, even though the jar has its own copy.
   */
  @Test
  void aSetJniLibVariableIsTheOnlyPlaceTried() {
    ChildJvm child = new ChildJvm();
    child.env.put("LAYER_IDENTITY_JNI_LIB", "/nonexistent/liblayer_identity_jni.so");
    child.jvmOptions.add("-Djava.library.path=" + LIBRARY.getParent());
    String message = failure(child.run(LoadProbe.class));
    assertTrue(
        message.startsWith(
            "layer-identity could not load its native library from"
                + " LAYER_IDENTITY_JNI_LIB=/nonexistent/liblayer_identity_jni.so (when"
                + " LAYER_IDENTITY_JNI_LIB is set, it is the only place tried): System.load"
                + " failed: "),
        message);
    assertTrue(message.contains("Unset LAYER_IDENTITY_JNI_LIB"), message);
  }

  /** The C library is not the JNI library: said so, not a confusing UnsatisfiedLinkError. */
  @Test
  void theCLibraryIsRecognizedAsNotTheJniLibrary() {
    ChildJvm child = new ChildJvm();
    Path cLibrary = Vectors.root().resolve("target/release/liblayer_identity.so");
    child.env.put("LAYER_IDENTITY_JNI_LIB", cLibrary.toString());
    String message = failure(child.run(LoadProbe.class));
    assertTrue(
        message.contains(
            "LAYER_IDENTITY_JNI_LIB="
                + cLibrary
                + " (when LAYER_IDENTITY_JNI_LIB is set, it is the only place tried): loaded, but"
                + " it is not liblayer_identity_jni.so"),
        message);
  }

  private static String classpathWithoutLibrary() {
    List<String> parts = new ArrayList<>();
    parts.add(Paths.get("target", "test-classes").toAbsolutePath().toString());
    parts.add(classesWithoutLibrary.toString());
    return String.join(java.io.File.pathSeparator, parts);
  }

  private static String failure(ChildJvm.Result result) {
    String out = result.stdout.trim();
    assertTrue(out.startsWith("FAILED "), result.toString());
    return new String(
        Base64.getDecoder().decode(out.substring("FAILED ".length())), StandardCharsets.UTF_8);
  }
}
