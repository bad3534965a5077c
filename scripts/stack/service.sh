#!/usr/bin/env bash
# Stops, starts or restarts one service of the stack (for tests that take a service away mid-run).
# Usage: scripts/stack/service.sh <stop|start|restart|status> <service> (kafka, registry, redis,
# zookeeper, clickhouse, or a cluster service: ch-s1r1 ch-s1r2 ch-s2r1 ch-s2r2 redis-c1 redis-c2 redis-c3)
# Data is kept across stop/start. Same env knobs as up.sh.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

action=${1:-}
svc=${2:-}
usage="usage: $0 <stop|start|restart|status> <$(IFS='|'; echo "${TRIBUTARY_SERVICES[*]}|${TRIBUTARY_CLUSTER_SERVICES[*]}")>"
[[ -n "$action" && -n "$svc" ]] || die "$usage"
is_service "$svc" || die "unknown service '$svc'; $usage"
mkdir -p "$TRIBUTARY_STACK_DIR" "$STACK_RUN" "$STACK_LOGS"

start() {
  if ! svc_pid "$svc" >/dev/null; then
    [[ "$svc" == kafka || "$svc" == registry || "$svc" == zookeeper ]] && ensure_maven_settings
    svc_install "$svc"
  fi
  svc_start "$svc"
  if [[ "$svc" == registry ]]; then registry_set_compat; fi
  if [[ "$svc" == kafka ]]; then write_env_file; fi
  if [[ "$svc" == zookeeper ]]; then zookeeper_create_roots; fi
}

case "$action" in
stop) svc_stop "$svc" ;;
start) start ;;
restart) svc_stop "$svc" && start ;;
status) exec bash "$(dirname "${BASH_SOURCE[0]}")/status.sh" "$svc" ;;
*) die "$usage" ;;
esac
