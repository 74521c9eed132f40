#!/usr/bin/env bash
# Work-queue benchmark: two Ferry nodes (active-active) on loopback, sharing a fresh database on the local
# MySQL/MariaDB (127.0.0.1:3306, root) and a storage directory. A route sends every file uploaded into one account's
# /in folder to a partner (the first node's own SFTP listener, another account). N small files are uploaded in one
# SFTP session; the bench measures how fast the cluster delivers them, and checks each arrived exactly once.
#
# Usage: bench/workqueue.sh [files, default 1000] [KiB each, default 4] [kill|backlog|-] [ferry|openssh]
# With "kill", the second node is killed with SIGKILL while it delivers and restarted 5 s later: every file must
# still arrive exactly once. With "backlog", the files are uploaded first where no route watches, and one run of a
# push schedule queues them all at once: the rate is the queue's own, not the upload's. The partner is the first
# node's own SFTP listener (ferry, default) or a reference OpenSSH sshd of the bench's own on a loopback port
# (openssh; openssh-server is installed if missing, the system sshd is never started or touched).
# FERRY_BENCH_WARMUPS=n runs n unmeasured warm-up pushes before the backlog (default 1).
# FERRY_BENCH_JVM_OPTS adds options to the nodes' JVMs (a profiler agent, say; %n in it is the node's number).
# Everything it creates lives in bench/results/workqueue; the database it creates is dropped when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

sql=$(command -v mariadb || command -v mysql)
schema="ferry_workqueue_$(date +%s)"
"$sql" --protocol=TCP -h127.0.0.1 -uroot -e "CREATE DATABASE $schema CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
trap '"$sql" --protocol=TCP -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS $schema"' EXIT

if [ "${4:-ferry}" = openssh ] && { [ ! -x /usr/sbin/sshd ] || [ ! -x /usr/lib/openssh/sftp-server ]; }; then
  install_packages openssh-server openssh-sftp-server
fi

mvn -B -q -DskipTests package -pl app -am
mkdir -p bench/results
java bench/WorkQueueBench.java app/target/ferry-app.jar bench/results/workqueue "${1:-1000}" "${2:-4}" \
  "jdbc:mysql://127.0.0.1:3306/$schema?useSSL=false&allowPublicKeyRetrieval=true&serverTimezone=UTC${FERRY_BENCH_JDBC_EXTRA:-}" root "${3:--}" \
  "${4:-ferry}"
