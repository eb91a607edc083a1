#!/usr/bin/env bash
# The local giia environment, in .devenv/ of the checkout (git-ignored).
#
#   scripts/dev.sh [up]    install what is missing, build giia, start PostgreSQL 15,
#                          Redis 7 and NATS (JetStream) on loopback, migrate, seed,
#                          then serve auth and catalog in the foreground, in one
#                          process (`giia serve all`; Ctrl-C stops it)
#   scripts/dev.sh setup   all of `up` except serving
#   scripts/dev.sh down    stop every server it started
#   scripts/dev.sh status  what runs, where, and the migration status
#
# Settings land in .devenv/env; use them with `giia --env-file .devenv/env ...`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

DEV="$GIIA_ROOT/.devenv"
GIIA="$GIIA_ROOT/build/dev/src/giia"

# Ports: kept from the last start, else the usual ones shifted into a quiet
# range, else any free one.
pick_port() {
  local name=$1 preferred=$2
  if [[ -f $DEV/ports/$name ]]; then cat "$DEV/ports/$name"; return; fi
  local p=$preferred
  (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && p=$(free_port)
  mkdir -p "$DEV/ports"
  echo "$p" | tee "$DEV/ports/$name"
}

up() {
  install_packages
  log "building giia (build/dev)"
  build "$GIIA_ROOT/build/dev" RelWithDebInfo -DGIIA_BUILD_TESTS=OFF
  mkdir -p "$DEV"
  [[ -f $DEV/pg-password ]] || { random_secret >"$DEV/pg-password"; chmod 600 "$DEV/pg-password"; }
  local pg_port redis_port nats_port nats_monitor pgpass
  pg_port=$(pick_port postgres 55432)
  redis_port=$(pick_port redis 56379)
  nats_port=$(pick_port nats 54222)
  nats_monitor=$(pick_port nats-monitor 58222)
  pgpass=$(cat "$DEV/pg-password")

  if running "$DEV/pg"; then log "PostgreSQL already runs on 127.0.0.1:$pg_port"; else
    log "starting PostgreSQL on 127.0.0.1:$pg_port"
    pg_start "$DEV/pg" "$pg_port" "$pgpass"
  fi
  if running "$DEV/redis"; then log "Redis already runs on 127.0.0.1:$redis_port"; else
    log "starting Redis on 127.0.0.1:$redis_port"
    redis_start "$DEV/redis" "$redis_port"
  fi
  if running "$DEV/nats"; then log "NATS already runs on 127.0.0.1:$nats_port"; else
    log "starting NATS with JetStream on 127.0.0.1:$nats_port"
    nats_start "$DEV/nats" "$nats_port" "$nats_monitor"
  fi

  # The application's own role and database; the superuser stays for admin work.
  local admin="postgresql://postgres:$pgpass@127.0.0.1:$pg_port/postgres"
  if ! psql -qtA "$admin" -c "SELECT 1 FROM pg_roles WHERE rolname = 'giia'" | grep -q 1; then
    psql -q "$admin" -c "CREATE ROLE giia LOGIN PASSWORD '$pgpass'" >/dev/null
    psql -q "$admin" -c "CREATE DATABASE giia OWNER giia" >/dev/null
  fi

  [[ -f $DEV/jwt-secret ]] || { random_secret >"$DEV/jwt-secret"; chmod 600 "$DEV/jwt-secret"; }
  cat >"$DEV/env" <<ENV
# Written by scripts/dev.sh. Use: giia --env-file .devenv/env COMMAND
DATABASE_URL=postgresql://giia:$pgpass@127.0.0.1:$pg_port/giia
REDIS_URL=redis://127.0.0.1:$redis_port
NATS_URL=nats://127.0.0.1:$nats_port
JWT_SECRET=$(cat "$DEV/jwt-secret")
LOG_FORMAT=text
EMAIL_PROVIDER=file
EMAIL_FILE_DIR=$DEV/mail
PUBLIC_BASE_URL=http://127.0.0.1:8083
ENV
  chmod 600 "$DEV/env"

  log "migrating"
  "$GIIA" --env-file "$DEV/env" migrate up --wait 10s
  log "seeding roles and the local admin"
  [[ -f $DEV/admin-password ]] || { random_secret >"$DEV/admin-password"; chmod 600 "$DEV/admin-password"; }
  "$GIIA" --env-file "$DEV/env" seed-roles --admin-email admin@giia.local <"$DEV/admin-password"

  cat <<DONE

giia's local environment is up (servers in .devenv/, stop them with scripts/dev.sh down).

  DATABASE_URL=postgresql://giia:[see .devenv/pg-password]@127.0.0.1:$pg_port/giia
  REDIS_URL=redis://127.0.0.1:$redis_port
  NATS_URL=nats://127.0.0.1:$nats_port
  admin: admin@giia.local, password in .devenv/admin-password

  auth:    REST http://127.0.0.1:8083, gRPC 127.0.0.1:9091 (reflection on)
  catalog: REST http://127.0.0.1:8084, gRPC 127.0.0.1:9092 (reflection on)
  e-mails (verification links): one JSON file each in .devenv/mail/

Other terminal:
  build/dev/src/giia --env-file .devenv/env migrate status
  build/dev/src/giia health --http http://127.0.0.1:8083/health/ready
  build/dev/src/giia health --grpc 127.0.0.1:9092 --service giia.catalog.v1.CatalogService
  scripts/dev.sh status | scripts/dev.sh down | scripts/test.sh
DONE
}

serve() {
  log "serving auth and catalog (Ctrl-C stops serving; the servers keep running)"
  exec "$GIIA" --env-file "$DEV/env" serve all
}

down() {
  pg_stop "$DEV/pg"
  stop_pid "$DEV/redis"
  stop_pid "$DEV/nats"
  log "stopped the local servers"
}

status() {
  local rc=0
  for s in pg redis nats; do
    local port_name=$s
    [[ $s == pg ]] && port_name=postgres
    if running "$DEV/$s"; then
      printf '%-8s running  pid %-7s 127.0.0.1:%s\n' "$s" "$(cat "$DEV/$s/pid")" "$(cat "$DEV/ports/$port_name" 2>/dev/null)"
    else
      printf '%-8s stopped\n' "$s"
      rc=1
    fi
  done
  if [[ -x $GIIA && -f $DEV/env ]] && running "$DEV/pg"; then
    "$GIIA" --env-file "$DEV/env" migrate status || rc=1
  fi
  return $rc
}

case "${1:-up}" in
  up) up && serve ;;
  setup) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: scripts/dev.sh [up|setup|down|status]" ;;
esac
