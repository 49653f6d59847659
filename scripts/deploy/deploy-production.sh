#!/usr/bin/env bash
# Release a tagged commit to production: backup, migrate, deploy, smoke, guard (15 min).
#
# Run by .github/workflows/deploy-production.yml after a reviewer approves the `production`
# environment. Needs RELEASE_TAG (vMAJOR.MINOR.PATCH, already checked out), RELEASE_ID and the
# same secrets as staging, from the production environment (docs/deployment.md).
set -euo pipefail
# shellcheck source=scripts/deploy/lib.sh
source "$(dirname "$0")/lib.sh"

[[ ${RELEASE_TAG:-} =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
  fail "RELEASE_TAG must look like v1.2.3 (got '${RELEASE_TAG:-}')"
log "production release $RELEASE_TAG (${RELEASE_ID:-RELEASE_ID unset})"
deploy_release production "${API_URL:-https://api-prod.railway.app}" "${GUARD_DURATION:-15m}"
