package com.layer.identity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a main class of the tests in a fresh JVM (its own environment, flags, classpath). */
final class ChildJvm {
  final List<String> jvmOptions = new ArrayList<>();
  String classpath = System.getProperty("layer.test.classpath");
  /** The environment on top of this one's (values of null remove a variable). */
  final Map<String, String> env = new java.util.HashMap<>();
  /** Remove every LAYER_* variable first. */
  boolean clearLayerEnv = true;

  static final class Result {
    final int exitCode;
    final String stdout;
    final String stderr;

    Result(int exitCode, String stdout, String stderr) {
      this.exitCode = exitCode;
      this.stdout = stdout;
      this.stderr = stderr;
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
    }
  }

  static String java() {
    return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
  }

  Result run(Class<?> main, String... args) {
    return run(main.getName(), args);
  }

  Result run(String main, String... args) {
    List<String> command = new ArrayList<>();
    command.add(java());
    command.add("-Xshare:auto");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(classpath);
    command.add(main);
    command.addAll(Arrays.asList(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> environment = builder.environment();
    if (clearLayerEnv) {
      environment.keySet().removeIf(name -> name.startsWith("LAYER_"));
    }
    env.forEach(
        (name, value) -> {
          if (value == null) {
            environment.remove(name);
          } else {
            environment.put(name, value);
          }
        });
    try {
      Process process = builder.start();
      process.getOutputStream().close();
      // Read both streams fully (stderr on its own thread) so neither pipe fills up.
      java.util.concurrent.CompletableFuture<byte[]> stderr =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                try {
                  return process.getErrorStream().readAllBytes();
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      byte[] stdout = process.getInputStream().readAllBytes();
      if (!process.waitFor(10, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new AssertionError("child JVM did not finish: " + command);
      }
      return new Result(
          process.exitValue(),
          new String(stdout, StandardCharsets.UTF_8),
          new String(stderr.join(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
