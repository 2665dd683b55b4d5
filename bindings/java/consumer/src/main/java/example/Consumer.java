package example;

import com.layer.identity.LayerClaims;
import com.layer.identity.LayerIdentity;
import com.layer.identity.LayerIdentityException;
import com.layer.identity.LayerKeyPair;
import com.layer.identity.LayerKeys;
import com.layer.identity.LayerSigner;
import com.layer.identity.LayerVerifier;
import com.layer.identity.SignRequest;
import com.layer.identity.VerifyOptions;

/** Signs and verifies one token with the installed jar; exit status 1 on any surprise. */
public final class Consumer {
  private Consumer() {}

  public static void main(String[] args) {
    String provider = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f";
    String keyId = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f";
    LayerKeyPair keys = LayerKeys.generate();
    try (LayerSigner signer =
            LayerSigner.builder()
                .privateKeyPem(keys.privateKeyPem())
                .providerId(provider)
                .keyId(keyId)
                .build();
        LayerVerifier verifier =
            LayerVerifier.builder()
                .publicKeyPem(keys.publicKeyPem())
                .providerId(provider)
                .keyId(keyId)
                .build()) {
      String token =
          signer.sign(SignRequest.builder("alice", "nonce-1").displayName("Alice").build());
      LayerClaims claims = verifier.verify(token, VerifyOptions.withNonce("nonce-1"));
      try {
        verifier.verify(token, VerifyOptions.withNonce("another nonce"));
        throw new AssertionError("a wrong nonce was accepted");
      } catch (LayerIdentityException expected) {
        if (!"eit_nonce_not_found".equals(expected.eitCode())) {
          throw new AssertionError("unexpected rejection: " + expected);
        }
      }
      System.out.println(
          "consumer: signed and verified a token for "
              + claims.userId()
              + " ("
              + claims.displayName().orElse("?")
              + "), layer-identity "
              + LayerIdentity.version()
              + ", native library from "
              + LayerIdentity.nativeLibrary());
    }
  }
}
