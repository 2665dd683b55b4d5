package com.layer.identity;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/** The shared vectors (vectors/*.json) and how their inputs map onto the Java API. */
final class Vectors {
  static final ObjectMapper JSON = new ObjectMapper();

  private Vectors() {}

  /** The repository root (the build passes it as {@code layer.root}). */
  static Path root() {
    return Paths.get(System.getProperty("layer.root", "../..")).toAbsolutePath().normalize();
  }

  static Path dir() {
    return root().resolve("vectors");
  }

  static List<JsonNode> cases(String file) {
    try {
      JsonNode doc = JSON.readTree(dir().resolve(file).toFile());
      List<JsonNode> cases = new ArrayList<>();
      doc.get("cases").forEach(cases::add);
      return cases;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A key file's bytes exactly as stored, as a string (every key file is UTF-8). */
  static String keyFile(String relative) {
    try {
      return new String(Files.readAllBytes(dir().resolve(relative)), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String text(JsonNode node) {
    return node == null || node.isNull() ? null : node.asText();
  }

  /**
   * A vector string argument as a Java string: a plain string as is; {@code {"hex": ...}}
   * (bytes that are not UTF-8) by surrogate escaping, each byte that is not part of a valid
   * sequence becoming the lone surrogate U+DC00 + byte. A Java string cannot hold invalid UTF-8;
   * a lone surrogate is its own invalid text, which the binding refuses with the same status.
   */
  static String stringArg(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isObject()) {
      return surrogateEscape(hex(node.get("hex").asText()));
    }
    return node.asText();
  }

  static boolean isHex(JsonNode node) {
    return node != null && node.isObject() && node.has("hex");
  }

  static byte[] hex(String spaced) {
    String[] parts = spaced.trim().split(" ");
    byte[] bytes = new byte[parts.length];
    for (int i = 0; i < parts.length; i++) {
      bytes[i] = (byte) Integer.parseInt(parts[i], 16);
    }
    return bytes;
  }

  static String surrogateEscape(byte[] bytes) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length * 2 + 4);
    while (true) {
      CoderResult result = decoder.decode(in, out, true);
      if (result.isUnderflow()) {
        break;
      }
      for (int i = 0; i < result.length(); i++) {
        out.put((char) (0xDC00 | (in.get() & 0xFF)));
      }
    }
    decoder.flush(out);
    out.flip();
    return out.toString();
  }

  /** A key argument: {@code private_key_file}/{@code key_file} or inline {@code private_key}. */
  static String keyArg(JsonNode args, String fileField, String inlineField) {
    if (args.has(fileField)) {
      return keyFile(args.get(fileField).asText());
    }
    return stringArg(args.get(inlineField));
  }

  static Set<String> flags(JsonNode node) {
    Set<String> flags = new HashSet<>();
    if (node != null) {
      node.forEach(f -> flags.add(f.asText()));
    }
    return flags;
  }

  /** Applies a case's {@code flags} to a signer builder. */
  static LayerSigner.Builder signerFlags(LayerSigner.Builder builder, Set<String> flags) {
    for (String flag : flags) {
      switch (flag) {
        case "TYP_JWT":
          builder.tokenType(TokenType.JWT);
          break;
        case "ALLOW_1024_BIT_KEY":
          builder.allowLegacy1024BitKey();
          break;
        default:
          throw new AssertionError("unknown flag " + flag);
      }
    }
    return builder;
  }

  /**
   * How a case's {@code attributes_json} maps onto {@link SignRequest.Builder}: a list of
   * setter calls (which may themselves throw, e.g. a null value), or the reason the typed API
   * cannot express it at all.
   */
  static final class AttributesMapping {
    final List<Consumer<SignRequest.Builder>> calls = new ArrayList<>();
    String inexpressible;

    void apply(SignRequest.Builder builder) {
      calls.forEach(call -> call.accept(builder));
    }
  }

  static AttributesMapping mapAttributes(String json) {
    AttributesMapping mapping = new AttributesMapping();
    if (json == null) {
      return mapping;
    }
    try (JsonParser parser = JSON.getFactory().createParser(json)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        mapping.inexpressible = "attributes_json is not a JSON object (the typed API takes none)";
        return mapping;
      }
      Set<String> seen = new HashSet<>();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        if (!seen.add(name)) {
          mapping.inexpressible = "member " + name + " given twice (a setter has no duplicate)";
        }
        switch (name) {
          case "first_name":
          case "last_name":
          case "display_name":
          case "avatar_url":
            if (value == JsonToken.VALUE_STRING || value == JsonToken.VALUE_NULL) {
              String text = value == JsonToken.VALUE_NULL ? null : parser.getText();
              mapping.calls.add(b -> attribute(b, name, text));
            } else {
              parser.skipChildren();
              mapping.inexpressible = name + " is not a string (the setter takes a String)";
            }
            break;
          case "metadata":
            if (value == JsonToken.START_OBJECT) {
              while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String key = parser.currentName();
                JsonToken v = parser.nextToken();
                if (v == JsonToken.VALUE_STRING || v == JsonToken.VALUE_NULL) {
                  String text = v == JsonToken.VALUE_NULL ? null : parser.getText();
                  mapping.calls.add(b -> b.putMetadata(key, text));
                } else {
                  parser.skipChildren();
                  mapping.inexpressible = "a metadata value is not a string (Map<String, String>)";
                }
              }
            } else if (value != JsonToken.VALUE_NULL) {
              parser.skipChildren();
              mapping.inexpressible = "metadata is not an object (Map<String, String>)";
            }
            break;
          default:
            parser.skipChildren();
            mapping.inexpressible = "member " + name + " (SignRequest has no such attribute)";
        }
      }
      if (parser.nextToken() != null) {
        mapping.inexpressible = "attributes_json has trailing text (the typed API takes no JSON)";
      }
    } catch (IOException e) {
      mapping.inexpressible = "attributes_json is not JSON (the typed API takes none)";
    }
    return mapping;
  }

  private static void attribute(SignRequest.Builder b, String name, String value) {
    switch (name) {
      case "first_name":
        b.firstName(value);
        break;
      case "last_name":
        b.lastName(value);
        break;
      case "display_name":
        b.displayName(value);
        break;
      default:
        b.avatarUrl(value);
    }
  }

  /** Issued-at and TTL as the case gives them, passed through (0: now, the default TTL). */
  static SignRequest.Builder times(SignRequest.Builder b, JsonNode issuedAt, JsonNode ttl) {
    if (issuedAt != null && !issuedAt.isNull()) {
      b.issuedAtEpochSecond(issuedAt.asLong());
    }
    if (ttl != null && !ttl.isNull()) {
      b.ttlSeconds(ttl.asLong());
    }
    return b;
  }

  /**
   * An ABI 3 case's {@code attributes} (an object of strings by attribute name, each a string
   * or {@code {"hex": ...}}) and {@code metadata} (a list of {@code [name, value]} pairs)
   * applied to a request.
   */
  static void applyTyped(SignRequest.Builder b, JsonNode attributes, JsonNode metadata) {
    if (attributes != null && attributes.isObject()) {
      attributes
          .properties()
          .forEach(e -> attribute(b, e.getKey(), stringArg(e.getValue())));
    }
    if (metadata != null && metadata.isArray()) {
      for (JsonNode pair : metadata) {
        b.putMetadata(stringArg(pair.get(0)), stringArg(pair.get(1)));
      }
    }
  }

  /** A passphrase argument: text as UTF-8, {@code {"hex": ...}} as those very bytes. */
  static void passphrase(LayerSigner.Builder builder, JsonNode passphrase) {
    if (passphrase == null || passphrase.isNull()) {
      return;
    }
    if (isHex(passphrase)) {
      builder.passphrase(hex(passphrase.get("hex").asText()));
    } else {
      builder.passphrase(passphrase.asText());
    }
  }
}
