#!/usr/bin/env bash
# FTPS benchmark: Ferry against a reference vsftpd on the same machine, both over explicit FTPS (AUTH TLS, PROT P),
# driven by the same stock clients (curl; lftp for many small files) with the same TLS 1.2 cipher, A/B interleaved. Prints a markdown table
# (medians) for docs/performance.md.
#
# Usage: bench/ftps.sh [runs, default 3] [MiB per single-stream transfer, default 1024]
# FERRY_JAVA=/path/to/bin/java runs Ferry on another JVM than the default one.
# Everything it creates lives in bench/results/ftps (data, certificate, configs, logs). The system's vsftpd service
# is never started: the reference runs from its own config on a loopback port and stops with the bench. Its logins
# go through a system user and a PAM service of the bench's own (ferry-bench, /etc/pam.d/ferry-bench-vsftpd), both
# removed when the bench ends.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ ! -x /usr/sbin/vsftpd ] || ! command -v curl >/dev/null || ! command -v lftp >/dev/null \
  || ! command -v openssl >/dev/null; then
  # install without starting the system's vsftpd service: a policy-rc.d that says no is put in place if none is
  added_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 755 /usr/sbin/policy-rc.d
    added_policy=yes
  fi
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends vsftpd curl lftp openssl
  [ -z "$added_policy" ] || as_root rm -f /usr/sbin/policy-rc.d
fi

# vsftpd logs in system users through PAM: the bench adds one of its own (no shell, home in bench/results) and a
# PAM service that lets that user in and no one else; both go when the bench ends
mkdir -p bench/results/ftps-home
home=$(cd bench/results/ftps-home && pwd)
as_root userdel ferry-bench >/dev/null 2>&1 || true
as_root useradd --system --no-create-home --home-dir "$home" --shell /usr/sbin/nologin ferry-bench
as_root chown ferry-bench "$home"
printf 'auth requisite pam_succeed_if.so user = ferry-bench\nauth required pam_permit.so\naccount required pam_permit.so\nsession required pam_permit.so\n' \
  | as_root tee /etc/pam.d/ferry-bench-vsftpd >/dev/null
trap 'as_root rm -f /etc/pam.d/ferry-bench-vsftpd; as_root userdel ferry-bench >/dev/null 2>&1 || true' EXIT
as_root mkdir -p /var/run/vsftpd/empty

mvn -B -q -DskipTests package -pl app -am
mkdir -p bench/results
java bench/FtpsBench.java app/target/ferry-app.jar bench/results/ftps "$home" "${1:-3}" "${2:-1024}"
