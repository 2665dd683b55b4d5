package com.layer.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java code of the READMEs (the top-level README's Java section and bindings/java/README.md)
 * compiles against the binding with -Xlint:all -Werror, and their Maven coordinates are the
 * pom's. One block runs: the verification example, which needs nothing from outside.
 */
class ReadmeTest {
  @TempDir Path out;

  static String javaSection() throws IOException {
    String readme = Files.readString(Vectors.root().resolve("README.md"), StandardCharsets.UTF_8);
    int start = readme.indexOf("<!-- bindings:java -->");
    int end = readme.indexOf("<!-- /bindings:java -->");
    assertTrue(start >= 0 && end > start, "the README has the Java markers");
    String section = readme.substring(start, end);
    assertTrue(section.contains("\n## Java\n"), "the section starts with ## Java");
    return section;
  }

  static String packageReadme() throws IOException {
    return Files.readString(Paths.get("README.md"), StandardCharsets.UTF_8);
  }

  static List<String> blocks(String markdown, String language) {
    List<String> blocks = new ArrayList<>();
    Matcher m = Pattern.compile("```" + language + "\n(.*?)```", Pattern.DOTALL).matcher(markdown);
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  @Test
  void javaBlocksCompile() throws Exception {
    List<JavaFileObject> sources = new ArrayList<>();
    for (String markdown : List.of(javaSection(), packageReadme())) {
      for (String block : blocks(markdown, "java")) {
        Matcher name = Pattern.compile("public final class (\\w+)").matcher(block);
        assertTrue(name.find(), "every Java block is a class:\n" + block);
        String className = name.group(1);
        sources.add(
            new SimpleJavaFileObject(
                URI.create("string:///" + className + ".java"), JavaFileObject.Kind.SOURCE) {
              @Override
              public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return block;
              }
            });
      }
    }
    assertTrue(sources.size() >= 4, "the READMEs have their examples");
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
                    "-Werror",
                    "--release",
                    "17",
                    "-cp",
                    Paths.get("target", "classes").toAbsolutePath().toString(),
                    "-d",
                    out.toString()),
                null,
                sources)
            .call();
    assertTrue(ok, diagnostics.toString());

    ChildJvm child = new ChildJvm();
    child.classpath = out + java.io.File.pathSeparator + Paths.get("target", "classes").toAbsolutePath();
    child.jvmOptions.add("-ea");
    ChildJvm.Result result = child.run("VerifyExample");
    assertEquals(0, result.exitCode, result.toString());
    assertTrue(result.stdout.contains("LAYER_ERR_CLAIM_MISMATCH eit_nonce_not_found"), result.toString());
    Report.line("README: %d Java blocks compiled, the verification example run", sources.size());
  }

  @Test
  void mavenCoordinatesAreThePoms() throws IOException {
    String pom = Files.readString(Paths.get("pom.xml"), StandardCharsets.UTF_8);
    for (String markdown : List.of(javaSection(), packageReadme())) {
      for (String block : blocks(markdown, "xml")) {
        assertTrue(block.contains("<groupId>com.layer</groupId>"), block);
        assertTrue(block.contains("<artifactId>layer-identity</artifactId>"), block);
        String version = block.replaceAll("(?s).*<version>([^<]+)</version>.*", "$1");
        assertTrue(pom.contains("<version>" + version + "</version>"), version);
      }
      assertTrue(markdown.contains("com.layer:layer-identity:0.1.0"), "coordinates named");
    }
  }
}
