package com.layer.identity;

/** {@link Report} for tests in other packages. */
public final class ReportAccess {
  private ReportAccess() {}

  public static void line(String line) {
    Report.line("%s", line);
  }
}
