#!/usr/bin/env bash
# Edge gateway benchmark: stock OpenSSH sftp through the edge against straight to the node it fronts, A/B
# interleaved, then many concurrent sessions through one edge. Prints markdown tables for docs/performance.md.
#
# Usage: bench/edge.sh [runs, default 3] [MiB per single-stream transfer, default 1024] [sessions, default 500]
# FERRY_JAVA=/path/to/bin/java runs Ferry and the edge on another JVM than the default one.
# Everything it creates lives in bench/results/edge and is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sftp >/dev/null || { echo "needs the OpenSSH client (Debian: openssh-client)" >&2; exit 1; }
mvn -B -q -DskipTests package -pl app,edge-gateway -am
mkdir -p bench/results
# the bench runs its own copies: a build meanwhile does not change the jars under test
cp app/target/ferry-app.jar bench/results/edge-bench-ferry-app.jar
cp edge-gateway/target/ferry-edge.jar bench/results/edge-bench-ferry-edge.jar
exec java bench/EdgeBench.java bench/results/edge-bench-ferry-app.jar bench/results/edge-bench-ferry-edge.jar \
  bench/results/edge "${1:-3}" "${2:-1024}" "${3:-500}"
