#!/bin/sh
# One-shot set-up of a fresh Ferry cluster, run by docker/compose.yaml's bootstrap service once node-a is up (or by
# hand against any node). Through the node's REST API, as admin, it
#   - creates the operator login Prometheus scrapes with (read-only role), with a random password, written to
#       $BOOTSTRAP_DIR/prometheus/prometheus.password         (Prometheus's basic_auth password_file)
#   - registers the edge gateway and writes what the edge needs as a Spring Boot config tree (file name = property):
#       $BOOTSTRAP_DIR/edge/ferry.edge.name
#       $BOOTSTRAP_DIR/edge/ferry.edge.secret                  (shown by the node only once, at registration)
#       $BOOTSTRAP_DIR/edge/ferry.edge.backend-host-keys       (the nodes' edge-listener host key, to pin)
# Running it again keeps what exists and still works (checked against the node, so a new database gets a new
# registration). It needs sh and curl only.
set -eu

FERRY_URL=${FERRY_URL:-http://node-a:8080}
FERRY_ADMIN_USER=${FERRY_ADMIN_USER:-admin}
: "${FERRY_ADMIN_PASSWORD:?FERRY_ADMIN_PASSWORD: the admin password}"
FERRY_EDGE_NAME=${FERRY_EDGE_NAME:-edge-1}
PROMETHEUS_USER=${PROMETHEUS_USER:-prometheus}
BOOTSTRAP_DIR=${BOOTSTRAP_DIR:-/bootstrap}
WAIT_SECONDS=${WAIT_SECONDS:-300}

log() { printf 'bootstrap: %s\n' "$*" >&2; }
fail() { log "$*"; exit 1; }

body=$(mktemp)
trap 'rm -f "$body"' EXIT

# api METHOD PATH [JSON]: the answer's body in $body, its status on stdout
api() {
  if [ $# -ge 3 ]; then
    curl -sS --connect-timeout 5 --max-time 60 -o "$body" -w '%{http_code}' \
      -u "$FERRY_ADMIN_USER:$FERRY_ADMIN_PASSWORD" -X "$1" -H 'Content-Type: application/json' --data "$3" \
      "$FERRY_URL$2"
  else
    curl -sS --connect-timeout 5 --max-time 60 -o "$body" -w '%{http_code}' \
      -u "$FERRY_ADMIN_USER:$FERRY_ADMIN_PASSWORD" -X "$1" "$FERRY_URL$2"
  fi
}

# a JSON string field of the answer (the node's answers are compact, one object)
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "$body"; }

# write NAME CONTENT MODE: atomically, no trailing newline (config tree values are taken as they are)
write() {
  rm -f "$1.tmp"
  printf '%s' "$2" > "$1.tmp"
  chmod "$3" "$1.tmp"
  mv "$1.tmp" "$1"
}

# alive and answering the API is enough: in active-passive mode this node may be the standby, never "ready"
log "waiting for $FERRY_URL"
waited=0
until curl -fsS --connect-timeout 5 --max-time 10 -o /dev/null "$FERRY_URL/actuator/health/liveness"; do
  waited=$((waited + 2))
  [ "$waited" -lt "$WAIT_SECONDS" ] || fail "$FERRY_URL did not answer within ${WAIT_SECONDS}s"
  sleep 2
done

status=$(api GET /api/v1/cluster)
[ "$status" = 200 ] || fail "the node refused the admin login ($status): is FERRY_ADMIN_PASSWORD the admin's password?"

mkdir -p "$BOOTSTRAP_DIR/prometheus" "$BOOTSTRAP_DIR/edge"

password_file="$BOOTSTRAP_DIR/prometheus/prometheus.password"
# kept only if the node still takes it (a new database has forgotten the login)
if [ -s "$password_file" ] && [ "$(curl -sS --connect-timeout 5 --max-time 30 -o /dev/null -w '%{http_code}' \
    -u "$PROMETHEUS_USER:$(cat "$password_file")" "$FERRY_URL/api/v1/cluster")" = 200 ]; then
  log "Prometheus's login '$PROMETHEUS_USER' works: kept"
else
  password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')
  status=$(api POST /api/v1/admin-users \
    "{\"username\":\"$PROMETHEUS_USER\",\"password\":\"$password\",\"role\":\"operator\"}")
  if [ "$status" = 409 ]; then
    # the login exists but its password file is gone (a new volume): give it a new password
    status=$(api PATCH "/api/v1/admin-users/$PROMETHEUS_USER" "{\"password\":\"$password\"}")
  fi
  case "$status" in
    200|201) write "$password_file" "$password" 0444; log "Prometheus's login '$PROMETHEUS_USER' (operator) set" ;;
    *) fail "creating the login '$PROMETHEUS_USER' failed ($status): $(cat "$body")" ;;
  esac
fi

registered=""
if [ -s "$BOOTSTRAP_DIR/edge/ferry.edge.secret" ]; then
  status=$(api GET /api/v1/edges)
  [ "$status" = 200 ] || fail "listing the edges failed ($status): $(cat "$body")"
  # the node's list: is this edge there and active? (a new database has forgotten it)
  if tr '}' '\n' < "$body" | grep "\"name\":\"$FERRY_EDGE_NAME\"" | grep -q '"status":"active"'; then
    registered=yes
  else
    log "the node does not know an active edge '$FERRY_EDGE_NAME' (a new database?): registering it again"
    rm -f "$BOOTSTRAP_DIR/edge/ferry.edge.secret"
  fi
fi
if [ -n "$registered" ]; then
  log "edge '$FERRY_EDGE_NAME' registered before: kept"
else
  status=$(api POST /api/v1/edges "{\"name\":\"$FERRY_EDGE_NAME\"}")
  case "$status" in
    201) ;;
    409) fail "an edge '$FERRY_EDGE_NAME' is registered already, but its secret is not in $BOOTSTRAP_DIR/edge (it is" \
        "shown only once): revoke it (DELETE /api/v1/edges/$FERRY_EDGE_NAME) and set FERRY_EDGE_NAME to a new name" ;;
    *) fail "registering the edge '$FERRY_EDGE_NAME' failed ($status): $(cat "$body")" ;;
  esac
  secret=$(field secret)
  host_keys=$(grep -o '"SHA256:[^"]*"' "$body" | tr -d '"' | paste -sd, -)
  [ -n "$secret" ] && [ -n "$host_keys" ] || fail "the registration's answer has no secret or host key: $(cat "$body")"
  write "$BOOTSTRAP_DIR/edge/ferry.edge.name" "$FERRY_EDGE_NAME" 0400
  write "$BOOTSTRAP_DIR/edge/ferry.edge.backend-host-keys" "$host_keys" 0400
  write "$BOOTSTRAP_DIR/edge/ferry.edge.secret" "$secret" 0400
  log "edge '$FERRY_EDGE_NAME' registered; it pins $host_keys"
fi
