package com.layer.identity;

/**
 * An RSA key pair from {@link LayerKeys#generate}: the PKCS#8 private key, to keep secret, and
 * the SPKI public key, to upload to Layer. {@link #toString()} never shows the private key.
 */
public final class LayerKeyPair {
  private final String privateKeyPem;
  private final String publicKeyPem;

  LayerKeyPair(String privateKeyPem, String publicKeyPem) {
    this.privateKeyPem = privateKeyPem;
    this.publicKeyPem = publicKeyPem;
  }

  /** {@return the private key, PKCS#8 PEM ({@code -----BEGIN PRIVATE KEY-----})} */
  public String privateKeyPem() {
    return privateKeyPem;
  }

  /** {@return the public key, SPKI PEM ({@code -----BEGIN PUBLIC KEY-----}): upload it to Layer} */
  public String publicKeyPem() {
    return publicKeyPem;
  }

  @Override
  public String toString() {
    return "LayerKeyPair{privateKeyPem=(hidden), publicKeyPem=" + publicKeyPem + "}";
  }
}
