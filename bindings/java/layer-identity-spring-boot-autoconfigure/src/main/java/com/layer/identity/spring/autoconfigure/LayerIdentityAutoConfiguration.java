package com.layer.identity.spring.autoconfigure;

import com.layer.identity.LayerSigner;
import com.layer.identity.servlet.IdentityTokenServlet;
import com.layer.identity.servlet.ServletAuthenticator;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.authentication.AuthenticationTrustResolver;
import org.springframework.security.authentication.AuthenticationTrustResolverImpl;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * The Layer identity-token endpoint in a Spring Boot servlet application, from properties
 * alone ({@link LayerIdentityProperties}): a {@link LayerSigner}, the application's {@code
 * authenticate} ({@link ServletAuthenticator}; by default the user Spring Security
 * authenticated, or the container's principal without Spring Security) and the {@link
 * IdentityTokenServlet} at {@code layer.identity.endpoint.path}. Each bean gives way to the
 * application's own of the same type.
 */
@AutoConfiguration
@ConditionalOnClass({LayerSigner.class, IdentityTokenServlet.class, HttpServletRequest.class})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@EnableConfigurationProperties(LayerIdentityProperties.class)
public class LayerIdentityAutoConfiguration {
  /** The name of the endpoint's registration bean. */
  public static final String ENDPOINT_BEAN = "layerIdentityEndpoint";

  /** Creates the configuration (Spring does). */
  public LayerIdentityAutoConfiguration() {}

  /**
   * The signer, from {@code layer.identity.*}, or from the {@code LAYER_*} environment
   * variables when none of the key, provider ID and key ID is set.
   *
   * @param properties the properties
   * @return the signer (closed with the context)
   */
  @Bean
  @ConditionalOnMissingBean
  public LayerSigner layerSigner(LayerIdentityProperties properties) {
    boolean keyGiven = properties.getPrivateKey() != null || properties.getPrivateKeyPath() != null;
    if (!keyGiven && properties.getProviderId() == null && properties.getKeyId() == null) {
      return LayerSigner.fromEnv();
    }
    List<String> missing = new ArrayList<>();
    if (properties.getProviderId() == null) {
      missing.add("layer.identity.provider-id");
    }
    if (properties.getKeyId() == null) {
      missing.add("layer.identity.key-id");
    }
    if (!keyGiven) {
      missing.add("layer.identity.private-key (or layer.identity.private-key-path)");
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException("layer-identity: set " + String.join(", ", missing));
    }
    if (properties.getPrivateKey() != null && properties.getPrivateKeyPath() != null) {
      throw new IllegalStateException(
          "layer-identity: set layer.identity.private-key or layer.identity.private-key-path,"
              + " not both");
    }
    LayerSigner.Builder builder =
        LayerSigner.builder().providerId(properties.getProviderId()).keyId(properties.getKeyId());
    if (properties.getPrivateKey() != null) {
      builder.privateKeyPem(properties.getPrivateKey());
    } else {
      try {
        builder.privateKey(Files.readAllBytes(Path.of(properties.getPrivateKeyPath())));
      } catch (IOException e) {
        throw new UncheckedIOException(
            "layer-identity: cannot read layer.identity.private-key-path "
                + properties.getPrivateKeyPath(),
            e);
      }
    }
    if (properties.getPassphrase() != null) {
      builder.passphrase(properties.getPassphrase());
    }
    if (properties.getTokenType() != null) {
      builder.tokenType(properties.getTokenType()); // the library's rule: JWS or JWT
    }
    if (properties.isAllowLegacy1024BitKey()) {
      builder.allowLegacy1024BitKey();
    }
    return builder.build();
  }

  /**
   * The endpoint's servlet at {@code layer.identity.endpoint.path}: the exact paths
   * PATH/identity-token and PATH/healthz, and with a non-empty PATH everything under it.
   *
   * @param signer the signer
   * @param authenticate the application's session check
   * @param properties the properties
   * @return the registration
   */
  @Bean(name = ENDPOINT_BEAN)
  @ConditionalOnMissingBean(name = ENDPOINT_BEAN)
  @ConditionalOnProperty(
      prefix = "layer.identity.endpoint",
      name = "enabled",
      havingValue = "true",
      matchIfMissing = true)
  public ServletRegistrationBean<IdentityTokenServlet> layerIdentityEndpoint(
      LayerSigner signer, ServletAuthenticator authenticate, LayerIdentityProperties properties) {
    String path = mountPath(properties.getEndpoint().getPath());
    List<String> mappings = new ArrayList<>();
    if (path.isEmpty()) {
      mappings.add("/identity-token");
      mappings.add("/healthz");
    } else {
      mappings.add(path + "/*");
    }
    ServletRegistrationBean<IdentityTokenServlet> registration =
        new ServletRegistrationBean<>(
            new IdentityTokenServlet(signer, authenticate), mappings.toArray(new String[0]));
    registration.setName(ENDPOINT_BEAN);
    return registration;
  }

  /** "/layer/" and "layer" are "/layer"; "" and "/" are the root (""). */
  static String mountPath(String path) {
    String p = path == null ? "" : path.trim();
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    if (!p.isEmpty() && !p.startsWith("/")) {
      p = "/" + p;
    }
    return p;
  }

  /** With Spring Security: the user of the request's {@code SecurityContext}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(SecurityContextHolder.class)
  static class SpringSecurityAuthenticatorConfiguration {
    @Bean
    @ConditionalOnMissingBean
    ServletAuthenticator layerIdentityAuthenticator() {
      AuthenticationTrustResolver trust = new AuthenticationTrustResolverImpl();
      return (request, fields) -> {
        Authentication user = SecurityContextHolder.getContext().getAuthentication();
        return trust.isAuthenticated(user) ? user.getName() : null; // anonymous: nobody
      };
    }
  }

  /** Without Spring Security: the container's principal. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnMissingClass("org.springframework.security.core.context.SecurityContextHolder")
  static class PrincipalAuthenticatorConfiguration {
    @Bean
    @ConditionalOnMissingBean
    ServletAuthenticator layerIdentityAuthenticator() {
      return ServletAuthenticator.principal();
    }
  }
}
