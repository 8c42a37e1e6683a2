#!/usr/bin/env bash
# Runs QaMonolith for a user: installs and starts PostgreSQL and Redis with data kept in .data/, then the app.
# Ctrl-C stops the app and the servers this run started.
#
# Usage: scripts/run.sh [--model FILE.gguf] [app arguments...]
#   --model FILE  answer with that GGUF model in-process (Llm__Provider=Local, Llm__ModelPath=FILE); without one
#                 the app uses what its configuration says, Offline by default
# Environment: QA_MODEL (the same as --model), QA_POSTGRES_PORT (5433), QA_REDIS_PORT (6380), QA_HTTP_PORT (8080),
#              QA_HTTP_HOST (127.0.0.1), QA_DATA_DIR (<repo>/.data)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/services.sh
. "$repo/scripts/services.sh"

say() { printf 'run.sh: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}

if ! command -v dotnet >/dev/null 2>&1; then
    die "the .NET 10 SDK (dotnet) is not installed. Install it from https://dot.net, or on Debian/Ubuntu add" \
        "Microsoft's package feed (https://learn.microsoft.com/dotnet/core/install/linux) and run:" \
        "sudo apt-get install -y dotnet-sdk-10.0"
fi

model=${QA_MODEL:-}
app_args=()
while (($#)); do
    case $1 in
        --model)
            (($# >= 2)) || die "--model needs a GGUF model file"
            model=$2
            shift 2
            ;;
        --model=*)
            model=${1#--model=}
            shift
            ;;
        *)
            app_args+=("$1")
            shift
            ;;
    esac
done
if [[ -n $model ]]; then
    # Checked here too, so a typo fails before any server starts; the app checks again and says more.
    [[ -f $model ]] || die "model file $model not found (--model / QA_MODEL must name a GGUF file)"
    export Llm__Provider=Local Llm__ModelPath
    Llm__ModelPath=$(realpath -- "$model")
fi

pg_port=${QA_POSTGRES_PORT:-5433}
redis_port=${QA_REDIS_PORT:-6380}
http_port=${QA_HTTP_PORT:-8080}
http_host=${QA_HTTP_HOST:-127.0.0.1}
data=${QA_DATA_DIR:-$repo/.data}
pg_dir=$data/postgres
redis_dir=$data/redis

for var in QA_POSTGRES_PORT QA_REDIS_PORT QA_HTTP_PORT; do
    value=${!var:-}
    if [[ -n $value ]] && { [[ ! $value =~ ^[0-9]{1,5}$ ]] || ((10#$value < 1 || 10#$value > 65535)); }; then
        die "$var=$value is not a TCP port"
    fi
done

services install

# Decide everything before starting anything, so a busy port fails fast and leaves nothing behind.
# A server from an earlier run.sh that was not stopped (same data dir, same port) is reused, and left running.
reuse_pg=0 reuse_redis=0
if services postgres-running "$pg_dir" "$pg_port"; then
    reuse_pg=1
elif services postgres-running "$pg_dir"; then
    die "PostgreSQL from an earlier run is still running on $pg_dir with another port;" \
        "stop it with: scripts/services.sh postgres-stop '$pg_dir' (or set QA_POSTGRES_PORT to its port)"
elif ! services port-free "$pg_port"; then
    die "port $pg_port is in use; set QA_POSTGRES_PORT to a free port"
fi
if services redis-running "$redis_dir" "$redis_port"; then
    reuse_redis=1
elif services redis-running "$redis_dir"; then
    die "Redis from an earlier run is still running on $redis_dir with another port;" \
        "stop it with: scripts/services.sh redis-stop '$redis_dir' (or set QA_REDIS_PORT to its port)"
elif ! services port-free "$redis_port"; then
    die "port $redis_port is in use; set QA_REDIS_PORT to a free port"
fi
if ! services port-free "$http_port"; then
    die "port $http_port is in use; set QA_HTTP_PORT to a free port"
fi

started_pg=0 started_redis=0 app_pid="" watch_pid=""

# shellcheck disable=SC2317 # reached through the EXIT trap, which shellcheck does not follow
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $watch_pid ]]; then
        kill "$watch_pid" 2>/dev/null || true
    fi
    if [[ -n $app_pid ]] && kill -0 "$app_pid" 2>/dev/null; then
        say "stopping the app"
        # The app runs in its own process group: dotnet run and the app process it starts.
        kill -TERM -- "-$app_pid" 2>/dev/null || true
        local i
        # ASP.NET Core may take its whole 30 s shutdown timeout; then give up on it.
        for ((i = 0; i < 350; i++)); do
            kill -0 "$app_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$app_pid" 2>/dev/null || true
        wait "$app_pid" 2>/dev/null || true
    fi
    if ((started_redis)); then services redis-stop "$redis_dir" || true; fi
    if ((started_pg)); then services postgres-stop "$pg_dir" || true; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ((reuse_pg)); then
    say "reusing PostgreSQL already running on port $pg_port ($pg_dir)"
else
    started_pg=1
    services postgres-start "$pg_dir" "$pg_port" durable
fi
if ((reuse_redis)); then
    say "reusing Redis already running on port $redis_port ($redis_dir)"
else
    started_redis=1
    services redis-start "$redis_dir" "$redis_port" durable
fi

psql=("$QA_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -w -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres)
if [[ -z $("${psql[@]}" -tAc "select 1 from pg_database where datname = 'qamonolith'") ]]; then
    "${psql[@]}" -c 'create database qamonolith'
    say "created database qamonolith"
fi

export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Database=qamonolith;Username=postgres"
export ConnectionStrings__Redis="127.0.0.1:$redis_port"
export ASPNETCORE_URLS="http://$http_host:$http_port"
export DOTNET_ENVIRONMENT=Production
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

url="http://$http_host:$http_port/"
# A wildcard host is not something to browse to; local checks go to the loopback address.
case $http_host in
    0.0.0.0 | '*' | '+' | '[::]') probe="http://127.0.0.1:$http_port/" ;;
    *) probe=$url ;;
esac
echo "QaMonolith: $url"
if [[ -n $model ]]; then
    echo "Answers: the local model $Llm__ModelPath (in-process, CPU)"
fi

cd "$repo"
# Own process group (setsid) so that cleanup can stop dotnet run together with the app it spawned.
setsid dotnet run --project QaMonolith/QaMonolith.csproj -c Release --no-launch-profile -- "${app_args[@]}" &
app_pid=$!

if command -v curl >/dev/null 2>&1; then
    (
        for ((i = 0; i < 120; i++)); do
            kill -0 "$app_pid" 2>/dev/null || exit 0
            if [[ $(curl -s -o /dev/null -m 2 -w '%{http_code}' "${probe}health/ready" || true) == 200 ]]; then
                echo "QaMonolith is ready at $url"
                exit 0
            fi
            sleep 1
        done
        say "the app did not report ready at ${probe}health/ready within 120 s"
    ) &
    watch_pid=$!
else
    say "curl not found; not waiting for ${probe}health/ready"
fi

set +e
wait "$app_pid"
app_rc=$?
set -e
app_pid=""
say "the app exited with status $app_rc"
exit "$app_rc"
