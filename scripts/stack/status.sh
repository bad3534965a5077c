#!/usr/bin/env bash
# Per-service health and version of this stack dir's services. Exits 1 if any is down.
# Usage: scripts/stack/status.sh [service...]   (the cluster's services too when they run or
# TRIBUTARY_STACK_CLUSTER=1)
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

services=("$@")
if ((${#services[@]} == 0)); then
  services=("${TRIBUTARY_SERVICES[@]}")
  if cluster_requested || cluster_running; then services+=("${TRIBUTARY_CLUSTER_SERVICES[@]}"); fi
fi
for s in "${services[@]}"; do is_service "$s" || die "unknown service '$s' (one of: ${TRIBUTARY_SERVICES[*]} ${TRIBUTARY_CLUSTER_SERVICES[*]})"; done

echo "stack dir: $TRIBUTARY_STACK_DIR (TRIBUTARY_PORT_OFFSET=$TRIBUTARY_PORT_OFFSET)"
print_table "${services[@]}"
down=()
for s in "${services[@]}"; do svc_healthy "$s" || down+=("$s"); done
if ((${#down[@]})); then
  echo "down: ${down[*]} (start with: npm run stack:up)" >&2
  exit 1
fi
