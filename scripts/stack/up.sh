#!/usr/bin/env bash
# Starts the local stack (Kafka KRaft, Apicurio Registry, Redis, ZooKeeper, ClickHouse, Prometheus)
# without Docker. Idempotent: a service of this stack dir that is already healthy is left alone.
# Usage: scripts/stack/up.sh [--cluster] [service...]
#   (default: all of kafka registry redis zookeeper clickhouse prometheus; --cluster, or
#   TRIBUTARY_STACK_CLUSTER=1, adds the cluster: ClickHouse ch-s1r1 ch-s1r2 ch-s2r1 ch-s2r2 and Redis
#   Cluster redis-c1..3)
# Knobs: TRIBUTARY_STACK_DIR, TRIBUTARY_PORT_OFFSET, TRIBUTARY_CACHE_DIR, TRIBUTARY_KAFKA_VERSION,
#        APICURIO_VERSION, TRIBUTARY_STACK_TIMEOUT (see scripts/stack/env.sh), TRIBUTARY_STACK_CLUSTER.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

started=$SECONDS
services=()
for a in "$@"; do
  if [[ "$a" == --cluster ]]; then export TRIBUTARY_STACK_CLUSTER=1; else services+=("$a"); fi
done
if ((${#services[@]} == 0)); then
  services=("${TRIBUTARY_SERVICES[@]}")
  if cluster_requested; then services+=("${TRIBUTARY_CLUSTER_SERVICES[@]}"); fi
fi
for s in "${services[@]}"; do is_service "$s" || die "unknown service '$s' (one of: ${TRIBUTARY_SERVICES[*]} ${TRIBUTARY_CLUSTER_SERVICES[*]})"; done
mkdir -p "$TRIBUTARY_STACK_DIR" "$STACK_RUN" "$STACK_LOGS"

# One up.sh at a time per stack dir.
exec 9>"$TRIBUTARY_STACK_DIR/.lock"
flock -w 120 9 || die "another stack:up/down holds $TRIBUTARY_STACK_DIR/.lock"

ensure_apt_packages
ensure_maven_settings

# Downloads first (in parallel), so a slow network never counts against a health timeout.
pids=()
for s in "${services[@]}"; do
  if ! svc_pid "$s" >/dev/null; then
    svc_install "$s" &
    pids+=($!)
  fi
done
for p in "${pids[@]}"; do wait "$p" || die "a download failed (see above)"; done

failed=()
# ZooKeeper first: the ClickHouse servers need its root nodes.
if [[ " ${services[*]} " == *" zookeeper "* ]]; then
  (svc_start zookeeper && zookeeper_create_roots) || failed+=(zookeeper)
fi
# Then every other service in parallel.
declare -A job
for s in "${services[@]}"; do
  [[ "$s" == zookeeper ]] && continue
  svc_start "$s" &
  job[$s]=$!
done
for s in "${!job[@]}"; do wait "${job[$s]}" || failed+=("$s"); done
if [[ " ${services[*]} " == *" redis-c1 "* ]] && [[ " ${failed[*]} " != *" redis-c"* ]]; then
  (redis_cluster_form) || failed+=(redis-cluster)
fi

if [[ " ${services[*]} " == *" registry "* ]] && svc_healthy registry; then
  registry_set_compat
fi
write_env_file
echo
print_table "${services[@]}"
echo
echo "env for clients: source $TRIBUTARY_STACK_DIR/env   (up took $((SECONDS - started))s)"
((${#failed[@]} == 0)) || die "failed to start: ${failed[*]}"
