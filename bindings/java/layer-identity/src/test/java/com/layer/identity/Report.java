package com.layer.identity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;

/** Summary lines of the test run, collected in target/test-report.txt for test.sh to show. */
final class Report {
  private static boolean started;

  private Report() {}

  static synchronized void line(String format, Object... args) {
    String line = String.format(format, args);
    System.out.println(line);
    Path file = Paths.get("target", "test-report.txt");
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(
          file,
          line + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          started ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
      started = true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
