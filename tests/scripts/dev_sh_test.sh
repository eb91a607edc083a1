#!/usr/bin/env bash
# scripts/dev.sh keeps its secrets: files of mode 0600 from their creation,
# no password on any command line, giia on loopback unless GIIA_DEV_LISTEN
# says otherwise. The file functions run for real (dev.sh sourced); the
# command lines are checked statically, and the check is shown to catch each
# kind of violation.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dev="$root/scripts/dev.sh"
common="$root/scripts/lib/common.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mode() { stat -c %a "$1"; }

# --- static: command lines and secret files --------------------------------

# Lines of FILE outside comments and here-document bodies (what a here
# document holds goes to a file or stdin, never to a command line).
code_lines() {
  awk '
    heredoc != "" { line = $0; sub(/^\t+/, "", line); if (line == heredoc) heredoc = ""; next }
    /^[[:space:]]*#/ { next }
    {
      print FILENAME ":" FNR ": " $0
      if (match($0, /<<-?[[:space:]]*["\047]?[A-Za-z_]+/)) {
        word = substr($0, RSTART, RLENGTH)
        if (substr($0, RSTART, 3) != "<<<") { gsub(/^<<-?[[:space:]]*["\047]?/, "", word); heredoc = word }
      }
    }' "$@"
}

# Problems in FILE...: a password on a command line, a secret file written
# without private_file, a chmod after writing.
check_files() {
  local lines
  lines=$(code_lines "$@")
  # A command that runs as a process, with a secret in its arguments: the
  # password variable, a password or secret file read inline.
  local commands='(psql|pg_ctl|initdb|runuser|redis-cli|redis-server|nats-server|curl|\$GIIA|giia)([[:space:]]|$)'
  local secrets='\$\{?(pgpass|password)|\$\(cat[^)]*(password|secret)|PASSWORD='
  {
    grep -E "$commands" <<<"$lines" | grep -E "$secrets"
    grep -E 'redis-cli[^|;&]*[[:space:]](-a|--pass|--askpass|--user)[[:space:]]' <<<"$lines"
    # A URL with a password, anywhere but in a here document (a variable
    # that holds one ends up on a command line).
    grep -E '://[^/@[:space:]]*:[^/@[:space:]]*@' <<<"$lines"
    # A secret file written with a plain redirection (its mode comes from
    # the umask; a chmod afterwards narrows it too late).
    grep -E '>[[:space:]]*"?\$DEV/(pg-password|jwt-secret|admin-password|pgpass|env)\b' <<<"$lines"
    grep -E '(^|[[:space:];])chmod[[:space:]]' <<<"$lines"
  } || true
}

problems=$(check_files "$dev" "$common")
[[ -z $problems ]] || fail "a secret on a command line or a file not created 0600:"$'\n'"$problems"

# The check catches each kind of violation.
expect_caught() {  # LINE
  printf '#!/usr/bin/env bash\n%s\n' "$1" >"$tmp/bad.sh"
  [[ -n $(check_files "$tmp/bad.sh") ]] || fail "the check missed: $1"
}
expect_caught 'psql -q "postgresql://postgres:$pgpass@127.0.0.1:5432/postgres" -c "SELECT 1"'
expect_caught 'local admin="postgresql://postgres:$pgpass@127.0.0.1:$pg_port/postgres"'
expect_caught 'giia --database-url "$url" migrate up --password "$password"'
expect_caught 'psql -q "$admin" -c "CREATE ROLE giia LOGIN PASSWORD '"'"'$pgpass'"'"'"'
expect_caught 'redis-cli -a "$(cat "$DEV/redis-password")" ping'
expect_caught 'random_secret >"$DEV/jwt-secret"; chmod 600 "$DEV/jwt-secret"'
expect_caught 'cat >"$DEV/env" <<ENV'
# ... and a here document's body is not a command line.
printf '%s\n' 'psql -q "$admin" <<SQL' "CREATE ROLE giia LOGIN PASSWORD '\$pgpass';" 'SQL' >"$tmp/ok.sh"
[[ -z $(check_files "$tmp/ok.sh") ]] || fail "a here document's body counted as a command line"

# --- dynamic: dev.sh's own functions -----------------------------------------

# shellcheck source=../../scripts/dev.sh
source "$dev"
DEV="$tmp/devenv"
mkdir -p "$DEV"
umask 022

# A new secret file is 0600; an existing world-readable one is replaced by
# a 0600 one, never chmod-ed after its content is in it.
echo old >"$DEV/pg-password"
chmod 644 "$DEV/pg-password"
printf 'new\n' | private_file "$DEV/pg-password"
[[ $(mode "$DEV/pg-password") == 600 ]] || fail "private_file left mode $(mode "$DEV/pg-password")"
[[ $(cat "$DEV/pg-password") == new ]] || fail "private_file wrote '$(cat "$DEV/pg-password")'"
ensure_secret "$DEV/jwt-secret"
[[ $(mode "$DEV/jwt-secret") == 600 && -s $DEV/jwt-secret ]] || fail "ensure_secret: mode $(mode "$DEV/jwt-secret")"
before=$(cat "$DEV/jwt-secret")
ensure_secret "$DEV/jwt-secret"
[[ $(cat "$DEV/jwt-secret") == "$before" ]] || fail "ensure_secret replaced an existing secret"
[[ $(umask) == 0022 ]] || fail "private_file changed the caller's umask to $(umask)"

# giia serves on loopback unless GIIA_DEV_LISTEN says otherwise.
unset GIIA_DEV_LISTEN
write_env 55432 56379 54222
[[ $(mode "$DEV/env") == 600 ]] || fail ".devenv/env has mode $(mode "$DEV/env")"
grep -qx 'HTTP_HOST=127.0.0.1' "$DEV/env" || fail ".devenv/env does not bind HTTP to 127.0.0.1"
grep -qx 'GRPC_HOST=127.0.0.1' "$DEV/env" || fail ".devenv/env does not bind gRPC to 127.0.0.1"
grep -qx 'DATABASE_URL=postgresql://giia:new@127.0.0.1:55432/giia' "$DEV/env" || fail ".devenv/env: DATABASE_URL"
GIIA_DEV_LISTEN=0.0.0.0 write_env 55432 56379 54222
grep -qx 'HTTP_HOST=0.0.0.0' "$DEV/env" || fail "GIIA_DEV_LISTEN=0.0.0.0 was not honoured"
grep -qx 'GRPC_HOST=0.0.0.0' "$DEV/env" || fail "GIIA_DEV_LISTEN=0.0.0.0 was not honoured (gRPC)"
echo "dev.sh: secret files 0600 from creation, no password on a command line, loopback by default"
