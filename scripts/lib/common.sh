# Shared by scripts/dev.sh and scripts/test.sh: installing what is missing,
# building, and starting/stopping PostgreSQL, Redis and NATS on loopback.
# Every server is started in a folder we name and stopped by the PID it wrote.

GIIA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# ccache: paths relative to the checkout and no build-directory hashing, so
# another clone (CI) or build directory reuses the same cache entries.
export CCACHE_BASEDIR="$GIIA_ROOT" CCACHE_NOHASHDIR=1
PG_BIN=/usr/lib/postgresql/15/bin

# Debian packages giia builds and tests with (all from bookworm).
GIIA_PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache mold clang-format curl gcovr
  clang-14 libclang-rt-14-dev clang-tidy-14
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libpq-dev libsodium-dev libnats-dev libcurl4-openssl-dev libhiredis-dev libssl-dev libboost-dev libcpp-httplib-dev libspdlog-dev libcli11-dev nlohmann-json3-dev libexpected-dev catch2
  postgresql redis-server nats-server prometheus pgbouncer
)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

install_packages() {
  local missing=()
  for p in "${GIIA_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    [[ $(id -u) == 0 ]] || die "missing packages ${missing[*]}: run as root or install them"
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# build DIR BUILD_TYPE [cmake args...]: configure once, then build with Ninja.
build() {
  local dir=$1 type=$2
  shift 2
  if [[ ! -f $dir/build.ninja ]]; then
    cmake -S "$GIIA_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
  fi
  cmake --build "$dir" -j "${GIIA_JOBS:-2}"
}

# A TCP port on 127.0.0.1 that nothing listens on.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# wait_until SECONDS CMD...: polls CMD until it succeeds or the deadline passes.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

# pg_start DIR PORT PASSWORD [extra server settings...]
# PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
pg_start() {
  local dir=$1 port=$2 password=$3
  shift 3
  id postgres >/dev/null 2>&1 || die "no postgres user: install the postgresql package"
  install -d -o postgres -g postgres -m 700 "$dir"
  runuser -u postgres -- test -w "$dir" || die "the postgres user cannot reach $dir; clone the checkout where other users can traverse its parents"
  if [[ ! -f $dir/data/PG_VERSION ]]; then
    local pwfile="$dir/pwfile"
    # Mode 0600 from its creation; initdb reads the password from it (never
    # from its command line).
    (
      umask 077
      printf '%s\n' "$password" >"$pwfile"
    )
    chown postgres "$pwfile"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$dir/data" -U postgres --pwfile="$pwfile" \
      -A scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    rm -f "$pwfile"
  fi
  local opts="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c max_connections=200"
  for s in "$@"; do opts+=" -c $s"; done
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o "$opts" start >/dev/null ||
    { tail -20 "$dir/server.log" >&2; die "PostgreSQL did not start on 127.0.0.1:$port"; }
  head -1 "$dir/data/postmaster.pid" >"$dir/pid"
}

pg_stop() {
  local dir=$1
  [[ -f $dir/data/postmaster.pid ]] || return 0
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  rm -f "$dir/pid"
}

# redis_start DIR PORT
redis_start() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize no \
    --dir "$dir" --logfile "$dir/redis.log" </dev/null >/dev/null 2>&1 &
  echo $! >"$dir/pid"
  wait_until 10 redis-cli -h 127.0.0.1 -p "$port" ping || die "Redis did not start on 127.0.0.1:$port"
}

# nats_start DIR PORT MONITOR_PORT
nats_start() {
  local dir=$1 port=$2 monitor=$3
  mkdir -p "$dir/store"
  nats-server -js -a 127.0.0.1 -p "$port" -m "$monitor" -sd "$dir/store" -l "$dir/nats.log" \
    </dev/null >/dev/null 2>&1 &
  echo $! >"$dir/pid"
  wait_until 10 curl -fsS "http://127.0.0.1:$monitor/healthz?js-enabled-only=true" ||
    die "NATS did not start on 127.0.0.1:$port"
}

# stop_pid DIR: stops the process whose PID DIR/pid holds, and waits for it.
stop_pid() {
  local dir=$1 pid
  [[ -f $dir/pid ]] || return 0
  pid=$(cat "$dir/pid")
  if kill "$pid" 2>/dev/null; then
    wait_until 10 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
}

# servers_stop DIR: stops the PostgreSQL, Redis and NATS that pg_start,
# redis_start and nats_start put in DIR/pg, DIR/redis and DIR/nats, and
# removes DIR.
servers_stop() {
  pg_stop "$1/pg"
  stop_pid "$1/redis"
  stop_pid "$1/nats"
  rm -rf "$1"
}

# running DIR: true when DIR/pid names a live process.
running() { [[ -f $1/pid ]] && kill -0 "$(cat "$1/pid")" 2>/dev/null; }

random_secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
