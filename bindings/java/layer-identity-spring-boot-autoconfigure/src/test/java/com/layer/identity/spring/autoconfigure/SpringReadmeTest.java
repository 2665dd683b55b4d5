package com.layer.identity.spring.autoconfigure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.layer.identity.ReadmeSnippets;
import com.layer.identity.ReportAccess;
import com.layer.identity.http.ContractCases;
import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Spring Boot code: its properties are the starter's own (they are in the
 * configuration metadata the build generates), and its application compiles, starts with
 * them and serves a token to the user Spring Security authenticated.
 */
class SpringReadmeTest {
  @TempDir Path out;

  @Test
  void thePropertiesAreTheStartersOwn() throws Exception {
    Set<String> known = new HashSet<>();
    try (InputStream in =
        getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      for (JsonNode property : ContractCases.JSON.readTree(in).get("properties")) {
        known.add(property.get("name").asText());
      }
    }
    List<String> blocks = ReadmeSnippets.blocks(ReadmeSnippets.javaSection(), "properties");
    assertEquals(1, blocks.size());
    for (String line : blocks.get(0).split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        String name = line.substring(0, line.indexOf('='));
        assertTrue(known.contains(name), name + " is one of " + known);
      }
    }
    for (String name :
        List.of(
            "layer.identity.private-key",
            "layer.identity.passphrase",
            "layer.identity.token-type",
            "layer.identity.endpoint.path",
            "layer.identity.endpoint.enabled")) {
      assertTrue(known.contains(name), name);
    }
  }

  @Test
  void theApplicationCompilesStartsAndServes() throws Exception {
    List<String> blocks =
        ReadmeSnippets.javaBlocks(block -> block.contains("org.springframework"));
    assertEquals(1, blocks.size(), "the README's Spring Boot block");
    String testClasspath = System.getProperty("surefire.test.class.path");
    ReadmeSnippets.compile(blocks, testClasspath, out);
    int port = ReadmeSnippets.freePort();
    Path key = ContractCases.root().resolve("vectors/keys/rsa2048.pkcs8.pem");
    try (ReadmeSnippets.Program app =
        new ReadmeSnippets.Program(
            out + File.pathSeparator + testClasspath,
            Map.of(),
            "com.example.Application",
            "--server.port=" + port,
            "--layer.identity.provider-id=" + ContractCases.PROVIDER,
            "--layer.identity.key-id=" + ContractCases.KEY_ID,
            "--layer.identity.private-key-path=" + key,
            "--spring.security.user.name=erin",
            "--spring.security.user.password=secret")) {
      app.awaitPort(port);
      String basic =
          Base64.getEncoder().encodeToString("erin:secret".getBytes(StandardCharsets.UTF_8));
      byte[] body = "{\"nonce\":\"n-5\"}".getBytes(StandardCharsets.UTF_8);
      ContractCases.Response r =
          ContractCases.exchange(
              port,
              "POST",
              "/identity-token",
              ContractCases.JSON.readTree(
                  "[[\"Content-Type\",\"application/json\"],[\"Authorization\",\"Basic "
                      + basic
                      + "\"]]"),
              body);
      assertEquals(200, r.status, r + "\n" + app.output());
      ContractCases.checkToken(
          "readme",
          ContractCases.JSON.readTree(r.body).get("identity_token").asText(),
          ContractCases.JSON.readTree("{\"prn\":\"erin\",\"nce\":\"n-5\"}"));
      assertEquals(
          401,
          ContractCases.exchange(
                  port,
                  "POST",
                  "/identity-token",
                  ContractCases.JSON.readTree("[[\"Content-Type\",\"application/json\"]]"),
                  body)
              .status);
    }
    ReportAccess.line("README: the Spring Boot block compiled, started with its properties, run");
  }
}
