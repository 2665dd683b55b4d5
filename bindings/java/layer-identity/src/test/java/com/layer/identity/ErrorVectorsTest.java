package com.layer.identity;

import static java.util.Map.entry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * vectors/errors.json through the typed API. Every case ends one of four ways, and the test
 * fails if a case ends another way than its kind says:
 *
 * <ul>
 *   <li><b>library status</b> (most cases): a {@link LayerIdentityException} with the exact
 *       status and the message fragment. An invalid UTF-8 argument is passed as the Java
 *       string's own invalid text, a lone surrogate (see {@link Vectors#stringArg}), which the
 *       binding refuses with the same status, {@code LAYER_ERR_INVALID_UTF8};
 *   <li><b>null argument</b> (every {@code LAYER_ERR_NULL_ARGUMENT} case): a {@link
 *       NullPointerException} naming the Java parameter, before the library is called;
 *   <li><b>adapted</b> (listed below by name): the nearest thing the typed API can do;
 *   <li><b>inexpressible</b> (listed below by name, with the reason): the typed API cannot
 *       even state the input, so there is nothing to call.
 * </ul>
 */
class ErrorVectorsTest {
  private static final List<JsonNode> CASES = Vectors.cases("errors.json");

  /** Cases the typed API answers in its own way: the exception it throws and a fragment. */
  private static final Map<String, String> ADAPTED =
      Map.ofEntries(
          // A null attribute value: the setters take no null (NullPointerException naming it).
          entry("signer-sign-attributes-non-string-null", "NullPointerException: lastName"),
          entry(
              "signer-sign-attributes-null-attribute-beside-metadata",
              "NullPointerException: firstName"),
          entry("signer-sign-metadata-value-null", "NullPointerException: metadata value"),
          // A metadata name given twice: putMetadata refuses it, as Map.of does.
          entry(
              "signer-sign-metadata-duplicate-name",
              "IllegalArgumentException: is given twice"),
          entry(
              "signer-sign-metadata-duplicate-name-via-escape",
              "IllegalArgumentException: is given twice"),
          // Keys cross as bytes (ABI 3), never as text: a key that is not UTF-8 is a key the
          // library cannot read, not an invalid text argument.
          entry("sign-token-invalid-utf8-private-key", "LayerIdentityException: PEM key"),
          entry("verifier-new-invalid-utf8-key", "LayerIdentityException: PEM key"),
          // 2^32 - 1 bits does not fit an int: Integer.MAX_VALUE bits, the library's answer.
          entry("generate-key-pair-u32-max-bits", "LayerIdentityException: bits"));

  /** Cases the typed API cannot express at all, and why. */
  private static final Map<String, String> INEXPRESSIBLE =
      Map.ofEntries(
          entry(
              "signer-new-unknown-flag-bit",
              "raw flags value 4 (flags are builder methods)"),
          entry(
              "signer-sign-attributes-claim-override-iss",
              "member iss (SignRequest has no such attribute)"),
          entry(
              "signer-sign-attributes-claim-override-prn",
              "member prn (SignRequest has no such attribute)"),
          entry(
              "signer-sign-attributes-duplicate-member",
              "member first_name given twice (a setter has no duplicate)"),
          entry(
              "signer-sign-attributes-duplicate-member-via-escape",
              "member first_name given twice (a setter has no duplicate)"),
          entry(
              "signer-sign-attributes-duplicate-metadata-member",
              "member metadata given twice (a setter has no duplicate)"),
          entry(
              "signer-sign-attributes-invalid-json-empty-string",
              "attributes_json is not a JSON object (the typed API takes none)"),
          entry(
              "signer-sign-attributes-invalid-json-trailing-garbage",
              "attributes_json is not JSON (the typed API takes none)"),
          entry(
              "signer-sign-attributes-invalid-json-truncated",
              "attributes_json is not JSON (the typed API takes none)"),
          entry(
              "signer-sign-attributes-non-string-array",
              "avatar_url is not a string (the setter takes a String)"),
          entry(
              "signer-sign-attributes-non-string-number",
              "first_name is not a string (the setter takes a String)"),
          entry(
              "signer-sign-attributes-non-string-object",
              "display_name is not a string (the setter takes a String)"),
          entry(
              "signer-sign-attributes-not-object-array",
              "attributes_json is not a JSON object (the typed API takes none)"),
          entry(
              "signer-sign-attributes-not-object-null-literal",
              "attributes_json is not a JSON object (the typed API takes none)"),
          entry(
              "signer-sign-attributes-not-object-string",
              "attributes_json is not a JSON object (the typed API takes none)"),
          entry(
              "signer-sign-attributes-unknown-member",
              "member email (SignRequest has no such attribute)"),
          entry(
              "signer-sign-attributes-unknown-member-beside-metadata",
              "member plan (SignRequest has no such attribute)"),
          entry(
              "signer-sign-attributes-unknown-member-camel-case",
              "member firstName (SignRequest has no such attribute)"),
          entry(
              "signer-sign-attributes-unknown-member-encrypted-signer",
              "member role (SignRequest has no such attribute)"),
          entry(
              "signer-sign-metadata-not-object-array",
              "metadata is not an object (Map<String, String>)"),
          entry(
              "signer-sign-metadata-not-object-false",
              "metadata is not an object (Map<String, String>)"),
          entry(
              "signer-sign-metadata-not-object-number",
              "metadata is not an object (Map<String, String>)"),
          entry(
              "signer-sign-metadata-not-object-string",
              "metadata is not an object (Map<String, String>)"),
          entry(
              "signer-sign-metadata-not-object-true",
              "metadata is not an object (Map<String, String>)"),
          entry(
              "signer-sign-metadata-value-array",
              "a metadata value is not a string (Map<String, String>)"),
          entry(
              "signer-sign-metadata-value-boolean",
              "a metadata value is not a string (Map<String, String>)"),
          entry(
              "signer-sign-metadata-value-number",
              "a metadata value is not a string (Map<String, String>)"),
          entry(
              "signer-sign-metadata-value-object",
              "a metadata value is not a string (Map<String, String>)"),
          entry(
              "verifier-new-unknown-flag-bit",
              "raw flags value 4 (flags are builder methods)"));

  private static final AtomicInteger LIBRARY = new AtomicInteger();
  private static final AtomicInteger NULLS = new AtomicInteger();
  private static final AtomicInteger ADAPTED_RUN = new AtomicInteger();
  private static final Map<String, String> INEXPRESSIBLE_FOUND = new ConcurrentHashMap<>();

  private static final Map<String, String> JAVA_NAMES =
      Map.of(
          "private_key", "privateKeyPem",
          "key", "publicKeyPem",
          "provider_id", "providerId",
          "key_id", "keyId",
          "user_id", "userId",
          "nonce", "nonce");

  @TestFactory
  Stream<DynamicTest> errorVectors() {
    return CASES.stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> run(c)));
  }

  private static void run(JsonNode c) {
    String name = c.get("name").asText();
    JsonNode args = c.get("args");
    String expectedStatus = c.get("expected_status").asText();
    String fragment = c.get("message_contains").asText();

    String reason = inexpressible(c);
    if (reason != null) {
      INEXPRESSIBLE_FOUND.put(name, reason);
      assertEquals(INEXPRESSIBLE.get(name), reason, name + " must be listed as inexpressible");
      return;
    }
    assertNull(INEXPRESSIBLE.get(name), name + " is listed as inexpressible but is not");

    Throwable thrown = attempt(c);
    assertNotNull(thrown, name + ": no error");

    if (ADAPTED.containsKey(name)) {
      String[] expected = ADAPTED.get(name).split(": ", 2);
      assertEquals(expected[0], thrown.getClass().getSimpleName(), name + ": " + thrown);
      assertTrue(
          String.valueOf(thrown.getMessage()).contains(expected[1]), name + ": " + thrown);
      ADAPTED_RUN.incrementAndGet();
      return;
    }
    if (expectedStatus.equals("LAYER_ERR_NULL_ARGUMENT")) {
      assertInstanceOf(NullPointerException.class, thrown, name);
      assertEquals(JAVA_NAMES.get(nullArgument(args)), thrown.getMessage(), name);
      NULLS.incrementAndGet();
      return;
    }
    if (!(thrown instanceof LayerIdentityException)) {
      fail(name + ": expected " + expectedStatus + ", got " + thrown, thrown);
    }
    LayerIdentityException e = (LayerIdentityException) thrown;
    assertEquals(expectedStatus, e.statusName(), name + ": " + e.getMessage());
    assertTrue(
        e.getMessage().toLowerCase(Locale.ROOT).contains(fragment),
        name + ": message " + e.getMessage() + " lacks " + fragment);
    assertNull(e.eitCode(), name + ": not a verification failure");
    LIBRARY.incrementAndGet();
  }

  /** The argument a NULL_ARGUMENT case leaves null. */
  private static String nullArgument(JsonNode args) {
    for (String field : JAVA_NAMES.keySet()) {
      if (args.has(field) && args.get(field).isNull()) {
        return field;
      }
    }
    throw new AssertionError("no null argument in " + args);
  }

  /** Why the typed API cannot state this case's input; null when it can. */
  private static String inexpressible(JsonNode c) {
    JsonNode args = c.get("args");
    if (args.has("flags_value")) {
      return "raw flags value " + args.get("flags_value") + " (flags are builder methods)";
    }
    if (c.get("call").asText().equals("signer_sign")) {
      JsonNode attributes = args.get("attributes_json");
      if (Vectors.isHex(attributes)) {
        return null; // mapped: the invalid text goes into the attribute it is in
      }
      return Vectors.mapAttributes(Vectors.text(attributes)).inexpressible;
    }
    return null;
  }

  /** Runs the case through the API; what it threw (null when it did not). */
  private static Throwable attempt(JsonNode c) {
    JsonNode args = c.get("args");
    try {
      switch (c.get("call").asText()) {
        case "sign_token":
          LayerSigner.signToken(
              Vectors.keyArg(args, "private_key_file", "private_key"),
              Vectors.stringArg(args.get("provider_id")),
              Vectors.stringArg(args.get("key_id")),
              Vectors.times(
                      SignRequest.builder(
                          Vectors.stringArg(args.get("user_id")),
                          Vectors.stringArg(args.get("nonce"))),
                      args.get("issued_at"),
                      args.get("ttl_seconds"))
                  .build());
          break;
        case "signer_new":
          newSigner(args, "private_key_file", "private_key").close();
          break;
        case "token_type_flags":
          TokenType.parse(Vectors.stringArg(args.get("token_type")));
          break;
        case "verifier_verify":
          {
            JsonNode v = args.get("verifier");
            try (LayerVerifier verifier =
                LayerVerifier.builder()
                    .publicKeyPem(Vectors.keyFile(v.get("key_file").asText()))
                    .providerId(v.get("provider_id").asText())
                    .keyId(v.get("key_id").asText())
                    .build()) {
              VerifyOptions.Builder options =
                  VerifyOptions.builder()
                      .nowEpochSecond(args.get("now").asLong())
                      .leewaySeconds(args.get("leeway_seconds").asLong());
              String nonce = Vectors.stringArg(args.get("expected_nonce"));
              if (nonce != null) {
                options.nonce(nonce);
              }
              verifier.verify(Vectors.stringArg(args.get("token")), options.build());
            }
          }
          break;
        case "signer_sign":
          try (LayerSigner signer = newSigner(args.get("signer"), "private_key_file", "")) {
            SignRequest.Builder request =
                Vectors.times(
                    SignRequest.builder(
                        Vectors.stringArg(args.get("user_id")),
                        Vectors.stringArg(args.get("nonce"))),
                    args.get("issued_at"),
                    args.get("ttl_seconds"));
            JsonNode attributes = args.get("attributes_json");
            String json =
                Vectors.isHex(attributes)
                    ? Vectors.stringArg(attributes)
                    : Vectors.text(attributes);
            Vectors.mapAttributes(json).apply(request);
            Vectors.applyTyped(request, args.get("attributes"), args.get("metadata"));
            signer.sign(request.build());
          }
          break;
        case "verifier_new":
          {
            LayerVerifier.Builder builder = LayerVerifier.builder();
            builder.publicKeyPem(Vectors.keyArg(args, "key_file", "key"));
            builder.providerId(Vectors.stringArg(args.get("provider_id")));
            builder.keyId(Vectors.stringArg(args.get("key_id")));
            if (Vectors.flags(args.get("flags")).contains("ALLOW_1024_BIT_KEY")) {
              builder.allowLegacy1024BitKey();
            }
            builder.build().close();
          }
          break;
        case "generate_key_pair":
          {
            long bits = args.get("bits").asLong();
            LayerKeys.generate((int) Math.min(bits, Integer.MAX_VALUE));
          }
          break;
        default:
          throw new AssertionError("unknown call " + c.get("call"));
      }
    } catch (RuntimeException e) {
      return e;
    }
    return null;
  }

  private static LayerSigner newSigner(JsonNode args, String fileField, String inlineField) {
    LayerSigner.Builder builder = LayerSigner.builder();
    builder.privateKeyPem(Vectors.keyArg(args, fileField, inlineField));
    Vectors.passphrase(builder, args.get("passphrase"));
    builder.providerId(Vectors.stringArg(args.get("provider_id")));
    builder.keyId(Vectors.stringArg(args.get("key_id")));
    Vectors.signerFlags(builder, Vectors.flags(args.get("flags")));
    return builder.build();
  }

  @AfterAll
  static void summary() {
    Report.line(
        "errors.json: %d cases: %d exact library status and fragment, %d null arguments"
            + " (NullPointerException naming the parameter), %d adapted, %d inexpressible"
            + " (listed by name in ErrorVectorsTest)",
        CASES.size(),
        LIBRARY.get(),
        NULLS.get(),
        ADAPTED_RUN.get(),
        INEXPRESSIBLE_FOUND.size());
    assertEquals(INEXPRESSIBLE.keySet(), Set.copyOf(INEXPRESSIBLE_FOUND.keySet()));
    assertEquals(ADAPTED.size(), ADAPTED_RUN.get(), "every adapted case ran");
    assertEquals(
        CASES.size(),
        LIBRARY.get() + NULLS.get() + ADAPTED_RUN.get() + INEXPRESSIBLE_FOUND.size(),
        "every case is accounted for");
  }
}
