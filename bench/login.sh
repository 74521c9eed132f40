#!/usr/bin/env bash
# Login benchmark: the cost of an SSH login by key exchange (mlkem768x25519-sha256, curve25519-sha256,
# sntrup761x25519-sha512@openssh.com), Ferry against a reference OpenSSH sshd on the same machine, driven by the same
# client (MINA SSHD's, which speaks ML-KEM). Prints a markdown table for docs/performance.md.
#
# Usage: bench/login.sh [logins per key exchange, default 500]
# FERRY_JAR=/path/to/ferry-app.jar measures that jar instead of building app/target/ferry-app.jar.
# FERRY_JAVA=/path/to/bin/java runs Ferry on another JVM than the default one.
# Everything it creates lives in bench/results/login (the client's classpath, servers' data, keys, configs, logs,
# results.md); the system sshd is never touched: the reference sshd runs from its own config on a loopback port and
# stops with the bench.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

if [ ! -x /usr/sbin/sshd ] || ! command -v ssh-keygen >/dev/null; then
  install_packages openssh-server openssh-client
fi

run_mvn() {
  mvn -B -q "$@"
}

jar="${FERRY_JAR:-}"
if [ -z "$jar" ]; then
  run_mvn -DskipTests package -pl app -am
  jar=app/target/ferry-app.jar
fi

# the client: MINA SSHD with BouncyCastle (ML-KEM, sntrup761), the versions Ferry's transfer-core uses
results=bench/results/login
mkdir -p "$results"
classpath_args=(dependency:build-classpath -pl transfer-core -Dmdep.outputFile="$PWD/$results/classpath.txt"
  -DincludeArtifactIds=sshd-common,sshd-core,slf4j-api,bcprov-jdk18on,bcpkix-jdk18on,bcutil-jdk18on)
run_mvn -o "${classpath_args[@]}" >/dev/null 2>&1 || run_mvn "${classpath_args[@]}"

# MINA logs through SLF4J, and no provider is on the classpath: nothing logged, and no warning about it
exec java -Dslf4j.internal.verbosity=ERROR -cp "$(cat "$results/classpath.txt")" \
  bench/LoginBench.java "$jar" "$results" "${1:-500}"
