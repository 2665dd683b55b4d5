package com.layer.identity;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Loads {@code liblayer_identity_jni.so} once, on first use, trying in order:
 *
 * <ol>
 *   <li>{@code LAYER_IDENTITY_JNI_LIB}, an explicit path to a {@code liblayer_identity_jni.so}:
 *       when it is set, it is the only place tried, and failing to load it is the error (it
 *       names the variable and the path). It is not {@code LAYER_IDENTITY_LIB}, which other
 *       languages use for the C library, so that one environment can hold both;
 *   <li>the copy inside this jar ({@value #RESOURCE}), extracted to a private temporary file
 *       (mode 0600, in {@code java.io.tmpdir}), loaded, then deleted: the mapping stays, and
 *       nothing is left behind;
 *   <li>{@code java.library.path} ({@code System.loadLibrary("layer_identity_jni")}).
 * </ol>
 *
 * A candidate counts only when its glue version is this jar's and its C ABI version is at least
 * {@link Native#ABI_VERSION}. When none does, every use of the binding throws {@link
 * UnsatisfiedLinkError} with every place tried and why it failed.
 */
final class NativeLibrary {
  static final String RESOURCE = "/native/linux-x86_64/liblayer_identity_jni.so";
  static final String LIBRARY_NAME = "layer_identity_jni";
  static final String FILE_NAME = "liblayer_identity_jni.so";
  static final String ENV = "LAYER_IDENTITY_JNI_LIB";

  private NativeLibrary() {}

  /** The outcome, computed once by the first thread that needs the library. */
  private static final class Holder {
    static final String[] RESULT = load(); // {where it came from, null} or {null, error}
  }

  /**
   * Makes sure the library is loaded.
   *
   * @throws UnsatisfiedLinkError with every place tried, when it could not be loaded
   */
  static void ensureLoaded() {
    String error = Holder.RESULT[1];
    if (error != null) {
      throw new UnsatisfiedLinkError(error);
    }
  }

  /** Where the loaded library came from. */
  static String source() {
    ensureLoaded();
    return Holder.RESULT[0];
  }

  private static String[] load() {
    List<String> tried = new ArrayList<>();

    String explicit = System.getenv(ENV);
    if (explicit != null && !explicit.isEmpty()) {
      String path = Paths.get(explicit).toAbsolutePath().toString();
      String failure = tryLoad(path);
      if (failure == null) {
        return new String[] {ENV + "=" + path, null};
      }
      return new String[] {
        null,
        "layer-identity could not load its native library from "
            + ENV
            + "="
            + path
            + " (when "
            + ENV
            + " is set, it is the only place tried): "
            + failure
            + "\nUnset "
            + ENV
            + " to use the copy in the jar."
      };
    }
    tried.add(ENV + ": not set");

    String platform = platform();
    if (!platform.equals("linux-x86_64")) {
      tried.add("the copy in the jar: none for " + platform + " (the jar carries linux-x86_64)");
    } else {
      String[] fromJar = loadFromJar(tried);
      if (fromJar != null) {
        return fromJar;
      }
    }

    String libraryPath = System.getProperty("java.library.path", "");
    try {
      System.loadLibrary(LIBRARY_NAME);
      String failure = check();
      if (failure == null) {
        return new String[] {"java.library.path (" + libraryPath + ")", null};
      }
      tried.add("java.library.path (" + libraryPath + "): " + failure);
    } catch (UnsatisfiedLinkError | SecurityException e) {
      tried.add("java.library.path: " + e.getMessage()); // the JDK's message names the path
    }

    StringBuilder message =
        new StringBuilder("layer-identity could not load its native library ")
            .append(FILE_NAME)
            .append(". Tried, in order:");
    for (int i = 0; i < tried.size(); i++) {
      message.append("\n  ").append(i + 1).append(". ").append(tried.get(i));
    }
    message.append(
        "\nThe library needs OpenSSL 3 (libssl.so.3, libcrypto.so.3: on Debian or Ubuntu,"
            + " apt-get install libssl3) and a java.io.tmpdir that allows executable mappings"
            + " (not mounted noexec).");
    return new String[] {null, message.toString()};
  }

  private static String[] loadFromJar(List<String> tried) {
    String where = "the copy in the jar (" + RESOURCE + ")";
    Path file = null;
    try (InputStream in = NativeLibrary.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        tried.add(where + ": not in the jar");
        return null;
      }
      // POSIX: createTempFile makes the file readable and writable by its owner only.
      file = Files.createTempFile("liblayer_identity_jni-", ".so");
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      String failure = tryLoad(file.toString());
      if (failure == null) {
        return new String[] {where, null};
      }
      tried.add(where + ", extracted to " + file + ": " + failure);
    } catch (IOException | SecurityException e) {
      tried.add(where + ": could not extract it to " + (file != null ? file : "java.io.tmpdir")
          + ": " + e);
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException e) {
          file.toFile().deleteOnExit();
        }
      }
    }
    return null;
  }

  /** Loads {@code path} and checks it; null when it is usable, else why not. */
  private static String tryLoad(String path) {
    try {
      System.load(path);
    } catch (UnsatisfiedLinkError | SecurityException e) {
      return "System.load failed: " + e.getMessage();
    } catch (LinkageError e) {
      // JNI_OnLoad failed to bind the native methods: a library of another version.
      return "it is not the JNI library of this jar (" + e + ")";
    }
    return check();
  }

  /** Checks the glue and ABI versions of the library just loaded; null when they fit. */
  private static String check() {
    int glue;
    try {
      glue = Native.glueVersion();
    } catch (UnsatisfiedLinkError e) {
      return "loaded, but it is not " + FILE_NAME + " (it registers no layer-identity natives;"
          + " the C library liblayer_identity.so is not a JNI library)";
    }
    if (glue != Native.GLUE_VERSION) {
      return "its JNI glue is version " + glue + ", this jar needs " + Native.GLUE_VERSION;
    }
    int abi = Native.abiVersion();
    if (abi < Native.ABI_VERSION) {
      return "its C ABI is version " + abi + ", this jar needs " + Native.ABI_VERSION
          + " or later";
    }
    return null;
  }

  private static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String osName = os.startsWith("linux") ? "linux" : os.replace(' ', '-');
    String archName = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch;
    return osName + "-" + archName;
  }
}
