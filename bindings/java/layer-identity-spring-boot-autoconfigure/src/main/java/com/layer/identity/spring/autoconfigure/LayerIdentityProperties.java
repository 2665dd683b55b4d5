package com.layer.identity.spring.autoconfigure;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code layer.identity.*} properties: the signer's configuration and where the endpoint
 * is mounted. Spring resolves them from {@code application.properties}, the environment
 * ({@code LAYER_IDENTITY_PROVIDER_ID} ...), a config server, Vault and the rest. When none of
 * the key, provider ID and key ID is set, the signer is read from the {@code LAYER_*} variables
 * every language of layer-identity reads ({@code LAYER_PROVIDER_ID}, {@code LAYER_KEY_ID},
 * {@code LAYER_PRIVATE_KEY} or {@code LAYER_PRIVATE_KEY_PATH}, ...).
 */
@ConfigurationProperties("layer.identity")
public class LayerIdentityProperties {
  /** The provider ID from the Layer dashboard: layer:///providers/UUID. */
  private String providerId;

  /** The key ID of the uploaded public key: layer:///keys/UUID. */
  private String keyId;

  /** The RSA private key as PEM text (literal \n escapes are fine). Or private-key-path. */
  private String privateKey;

  /** A file holding the RSA private key (PEM or DER). Or private-key. */
  private String privateKeyPath;

  /** The passphrase of an encrypted private key. */
  private String passphrase;

  /** The token's typ: JWS (the default) or JWT, in any letter case. */
  private String tokenType;

  /** Admit the legacy 1024-bit keys of early Layer accounts. */
  private boolean allowLegacy1024BitKey;

  /** The endpoint. */
  private final Endpoint endpoint = new Endpoint();

  /**
   * The provider ID.
   *
   * @return the provider ID, or null
   */
  public String getProviderId() {
    return providerId;
  }

  /**
   * Sets the provider ID.
   *
   * @param providerId layer:///providers/UUID
   */
  public void setProviderId(String providerId) {
    this.providerId = providerId;
  }

  /**
   * The key ID.
   *
   * @return the key ID, or null
   */
  public String getKeyId() {
    return keyId;
  }

  /**
   * Sets the key ID.
   *
   * @param keyId layer:///keys/UUID
   */
  public void setKeyId(String keyId) {
    this.keyId = keyId;
  }

  /**
   * The private key's PEM text.
   *
   * @return the PEM text, or null
   */
  public String getPrivateKey() {
    return privateKey;
  }

  /**
   * Sets the private key's PEM text.
   *
   * @param privateKey the PEM text
   */
  public void setPrivateKey(String privateKey) {
    this.privateKey = privateKey;
  }

  /**
   * The private key's file.
   *
   * @return the path, or null
   */
  public String getPrivateKeyPath() {
    return privateKeyPath;
  }

  /**
   * Sets the private key's file.
   *
   * @param privateKeyPath the path
   */
  public void setPrivateKeyPath(String privateKeyPath) {
    this.privateKeyPath = privateKeyPath;
  }

  /**
   * The passphrase of an encrypted key.
   *
   * @return the passphrase, or null
   */
  public String getPassphrase() {
    return passphrase;
  }

  /**
   * Sets the passphrase of an encrypted key.
   *
   * @param passphrase the passphrase
   */
  public void setPassphrase(String passphrase) {
    this.passphrase = passphrase;
  }

  /**
   * The token type.
   *
   * @return JWS, JWT, or null for the default
   */
  public String getTokenType() {
    return tokenType;
  }

  /**
   * Sets the token type.
   *
   * @param tokenType JWS or JWT
   */
  public void setTokenType(String tokenType) {
    this.tokenType = tokenType;
  }

  /**
   * Whether a legacy 1024-bit key is admitted.
   *
   * @return true to admit one
   */
  public boolean isAllowLegacy1024BitKey() {
    return allowLegacy1024BitKey;
  }

  /**
   * Admits a legacy 1024-bit key.
   *
   * @param allowLegacy1024BitKey true to admit one
   */
  public void setAllowLegacy1024BitKey(boolean allowLegacy1024BitKey) {
    this.allowLegacy1024BitKey = allowLegacy1024BitKey;
  }

  /**
   * The endpoint's settings.
   *
   * @return the endpoint's settings
   */
  public Endpoint getEndpoint() {
    return endpoint;
  }

  /** {@code layer.identity.endpoint.*}. */
  public static class Endpoint {
    /** Whether to register the endpoint's servlet. */
    private boolean enabled = true;

    /**
     * Where the endpoint is mounted: its routes are PATH/identity-token and PATH/healthz. Empty
     * (the default) mounts them at the application's root, beside its own paths; a path such as
     * /layer gives the endpoint everything under it.
     */
    private String path = "";

    /** Creates the defaults. */
    public Endpoint() {}

    /**
     * Whether the servlet is registered.
     *
     * @return true by default
     */
    public boolean isEnabled() {
      return enabled;
    }

    /**
     * Registers the servlet, or not.
     *
     * @param enabled false to leave it out
     */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /**
     * The mount path.
     *
     * @return the path, empty for the root
     */
    public String getPath() {
      return path;
    }

    /**
     * Sets the mount path.
     *
     * @param path a path such as /layer, or empty for the root
     */
    public void setPath(String path) {
      this.path = path;
    }
  }
}
