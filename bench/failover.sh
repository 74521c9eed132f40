#!/usr/bin/env bash
# Failover benchmark: two Ferry nodes in active-passive mode on loopback, sharing a fresh database on the local
# MySQL/MariaDB (127.0.0.1:3306, root) and a storage directory; kills the primary with SIGKILL N times and measures
# how long until the other node holds the primary role and until it accepts SFTP connections. The killed node is
# restarted as a standby before the next kill. Prints every kill's figures and their distribution.
#
# Usage: bench/failover.sh [kills, default 10]
# Everything it creates lives in bench/results/failover; the database it creates is dropped when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

sql=$(command -v mariadb || command -v mysql)
schema="ferry_failover_$(date +%s)"
"$sql" --protocol=TCP -h127.0.0.1 -uroot -e "CREATE DATABASE $schema CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
trap '"$sql" --protocol=TCP -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS $schema"' EXIT

mvn -B -q -DskipTests package -pl app -am
mkdir -p bench/results
java bench/FailoverBench.java app/target/ferry-app.jar bench/results/failover "${1:-10}" \
  "jdbc:mysql://127.0.0.1:3306/$schema?useSSL=false&allowPublicKeyRetrieval=true&serverTimezone=UTC" root
