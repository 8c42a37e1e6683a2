#!/usr/bin/env bash
# Live fan-out benchmark (a measurement, not a test): starts throwaway PostgreSQL and Redis through
# scripts/services.sh, the app in Release with only the Live module, then for each run opens N sockets spread over
# T topics with bench/live, writes events to qa:events at a steady rate and reports connections held, the app's
# memory and the XADD -> receipt latency (median / p99 / max).
#
# Usage: scripts/bench-live.sh [SOCKETS:TOPICS ...]     (default: 1000:10 10000:100)
# Environment: QA_BENCH_RATE (events/s, 100), QA_BENCH_SECONDS (20), QA_BENCH_POST=1 (each event a real POST of a
# question to the API, which then runs in the same process: POST -> socket latency; at most 6 topics, the courses)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/services.sh
. "$repo/scripts/services.sh"

say() { printf 'bench-live.sh: %s\n' "$*" >&2; }

runs=("$@")
((${#runs[@]})) || runs=(1000:10 10000:100)
rate=${QA_BENCH_RATE:-100}
seconds=${QA_BENCH_SECONDS:-20}

# Each socket is a descriptor in the app and one in the load client, plus the runtime's own.
want_fds=65536
if ! ulimit -n "$want_fds" 2>/dev/null; then
    ulimit -n "$(ulimit -Hn)"
    say "could only raise the open-file limit to $(ulimit -n); runs above about $(($(ulimit -n) - 200)) sockets will fail"
fi

services install
work=$(mktemp -d /tmp/qa-bench-live.XXXXXX)
chmod 755 "$work"
pg_port=$(services free-port)
redis_port=$(services free-port)
http_port=$(services free-port)
app_pid=""

# shellcheck disable=SC2317 # reached through the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $app_pid ]] && kill -0 "$app_pid" 2>/dev/null; then
        kill -TERM "$app_pid" 2>/dev/null || true
        wait "$app_pid" 2>/dev/null || true
    fi
    services redis-stop "$work/redis" || true
    services postgres-stop "$work/pg" || true
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Durable, as deployed: the POST mode waits for each commit's fsync.
services postgres-start "$work/pg" "$pg_port" durable
services redis-start "$work/redis" "$redis_port" durable

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build "$repo/QaMonolith/QaMonolith.csproj" -c Release -v quiet -nologo >&2
dotnet build "$repo/bench/live/LiveBench.csproj" -c Release -v quiet -nologo >&2

export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Database=qabench;Username=postgres"
export ConnectionStrings__Redis="127.0.0.1:$redis_port"
export ASPNETCORE_URLS="http://127.0.0.1:$http_port"
export DOTNET_ENVIRONMENT=Production
export Modules__Api=false Modules__Answers=false Modules__Web=false Modules__Live=true
post=false
if [[ -n ${QA_BENCH_POST:-} ]]; then
    post=true
    export Modules__Api=true RateLimits__PerIpPerMinute=0
fi
export Logging__LogLevel__Default=Warning
# A burst to 10,000 sockets must not overflow the default queue on a 2-core machine shared with the client.
export Live__SendQueueSize=${QA_BENCH_QUEUE:-256}
dotnet "$repo/QaMonolith/bin/Release/net10.0/QaMonolith.dll" >"$work/app.log" 2>&1 &
app_pid=$!

for ((i = 0; i < 120; i++)); do
    [[ $(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$http_port/health/ready" || true) == 200 ]] && break
    kill -0 "$app_pid" 2>/dev/null || { cat "$work/app.log" >&2; say "the app exited"; exit 1; }
    sleep 0.5
done
say "app ready on port $http_port (pid $app_pid, RSS $(awk '/VmRSS/ {print $2, $3}' "/proc/$app_pid/status"))"

status=0
for run in "${runs[@]}"; do
    sockets=${run%%:*}
    topics=${run##*:}
    echo "=== $sockets sockets, $topics topics, $rate events/s for $seconds s ($(nproc) cores, ulimit -n $(ulimit -n))"
    dotnet "$repo/bench/live/bin/Release/net10.0/LiveBench.dll" --url "http://127.0.0.1:$http_port" \
        --redis "127.0.0.1:$redis_port" --sockets "$sockets" --topics "$topics" --rate "$rate" \
        --seconds "$seconds" --app-pid "$app_pid" --post "$post" || status=1
    echo "server counters: $(curl -s "http://127.0.0.1:$http_port/live/metrics")"
    # The next run starts with no sockets left over.
    for ((i = 0; i < 100; i++)); do
        [[ $(curl -s "http://127.0.0.1:$http_port/live/metrics") == *'"connections":0,'* ]] && break
        sleep 0.2
    done
done
exit "$status"
