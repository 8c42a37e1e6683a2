#!/usr/bin/env bash
# The one place that knows how to install, start and stop PostgreSQL and Redis.
#
# As a command:  scripts/services.sh <verb> [args...]
# Sourced:       . scripts/services.sh; services <verb> [args...]
#
# Verbs:
#   install [BINARY...]                  install postgresql-15 and redis-server (plus e.g. chromium, wrk) if missing
#   postgres-start DATADIR PORT [durable]
#   postgres-stop DATADIR
#   postgres-running DATADIR [PORT]      exit 0 if a server runs on DATADIR (and listens on PORT)
#   redis-start DATADIR PORT [durable]
#   redis-stop DATADIR
#   redis-running DATADIR [PORT]         exit 0 if a server runs on DATADIR (and listens on PORT)
#   port-free PORT                       exit 0 if nothing listens on 127.0.0.1:PORT
#   free-port                            print a port that is free right now
#
# Environment: QA_PG_BIN (default /usr/lib/postgresql/15/bin).
# Progress and errors go to stderr so that stdout carries only data (free-port).
# Failures exit the shell, also when sourced: the callers are scripts that stop there anyway.
set -euo pipefail

QA_PG_BIN=${QA_PG_BIN:-/usr/lib/postgresql/15/bin}

_svc_log() { printf 'services.sh: %s\n' "$*" >&2; }
_svc_die() { _svc_log "$*"; exit 1; }
_svc_is_root() { [[ $(id -u) -eq 0 ]]; }

_svc_check_port_arg() {
    if [[ ! ${1:-} =~ ^[0-9]{1,5}$ ]] || ((10#$1 < 1 || 10#$1 > 65535)); then
        _svc_die "not a TCP port: '${1:-}'"
    fi
}

_svc_abspath() {
    [[ -n ${1:-} ]] || _svc_die "a data directory is required"
    realpath -m -- "$1"
}

# ---------------------------------------------------------------------------------------------------------------
# install

# Binary name -> Debian package, for the optional extras.
_svc_package_for() {
    case $1 in
        chromium) echo chromium ;;
        redis-cli) echo redis-tools ;;
        psql) echo postgresql-client-15 ;;
        *) echo "$1" ;;
    esac
}

_svc_apt_install() {
    local log=${TMPDIR:-/tmp}/qa-services-apt.log
    # The lock timeout makes us wait for a concurrent apt instead of failing on its lock.
    local apt=(apt-get -o DPkg::Lock::Timeout=300 -y -q)
    _svc_log "installing: $* (log: $log)"
    if DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "$@" >"$log" 2>&1; then
        return 0
    fi
    # A fresh machine often has no package lists yet; updating costs time, so only when needed.
    _svc_log "apt-get install failed; running apt-get update and retrying"
    if DEBIAN_FRONTEND=noninteractive "${apt[@]}" update >>"$log" 2>&1 &&
        DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "$@" >>"$log" 2>&1; then
        return 0
    fi
    tail -n 20 "$log" >&2
    _svc_log "could not install: $*"
    return 1
}

_svc_ensure_postgres_user() {
    id -u postgres >/dev/null 2>&1 && return 0
    _svc_log "creating system user postgres"
    useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
        --shell /usr/sbin/nologin postgres
}

svc_install() {
    local base=() extra=() bin pkg
    [[ -x $QA_PG_BIN/postgres && -x $QA_PG_BIN/initdb && -x $QA_PG_BIN/pg_ctl ]] || base+=(postgresql-15)
    command -v redis-server >/dev/null 2>&1 || base+=(redis-server)
    # OpenMP's runtime, which llama.cpp (the Local provider's native backend) links.
    /sbin/ldconfig -p 2>/dev/null | grep -q 'libgomp\.so\.1' || base+=(libgomp1)
    for bin in "$@"; do
        command -v "$bin" >/dev/null 2>&1 || [[ -x /usr/bin/$bin ]] && continue
        pkg=$(_svc_package_for "$bin")
        [[ " ${extra[*]} " == *" $pkg "* ]] || extra+=("$pkg")
    done

    if ((${#base[@]} + ${#extra[@]} == 0)); then
        _svc_is_root && _svc_ensure_postgres_user
        _svc_log "postgresql-15, redis-server${*:+ and $*} are installed"
        return 0
    fi

    if ! _svc_is_root; then
        local all=("${base[@]}" "${extra[@]}")
        _svc_log "missing packages: ${all[*]}"
        _svc_log "install them with: sudo apt-get install -y --no-install-recommends ${all[*]}"
        exit 1
    fi
    command -v apt-get >/dev/null 2>&1 ||
        _svc_die "apt-get not found; install these packages with your package manager: ${base[*]} ${extra[*]}"

    local rc=0
    # Separate transactions: an unavailable extra (e.g. a browser) must not block the servers.
    if ((${#base[@]})); then _svc_apt_install "${base[@]}" || rc=1; fi
    if ((${#extra[@]})); then _svc_apt_install "${extra[@]}" || rc=1; fi
    _svc_ensure_postgres_user
    return "$rc"
}

# ---------------------------------------------------------------------------------------------------------------
# ports

svc_port_free() {
    local port=$1
    _svc_check_port_arg "$port"
    # A successful connect means someone accepts there.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        return 1
    fi
    # Also catch listeners that do not accept right now (full backlog, other local addresses).
    if command -v ss >/dev/null 2>&1 && [[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]]; then
        return 1
    fi
    return 0
}

# Below the kernel's ephemeral range: a port from inside it can be taken by any outgoing connection's local end
# between our check and the server's bind (seen in tests that start a server on a port chosen earlier).
svc_free_port() {
    local i port low=10000 high=32767 range ephemeral_low
    if range=$(cat /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null); then
        read -r ephemeral_low _ <<<"$range"
        if ((ephemeral_low > low + 1000)); then
            high=$((ephemeral_low - 1))
        fi
    fi
    for ((i = 0; i < 200; i++)); do
        port=$((low + (RANDOM * 32768 + RANDOM) % (high - low + 1)))
        if svc_port_free "$port"; then
            echo "$port"
            return 0
        fi
    done
    _svc_die "no free port found in $low-$high"
}

# ---------------------------------------------------------------------------------------------------------------
# PostgreSQL

# PostgreSQL refuses to run as root, so as root its programs run as postgres; cd / because postgres may not be
# able to enter the caller's working directory.
_svc_pg() {
    local prog=$1
    shift
    if _svc_is_root; then
        (cd / && runuser -u postgres -- "$QA_PG_BIN/$prog" "$@")
    else
        (cd / && "$QA_PG_BIN/$prog" "$@")
    fi
}

# Postgres must be able to enter every directory above its data dir; name the first one it cannot.
_svc_check_traversable() {
    local dir=$1 path="" part
    runuser -u postgres -- test -x "$dir" 2>/dev/null && return 0
    local -a parts
    IFS=/ read -ra parts <<<"$dir"
    for part in "${parts[@]}"; do
        [[ -n $part ]] || continue
        path+="/$part"
        if ! runuser -u postgres -- test -x "$path" 2>/dev/null; then
            _svc_die "PostgreSQL runs as user postgres, which cannot enter $path" \
                "(owner $(stat -c %U "$path"), mode $(stat -c %a "$path")). Use a data directory that postgres can" \
                "reach (every parent at least mode o+x, e.g. 0755 under /tmp), or allow it with: chmod o+x '$path'"
        fi
    done
    _svc_die "user postgres cannot enter $dir"
}

_svc_pg_pid_port() { # prints "PID PORT" from postmaster.pid
    local datadir=$1 pid port
    [[ -r $datadir/postmaster.pid ]] || return 1
    { read -r pid && read -r _ && read -r _ && read -r port; } <"$datadir/postmaster.pid" || return 1
    echo "$pid $port"
}

svc_postgres_running() {
    local datadir port=${2:-} pidport
    datadir=$(_svc_abspath "${1:-}")
    pidport=$(_svc_pg_pid_port "$datadir") || return 1
    _svc_pg pg_ctl status -D "$datadir" >/dev/null 2>&1 || return 1
    [[ -z $port || ${pidport#* } == "$port" ]]
}

svc_postgres_start() {
    local datadir port=${2:-} mode=${3:-}
    datadir=$(_svc_abspath "${1:-}")
    _svc_check_port_arg "$port"
    [[ -z $mode || $mode == durable ]] || _svc_die "postgres-start: third argument must be 'durable' or absent"
    [[ -x $QA_PG_BIN/pg_ctl ]] || _svc_die "PostgreSQL 15 not found in $QA_PG_BIN; run: scripts/services.sh install"

    local parent sockdir log name
    parent=$(dirname "$datadir")
    name=$(basename "$datadir")
    log=$parent/$name.log
    sockdir=$parent/pg-socket
    # Unix socket paths are limited to 107 bytes; a deep checkout falls back to a short private directory.
    if ((${#sockdir} > 80)); then
        sockdir=/tmp/qa-pg-socket-$(printf '%s' "$datadir" | cksum | cut -d' ' -f1)
    fi
    [[ $sockdir != *"'"* ]] || _svc_die "path must not contain a single quote: $sockdir"

    if svc_postgres_running "$datadir"; then
        local running
        running=$(_svc_pg_pid_port "$datadir")
        [[ ${running#* } == "$port" ]] ||
            _svc_die "PostgreSQL on $datadir already runs on port ${running#* }, not $port;" \
                "stop it with: scripts/services.sh postgres-stop '$datadir'"
        _svc_log "PostgreSQL already running on port $port ($datadir)"
        return 0
    fi
    svc_port_free "$port" || _svc_die "port $port is in use; cannot start PostgreSQL there"

    (umask 022 && mkdir -p "$parent")
    if _svc_is_root; then
        _svc_ensure_postgres_user
        _svc_check_traversable "$parent"
    fi
    mkdir -p "$datadir" "$sockdir"
    touch "$log"
    if _svc_is_root; then
        chown postgres:postgres "$sockdir" "$log"
        if [[ $(stat -c %U "$datadir") != postgres ]]; then
            chown -R postgres:postgres "$datadir"
        fi
    fi
    chmod 0700 "$datadir"

    if [[ ! -f $datadir/PG_VERSION ]]; then
        local initlog=$parent/$name.initdb.log locale
        touch "$initlog"
        _svc_is_root && chown postgres:postgres "$initlog"
        local ok=0
        for locale in C.UTF-8 C; do
            if _svc_pg initdb -D "$datadir" -A trust -U postgres --encoding=UTF8 --locale="$locale" \
                >"$initlog" 2>&1; then
                ok=1
                break
            fi
            # initdb removes what it created on failure; anything left means a different problem.
            [[ -z $(ls -A "$datadir" 2>/dev/null) ]] || break
        done
        if ((!ok)); then
            tail -n 20 "$initlog" >&2
            _svc_die "initdb failed for $datadir (log: $initlog)"
        fi
    fi

    local opts="-c listen_addresses=127.0.0.1 -p $port -k '$sockdir'"
    if [[ $mode != durable ]]; then
        # Throwaway test servers: durability only costs time.
        opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    if ! _svc_pg pg_ctl start -D "$datadir" -l "$log" -w -t 30 -o "$opts" >/dev/null 2>&1; then
        tail -n 30 "$log" >&2
        _svc_die "PostgreSQL did not start on port $port (log: $log)"
    fi
    local i
    for ((i = 0; i < 60; i++)); do
        if "$QA_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port"; then
            _svc_log "PostgreSQL ready on 127.0.0.1:$port ($datadir${mode:+, $mode})"
            return 0
        fi
        sleep 0.5
    done
    tail -n 30 "$log" >&2
    _svc_die "PostgreSQL not ready on port $port after 30 s (log: $log)"
}

svc_postgres_stop() {
    local datadir
    datadir=$(_svc_abspath "${1:-}")
    [[ -f $datadir/postmaster.pid ]] || return 0
    [[ -x $QA_PG_BIN/pg_ctl ]] || _svc_die "PostgreSQL 15 not found in $QA_PG_BIN"
    # Status fails for a stale pid file (e.g. after a crash); nothing to stop then.
    _svc_pg pg_ctl status -D "$datadir" >/dev/null 2>&1 || return 0
    _svc_pg pg_ctl stop -D "$datadir" -m fast -w -t 60 >/dev/null ||
        _svc_die "could not stop PostgreSQL on $datadir"
    _svc_log "PostgreSQL stopped ($datadir)"
}

# ---------------------------------------------------------------------------------------------------------------
# Redis

# Sends one command and prints the reply; redis-cli when present, else a minimal RESP exchange over /dev/tcp.
_svc_redis_cmd() {
    local port=$1
    shift
    if command -v redis-cli >/dev/null 2>&1; then
        timeout 5 redis-cli -h 127.0.0.1 -p "$port" "$@" 2>/dev/null
        return
    fi
    (
        export LC_ALL=C
        exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
        printf '%s\r\n' "$*" >&3
        local line body
        IFS= read -r -t 5 line <&3 || exit 1
        line=${line%$'\r'}
        case $line in
            \$*)
                ((${line#\$} >= 0)) || exit 0
                IFS= read -r -N "${line#\$}" -t 5 body <&3 || exit 1
                printf '%s\n' "$body"
                ;;
            [+:]*) printf '%s\n' "${line:1}" ;;
            *) printf '%s\n' "$line" ;;
        esac
    ) 2>/dev/null
}

# kill -0 is not enough: where pid 1 does not reap orphans, a daemon that exited stays a zombie for a while.
_svc_alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

_svc_redis_pid() { # prints the pid from DATADIR/redis.pid if that process is a live redis-server
    local datadir=$1 pid
    [[ -r $datadir/redis.pid ]] || return 1
    read -r pid <"$datadir/redis.pid" || return 1
    [[ $pid =~ ^[0-9]+$ ]] && _svc_alive "$pid" || return 1
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == redis-server* ]] || return 1
    echo "$pid"
}

# Redis that answers on PORT with the process id of our pid file.
_svc_redis_is_ours() {
    local port=$1 pid=$2
    [[ $(_svc_redis_cmd "$port" INFO server | tr -d '\r' | sed -n 's/^process_id://p') == "$pid" ]]
}

svc_redis_running() {
    local datadir port=${2:-} pid
    datadir=$(_svc_abspath "${1:-}")
    pid=$(_svc_redis_pid "$datadir") || return 1
    [[ -z $port ]] || _svc_redis_is_ours "$port" "$pid"
}

svc_redis_start() {
    local datadir port=${2:-} mode=${3:-} pid
    datadir=$(_svc_abspath "${1:-}")
    _svc_check_port_arg "$port"
    [[ -z $mode || $mode == durable ]] || _svc_die "redis-start: third argument must be 'durable' or absent"
    command -v redis-server >/dev/null 2>&1 || _svc_die "redis-server not found; run: scripts/services.sh install"

    if pid=$(_svc_redis_pid "$datadir"); then
        _svc_redis_is_ours "$port" "$pid" ||
            _svc_die "Redis on $datadir already runs (pid $pid) but not on port $port;" \
                "stop it with: scripts/services.sh redis-stop '$datadir'"
        _svc_log "Redis already running on port $port ($datadir)"
        return 0
    fi
    svc_port_free "$port" || _svc_die "port $port is in use; cannot start Redis there"

    mkdir -p "$datadir"
    rm -f "$datadir/redis.pid"
    local args=(--port "$port" --bind 127.0.0.1 --daemonize yes --pidfile "$datadir/redis.pid"
        --dir "$datadir" --logfile "$datadir/redis.log")
    if [[ $mode == durable ]]; then
        args+=(--appendonly yes --appendfsync everysec --save '')
    else
        args+=(--save '' --appendonly no)
    fi
    # redis-stop needs the port, and DATADIR is all it gets.
    echo "$port" >"$datadir/redis.port"
    redis-server "${args[@]}" >/dev/null || {
        tail -n 20 "$datadir/redis.log" >&2 || true
        _svc_die "redis-server failed to start on port $port"
    }
    local i
    for ((i = 0; i < 40; i++)); do
        # Check the pid too: a PONG alone could come from someone else's server that won the port.
        if pid=$(_svc_redis_pid "$datadir") && [[ $(_svc_redis_cmd "$port" PING) == PONG ]] &&
            _svc_redis_is_ours "$port" "$pid"; then
            _svc_log "Redis ready on 127.0.0.1:$port ($datadir${mode:+, $mode})"
            return 0
        fi
        sleep 0.25
    done
    tail -n 20 "$datadir/redis.log" >&2 || true
    _svc_die "Redis not ready on port $port after 10 s (log: $datadir/redis.log)"
}

svc_redis_stop() {
    local datadir pid port=""
    datadir=$(_svc_abspath "${1:-}")
    if ! pid=$(_svc_redis_pid "$datadir"); then
        rm -f "$datadir/redis.pid"
        return 0
    fi
    [[ -r $datadir/redis.port ]] && read -r port <"$datadir/redis.port"
    if [[ -n $port ]] && _svc_redis_is_ours "$port" "$pid"; then
        _svc_redis_cmd "$port" SHUTDOWN NOSAVE >/dev/null || true
    else
        kill -TERM "$pid" 2>/dev/null || true
    fi
    local i
    for ((i = 0; i < 100; i++)); do
        _svc_alive "$pid" || {
            _svc_log "Redis stopped ($datadir)"
            return 0
        }
        ((i == 40)) && kill -TERM "$pid" 2>/dev/null
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    _svc_log "Redis killed after 10 s ($datadir)"
}

# ---------------------------------------------------------------------------------------------------------------
# For a benchmark script that sources this file: a throwaway PostgreSQL and Redis on free ports under a fresh
# directory, stopped and removed when the script exits. Sets work, pg_port and redis_port.

services_throwaway() {
    work=$(mktemp -d "/tmp/$1-XXXXXX")
    chmod 755 "$work"
    pg_port=$(svc_free_port)
    redis_port=$(svc_free_port)
    while [[ $redis_port == "$pg_port" ]]; do redis_port=$(svc_free_port); done
    # shellcheck disable=SC2317 # reached through the EXIT trap
    _svc_throwaway_cleanup() {
        svc_redis_stop "$work/redis" >/dev/null 2>&1 || true
        svc_postgres_stop "$work/pg" >/dev/null 2>&1 || true
        rm -rf "$work"
    }
    trap _svc_throwaway_cleanup EXIT
    svc_install
    svc_postgres_start "$work/pg" "$pg_port"
    svc_redis_start "$work/redis" "$redis_port"
}

# ---------------------------------------------------------------------------------------------------------------

services() {
    local verb=${1:-}
    shift || true
    case $verb in
        install) svc_install "$@" ;;
        postgres-start) svc_postgres_start "$@" ;;
        postgres-stop) svc_postgres_stop "$@" ;;
        postgres-running) svc_postgres_running "$@" ;;
        redis-start) svc_redis_start "$@" ;;
        redis-stop) svc_redis_stop "$@" ;;
        redis-running) svc_redis_running "$@" ;;
        port-free) svc_port_free "$@" ;;
        free-port) svc_free_port "$@" ;;
        *)
            sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
            [[ -z $verb || $verb == -h || $verb == --help || $verb == help ]] || exit 2
            ;;
    esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    services "$@"
fi
