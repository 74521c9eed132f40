#!/usr/bin/env bash
# SFTP benchmark: Ferry against a reference OpenSSH sshd (internal-sftp) on the same machine, driven by the same
# stock OpenSSH sftp client, A/B interleaved. Prints a markdown table (medians) for docs/performance.md.
#
# Usage: bench/sftp.sh [runs, default 3] [MiB per single-stream transfer, default 1024]
# FERRY_JAVA=/path/to/bin/java runs Ferry on another JVM than the default one.
# FERRY_BENCH_ONLY=streams,single runs only those scenario groups: single, streams, small (2,000 x 4 KiB in one
#   session), small8 (the same files in 8 concurrent sessions of 250), sessions, idle, encryption.
# FERRY_BENCH_SESSIONS=1000 sets the concurrent sessions of the sessions group (default 200).
# FERRY_BENCH_IDLE=500 sets the idle logged-in sessions of the idle group, whose memory is measured (default 200).
# Besides the throughput table it prints the servers' CPU seconds per GiB for every bulk scenario and CPU ms per
# file for the small files.
# Everything it creates lives in bench/results/sftp (servers' data, keys, configs, logs); the system sshd is
# never touched: the reference sshd runs from its own config on a loopback port and stops with the bench.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

if [ ! -x /usr/sbin/sshd ] || [ ! -x /usr/lib/openssh/sftp-server ] || ! command -v sftp >/dev/null; then
  install_packages openssh-server openssh-sftp-server openssh-client
fi

mvn -B -q -DskipTests package -pl app -am
# each concurrent session holds sftp and ssh on this side, a socket in Ferry or sshd's processes on the other
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
mkdir -p bench/results
exec java bench/SftpBench.java app/target/ferry-app.jar bench/results/sftp "${1:-3}" "${2:-1024}"
