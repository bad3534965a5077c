# shellcheck shell=bash
# What makes a ClickHouse 18.16 server of the stack a replica (sourced by lib.sh, never run): a
# config.d file beside its config.xml, merged over it by the server, with the ZooKeeper it shares,
# its macros, its cluster in remote_servers and the distributed DDL queue.

# Session timeout of every server's ZooKeeper session: a SIGKILLed and restarted replica serves
# stale data until its old session expires (~11 s at 5000 ms, ~31 s at the default 30000).
export TRIBUTARY_ZOOKEEPER_SESSION_TIMEOUT_MS="${TRIBUTARY_ZOOKEEPER_SESSION_TIMEOUT_MS:-5000}"

# Prints a <shard> element: "<shard> <replica tcp port>...".
clickhouse_shard_xml() {
  local port
  printf '            <shard>\n                <internal_replication>true</internal_replication>\n'
  for port in "$@"; do
    printf '                <replica><host>127.0.0.1</host><port>%s</port></replica>\n' "$port"
  done
  printf '            </shard>\n'
}

# write_clickhouse_replication <server dir> <zookeeper root> <cluster> <shard> <replica> <shards xml>
# Tables are created as ReplicatedMergeTree('/clickhouse/tables/{shard}/<table>', '{replica}');
# {cluster} names the cluster for ON CLUSTER.
write_clickhouse_replication() {
  local d=$1 root=$2 cluster=$3 shard=$4 replica=$5 shards=$6
  mkdir -p "$d/config.d"
  cat >"$d/config.d/replication.xml" <<EOF
<?xml version="1.0"?>
<!-- Written by scripts/stack/up.sh; edits are overwritten. -->
<yandex>
    <zookeeper>
        <node><host>127.0.0.1</host><port>$ZOOKEEPER_PORT</port></node>
        <session_timeout_ms>$TRIBUTARY_ZOOKEEPER_SESSION_TIMEOUT_MS</session_timeout_ms>
        <root>$root</root>
    </zookeeper>
    <macros>
        <cluster>$cluster</cluster>
        <shard>$shard</shard>
        <replica>$replica</replica>
    </macros>
    <remote_servers>
        <$cluster>
$shards
        </$cluster>
    </remote_servers>
    <!-- Without it, ON CLUSTER fails with "DDL background thread is not initialized". -->
    <distributed_ddl>
        <path>/clickhouse/task_queue/ddl</path>
    </distributed_ddl>
</yandex>
EOF
}

# The default server: a one-shard, one-replica cluster, so the same Replicated DDL runs on it.
write_clickhouse_single_replication() {
  write_clickhouse_replication "$TRIBUTARY_STACK_DIR/clickhouse" "$ZOOKEEPER_ROOT_SINGLE" tributary 01 r1 \
    "$(clickhouse_shard_xml "$CLICKHOUSE_TCP_PORT")"
}
