#!/usr/bin/env bash
# Lint the release path: GitHub workflows (schema + zizmor), deploy scripts, the Dockerfile.
# Offline and deterministic; .ci/run and the CI workflow both call this one script.
set -euo pipefail
cd "$(dirname "$0")/../.."
run() { uv run --frozen "$@"; }

run check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
run check-jsonschema --builtin-schema custom.github-workflows-require-timeout .github/workflows/*.yml
# Fails on any finding of medium severity or more (offline audits only).
run zizmor --offline --no-progress --min-severity medium .github/workflows
run shellcheck --external-sources scripts/deploy/*.sh
run hadolint config/deploy/Dockerfile.production
