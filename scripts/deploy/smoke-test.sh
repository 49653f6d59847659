#!/usr/bin/env bash
# Post-deployment smoke test of an environment or URL (the checks live in `orion smoke`).
#
#   scripts/deploy/smoke-test.sh staging|production|https://api.example.com
set -euo pipefail
# shellcheck source=scripts/deploy/lib.sh
source "$(dirname "$0")/lib.sh"

case ${1:-} in
  staging) url=${API_URL:-https://api-staging.railway.app} ;;
  production) url=${API_URL:-https://api-prod.railway.app} ;;
  https://* | http://*) url=$1 ;;
  *) fail "usage: smoke-test.sh staging|production|URL" ;;
esac
log "smoke test of $url"
"$ORION" smoke "$url"
