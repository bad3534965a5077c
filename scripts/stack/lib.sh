# shellcheck shell=bash
# Functions behind up.sh, down.sh, status.sh and service.sh (sourced, never run).
# Layout under $TRIBUTARY_STACK_DIR:
#   <service>/          configs and data of one service
#   run/<service>.pid   "<pid> <start time>" of the process this stack dir started
#   logs/<service>.log  its stdout and stderr

# shellcheck source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=zookeeper.sh
source "$(dirname "${BASH_SOURCE[0]}")/zookeeper.sh"
# shellcheck source=replication.sh
source "$(dirname "${BASH_SOURCE[0]}")/replication.sh"
# shellcheck source=cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"

STACK_RUN="$TRIBUTARY_STACK_DIR/run"
STACK_LOGS="$TRIBUTARY_STACK_DIR/logs"

log() { printf '[stack %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  printf '[stack] ERROR: %s\n' "$*" >&2
  exit 1
}

is_service() {
  local s
  for s in "${TRIBUTARY_SERVICES[@]}"; do [[ "$s" == "$1" ]] && return 0; done
  is_cluster_service "$1"
}

svc_ports() {
  case "$1" in
  kafka) echo "$KAFKA_PORT $KAFKA_CONTROLLER_PORT" ;;
  registry) echo "$REGISTRY_PORT" ;;
  redis) echo "$REDIS_PORT" ;;
  clickhouse) echo "$CLICKHOUSE_HTTP_PORT $CLICKHOUSE_TCP_PORT" ;;
  zookeeper) echo "$ZOOKEEPER_PORT" ;;
  ch-* | redis-c*) cluster_svc_ports "$1" ;;
  prometheus) echo "$PROMETHEUS_PORT" ;;
  esac
}

svc_address() {
  case "$1" in
  kafka) echo "127.0.0.1:$KAFKA_PORT" ;;
  registry) echo "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7" ;;
  redis) echo "redis://127.0.0.1:$REDIS_PORT" ;;
  clickhouse) echo "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT (native :$CLICKHOUSE_TCP_PORT)" ;;
  zookeeper) echo "127.0.0.1:$ZOOKEEPER_PORT" ;;
  ch-* | redis-c*) cluster_svc_address "$1" ;;
  prometheus) echo "http://127.0.0.1:$PROMETHEUS_PORT" ;;
  esac
}

pid_file() { echo "$STACK_RUN/$1.pid"; }
log_file() { echo "$STACK_LOGS/$1.log"; }

# Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat); guards against
# a recycled pid being taken for ours.
proc_start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo "${20}"
}

# Prints the pid of the process this stack dir started for the service, if it is still alive.
svc_pid() {
  local f pid start now
  f=$(pid_file "$1")
  [[ -f "$f" ]] || return 1
  read -r pid start <"$f" || return 1
  [[ -n "$pid" ]] || return 1
  now=$(proc_start_time "$pid") || return 1
  [[ "$now" == "$start" ]] || return 1
  echo "$pid"
}

port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

port_owner() {
  if command -v ss >/dev/null 2>&1; then
    ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'users:.*' | head -1
  fi
}

# ---------------------------------------------------------------------------------------------
# Installation

need_cmds() {
  # Prints the apt packages needed for missing commands.
  local pkgs=()
  command -v java >/dev/null || pkgs+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || pkgs+=(maven)
  command -v kcat >/dev/null || pkgs+=(kafkacat)
  command -v redis-server >/dev/null || pkgs+=(redis-server)
  command -v redis-cli >/dev/null || pkgs+=(redis-tools)
  command -v clickhouse-server >/dev/null || pkgs+=(clickhouse-server)
  command -v curl >/dev/null || pkgs+=(curl)
  command -v unzip >/dev/null || pkgs+=(unzip)
  command -v ss >/dev/null || pkgs+=(iproute2)
  # Debian's Prometheus 2.42, with promtool (alert rule checks and tests).
  { command -v prometheus && command -v promtool; } >/dev/null || pkgs+=(prometheus)
  echo "${pkgs[@]}"
}

ensure_apt_packages() {
  local pkgs
  pkgs=$(need_cmds)
  [[ -z "$pkgs" ]] && return 0
  log "installing apt packages: $pkgs"
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  # Keep the distro's own init scripts from starting redis/clickhouse on the default ports.
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee $policy >/dev/null && $sudo chmod +x $policy && added_policy=1
  fi
  # shellcheck disable=SC2086
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs
  local rc=$?
  ((added_policy)) && $sudo rm -f $policy
  ((rc == 0)) || die "apt-get install $pkgs failed"
}

ensure_maven_settings() {
  mkdir -p "$(dirname "$TRIBUTARY_MAVEN_SETTINGS")" "$TRIBUTARY_MAVEN_REPO"
  local tmp="$TRIBUTARY_MAVEN_SETTINGS.$$.tmp"
  cat >"$tmp" <<EOF
<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">
  <!-- Every repository named in any pom resolves through Maven Central: no stalls on unreachable hosts. -->
  <localRepository>$TRIBUTARY_MAVEN_REPO</localRepository>
  <mirrors>
    <mirror><id>central-only</id><mirrorOf>*</mirrorOf><url>$TRIBUTARY_MAVEN_CENTRAL</url></mirror>
  </mirrors>
</settings>
EOF
  mv "$tmp" "$TRIBUTARY_MAVEN_SETTINGS"
}

mvn_q() {
  mvn -B -q -Dstyle.color=never -s "$TRIBUTARY_MAVEN_SETTINGS" -Dmaven.repo.local="$TRIBUTARY_MAVEN_REPO" "$@"
}

kafka_major() { echo "${TRIBUTARY_KAFKA_VERSION%%.*}"; }

kafka_jar() { echo "$KAFKA_LIB_DIR/kafka_${TRIBUTARY_KAFKA_SCALA}-${TRIBUTARY_KAFKA_VERSION}.jar"; }

# Serializes downloads of one artifact between concurrent stacks sharing the cache (fd 8).
cache_lock() {
  mkdir -p "$TRIBUTARY_CACHE_DIR"
  exec 8>"$TRIBUTARY_CACHE_DIR/.$1.lock"
  flock -w 900 8 || die "timed out waiting for another download of $1 ($TRIBUTARY_CACHE_DIR/.$1.lock)"
}

# fetch_once <lock name> <dir> <fetch function>: runs the fetch unless <dir> holds a complete
# download, under the artifact's lock, checking again once it holds the lock (another stack may
# have fetched it meanwhile).
fetch_once() {
  local name=$1 dir=$2 fetch=$3
  [[ -f "$dir/.complete" ]] && return 0
  (
    cache_lock "$name"
    [[ -f "$dir/.complete" ]] && exit 0
    "$fetch"
  ) || exit 1
}

fetch_kafka() { fetch_once "kafka-$TRIBUTARY_KAFKA_VERSION" "$KAFKA_LIB_DIR" fetch_kafka_locked; }

fetch_kafka_locked() {
  local work="$TRIBUTARY_CACHE_DIR/kafka/$TRIBUTARY_KAFKA_VERSION"
  local binding
  if (($(kafka_major) >= 4)); then
    binding='<groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.25.5</version>'
  else
    binding='<groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version>'
  fi
  mkdir -p "$work"
  cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>tributary-stack</groupId><artifactId>kafka-runtime</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_${TRIBUTARY_KAFKA_SCALA}</artifactId><version>${TRIBUTARY_KAFKA_VERSION}</version></dependency>
    <dependency>$binding</dependency>
  </dependencies>
</project>
EOF
  log "downloading Kafka $TRIBUTARY_KAFKA_VERSION jars from Maven Central"
  rm -rf "$work/lib.tmp"
  local attempt
  for attempt in 1 2; do
    if (cd "$work" && mvn_q dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=lib.tmp); then
      break
    fi
    ((attempt == 2)) && die "could not download Kafka $TRIBUTARY_KAFKA_VERSION (see the mvn output above)"
    log "retrying the Kafka download"
  done
  rm -rf "$KAFKA_LIB_DIR" && mv "$work/lib.tmp" "$KAFKA_LIB_DIR" && touch "$KAFKA_LIB_DIR/.complete"
  [[ -f "$(kafka_jar)" ]] || die "Kafka download has no $(kafka_jar)"
}

apicurio_jar() { echo "$APICURIO_HOME/apicurio-registry-app-${APICURIO_VERSION}-runner.jar"; }

fetch_apicurio() { fetch_once "apicurio-$APICURIO_VERSION" "$APICURIO_HOME" fetch_apicurio_locked; }

fetch_apicurio_locked() {
  local tmp="$APICURIO_HOME.tmp"
  rm -rf "$tmp" && mkdir -p "$tmp"
  log "downloading Apicurio Registry $APICURIO_VERSION from Maven Central (~110 MB)"
  local attempt
  for attempt in 1 2; do
    # Fetch only the archive; resolving it as a dependency would walk Apicurio's poms.
    if mvn_q dependency:copy -Dartifact="io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:zip:all" \
      -DoutputDirectory="$tmp"; then
      break
    fi
    ((attempt == 2)) && die "could not download Apicurio Registry $APICURIO_VERSION"
    log "retrying the Apicurio download"
  done
  unzip -q -o "$tmp/apicurio-registry-app-${APICURIO_VERSION}-all.zip" -d "$tmp/app" || die "unzip of Apicurio failed"
  rm -rf "$APICURIO_HOME" && mv "$tmp/app" "$APICURIO_HOME" && rm -rf "$tmp" && touch "$APICURIO_HOME/.complete"
  [[ -f "$(apicurio_jar)" ]] || die "Apicurio archive has no $(apicurio_jar)"
}

svc_install() {
  case "$1" in
  kafka) fetch_kafka ;;
  registry) fetch_apicurio ;;
  zookeeper) fetch_zookeeper ;;
  *) : ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# Configs (rewritten on every start, templated from env)

write_kafka_config() {
  local d="$TRIBUTARY_STACK_DIR/kafka"
  mkdir -p "$d/data"
  {
    cat <<EOF
# Written by scripts/stack/up.sh; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$d/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=${TRIBUTARY_KAFKA_OFFSETS_PARTITIONS:-10}
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=${TRIBUTARY_KAFKA_OFFSETS_PARTITIONS:-10}
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
EOF
    if (($(kafka_major) >= 4)); then
      echo "share.coordinator.state.topic.replication.factor=1"
      echo "share.coordinator.state.topic.min.isr=1"
    fi
  } >"$d/server.properties"
  if (($(kafka_major) >= 4)); then
    cat >"$d/log4j2.properties" <<'EOF'
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
EOF
  else
    cat >"$d/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.state.change.logger=WARN
EOF
  fi
}

# KRaft storage is formatted once per stack dir; the cluster id is kept beside it.
format_kafka_storage() {
  local d="$TRIBUTARY_STACK_DIR/kafka"
  if [[ -f "$d/version" ]] && [[ "$(cat "$d/version")" != "$TRIBUTARY_KAFKA_VERSION" ]]; then
    die "$d holds data of Kafka $(cat "$d/version"), not $TRIBUTARY_KAFKA_VERSION; run 'npm run stack:down -- --purge' or use another TRIBUTARY_STACK_DIR"
  fi
  [[ -f "$d/data/meta.properties" ]] && return 0
  local cp="$KAFKA_LIB_DIR/*"
  if [[ ! -s "$d/cluster-id" ]]; then
    java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1 >"$d/cluster-id"
  fi
  [[ -s "$d/cluster-id" ]] || die "kafka-storage random-uuid failed"
  local logcfg
  if (($(kafka_major) >= 4)); then logcfg="-Dlog4j2.configurationFile=$d/log4j2.properties"; else logcfg="-Dlog4j.configuration=file:$d/log4j.properties"; fi
  java "$logcfg" -cp "$cp" kafka.tools.StorageTool format -t "$(cat "$d/cluster-id")" -c "$d/server.properties" \
    >>"$(log_file kafka)" 2>&1 || die "formatting Kafka storage failed; see $(log_file kafka)"
  echo "$TRIBUTARY_KAFKA_VERSION" >"$d/version"
}

# Also the base of each cluster replica's config (cluster.sh), with its own directory and ports.
write_clickhouse_config() {
  local d="${1:-$TRIBUTARY_STACK_DIR/clickhouse}"
  mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/format_schemas" "$d/log"
  cat >"$d/config.xml" <<EOF
<?xml version="1.0"?>
<!-- Written by scripts/stack/up.sh; edits are overwritten. -->
<yandex>
    <logger>
        <level>information</level>
        <log>$d/log/clickhouse-server.log</log>
        <errorlog>$d/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>2</count>
    </logger>
    <http_port>$CLICKHOUSE_HTTP_PORT</http_port>
    <tcp_port>$CLICKHOUSE_TCP_PORT</tcp_port>
    <interserver_http_port>$CLICKHOUSE_INTERSERVER_PORT</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>256</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>50</max_concurrent_queries>
    <uncompressed_cache_size>1073741824</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$d/data/</path>
    <tmp_path>$d/tmp/</tmp_path>
    <user_files_path>$d/user_files/</user_files_path>
    <format_schema_path>$d/format_schemas/</format_schema_path>
    <users_config>users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mlock_executable>false</mlock_executable>
    <kafka>
        <auto_offset_reset>smallest</auto_offset_reset>
    </kafka>
</yandex>
EOF
  cat >"$d/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>2000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval>
        </default>
    </quotas>
</yandex>
EOF
}

# Scrapes the engine on the default metrics port, and any target a file in targets/ names (file_sd:
# a test or a second engine adds itself there); evaluates the alert rules of compose/prometheus/.
write_prometheus_config() {
  local d="$TRIBUTARY_STACK_DIR/prometheus"
  mkdir -p "$d/data" "$d/targets"
  cat >"$d/prometheus.yml" <<EOF
# Written by scripts/stack/up.sh; edits are overwritten.
global:
  scrape_interval: 2s
  evaluation_interval: 2s
rule_files:
  - $TRIBUTARY_REPO_ROOT/compose/prometheus/alerts.yml
scrape_configs:
  - job_name: tributary
    static_configs:
      - targets: ["127.0.0.1:$TRIBUTARY_METRICS_PORT_DEFAULT"]
    file_sd_configs:
      - files: ["$d/targets/*.json"]
        refresh_interval: 2s
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:$PROMETHEUS_PORT"]
EOF
}

svc_config() {
  mkdir -p "$TRIBUTARY_STACK_DIR/$1" "$STACK_RUN" "$STACK_LOGS"
  case "$1" in
  kafka) write_kafka_config && format_kafka_storage ;;
  registry) mkdir -p "$TRIBUTARY_STACK_DIR/registry/data" ;;
  redis) mkdir -p "$TRIBUTARY_STACK_DIR/redis/data" ;;
  clickhouse) write_clickhouse_config && write_clickhouse_single_replication ;;
  zookeeper) write_zookeeper_config ;;
  ch-* | redis-c*) cluster_svc_config "$1" ;;
  prometheus) write_prometheus_config ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# Start, health, stop, version

svc_command() {
  local d="$TRIBUTARY_STACK_DIR/$1"
  case "$1" in
  kafka)
    local logcfg
    if (($(kafka_major) >= 4)); then logcfg="-Dlog4j2.configurationFile=$d/log4j2.properties"; else logcfg="-Dlog4j.configuration=file:$d/log4j.properties"; fi
    echo java -Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true "-Dtributary.stack=$TRIBUTARY_STACK_DIR" \
      "$logcfg" -cp "'$KAFKA_LIB_DIR/*'" kafka.Kafka "$d/server.properties"
    ;;
  registry)
    echo java -Xms128m -Xmx512m "-Dtributary.stack=$TRIBUTARY_STACK_DIR" \
      "-Dquarkus.http.port=$REGISTRY_PORT" -Dquarkus.http.host=127.0.0.1 \
      -Dquarkus.http.access-log.enabled=false \
      "-Dapicurio.datasource.url=jdbc:h2:file:$d/data/registry" \
      "-Dapicurio.import.work-dir=$d" "-Dapicurio.storage.snapshot.location=$d" \
      -jar "$(apicurio_jar)"
    ;;
  redis)
    echo redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$d/data" --appendonly yes \
      --appendfsync everysec --daemonize no --logfile "''"
    ;;
  clickhouse)
    echo clickhouse-server "--config-file=$d/config.xml"
    ;;
  zookeeper) zookeeper_command ;;
  ch-* | redis-c*) cluster_svc_command "$1" ;;
  prometheus)
    echo prometheus "--config.file=$d/prometheus.yml" "--storage.tsdb.path=$d/data" \
      --storage.tsdb.retention.time=1d "--web.listen-address=127.0.0.1:$PROMETHEUS_PORT"
    ;;
  esac
}

svc_healthy() {
  case "$1" in
  kafka) kcat -L -b "127.0.0.1:$KAFKA_PORT" -m 3 -q 2>/dev/null | grep -q '1 brokers' ;;
  registry) curl -fsS -m 3 -o /dev/null "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7/subjects" 2>/dev/null ;;
  redis) [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]] ;;
  clickhouse) [[ "$(curl -fsS -m 3 "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/ping" 2>/dev/null)" == Ok.* ]] ;;
  zookeeper) zookeeper_healthy ;;
  ch-* | redis-c*) cluster_svc_healthy "$1" ;;
  prometheus) curl -fsS -m 3 -o /dev/null "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" 2>/dev/null ;;
  esac
}

svc_version() {
  case "$1" in
  kafka)
    local v=""
    [[ -f "$TRIBUTARY_STACK_DIR/kafka/lib-dir" ]] &&
      v=$(find "$(cat "$TRIBUTARY_STACK_DIR/kafka/lib-dir")" -maxdepth 1 -name 'kafka_2.*-*.jar' -printf '%f\n' 2>/dev/null |
        sed -E 's/^kafka_[0-9.]+-(.*)\.jar$/\1/' | head -1)
    echo "${v:-?}"
    ;;
  registry)
    curl -fsS -m 3 "http://127.0.0.1:$REGISTRY_PORT/apis/registry/v3/system/info" 2>/dev/null |
      grep -o '"version" *: *"[^"]*"' | sed -E 's/.*"([^"]*)"$/\1/' || echo "?"
    ;;
  redis) redis-cli -h 127.0.0.1 -p "$REDIS_PORT" INFO server 2>/dev/null | tr -d '\r' | sed -n 's/^redis_version://p' ;;
  clickhouse) curl -fsS -m 3 "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/?query=SELECT%20version()" 2>/dev/null ;;
  zookeeper) zookeeper_version ;;
  ch-* | redis-c*) cluster_svc_version "$1" ;;
  prometheus)
    curl -fsS -m 3 "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/status/buildinfo" 2>/dev/null |
      grep -o '"version" *: *"[^"]*"' | sed -E 's/.*"([^"+]*)[^"]*"$/\1/' || echo "?"
    ;;
  esac
}

# Fails with a clear message if one of the service's ports is taken by a process this stack dir
# did not start.
check_ports_free() {
  local p owner
  for p in $(svc_ports "$1"); do
    if port_open "$p"; then
      owner=$(port_owner "$p")
      die "port $p ($1) is already in use${owner:+ by $owner}, not by this stack ($TRIBUTARY_STACK_DIR). Stop that process or shift every port with TRIBUTARY_PORT_OFFSET (now $TRIBUTARY_PORT_OFFSET), e.g. TRIBUTARY_PORT_OFFSET=1000"
    fi
  done
}

wait_healthy() {
  local svc=$1 pid=$2 deadline=$((SECONDS + TRIBUTARY_STACK_TIMEOUT))
  while ((SECONDS < deadline)); do
    if svc_healthy "$svc"; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$svc (pid $pid) exited; last lines of $(log_file "$svc"):"
      tail -n 30 "$(log_file "$svc")" >&2
      return 1
    fi
    sleep 0.3
  done
  log "$svc not healthy after ${TRIBUTARY_STACK_TIMEOUT}s (TRIBUTARY_STACK_TIMEOUT); last lines of $(log_file "$svc"):"
  tail -n 30 "$(log_file "$svc")" >&2
  return 1
}

# Brings one service up: leaves a healthy one of this stack dir alone, else installs, writes
# configs, starts it in the background and waits for health.
svc_start() {
  local svc=$1 pid
  if pid=$(svc_pid "$svc"); then
    if svc_healthy "$svc"; then
      log "$svc already running (pid $pid)"
      return 0
    fi
    log "$svc (pid $pid) is running but not healthy yet; waiting"
    wait_healthy "$svc" "$pid" || die "$svc (pid $pid) did not become healthy; 'npm run stack:down' and retry"
    return 0
  fi
  rm -f "$(pid_file "$svc")"
  check_ports_free "$svc"
  svc_install "$svc"
  svc_config "$svc"
  local cmd logf
  cmd=$(svc_command "$svc")
  logf=$(log_file "$svc")
  echo "=== $(date -Is) starting: $cmd" >>"$logf"
  (
    cd "$TRIBUTARY_STACK_DIR/$svc" || exit 1
    exec 8>&- 9>&- # locks of up.sh must not outlive it in the service
    # setsid: the service outlives this shell and a Ctrl-C in the terminal that started it.
    eval "exec setsid nohup $cmd" >>"$logf" 2>&1 </dev/null
  ) &
  pid=$!
  local start=""
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    start=$(proc_start_time "$pid") && break
    sleep 0.05
  done
  echo "$pid $start" >"$(pid_file "$svc")"
  [[ "$svc" == kafka ]] && echo "$KAFKA_LIB_DIR" >"$TRIBUTARY_STACK_DIR/kafka/lib-dir"
  wait_healthy "$svc" "$pid" || die "$svc failed to start; see $logf"
  log "$svc healthy on $(svc_address "$svc") (pid $pid)"
}

svc_stop() {
  local svc=$1 pid
  if ! pid=$(svc_pid "$svc"); then
    rm -f "$(pid_file "$svc")"
    return 0
  fi
  log "stopping $svc (pid $pid)"
  kill -TERM "$pid" 2>/dev/null
  local deadline=$((SECONDS + TRIBUTARY_STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$svc (pid $pid) still running after ${TRIBUTARY_STOP_TIMEOUT}s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$(pid_file "$svc")"
  local p
  for p in $(svc_ports "$svc"); do
    local until=$((SECONDS + 10))
    while port_open "$p" && ((SECONDS < until)); do sleep 0.2; done
    port_open "$p" && log "warning: port $p still in use after stopping $svc: $(port_owner "$p")"
  done
  return 0
}

registry_set_compat() {
  curl -fsS -m 10 -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    --data '{"compatibility":"BACKWARD"}' "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7/config" >/dev/null ||
    die "could not set the registry's global compatibility to BACKWARD"
}

write_env_file() {
  mkdir -p "$TRIBUTARY_STACK_DIR"
  cat >"$TRIBUTARY_STACK_DIR/env" <<EOF
# Written by scripts/stack/up.sh: source it to point Tributary at this stack.
export TRIBUTARY_PORT_OFFSET=$TRIBUTARY_PORT_OFFSET
export TRIBUTARY_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
export TRIBUTARY_REGISTRY_URL=http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7
export TRIBUTARY_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
export TRIBUTARY_CLICKHOUSE_URL=http://127.0.0.1:$CLICKHOUSE_HTTP_PORT
export TRIBUTARY_ZOOKEEPER=127.0.0.1:$ZOOKEEPER_PORT
export TRIBUTARY_PROMETHEUS_URL=http://127.0.0.1:$PROMETHEUS_PORT
EOF
  if cluster_running; then cluster_env_lines >>"$TRIBUTARY_STACK_DIR/env"; fi
}

print_table() {
  local svc pid state ver
  printf '%-11s %-8s %-9s %-56s %-8s %s\n' SERVICE STATE VERSION ADDRESS PID LOG
  for svc in "$@"; do
    pid=$(svc_pid "$svc") || pid="-"
    if svc_healthy "$svc"; then
      # "foreign": something answers on the port, but this stack dir did not start it.
      if [[ "$pid" == "-" ]]; then state=foreign; else state=healthy; fi
      ver=$(svc_version "$svc")
    else
      state=down ver="-"
    fi
    printf '%-11s %-8s %-9s %-56s %-8s %s\n' "$svc" "$state" "${ver:-?}" "$(svc_address "$svc")" "$pid" "$(log_file "$svc")"
  done
}
