#!/usr/bin/env bash
# The benchmark suite: starts throwaway PostgreSQL and Redis, the app in Release as a deployment would run it
# (logging at Warning), seeds a realistic data set, and measures each scenario with wrk against a ceiling (a
# minimal ASP.NET Core app of bench/Ceiling) measured in the same run. Writes a markdown table to bench/results/
# and prints it. Everything stays on 127.0.0.1 and stops when the script ends.
#
# Usage: scripts/bench.sh            (BENCH_DURATION=10 seconds per scenario, BENCH_CONNECTIONS=64,
#                                     BENCH_SCENARIOS="1 2 2u 3 4 5 5c 6 7 8 9 10" to run only some, e.g. "2u 3";
#                                     BENCH_HOLD=1 keeps the seeded app up for profiling instead)
# The app runs as the api+web role of a split deployment (Modules__Answers=false): the Answers pipeline is
# scenario 10 (scripts/bench-answers.sh). In one process, the worker answering the ~10,000 questions scenario 6
# posts would be what every later scenario measures.
# Exit status: non-zero when a read scenario saw a non-2xx response or a POST scenario a non-201.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/services.sh
. "$repo/scripts/services.sh"

duration=${BENCH_DURATION:-10}
connections=${BENCH_CONNECTIONS:-64}
threads=2
work=/tmp/qamonolith-bench-$$
export BENCH_LUA=$repo/bench/lua

say() { printf 'bench.sh: %s\n' "$*" >&2; }

services install wrk
command -v curl >/dev/null || services install curl
mkdir -p "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    services postgres-stop "$work/postgres" || true
    services redis-stop "$work/redis" || true
    rm -rf "$work"
}
trap cleanup EXIT

pg_port=$(services free-port)
redis_port=$(services free-port)
app_port=$(services free-port)
ceiling_port=$(services free-port)
# Durable, as scripts/run.sh and a deployment run them: every commit waits for its fsync.
services postgres-start "$work/postgres" "$pg_port" durable
services redis-start "$work/redis" "$redis_port" durable

say "publishing the app and the ceiling in Release"
dotnet publish "$repo/QaMonolith/QaMonolith.csproj" -c Release -o "$work/app" --nologo -v quiet >"$work/publish.log" 2>&1 ||
    { cat "$work/publish.log"; exit 1; }
dotnet publish "$repo/bench/Ceiling/Ceiling.csproj" -c Release -o "$work/ceiling" --nologo -v quiet >>"$work/publish.log" 2>&1 ||
    { cat "$work/publish.log"; exit 1; }

start_ms=$(date +%s%3N)
(
    cd "$work/app"
    export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Database=qamonolith;Username=postgres"
    export ConnectionStrings__Redis="127.0.0.1:$redis_port"
    export ASPNETCORE_URLS="http://127.0.0.1:$app_port"
    export DOTNET_ENVIRONMENT=Production
    export Logging__LogLevel__Default=Warning
    # One client machine posts as many users here; the per-IP ceiling would be the only thing measured.
    export RateLimits__PerIpPerMinute=0
    export Modules__Answers=false
    exec ./QaMonolith
) >"$work/app.log" 2>&1 &
app_pid=$!
pids+=("$app_pid")
until curl -sf "http://127.0.0.1:$app_port/health/ready" >/dev/null; do
    kill -0 "$app_pid" 2>/dev/null || { cat "$work/app.log"; exit 1; }
    sleep 0.02
done
ready_ms=$(($(date +%s%3N) - start_ms))
rss_idle=$(ps -o rss= -p "$app_pid" | tr -d ' ')

(cd "$work/ceiling" && exec ./Ceiling --urls "http://127.0.0.1:$ceiling_port") >"$work/ceiling.log" 2>&1 &
pids+=("$!")
until curl -sf "http://127.0.0.1:$ceiling_port/" >/dev/null; do sleep 0.02; done

say "seeding 10,000 questions, 50,000 answers, 100,000 upvotes"
psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -d qamonolith -v ON_ERROR_STOP=1 -f "$repo/bench/seed.sql" >/dev/null
export BENCH_QUESTIONS=10000 BENCH_COURSE=1
base=http://127.0.0.1:$app_port

# Page 200 of the hot course, found by walking the cursors as a client would.
cursor=""
for _ in $(seq 1 199); do
    page=$(curl -sf "$base/api/courses/1/questions?limit=20${cursor:+&cursor=$cursor}")
    cursor=$(printf '%s' "$page" | grep -o '"nextCursor":"[^"]*"' | cut -d'"' -f4)
done

# run NAME URL [SCRIPT]: one wrk run; prints "rps p50 p99 requests non2xx socket_errors".
run() {
    local url=$1 script=${2:-} combined=$work/run.lua
    if [[ -n $script ]]; then cat "$repo/bench/lua/$script" "$repo/bench/lua/report.lua" >"$combined"; else cp "$repo/bench/lua/report.lua" "$combined"; fi
    wrk -t"$threads" -c"$connections" -d"${3:-$duration}s" --timeout 5s -s "$combined" "$url" 2>&1 |
        sed -n 's/^BENCH rps=\([^ ]*\) p50=\([^ ]*\) p99=\([^ ]*\) requests=\([^ ]*\) non2xx=\([^ ]*\) socket_errors=\([^ ]*\)$/\1 \2 \3 \4 \5 \6/p'
}

if [[ -n ${BENCH_HOLD:-} ]]; then
    # For profiling: the seeded app stays up (dotnet-counters, dotnet-trace, psql, wrk by hand) until killed.
    say "holding: app $base (pid $app_pid), ceiling http://127.0.0.1:$ceiling_port, postgres port $pg_port, redis port $redis_port, cursor $cursor"
    sleep infinity &
    pids+=("$!")
    wait "$!"
fi

say "warming up"
run "$base/api/courses/1/questions" "" 3 >/dev/null
run "$base/api/courses" "" 2 >/dev/null
run "$base/api/questions/1/answers" answers.lua 2 >/dev/null

rows=()
failed=0
ceiling_rps=()
measure_ceiling() {
    local r
    read -r r _ < <(run "http://127.0.0.1:$ceiling_port/")
    ceiling_rps+=("$r")
}

# scenario KEY NAME URL SCRIPT MIN_RATIO MAX_P99_MS KIND(read|write|page)
results=()
only=" ${BENCH_SCENARIOS:-1 2 2u 3 4 5 5c 6 7 8 9 10} "
scenario() {
    local key=$1 name=$2 url=$3 script=$4 ratio=$5 p99max=$6 kind=$7 out
    [[ $only == *" $key "* ]] || return 0
    if [[ $kind == page ]] && [[ $(curl -s -o /dev/null -w '%{http_code}' "$url") != 200 ]]; then
        results+=("$name|n/a|||||$ratio / $p99max ms|not built yet (the Web module)")
        return
    fi
    out=$(run "$url" "$script")
    results+=("$name|$out|$ratio|$p99max|$kind|$(ps -o rss= -p "$app_pid" | tr -d ' ')")
}

measure_ceiling
scenario 1 "1 GET /api/courses" "$base/api/courses" "" 0.60 5 read
scenario 2 "2 GET hot course, first page" "$base/api/courses/1/questions" "" 0.60 5 read
scenario 2u "2 GET hot course, first page, X-User-Id" "$base/api/courses/1/questions" get_user.lua 0.60 5 read
scenario 3 "3 GET hot course, page 200" "$base/api/courses/1/questions?cursor=$cursor" "" 0.40 10 read
scenario 4 "4 GET answers of many questions" "$base/api/questions/1/answers" answers.lua 0.40 10 read
scenario 5 "5 GET /" "$base/" "" 0.60 5 page
scenario 5c "5 GET /courses/1" "$base/courses/1" "" 0.60 5 page
scenario 6 "6 POST question, new user each" "$base/" post_question.lua 0.10 25 write
scenario 7 "7 PUT upvote, random user and question" "$base/" upvote.lua 0.15 20 write
scenario 8 "8 mixed 90/8/2" "$base/" mixed.lua 0.40 10 write
measure_ceiling

# Scenarios 9 and 10 have their own scripts (their own servers and app processes); the REST app idles meanwhile.
live_out="" answers_out=""
if [[ $only == *" 9 "* ]]; then
    say "scenario 9: Live fan-out (scripts/bench-live.sh)"
    live_out+=$(QA_BENCH_POST=1 QA_BENCH_RATE=10 QA_BENCH_SECONDS="$duration" "$repo/scripts/bench-live.sh" 1000:1 2>/dev/null |
        grep -E '^(===|connected|sockets:|events:|app RSS|POST)' || true)$'\n'
    live_out+=$(QA_BENCH_SECONDS="$duration" "$repo/scripts/bench-live.sh" 10000:100 2>/dev/null |
        grep -E '^(===|connected|sockets:|events:|app RSS|XADD)' || true)
fi
if [[ $only == *" 10 "* ]]; then
    say "scenario 10: Answers pipeline (scripts/bench-answers.sh)"
    answers_out=$("$repo/scripts/bench-answers.sh" --seconds "$duration" --posters 8 --max-concurrency 16 2>/dev/null |
        grep -E '^(posting time|questions|model calls|throughput|POST)' || true)
fi

ceiling=$(awk -v a="${ceiling_rps[0]}" -v b="${ceiling_rps[1]}" 'BEGIN { printf "%.0f", (a + b) / 2 }')
stamp=$(date -u +%Y-%m-%dT%H%MZ)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
mkdir -p "$repo/bench/results"
report=$repo/bench/results/$stamp.md
{
    echo "# Benchmark $stamp"
    echo
    echo "Commit $commit on $(uname -n): $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
        "$(. /etc/os-release && echo "$PRETTY_NAME"), $(dotnet --version) SDK. wrk -t$threads -c$connections, ${duration} s per scenario."
    echo
    echo "Ceiling (bench/Ceiling: a fixed 20-item JSON list from memory): ${ceiling_rps[0]} and ${ceiling_rps[1]} req/s" \
        "before and after the scenarios; ratios use their mean, $ceiling req/s."
    echo "Start to /health/ready: $ready_ms ms. Idle RSS after start: $((rss_idle / 1024)) MiB."
    echo
    echo "| scenario | req/s | p50 ms | p99 ms | ratio | target (ratio / p99) | non-2xx | RSS after MiB | result |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for row in "${results[@]}"; do
        IFS='|' read -r name out ratio p99max kind rss <<<"$row"
        if [[ $out == n/a ]]; then
            echo "| $name | n/a | | | | $p99max | | | $kind |"
            continue
        fi
        read -r rps p50 p99 _ non2xx sockerr <<<"$out"
        r=$(awk -v a="$rps" -v c="$ceiling" 'BEGIN { printf "%.2f", a / c }')
        verdict=ok
        if [[ -n $ratio ]]; then
            if awk -v r="$r" -v t="$ratio" -v p="$p99" -v m="$p99max" 'BEGIN { exit !(r < t || p > m) }'; then verdict=below; fi
            target="$ratio / $p99max ms"
        else
            target="(reported)"
        fi
        if ((non2xx > 0 || sockerr > 0)); then
            verdict="FAILED: $non2xx non-2xx, $sockerr socket errors"
            failed=1
        fi
        printf '| %s | %.0f | %.2f | %.2f | %s | %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" "$r" "$target" "$non2xx" "$((rss / 1024))" "$verdict"
    done
    if [[ -n $live_out ]]; then
        echo
        echo "Scenario 9, Live fan-out (scripts/bench-live.sh; target: 10,000 sockets held, POST-to-socket p99 <= 20 ms at"
        echo "1,000 sockets on one topic, app RSS <= 400 MB with 10,000 sockets):"
        echo
        echo '```'
        echo "$live_out"
        echo '```'
    fi
    if [[ -n $answers_out ]]; then
        echo
        echo "Scenario 10, Answers pipeline (scripts/bench-answers.sh, an instant chat-completions fake; target >= 500"
        echo "questions/s with 3 answers each):"
        echo
        echo '```'
        echo "$answers_out"
        echo '```'
    fi
} >"$report"
cat "$report"
say "written to ${report#"$repo"/}"
exit "$failed"
