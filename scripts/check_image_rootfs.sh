#!/usr/bin/env bash
# The Dockerfile's runtime stage, reproduced where no Docker engine runs:
#   1. a minimal Debian bookworm root (debootstrap --variant=minbase, cached
#      in build/image-rootfs), the runtime packages the Dockerfile's runtime
#      stage names, and the uid 10001 user it creates;
#   2. a Release giia (build/rel, stripped as the image's is);
#   3. inside that root, as uid 10001: every library resolves, `giia migrate
#      up`, `giia seed-roles`, `giia serve auth` against PostgreSQL, Redis and
#      NATS of its own, the HEALTHCHECK command and the gRPC probe answer 0,
#      and SIGTERM ends it with 0.
# Needs root (debootstrap, chroot) and Debian's mirror; takes a few minutes
# the first time. Not part of scripts/test.sh: `docker build` is the real
# check wherever an engine runs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

[[ $(id -u) == 0 ]] || die "run as root (debootstrap and chroot)"
ROOT="$GIIA_ROOT/build/image-rootfs"
GIIA="$GIIA_ROOT/build/rel/src/giia"
SERVERS=""
SERVE_PID=""

cleanup() {
  local rc=$?
  if [[ -n $SERVE_PID ]]; then kill "$SERVE_PID" 2>/dev/null || true; fi
  umount "$ROOT/proc" 2>/dev/null || true
  [[ -z $SERVERS ]] || servers_stop "$SERVERS"
  exit $rc
}
trap cleanup EXIT INT TERM

install_packages
command -v debootstrap >/dev/null ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
[[ -x $GIIA ]] || build "$GIIA_ROOT/build/rel" Release -DGIIA_WARNINGS_AS_ERRORS=OFF

if [[ ! -x $ROOT/usr/bin/apt-get ]]; then
  log "debootstrap --variant=minbase bookworm into $ROOT"
  rm -rf "$ROOT"
  debootstrap --variant=minbase bookworm "$ROOT" http://deb.debian.org/debian >"$ROOT.log" 2>&1 ||
    { tail -5 "$ROOT.log" >&2; die "debootstrap failed"; }
fi

# The package list and the user, read from the Dockerfile's runtime stage.
RUNTIME=$(sed -n '/^FROM debian:bookworm-slim/,$p' "$GIIA_ROOT/Dockerfile")
PACKAGES=$(sed -n '/apt-get install/,/rm -rf/p' <<<"$RUNTIME" | tr -d '\\' | tr ' ' '\n' |
  grep -E '^(lib|ca-certificates)' | tr '\n' ' ')
[[ -n $PACKAGES ]] || die "no runtime packages found in the Dockerfile"
log "installing the runtime packages: $PACKAGES"
mount --bind /proc "$ROOT/proc"
chroot "$ROOT" apt-get update -qq
# shellcheck disable=SC2086 # a list of package names
DEBIAN_FRONTEND=noninteractive chroot "$ROOT" apt-get install -y -qq --no-install-recommends \
  $PACKAGES >/dev/null 2>&1
grep -q 'useradd --system --uid 10001' <<<"$RUNTIME" || die "the Dockerfile no longer creates uid 10001"
chroot "$ROOT" sh -c 'getent passwd 10001 >/dev/null || { groupadd --system --gid 10001 giia &&
  useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin giia; }'
install -m 755 "$GIIA" "$ROOT/usr/local/bin/giia"
strip "$ROOT/usr/local/bin/giia"
as_giia() { chroot --userspec=10001:10001 "$ROOT" /usr/local/bin/giia "$@"; }

log "every library the binary links resolves inside the root"
if chroot "$ROOT" ldd /usr/local/bin/giia | grep 'not found'; then die "libraries missing"; fi
as_giia version

log "PostgreSQL, Redis and NATS of its own"
SERVERS=$(mktemp -d "$GIIA_ROOT/build/image-servers.XXXXXX")
chmod 755 "$SERVERS"
PGPASS=$(random_secret)
PG_PORT=$(free_port)
pg_start "$SERVERS/pg" "$PG_PORT" "$PGPASS" fsync=off
REDIS_PORT=$(free_port)
redis_start "$SERVERS/redis" "$REDIS_PORT"
NATS_PORT=$(free_port)
NATS_MONITOR=$(free_port)
nats_start "$SERVERS/nats" "$NATS_PORT" "$NATS_MONITOR"
HTTP_PORT=$(free_port)
GRPC_PORT=$(free_port)
cat >"$ROOT/tmp/giia.env" <<ENV
DATABASE_URL=postgresql://postgres:$PGPASS@127.0.0.1:$PG_PORT/postgres
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
NATS_URL=nats://127.0.0.1:$NATS_PORT
JWT_SECRET=$(random_secret)
HTTP_PORT=$HTTP_PORT
GRPC_PORT=$GRPC_PORT
EMAIL_PROVIDER=console
ENV
chown 10001:10001 "$ROOT/tmp/giia.env"
chmod 600 "$ROOT/tmp/giia.env"

log "migrate up, seed-roles and serve auth as uid 10001 inside the root"
as_giia --env-file /tmp/giia.env migrate up --wait 10s >/dev/null
as_giia --env-file /tmp/giia.env seed-roles >/dev/null
# chroot itself in the background (not the as_giia function, whose subshell
# would take the signal instead of giia).
chroot --userspec=10001:10001 "$ROOT" /usr/local/bin/giia --env-file /tmp/giia.env serve auth \
  >"$SERVERS/serve.log" 2>&1 &
SERVE_PID=$!
wait_until 30 curl -fsS -o /dev/null "http://127.0.0.1:$HTTP_PORT/health/ready" ||
  { tail -20 "$SERVERS/serve.log" >&2; die "serve auth did not become ready"; }
# The Dockerfile's HEALTHCHECK, then the Kubernetes gRPC probe.
as_giia health --http "http://127.0.0.1:$HTTP_PORT/health/live" >/dev/null
as_giia health --grpc "127.0.0.1:$GRPC_PORT" >/dev/null
kill -TERM "$SERVE_PID"
rc=0
wait "$SERVE_PID" || rc=$?
((rc == 0)) || { tail -5 "$SERVERS/serve.log" >&2; die "serve auth exited $rc on SIGTERM"; }
SERVE_PID=""
log "the runtime stage works: libraries, uid 10001, migrate, seed-roles, serve, probes, SIGTERM"
