#!/usr/bin/env bash
# The whole test run of the Java binding (make test-java runs it after make build):
#   1. lint: shellcheck on the scripts; javac -Xlint:all -Werror, gcc -Wall -Wextra -Werror and
#      javadoc (doclint all, warnings fatal) run inside the build;
#   2. mvn verify of the four modules: the JNI library, the jars with their sources and javadoc,
#      every JUnit test (vectors, threads, handles, loading, -Xcheck:jni, environment vectors in
#      child JVMs, RSS soak, the JDK HttpServer endpoint for every kind of authenticate and the
#      issue-17 defects, the servlet in embedded Tomcat 11, two @SpringBootTest applications, the
#      READMEs' code compiled and run);
#   3. the jar carries the native library;
#   4. mvn install into a temporary local repository, then from outside the repository: a
#      consumer of the core jar (JDK 17, and Temurin 25 when present), a Spring Boot application
#      of the starter started and asked for a token over HTTP, the benchmarks compiled;
#   5. the sample backend through scripts/run-backend java and tests/endpoint/conformance.py.
# Quiet on success (one line per step), loud on failure (the failing step's whole log).
#
# The temporary local repository: `mvn -Dmaven.repo.local=<empty dir>` alone would download
# every plugin again on every run. Instead a settings file puts the user's own
# ~/.m2/repository first among the remote repositories, as a file:// repository, ahead of
# Maven Central: what the build already fetched is copied from disk in a second, anything else
# comes from Central, and the temporary repository holds only what this install and the
# consumers need. The user's ~/.m2 is only read.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
start=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/layer-identity-java.XXXXXX")
app_pid=
cleanup() {
  if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export MAVEN_OPTS="${MAVEN_OPTS:-} -Djava.awt.headless=true"
mvn_flags=(-B -ntp -Dstyle.color=never)

step() { # step NAME COMMAND...: runs quietly; on failure prints the log and exits
  local name=$1
  shift
  local log=$work/$name.log
  local t0=$SECONDS
  # In the background, not as an if condition, so that set -e holds inside the step's
  # functions (bash ignores it in anything an if tests).
  "$@" >"$log" 2>&1 &
  if wait $!; then
    echo "java: $name ok ($((SECONDS - t0)) s)"
  else
    echo "java: $name FAILED ($((SECONDS - t0)) s); its output:" >&2
    cat "$log" >&2
    exit 1
  fi
}

lint() {
  shellcheck "$here/test.sh" "$here/check.sh" "$here/bench.sh" "$here/build-native.sh" \
    "$here/run-backend.sh"
}
step lint lint

rm -f ./*/target/test-report.txt
step "mvn-verify" mvn "${mvn_flags[@]}" verify
cat ./*/target/test-report.txt | sed 's/^/  /'
python3 - "$here" <<'EOF'
import glob, sys, xml.etree.ElementTree as ET
t = f = e = s = 0
for path in glob.glob(sys.argv[1] + "/*/target/surefire-reports/TEST-*.xml"):
    r = ET.parse(path).getroot()
    t += int(r.get("tests")); f += int(r.get("failures")); e += int(r.get("errors")); s += int(r.get("skipped"))
print(f"java: {t - f - e - s} passed, {f + e} failed, {s} skipped (JUnit, mvn verify)")
EOF

jar=$here/layer-identity/target/layer-identity-0.1.0.jar
check_jar() {
  jar tf "$jar" | grep -qx 'native/linux-x86_64/liblayer_identity_jni.so'
}
step "jar-carries-native-library" check_jar

cat >"$work/settings.xml" <<EOF
<settings>
  <profiles>
    <profile>
      <id>user-cache</id>
      <repositories>
        <repository>
          <id>user-cache</id>
          <url>file://$HOME/.m2/repository</url>
          <releases><checksumPolicy>ignore</checksumPolicy></releases>
          <snapshots><enabled>false</enabled></snapshots>
        </repository>
      </repositories>
      <pluginRepositories>
        <pluginRepository>
          <id>user-cache</id>
          <url>file://$HOME/.m2/repository</url>
          <releases><checksumPolicy>ignore</checksumPolicy></releases>
          <snapshots><enabled>false</enabled></snapshots>
        </pluginRepository>
      </pluginRepositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>user-cache</activeProfile></activeProfiles>
</settings>
EOF
temp_mvn=(mvn "${mvn_flags[@]}" -s "$work/settings.xml" -Dmaven.repo.local="$work/repo")
install_artifacts() {
  "${temp_mvn[@]}" install -DskipTests
  local a
  for a in layer-identity layer-identity-servlet layer-identity-spring-boot-autoconfigure \
    layer-identity-spring-boot-starter; do
    for c in "" -sources -javadoc; do
      test -f "$work/repo/com/layer/$a/0.1.0/$a-0.1.0$c.jar"
    done
    grep -q '<licenses>' "$work/repo/com/layer/$a/0.1.0/$a-0.1.0.pom" ||
      grep -q '<artifactId>layer-identity-parent</artifactId>' "$work/repo/com/layer/$a/0.1.0/$a-0.1.0.pom"
  done
  grep -q '<scm>' "$work/repo/com/layer/layer-identity-parent/0.1.0/layer-identity-parent-0.1.0.pom"
}
step "mvn-install-to-temporary-repository" install_artifacts
installed=$work/repo/com/layer/layer-identity/0.1.0/layer-identity-0.1.0.jar

consumer() {
  cp -r "$here/consumer" "$work/consumer"
  rm -rf "$work/consumer/target"
  (cd "$work/consumer" && "${temp_mvn[@]}" -q compile)
  local out
  out=$(cd "$work" && java -cp "consumer/target/classes:$installed" example.Consumer)
  echo "$out"
  case $out in *"native library from the copy in the jar"*) ;; *) return 1 ;; esac
  local java25
  java25=$(find /usr/lib/jvm -maxdepth 3 -path '*temurin-25*/bin/java' 2>/dev/null | head -1)
  if [ -n "$java25" ]; then
    out=$(cd "$work" && "$java25" --enable-native-access=ALL-UNNAMED \
      -cp "consumer/target/classes:$installed" example.Consumer 2>"$work/java25.err")
    echo "Java 25: $out"
    if grep -q WARNING "$work/java25.err"; then
      cat "$work/java25.err"
      return 1
    fi
  fi
}
step "consumer-outside-the-repository" consumer
sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^/  /' "$work/consumer-outside-the-repository.log" |
  grep consumer

spring_consumer() {
  cp -r "$here/consumer-spring" "$work/consumer-spring"
  rm -rf "$work/consumer-spring/target"
  cd "$work/consumer-spring"
  "${temp_mvn[@]}" -q compile dependency:build-classpath -Dmdep.outputFile=classpath.txt
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  java -cp "target/classes:$(cat classpath.txt)" example.SpringConsumer --server.port="$port" \
    --server.address=127.0.0.1 \
    --layer.identity.provider-id=layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f \
    --layer.identity.key-id=layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678 \
    --layer.identity.private-key-path="$root/vectors/keys/rsa2048.pkcs8.pem" \
    >"$work/spring-app.log" 2>&1 &
  app_pid=$!
  local _
  for _ in $(seq 600); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    kill -0 "$app_pid" 2>/dev/null || { cat "$work/spring-app.log"; return 1; }
    sleep 0.2
  done
  local answer anonymous
  answer=$(curl -sS -H 'Content-Type: application/json' -H 'X-User: frank' \
    --data '{"nonce":"spring-1"}' "http://127.0.0.1:$port/identity-token")
  anonymous=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    --data '{"nonce":"spring-1"}' "http://127.0.0.1:$port/identity-token")
  kill "$app_pid"
  wait "$app_pid" 2>/dev/null || true
  app_pid=
  echo "token answer: $answer; without X-User: $anonymous"
  python3 - "$answer" <<'EOF'
import base64, json, sys
token = json.loads(sys.argv[1])["identity_token"]
claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
assert claims["prn"] == "frank" and claims["nce"] == "spring-1", claims
print("spring consumer: a token for frank from the installed starter")
EOF
  [ "$anonymous" = 401 ]
}
step "spring-boot-application-of-the-installed-starter" spring_consumer
grep "spring consumer" "$work/spring-boot-application-of-the-installed-starter.log" | sed 's/^/  /'

benchmarks() {
  cp -r "$here/benchmarks" "$work/benchmarks"
  rm -rf "$work/benchmarks/target"
  (cd "$work/benchmarks" && "${temp_mvn[@]}" -q package)
  test -f "$work/benchmarks/target/benchmarks.jar"
}
step "benchmarks-compile" benchmarks

# Every case and check of the contract, end to end (the JDK's own 404 for //identity-token is
# one the contract allows: server_may_route).
conformance() {
  /usr/bin/python3 "$root/tests/endpoint/conformance.py" --backend java --chunked --pipelining \
    --startup-timeout 300
}
step "conformance-sample-backend" conformance
sed 's/^/  /' "$work/conformance-sample-backend.log" | tail -1

echo "java: all steps passed in $((SECONDS - start)) s"
