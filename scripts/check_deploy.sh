#!/usr/bin/env bash
# The deployment checks: k8s/, docker-compose.yaml, deploy/, Dockerfile and
# .github/workflows/ci.yml, each against the giia binary itself. No Docker
# daemon and no cluster needed.
#   GIIA_BINARY=build/test/src/giia scripts/check_deploy.sh
# GIIA_BINARY: the giia to check against (default: build/test/src/giia, the
# one scripts/test.sh builds). node_modules must be installed (npm ci:
# kubernetes-models, buf). Installs Debian's docker-compose (and with it
# python3-yaml) and promtool's package when missing and run as root.
# GIIA_DEPLOY_LIVE=0 skips booting the services (which needs root for a
# private network namespace).
# Every check prints "ok" or "FAIL what: why"; exits 1 when any failed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$GIIA_ROOT"

export GIIA_BINARY="${GIIA_BINARY:-$GIIA_ROOT/build/test/src/giia}"
[[ -x $GIIA_BINARY ]] || die "GIIA_BINARY=$GIIA_BINARY is not an executable giia (build it first)"
export GIIA_BINARY="$(cd "$(dirname "$GIIA_BINARY")" && pwd)/$(basename "$GIIA_BINARY")"

# Tools: node (kubernetes-models), python3 + PyYAML (YAML for the Node
# scripts), docker-compose (config only), promtool, curl, util-linux
# (unshare, nsenter, setpriv), binutils (readelf), apt-cache and dpkg.
missing=()
command -v docker-compose >/dev/null || missing+=(docker-compose)
python3 -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
command -v promtool >/dev/null || missing+=(prometheus)
command -v curl >/dev/null || missing+=(curl)
command -v readelf >/dev/null || missing+=(binutils)
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || die "missing ${missing[*]}: run as root or install them"
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
fi
command -v node >/dev/null || die "node is missing (scripts/test.sh installs it)"
[[ -f node_modules/kubernetes-models/package.json && -x node_modules/.bin/buf ]] ||
  die "node_modules is not installed: run npm ci"

failed=()
for check in check-k8s check-compose check-env-files check-dockerfile check-ci; do
  log "tools/$check.mjs"
  node "tools/$check.mjs" || failed+=("$check")
done

echo
if ((${#failed[@]})); then
  echo "check_deploy: FAILED in ${failed[*]} (the FAIL lines above say what)"
  exit 1
fi
echo "check_deploy: every deployment check passed"
