package com.layer.identity;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The child JVM of {@link EnvVectorsTest}: {@code LayerSigner.fromEnv} in the environment it was
 * started with. Arguments: the flags (comma-separated, {@code -} for none), then the user ID,
 * nonce, issued-at and TTL to sign with. Prints {@code OK <token>} or {@code ERR <status name>
 * <base64 of the message>}.
 */
public final class EnvCase {
  private EnvCase() {}

  public static void main(String[] args) {
    List<LayerSigner.EnvOption> options = new ArrayList<>();
    if (!args[0].equals("-")) {
      for (String flag : args[0].split(",")) {
        options.add(
            flag.equals("TYP_JWT")
                ? LayerSigner.EnvOption.TOKEN_TYPE_JWT
                : LayerSigner.EnvOption.ALLOW_LEGACY_1024_BIT_KEY);
      }
    }
    try (LayerSigner signer = LayerSigner.fromEnv(options.toArray(new LayerSigner.EnvOption[0]))) {
      SignRequest.Builder request = SignRequest.builder(args[1], args[2]);
      request.issuedAtEpochSecond(Long.parseLong(args[3]));
      long ttl = Long.parseLong(args[4]);
      if (ttl != 0) {
        request.ttlSeconds(ttl);
      }
      System.out.println("OK " + signer.sign(request.build()));
    } catch (LayerIdentityException e) {
      System.out.println(
          "ERR "
              + e.statusName()
              + " "
              + Base64.getEncoder().encodeToString(e.getMessage().getBytes(StandardCharsets.UTF_8)));
    }
  }
}
