/**
 * Spring Boot auto-configuration of the Layer identity-token endpoint: add {@code
 * com.layer:layer-identity-spring-boot-starter}, set {@code layer.identity.*}, and {@code POST
 * /identity-token} answers with a token for the user Spring Security authenticated.
 */
package com.layer.identity.spring.autoconfigure;
