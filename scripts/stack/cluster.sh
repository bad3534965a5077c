# shellcheck shell=bash
# Cluster mode of the stack (sourced by lib.sh, never run): 2 shards x 2 replicas of ClickHouse
# 18.16 (services ch-s<shard>r<replica>) sharing the stack's ZooKeeper, and a 3-master Redis Cluster
# (redis-c1..3). On with `npm run stack:up -- --cluster` or TRIBUTARY_STACK_CLUSTER=1; the default
# stack is started too. Ports follow src/config/endpoints.ts (CLUSTER_BASE_PORTS), shifted by
# TRIBUTARY_PORT_OFFSET; their bases differ from every other service's modulo 1000, so stacks
# 1000 ports apart never collide.

TRIBUTARY_CLUSTER_CLICKHOUSE=(ch-s1r1 ch-s1r2 ch-s2r1 ch-s2r2)
TRIBUTARY_CLUSTER_REDIS=(redis-c1 redis-c2 redis-c3)
TRIBUTARY_CLUSTER_SERVICES=("${TRIBUTARY_CLUSTER_CLICKHOUSE[@]}" "${TRIBUTARY_CLUSTER_REDIS[@]}")
CLICKHOUSE_CLUSTER_NAME=tributary_cluster

cluster_requested() { [[ "${TRIBUTARY_STACK_CLUSTER:-}" == 1 || "${TRIBUTARY_STACK_CLUSTER:-}" == true ]]; }

# True when any cluster service of this stack dir is running.
cluster_running() {
  local s
  for s in "${TRIBUTARY_CLUSTER_SERVICES[@]}"; do svc_pid "$s" >/dev/null && return 0; done
  return 1
}

is_cluster_service() {
  local s
  for s in "${TRIBUTARY_CLUSTER_SERVICES[@]}"; do [[ "$s" == "$1" ]] && return 0; done
  return 1
}

# ch-s2r1 -> 2 (0-based: shards in order, replicas in order within a shard)
ch_index() {
  local shard=${1#ch-s} replica=${1#*r}
  shard=${shard%%r*}
  echo $(((shard - 1) * 2 + replica - 1))
}
ch_http_port() { echo $((8124 + $(ch_index "$1") + TRIBUTARY_PORT_OFFSET)); }
ch_tcp_port() { echo $((9001 + $(ch_index "$1") + TRIBUTARY_PORT_OFFSET)); }
ch_interserver_port() { echo $((9011 + $(ch_index "$1") + TRIBUTARY_PORT_OFFSET)); }

# Redis Cluster's bus port defaults to port + 10000, past 65535 at large offsets: set it explicitly.
redis_c_port() { echo $((6379 + ${1#redis-c} + TRIBUTARY_PORT_OFFSET)); }
redis_c_bus_port() { echo $((6389 + ${1#redis-c} + TRIBUTARY_PORT_OFFSET)); }

cluster_svc_ports() {
  case "$1" in
  ch-*) echo "$(ch_http_port "$1") $(ch_tcp_port "$1") $(ch_interserver_port "$1")" ;;
  redis-c*) echo "$(redis_c_port "$1") $(redis_c_bus_port "$1")" ;;
  esac
}

cluster_svc_address() {
  case "$1" in
  ch-*) echo "http://127.0.0.1:$(ch_http_port "$1") (native :$(ch_tcp_port "$1"))" ;;
  redis-c*) echo "redis://127.0.0.1:$(redis_c_port "$1") (cluster bus :$(redis_c_bus_port "$1"))" ;;
  esac
}

cluster_shards_xml() {
  clickhouse_shard_xml "$(ch_tcp_port ch-s1r1)" "$(ch_tcp_port ch-s1r2)"
  clickhouse_shard_xml "$(ch_tcp_port ch-s2r1)" "$(ch_tcp_port ch-s2r2)"
}

# The default server's config.xml with this replica's ports and directory, then its replication
# config.d file, then smaller caches: four servers on a small machine, ~100 MB RSS each.
write_cluster_clickhouse_config() {
  local svc=$1 d="$TRIBUTARY_STACK_DIR/$1" shard replica
  shard=${svc#ch-s} && shard=${shard%%r*} && replica=${svc#*r}
  (
    CLICKHOUSE_HTTP_PORT=$(ch_http_port "$svc")
    CLICKHOUSE_TCP_PORT=$(ch_tcp_port "$svc")
    CLICKHOUSE_INTERSERVER_PORT=$(ch_interserver_port "$svc")
    write_clickhouse_config "$d"
  ) || return 1
  write_clickhouse_replication "$d" "$ZOOKEEPER_ROOT_CLUSTER" "$CLICKHOUSE_CLUSTER_NAME" \
    "0$shard" "r$replica" "$(cluster_shards_xml)"
  cat >"$d/config.d/memory.xml" <<'EOF'
<?xml version="1.0"?>
<!-- Written by scripts/stack/up.sh; edits are overwritten. -->
<yandex>
    <mark_cache_size>16777216</mark_cache_size>
    <uncompressed_cache_size>16777216</uncompressed_cache_size>
    <max_concurrent_queries>20</max_concurrent_queries>
</yandex>
EOF
}

cluster_svc_config() {
  case "$1" in
  ch-*) write_cluster_clickhouse_config "$1" ;;
  redis-c*) mkdir -p "$TRIBUTARY_STACK_DIR/$1/data" ;;
  esac
}

cluster_svc_command() {
  local d="$TRIBUTARY_STACK_DIR/$1"
  case "$1" in
  ch-*) echo clickhouse-server "--config-file=$d/config.xml" ;;
  redis-c*)
    # nodes.conf keeps the node's id and slots across restarts.
    echo redis-server --port "$(redis_c_port "$1")" --bind 127.0.0.1 --dir "$d/data" --appendonly yes \
      --appendfsync everysec --daemonize no --logfile "''" --cluster-enabled yes \
      --cluster-config-file nodes.conf --cluster-port "$(redis_c_bus_port "$1")" --cluster-node-timeout 5000
    ;;
  esac
}

cluster_svc_healthy() {
  case "$1" in
  ch-*) [[ "$(curl -fsS -m 3 "http://127.0.0.1:$(ch_http_port "$1")/ping" 2>/dev/null)" == Ok.* ]] ;;
  redis-c*) [[ "$(redis-cli -h 127.0.0.1 -p "$(redis_c_port "$1")" ping 2>/dev/null)" == PONG ]] ;;
  esac
}

cluster_svc_version() {
  case "$1" in
  ch-*) curl -fsS -m 3 "http://127.0.0.1:$(ch_http_port "$1")/?query=SELECT%20version()" 2>/dev/null ;;
  redis-c*) redis-cli -h 127.0.0.1 -p "$(redis_c_port "$1")" INFO server 2>/dev/null | tr -d '\r' | sed -n 's/^redis_version://p' ;;
  esac
}

redis_cluster_state() {
  redis-cli -h 127.0.0.1 -p "$(redis_c_port "$1")" CLUSTER INFO 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_state://p'
}

# Joins the three masters into one cluster the first time (a restarted node rejoins by its
# nodes.conf), then waits until every node reports cluster_state:ok.
redis_cluster_form() {
  local s known addrs=()
  known=$(redis-cli -h 127.0.0.1 -p "$(redis_c_port redis-c1)" CLUSTER INFO 2>/dev/null | tr -d '\r' |
    sed -n 's/^cluster_known_nodes://p')
  if [[ "$known" != "${#TRIBUTARY_CLUSTER_REDIS[@]}" ]]; then
    for s in "${TRIBUTARY_CLUSTER_REDIS[@]}"; do addrs+=("127.0.0.1:$(redis_c_port "$s")"); done
    log "forming the Redis Cluster of ${addrs[*]}"
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >>"$(log_file redis-c1)" 2>&1 ||
      die "redis-cli --cluster create failed; see $(log_file redis-c1)"
  fi
  local deadline=$((SECONDS + TRIBUTARY_STACK_TIMEOUT))
  for s in "${TRIBUTARY_CLUSTER_REDIS[@]}"; do
    while [[ "$(redis_cluster_state "$s")" != ok ]]; do
      ((SECONDS < deadline)) || die "Redis Cluster node $s not in cluster_state:ok after ${TRIBUTARY_STACK_TIMEOUT}s"
      sleep 0.2
    done
  done
  log "Redis Cluster ok: ${#TRIBUTARY_CLUSTER_REDIS[@]} masters"
}

# Lines for the env file (see write_env_file).
cluster_env_lines() {
  local s urls=() nodes=()
  for s in "${TRIBUTARY_CLUSTER_CLICKHOUSE[@]}"; do urls+=("http://127.0.0.1:$(ch_http_port "$s")"); done
  for s in "${TRIBUTARY_CLUSTER_REDIS[@]}"; do nodes+=("127.0.0.1:$(redis_c_port "$s")"); done
  echo "export TRIBUTARY_STACK_CLUSTER=1"
  echo "# ClickHouse cluster $CLICKHOUSE_CLUSTER_NAME: 2 shards x 2 replicas, shard by shard, replica by replica."
  echo "export TRIBUTARY_CLICKHOUSE_CLUSTER_URLS=$(IFS=,; echo "${urls[*]}")"
  echo "export TRIBUTARY_REDIS_CLUSTER_NODES=$(IFS=,; echo "${nodes[*]}")"
}
