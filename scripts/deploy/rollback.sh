#!/usr/bin/env bash
# Roll an environment back to the deployments that were live before the last release.
#
#   scripts/deploy/rollback.sh staging|production
#
# The deploy scripts record the rollback targets before deploying (.orion/deploy/ENV.state);
# set RAILWAY_API_PREVIOUS / RAILWAY_WORKER_PREVIOUS / VERCEL_PREVIOUS / PREVIOUS_RELEASE to
# override them by hand. The Railway CLI has no rollback command, so the API and worker are
# rolled back with Railway's public GraphQL mutation deploymentRollback(id) (`railway api`),
# which restores that deployment's image and variables; the dashboard with `vercel rollback`.
# Database migrations are not reverted: they must stay backward compatible (expand/contract).
set -euo pipefail
# shellcheck source=scripts/deploy/lib.sh
source "$(dirname "$0")/lib.sh"

env_name=${1:-}
[[ $env_name == staging || $env_name == production ]] || fail "usage: rollback.sh staging|production"
case $env_name in
  staging) api_url=${API_URL:-https://api-staging.railway.app} ;;
  production) api_url=${API_URL:-https://api-prod.railway.app} ;;
esac

file=$(state_file "$env_name")
declare -A recorded=()
if [[ -f $file ]]; then
  while IFS='=' read -r key value; do
    safe_value "$value" || fail "$file: unexpected value for $key"
    recorded[$key]=$value
  done <"$file"
fi
target() {
  local name=$1
  if [[ -n ${!name:-} ]]; then
    printf '%s\n' "${!name}"
  else
    printf '%s\n' "${recorded[$name]:-}"
  fi
}

api=$(target RAILWAY_API_PREVIOUS)
worker=$(target RAILWAY_WORKER_PREVIOUS)
dashboard=$(target VERCEL_PREVIOUS)
release=$(target PREVIOUS_RELEASE)
for value in "$api" "$worker" "$dashboard" "$release"; do
  safe_value "$value" || fail "unexpected rollback target: $value"
done
[[ -n $api || -n $worker || -n $dashboard ]] ||
  fail "no rollback targets for $env_name (no $file): find them with 'railway deployment list'"

status=0
for id in "$api" "$worker"; do
  [[ -n $id ]] || continue
  log "railway: rolling back to deployment $id"
  # shellcheck disable=SC2016 # $id is a GraphQL variable, not a shell one
  "$RAILWAY" api --variables "$(jq -cn --arg id "$id" '{id: $id}')" \
    'mutation($id: String!) { deploymentRollback(id: $id) }' || status=1
done
if [[ -n $dashboard ]]; then
  log "vercel: rolling back to deployment $dashboard"
  "$VERCEL" rollback "$dashboard" --yes --timeout 5m || status=1
fi
((status == 0)) || fail "a platform rollback failed: check the dashboards"

if [[ -n $release ]]; then
  "$ORION" ops wait-release "$api_url" --release-id "$release" --timeout 10m ||
    fail "$api_url does not serve $release yet"
fi
log "rolled back $env_name${release:+ to $release}"
