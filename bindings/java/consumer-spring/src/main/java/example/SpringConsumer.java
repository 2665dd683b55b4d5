package example;

import com.layer.identity.servlet.ServletAuthenticator;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** The endpoint from the starter: layer.identity.* on the command line, the user from a header. */
@SpringBootApplication
public class SpringConsumer {
  public static void main(String[] args) {
    SpringApplication.run(SpringConsumer.class, args);
  }

  /** Stands in for a session check: the X-User header names the user (nobody without it). */
  @Bean
  ServletAuthenticator authenticate() {
    return (request, fields) -> request.getHeader("X-User");
  }
}
