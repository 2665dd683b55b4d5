package com.layer.identity;

/** Facts about the loaded native library. */
public final class LayerIdentity {
  private LayerIdentity() {}

  /** {@return the library version, e.g. {@code "0.1.0"}} */
  public static String version() {
    NativeLibrary.ensureLoaded();
    return Utf8.decode(Native.version());
  }

  /** {@return the C ABI version of the loaded library (at least {@value Native#ABI_VERSION})} */
  public static int abiVersion() {
    NativeLibrary.ensureLoaded();
    return Native.abiVersion();
  }

  /**
   * Where the native library was loaded from: {@code LAYER_IDENTITY_LIB=<path>}, the copy in
   * the jar, or {@code java.library.path}.
   *
   * @return where the library came from
   * @throws UnsatisfiedLinkError with every place tried, when it could not be loaded
   */
  public static String nativeLibrary() {
    return NativeLibrary.source();
  }
}
