package com.layer.identity.spring.autoconfigure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.layer.identity.ReportAccess;
import com.layer.identity.http.ContractCases;
import com.layer.identity.servlet.ServletAuthenticator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;

/**
 * A Spring Boot application that has the endpoint from the starter's auto-configuration and
 * properties alone (no controller), over real HTTP on its embedded Tomcat: every case of the
 * contract under {@code layer.identity.endpoint.path=/layer}, through Spring Security's filter
 * chain, with the demo authenticator as the application's {@code authenticate} bean.
 */
@SpringBootTest(
    classes = SpringBootEndpointTest.DemoApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "layer.identity.provider-id=" + ContractCases.PROVIDER,
      "layer.identity.key-id=" + ContractCases.KEY_ID,
      "layer.identity.private-key-path=${layer.root}/vectors/keys/rsa2048.pkcs8.pem",
      "layer.identity.endpoint.path=/layer"
    })
class SpringBootEndpointTest {
  static final AtomicInteger PASSED = new AtomicInteger();

  /** The application: auto-configuration, a security chain that lets the demo through. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class DemoApplication {
    @Bean
    ServletAuthenticator demoAuthenticator() {
      return ServletAuthenticator.trustingRequestBody(); // FOR DEMOS ONLY
    }

    @Bean
    SecurityFilterChain security(HttpSecurity http) throws Exception {
      // The demo trusts the body, so nobody logs in here; CSRF does not apply to a JSON API
      // that no browser session authenticates (see the README on CSRF).
      http.authorizeHttpRequests(a -> a.anyRequest().permitAll())
          .csrf(csrf -> csrf.ignoringRequestMatchers("/layer/**"));
      return http.build();
    }
  }

  @LocalServerPort int port;

  @Value("${layer.root}")
  String root;

  @TestFactory
  Stream<DynamicTest> everyCaseOfTheContractUnderThePath() throws Exception {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : ContractCases.cases("demo")) {
      if (c.get("name").asText().equals("not_found_double_slash")) {
        continue; // "/layer//identity-token" is another request than "//identity-token"
      }
      tests.add(
          DynamicTest.dynamicTest(
              c.get("name").asText(),
              () -> {
                ContractCases.run(c, port, "/layer");
                PASSED.incrementAndGet();
              }));
    }
    return tests.stream();
  }

  @Test
  void theApplicationsOwnPathsAreLeftAlone() throws Exception {
    for (String path : List.of("/layeridentity-token", "/identity-token", "/healthz")) {
      ContractCases.Response outside =
          ContractCases.exchange(port, "GET", path, ContractCases.JSON.readTree("[]"), null);
      assertEquals(404, outside.status, path);
      assertFalse(outside.text().contains("not_found"), path + ": the application's own 404");
    }
  }

  @Test
  void pipelinedRequestsAreAnswered() throws Exception {
    String requests =
        "GET /layer/nope HTTP/1.1\r\nHost: x\r\n\r\n"
            + "HEAD /layer/identity-token HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /layer/healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    List<ContractCases.Response> answers =
        ContractCases.pipelined(port, requests, List.of("GET", "HEAD", "GET"));
    assertEquals(List.of(404, 405, 200), answers.stream().map(r -> r.status).toList());
    assertTrue(answers.get(2).text().contains("ok"));
  }

  @AfterAll
  static void report() {
    ReportAccess.line(
        "spring boot (@SpringBootTest, Tomcat): "
            + PASSED.get()
            + " cases of cases.json at /layer through Spring Security's filter chain");
  }
}
