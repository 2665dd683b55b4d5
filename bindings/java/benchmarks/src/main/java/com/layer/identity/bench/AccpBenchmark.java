package com.layer.identity.bench;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import java.security.Signature;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * java-jwt with Amazon Corretto Crypto Provider (AWS-LC) installed as the first JCA provider:
 * in its own fork, so the other benchmarks keep the JDK's RSA.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class AccpBenchmark {
  Algorithm algorithm;
  JWTVerifier verifier;
  String token;
  String privatePem;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    AmazonCorrettoCryptoProvider.install();
    AmazonCorrettoCryptoProvider.INSTANCE.assertHealthy();
    String provider = Signature.getInstance("SHA256withRSA").getProvider().getName();
    if (!provider.equals(AmazonCorrettoCryptoProvider.PROVIDER_NAME)) {
      throw new IllegalStateException("SHA256withRSA comes from " + provider + ", not ACCP");
    }
    privatePem = Keys.privatePem();
    algorithm =
        Algorithm.RSA256(Keys.publicKey(Keys.publicPem()), Keys.privateKey(privatePem));
    verifier = JWT.require(algorithm).withIssuer(Keys.PROVIDER).build();
    token = SignBenchmark.javaJwt(algorithm);
  }

  @Benchmark
  public String signJavaJwtAccp() {
    return SignBenchmark.javaJwt(algorithm);
  }

  @Benchmark
  public String signPemJavaJwtAccp() {
    return SignBenchmark.javaJwt(Algorithm.RSA256(null, Keys.privateKey(privatePem)));
  }

  @Benchmark
  public Object verifyJavaJwtAccp() {
    return SignBenchmark.verifyJavaJwt(verifier, token);
  }
}
