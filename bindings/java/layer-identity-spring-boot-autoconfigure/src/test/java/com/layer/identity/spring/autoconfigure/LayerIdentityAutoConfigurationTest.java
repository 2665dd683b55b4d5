package com.layer.identity.spring.autoconfigure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.layer.identity.LayerClaims;
import com.layer.identity.LayerSigner;
import com.layer.identity.LayerVerifier;
import com.layer.identity.http.ContractCases;
import com.layer.identity.servlet.ServletAuthenticator;
import java.util.Base64;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The auto-configuration's beans and properties, in a servlet application context without a
 * server: the signer from layer.identity.* (or LAYER_*), the endpoint's mappings, the user's
 * own beans winning, and the messages of a configuration that cannot work.
 */
class LayerIdentityAutoConfigurationTest {
  static final String KEY = ContractCases.root().resolve("vectors/keys/rsa2048.pkcs8.pem").toString();

  final WebApplicationContextRunner runner =
      new WebApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(LayerIdentityAutoConfiguration.class));

  static String[] signerProperties() {
    return new String[] {
      "layer.identity.provider-id=" + ContractCases.PROVIDER,
      "layer.identity.key-id=" + ContractCases.KEY_ID,
      "layer.identity.private-key-path=" + KEY
    };
  }

  static String typ(String token) {
    return new String(Base64.getUrlDecoder().decode(token.split("\\.")[0])).split("\"")[3];
  }

  @Test
  void theSignerComesFromTheProperties() {
    runner
        .withPropertyValues(signerProperties())
        .withPropertyValues("layer.identity.token-type=jwt")
        .run(
            context -> {
              LayerSigner signer = context.getBean(LayerSigner.class);
              String token = signer.sign("alice", "n");
              assertEquals("JWT", typ(token));
              try (LayerVerifier verifier =
                  LayerVerifier.builder()
                      .publicKeyPem(signer.publicKeyPem())
                      .providerId(ContractCases.PROVIDER)
                      .keyId(ContractCases.KEY_ID)
                      .build()) {
                LayerClaims claims = verifier.verify(token);
                assertEquals("alice", claims.userId());
              }
              assertNotNull(context.getBean(ServletAuthenticator.class));
            });
  }

  @Test
  void theKeyMayBeInlinePemText() throws Exception {
    String pem = ContractCases.privateKeyPem().replace("\n", "\\n"); // as an env var holds it
    runner
        .withPropertyValues(
            "layer.identity.provider-id=" + ContractCases.PROVIDER,
            "layer.identity.key-id=" + ContractCases.KEY_ID,
            "layer.identity.private-key=" + pem)
        .run(context -> assertEquals("JWS", typ(context.getBean(LayerSigner.class).sign("a", "n"))));
  }

  @Test
  void theEndpointIsMountedAtItsPath() {
    runner
        .withPropertyValues(signerProperties())
        .run(
            context ->
                assertEquals(
                    Set.of("/identity-token", "/healthz"), mappings(context.getBean("layerIdentityEndpoint"))));
    runner
        .withPropertyValues(signerProperties())
        .withPropertyValues("layer.identity.endpoint.path=/layer/")
        .run(context -> assertEquals(Set.of("/layer/*"), mappings(context.getBean("layerIdentityEndpoint"))));
    runner
        .withPropertyValues(signerProperties())
        .withPropertyValues("layer.identity.endpoint.enabled=false")
        .run(context -> assertFalse(context.containsBean("layerIdentityEndpoint")));
  }

  private static Set<String> mappings(Object registration) {
    return Set.copyOf(((ServletRegistrationBean<?>) registration).getUrlMappings());
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnBeans {
    static final ServletAuthenticator AUTHENTICATE = (request, fields) -> "own";

    @Bean
    ServletAuthenticator authenticate() {
      return AUTHENTICATE;
    }
  }

  @Test
  void theApplicationsOwnAuthenticateWins() {
    runner
        .withPropertyValues(signerProperties())
        .withUserConfiguration(OwnBeans.class)
        .run(
            context ->
                assertSame(OwnBeans.AUTHENTICATE, context.getBean(ServletAuthenticator.class)));
  }

  @Test
  void anIncompleteConfigurationNamesWhatIsMissing() {
    runner
        .withPropertyValues("layer.identity.provider-id=" + ContractCases.PROVIDER)
        .run(
            context -> {
              Throwable failure = context.getStartupFailure();
              assertNotNull(failure);
              String message = rootMessage(failure);
              assertTrue(
                  message.contains(
                      "layer-identity: set layer.identity.key-id, layer.identity.private-key (or"
                          + " layer.identity.private-key-path)"),
                  message);
            });
    runner
        .withPropertyValues(signerProperties())
        .withPropertyValues("layer.identity.token-type=JOSE")
        .run(
            context -> {
              String message = rootMessage(context.getStartupFailure());
              assertTrue(message.contains("token type is \"JOSE\""), message);
            });
  }

  private static String rootMessage(Throwable failure) {
    Throwable t = failure;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage();
  }
}
