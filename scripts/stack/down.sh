#!/usr/bin/env bash
# Stops every service this stack dir started (SIGTERM, then SIGKILL after TRIBUTARY_STOP_TIMEOUT s).
# Idempotent. --purge also deletes the stack dir's data (Kafka logs, ClickHouse tables, Redis AOF,
# registry database); downloads in TRIBUTARY_CACHE_DIR are kept.
# Usage: scripts/stack/down.sh [--purge] [--cluster] [service...]
#   (default: every service, the cluster's too; --cluster: only the cluster's)
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

purge=0
services=()
for a in "$@"; do
  case "$a" in
  --purge) purge=1 ;;
  --cluster) services+=("${TRIBUTARY_CLUSTER_SERVICES[@]}") ;;
  *) is_service "$a" || die "unknown service '$a' (one of: ${TRIBUTARY_SERVICES[*]} ${TRIBUTARY_CLUSTER_SERVICES[*]})"; services+=("$a") ;;
  esac
done
((${#services[@]})) || services=("${TRIBUTARY_SERVICES[@]}" "${TRIBUTARY_CLUSTER_SERVICES[@]}")
[[ -d "$TRIBUTARY_STACK_DIR" ]] || exit 0

exec 9>"$TRIBUTARY_STACK_DIR/.lock"
flock -w 120 9 || die "another stack:up/down holds $TRIBUTARY_STACK_DIR/.lock"

# ZooKeeper last: a ClickHouse server stopping without it waits for its session.
declare -A job
for s in "${services[@]}"; do
  [[ "$s" == zookeeper ]] && continue
  svc_stop "$s" &
  job[$s]=$!
done
for s in "${!job[@]}"; do wait "${job[$s]}"; done
if [[ " ${services[*]} " == *" zookeeper "* ]]; then svc_stop zookeeper; fi

if ((purge)); then
  for s in "${services[@]}"; do
    log "deleting $TRIBUTARY_STACK_DIR/$s"
    rm -rf "${TRIBUTARY_STACK_DIR:?}/$s" "$(log_file "$s")"
  done
  if ((${#services[@]} == ${#TRIBUTARY_SERVICES[@]} + ${#TRIBUTARY_CLUSTER_SERVICES[@]})); then
    rm -rf "${TRIBUTARY_STACK_DIR:?}"
  fi
fi
log "stopped: ${services[*]}"
