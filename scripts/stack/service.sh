#!/usr/bin/env bash
# Stops, starts or restarts one service of the stack (for tests that take a service away mid-run).
# Usage: scripts/stack/service.sh <stop|start|restart|status> <kafka|registry|redis|clickhouse>
# Data is kept across stop/start. Same env knobs as up.sh.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

action=${1:-}
svc=${2:-}
usage="usage: $0 <stop|start|restart|status> <$(IFS='|'; echo "${TRIBUTARY_SERVICES[*]}")>"
[[ -n "$action" && -n "$svc" ]] || die "$usage"
is_service "$svc" || die "unknown service '$svc'; $usage"
mkdir -p "$TRIBUTARY_STACK_DIR" "$STACK_RUN" "$STACK_LOGS"

start() {
  if ! svc_pid "$svc" >/dev/null; then
    [[ "$svc" == kafka || "$svc" == registry ]] && ensure_maven_settings
    svc_install "$svc"
  fi
  svc_start "$svc"
  if [[ "$svc" == registry ]]; then registry_set_compat; fi
  if [[ "$svc" == kafka ]]; then write_env_file; fi
}

case "$action" in
stop) svc_stop "$svc" ;;
start) start ;;
restart) svc_stop "$svc" && start ;;
status) exec bash "$(dirname "${BASH_SOURCE[0]}")/status.sh" "$svc" ;;
*) die "$usage" ;;
esac
