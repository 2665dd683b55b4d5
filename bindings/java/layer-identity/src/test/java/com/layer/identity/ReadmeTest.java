package com.layer.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.layer.identity.http.ContractCases;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The READMEs' Java code for this jar (every block that needs neither a Servlet container nor
 * Spring: those are the servlet's and the starter's tests) compiles against the binding with
 * -Xlint:all -Werror, and runs: the quickstart signs with LAYER_*, the verification example
 * rejects a wrong nonce, the HttpServer backend answers over HTTP. The Maven coordinates the
 * READMEs name are the POMs'.
 */
class ReadmeTest {
  @TempDir Path out;

  static boolean forThisJar(String block) {
    return !block.contains("jakarta.") && !block.contains("org.springframework");
  }

  String classpath() {
    return out + File.pathSeparator + System.getProperty("layer.test.classpath");
  }

  @Test
  void javaBlocksCompileAndRun() throws Exception {
    List<String> blocks = ReadmeSnippets.javaBlocks(ReadmeTest::forThisJar);
    assertTrue(blocks.size() >= 4, "the READMEs have their examples");
    ReadmeSnippets.compile(blocks, System.getProperty("layer.test.classpath"), out);

    ChildJvm verify = new ChildJvm();
    verify.classpath = classpath();
    verify.jvmOptions.add("-ea");
    ChildJvm.Result result = verify.run("VerifyExample");
    assertEquals(0, result.exitCode, result.toString());
    assertTrue(
        result.stdout.contains("LAYER_ERR_CLAIM_MISMATCH eit_nonce_not_found"), result.toString());

    ChildJvm quickstart = new ChildJvm();
    quickstart.classpath = classpath();
    quickstart.env.putAll(ReadmeSnippets.layerEnv());
    result = quickstart.run("Quickstart", "nonce-42");
    assertEquals(0, result.exitCode, result.toString());
    String[] tokens = result.stdout.trim().split("\n");
    assertEquals(2, tokens.length, result.toString());
    assertTrue(Jws.claimsJson(tokens[0]).contains("\"nce\":\"nonce-42\""), tokens[0]);
    assertTrue(Jws.claimsJson(tokens[1]).contains("\"display_name\":\"Alice Liddell\""));

    int port = ReadmeSnippets.freePort();
    Map<String, String> env = new HashMap<>(ReadmeSnippets.layerEnv());
    env.put("PORT", Integer.toString(port));
    try (ReadmeSnippets.Program backend =
        new ReadmeSnippets.Program(classpath(), env, "Backend")) {
      backend.awaitPort(port);
      byte[] body = "{\"nonce\":\"n-1\"}".getBytes(StandardCharsets.UTF_8);
      ContractCases.Response loggedIn =
          ContractCases.exchange(
              port,
              "POST",
              "/identity-token",
              ContractCases.JSON.readTree(
                  "[[\"Content-Type\",\"application/json\"],[\"Cookie\",\"session=1\"]]"),
              body);
      assertEquals(200, loggedIn.status, loggedIn + "\n" + backend.output());
      assertTrue(loggedIn.text().contains("identity_token"));
      ContractCases.Response anonymous =
          ContractCases.exchange(
              port,
              "POST",
              "/identity-token",
              ContractCases.JSON.readTree("[[\"Content-Type\",\"application/json\"]]"),
              body);
      assertEquals(401, anonymous.status, anonymous.toString());
    }
    Report.line(
        "README: %d Java blocks for the core jar compiled; VerifyExample, Quickstart and the"
            + " HttpServer Backend run",
        blocks.size());
  }

  @Test
  void mavenCoordinatesAreThePoms() throws IOException {
    String pom =
        Files.readString(Vectors.root().resolve("bindings/java/pom.xml"), StandardCharsets.UTF_8);
    for (String markdown :
        List.of(ReadmeSnippets.javaSection(), ReadmeSnippets.packageReadme())) {
      for (String block : ReadmeSnippets.blocks(markdown, "xml")) {
        assertTrue(block.contains("<groupId>com.layer</groupId>"), block);
        Matcher artifact = Pattern.compile("<artifactId>([^<]+)</artifactId>").matcher(block);
        assertTrue(artifact.find(), block);
        assertTrue(
            Files.isDirectory(Vectors.root().resolve("bindings/java/" + artifact.group(1))),
            "a module named " + artifact.group(1));
        String version = block.replaceAll("(?s).*<version>([^<]+)</version>.*", "$1");
        assertTrue(pom.contains("<version>" + version + "</version>"), version);
      }
      assertTrue(markdown.contains("com.layer:layer-identity:0.1.0"), "coordinates named");
    }
  }
}
