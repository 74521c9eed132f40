#!/usr/bin/env bash
# FTPS benchmark: Ferry against a reference vsftpd on the same machine, both over explicit FTPS (AUTH TLS, PROT P),
# driven by the same stock clients (curl; lftp for many small files) with the same TLS 1.2 cipher, A/B interleaved.
# Prints two markdown tables (medians) for docs/performance.md: throughput and sessions, then each server's CPU per
# scenario (seconds per GiB for the bulk transfers, milliseconds per file for the small files; Ferry: the JVM,
# vsftpd: its own and its reaped session processes', read once they have all exited). vsftpd runs under a small
# python3 subreaper so that session processes orphaned by vsftpd's session parent are reaped, and counted, too.
#
# Scenarios: 1 stream up and down (a file of the given size), 8 streams up and down (128 MiB each), 2,000 x 4 KiB
# in one lftp session, 8 lftp sessions at once of 250 x 4 KiB each (each into its own new directory; files/s until
# the last one ends, and files that did not arrive), 100 concurrent curl sessions of 1 MiB each.
#
# Usage: bench/ftps.sh [runs, default 3] [MiB per single-stream transfer, default 1024]
# FERRY_JAR=/path/to/ferry-app.jar benches that jar and skips the build (default: builds app/target/ferry-app.jar).
# FERRY_JAVA=/path/to/bin/java runs Ferry on another JVM than the default one.
# Everything it creates lives in bench/results/ftps (data, certificate, configs, logs). The system's vsftpd service
# is never started: the reference runs from its own config on a loopback port and stops with the bench. Its logins
# go through a system user and a PAM service of the bench's own (ferry-bench, /etc/pam.d/ferry-bench-vsftpd), both
# removed when the bench ends.
set -euo pipefail
jar=""
if [ -n "${FERRY_JAR:-}" ]; then
  jar=$(realpath "$FERRY_JAR")
  [ -f "$jar" ] || { echo "FERRY_JAR: no such file: $jar" >&2; exit 1; }
fi
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

if [ ! -x /usr/sbin/vsftpd ] || [ ! -x /usr/bin/python3 ] || ! command -v curl >/dev/null \
  || ! command -v lftp >/dev/null || ! command -v openssl >/dev/null; then
  install_packages vsftpd curl lftp openssl python3
fi

# vsftpd logs in system users through PAM: the bench adds one of its own (no shell, home in bench/results) and a
# PAM service that lets that user in and no one else; both go when the bench ends
mkdir -p bench/results/ftps-home
home=$(cd bench/results/ftps-home && pwd)
as_root userdel ferry-bench >/dev/null 2>&1 || true
as_root useradd --system --no-create-home --home-dir "$home" --shell /usr/sbin/nologin ferry-bench
as_root chown ferry-bench "$home"
printf '%s\n' 'auth requisite pam_succeed_if.so user = ferry-bench' 'auth required pam_permit.so' \
  'account required pam_permit.so' 'session required pam_permit.so' \
  | as_root tee /etc/pam.d/ferry-bench-vsftpd >/dev/null
trap 'as_root rm -f /etc/pam.d/ferry-bench-vsftpd; as_root userdel ferry-bench >/dev/null 2>&1 || true' EXIT
as_root mkdir -p /var/run/vsftpd/empty

if [ -z "$jar" ]; then
  mvn -B -q -DskipTests package -pl app -am
  jar=app/target/ferry-app.jar
fi
mkdir -p bench/results
java bench/FtpsBench.java "$jar" bench/results/ftps "$home" "${1:-3}" "${2:-1024}"
