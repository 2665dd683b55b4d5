package com.layer.identity.bench;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.layer.identity.LayerSigner;
import com.layer.identity.LayerVerifier;
import com.layer.identity.VerifyOptions;
import io.jsonwebtoken.Jws;
import io.jsonwebtoken.JwtParser;
import io.jsonwebtoken.Jwts;
import java.security.PrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The same Layer identity token (typ JWS, cty layer-eit;v=1, kid; iss, prn, iat, exp, nce)
 * made and checked by layer-identity, jjwt and java-jwt on the JDK's RSA. Run with {@code -t 1}
 * and {@code -t 2}; {@link AccpBenchmark} is java-jwt on ACCP in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class SignBenchmark {
  String privatePem;
  LayerSigner signer;
  LayerVerifier verifier;
  RSAPrivateKey jcaPrivate;
  RSAPublicKey jcaPublic;
  Algorithm auth0;
  JWTVerifier auth0Verifier;
  JwtParser jjwtParser;
  String token;
  long iat;

  @Setup(Level.Trial)
  public void setUp() {
    privatePem = Keys.privatePem();
    signer =
        LayerSigner.builder()
            .privateKeyPem(privatePem)
            .providerId(Keys.PROVIDER)
            .keyId(Keys.KEY_ID)
            .build();
    verifier =
        LayerVerifier.builder()
            .publicKeyPem(Keys.publicPem())
            .providerId(Keys.PROVIDER)
            .keyId(Keys.KEY_ID)
            .build();
    jcaPrivate = Keys.privateKey(privatePem);
    jcaPublic = Keys.publicKey(Keys.publicPem());
    auth0 = Algorithm.RSA256(jcaPublic, jcaPrivate);
    auth0Verifier = JWT.require(auth0).withIssuer(Keys.PROVIDER).build();
    jjwtParser = Jwts.parser().verifyWith(jcaPublic).build();
    token = signer.sign(Keys.USER, Keys.NONCE);
    iat = Instant.now().getEpochSecond();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    signer.close();
    verifier.close();
  }

  // ---- signing, key already decoded ----

  @Benchmark
  public String signLayerIdentity() {
    return signer.sign(Keys.USER, Keys.NONCE);
  }

  @Benchmark
  public String signJjwt() {
    return jjwt(jcaPrivate);
  }

  @Benchmark
  public String signJavaJwt() {
    return javaJwt(auth0);
  }

  // ---- signing, the key arrives as PEM text on each call ----

  @Benchmark
  public String signPemLayerIdentity() {
    return LayerSigner.signToken(privatePem, Keys.PROVIDER, Keys.KEY_ID, Keys.USER, Keys.NONCE);
  }

  @Benchmark
  public String signPemJjwt() {
    return jjwt(Keys.privateKey(privatePem));
  }

  @Benchmark
  public String signPemJavaJwt() {
    return javaJwt(Algorithm.RSA256(null, Keys.privateKey(privatePem)));
  }

  // ---- verifying ----

  @Benchmark
  public Object verifyLayerIdentity() {
    return verifier.verify(token, VerifyOptions.withNonce(Keys.NONCE));
  }

  /**
   * jjwt reads a payload whose header has a {@code cty} as content, not claims: it verifies
   * the signature, then the claims are read with the Jackson it ships with.
   */
  @Benchmark
  public Object verifyJjwt() throws java.io.IOException {
    Jws<byte[]> jws = jjwtParser.parseSignedContent(token);
    com.fasterxml.jackson.databind.JsonNode claims = JACKSON.readTree(jws.getPayload());
    if (!Keys.NONCE.equals(claims.get("nce").asText())
        || !Keys.PROVIDER.equals(claims.get("iss").asText())
        || claims.get("exp").asLong() <= Instant.now().getEpochSecond()) {
      throw new IllegalStateException("claims");
    }
    return claims;
  }

  static final com.fasterxml.jackson.databind.ObjectMapper JACKSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  @Benchmark
  public Object verifyJavaJwt() {
    return verifyJavaJwt(auth0Verifier, token);
  }

  static Object verifyJavaJwt(JWTVerifier verifier, String token) {
    com.auth0.jwt.interfaces.DecodedJWT jwt = verifier.verify(token);
    if (!Keys.NONCE.equals(jwt.getClaim("nce").asString())) {
      throw new IllegalStateException("nonce");
    }
    return jwt;
  }

  String jjwt(PrivateKey key) {
    long now = Instant.now().getEpochSecond();
    return Jwts.builder()
        .header()
        .type("JWS")
        .contentType("layer-eit;v=1")
        .keyId(Keys.KEY_ID)
        .and()
        .issuer(Keys.PROVIDER)
        .claim("prn", Keys.USER)
        .issuedAt(new Date(now * 1000))
        .expiration(new Date((now + 600) * 1000))
        .claim("nce", Keys.NONCE)
        .signWith(key, Jwts.SIG.RS256)
        .compact();
  }

  static String javaJwt(Algorithm algorithm) {
    long now = Instant.now().getEpochSecond();
    return JWT.create()
        .withHeader(Map.of("typ", "JWS", "cty", "layer-eit;v=1"))
        .withKeyId(Keys.KEY_ID)
        .withIssuer(Keys.PROVIDER)
        .withClaim("prn", Keys.USER)
        .withIssuedAt(Instant.ofEpochSecond(now))
        .withExpiresAt(Instant.ofEpochSecond(now + 600))
        .withClaim("nce", Keys.NONCE)
        .sign(algorithm);
  }
}
