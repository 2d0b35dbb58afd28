#!/usr/bin/env bash
# A real Kafka Connect cluster for the tests: one KRaft broker (broker + controller in one JVM) and
# one Connect distributed worker, both Apache Kafka from Maven Central, on free loopback ports.
#
#   cluster.sh start           fetch the jars if needed, start broker + worker, wait until the REST
#                              API lists FileStreamSource/FileStreamSink, print `export ...` lines
#                              (so `eval "$(tests/kafka-connect/cluster.sh start)"` works)
#   cluster.sh stop            stop worker and broker (graceful, then SIGKILL after a timeout)
#   cluster.sh restart-worker  stop and start only the Connect worker (same REST port), wait for REST
#   cluster.sh kill-worker     SIGKILL the worker (a crash, no graceful leave) and start it again
#   cluster.sh status          which processes run, whether REST answers
#   cluster.sh env             print the `export ...` lines of the running cluster
#   cluster.sh fetch           only download the jars (once) into tests/.cache/kafka-<version>/
#
# Environment (all optional):
#   CONNECT_CLUSTER_DIR      state folder (configs, data, logs, pids); default tests/.cache/connect-cluster
#   CONNECT_CLUSTER_TIMEOUT  seconds to wait for the REST API; default 180 (a loaded 2-core machine
#                            has needed 77 s; a JVM that dies ends the wait at once)
#   CONNECT_CLUSTER_JVM_OPTS extra JVM options for broker and worker (e.g. -Xmx1g for many tasks)
#   CONNECT_CLUSTER_OWNER_PID  stop the cluster when this process is gone (set by tests/run.sh, so a
#                            killed test run leaves no JVM behind)
#   CONNECT_CLUSTER_REQUEST_LOG=1  the broker logs every request it completes (Kafka's
#                            kafka.request.logger at DEBUG: one JSON line with the API name and
#                            client id) to $CONNECT_CLUSTER_DIR/logs/requests.log, for benchmarks
#                            that count requests on the wire (tests/bench/kafka_topics_bench.rs)
#
# Exported for the tests: CONNECT_URL, CONNECT_CLUSTER_CTL (this script), CONNECT_CLUSTER_DIR,
# KAFKA_BOOTSTRAP_SERVERS (plaintext listener), and the broker's SASL/SCRAM-SHA-512 listener
# (SASL_PLAINTEXT, loopback): KAFKA_SASL_BOOTSTRAP_SERVERS, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD
# and its SASL/OAUTHBEARER listener (SASL_PLAINTEXT, loopback, Kafka's unsecured JWT validator):
# KAFKA_OAUTH_BOOTSTRAP_SERVERS
# (a user created at format time with `StorageTool format --add-scram`, a fresh random password
# per start). Logs: $CONNECT_CLUSTER_DIR/logs/{broker,worker}.log.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
libs=$root/tests/.cache/kafka-$kafka_version/libs
state=${CONNECT_CLUSTER_DIR:-$root/tests/.cache/connect-cluster}
timeout=${CONNECT_CLUSTER_TIMEOUT:-180}
# Small heaps, serial GC and C1 only: two short-lived JVMs on a shared 2-core machine start fastest so.
jvm_opts=(-Xms64m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$here/log4j2.properties")
# shellcheck disable=SC2206 # extra JVM options, split on spaces on purpose
jvm_opts+=(${CONNECT_CLUSTER_JVM_OPTS:-})

say() { echo "connect-cluster: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# --- jars -------------------------------------------------------------------------------------

# Resolve the pom's dependencies (and all transitive ones) into $libs, once per pom content.
fetch() {
  local want stamp=$libs/.pom.sha256
  want=$(sha256sum "$here/pom.xml" | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  command -v mvn >/dev/null || die "Maven (mvn) is needed once to fetch the Kafka $kafka_version jars"
  say "fetching Kafka $kafka_version jars from Maven Central into ${libs#"$root"/} (once)"
  local started=$SECONDS tmp=$libs.tmp.$$
  rm -rf "$tmp"
  if ! mvn -B -q -f "$here/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >&2; then
    rm -rf "$tmp"
    die "mvn could not resolve the Kafka $kafka_version jars (see the Maven output above)"
  fi
  echo "$want" > "$tmp/.pom.sha256"
  rm -rf "$libs" && mkdir -p "$(dirname "$libs")" && mv "$tmp" "$libs"
  say "fetched $(find "$libs" -name '*.jar' | wc -l) jars, $(du -sh "$libs" | cut -f1), in $((SECONDS - started)) s"
}

# --- processes --------------------------------------------------------------------------------

# The pid in $state/<name>.pid if that process is alive and really is ours: our JVM (its command
# line names our state folder) or our fork that has not exec'd java yet. Never signal a recycled pid.
pid_of() {
  local pid
  pid=$(cat "$state/$1.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -e "$state/$1.properties" -e "kafka-connect/cluster.sh" || return 1
  echo "$pid"
}

# Whether the process we launched as <name> still runs. No command-line check here: right after
# `launch`, the child may not have exec'd java yet.
alive() {
  local pid
  pid=$(cat "$state/$1.pid" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# launch <name> <main class> <args...>: start a JVM in the background, output to logs/<name>.log.
launch() {
  local name=$1; shift
  java "${jvm_opts[@]}" -cp "$libs/*" "$@" >> "$state/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$state/$name.pid"
}

# stop_one <name> <signal> <grace seconds>: send the signal, SIGKILL once after the grace period,
# and wait until the process is gone.
stop_one() {
  local name=$1 signal=$2 grace=$3 pid waited=0 killed=
  pid=$(pid_of "$name") || { rm -f "$state/$name.pid"; return 0; }
  kill "-$signal" "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if [ -z "$killed" ] && [ $waited -ge $((grace * 10)) ]; then
      say "$name did not stop within $grace s of SIG$signal, killing it"
      kill -KILL "$pid" 2>/dev/null || true
      killed=1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "$state/$name.pid"
}

# The cluster's data is thrown away at the next start: a short grace period is enough (a worker
# running hundreds of tasks can take longer than that to stop gracefully).
stop() {
  stop_one worker TERM 10
  stop_one broker TERM 10
  if [ -f "$state/watchdog.pid" ]; then
    local pid
    pid=$(cat "$state/watchdog.pid")
    rm -f "$state/watchdog.pid"
    [ "$pid" != "${BASHPID:-$$}" ] && kill "$pid" 2>/dev/null || true
  fi
}

# Five distinct free loopback ports (held open together, so they differ), space separated.
free_ports() {
  python3 -c '
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))'
}

# Kafka cluster ids are 16 random bytes, base64url without padding.
random_cluster_id() {
  python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="))'
}

# The SCRAM user's password: random per start, so no test can depend on a known one.
random_password() {
  python3 -c 'import secrets; print(secrets.token_urlsafe(24))'
}

write_configs() {
  local broker_port=$1 controller_port=$2 rest_port=$3 sasl_port=$4 oauth_port=$5
  cat > "$state/broker.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$broker_port,CONTROLLER://127.0.0.1:$controller_port,SASL_PLAINTEXT://127.0.0.1:$sasl_port,OAUTHBEARER://127.0.0.1:$oauth_port
advertised.listeners=PLAINTEXT://127.0.0.1:$broker_port,SASL_PLAINTEXT://127.0.0.1:$sasl_port,OAUTHBEARER://127.0.0.1:$oauth_port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,OAUTHBEARER:SASL_PLAINTEXT
# The authentication tests' listener: SCRAM-SHA-512 only; its user is created at format time.
listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
# The OAUTHBEARER login's listener (tests/kafka_oauth.rs): Kafka's unsecured validator accepts an
# unsigned JWT ({"alg":"none"}, sub, iat, exp) and refuses an expired one; the JAAS options are its
# own login's (a broker logs in on every SASL listener), unused by clients.
listener.name.oauthbearer.sasl.enabled.mechanisms=OAUTHBEARER
listener.name.oauthbearer.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker";
listener.name.oauthbearer.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler
log.dirs=$state/broker-data
auto.create.topics.enable=true
num.partitions=1
# One node: every internal topic with replication 1, and few partitions (faster first use).
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
EOF
  cat > "$state/worker.properties" <<EOF
bootstrap.servers=127.0.0.1:$broker_port
group.id=switchyard-tests
config.storage.topic=switchyard-connect-configs
config.storage.replication.factor=1
offset.storage.topic=switchyard-connect-offsets
offset.storage.replication.factor=1
offset.storage.partitions=1
status.storage.topic=switchyard-connect-status
status.storage.replication.factor=1
status.storage.partitions=1
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=false
value.converter.schemas.enable=false
listeners=http://127.0.0.1:$rest_port
rest.advertised.host.name=127.0.0.1
rest.advertised.port=$rest_port
# Sinks flush their files and sources commit offsets every second, so tests see data quickly.
offset.flush.interval.ms=1000
# A single worker: reassign a restarted worker's connectors at once instead of waiting up to 5 min
# for a departed member to come back.
scheduled.rebalance.max.delay.ms=0
# connect-file is on the classpath (no plugin.path); its ServiceLoader manifests make a class scan
# unnecessary.
plugin.discovery=service_load
EOF
  cat > "$state/env" <<EOF
export CONNECT_URL=http://127.0.0.1:$rest_port
export CONNECT_CLUSTER_CTL=$here/cluster.sh
export CONNECT_CLUSTER_DIR=$state
export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$broker_port
export KAFKA_SASL_BOOTSTRAP_SERVERS=127.0.0.1:$sasl_port
export KAFKA_SASL_USERNAME=$scram_user
export KAFKA_SASL_PASSWORD=$scram_password
export KAFKA_OAUTH_BOOTSTRAP_SERVERS=127.0.0.1:$oauth_port
EOF
  chmod 600 "$state/env"
}

connect_url() { sed -n 's/^export CONNECT_URL=//p' "$state/env"; }

start_worker() {
  launch worker org.apache.kafka.connect.cli.ConnectDistributed "$state/worker.properties"
}

# Wait until GET /connector-plugins lists both FileStream connectors; fail fast if a JVM dies.
wait_for_rest() {
  local url deadline plugins
  url=$(connect_url)
  deadline=$((SECONDS + timeout))
  while [ $SECONDS -lt $deadline ]; do
    for name in broker worker; do
      alive "$name" || {
        say "the $name exited; last lines of $state/logs/$name.log:"
        tail -n 40 "$state/logs/$name.log" >&2
        return 1
      }
    done
    plugins=$(curl -sf --max-time 2 "$url/connector-plugins" 2>/dev/null) || plugins=
    if [[ $plugins == *FileStreamSourceConnector* && $plugins == *FileStreamSinkConnector* ]]; then
      return 0
    fi
    sleep 0.2
  done
  say "the Connect REST API at $url did not answer within $timeout s; last worker log lines:"
  tail -n 40 "$state/logs/worker.log" >&2
  return 1
}

# Stop the cluster once the owner process is gone (a test run killed with SIGKILL has no trap).
start_watchdog() {
  local owner=$1
  (
    trap - EXIT INT TERM
    while kill -0 "$owner" 2>/dev/null && [ -f "$state/broker.pid" ]; do sleep 2; done
    [ -f "$state/broker.pid" ] && { say "owner process $owner is gone, stopping the cluster"; stop; }
  ) < /dev/null > /dev/null 2>&1 &
  echo $! > "$state/watchdog.pid"
}

start() {
  command -v java >/dev/null || die "Java (17 or newer) is needed to run Kafka Connect"
  local java_major
  java_major=$(java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)
  [ "${java_major:-0}" -ge 17 ] || die "Kafka $kafka_version needs Java 17 or newer; java -version says: $(java -version 2>&1 | head -n 1)"
  command -v curl >/dev/null || die "curl is needed to wait for the Connect REST API"
  fetch
  if pid_of broker >/dev/null || pid_of worker >/dev/null; then
    say "stopping the previous cluster in $state"
    stop
  fi
  local started=$SECONDS ports
  rm -rf "$state" && mkdir -p "$state/logs" "$state/broker-data"
  ports=$(free_ports)
  scram_user=switchyard-tests
  scram_password=$(random_password)
  # shellcheck disable=SC2086 # five numbers
  write_configs $ports

  # Whatever happens from here on (error, Ctrl-C, kill), a half-started cluster is stopped.
  trap 'stop' EXIT
  trap 'say "interrupted, stopping what was started"; exit 130' INT
  trap 'say "terminated, stopping what was started"; exit 143' TERM

  java "${jvm_opts[@]}" -cp "$libs/*" kafka.tools.StorageTool format \
    --cluster-id "$(random_cluster_id)" --config "$state/broker.properties" \
    --add-scram "SCRAM-SHA-512=[name=$scram_user,password=$scram_password]" \
    > "$state/logs/format.log" 2>&1 || { cat "$state/logs/format.log" >&2; die "formatting the KRaft storage failed"; }
  if [ "${CONNECT_CLUSTER_REQUEST_LOG:-}" = 1 ]; then
    # A second log4j2 file (log4j2 merges a comma-separated list), for the broker only.
    jvm_opts+=("-Dlog4j2.configurationFile=$here/log4j2.properties,$here/log4j2-requests.properties"
      "-Dswitchyard.requests.log=$state/logs/requests.log")
  fi
  launch broker kafka.Kafka "$state/broker.properties"
  # The worker keeps the default logging.
  jvm_opts+=("-Dlog4j2.configurationFile=$here/log4j2.properties")
  # The worker starts alongside: it waits for the broker itself, and its JVM start and plugin
  # scan overlap with the broker's.
  start_worker
  wait_for_rest || die "the cluster did not start (logs in $state/logs)"
  [ -n "${CONNECT_CLUSTER_OWNER_PID:-}" ] && start_watchdog "$CONNECT_CLUSTER_OWNER_PID"
  trap - EXIT INT TERM
  say "Kafka $kafka_version broker + Connect worker ready at $(connect_url) in $((SECONDS - started)) s"
  cat "$state/env"
}

restart_worker() {
  local signal=$1
  pid_of broker >/dev/null || die "no running cluster in $state (run: $0 start)"
  local started=$SECONDS
  stop_one worker "$signal" 30
  start_worker
  wait_for_rest || die "the worker did not come back (logs in $state/logs)"
  say "worker restarted ($signal) in $((SECONDS - started)) s"
}

status() {
  local name pid
  for name in broker worker; do
    if pid=$(pid_of "$name"); then echo "$name: running (pid $pid)"; else echo "$name: stopped"; fi
  done
  if [ -f "$state/env" ] && curl -sf --max-time 2 "$(connect_url)/" > /dev/null; then
    echo "rest: $(connect_url) answers"
  else
    echo "rest: not answering"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart-worker) restart_worker TERM ;;
  kill-worker) restart_worker KILL ;;
  status) status ;;
  env) [ -f "$state/env" ] && pid_of worker >/dev/null || die "no running cluster in $state"; cat "$state/env" ;;
  fetch) fetch ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
