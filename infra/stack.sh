#!/usr/bin/env bash
# The local stack for borderflow: one Apache Kafka broker (KRaft, combined broker+controller) and a
# standalone Flink session cluster (JobManager + BF_FLINK_TASKMANAGERS TaskManagers) from the apache-flink wheel, on
# loopback. Configuration: infra/stack.env. Everything it writes lives under BF_CACHE_DIR/BF_RUN_DIR.
#
#   infra/stack.sh up        fetch jars (first time, Maven), start what is not running, create topics
#   infra/stack.sh down [kafka|jobmanager|taskmanager ...]   stop everything this script started, then
#                 check the ports are free; or only the components named (no port check)
#   infra/stack.sh status    what runs: processes, broker + topics, Flink REST /overview and jobs
#   infra/stack.sh logs [N]  the last N (40) lines of each Kafka and Flink log
#   infra/stack.sh env       the resolved configuration as KEY=VALUE lines (for scripts and tests)
#   infra/stack.sh flink ARGS...   the wheel's `flink` CLI against this cluster (e.g. flink run -py job.py)
#   infra/stack.sh fetch     only fetch the jars
#   infra/stack.sh clean     down, then delete BF_RUN_DIR (topics, checkpoints, logs); jars stay
#   infra/stack.sh kafka stop|kill|start   only the broker: stop it (TERM, KILL after BF_STOP_TIMEOUT),
#                 kill -9 it, or start it again and wait until it answers (fault-injection tests)
#   infra/stack.sh taskmanagers restart   fresh TaskManagers (after new job code: in thread mode a
#                 TaskManager's embedded Python keeps the modules it imported for earlier jobs)
#
# Exit codes: 0 ok; 1 failed (a component did not start/stop, a port is taken, unhealthy);
# 2 usage error or missing prerequisite; `status` only: 3 nothing is running (1 = partly/unhealthy).
set -uo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(dirname "$INFRA_DIR")"
ENV_FILE="${BF_STACK_ENV:-$INFRA_DIR/stack.env}"

die() { echo "stack: $1" >&2; exit "${2:-1}"; }
say() { echo "$*"; }

# --- configuration: KEY=VALUE lines; a variable already set in the environment wins ---------------
load_config() {
  [[ -f "$ENV_FILE" ]] || die "no configuration file $ENV_FILE" 2
  local line key val
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line%%#*}"
    [[ "$line" =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key="${BASH_REMATCH[1]}"
    val="${BASH_REMATCH[2]}"
    val="${val#"${val%%[![:space:]]*}"}"
    val="${val%"${val##*[![:space:]]}"}"
    [[ -n "${!key+x}" ]] || printf -v "$key" '%s' "$val"
    export "${key?}"
    CONFIG_KEYS+=("$key")
  done <"$ENV_FILE"
}
CONFIG_KEYS=()
load_config

abspath() { if [[ "$1" == /* ]]; then echo "$1"; else echo "$ROOT/$1"; fi; }

VENV="$(abspath "$BF_VENV")"
PY="$VENV/bin/python"
CACHE="$(abspath "$BF_CACHE_DIR")"
RUN="$(abspath "$BF_RUN_DIR")"
PIDS="$RUN/pids"
KAFKA_JARS="$CACHE/kafka-$BF_KAFKA_VERSION/jars"
CONNECTOR_JARS="$CACHE/flink-sql-connector-kafka-$BF_FLINK_KAFKA_CONNECTOR_VERSION"
KAFKA_RUN="$RUN/kafka"
FLINK_RUN="$RUN/flink"
BOOTSTRAP="$BF_KAFKA_HOST:$BF_KAFKA_PORT"
REST_URL="http://$BF_FLINK_HOST:$BF_FLINK_REST_PORT"
KAFKA_PID="$PIDS/kafka.pid"
FLINK_IDENT=borderflow
JM_PID="$PIDS/flink-$FLINK_IDENT-standalonesession.pid"
TM_PID="$PIDS/flink-$FLINK_IDENT-taskexecutor.pid"
export BOOTSTRAP REST_URL

# --- processes -------------------------------------------------------------------------------------
# pid_of PIDFILE PATTERN: the pid in the file if that process is alive and its command line matches.
pid_of() {
  local pid
  [[ -f "$1" ]] || return 1
  pid="$(head -n1 "$1" | tr -dc '0-9')"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2" || return 1
  echo "$pid"
}
kafka_pid() { pid_of "$KAFKA_PID" "kafka.Kafka"; }
jm_pid() { pid_of "$JM_PID" "StandaloneSessionClusterEntrypoint"; }
# tm_pids: every live TaskManager of the pid file (flink-daemon.sh appends one line per instance).
tm_pids() {
  local pid found=1
  [[ -f "$TM_PID" ]] || return 1
  while read -r pid; do
    pid="$(tr -dc '0-9' <<<"$pid")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || continue
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "TaskManagerRunner" || continue
    echo "$pid"
    found=0
  done <"$TM_PID"
  return $found
}
tm_pid() { local p; p="$(tm_pids)" || return 1; head -n1 <<<"$p"; }
flink_pids() { jm_pid && tm_pid; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# stop_pid NAME PID: TERM the process group the script created for it (or the pid), wait, then KILL.
stop_pid() {
  local name="$1" pid="$2" pgid target i
  pgid="$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')"
  # setsid gave each component its own group; never signal our own group.
  if [[ -n "$pgid" && "$pgid" != "$(ps -o pgid= -p $$ | tr -d ' ')" ]]; then target="-$pgid"; else target="$pid"; fi
  kill -TERM -- "$target" 2>/dev/null
  for ((i = 0; i < BF_STOP_TIMEOUT * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || { say "$name: stopped (pid $pid)"; return 0; }
    sleep 0.2
  done
  say "$name: did not stop within ${BF_STOP_TIMEOUT}s, killing (pid $pid)"
  kill -KILL -- "$target" 2>/dev/null
  sleep 0.5
  ! kill -0 "$pid" 2>/dev/null
}

# --- prerequisites and jars ------------------------------------------------------------------------
check_python() {
  [[ -x "$PY" ]] || die "no Python venv at $VENV (run \`make setup\` first)" 2
  PYFLINK_HOME="$("$PY" -c 'import importlib.util as u; print(u.find_spec("pyflink").submodule_search_locations[0])' 2>/dev/null)" \
    || die "pyflink is not installed in $VENV (run \`make setup\`)" 2
  SITE_PACKAGES="$(dirname "$PYFLINK_HOME")"
  "$PY" -c 'import confluent_kafka' 2>/dev/null || die "confluent-kafka is not installed in $VENV (run \`make setup\`)" 2
  [[ -f "$PYFLINK_HOME/lib/flink-dist-$BF_FLINK_VERSION.jar" ]] ||
    die "the apache-flink wheel in $VENV is not Flink $BF_FLINK_VERSION (no lib/flink-dist-$BF_FLINK_VERSION.jar)" 2
}

check_java() { command -v java >/dev/null 2>&1 || die "java (17+) is not on PATH" 2; }

# mvn_copy POM OUTDIR -Dprop=value...: copy the pom's runtime dependencies into OUTDIR, once.
mvn_copy() {
  local pom="$1" out="$2" stamp sum log
  log="$CACHE/mvn-$(basename "$(dirname "$pom")").log"
  shift 2
  sum="$(cat "$pom" <(printf '%s\n' "$@") | sha256sum | cut -c1-16)"
  stamp="$out/.fetched-$sum"
  [[ -f "$stamp" ]] && return 0
  command -v mvn >/dev/null 2>&1 || die "mvn (Maven 3) is needed once to fetch jars from Maven Central" 2
  say "fetch: $(basename "$(dirname "$pom")") jars -> ${out#"$ROOT"/} (Maven)"
  rm -rf "$out.tmp"
  if ! mvn -B -q -f "$pom" "$@" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$out.tmp" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "Maven could not fetch the jars for $pom (log: $log)"
  fi
  rm -rf "$out" && mv "$out.tmp" "$out" && touch "$out/.fetched-$sum"
}

fetch_jars() {
  mkdir -p "$CACHE"
  mvn_copy "$INFRA_DIR/kafka/pom.xml" "$KAFKA_JARS" -Dkafka.version="$BF_KAFKA_VERSION"
  mvn_copy "$INFRA_DIR/flink/pom.xml" "$CONNECTOR_JARS" -Dkafka.version="$BF_KAFKA_VERSION" \
    -Dflink.kafka.connector.version="$BF_FLINK_KAFKA_CONNECTOR_VERSION"
}

# --- Kafka -----------------------------------------------------------------------------------------
write_kafka_config() {
  mkdir -p "$KAFKA_RUN/data" "$KAFKA_RUN/logs"
  {
    cat <<EOF
# generated by infra/stack.sh from infra/stack.env: edit stack.env, not this file
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$BF_KAFKA_HOST:$BF_KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$BF_KAFKA_HOST:$BF_KAFKA_PORT,CONTROLLER://$BF_KAFKA_HOST:$BF_KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$BF_KAFKA_HOST:$BF_KAFKA_PORT,CONTROLLER://$BF_KAFKA_HOST:$BF_KAFKA_CONTROLLER_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
EOF
    kafka_node_properties "$KAFKA_RUN/data"
  } >"$KAFKA_RUN/server.properties"
  kafka_log4j "$KAFKA_RUN/logs" >"$KAFKA_RUN/log4j2.properties"
}

# kafka_node_properties DATA_DIR: the server.properties lines after the listeners, shared by every
# one-node broker here (this stack's and infra/kafka/tls-broker.sh's): storage, one replica of
# everything, transactions, retention.
kafka_node_properties() {
  cat <<EOF
log.dirs=$1
num.partitions=1
auto.create.topics.enable=false
# one node: every internal topic with one replica, and small ones (fast first start)
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
default.replication.factor=1
group.initial.rebalance.delay.ms=0
# Flink's KafkaSink (EXACTLY_ONCE) uses transaction.timeout.ms=1h by default: allow it
transaction.max.timeout.ms=3600000
# Keep everything: replays publish historical traffic whose record timestamps (event times) are
# older than any time-based retention would allow.
log.retention.ms=-1
log.segment.bytes=104857600
# Simulated traffic can be dated after today: Kafka 4 refuses record timestamps more than 1 h
# ahead of the broker's clock by default (the producer sets the timestamp to the event time).
log.message.timestamp.after.max.ms=9223372036854775807
EOF
}

# kafka_log4j LOG_DIR: a broker's log4j2.properties, its log in LOG_DIR/server.log.
kafka_log4j() {
  cat <<EOF
status = warn
appender.server.type = File
appender.server.name = server
appender.server.fileName = $1/server.log
appender.server.layout.type = PatternLayout
appender.server.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.server.ref = server
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
EOF
}

kafka_java=(java -Xms128m -Xmx"$BF_KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  -Dkafka.logs.dir="$KAFKA_RUN/logs" -Dlog4j2.configurationFile="file:$KAFKA_RUN/log4j2.properties"
  -cp "$KAFKA_JARS/*")

start_kafka() {
  local pid cid
  if pid="$(kafka_pid)"; then say "kafka: already running (pid $pid, $BOOTSTRAP)"; return 0; fi
  for port in "$BF_KAFKA_PORT" "$BF_KAFKA_CONTROLLER_PORT"; do
    if port_open "$BF_KAFKA_HOST" "$port"; then
      echo "stack: kafka: port $BF_KAFKA_HOST:$port is taken by a process this script did not start" >&2
      return 1
    fi
  done
  write_kafka_config
  if [[ ! -f "$KAFKA_RUN/data/meta.properties" ]]; then
    cid="$("$PY" -c 'import base64, uuid; print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')"
    "${kafka_java[@]}" kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_RUN/server.properties" --standalone \
      >"$KAFKA_RUN/logs/format.out" 2>&1 || {
      cat "$KAFKA_RUN/logs/format.out" >&2
      echo "stack: kafka: formatting storage failed" >&2
      return 1
    }
    say "kafka: formatted storage (cluster id $cid)"
  fi
  mkdir -p "$PIDS"
  # setsid: its own session and process group, so `down` can signal exactly what it started
  (cd "$KAFKA_RUN" && exec setsid "${kafka_java[@]}" kafka.Kafka "$KAFKA_RUN/server.properties" \
    >"$KAFKA_RUN/logs/kafka.out" 2>&1 </dev/null 9>&-) &
  echo $! >"$KAFKA_PID"
  STARTED+=(kafka)
  say "kafka: starting (pid $!, $BOOTSTRAP)"
}

# --- Flink -----------------------------------------------------------------------------------------
flink_env() {
  export FLINK_CONF_DIR="$FLINK_RUN/conf" FLINK_LIB_DIR="$FLINK_RUN/lib" FLINK_LOG_DIR="$FLINK_RUN/log"
  export FLINK_PID_DIR="$PIDS" FLINK_IDENT_STRING="$FLINK_IDENT"
  # Thread mode runs Python inside the TaskManager JVM (pemja): the embedded interpreter sees the venv
  # and the project only through PYTHONPATH in the TaskManager's environment.
  export PYTHONPATH="$ROOT:$SITE_PACKAGES"
  export PATH="$VENV/bin:$PATH" PYFLINK_CLIENT_EXECUTABLE="$PY"
}

write_flink_config() {
  mkdir -p "$FLINK_RUN"/{conf,log,tmp,checkpoints,savepoints,web-upload}
  rm -rf "${FLINK_RUN:?}/lib" && mkdir -p "$FLINK_RUN/lib"
  # flink-python goes in lib/ too: loaded once by the TaskManager's own class loader, pemja loads
  # libpython once. Shipped per job instead, every job after the first fails on Java 17 in thread
  # mode (pemja: NoSuchFieldException loadedLibraryNames).
  ln -s "$PYFLINK_HOME"/lib/*.jar "$PYFLINK_HOME"/opt/flink-python-*.jar "$CONNECTOR_JARS"/*.jar "$FLINK_RUN/lib/"
  cp "$PYFLINK_HOME"/conf/log4j*.properties "$PYFLINK_HOME"/conf/logback*.xml "$FLINK_RUN/conf/"
  local java_opts
  java_opts="$(grep -E '^ +all: ' "$PYFLINK_HOME/conf/config.yaml" | head -n1 | sed -E 's/^ +all: //')"
  cat >"$FLINK_RUN/conf/config.yaml" <<EOF
# generated by infra/stack.sh from infra/stack.env: edit stack.env, not this file (Flink 2.x config.yaml)
env.java.opts.all: "$java_opts"
jobmanager.rpc.address: $BF_FLINK_HOST
jobmanager.rpc.port: $BF_FLINK_RPC_PORT
jobmanager.bind-host: $BF_FLINK_HOST
jobmanager.memory.process.size: $BF_FLINK_JM_MEMORY
jobmanager.execution.failover-strategy: region
taskmanager.host: $BF_FLINK_HOST
taskmanager.bind-host: $BF_FLINK_HOST
taskmanager.numberOfTaskSlots: $BF_FLINK_TASK_SLOTS
taskmanager.memory.process.size: $BF_FLINK_TM_MEMORY
parallelism.default: $BF_FLINK_PARALLELISM
rest.address: $BF_FLINK_HOST
rest.bind-address: $BF_FLINK_HOST
rest.port: $BF_FLINK_REST_PORT
state.backend.type: $BF_FLINK_STATE_BACKEND
state.backend.rocksdb.timer-service.factory: ${BF_FLINK_TIMER_SERVICE:-ROCKSDB}
execution.checkpointing.incremental: true
execution.checkpointing.dir: file://$FLINK_RUN/checkpoints
execution.checkpointing.savepoint-dir: file://$FLINK_RUN/savepoints
# One machine: notice a lost TaskManager in seconds, not the default 50 s.
heartbeat.interval: 2000
heartbeat.timeout: 10000
io.tmp.dirs: $FLINK_RUN/tmp
web.tmpdir: $FLINK_RUN/tmp
web.upload.dir: $FLINK_RUN/web-upload
python.execution-mode: $BF_FLINK_PYTHON_MODE
python.executable: $PY
python.client.executable: $PY
# Metrics for Prometheus. The reporter jar is the wheel's plugins/metrics-prometheus (Flink 2.2.1's own);
# a second copy in lib/ makes Flink warn "Multiple implementations of the same MetricReporterFactory".
metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory
metrics.reporter.prom.port: $BF_FLINK_PROMETHEUS_PORTS
EOF
}

# flink_daemon jobmanager|taskmanager: the wheel's bin/<name>.sh start (flink-daemon.sh writes the pid
# file); in its own session, from the run folder (the TaskManager's cwd would otherwise be on sys.path).
flink_daemon() {
  (cd "$FLINK_RUN" && setsid "$PYFLINK_HOME/bin/$1.sh" start >"$FLINK_RUN/log/start-$1.out" 2>&1 </dev/null 9>&-)
}

start_flink() {
  local jm tms running port jm_job tm_job rc=0 i
  jm="$(jm_pid)" && say "flink: JobManager already running (pid $jm, $REST_URL)"
  tms="$(tm_pids)" && say "flink: TaskManager(s) already running (pid $(echo $tms))"
  running=$(grep -c . <<<"$tms")
  [[ -n "$jm" ]] && ((running >= BF_FLINK_TASKMANAGERS)) && return 0
  if [[ -z "$jm" && -z "$tms" ]]; then
    for port in "$BF_FLINK_REST_PORT" "$BF_FLINK_RPC_PORT"; do
      if port_open "$BF_FLINK_HOST" "$port"; then
        echo "stack: flink: port $BF_FLINK_HOST:$port is taken by a process this script did not start" >&2
        return 1
      fi
    done
    write_flink_config
  fi
  flink_env
  mkdir -p "$PIDS"
  # the scripts spend seconds each in config-parsing JVMs: the JobManager's and the first
  # TaskManager's side by side; further TaskManagers one by one (each appends to the pid file)
  [[ -n "$jm" ]] || { rm -f "$JM_PID"; flink_daemon jobmanager & jm_job=$!; }
  if ((running < BF_FLINK_TASKMANAGERS)); then
    ((running > 0)) || rm -f "$TM_PID"
    flink_daemon taskmanager & tm_job=$!
  fi
  if [[ -z "$jm" ]]; then
    STARTED+=(jobmanager)
    if wait "$jm_job"; then say "flink: JobManager starting (pid $(head -n1 "$JM_PID" 2>/dev/null), $REST_URL)"
    else echo "stack: flink: jobmanager.sh start failed: $(cat "$FLINK_RUN/log/start-jobmanager.out")" >&2; rc=1; fi
  fi
  if ((running < BF_FLINK_TASKMANAGERS)); then
    STARTED+=(taskmanager)
    wait "$tm_job" || rc=1
    for ((i = running + 1; i < BF_FLINK_TASKMANAGERS && rc == 0; i++)); do flink_daemon taskmanager || rc=1; done
    if ((rc == 0)); then say "flink: $BF_FLINK_TASKMANAGERS TaskManager(s) starting (pid $(tr '\n' ' ' <"$TM_PID"| sed 's/ $//'), $BF_FLINK_TASK_SLOTS slots each)"
    else echo "stack: flink: taskmanager.sh start failed: $(cat "$FLINK_RUN/log/start-taskmanager.out")" >&2; fi
  fi
  return $rc
}

# --- commands --------------------------------------------------------------------------------------
# wait_until NAME SECONDS PIDFN CHECK...: poll CHECK until it succeeds, the process dies or time is up.
wait_until() {
  local name="$1" secs="$2" pidfn="$3" deadline
  shift 3
  deadline=$((SECONDS + secs))
  while ((SECONDS < deadline)); do
    "$pidfn" >/dev/null || { echo "stack: $name exited while starting" >&2; return 1; }
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "stack: $name not ready within ${secs}s" >&2
  return 1
}

cmd_logs() {
  local n="${1:-40}" f
  for f in "$KAFKA_RUN/logs/server.log" "$KAFKA_RUN/logs/kafka.out" "$FLINK_RUN"/log/*.log "$FLINK_RUN"/log/*.out; do
    [[ -s "$f" ]] || continue
    echo "===== ${f#"$ROOT"/} (last $n lines)"
    tail -n "$n" "$f"
  done
}

cmd_up() {
  local t0=$SECONDS rc=0
  STARTED=()
  check_java
  check_python
  fetch_jars
  start_kafka || rc=1
  ((rc == 0)) && { start_flink || rc=1; }
  ((rc == 0)) && wait_until kafka "$BF_START_TIMEOUT" kafka_pid port_open "$BF_KAFKA_HOST" "$BF_KAFKA_PORT" &&
    "$PY" "$INFRA_DIR/stackctl.py" wait-kafka "$BF_START_TIMEOUT" &&
    "$PY" "$INFRA_DIR/stackctl.py" create-topics || rc=1
  if ((rc == 0)); then
    wait_until flink "$BF_START_TIMEOUT" flink_pids "$PY" "$INFRA_DIR/stackctl.py" wait-flink 1 || rc=1
  fi
  if ((rc != 0)); then
    cmd_logs 30 >&2
    if ((${#STARTED[@]})); then
      echo "stack: up failed; stopping what this run started (${STARTED[*]})" >&2
      cmd_down "${STARTED[@]}" >&2
    fi
    return 1
  fi
  say "stack: up in $((SECONDS - t0))s — Kafka $BOOTSTRAP, Flink $REST_URL"
}

# cmd_down [COMPONENT...]: stop the given components (kafka, jobmanager, taskmanager; default all).
cmd_down() {
  local pid rc=0 name port i busy=() which=("$@")
  declare -A pids=()
  ((${#which[@]})) || which=(taskmanager jobmanager kafka)
  for name in "${which[@]}"; do
    case "$name" in
      kafka) pid="$(kafka_pid)" && pids[kafka]=$pid; rm -f "$KAFKA_PID" ;;
      jobmanager) pid="$(jm_pid)" && pids[flink-jobmanager]=$pid; rm -f "$JM_PID" ;;
      taskmanager)
        i=0
        for pid in $(tm_pids); do i=$((i + 1)); pids[flink-taskmanager-$i]=$pid; done
        rm -f "$TM_PID" ;;
    esac
  done
  ((${#pids[@]})) || say "stack: nothing running"
  local stoppers=()
  for name in "${!pids[@]}"; do
    stop_pid "$name" "${pids[$name]}" &
    stoppers+=($!)
  done
  ((${#stoppers[@]} == 0)) || wait "${stoppers[@]}"
  for name in "${!pids[@]}"; do
    kill -0 "${pids[$name]}" 2>/dev/null && { echo "stack: $name (pid ${pids[$name]}) is still running" >&2; rc=1; }
  done
  (($# == 0)) || return $rc
  # a full `down` also proves the ports are free (a socket in TIME_WAIT does not accept connections)
  for ((i = 0; i < 20; i++)); do
    busy=()
    for port in "$BF_KAFKA_HOST:$BF_KAFKA_PORT" "$BF_KAFKA_HOST:$BF_KAFKA_CONTROLLER_PORT" \
      "$BF_FLINK_HOST:$BF_FLINK_REST_PORT" "$BF_FLINK_HOST:$BF_FLINK_RPC_PORT"; do
      port_open "${port%:*}" "${port##*:}" && busy+=("$port")
    done
    ((${#busy[@]} == 0)) && break
    sleep 0.25
  done
  if ((${#busy[@]})); then
    echo "stack: ports still in use after down: ${busy[*]} (not by a process this script started)" >&2
    rc=1
  fi
  return $rc
}

cmd_status() {
  local pid up=0 down=0 rc=0
  check_python
  if pid="$(kafka_pid)"; then say "kafka: running (pid $pid)"; up=$((up + 1)); else say "kafka: not running"; down=$((down + 1)); fi
  if pid="$(jm_pid)"; then say "flink JobManager: running (pid $pid)"; up=$((up + 1)); else say "flink JobManager: not running"; down=$((down + 1)); fi
  if pid="$(tm_pids)"; then
    say "flink TaskManager: $(grep -c . <<<"$pid") of $BF_FLINK_TASKMANAGERS running (pid $(echo $pid))"; up=$((up + 1))
    (($(grep -c . <<<"$pid") >= BF_FLINK_TASKMANAGERS)) || down=$((down + 1))
  else say "flink TaskManager: not running"; down=$((down + 1)); fi
  ((up == 0)) && return 3
  "$PY" "$INFRA_DIR/stackctl.py" kafka-status || rc=1
  "$PY" "$INFRA_DIR/stackctl.py" flink-status || rc=1
  ((down > 0)) && rc=1
  return $rc
}

cmd_env() {
  local key
  for key in "${CONFIG_KEYS[@]}"; do echo "$key=${!key}"; done
  check_python
  flink_env
  echo "BF_ROOT=$ROOT"
  echo "BF_PYTHON=$PY"
  echo "BF_RUN=$RUN"
  echo "BF_CACHE=$CACHE"
  echo "BOOTSTRAP=$BOOTSTRAP"
  echo "REST_URL=$REST_URL"
  echo "FLINK_HOME=$PYFLINK_HOME"
  echo "FLINK_BIN=$PYFLINK_HOME/bin/flink"
  echo "FLINK_CONF_DIR=$FLINK_CONF_DIR"
  echo "FLINK_LIB_DIR=$FLINK_LIB_DIR"
  echo "FLINK_LOG_DIR=$FLINK_LOG_DIR"
  echo "CONNECTOR_JARS=$(find "$CONNECTOR_JARS" -maxdepth 1 -name '*.jar' 2>/dev/null | sort | paste -sd:)"
  echo "PYTHONPATH=$PYTHONPATH"
}

# cmd_kafka stop|kill|start: the broker alone, for fault injection (the rest of the stack keeps running).
# stop: TERM its process group (a clean shutdown), KILL after BF_STOP_TIMEOUT; kill: KILL at once (a
# crash); start: start it on its existing storage and wait until it answers metadata requests.
cmd_kafka() {
  local pid pgid i
  case "${1:-}" in
    stop) cmd_down kafka ;;
    kill)
      pid="$(kafka_pid)" || { say "kafka: not running"; return 0; }
      pgid="$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')"
      if [[ -n "$pgid" && "$pgid" != "$(ps -o pgid= -p $$ | tr -d ' ')" ]]; then kill -KILL -- "-$pgid"; else kill -KILL "$pid"; fi
      for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && { echo "stack: kafka (pid $pid) survived kill -9" >&2; return 1; }
      rm -f "$KAFKA_PID"
      say "kafka: killed (pid $pid)"
      ;;
    start)
      STARTED=()
      check_java
      check_python
      start_kafka || return 1
      wait_until kafka "$BF_START_TIMEOUT" kafka_pid port_open "$BF_KAFKA_HOST" "$BF_KAFKA_PORT" &&
        "$PY" "$INFRA_DIR/stackctl.py" wait-kafka "$BF_START_TIMEOUT" || { cmd_logs 30 >&2; return 1; }
      say "kafka: up ($BOOTSTRAP)"
      ;;
    *) die "usage: infra/stack.sh kafka stop|kill|start" 2 ;;
  esac
}

# cmd_taskmanagers restart: stop every TaskManager, start BF_FLINK_TASKMANAGERS fresh ones, wait for
# their slots. Running jobs fail over (stop them with a savepoint first when upgrading).
cmd_taskmanagers() {
  [[ "${1:-}" == restart ]] || die "usage: infra/stack.sh taskmanagers restart" 2
  STARTED=()
  check_java
  check_python
  jm_pid >/dev/null || die "flink: the JobManager is not running (infra/stack.sh up)"
  cmd_down taskmanager || return 1
  start_flink || return 1
  wait_until flink "$BF_START_TIMEOUT" flink_pids "$PY" "$INFRA_DIR/stackctl.py" wait-flink 1 || { cmd_logs 30 >&2; return 1; }
  say "flink: $BF_FLINK_TASKMANAGERS fresh TaskManager(s) registered"
}

# one up/down/clean at a time (two concurrent `up`s must not start two brokers); the daemons are
# started with fd 9 closed, so the lock ends with this script
lock() {
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.stack.lock"
  flock -w 300 9 || die "another infra/stack.sh up/down is still running (lock $CACHE/.stack.lock)"
}

main() {
  local cmd="${1:-}"
  shift || true
  case "$cmd ${1:-}" in "up "* | "down "* | "clean "* | "kafka start" | "taskmanagers restart") lock ;; esac
  case "$cmd" in
    up) cmd_up ;;
    down)
      local name
      for name in "$@"; do
        case "$name" in kafka | jobmanager | taskmanager) ;;
          *) die "down: unknown component '$name' (kafka, jobmanager, taskmanager; none: all)" 2 ;;
        esac
      done
      cmd_down "$@"
      ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    env) cmd_env ;;
    fetch) check_java; fetch_jars ;;
    flink)
      check_python
      [[ -f "$FLINK_RUN/conf/config.yaml" ]] || die "no Flink configuration yet: run \`infra/stack.sh up\` first" 2
      flink_env
      exec "$PYFLINK_HOME/bin/flink" "$@"
      ;;
    kafka) cmd_kafka "$@" ;;
    taskmanagers) cmd_taskmanagers "$@" ;;
    clean)
      cmd_down || exit 1
      [[ "$RUN" != / && "$RUN" != "$ROOT" && "$RUN" != "$HOME" ]] || die "refusing to delete BF_RUN_DIR=$RUN" 2
      rm -rf "${RUN:?}" && say "stack: removed ${RUN#"$ROOT"/}"
      ;;
    *)
      sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
      exit 2
      ;;
  esac
}

# Run as a script: the command. Sourced (infra/kafka/tls-broker.sh): only the configuration and the
# functions above, no command.
[[ "${BASH_SOURCE[0]}" != "$0" ]] || main "$@"
