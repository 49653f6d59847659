#!/usr/bin/env bash
# Shared release steps, sourced by deploy-staging.sh and deploy-production.sh.
#
# Order: backup -> migrate -> record rollback targets -> deploy -> smoke -> guard.
# A failure before anything is deployed stops the release; a failure after it rolls back
# (rollback.sh) and exits non-zero. The CLIs can be replaced for tests or dry runs:
# ORION, RAILWAY, VERCEL name the commands to run (default: orion, railway, vercel).

ORION=${ORION:-orion}
RAILWAY=${RAILWAY:-railway}
VERCEL=${VERCEL:-vercel}
DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$DEPLOY_DIR/../.." && pwd)

log() { printf '==> %s\n' "$*" >&2; }
fail() {
  printf 'deploy: %s\n' "$*" >&2
  exit 1
}

# Deployment ids are pasted into JSON and state files: accept only id-shaped values.
safe_value() { [[ $1 =~ ^[A-Za-z0-9._:/+-]*$ ]]; }

state_file() { printf '%s/%s.state\n' "${DEPLOY_STATE_DIR:-.orion/deploy}" "$1"; }

# The live (latest successful) Railway deployment of a service: what a rollback returns to.
railway_live_deployment() {
  "$RAILWAY" deployment list --service "$1" --environment "$2" --json --limit 20 |
    jq -r '[.[] | select(.status == "SUCCESS")][0].id // empty'
}

# The current production deployment of the dashboard's Vercel project.
vercel_live_deployment() {
  local query="projectId=${VERCEL_PROJECT_ID:?set VERCEL_PROJECT_ID}&target=production"
  query+="&state=READY&limit=1${VERCEL_TEAM_ID:+&teamId=$VERCEL_TEAM_ID}"
  "$VERCEL" api "/v6/deployments?$query" | jq -r '.deployments[0].uid // empty'
}

record_rollback_targets() {
  local env_name=$1 api_url=$2 file release api worker dashboard key value
  file=$(state_file "$env_name")
  mkdir -p "$(dirname "$file")"
  release=$("$ORION" ops release-id "$api_url") || release="" # first deploy: nothing live yet
  api=$(railway_live_deployment "$API_SERVICE" "$env_name")
  worker=$(railway_live_deployment "$WORKER_SERVICE" "$env_name")
  dashboard=$(vercel_live_deployment)
  for key in release api worker dashboard; do
    value=${!key}
    safe_value "$value" || fail "unexpected $key id from the platform CLI: $value"
  done
  printf 'PREVIOUS_RELEASE=%s\nRAILWAY_API_PREVIOUS=%s\nRAILWAY_WORKER_PREVIOUS=%s\nVERCEL_PREVIOUS=%s\n' \
    "$release" "$api" "$worker" "$dashboard" >"$file"
  log "rollback targets recorded in $file"
}

rollback_and_fail() {
  log "$1: rolling back"
  "$DEPLOY_DIR/rollback.sh" "$RELEASE_ENV" || log "rollback FAILED: roll back by hand (docs/deployment.md)"
  exit 1
}

deploy_dashboard() {
  local api_url=$1 web_dir=${WEB_DIR:-$REPO_ROOT/src/orion/web} bundle
  [[ -d $web_dir ]] || rollback_and_fail "dashboard files not found in $web_dir"
  bundle=$(mktemp -d)
  # Upload only the static files and a vercel.json whose rewrites point at this backend.
  mkdir -p "$bundle/src/orion"
  cp -R "$web_dir" "$bundle/src/orion/web"
  "$ORION" ops render-vercel --backend-url "$api_url" --output "$bundle/vercel.json" ||
    rollback_and_fail "could not render vercel.json"
  "$VERCEL" deploy "$bundle" --prod --yes || rollback_and_fail "vercel deploy failed"
  rm -rf "$bundle"
}

# deploy_release ENVIRONMENT API_URL GUARD_DURATION
deploy_release() {
  RELEASE_ENV=$1
  local api_url=$2 guard_duration=$3 report rollback_command guard_status=0
  : "${RELEASE_ID:?set RELEASE_ID (the git sha being released)}"
  safe_value "$RELEASE_ID" || fail "RELEASE_ID has unexpected characters"
  API_SERVICE=${RAILWAY_API_SERVICE:-orion-api}
  WORKER_SERVICE=${RAILWAY_WORKER_SERVICE:-orion-worker}
  report=${GUARD_REPORT:-${DEPLOY_STATE_DIR:-.orion/deploy}/guard-$RELEASE_ENV.json}

  # Backup and migration run here with the service's own variables (`railway run`), so the
  # database credentials live in Railway only, never in the CI secrets.
  local with_service_env=("$RAILWAY" run --service "$API_SERVICE" --environment "$RELEASE_ENV" --)
  log "1/6 backup ($RELEASE_ENV)"
  "${with_service_env[@]}" "$ORION" backup create --verify
  log "2/6 migrate"
  "${with_service_env[@]}" "$ORION" db upgrade
  log "3/6 record rollback targets"
  record_rollback_targets "$RELEASE_ENV" "$api_url"

  log "4/6 deploy $RELEASE_ID"
  for service in "$API_SERVICE" "$WORKER_SERVICE"; do
    "$RAILWAY" variables --set "RELEASE_ID=$RELEASE_ID" --service "$service" \
      --environment "$RELEASE_ENV" --skip-deploys || rollback_and_fail "could not set RELEASE_ID"
  done
  for service in "$API_SERVICE" "$WORKER_SERVICE"; do
    "$RAILWAY" up --ci --service "$service" --environment "$RELEASE_ENV" ||
      rollback_and_fail "railway up $service failed"
  done
  "$ORION" ops wait-release "$api_url" --release-id "$RELEASE_ID" --timeout 10m ||
    rollback_and_fail "$api_url never served $RELEASE_ID"
  deploy_dashboard "$api_url"

  log "5/6 smoke"
  "$DEPLOY_DIR/smoke-test.sh" "$api_url" || rollback_and_fail "smoke test failed"

  log "6/6 guard for $guard_duration"
  rollback_command=$(printf '%q %q' "$DEPLOY_DIR/rollback.sh" "$RELEASE_ENV")
  local guard_args=(guard "$api_url" --duration "$guard_duration" --report "$report"
    --rollback-command "$rollback_command")
  if [[ -n ${GUARD_PROMETHEUS_URL:-} ]]; then
    guard_args+=(--prometheus "$GUARD_PROMETHEUS_URL")
  fi
  "$ORION" "${guard_args[@]}" || guard_status=$?
  case $guard_status in
    0) log "release $RELEASE_ID is live on $RELEASE_ENV" ;;
    1) fail "guard tripped and rolled back (report: $report)" ;;
    *)
      printf 'deploy: guard could not judge the release (exit %s, report: %s);' "$guard_status" "$report" >&2
      printf ' it stays live: decide by hand (docs/deployment.md, runbook)\n' >&2
      exit 2
      ;;
  esac
}
