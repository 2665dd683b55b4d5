package com.layer.identity;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;

/**
 * The code of the READMEs (the top-level README's Java section, between its markers, and
 * bindings/java/README.md) for the tests of each module: its blocks by language, compiled
 * with -Xlint:all -Werror, and run as a program of its own (a child JVM).
 */
public final class ReadmeSnippets {
  private ReadmeSnippets() {}

  /** The top-level README's Java section. */
  public static String javaSection() throws IOException {
    String readme = Files.readString(Vectors.root().resolve("README.md"), StandardCharsets.UTF_8);
    int start = readme.indexOf("<!-- bindings:java -->");
    int end = readme.indexOf("<!-- /bindings:java -->");
    assertTrue(start >= 0 && end > start, "the README has the Java markers");
    String section = readme.substring(start, end);
    assertTrue(section.contains("\n## Java\n"), "the section starts with ## Java");
    return section;
  }

  /** bindings/java/README.md. */
  public static String packageReadme() throws IOException {
    return Files.readString(
        Vectors.root().resolve("bindings/java/README.md"), StandardCharsets.UTF_8);
  }

  /** The fenced blocks of {@code language} in {@code markdown}. */
  public static List<String> blocks(String markdown, String language) {
    List<String> blocks = new ArrayList<>();
    Matcher m = Pattern.compile("```" + language + "\n(.*?)```", Pattern.DOTALL).matcher(markdown);
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  /** The Java blocks of both READMEs that {@code which} selects. */
  public static List<String> javaBlocks(Predicate<String> which) throws IOException {
    List<String> selected = new ArrayList<>();
    for (String markdown : List.of(javaSection(), packageReadme())) {
      for (String block : blocks(markdown, "java")) {
        if (which.test(block)) {
          selected.add(block);
        }
      }
    }
    return selected;
  }

  /** Compiles {@code blocks} (each one public class) against {@code classpath} into {@code out}. */
  public static void compile(List<String> blocks, String classpath, Path out) {
    List<JavaFileObject> sources = new ArrayList<>();
    for (String block : blocks) {
      Matcher name = Pattern.compile("public (?:final )?class (\\w+)").matcher(block);
      assertTrue(name.find(), "every Java block is a class:\n" + block);
      sources.add(
          new SimpleJavaFileObject(
              URI.create("string:///" + name.group(1) + ".java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
              return block;
            }
          });
    }
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    boolean ok =
        compiler
            .getTask(
                diagnostics,
                null,
                null,
                List.of(
                    "-Xlint:all",
                    "-Xlint:-processing",
                    "-Werror",
                    "--release",
                    "17",
                    "-proc:none",
                    "-cp",
                    classpath,
                    "-d",
                    out.toString()),
                null,
                sources)
            .call();
    assertTrue(ok, diagnostics.toString());
  }

  /** A port that was free a moment ago. */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /**
   * A README program running in a child JVM, with {@code env} added to (and every LAYER_*
   * variable removed from) this environment; stopped by {@link #close()}.
   */
  public static final class Program implements AutoCloseable {
    private final Process process;
    private final Path output;

    public Program(String classpath, Map<String, String> env, String main, String... args)
        throws IOException {
      List<String> command = new ArrayList<>();
      command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-ea");
      command.add("-XX:TieredStopAtLevel=1");
      command.add("-cp");
      command.add(classpath);
      command.add(main);
      command.addAll(List.of(args));
      ProcessBuilder builder = new ProcessBuilder(command);
      builder.environment().keySet().removeIf(name -> name.startsWith("LAYER_"));
      builder.environment().putAll(env);
      output = Files.createTempFile("readme-program-", ".log");
      builder.redirectErrorStream(true).redirectOutput(output.toFile());
      process = builder.start();
    }

    /** Waits until {@code port} accepts connections (or the program ends). */
    public void awaitPort(int port) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3); // a liveness bound
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new AssertionError("the program ended: " + output());
        }
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
          socket.shutdownOutput();
          return;
        } catch (IOException e) {
          Thread.sleep(100);
        }
      }
      throw new AssertionError("nothing listens on " + port + ": " + output());
    }

    /** Waits for the program to end; its exit status. */
    public int waitFor() throws InterruptedException {
      if (!process.waitFor(3, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new AssertionError("the program did not end: " + output());
      }
      return process.exitValue();
    }

    /** What it printed so far (stdout and stderr). */
    public String output() {
      try (InputStream in = Files.newInputStream(output)) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() throws IOException {
      process.destroy();
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Files.deleteIfExists(output);
    }
  }

  /** The LAYER_* variables of the vectors' rsa2048 key. */
  public static Map<String, String> layerEnv() {
    return Map.of(
        "LAYER_PROVIDER_ID", HandlesTest.PROVIDER,
        "LAYER_KEY_ID", HandlesTest.KEY_ID,
        "LAYER_PRIVATE_KEY_PATH", Vectors.dir().resolve("keys/rsa2048.pkcs8.pem").toString());
  }
}
