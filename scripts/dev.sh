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
#
# giia serves on 127.0.0.1 only (the seeded admin's password is in .devenv/):
# GIIA_DEV_LISTEN=0.0.0.0 scripts/dev.sh serves on every interface instead.
# Secrets are files of mode 0600 from their creation, and no password is ever
# an argument of a command (psql reads them from a pgpass file and stdin).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

DEV="$GIIA_ROOT/.devenv"
GIIA="$GIIA_ROOT/build/dev/src/giia"

# private_file FILE: writes stdin to FILE, mode 0600 from its creation (a
# new file under umask 077, then renamed over FILE, whatever FILE's mode was).
private_file() {
  local file=$1
  (
    umask 077
    rm -f "$file.new"
    cat >"$file.new"
  )
  mv -f "$file.new" "$file"
}

# A random secret in FILE unless FILE already holds one.
ensure_secret() {
  [[ -s $1 ]] || random_secret | private_file "$1"
}

# write_env PG_PORT REDIS_PORT NATS_PORT: .devenv/env (mode 0600), with the
# passwords read from their files.
write_env() {
  local pg_port=$1 redis_port=$2 nats_port=$3
  local listen=${GIIA_DEV_LISTEN:-127.0.0.1}
  private_file "$DEV/env" <<ENV
# Written by scripts/dev.sh. Use: giia --env-file .devenv/env COMMAND
DATABASE_URL=postgresql://giia:$(cat "$DEV/pg-password")@127.0.0.1:$pg_port/giia
REDIS_URL=redis://127.0.0.1:$redis_port
NATS_URL=nats://127.0.0.1:$nats_port
JWT_SECRET=$(cat "$DEV/jwt-secret")
HTTP_HOST=$listen
GRPC_HOST=$listen
LOG_FORMAT=text
EMAIL_PROVIDER=file
EMAIL_FILE_DIR=$DEV/mail
PUBLIC_BASE_URL=http://127.0.0.1:8083
ENV
}

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
  ensure_secret "$DEV/pg-password"
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

  # The application's own role and database; the superuser stays for admin
  # work. psql finds the password in a pgpass file; the SQL that carries it
  # goes on stdin.
  private_file "$DEV/pgpass" <<<"127.0.0.1:$pg_port:*:postgres:$pgpass"
  local admin="postgresql://postgres@127.0.0.1:$pg_port/postgres"
  if ! PGPASSFILE="$DEV/pgpass" psql -qtA "$admin" -c "SELECT 1 FROM pg_roles WHERE rolname = 'giia'" | grep -q 1; then
    PGPASSFILE="$DEV/pgpass" psql -q -v ON_ERROR_STOP=1 "$admin" >/dev/null <<SQL
CREATE ROLE giia LOGIN PASSWORD '$pgpass';
CREATE DATABASE giia OWNER giia;
SQL
  fi

  ensure_secret "$DEV/jwt-secret"
  write_env "$pg_port" "$redis_port" "$nats_port"

  log "migrating"
  "$GIIA" --env-file "$DEV/env" migrate up --wait 10s
  log "seeding roles and the local admin"
  ensure_secret "$DEV/admin-password"
  "$GIIA" --env-file "$DEV/env" seed-roles --admin-email admin@giia.local <"$DEV/admin-password"

  cat <<DONE

giia's local environment is up (servers in .devenv/, stop them with scripts/dev.sh down).

  DATABASE_URL=postgresql://giia:[see .devenv/pg-password]@127.0.0.1:$pg_port/giia
  REDIS_URL=redis://127.0.0.1:$redis_port
  NATS_URL=nats://127.0.0.1:$nats_port
  admin: admin@giia.local, password in .devenv/admin-password

  auth:    REST http://127.0.0.1:8083, gRPC 127.0.0.1:9091 (reflection on)
  catalog: REST http://127.0.0.1:8084, gRPC 127.0.0.1:9092 (reflection on)
  listening on ${GIIA_DEV_LISTEN:-127.0.0.1} only (GIIA_DEV_LISTEN=0.0.0.0 for every interface)
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

# Sourced (by tests/scripts/dev_sh_test.sh): the functions only.
[[ ${BASH_SOURCE[0]} == "$0" ]] || return 0

case "${1:-up}" in
  up) up && serve ;;
  setup) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: scripts/dev.sh [up|setup|down|status]" ;;
esac
