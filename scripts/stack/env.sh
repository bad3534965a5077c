# shellcheck shell=bash
# Shared settings for scripts/stack/*.sh (sourced, never run). Every value can be set from the
# environment; ports follow src/config/endpoints.ts: one TRIBUTARY_PORT_OFFSET shifts them all.

TRIBUTARY_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export TRIBUTARY_REPO_ROOT
export TRIBUTARY_STACK_DIR="${TRIBUTARY_STACK_DIR:-$TRIBUTARY_REPO_ROOT/.stack}"
export TRIBUTARY_CACHE_DIR="${TRIBUTARY_CACHE_DIR:-$HOME/.cache/tributary}"
export TRIBUTARY_PORT_OFFSET="${TRIBUTARY_PORT_OFFSET:-0}"
if ! [[ "$TRIBUTARY_PORT_OFFSET" =~ ^[0-9]+$ ]] || ((TRIBUTARY_PORT_OFFSET > 50000)); then
  echo "TRIBUTARY_PORT_OFFSET=$TRIBUTARY_PORT_OFFSET is not a whole number of ports between 0 and 50000; unset it or pick e.g. 1000" >&2
  return 2 2>/dev/null || exit 2
fi

# Versions.
export TRIBUTARY_KAFKA_VERSION="${TRIBUTARY_KAFKA_VERSION:-4.1.2}"
export TRIBUTARY_KAFKA_SCALA="${TRIBUTARY_KAFKA_SCALA:-2.13}"
export APICURIO_VERSION="${APICURIO_VERSION:-3.0.9}"
export TRIBUTARY_MAVEN_CENTRAL="${TRIBUTARY_MAVEN_CENTRAL:-https://repo.maven.apache.org/maven2}"

# Ports (same bases as src/config/endpoints.ts BASE_PORTS).
_off=$TRIBUTARY_PORT_OFFSET
export KAFKA_PORT=$((9092 + _off))
export KAFKA_CONTROLLER_PORT=$((9093 + _off))
export REGISTRY_PORT=$((8081 + _off))
export REDIS_PORT=$((6379 + _off))
export CLICKHOUSE_HTTP_PORT=$((8123 + _off))
export CLICKHOUSE_TCP_PORT=$((9000 + _off))
export CLICKHOUSE_INTERSERVER_PORT=$((9009 + _off))
export PROMETHEUS_PORT=$((9090 + _off))
# Where the stack's Prometheus looks for an engine: the default TRIBUTARY_METRICS_PORT.
export TRIBUTARY_METRICS_PORT_DEFAULT=$((9464 + _off))
unset _off

# Downloads (shared across stack dirs and clones).
export KAFKA_LIB_DIR="$TRIBUTARY_CACHE_DIR/kafka/$TRIBUTARY_KAFKA_VERSION/lib"
export APICURIO_HOME="$TRIBUTARY_CACHE_DIR/apicurio/$APICURIO_VERSION"
export TRIBUTARY_MAVEN_SETTINGS="$TRIBUTARY_CACHE_DIR/maven/settings.xml"
export TRIBUTARY_MAVEN_REPO="$TRIBUTARY_CACHE_DIR/maven/repository"

# Health-check timeouts (seconds).
export TRIBUTARY_STACK_TIMEOUT="${TRIBUTARY_STACK_TIMEOUT:-90}"
export TRIBUTARY_STOP_TIMEOUT="${TRIBUTARY_STOP_TIMEOUT:-30}"

TRIBUTARY_SERVICES=(kafka registry redis zookeeper clickhouse prometheus)
