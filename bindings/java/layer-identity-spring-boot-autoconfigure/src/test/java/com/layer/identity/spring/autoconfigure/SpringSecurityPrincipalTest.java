package com.layer.identity.spring.autoconfigure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.layer.identity.http.ContractCases;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * The default authenticate with Spring Security: the user it authenticated (here by HTTP Basic)
 * gets the token, whatever the body says; nobody logged in gets Spring Security's 401 before
 * the endpoint runs.
 */
@SpringBootTest(
    classes = SpringSecurityPrincipalTest.SecuredApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "layer.identity.provider-id=" + ContractCases.PROVIDER,
      "layer.identity.key-id=" + ContractCases.KEY_ID,
      "layer.identity.private-key-path=${layer.root}/vectors/keys/rsa2048.pkcs8.pem"
    })
class SpringSecurityPrincipalTest {
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class SecuredApplication {
    @Bean
    UserDetailsService users() {
      return new InMemoryUserDetailsManager(
          User.withUsername("carol").password("{noop}secret").roles("USER").build());
    }

    @Bean
    SecurityFilterChain security(HttpSecurity http) throws Exception {
      // Clients authenticate with a header (Basic here, a bearer token in most apps), never a
      // cookie, so CSRF does not apply to the endpoint.
      http.authorizeHttpRequests(a -> a.requestMatchers("/healthz").permitAll().anyRequest().authenticated())
          .httpBasic(Customizer.withDefaults())
          .csrf(csrf -> csrf.ignoringRequestMatchers("/identity-token"));
      return http.build();
    }
  }

  @LocalServerPort int port;

  ContractCases.Response post(String authorization) throws Exception {
    String headers =
        authorization == null
            ? "[[\"Content-Type\",\"application/json\"]]"
            : "[[\"Content-Type\",\"application/json\"],[\"Authorization\",\"" + authorization + "\"]]";
    return ContractCases.exchange(
        port,
        "POST",
        "/identity-token",
        ContractCases.JSON.readTree(headers),
        "{\"nonce\":\"n-7\",\"user_id\":\"mallory\"}".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theAuthenticatedUserGetsTheToken() throws Exception {
    String basic =
        "Basic " + Base64.getEncoder().encodeToString("carol:secret".getBytes(StandardCharsets.UTF_8));
    ContractCases.Response r = post(basic);
    assertEquals(200, r.status, r.toString());
    JsonNode claims =
        ContractCases.checkToken(
            "basic",
            ContractCases.JSON.readTree(r.body).get("identity_token").asText(),
            ContractCases.JSON.readTree("{\"prn\":\"carol\",\"nce\":\"n-7\"}"));
    assertEquals("carol", claims.get("prn").asText());
  }

  @Test
  void nobodyLoggedInIsRefusedBySpringSecurity() throws Exception {
    assertEquals(401, post(null).status);
    assertEquals(
        200,
        ContractCases.exchange(port, "GET", "/healthz", ContractCases.JSON.readTree("[]"), null)
            .status);
  }
}
