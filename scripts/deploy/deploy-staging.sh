#!/usr/bin/env bash
# Release the checked-out commit to staging: backup, migrate, deploy, smoke, guard (5 min).
#
# Run by .github/workflows/deploy-staging.yml after CI passes on main. Needs RELEASE_ID (git
# sha), RAILWAY_TOKEN, VERCEL_TOKEN, VERCEL_ORG_ID, VERCEL_PROJECT_ID and METRICS_TOKEN; the
# database variables come from Railway itself (`railway run`, see docs/deployment.md).
set -euo pipefail
# shellcheck source=scripts/deploy/lib.sh
source "$(dirname "$0")/lib.sh"

deploy_release staging "${API_URL:-https://api-staging.railway.app}" "${GUARD_DURATION:-5m}"
