#!/usr/bin/env bash
# Storage-layer benchmark: sequential upload and read through the FileStore SPI, plain and encrypted, 1 and 4
# streams, plain and encrypted interleaved, median of 5 runs.
# Usage: bench/storage.sh [MiB per single stream, default 1024] [runs, default 5]
# Data goes to bench/results/storage-data (deleted after each run); set FERRY_BENCH_DIR to measure another disk.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests -pl storage-nas -am install
mkdir -p bench/results
cp_file=bench/results/storage.classpath
mvn -B -q -pl storage-nas dependency:build-classpath -Dmdep.outputFile="$PWD/$cp_file" -Dmdep.includeScope=runtime
cp="storage-nas/target/classes:$(cat "$cp_file")"
dir=${FERRY_BENCH_DIR:-bench/results/storage-data}
mkdir -p "$dir"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), java $(java -version 2>&1 | head -1)"
java -cp "$cp" bench/StorageBench.java "$dir" "${1:-1024}" "${2:-5}"
