package com.layer.identity.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.layer.identity.ReadmeSnippets;
import com.layer.identity.ReportAccess;
import com.layer.identity.http.ContractCases;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Servlet code compiles and, deployed into Tomcat, serves the endpoint. */
class ServletReadmeTest {
  @TempDir Path out;

  @Test
  void theServletSnippetCompilesAndServes() throws Exception {
    List<String> blocks =
        ReadmeSnippets.javaBlocks(
            block -> block.contains("jakarta.servlet") && !block.contains("org.springframework"));
    assertEquals(1, blocks.size(), "the README's Servlet block");
    String testClasspath = System.getProperty("surefire.test.class.path");
    ReadmeSnippets.compile(blocks, testClasspath, out);
    int port = ReadmeSnippets.freePort();
    try (ReadmeSnippets.Program host =
        new ReadmeSnippets.Program(
            out + File.pathSeparator + testClasspath,
            ReadmeSnippets.layerEnv(),
            ServletSnippetHost.class.getName(),
            Integer.toString(port),
            "LayerIdentitySetup")) {
      host.awaitPort(port);
      byte[] body = "{\"nonce\":\"n-3\"}".getBytes(StandardCharsets.UTF_8);
      ContractCases.Response r =
          ContractCases.exchange(
              port,
              "POST",
              "/layer/identity-token",
              ContractCases.JSON.readTree(
                  "[[\"Content-Type\",\"application/json\"],[\"X-Test-User\",\"dave\"]]"),
              body);
      assertEquals(200, r.status, r + "\n" + host.output());
      ContractCases.checkToken(
          "readme",
          ContractCases.JSON.readTree(r.body).get("identity_token").asText(),
          ContractCases.JSON.readTree("{\"prn\":\"dave\",\"nce\":\"n-3\"}"));
      ContractCases.Response anonymous =
          ContractCases.exchange(
              port,
              "POST",
              "/layer/identity-token",
              ContractCases.JSON.readTree("[[\"Content-Type\",\"application/json\"]]"),
              body);
      assertEquals(401, anonymous.status);
      assertTrue(
          ContractCases.exchange(port, "GET", "/layer/healthz", ContractCases.JSON.readTree("[]"), null)
              .text()
              .contains("ok"));
    }
    ReportAccess.line("README: the Servlet block compiled, deployed into Tomcat and run");
  }
}
