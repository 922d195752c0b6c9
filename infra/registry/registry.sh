#!/usr/bin/env bash
# A schema registry with the Confluent-compatible API, on loopback: Apicurio Registry built from
# Maven Central jars (infra/registry/pom.xml), H2 storage in a file under BF_RUN_DIR. Optional and
# separate from infra/stack.sh (not started by `stack.sh up`); why: docs/schema-registry.md.
# Configuration: the BF_REGISTRY_* block of infra/stack.env (an environment variable wins).
#
#   infra/registry/registry.sh build    build the server once (Maven; minutes on a cold cache)
#   infra/registry/registry.sh start    build if needed, start unless running, wait until the API answers
#   infra/registry/registry.sh stop     stop the registry this script started
#   infra/registry/registry.sh status   running or not, with the API URL
#   infra/registry/registry.sh env      URL, pid file, log, data folder as KEY=VALUE
#
# Exit codes: 0 ok; 1 failed (build, start, stop; the log tail is printed); 2 prerequisite missing;
# `status` only: 3 not running.
set -uo pipefail

REGISTRY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
INFRA_DIR="$(dirname "$REGISTRY_DIR")"
ROOT="$(dirname "$INFRA_DIR")"

die() { echo "registry: $*" >&2; exit "${2:-1}"; }
say() { echo "registry: $*"; }

# The configuration as infra/stack.sh resolves it (stack.env, environment overrides, relative paths).
config="$(bash "$INFRA_DIR/stack.sh" env)" || die "infra/stack.sh env failed" 2
while IFS='=' read -r key val; do
  case "$key" in BF_* | BOOTSTRAP) printf -v "$key" '%s' "$val" ;; esac
done <<<"$config"
[[ -n "${BF_REGISTRY_VERSION:-}" ]] || die "no BF_REGISTRY_* block in infra/stack.env" 2

CACHE="$BF_CACHE"  # resolved by stack.sh env
RUN="$BF_RUN/registry"
BUILD="$CACHE/apicurio-registry-$BF_REGISTRY_VERSION"
RUNNER="$BUILD/apicurio-registry-runner.jar"
PID_FILE="$RUN/registry.pid"
LOG="$RUN/registry.log"
URL="http://$BF_REGISTRY_HOST:$BF_REGISTRY_PORT/apis/ccompat/v6"
PY="$BF_PYTHON"

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

registry_pid() {
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(head -n1 "$PID_FILE" | tr -dc '0-9')"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$RUNNER" || return 1
  echo "$pid"
}

api_answers() {
  "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/subjects", timeout=3).read()' "$URL" 2>/dev/null
}

cmd_build() {
  local stamp sum mvn_log
  command -v java >/dev/null 2>&1 || die "java (17+) is not on PATH" 2
  sum="$(cat "$REGISTRY_DIR/pom.xml" "$REGISTRY_DIR"/src/main/java/borderflow/registry/*.java \
    "$REGISTRY_DIR/src/main/resources/application.properties" <(echo "$BF_REGISTRY_VERSION $BF_REGISTRY_QUARKUS_VERSION") |
    sha256sum | cut -c1-16)"
  stamp="$BUILD/.built-$sum"
  [[ -f "$stamp" && -f "$RUNNER" ]] && return 0
  command -v mvn >/dev/null 2>&1 || die "mvn (Maven 3) is needed once to build the registry" 2
  mkdir -p "$CACHE"
  mvn_log="$CACHE/mvn-registry.log"
  say "building Apicurio Registry $BF_REGISTRY_VERSION -> ${BUILD#"$ROOT"/} (Maven, Quarkus $BF_REGISTRY_QUARKUS_VERSION)"
  rm -rf "$BUILD"
  if ! mvn -B -f "$REGISTRY_DIR/pom.xml" package -DskipTests \
    -Dapicurio.version="$BF_REGISTRY_VERSION" -Dquarkus.version="$BF_REGISTRY_QUARKUS_VERSION" \
    -Dregistry.build.dir="$BUILD" >"$mvn_log" 2>&1; then
    grep -E '^\[ERROR\]' "$mvn_log" | head -n 20 >&2
    die "the registry build failed (log: $mvn_log)"
  fi
  [[ -f "$RUNNER" ]] || die "the build produced no $RUNNER (log: $mvn_log)"
  touch "$stamp"
}

cmd_start() {
  local pid t0=$SECONDS deadline
  if pid="$(registry_pid)"; then say "already running (pid $pid, $URL)"; return 0; fi
  port_open "$BF_REGISTRY_HOST" "$BF_REGISTRY_PORT" &&
    die "port $BF_REGISTRY_HOST:$BF_REGISTRY_PORT is taken by a process this script did not start"
  cmd_build
  mkdir -p "$RUN/data"
  # setsid: its own process group, so `stop` signals exactly what it started. Serial GC and C1 only:
  # quicker start and less memory on a small machine; a registry serves few, small requests.
  (cd "$RUN" && exec setsid java -Xmx"$BF_REGISTRY_HEAP" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dquarkus.http.host="$BF_REGISTRY_HOST" -Dquarkus.http.port="$BF_REGISTRY_PORT" \
    -Dquarkus.datasource.jdbc.url="jdbc:h2:file:$RUN/data/registry;DB_CLOSE_ON_EXIT=FALSE" \
    -Dquarkus.datasource.jdbc.initial-size=1 -Dquarkus.datasource.jdbc.min-size=1 \
    -Dquarkus.datasource.jdbc.max-size=8 -Dquarkus.http.access-log.enabled=false \
    -jar "$RUNNER" >"$LOG" 2>&1 </dev/null) &
  echo $! >"$PID_FILE"
  say "starting (pid $!, $URL)"
  deadline=$((SECONDS + BF_REGISTRY_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    registry_pid >/dev/null || { tail -n 40 "$LOG" >&2; die "exited while starting (log: $LOG)"; }
    if api_answers; then say "up in $((SECONDS - t0))s ($URL)"; return 0; fi
    sleep 0.5
  done
  tail -n 40 "$LOG" >&2
  cmd_stop >&2
  die "not answering within ${BF_REGISTRY_START_TIMEOUT}s (log: $LOG)"
}

cmd_stop() {
  local pid i
  pid="$(registry_pid)" || { rm -f "$PID_FILE"; say "not running"; return 0; }
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
  for ((i = 0; i < BF_STOP_TIMEOUT * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PID_FILE"; say "stopped (pid $pid)"; return 0; }
    sleep 0.2
  done
  say "did not stop within ${BF_STOP_TIMEOUT}s, killing (pid $pid)"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
  sleep 0.5
  ! kill -0 "$pid" 2>/dev/null && rm -f "$PID_FILE"
}

cmd_status() {
  local pid
  pid="$(registry_pid)" || { say "not running"; return 3; }
  if api_answers; then say "running (pid $pid, $URL)"; else say "running (pid $pid) but $URL does not answer"; return 1; fi
}

case "${1:-}" in
  build) cmd_build ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env)
    echo "REGISTRY_URL=$URL"
    echo "REGISTRY_PID_FILE=$PID_FILE"
    echo "REGISTRY_LOG=$LOG"
    echo "REGISTRY_DATA=$RUN/data"
    echo "REGISTRY_RUNNER=$RUNNER"
    ;;
  *)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
