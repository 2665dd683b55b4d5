package com.layer.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The binding's tables against include/layer_identity.h, so that a status, an identifier or a
 * flag the library adds cannot fall through: each enum of the header is read here and must
 * equal the Java enum value for value, and the library's own names must match.
 */
class HeaderTablesTest {
  private static String header() throws IOException {
    return Files.readString(
        Vectors.root().resolve("include/layer_identity.h"), StandardCharsets.UTF_8);
  }

  /** The members of {@code typedef enum { ... } name;} as name to value, in order. */
  static Map<String, Integer> cEnum(String header, String name) {
    Matcher m =
        Pattern.compile(
                "typedef enum \\{((?:(?!typedef).)*?)\\}\\s*" + name + ";", Pattern.DOTALL)
            .matcher(header);
    assertTrue(m.find(), "enum " + name + " in the header");
    String body = m.group(1).replaceAll("(?s)/\\*.*?\\*/", "");
    Map<String, Integer> members = new LinkedHashMap<>();
    Matcher member = Pattern.compile("(\\w+)\\s*=\\s*(\\d+)\\s*,").matcher(body);
    while (member.find()) {
      members.put(member.group(1), Integer.parseInt(member.group(2)));
    }
    assertFalse(members.isEmpty(), name + " has members");
    return members;
  }

  @Test
  void everyLayerStatusIsMapped() throws IOException {
    Map<String, Integer> header = cEnum(header(), "LayerStatus");
    Map<String, Integer> java = new LinkedHashMap<>();
    for (LayerStatus status : LayerStatus.values()) {
      java.put(status.cName(), status.value());
      assertEquals(status.cName(), Utf8.decode(Native.statusName(status.value())));
      assertEquals(status, LayerStatus.ofValue(status.value()));
    }
    assertEquals(header, java, "LayerStatus in Java must be the header's, value for value");
    assertEquals(
        "LAYER_STATUS_UNKNOWN", Utf8.decode(Native.statusName(LayerStatus.values().length)));
  }

  @Test
  void everyLayerEitIsMapped() throws IOException {
    Map<String, Integer> header = cEnum(header(), "LayerEit");
    Map<String, Integer> java = new LinkedHashMap<>();
    for (LayerEit eit : LayerEit.values()) {
      java.put("LAYER_EIT_" + eit.name(), eit.value());
      assertEquals(eit.code(), Utf8.decode(Native.eitName(eit.value())), eit.name());
      assertEquals(eit, LayerEit.ofValue(eit.value()));
    }
    assertEquals(header, java, "LayerEit in Java must be the header's, value for value");
    assertEquals("", Utf8.decode(Native.eitName(LayerEit.values().length)));
  }

  @Test
  void flagsAndAbiVersionAreTheHeaders() throws IOException {
    String header = header();
    assertEquals(define(header, "LAYER_FLAG_TYP_JWT"), Flags.TYP_JWT);
    assertEquals(define(header, "LAYER_FLAG_ALLOW_1024_BIT_KEY"), Flags.ALLOW_1024_BIT_KEY);
    assertEquals(define(header, "LAYER_ABI_VERSION"), Native.ABI_VERSION);
    assertTrue(LayerIdentity.abiVersion() >= Native.ABI_VERSION);
    assertEquals(Native.GLUE_VERSION, Native.glueVersion());
  }

  /** The defaults the binding states (VerifyOptions' leeway, SignRequest's TTL) are the header's. */
  @Test
  void defaultsAreTheHeaders() throws IOException {
    String header = header();
    assertEquals(
        define(header, "LAYER_DEFAULT_LEEWAY_SECONDS"),
        VerifyOptions.defaults().leeway().getSeconds());
    try (LayerSigner signer = HandlesTest.signer();
        LayerVerifier verifier = HandlesTest.verifier()) {
      LayerClaims claims = verifier.verify(signer.sign("alice", "nonce"));
      assertEquals(
          define(header, "LAYER_DEFAULT_TTL_SECONDS"),
          claims.expiresAtEpochSecond() - claims.issuedAtEpochSecond());
    }
  }

  @Test
  void versionIsTheCrates() throws IOException {
    String cargo = Files.readString(Vectors.root().resolve("Cargo.toml"), StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("(?m)^version = \"([^\"]+)\"").matcher(cargo);
    assertTrue(m.find());
    assertEquals(m.group(1), LayerIdentity.version());
  }

  private static int define(String header, String name) {
    Matcher m = Pattern.compile("#define " + name + " (\\d+)").matcher(header);
    assertTrue(m.find(), name);
    return Integer.parseInt(m.group(1));
  }
}
