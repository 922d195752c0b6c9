#!/usr/bin/env bash
# A throwaway Kafka broker with TLS and SASL, on loopback, to try the clients' BF_KAFKA_* security
# settings (jobs/kafka_security.py) against a real broker. One KRaft node (broker + controller) from the
# same Maven Central jars as infra/stack.sh, with an SSL listener and a SASL_SSL (SCRAM-SHA-512) listener
# and no PLAINTEXT one, on its own ports and run folder: the default stack is never touched.
# Configuration: the BF_TLS_* block of infra/stack.env (an environment variable wins).
#
#   infra/kafka/tls-broker.sh start    fetch the jars if missing; generate a CA, a broker certificate and the
#                                      client password; start the broker; create the SCRAM user and BF_TOPICS
#   infra/kafka/tls-broker.sh stop     stop the broker this script started; delete its keys, passwords, data
#   infra/kafka/tls-broker.sh status   running and answering over TLS, or not
#   infra/kafka/tls-broker.sh env [ssl|sasl_ssl]   KEY=VALUE lines: without an argument the paths and ports;
#                                      with one, BOOTSTRAP and the BF_KAFKA_* client settings for that listener
#   infra/kafka/tls-broker.sh logs [N] the last N (40) lines of the broker log
#
# Secrets (CA and broker keys, keystore password, SCRAM password) exist only in BF_TLS_RUN_DIR/secrets
# (git-ignored, mode 700) while the broker runs; the CA's key is deleted once the broker certificate is
# signed. Exit codes: 0 ok; 1 failed (the log tail is printed); 2 prerequisite missing or usage;
# `status` only: 3 not running.
set -uo pipefail

KAFKA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

# infra/stack.sh, sourced: its configuration (stack.env; an environment variable wins), ROOT, INFRA_DIR,
# PY, KAFKA_JARS and its helpers (pid_of, stop_pid, port_open, abspath, check_*, fetch_jars, and the
# broker settings kafka_node_properties and kafka_log4j); none of its commands runs.
# shellcheck source=../stack.sh
source "$(dirname "$KAFKA_DIR")/stack.sh" || exit 2
die() { echo "tls-broker: $*" >&2; exit "${2:-1}"; }
say() { echo "tls-broker: $*"; }
check_python
[[ -n "${BF_TLS_SSL_PORT:-}" ]] || die "no BF_TLS_* block in infra/stack.env" 2

TLS_RUN="$(abspath "$BF_TLS_RUN_DIR")"
[[ "$TLS_RUN" != / && "$TLS_RUN" != "$ROOT" && "$TLS_RUN" != "$HOME" ]] || die "refusing BF_TLS_RUN_DIR=$TLS_RUN" 2
SECRETS="$TLS_RUN/secrets"
LOGS="$TLS_RUN/logs"
PID_FILE="$TLS_RUN/kafka.pid"
PROPS="$SECRETS/server.properties"  # holds the keystore password
CA_FILE="$TLS_RUN/ca.pem"           # public: what clients trust (BF_KAFKA_SSL_CA_FILE)
PASSWORD_FILE="$SECRETS/client.password"
HOST="$BF_KAFKA_HOST"
SSL_BOOTSTRAP="$HOST:$BF_TLS_SSL_PORT"
SASL_SSL_BOOTSTRAP="$HOST:$BF_TLS_SASL_SSL_PORT"
export TLS_SSL_BOOTSTRAP="$SSL_BOOTSTRAP" TLS_SASL_SSL_BOOTSTRAP="$SASL_SSL_BOOTSTRAP" TLS_CA_FILE="$CA_FILE" \
  TLS_PASSWORD_FILE="$PASSWORD_FILE" BF_TLS_SASL_USERNAME BF_TOPICS

broker_pid() { pid_of "$PID_FILE" "kafka.Kafka $PROPS"; }

# everything but the logs: keys, passwords, the CA, topic data
forget() { rm -rf "${SECRETS:?}" "${TLS_RUN:?}/data" "$CA_FILE" "$PID_FILE"; }

# generate_tls: a CA (its key deleted after use), a broker key and certificate for the loopback address,
# a PKCS12 keystore with a random password, and the SCRAM user's random password.
generate_tls() {
  local cnf="$SECRETS/openssl.cnf" san="IP:127.0.0.1,DNS:localhost"
  case "$HOST" in 127.0.0.1 | localhost) ;; *[!0-9.]*) san+=",DNS:$HOST" ;; *) san+=",IP:$HOST" ;; esac
  (umask 077 && mkdir -p "$SECRETS") || return 1
  (umask 077 && cat >"$cnf") <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = borderflow throwaway test
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[broker_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = $san
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash
EOF
  (
    set -e
    umask 077
    cd "$SECRETS"
    openssl rand -hex 24 >keystore.password
    openssl rand -hex 24 >client.password
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
    openssl req -x509 -new -key ca.key -config openssl.cnf -extensions ca_ext -days 2 \
      -subj "/O=borderflow/CN=borderflow throwaway test CA $(openssl rand -hex 4)" -out ca.pem
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out broker.key 2>/dev/null
    openssl req -new -key broker.key -config openssl.cnf -subj "/O=borderflow/CN=$HOST" -out broker.csr
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" -days 2 \
      -extfile openssl.cnf -extensions broker_ext -out broker.pem 2>/dev/null
    rm -f ca.key broker.csr  # nothing else is ever signed by this CA
    openssl pkcs12 -export -in broker.pem -inkey broker.key -certfile ca.pem -name broker \
      -passout file:keystore.password -out broker.p12
    rm -f broker.key
    cp ca.pem "$CA_FILE" && chmod 644 "$CA_FILE"
  )
}

write_config() {
  mkdir -p "$TLS_RUN/data" "$LOGS"
  (
    umask 077
    {
      cat <<EOF
# generated by infra/kafka/tls-broker.sh at start (deleted at stop): edit stack.env, not this file
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$HOST:$BF_TLS_CONTROLLER_PORT
listeners=SSL://$HOST:$BF_TLS_SSL_PORT,SASL_SSL://$HOST:$BF_TLS_SASL_SSL_PORT,CONTROLLER://$HOST:$BF_TLS_CONTROLLER_PORT
advertised.listeners=SSL://$HOST:$BF_TLS_SSL_PORT,SASL_SSL://$HOST:$BF_TLS_SASL_SSL_PORT,CONTROLLER://$HOST:$BF_TLS_CONTROLLER_PORT
# no PLAINTEXT listener: every connection, the controller's included, is TLS
listener.security.protocol.map=CONTROLLER:SSL,SSL:SSL,SASL_SSL:SASL_SSL
inter.broker.listener.name=SSL
controller.listener.names=CONTROLLER
ssl.keystore.type=PKCS12
ssl.keystore.location=$SECRETS/broker.p12
ssl.keystore.password=$(cat "$SECRETS/keystore.password")
ssl.truststore.type=PEM
ssl.truststore.location=$CA_FILE
ssl.client.auth=none
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF
      kafka_node_properties "$TLS_RUN/data"  # the rest as infra/stack.sh's broker has it
    } >"$PROPS"
  )
  kafka_log4j "$LOGS" >"$TLS_RUN/log4j2.properties"
}

broker_java=(java -Xms128m -Xmx"$BF_KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  -Dkafka.logs.dir="$LOGS" -Dlog4j2.configurationFile="file:$TLS_RUN/log4j2.properties" -cp "$KAFKA_JARS/*")

cmd_logs() {
  local n="${1:-40}" f
  for f in "$LOGS/server.log" "$LOGS/kafka.out" "$LOGS/format.out"; do
    [[ -s "$f" ]] || continue
    echo "===== ${f#"$ROOT"/} (last $n lines)"
    tail -n "$n" "$f"
  done
}

fail_start() {
  echo "tls-broker: $1" >&2
  cmd_logs 30 >&2
  cmd_stop >&2
  exit 1
}

cmd_start() {
  local pid cid port t0=$SECONDS
  if pid="$(broker_pid)"; then say "already running (pid $pid; SSL $SSL_BOOTSTRAP, SASL_SSL $SASL_SSL_BOOTSTRAP)"; return 0; fi
  command -v java >/dev/null 2>&1 || die "java (17+) is not on PATH" 2
  command -v openssl >/dev/null 2>&1 || die "openssl is not on PATH" 2
  for port in "$BF_TLS_SSL_PORT" "$BF_TLS_SASL_SSL_PORT" "$BF_TLS_CONTROLLER_PORT"; do
    port_open "$HOST" "$port" && die "port $HOST:$port is taken by a process this script did not start"
  done
  if ! compgen -G "$KAFKA_JARS/kafka_2.13-*.jar" >/dev/null; then
    fetch_jars
  fi
  forget
  rm -rf "$LOGS"
  generate_tls || fail_start "generating the CA and broker certificate failed"
  write_config
  cid="$("$PY" -c 'import base64, uuid; print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')"
  "${broker_java[@]}" kafka.tools.StorageTool format -t "$cid" -c "$PROPS" --standalone >"$LOGS/format.out" 2>&1 ||
    fail_start "formatting storage failed"
  # setsid: its own process group, so `stop` signals exactly what it started
  (cd "$TLS_RUN" && exec setsid "${broker_java[@]}" kafka.Kafka "$PROPS" >"$LOGS/kafka.out" 2>&1 </dev/null 9>&-) &
  echo $! >"$PID_FILE"
  say "starting (pid $!; SSL $SSL_BOOTSTRAP, SASL_SSL $SASL_SSL_BOOTSTRAP, controller $HOST:$BF_TLS_CONTROLLER_PORT)"
  "$PY" "$KAFKA_DIR/tlsctl.py" setup "$BF_START_TIMEOUT" || fail_start "not ready within ${BF_START_TIMEOUT}s"
  broker_pid >/dev/null || fail_start "the broker exited while starting"
  say "up in $((SECONDS - t0))s; client settings: infra/kafka/tls-broker.sh env ssl|sasl_ssl"
}

cmd_stop() {
  local pid i port busy
  if pid="$(broker_pid)"; then
    stop_pid kafka "$pid" || { echo "tls-broker: pid $pid is still running" >&2; return 1; }
  else
    say "not running"
  fi
  forget
  for ((i = 0; i < 20; i++)); do
    busy=()
    for port in "$BF_TLS_SSL_PORT" "$BF_TLS_SASL_SSL_PORT" "$BF_TLS_CONTROLLER_PORT"; do
      port_open "$HOST" "$port" && busy+=("$HOST:$port")
    done
    ((${#busy[@]} == 0)) && return 0
    sleep 0.25
  done
  echo "tls-broker: ports still in use after stop: ${busy[*]} (not by a process this script started)" >&2
  return 1
}

cmd_status() {
  local pid
  pid="$(broker_pid)" || { say "not running"; return 3; }
  say "running (pid $pid)"
  "$PY" "$KAFKA_DIR/tlsctl.py" status
}

cmd_env() {
  case "${1:-}" in
    "")
      echo "TLS_RUN=$TLS_RUN"
      echo "TLS_SSL_BOOTSTRAP=$SSL_BOOTSTRAP"
      echo "TLS_SASL_SSL_BOOTSTRAP=$SASL_SSL_BOOTSTRAP"
      echo "TLS_CONTROLLER=$HOST:$BF_TLS_CONTROLLER_PORT"
      echo "TLS_CA_FILE=$CA_FILE"
      echo "TLS_SASL_MECHANISM=SCRAM-SHA-512"
      echo "TLS_SASL_USERNAME=$BF_TLS_SASL_USERNAME"
      echo "TLS_PASSWORD_FILE=$PASSWORD_FILE"
      echo "TLS_PID_FILE=$PID_FILE"
      echo "TLS_LOG=$LOGS/server.log"
      ;;
    ssl | SSL)
      echo "BOOTSTRAP=$SSL_BOOTSTRAP"
      echo "BF_KAFKA_SECURITY_PROTOCOL=SSL"
      echo "BF_KAFKA_SSL_CA_FILE=$CA_FILE"
      ;;
    sasl_ssl | SASL_SSL)
      echo "BOOTSTRAP=$SASL_SSL_BOOTSTRAP"
      echo "BF_KAFKA_SECURITY_PROTOCOL=SASL_SSL"
      echo "BF_KAFKA_SSL_CA_FILE=$CA_FILE"
      echo "BF_KAFKA_SASL_MECHANISM=SCRAM-SHA-512"
      echo "BF_KAFKA_SASL_USERNAME=$BF_TLS_SASL_USERNAME"
      echo "BF_KAFKA_SASL_PASSWORD_FILE=$PASSWORD_FILE"
      ;;
    *) die "env: expected ssl or sasl_ssl, got $1" 2 ;;
  esac
}

# one start/stop at a time; the broker is started with fd 9 closed, so the lock ends with this script
lock() {
  mkdir -p "$TLS_RUN"
  exec 9>"$TLS_RUN/.lock"
  flock -w 300 9 || die "another tls-broker.sh start/stop is still running (lock $TLS_RUN/.lock)"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  start) lock; cmd_start ;;
  stop) lock; cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env "$@" ;;
  logs) cmd_logs "$@" ;;
  *)
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
